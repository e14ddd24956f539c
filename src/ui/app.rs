//! The dashboard's state and how keys and data change it. No IO here: what needs the
//! cluster comes back to the event loop as an Effect.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::keys::{Action, action_for};
use super::text::{TextKey, TextKind, TextStatus, TextView};
use super::theme::Theme;
use super::view::{self, Health, ObjectRef, PaneView};
use crate::assess::{self, Finding, Severity, Thresholds, Unknown};
use crate::checks::Extras;
use crate::cluster::fetch::{EventLine, LogChunk};
use crate::model::{Kind, Snapshot};

pub const PANES: usize = 4;

/// Kinds with a detail view.
pub const DETAIL_KINDS: &[Kind] = &[
    Kind::Pod,
    Kind::ObjectStore,
    Kind::Backup,
    Kind::Cluster,
    Kind::Kustomization,
    Kind::GitRepository,
];

/// The container the Barman Cloud plugin injects into instance pods.
pub const SIDECAR: &str = "plugin-barman-cloud";

/// Events as lines, newest first, as `kubectl events` prints them.
pub fn event_lines(events: &[EventLine], now: DateTime<Utc>) -> Vec<String> {
    if events.is_empty() {
        return vec![
            "No events. Events expire after about an hour: none is not the same as healthy.".into(),
        ];
    }
    events
        .iter()
        .map(|e| {
            let seen = view::age(e.last_seen, now);
            let count = if e.count > 1 {
                format!(" (x{})", e.count)
            } else {
                String::new()
            };
            format!(
                "{seen:>7}  {:<7} {:<24} {}{count}  [{}]",
                e.kind, e.reason, e.message, e.source
            )
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    Detail,
    /// YAML, events or logs over the panes.
    Text,
    /// The findings list (`f`).
    Findings,
    /// The tree chooser (`w`).
    Choose,
    /// A walk through a troubleshooting tree.
    Walk,
    /// An action's confirm dialog.
    Confirm,
}

#[derive(Debug, Clone, Default)]
pub struct PaneState {
    pub selected: usize,
    pub filter: String,
}

/// What the header says about where we are connected.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
    /// The demo runs the simulator in-process: `:ctx` does not apply.
    pub demo: bool,
}

/// IO the event loop does for the app.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    Quit,
    /// Watch another namespace (None: all).
    Namespace(Option<String>),
    Context(String),
    Yaml {
        id: u64,
        target: ObjectRef,
    },
    Events {
        id: u64,
        target: ObjectRef,
    },
    Logs {
        id: u64,
        namespace: String,
        pod: String,
        container: String,
    },
    /// The text view closed: stop following its log.
    CloseText,
    /// Gather the rules' facts now (a walker's check waits for them).
    Gather {
        /// Probe ObjectStore endpoints too.
        network: bool,
    },
    /// Write a walk's transcript.
    SaveTranscript {
        path: std::path::PathBuf,
        markdown: String,
    },
    /// Ask whether the user may run the plan (SelfSubjectAccessReview).
    CheckAccess(crate::actions::Plan),
    /// Run the confirmed plan.
    RunAction(crate::actions::Plan),
    /// Append a line to the session's action log (no walk is open to record it).
    LogAction(String),
}

pub struct App {
    pub location: Location,
    pub snapshot: Snapshot,
    pub views: [PaneView; PANES],
    pub focus: usize,
    pub panes: [PaneState; PANES],
    pub mode: Mode,
    pub input: String,
    pub theme: Theme,
    /// One line for the footer: what just happened or went wrong.
    pub message: Option<(Health, String)>,
    /// The terminal's size, once known: below the minimum no key but quit does anything,
    /// since the screen shows nothing a key could act on.
    pub screen: Option<(u16, u16)>,
    /// A quit was asked while a walk had unsaved notes: the next quit goes through.
    quit_armed: bool,
    pub now: DateTime<Utc>,
    pub detail: Option<ObjectRef>,
    pub detail_scroll: u16,
    pub help_scroll: u16,
    /// The API server's version once probed, or why it could not be reached.
    pub server_status: Option<Result<String, String>>,
    pub text: Option<TextView>,
    /// What the rules read beside the snapshot; None until first fetched.
    pub extras: Option<Extras>,
    pub findings: Vec<Finding>,
    pub unknown: Vec<Unknown>,
    pub findings_selected: usize,
    pub thresholds: Thresholds,
    /// Codes the config file silences: not shown, as `backstop check` does not report them.
    pub silence: Vec<String>,
    /// Troubleshooting trees: built in, then the user's.
    pub trees: Vec<crate::trees::load::Tree>,
    pub chooser: super::walker::Chooser,
    /// The walk in progress, kept when the walker is left.
    pub walk: Option<super::walker::WalkView>,
    /// The GitOps checkout the trees' git checks read, if configured.
    pub git: Option<crate::trees::git::Checkout>,
    /// Where transcripts are written.
    pub transcripts: std::path::PathBuf,
    /// Actions are off.
    pub read_only: bool,
    pub pending: Option<super::act::Pending>,
    pub running: Option<super::act::Running>,
    /// Where the confirm dialog returns to.
    pub confirm_return: Mode,
    next_text_id: u64,
    /// Where Esc from a text view returns to.
    text_return: Mode,
    /// Each pane's rows that pass its filter, for the filter they were computed with;
    /// emptied when the views change.
    visible_cache: RefCell<[Option<Filtered>; PANES]>,
    /// What the last rebuild of views and findings cost, and when it ran.
    refresh_cost: std::time::Duration,
    refreshed: std::time::Instant,
    /// What the last run of the rules cost.
    rules_cost: std::time::Duration,
    /// Read by every frame, so computed once per rebuild rather than per frame over
    /// every row: each pane's worst health, its rows (without headings), and the newest
    /// successful backup.
    pub(super) pane_health: [Health; PANES],
    pub(super) pane_rows: [usize; PANES],
    pub(super) newest_backup: Option<DateTime<Utc>>,
}

/// A filter and the rows that pass it.
type Filtered = (String, Vec<usize>);

/// Below this a rebuild is cheap enough for every clock tick.
const CHEAP_REFRESH: std::time::Duration = std::time::Duration::from_millis(2);

/// What the rules read: the facts, the clock and the thresholds.
pub type RulesInput = (assess::Facts, DateTime<Utc>, Thresholds);
/// The rules' outcome and what it cost to reach.
pub type Verdict = (assess::Outcome, std::time::Duration);

/// Runs the rules: pure, so it may run on any thread.
pub fn judge((facts, now, th): RulesInput) -> Verdict {
    let began = std::time::Instant::now();
    let outcome = assess::assess(&facts, now, &th);
    (outcome, began.elapsed())
}

/// The worst finding about each object: what marks its row.
fn marks_of(findings: &[Finding]) -> HashMap<(Kind, &str, &str), Severity> {
    let mut worst: HashMap<(Kind, &str, &str), Severity> = HashMap::new();
    for f in findings {
        let o = &f.object;
        let e = worst
            .entry((o.kind, o.namespace.as_str(), o.name.as_str()))
            .or_insert(f.severity);
        *e = (*e).max(f.severity);
    }
    worst
}

impl App {
    pub fn new(location: Location, theme: Theme, now: DateTime<Utc>) -> App {
        App::with_trees(location, theme, now, crate::trees::builtin())
    }

    /// An App with the trees already loaded (the built-in ones are parsed once per run).
    pub fn with_trees(
        location: Location,
        theme: Theme,
        now: DateTime<Utc>,
        trees: Vec<crate::trees::load::Tree>,
    ) -> App {
        let snapshot = Snapshot::default();
        App {
            location,
            views: view::panes(&snapshot, now),
            snapshot,
            focus: 0,
            panes: Default::default(),
            mode: Mode::Normal,
            input: String::new(),
            theme,
            message: None,
            screen: None,
            quit_armed: false,
            now,
            detail: None,
            detail_scroll: 0,
            help_scroll: 0,
            server_status: None,
            text: None,
            extras: None,
            findings: Vec::new(),
            unknown: Vec::new(),
            findings_selected: 0,
            thresholds: Thresholds::default(),
            silence: Vec::new(),
            trees,
            chooser: Default::default(),
            walk: None,
            git: None,
            transcripts: std::env::temp_dir(),
            read_only: false,
            pending: None,
            running: None,
            confirm_return: Mode::Normal,
            next_text_id: 0,
            text_return: Mode::Normal,
            visible_cache: Default::default(),
            refresh_cost: std::time::Duration::ZERO,
            rules_cost: std::time::Duration::ZERO,
            refreshed: std::time::Instant::now(),
            pane_health: [Health::Ok; PANES],
            pane_rows: [0; PANES],
            newest_backup: None,
        }
        .summarised()
    }

    fn summarised(mut self) -> App {
        self.summarise();
        self
    }

    fn summarise(&mut self) {
        for (i, v) in self.views.iter().enumerate() {
            self.pane_health[i] = v.worst();
            self.pane_rows[i] = v.rows.iter().filter(|r| !r.heading).count();
        }
        self.newest_backup = view::newest_backup(&self.snapshot);
    }

    pub fn set_snapshot(&mut self, s: Snapshot) {
        self.snapshot = s;
        self.refresh();
    }

    /// New data shown at once, the findings kept until `set_outcome` brings the rules'
    /// verdict on it: on a large cluster the rules take as long again as the panes, and
    /// the dashboard runs them beside the UI rather than before the changed row appears.
    pub fn set_rows(&mut self, s: Snapshot) {
        self.snapshot = s;
        self.rebuild_views();
    }

    /// The clock moved: ages change. Backup rows format their ages when drawn; the rest
    /// is rebuilt on every tick while that is cheap, and on a large cluster as often as
    /// keeps the rebuilds under about 0.1 % of a core (at 50k, about once a minute; the
    /// gathering every 30 s and the 1 Hz frames take the rest of the idle budget). Data
    /// changes always rebuild. True when the panes were rebuilt: the rules are due too.
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        self.now = now;
        let cost = self.refresh_cost + self.rules_cost;
        let due = cost < CHEAP_REFRESH || self.refreshed.elapsed() >= cost * 1000;
        if due {
            self.rebuild_views();
        }
        due
    }

    /// What the rules need to run elsewhere: None until the extra kinds are gathered.
    pub fn rules_input(&self) -> Option<RulesInput> {
        let extras = self.extras.as_ref()?;
        Some((
            extras.facts(&self.snapshot),
            self.now,
            self.thresholds.clone(),
        ))
    }

    fn assess(&self) -> Option<Verdict> {
        self.rules_input().map(judge)
    }

    /// The rules' verdict. Rows are rebuilt only when it marks different objects than
    /// before: the findings of a large cluster rarely change with one event.
    pub fn set_outcome(&mut self, outcome: assess::Outcome, took: std::time::Duration) {
        self.rules_cost = took;
        let silence = &self.silence;
        let findings: Vec<Finding> = outcome
            .findings
            .into_iter()
            .filter(|f| !silence.iter().any(|s| s == f.code))
            .collect();
        let remark = marks_of(&findings) != marks_of(&self.findings);
        self.findings = findings;
        self.unknown = outcome.unknown;
        if remark {
            self.rebuild_views();
        }
    }

    /// The extra kinds and logs, judged at once. They feed the rules only: the panes stay.
    pub fn set_extras(&mut self, extras: Extras) {
        self.keep_extras(extras);
        if let Some((outcome, took)) = self.assess() {
            self.set_outcome(outcome, took);
        }
    }

    /// `set_extras` without the rules, for a caller that runs them elsewhere.
    pub fn keep_extras(&mut self, extras: Extras) {
        self.extras = Some(extras);
        self.walk_gathered();
    }

    /// Panes and findings, one after the other.
    fn refresh(&mut self) {
        self.rebuild_views();
        if let Some((outcome, took)) = self.assess() {
            self.set_outcome(outcome, took);
        }
    }

    /// The panes from the snapshot, marked with the findings as they stand.
    fn rebuild_views(&mut self) {
        let began = std::time::Instant::now();
        self.views = view::panes(&self.snapshot, self.now);
        self.visible_cache
            .borrow_mut()
            .iter_mut()
            .for_each(|c| *c = None);
        self.mark_rows();
        for i in 0..PANES {
            let n = self.visible(i).len();
            let p = &mut self.panes[i];
            if p.selected >= n {
                p.selected = n.saturating_sub(1);
            }
        }
        self.summarise();
        self.refreshed = std::time::Instant::now();
        self.refresh_cost = self.refreshed - began;
    }

    /// Each row takes the state of its worst finding when that is worse.
    fn mark_rows(&mut self) {
        let worst = marks_of(&self.findings);
        if worst.is_empty() {
            return;
        }
        let mut marks = Vec::new();
        for (p, v) in self.views.iter().enumerate() {
            for (i, r) in v.rows.iter().enumerate() {
                if let Some(key) = r.target_key()
                    && let Some(sev) = worst.get(&key)
                {
                    marks.push((p, i, *sev));
                }
            }
        }
        for (p, i, sev) in marks {
            let h = match sev {
                Severity::Critical => Health::Critical,
                Severity::Warning => Health::Warning,
                Severity::Info => Health::Info,
            };
            let row = &mut self.views[p].rows[i];
            row.health = row.health.max(h);
        }
    }

    /// Indices into `views[pane].rows` that pass the pane's filter. Headings go when filtering.
    pub fn visible(&self, pane: usize) -> Vec<usize> {
        let rows = &self.views[pane].rows;
        let filter = self.panes[pane].filter.to_lowercase();
        if filter.is_empty() {
            return (0..rows.len()).collect();
        }
        let mut cache = self.visible_cache.borrow_mut();
        if let Some((f, list)) = &cache[pane]
            && *f == filter
        {
            return list.clone();
        }
        let list: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !r.heading
                    && (r
                        .cells(self.now)
                        .iter()
                        .any(|c| c.to_lowercase().contains(&filter))
                        || r.health.word().contains(&filter))
            })
            .map(|(i, _)| i)
            .collect();
        cache[pane] = Some((filter, list.clone()));
        list
    }

    pub fn selected_row(&self) -> Option<&view::ViewRow> {
        let visible = self.visible(self.focus);
        visible
            .get(self.panes[self.focus].selected)
            .map(|i| &self.views[self.focus].rows[*i])
    }

    fn move_selection(&mut self, delta: isize) {
        let visible = self.visible(self.focus);
        if visible.is_empty() {
            return;
        }
        let rows = &self.views[self.focus].rows;
        let last = visible.len() as isize - 1;
        let mut at = (self.panes[self.focus].selected as isize + delta).clamp(0, last);
        // Headings are not rows to act on: step over them in the direction of travel.
        let step = if delta < 0 { -1 } else { 1 };
        while rows[visible[at as usize]].heading {
            let next = at + step;
            if !(0..=last).contains(&next) {
                break;
            }
            at = next;
        }
        self.panes[self.focus].selected = at as usize;
    }

    /// The screen is below the minimum size: it only says so.
    pub fn too_small(&self) -> bool {
        self.screen
            .is_some_and(|(w, h)| w < super::draw::MIN_WIDTH || h < super::draw::MIN_HEIGHT)
    }

    /// Quits, unless a walk holds notes no transcript has: then it asks first, and the
    /// same key again quits.
    fn quit(&mut self, armed: bool) -> Option<Effect> {
        if !armed && self.walk.as_ref().is_some_and(|w| w.unsaved()) {
            self.quit_armed = true;
            self.message = Some((
                Health::Warning,
                "the walk has notes no transcript holds: w then x saves them; q or Ctrl-C again quits without saving".into(),
            ));
            return None;
        }
        Some(Effect::Quit)
    }

    pub fn handle_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let armed = std::mem::take(&mut self.quit_armed);
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl_c || (self.too_small() && key.code == KeyCode::Char('q')) {
            return self.quit(armed);
        }
        if self.too_small() {
            return None;
        }
        if armed && action_for(&key) == Some(Action::Quit) && self.mode == Mode::Normal {
            return self.quit(armed);
        }
        match self.mode {
            Mode::Filter | Mode::Command => return self.edit_input(key),
            Mode::Choose => return self.handle_chooser_key(key),
            Mode::Walk => return self.handle_walk_key(key),
            Mode::Confirm => return self.handle_confirm_key(key),
            Mode::Help => {
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('?') | KeyCode::Enter => {
                        self.mode = Mode::Normal
                    }
                    KeyCode::Char('j') | KeyCode::Down => {
                        self.help_scroll = self.help_scroll.saturating_add(1)
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        self.help_scroll = self.help_scroll.saturating_sub(1)
                    }
                    KeyCode::PageDown => self.help_scroll = self.help_scroll.saturating_add(10),
                    KeyCode::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
                    _ => {}
                }
                return None;
            }
            Mode::Text => {
                let Some(view) = self.text.as_mut() else {
                    self.mode = Mode::Normal;
                    return None;
                };
                if view.handle_key(key) == TextKey::Close {
                    self.text = None;
                    self.mode = self.text_return;
                    return Some(Effect::CloseText);
                }
                return None;
            }
            Mode::Findings => {
                match action_for(&key) {
                    Some(Action::WalkThis) => return self.walk_this(),
                    Some(Action::Walk) => {
                        self.open_chooser();
                        return None;
                    }
                    _ => {}
                }
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('f') => {
                        self.mode = Mode::Normal
                    }
                    KeyCode::Char('j') | KeyCode::Down => {
                        self.findings_selected =
                            (self.findings_selected + 1).min(self.findings.len().saturating_sub(1));
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        self.findings_selected = self.findings_selected.saturating_sub(1)
                    }
                    KeyCode::Enter => {
                        if let Some(f) = self.findings.get(self.findings_selected) {
                            let kind = DETAIL_KINDS.iter().find(|k| **k == f.object.kind);
                            match kind {
                                Some(kind) => {
                                    self.detail = Some(ObjectRef {
                                        kind: *kind,
                                        namespace: f.object.namespace.clone(),
                                        name: f.object.name.clone(),
                                    });
                                    self.detail_scroll = 0;
                                    self.mode = Mode::Detail;
                                }
                                None => {
                                    self.message = Some((
                                        Health::Info,
                                        format!(
                                            "{} {} has no detail view: its finding says it all",
                                            f.object.kind, f.object.name
                                        ),
                                    ));
                                }
                            }
                        }
                    }
                    _ => {}
                }
                return None;
            }
            Mode::Detail => {
                if let Some(action @ (Action::Yaml | Action::Events | Action::Logs)) =
                    action_for(&key)
                    && let Some(target) = self.detail.clone()
                {
                    return self.open_text(action, target, Mode::Detail);
                }
                match action_for(&key) {
                    Some(Action::WalkThis) => return self.walk_this(),
                    Some(Action::Walk) => {
                        self.open_chooser();
                        return None;
                    }
                    Some(
                        a @ (Action::Reconcile
                        | Action::ReconcileWithSource
                        | Action::Suspend
                        | Action::BackupNow),
                    ) => {
                        let t = self.detail.clone()?;
                        let verb = Self::verb_for(a, t.kind)?;
                        return self.propose_action(
                            verb,
                            crate::model::ObjectRef::new(t.kind, &t.namespace, &t.name),
                        );
                    }
                    _ => {}
                }
                match key.code {
                    KeyCode::Esc | KeyCode::Char('q') | KeyCode::Backspace => {
                        self.mode = Mode::Normal;
                        self.detail = None;
                    }
                    KeyCode::Char('j') | KeyCode::Down => {
                        self.detail_scroll = self.detail_scroll.saturating_add(1)
                    }
                    KeyCode::Char('k') | KeyCode::Up => {
                        self.detail_scroll = self.detail_scroll.saturating_sub(1)
                    }
                    KeyCode::PageDown => self.detail_scroll = self.detail_scroll.saturating_add(10),
                    KeyCode::PageUp => self.detail_scroll = self.detail_scroll.saturating_sub(10),
                    _ => {}
                }
                return None;
            }
            Mode::Normal => {}
        }
        let action = action_for(&key)?;
        self.message = None;
        match action {
            Action::Quit => return self.quit(armed),
            Action::NextPane => self.focus = (self.focus + 1) % PANES,
            Action::PrevPane => self.focus = (self.focus + PANES - 1) % PANES,
            Action::FocusPane(i) => self.focus = i.min(PANES - 1),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-10),
            Action::PageDown => self.move_selection(10),
            Action::Home => {
                self.panes[self.focus].selected = 0;
                self.move_selection(0);
            }
            Action::End => self.move_selection(isize::MAX / 2),
            Action::Filter => {
                self.mode = Mode::Filter;
                self.input = self.panes[self.focus].filter.clone();
            }
            Action::Command => {
                self.mode = Mode::Command;
                self.input.clear();
            }
            Action::Help => {
                self.help_scroll = 0;
                self.mode = Mode::Help;
            }
            Action::Open => {
                if let Some(target) = self.selected_row().and_then(|r| r.target()) {
                    self.detail = Some(target);
                    self.detail_scroll = 0;
                    self.mode = Mode::Detail;
                }
            }
            Action::Back => {
                if !self.panes[self.focus].filter.is_empty() {
                    self.panes[self.focus].filter.clear();
                    self.panes[self.focus].selected = 0;
                }
            }
            Action::Yaml | Action::Events | Action::Logs => {
                let target = self.selected_row().and_then(|r| r.target());
                return match target {
                    Some(t) => self.open_text(action, t, Mode::Normal),
                    None => {
                        self.message = Some((Health::Info, "select a row first".into()));
                        None
                    }
                };
            }
            Action::Findings => {
                if self.extras.is_none() {
                    self.message = Some((Health::Info, "the findings are being gathered…".into()));
                } else {
                    self.findings_selected = self
                        .findings_selected
                        .min(self.findings.len().saturating_sub(1));
                    self.mode = Mode::Findings;
                }
            }
            Action::Walk => self.open_chooser(),
            Action::Reconcile
            | Action::ReconcileWithSource
            | Action::Suspend
            | Action::BackupNow => return self.act_on_row(action),
            Action::WalkThis => return self.walk_this(),
            Action::NextTheme => {
                self.theme = self.theme.next_builtin();
                self.message = Some((Health::Info, format!("theme: {}", self.theme.name)));
            }
        }
        None
    }

    fn open_text(&mut self, action: Action, target: ObjectRef, from: Mode) -> Option<Effect> {
        self.next_text_id += 1;
        let id = self.next_text_id;
        let what = format!("{} {}/{}", target.kind, target.namespace, target.name);
        let (kind, title, effect) = match action {
            Action::Yaml => (
                TextKind::Yaml,
                format!("YAML of {what}"),
                Effect::Yaml { id, target },
            ),
            Action::Events => (
                TextKind::Events,
                format!("Events of {what}"),
                Effect::Events { id, target },
            ),
            _ => match self.log_target(&target) {
                Ok((namespace, pod, container)) => (
                    TextKind::Logs,
                    format!("Logs of {namespace}/{pod} ({container})"),
                    Effect::Logs {
                        id,
                        namespace,
                        pod,
                        container,
                    },
                ),
                Err(why) => {
                    self.message = Some((Health::Info, why));
                    return None;
                }
            },
        };
        self.text = Some(TextView::new(id, kind, title));
        self.text_return = from;
        self.mode = Mode::Text;
        Some(effect)
    }

    /// Which container's log tells about `target`: the plugin's own container for its pods,
    /// the plugin-barman-cloud sidecar of the instance a backup ran on (or of the primary),
    /// the Flux controller that reconciles a Flux object.
    pub fn log_target(&self, target: &ObjectRef) -> Result<(String, String, String), String> {
        let s = &self.snapshot;
        let pod_in = |ns: &str, name: &str| {
            s.pods
                .rows
                .iter()
                .find(|p| p.namespace == ns && p.name == name)
                .cloned()
        };
        let sidecar = |ns: &str, pod: &str| -> Result<(String, String, String), String> {
            match pod_in(ns, pod) {
                Some(p) if p.images.iter().any(|(c, _)| c == SIDECAR) => {
                    Ok((ns.into(), pod.into(), SIDECAR.into()))
                }
                Some(p) => Ok((
                    ns.into(),
                    pod.into(),
                    p.images.first().map(|(c, _)| c.clone()).unwrap_or_default(),
                )),
                None => Err(format!(
                    "pod {ns}/{pod} is not in view (deleted, or outside the namespace scope)"
                )),
            }
        };
        match target.kind {
            Kind::Pod => {
                let p = pod_in(&target.namespace, &target.name).ok_or("the pod is gone")?;
                let container = ["barman-cloud", "manager", SIDECAR]
                    .iter()
                    .find(|c| p.images.iter().any(|(n, _)| n == *c))
                    .map(|c| c.to_string())
                    .or_else(|| p.images.first().map(|(c, _)| c.clone()))
                    .ok_or("the pod has no container")?;
                Ok((p.namespace.clone(), p.name.clone(), container))
            }
            Kind::Backup => {
                let b = s
                    .backups
                    .rows
                    .iter()
                    .find(|b| b.namespace == target.namespace && b.name == target.name)
                    .ok_or("the backup is gone")?;
                match &b.pod {
                    Some(pod) => sidecar(&b.namespace, pod),
                    None => Err(
                        "this backup has not run on an instance yet (no status.instanceID.podName)"
                            .into(),
                    ),
                }
            }
            Kind::Cluster => {
                let c = s
                    .clusters
                    .rows
                    .iter()
                    .find(|c| c.namespace == target.namespace && c.name == target.name)
                    .ok_or("the cluster is gone")?;
                let primary = c
                    .primary
                    .clone()
                    .ok_or("the cluster reports no primary yet")?;
                sidecar(&c.namespace, &primary)
            }
            Kind::ObjectStore => {
                let user = s
                    .clusters
                    .rows
                    .iter()
                    .find(|c| {
                        c.namespace == target.namespace
                            && c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
                                == Some(target.name.as_str())
                    })
                    .ok_or("no Cluster uses this ObjectStore, so no sidecar writes to it")?;
                let primary = user
                    .primary
                    .clone()
                    .ok_or("its cluster reports no primary yet")?;
                sidecar(&user.namespace, &primary)
            }
            Kind::Kustomization | Kind::GitRepository => {
                let controller = if target.kind == Kind::Kustomization {
                    "kustomize-controller"
                } else {
                    "source-controller"
                };
                let p = s
                    .pods
                    .rows
                    .iter()
                    .find(|p| p.labels.get("app").map(String::as_str) == Some(controller))
                    .ok_or_else(|| format!("no {controller} pod in view: Flux logs live in its namespace (flux-system)"))?;
                Ok((p.namespace.clone(), p.name.clone(), "manager".into()))
            }
            other => Err(format!("no log for a {other}")),
        }
    }

    /// A fetched YAML or event list arrived.
    pub fn text_loaded(&mut self, id: u64, result: Result<Vec<String>, String>) {
        if let Some(view) = self.text.as_mut().filter(|v| v.id == id) {
            match result {
                Ok(lines) => view.set_lines(lines),
                Err(e) => view.status = TextStatus::Failed(e),
            }
        }
    }

    pub fn log_chunk(&mut self, id: u64, chunk: LogChunk) {
        if let Some(view) = self.text.as_mut().filter(|v| v.id == id) {
            match chunk {
                LogChunk::Lines(lines) => view.push_lines(lines),
                LogChunk::End(why) => view.status = TextStatus::Ended(why),
            }
        }
    }

    fn edit_input(&mut self, key: KeyEvent) -> Option<Effect> {
        let filtering = self.mode == Mode::Filter;
        match key.code {
            KeyCode::Esc => {
                if filtering {
                    self.panes[self.focus].filter.clear();
                }
                self.input.clear();
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                self.mode = Mode::Normal;
                let input = std::mem::take(&mut self.input);
                if !filtering {
                    return self.command(input.trim());
                }
            }
            KeyCode::Backspace => {
                self.input.pop();
            }
            KeyCode::Char(c) => self.input.push(c),
            _ => {}
        }
        if self.mode == Mode::Filter || (filtering && key.code == KeyCode::Enter) {
            // The filter applies as it is typed, like k9s.
            let text = if self.mode == Mode::Filter {
                self.input.clone()
            } else {
                self.panes[self.focus].filter.clone()
            };
            self.panes[self.focus].filter = text;
            self.panes[self.focus].selected = 0;
            self.move_selection(0);
        }
        None
    }

    fn command(&mut self, line: &str) -> Option<Effect> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("");
        let arg = words.next();
        match (verb, arg) {
            ("q!", _) => Some(Effect::Quit),
            ("q" | "quit", _) => self.quit(false),
            ("ns" | "namespace", Some("all" | "-A")) => Some(Effect::Namespace(None)),
            ("ns" | "namespace", Some(ns)) => Some(Effect::Namespace(Some(ns.to_string()))),
            ("ctx" | "context", Some(_)) if self.location.demo => {
                self.message = Some((
                    Health::Warning,
                    "the demo runs its own cluster: there is no other context to switch to".into(),
                ));
                None
            }
            ("ctx" | "context", Some(ctx)) => Some(Effect::Context(ctx.to_string())),
            ("", _) => None,
            _ => {
                self.message = Some((
                    Health::Warning,
                    format!("unknown command ':{line}': try :ns NAME, :ns all, :ctx NAME or :q"),
                ));
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app() -> App {
        App::new(
            Location {
                context: "ctx".into(),
                server: "https://k".into(),
                namespace: None,
                demo: false,
            },
            Theme::no_color(),
            Utc::now(),
        )
    }

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn tab_and_digits_move_focus() {
        let mut a = app();
        a.handle_key(key(KeyCode::Tab));
        assert_eq!(a.focus, 1);
        a.handle_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        a.handle_key(KeyEvent::new(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(a.focus, 3);
        a.handle_key(key(KeyCode::Char('2')));
        assert_eq!(a.focus, 1);
    }

    #[test]
    fn commands_become_effects_and_mistakes_a_message() {
        let mut a = app();
        let run = |a: &mut App, line: &str| {
            a.handle_key(key(KeyCode::Char(':')));
            for c in line.chars() {
                a.handle_key(key(KeyCode::Char(c)));
            }
            a.handle_key(key(KeyCode::Enter))
        };
        assert_eq!(
            run(&mut a, "ns orders"),
            Some(Effect::Namespace(Some("orders".into())))
        );
        assert_eq!(run(&mut a, "ns all"), Some(Effect::Namespace(None)));
        assert_eq!(run(&mut a, "q"), Some(Effect::Quit));
        assert_eq!(run(&mut a, "frobnicate"), None);
        assert!(
            a.message
                .as_ref()
                .is_some_and(|(_, m)| m.contains("unknown command"))
        );
        assert_eq!(a.mode, Mode::Normal);
    }

    #[test]
    fn q_quits_but_not_while_typing_a_filter() {
        let mut a = app();
        a.handle_key(key(KeyCode::Char('/')));
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), None);
        assert_eq!(a.panes[0].filter, "q");
        a.handle_key(key(KeyCode::Esc));
        assert_eq!(a.panes[0].filter, "");
        assert_eq!(a.handle_key(key(KeyCode::Char('q'))), Some(Effect::Quit));
    }
}
