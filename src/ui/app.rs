//! The dashboard's state and its one entry point: `update` takes a `Msg` (a key, data, a
//! verdict, a read or an action's outcome) and returns the `Cmd`s it asks the runtime to
//! perform. No IO here. The panes' data lives in `Board`, each overlay's state in its own
//! file under `overlays/`; this file routes keys and carries out what they ask (`Do`).

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use super::board::{Board, PANES};
use super::keys::{Action, GLOBAL_BINDINGS, GlobalAction, action_for, action_in};
use super::msg::{Cmd, Msg};
use super::overlays::chooser::Chooser;
use super::overlays::confirm::{self, Running};
use super::overlays::detail::{self, Detail};
use super::overlays::findings::Findings;
use super::overlays::help::Help;
use super::overlays::input::{Input, InputKind};
use super::overlays::restore_drill::DrillRun;
use super::overlays::text::{TextKind, TextStatus, TextView, event_lines};
use super::overlays::walk::{self, WalkView};
use super::overlays::{Ctx, Do, Mode, Overlay, connect_error};
use super::panes::Health;
pub use super::settings::{Location, Settings};
use super::theme::Theme;
use crate::actions::exec::Progress;
use crate::cluster::connect::ConnectError;
use crate::cluster::fetch::LogChunk;
use crate::model::ObjectRef;
use crate::model::log_source::log_source;

/// The smallest screen the dashboard draws on; below it, it only says so.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

pub struct App {
    pub location: Location,
    pub settings: Settings,
    pub board: Board,
    /// What is open over the panes, the top one having the keys.
    pub overlays: Vec<Overlay>,
    /// The walk in progress, kept when the walker is left.
    pub walk: Option<WalkView>,
    pub running: Option<Running>,
    /// The restore drill under way, or the last one (its view shown again with D).
    pub drill: Option<DrillRun>,
    /// A quit waits for the stopped drill's teardown, since then.
    pub quit_after_drill: Option<DateTime<Utc>>,
    pub theme: Theme,
    /// One line for the footer: what just happened or went wrong.
    pub message: Option<(Health, String)>,
    /// The terminal's size, once known: below the minimum no key but quit does anything.
    pub screen: Option<(u16, u16)>,
    /// No cluster could be reached: the error screen instead of the panes.
    pub connect_error: Option<ConnectError>,
    /// A quit was asked while a walk had unsaved notes: the next quit goes through.
    quit_armed: bool,
    next_text_id: u64,
}

/// What an overlay reads, from the App's fields (so that an overlay or the walk may be
/// borrowed mutably beside it).
macro_rules! ctx {
    ($app:expr, $walk:expr) => {
        Ctx {
            board: &$app.board,
            settings: &$app.settings,
            theme: &$app.theme,
            location: &$app.location,
            walk: $walk,
            drill: $app.drill.as_ref(),
        }
    };
}

impl App {
    pub fn new(location: Location, theme: Theme, now: DateTime<Utc>, settings: Settings) -> App {
        let mut app = App {
            board: Board::new(now, &settings.thresholds),
            location,
            settings,
            overlays: Vec::new(),
            walk: None,
            running: None,
            drill: None,
            quit_after_drill: None,
            theme,
            message: None,
            screen: None,
            connect_error: None,
            quit_armed: false,
            next_text_id: 0,
        };
        app.settings.read_only = app.read_only_here();
        app
    }

    fn read_only_here(&self) -> bool {
        let s = &self.settings;
        s.read_only_everywhere || s.read_only_contexts.contains(&self.location.context)
    }

    /// Which view has the keys.
    pub fn mode(&self) -> Mode {
        self.overlays.last().map_or(Mode::Normal, Overlay::mode)
    }

    /// What an overlay or the draw code reads.
    pub fn ctx(&self) -> Ctx<'_> {
        ctx!(self, self.walk.as_ref())
    }

    /// The screen is below the minimum size: it only says so.
    pub fn too_small(&self) -> bool {
        self.screen
            .is_some_and(|(w, h)| w < MIN_WIDTH || h < MIN_HEIGHT)
    }

    /// The one way in: what happened, and the IO it calls for.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        let th = &self.settings.thresholds;
        match msg {
            Msg::Key(key) => return self.handle_key(&key),
            Msg::Resize(w, h) => self.screen = Some((w, h)),
            Msg::Tick(now) => {
                let moved = self.board.tick(now, th);
                if self.quit_wait_over() {
                    return vec![Cmd::Quit];
                }
                if moved {
                    return self.assess();
                }
            }
            Msg::Data(s) => {
                self.board.set_rows(*s, th);
                return self.assess();
            }
            Msg::Extras(extras) => {
                self.board.set_extras(*extras, th);
                let mut cmds = self.walk_gathered();
                cmds.extend(self.assess());
                return cmds;
            }
            Msg::Proofs(proofs) => {
                self.board.set_proofs(proofs, th);
                return self.assess();
            }
            Msg::Verdict(outcome, took) => {
                let silence = &self.settings.silence;
                self.board.set_outcome(outcome, took, silence, th);
            }
            Msg::Text { id, lines } => {
                if let Some(view) = self.text_view(id) {
                    match lines {
                        Ok(lines) => view.set_lines(lines),
                        Err(e) => view.status = TextStatus::Failed(e),
                    }
                }
            }
            Msg::Events { id, events } => {
                let now = self.board.now;
                if let Some(view) = self.text_view(id) {
                    match events {
                        Ok(events) => view.set_lines(event_lines(&events, now)),
                        Err(e) => view.status = TextStatus::Failed(e),
                    }
                }
            }
            Msg::Log { id, chunk } => {
                if let Some(view) = self.text_view(id) {
                    match chunk {
                        LogChunk::Lines(lines) => view.push_lines(lines),
                        LogChunk::End(why) => view.status = TextStatus::Ended(why),
                    }
                }
            }
            Msg::Access(result) => {
                if let Some(Overlay::Confirm(c)) = self
                    .overlays
                    .iter_mut()
                    .rev()
                    .find(|o| matches!(o, Overlay::Confirm(_)))
                {
                    c.access = Some(result);
                }
            }
            Msg::Progress(p) => return self.action_progress(p),
            Msg::ServerVersion(v) => self.board.server_status = Some(v),
            Msg::TranscriptSaved(result) => {
                self.message = Some(match &result {
                    Ok(p) => (Health::Ok, format!("transcript saved to {}", p.display())),
                    Err(e) => (Health::Critical, format!("transcript not saved: {e}")),
                });
                if let Some(v) = self.walk.as_mut() {
                    v.saved(result);
                }
            }
            Msg::Note(h, text) => self.message = Some((h, text)),
            Msg::Scope(ns) => {
                self.location.namespace = ns;
                self.board.forget(th);
            }
            Msg::Connected(location) => {
                self.location = location;
                self.settings.read_only = self.read_only_here();
                self.connect_error = None;
                self.board.server_status = None;
                self.board.forget(th);
            }
            Msg::ConnectFailed(e) => self.connect_error = Some(e),
            m @ (Msg::RestorePlanned { .. }
            | Msg::PlanWritten(_)
            | Msg::DrillPrepared { .. }
            | Msg::DrillLines(_)
            | Msg::DrillDone(_)) => return self.restore_msg(m),
        }
        vec![]
    }

    /// The rules' run on the data as it stands, once the extra kinds are in.
    fn assess(&self) -> Vec<Cmd> {
        self.board
            .rules_input(&self.settings.thresholds)
            .map(|input| Cmd::Assess(Box::new(input)))
            .into_iter()
            .collect()
    }

    fn text_view(&mut self, id: u64) -> Option<&mut TextView> {
        self.overlays.iter_mut().find_map(|o| match o {
            Overlay::Text(v) if v.id == id => Some(v),
            _ => None,
        })
    }

    fn handle_key(&mut self, key: &KeyEvent) -> Vec<Cmd> {
        let armed = std::mem::take(&mut self.quit_armed);
        if self.connect_error.is_some() {
            return vec![connect_error::handle_key(key, self.settings.from_fleet)];
        }
        let global_quit = action_in(GLOBAL_BINDINGS, key) == Some(GlobalAction::Quit);
        if global_quit && let Some(dos) = self.ctrl_c_in_drill() {
            return self.apply(dos);
        }
        let quit_key = global_quit
            || (action_for(key) == Some(Action::Quit)
                && matches!(self.mode(), Mode::Normal)
                && (armed || self.too_small()));
        if quit_key {
            return self.quit(armed);
        }
        if self.settings.from_fleet && self.at_base() && action_for(key) == Some(Action::Back) {
            return self.leave(armed);
        }
        if self.too_small() {
            return vec![];
        }
        let dos = match self.overlays.last_mut() {
            None => self.key_in_panes(key),
            Some(Overlay::Drill) => self.key_in_drill(key),
            Some(Overlay::Walk) => {
                let ctx = ctx!(self, None);
                match self.walk.as_mut() {
                    Some(w) => w.handle_key(key, &ctx),
                    None => vec![Do::Close],
                }
            }
            Some(top) => top.handle_key(key, &ctx!(self, self.walk.as_ref())),
        };
        if !dos.is_empty() {
            self.message = None;
        }
        self.apply(dos)
    }

    /// Quits, unless a walk holds notes no transcript has: then it asks first, and the
    /// same key again quits.
    pub(super) fn quit(&mut self, armed: bool) -> Vec<Cmd> {
        if let Some(cmds) = self.quit_during_drill() {
            return cmds;
        }
        if self.walk_asks_first(armed, "q or Ctrl-C again quits without saving") {
            return vec![];
        }
        vec![Cmd::Quit]
    }

    /// A walk holding notes no transcript has asks before it is left: says so and arms the
    /// key (`again` says what pressing it again does). True when it asked.
    fn walk_asks_first(&mut self, armed: bool, again: &str) -> bool {
        if armed || !self.walk.as_ref().is_some_and(|w| w.unsaved()) {
            return false;
        }
        self.quit_armed = true;
        self.message = Some((
            Health::Warning,
            format!("the walk has notes no transcript holds: w then x saves them; {again}"),
        ));
        true
    }

    /// The panes with nothing over them and no filter to clear: where Esc has nothing left
    /// to close.
    fn at_base(&self) -> bool {
        self.overlays.is_empty()
            && !self.too_small()
            && self.board.panes[self.board.focus].filter.is_empty()
    }

    /// Back to the fleet screen. A running drill is not left behind (its namespace would
    /// be), and a walk's unsaved notes are asked about first, as a quit asks.
    fn leave(&mut self, armed: bool) -> Vec<Cmd> {
        if let Some(d) = self.drill.as_ref().filter(|d| d.running()) {
            self.message = Some((
                Health::Warning,
                format!(
                    "a restore drill is running in namespace {}: D then x stops it (and deletes the namespace); Esc goes back to the fleet once it has ended",
                    d.namespace
                ),
            ));
            return vec![];
        }
        if self.walk_asks_first(armed, "Esc again goes back to the fleet without saving") {
            return vec![];
        }
        vec![Cmd::Leave]
    }

    fn key_in_panes(&mut self, key: &KeyEvent) -> Vec<Do> {
        let Some(action) = action_for(key) else {
            return vec![];
        };
        self.message = None;
        let b = &mut self.board;
        match action {
            Action::Quit => return self.quit(false).into_iter().map(Do::Cmd).collect(),
            Action::NextPane => b.focus = (b.focus + 1) % PANES,
            Action::PrevPane => b.focus = (b.focus + PANES - 1) % PANES,
            Action::FocusPane(i) => b.focus = i.min(PANES - 1),
            Action::Up => b.move_selection(-1),
            Action::Down => b.move_selection(1),
            Action::PageUp => b.move_selection(-10),
            Action::PageDown => b.move_selection(10),
            Action::Home => {
                b.panes[b.focus].selected = 0;
                b.move_selection(0);
                b.panes[b.focus].chosen = false;
            }
            Action::End => b.move_selection(isize::MAX / 2),
            Action::Filter => {
                let text = b.panes[b.focus].filter.clone();
                return vec![Do::Push(Overlay::Input(Input {
                    kind: InputKind::Filter,
                    text,
                }))];
            }
            Action::Command => {
                return vec![Do::Push(Overlay::Input(Input {
                    kind: InputKind::Command,
                    text: String::new(),
                }))];
            }
            Action::Help => return vec![Do::Push(Overlay::Help(Help::default()))],
            Action::Open => {
                if let Some(d) = b.selected_object().and_then(Detail::of) {
                    return vec![Do::Push(Overlay::Detail(d))];
                }
            }
            Action::Back => {
                if !b.panes[b.focus].filter.is_empty() {
                    return vec![Do::Filter(String::new())];
                }
            }
            Action::Findings if b.extras.is_none() => {
                return vec![Do::Say(
                    Health::Info,
                    "the findings are being gathered…".into(),
                )];
            }
            Action::Findings => return vec![Do::Push(Overlay::Findings(Findings::default()))],
            Action::Alerts => return vec![crate::ui::overlays::alerts::open(b)],
            Action::Walk => return vec![Do::Choose],
            Action::RestoreDrill => {
                let selected = b.selected_object();
                return self.drill_key(selected.as_ref());
            }
            Action::Bundle => return vec![Do::Cmd(self.bundle())],
            Action::NextTheme => {
                self.theme = self.theme.next_builtin();
                return vec![Do::Say(Health::Info, format!("theme: {}", self.theme.name))];
            }
            _ => {
                return match b.selected_object() {
                    Some(target) => vec![Do::OnObject(action, target)],
                    None if action == Action::WalkThis => vec![Do::Say(
                        Health::Info,
                        "select a row or a finding first, or press w to choose a tree".into(),
                    )],
                    None => vec![Do::Say(Health::Info, "select a row first".into())],
                };
            }
        }
        vec![]
    }

    /// Carries out what keys asked for.
    fn apply(&mut self, dos: Vec<Do>) -> Vec<Cmd> {
        let mut cmds = Vec::new();
        for d in dos {
            let more = match d {
                Do::Close => {
                    self.overlays.pop();
                    vec![]
                }
                Do::Push(o) => {
                    self.overlays.push(o);
                    vec![]
                }
                Do::Cmd(c) => {
                    cmds.push(c);
                    vec![]
                }
                Do::Say(h, text) => {
                    self.message = Some((h, text));
                    vec![]
                }
                Do::OnObject(action, target) => self.on_object(action, target),
                Do::WalkThis { subject, codes } => self.walk_this(subject, codes),
                Do::Choose => vec![Do::Push(Overlay::Chooser(Chooser::default()))],
                Do::StartWalk { index, training } => self.start_walk(index, None, training),
                Do::ResumeWalk => vec![Do::Push(Overlay::Walk)],
                Do::Filter(text) => {
                    self.board.set_filter(text);
                    vec![]
                }
                Do::Command(line) => self.command(line.trim()),
                Do::Propose(verb, target) => {
                    let ctx = ctx!(self, self.walk.as_ref());
                    confirm::propose(verb, &target, &ctx, self.running.as_ref())
                }
                Do::ProposeDrill(cluster, target) => self.propose_drill(cluster, target),
                Do::StartDrill(start) => self.start_drill(start),
                Do::Retarget(text) => self.retarget(&text),
                Do::Run(plan) => {
                    self.running = Some(Running {
                        plan: plan.clone(),
                        status: "starting".into(),
                    });
                    cmds.push(Cmd::RunAction(plan));
                    vec![]
                }
            };
            cmds.extend(self.apply(more));
        }
        cmds
    }

    /// A panes key on an object: from its row, or from its detail view.
    fn on_object(&mut self, action: Action, target: ObjectRef) -> Vec<Do> {
        match action {
            Action::Yaml | Action::Events | Action::Logs => self.open_text(action, target),
            Action::Walk => vec![Do::Choose],
            Action::WalkThis => {
                let codes = self.board.findings_about(&target).map(|f| f.code).collect();
                self.walk_this(target, codes)
            }
            Action::RestorePlan => self.open_plan(&target),
            Action::RestoreDrill => self.drill_key(Some(&target)),
            _ if self.settings.read_only => vec![confirm::read_only()],
            _ => match confirm::verb_for(action, target.kind) {
                Some(verb) => vec![Do::Propose(verb, target)],
                None => vec![],
            },
        }
    }

    fn open_text(&mut self, action: Action, target: ObjectRef) -> Vec<Do> {
        self.next_text_id += 1;
        let id = self.next_text_id;
        let what = target.display();
        let (kind, title, cmd) = match action {
            Action::Yaml => (
                TextKind::Yaml,
                format!("YAML of {what}"),
                Cmd::Yaml { id, target },
            ),
            Action::Events => (
                TextKind::Events,
                format!("Events of {what}"),
                Cmd::Events { id, target },
            ),
            _ => match log_source(&self.board.snapshot, &target) {
                Ok(src) => (
                    TextKind::Logs,
                    format!("Logs of {}/{} ({})", src.namespace, src.pod, src.container),
                    Cmd::Logs {
                        id,
                        namespace: src.namespace,
                        pod: src.pod,
                        container: src.container,
                    },
                ),
                Err(why) => return vec![Do::Say(Health::Info, why)],
            },
        };
        vec![
            Do::Push(Overlay::Text(TextView::new(id, kind, title))),
            Do::Cmd(cmd),
        ]
    }

    /// "Walk this": the tree that fits the object and its findings, about it.
    fn walk_this(&mut self, subject: ObjectRef, codes: Vec<&'static str>) -> Vec<Do> {
        match crate::trees::fitting(&self.settings.trees, &codes, subject.kind) {
            Some((index, why)) => {
                let mut dos = self.start_walk(index, Some(subject), false);
                if let Some(v) = &self.walk {
                    dos.push(Do::Say(
                        Health::Info,
                        format!("walking \"{}\": {why}", v.walk.tree.title),
                    ));
                }
                dos
            }
            None => vec![Do::Say(
                Health::Info,
                format!(
                    "no tree fits a {}: press w to choose one",
                    if detail::KINDS.contains(&subject.kind) {
                        subject.kind.name()
                    } else {
                        "row like this"
                    }
                ),
            )],
        }
    }

    /// Starts a walk of `trees[index]`; its first check runs on fresh facts.
    fn start_walk(&mut self, index: usize, context: Option<ObjectRef>, training: bool) -> Vec<Do> {
        let Some(tree) = self.settings.trees.get(index).cloned() else {
            return vec![];
        };
        self.walk = Some(WalkView::start(tree, context, training, self.board.now));
        // One walker on screen: it replaces whatever led to it.
        self.overlays.clear();
        let gather = walk::gather(&self.ctx());
        vec![Do::Push(Overlay::Walk), Do::Cmd(gather)]
    }

    /// Fresh facts arrived: a walk's check waiting for them runs.
    fn walk_gathered(&mut self) -> Vec<Cmd> {
        let ctx = ctx!(self, None);
        let dos = match self.walk.as_mut() {
            Some(w) => w.gathered(&ctx),
            None => vec![],
        };
        self.apply(dos)
    }

    fn command(&mut self, line: &str) -> Vec<Do> {
        let mut words = line.split_whitespace();
        let verb = words.next().unwrap_or("");
        let arg = words.next();
        let cmd = match (verb, arg) {
            ("q!", _) => return self.quit(true).into_iter().map(Do::Cmd).collect(),
            ("q" | "quit", _) => return self.quit(false).into_iter().map(Do::Cmd).collect(),
            ("ns" | "namespace", Some("all" | "-A")) => Cmd::Namespace(None),
            ("ns" | "namespace", Some(ns)) => Cmd::Namespace(Some(ns.to_string())),
            ("ctx" | "context", Some(_)) if self.location.demo => {
                return vec![Do::Say(
                    Health::Warning,
                    "the demo runs its own cluster: there is no other context to switch to".into(),
                )];
            }
            ("ctx" | "context", Some(ctx)) => Cmd::Context(Some(ctx.to_string())),
            ("", _) => return vec![],
            _ => {
                return vec![Do::Say(
                    Health::Warning,
                    format!("unknown command ':{line}': try :ns NAME, :ns all, :ctx NAME or :q"),
                )];
            }
        };
        vec![Do::Cmd(cmd)]
    }

    /// Progress of the running action. Its outcome goes on the record: the walk in
    /// progress, or the session's action log.
    fn action_progress(&mut self, progress: Progress) -> Vec<Cmd> {
        let Some(running) = self.running.as_mut() else {
            return vec![];
        };
        let outcome = match progress {
            Progress::Step(s) => {
                running.status = s;
                return vec![];
            }
            Progress::Done(outcome) => outcome,
        };
        let Some(running) = self.running.take() else {
            return vec![];
        };
        let (health, result) = match &outcome {
            Ok(s) => (Health::Ok, s.clone()),
            Err(e) => (Health::Critical, e.clone()),
        };
        self.message = Some((health, format!("{}: {result}", running.plan.command())));
        let line = format!(
            "{} {} → {}",
            self.board.now.format("%Y-%m-%dT%H:%M:%SZ"),
            running.plan.command(),
            match &outcome {
                Ok(s) => format!("ok: {s}"),
                Err(e) => format!("failed: {e}"),
            }
        );
        match self.walk.as_mut() {
            Some(v) => {
                v.walk.record_action(line);
                vec![]
            }
            None => vec![Cmd::LogAction(format!(
                "[{}] {line}",
                self.location.context
            ))],
        }
    }

    /// The transcript of a walk whose notes would be lost (the dashboard is ending on a
    /// signal, with nobody to ask).
    pub fn rescue_transcript(&mut self) -> Option<Cmd> {
        let ctx = ctx!(self, None);
        self.walk.as_mut()?.rescue(&ctx)
    }

    /// An incident bundle of this cluster, with the walk's transcript when there is one,
    /// into the working folder (where restore plans go).
    fn bundle(&self) -> Cmd {
        let ctx = ctx!(self, self.walk.as_ref());
        let transcript = self.walk.as_ref().and_then(|w| match w.export(&ctx) {
            Cmd::SaveTranscript { markdown, .. } => Some(markdown),
            _ => None,
        });
        let dir = if self.settings.restore_files.as_os_str().is_empty() {
            std::path::PathBuf::from(".")
        } else {
            self.settings.restore_files.clone()
        };
        // The footer names where it went: a full path, whatever the working folder is.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        Cmd::Bundle(Box::new(crate::bundle::take::Take {
            source: crate::bundle::Source {
                context: self.location.context.clone(),
                server: self.location.server.clone(),
                namespace: self.location.namespace.clone(),
            },
            thresholds: self.settings.thresholds.clone(),
            silence: self.settings.silence.clone(),
            bounds: crate::bundle::logs::Bounds::default(),
            transcript,
            out: crate::bundle::take::default_output(&dir, &self.location.context, self.board.now),
        }))
    }

    /// The object a key would act on in the panes.
    pub fn selected_object(&self) -> Option<ObjectRef> {
        self.board.selected_object()
    }
}

mod restore;
#[cfg(test)]
mod tests;
