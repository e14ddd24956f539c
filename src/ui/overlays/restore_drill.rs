//! A restore drill from the dashboard: the confirm dialog (what it creates, the target,
//! the window's warnings, the same from a shell, the earlier drills' namespaces it deletes
//! first) and the live view of the running drill. The drill's state lives in the App, so
//! hiding its view does not stop it.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use serde_json::Value;

use super::{Ctx, Do};
use crate::model::ObjectRef;
use crate::restore::Target;
use crate::ui::keys::{
    DRILL_BINDINGS, DRILL_CONFIRM_BINDINGS, DrillAction, DrillConfirmAction, action_in, hints_of,
};
use crate::ui::msg::{Cmd, DrillEnd, DrillPrep, DrillStart};
use crate::ui::panes::Health;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line};

/// How long a dashboard drill waits for a healthy primary unless configured.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30 * 60);
/// The drill view keeps at most this many lines.
const LINES_CAP: usize = 5_000;

/// A drill waiting for a yes.
#[derive(Debug, Clone)]
pub struct DrillConfirm {
    pub id: u64,
    pub cluster: ObjectRef,
    pub target: Target,
    /// None while it is being planned.
    pub prep: Option<Result<Box<DrillPrep>, String>>,
    pub scroll: usize,
}

/// The command line that runs the same drill.
pub fn cli_command(cluster: &ObjectRef, target: &Target) -> String {
    let to = match target {
        Target::Latest => "--to latest".to_string(),
        Target::Time(t) => format!("--to {}", t.to_rfc3339()),
        Target::Backup(id) => format!("--backup {id}"),
    };
    format!(
        "backstop restore drill {}/{} {to} --yes",
        cluster.namespace, cluster.name
    )
}

fn clean(s: &str) -> String {
    crate::sanitize::clean_line(&crate::redact::redact(s)).into_owned()
}

impl DrillConfirm {
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        match action_in(DRILL_CONFIRM_BINDINGS, key) {
            Some(DrillConfirmAction::Run) => match self.prep.as_ref().map(|p| p.as_deref()) {
                Some(Ok(DrillPrep {
                    plan: Ok(plan),
                    leftovers,
                    access: Ok(()),
                })) => {
                    let s = ctx.settings;
                    vec![
                        Do::Close,
                        Do::StartDrill(Box::new(DrillStart {
                            plan: plan.clone(),
                            clean: leftovers.iter().map(|l| l.namespace.clone()).collect(),
                            report_dir: s.restore_files.clone(),
                            timeout: s.drill_timeout.unwrap_or(DEFAULT_TIMEOUT),
                            thresholds: s.thresholds.clone(),
                        })),
                    ]
                }
                Some(_) => vec![Do::Say(
                    Health::Warning,
                    "this drill cannot run: see why in the dialog".into(),
                )],
                None => vec![Do::Say(
                    Health::Info,
                    "still planning the drill (reading the Cluster and its bucket)…".into(),
                )],
            },
            Some(DrillConfirmAction::Cancel) => vec![
                Do::Close,
                Do::Say(Health::Info, "cancelled: nothing was created".into()),
            ],
            Some(DrillConfirmAction::Down) => {
                self.scroll = self.scroll.saturating_add(1).min(200);
                vec![]
            }
            Some(DrillConfirmAction::Up) => {
                self.scroll = self.scroll.saturating_sub(1);
                vec![]
            }
            None => vec![],
        }
    }

    /// What the dialog says, and whether the drill may run.
    fn lines(&self, t: &Theme, now: DateTime<Utc>) -> (bool, Vec<Line<'static>>) {
        let text = |s: String| Line::styled(s, t.style(Role::Text));
        let muted = |s: &str| Line::styled(s.to_string(), t.style(Role::Muted));
        let mut out = vec![text(format!(
            "Restore drill of Cluster {}/{} to {}.",
            self.cluster.namespace,
            self.cluster.name,
            self.target.describe()
        ))];
        let prep = match &self.prep {
            None => {
                out.push(Line::styled(
                    "↻ planning: reading the Cluster, its ObjectStore and what the bucket proves…",
                    t.style(Role::Syncing),
                ));
                return (false, out);
            }
            Some(Err(e)) => {
                out.push(Line::styled(
                    format!("✖ the drill cannot be planned: {}", clean(e)),
                    t.style(Role::Critical),
                ));
                return (false, out);
            }
            Some(Ok(p)) => p,
        };
        let plan = match &prep.plan {
            Ok(p) => p,
            Err(refused) => {
                for l in refused.text().lines() {
                    out.push(Line::styled(clean(l), t.style(Role::Critical)));
                }
                return (false, out);
            }
        };
        let allowed = match &prep.access {
            Ok(()) => {
                out.push(Line::styled(
                    "✔ you may: the API server allows what the drill does",
                    t.style(Role::Ok),
                ));
                true
            }
            Err(why) => {
                out.push(Line::styled(
                    format!("✖ {}", clean(why)),
                    t.style(Role::Critical),
                ));
                false
            }
        };
        for w in &plan.warnings {
            out.push(Line::styled(
                format!("WARNING: {}", clean(w)),
                t.style(Role::Warning),
            ));
        }
        if !prep.leftovers.is_empty() {
            out.push(Line::styled(
                "First it deletes what earlier drills of this Cluster left:",
                t.style(Role::Warning),
            ));
            for l in &prep.leftovers {
                out.push(text(format!("  {}", clean(&l.describe(now)))));
            }
        }
        out.push(text(format!(
            "It creates namespace {} (labelled as backstop's, expiring in {} h) holding:",
            plan.into.0,
            crate::restore::drill::TTL.num_hours()
        )));
        for o in &plan.objects {
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("object");
            let name = o
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let what = match kind {
                "Cluster" => " (the recovery: one instance, never archiving)",
                "ObjectStore" => " (a copy of the source's, to read the backups)",
                _ => "",
            };
            out.push(text(format!("  {kind} {}{what}", clean(name))));
        }
        for (secret, keys) in &plan.secrets {
            out.push(text(format!(
                "  Secret {} (a copy of keys {})",
                clean(secret),
                clean(&keys.join(", "))
            )));
        }
        out.push(text(
            "then follows it to a healthy primary, checks it, measures RTO and RPO, deletes the namespace and records the result on the source Cluster.".into(),
        ));
        out.push(muted("The same from a shell:"));
        out.push(Line::styled(
            format!("  $ {}", cli_command(&self.cluster, &self.target)),
            t.style(Role::Key),
        ));
        for l in plan.window.describe() {
            out.push(muted(&clean(&l)));
        }
        let file = format!("restore-{}.yaml", plan.into.1);
        out.push(muted(&format!(
            "By hand, with the manifests in {file} (`backstop restore plan {}/{} --into {}/{} --instances 1 -o {file}` writes them, without the drill's labels):",
            self.cluster.namespace, self.cluster.name, plan.into.0, plan.into.1
        )));
        for c in plan.commands(&file) {
            out.push(Line::styled(
                format!("  $ {}", clean(&c)),
                t.style(Role::Key),
            ));
        }
        (allowed, out)
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme, now: DateTime<Utc>) {
        let r = centered(area, 94, 94);
        f.render_widget(Clear, r);
        let (ready, lines) = self.lines(t, now);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Warning))
            .title(Span::styled(
                format!(
                    " Confirm: restore drill of {}/{} ",
                    self.cluster.namespace, self.cluster.name
                ),
                t.style(Role::Title),
            ));
        let inner = block.inner(r);
        f.render_widget(block, r);
        // The answer stays on the last line, however long what precedes it.
        let [body, answer] =
            Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(inner);
        f.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll as u16, 0)),
            body,
        );
        let answer_line = if ready {
            Line::from(vec![
                Span::styled("y", t.style(Role::Key)),
                Span::styled(" run the drill   ", t.style(Role::Text)),
                Span::styled("n / Esc", t.style(Role::Key)),
                Span::styled(" cancel   ", t.style(Role::Text)),
                Span::styled("j/k scroll", t.style(Role::Muted)),
            ])
        } else {
            Line::from(vec![
                Span::styled("y run the drill (not available)   ", t.style(Role::Muted)),
                Span::styled("n / Esc", t.style(Role::Key)),
                Span::styled(" cancel", t.style(Role::Text)),
            ])
        };
        f.render_widget(Paragraph::new(answer_line), answer);
    }
}

#[derive(Debug, Clone)]
pub enum DrillState {
    Running,
    /// Stopped by the person: tearing down.
    Stopping,
    Done(Box<DrillEnd>),
}

/// The drill under way (or the last one, until another starts).
#[derive(Debug, Clone)]
pub struct DrillRun {
    pub source: ObjectRef,
    pub namespace: String,
    pub target: Target,
    pub lines: VecDeque<String>,
    pub dropped: usize,
    pub scroll: usize,
    pub follow: bool,
    pub state: DrillState,
}

impl DrillRun {
    pub fn new(source: ObjectRef, namespace: String, target: Target) -> DrillRun {
        DrillRun {
            source,
            namespace,
            target,
            lines: VecDeque::new(),
            dropped: 0,
            scroll: 0,
            follow: true,
            state: DrillState::Running,
        }
    }

    pub fn running(&self) -> bool {
        !matches!(self.state, DrillState::Done(_))
    }

    pub fn push(&mut self, lines: Vec<String>) {
        for l in lines {
            if self.lines.len() == LINES_CAP {
                self.lines.pop_front();
                self.dropped += 1;
                self.scroll = self.scroll.saturating_sub(1);
            }
            self.lines.push_back(clean(&l));
        }
    }

    /// Stops it: the runtime cancels it and it tears down. Nothing when already ending.
    pub fn stop(&mut self) -> Vec<Do> {
        if !matches!(self.state, DrillState::Running) {
            return vec![];
        }
        self.state = DrillState::Stopping;
        vec![
            Do::Cmd(Cmd::CancelDrill),
            Do::Say(
                Health::Warning,
                format!("stopping the drill: deleting namespace {}…", self.namespace),
            ),
        ]
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        let Some(action) = action_in(DRILL_BINDINGS, key) else {
            return vec![];
        };
        let last = self.lines.len().saturating_sub(1);
        match action {
            // The footer then says how the drill goes.
            DrillAction::Hide => return vec![Do::Close],
            DrillAction::Stop => return self.stop(),
            DrillAction::Down => {
                self.follow = false;
                self.scroll = (self.scroll + 1).min(last);
            }
            DrillAction::Up => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(1);
            }
            DrillAction::PageDown => {
                self.follow = false;
                self.scroll = (self.scroll + 20).min(last);
            }
            DrillAction::PageUp => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(20);
            }
            DrillAction::Top => {
                self.follow = false;
                self.scroll = 0;
            }
            DrillAction::Bottom => {
                self.follow = true;
                self.scroll = last;
            }
        }
        vec![]
    }

    /// The footer's line about it when no view of it is open.
    pub fn status(&self) -> (Health, String) {
        let what = format!("drill of {}/{}", self.source.namespace, self.source.name);
        match &self.state {
            DrillState::Running => (
                Health::Info,
                format!(
                    "↻ {what} (D shows it): {}",
                    self.lines.back().map(String::as_str).unwrap_or("starting")
                ),
            ),
            DrillState::Stopping => (
                Health::Warning,
                format!("↻ {what}: stopping, deleting namespace {}", self.namespace),
            ),
            DrillState::Done(end) => outcome(end),
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let r = centered(area, 98, 98);
        f.render_widget(Clear, r);
        let (state, role) = match &self.state {
            DrillState::Running => ("● running".to_string(), Role::Syncing),
            DrillState::Stopping => ("stopping: tearing down".to_string(), Role::Warning),
            DrillState::Done(end) if end.passed => (end.verdict.clone(), Role::Ok),
            DrillState::Done(end) => (end.verdict.clone(), Role::Critical),
        };
        // The state first: a narrow screen cuts the title's end, never whether it runs.
        let mut title = vec![
            Span::styled(" Restore drill ", t.style(Role::Title)),
            Span::styled(format!("[{state}] "), t.style(role)),
            Span::styled(
                format!(
                    "{}/{} to {} in {} ",
                    self.source.namespace,
                    self.source.name,
                    self.target.describe(),
                    self.namespace
                ),
                t.style(Role::Title),
            ),
        ];
        if self.dropped > 0 {
            title.push(Span::styled(
                format!("({} earlier lines dropped) ", self.dropped),
                t.style(Role::Muted),
            ));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(Line::from(title));
        let inner = block.inner(r);
        f.render_widget(block, r);
        let height = inner.height as usize;
        let width = (inner.width as usize).max(1);
        let mut extra: Vec<String> = Vec::new();
        if let DrillState::Done(end) = &self.state {
            extra.push(outcome(end).1);
            if let Some(r) = &end.remedy {
                extra.push(clean(r));
            }
            extra.push(format!("teardown: {}", clean(&end.teardown)));
        }
        let all: Vec<(&String, bool)> = self
            .lines
            .iter()
            .map(|l| (l, false))
            .chain(extra.iter().map(|l| (l, true)))
            .collect();
        // Following, the newest lines (and the outcome) fill the view from the bottom,
        // each taking the rows it wraps to.
        let top = if self.follow {
            let mut rows = 0;
            let mut top = all.len();
            for (l, _) in all.iter().rev() {
                let needed = l.chars().count().div_ceil(width).max(1);
                if rows + needed > height {
                    break;
                }
                rows += needed;
                top -= 1;
            }
            top
        } else {
            self.scroll.min(all.len().saturating_sub(1))
        };
        let shown: Vec<Line> = all
            .iter()
            .skip(top)
            .take(height)
            .map(|(l, outcome)| {
                let role = if *outcome {
                    Role::Title
                } else if crate::ui::overlays::text::is_error_line(l) {
                    Role::Critical
                } else {
                    Role::Text
                };
                Line::styled((*l).clone(), t.style(role))
            })
            .collect();
        f.render_widget(Paragraph::new(shown).wrap(Wrap { trim: false }), inner);
    }
}

/// How a drill ended, as the footer says it: the verdict, the measures, the report.
pub fn outcome(end: &DrillEnd) -> (Health, String) {
    let rto = end.rto.clone().unwrap_or_else(|| "not reached".into());
    let rpo = end.rpo.clone().unwrap_or_else(|| "not measured".into());
    let report = match &end.report {
        Ok(p) => format!("report {}", p.display()),
        Err(e) => format!("no report: {e}"),
    };
    (
        if end.passed {
            Health::Ok
        } else {
            Health::Critical
        },
        format!(
            "drill of {} {} · RTO {rto} · RPO {rpo} · {report}",
            end.source.1, end.verdict
        ),
    )
}

pub fn confirm_footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(DRILL_CONFIRM_BINDINGS), width)
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(DRILL_BINDINGS), width)
}
