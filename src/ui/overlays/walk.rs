//! A walk through a troubleshooting tree: its state, its keys (branch selection, notes,
//! re-runs, autopilot, export) and the actions its diagnosis offers. Checks are answered
//! from the facts the dashboard holds; fresh facts are a command, like every other read.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;
use ratatui::text::{Line, Span};
use ratatui_textarea::TextArea;

use super::{Ctx, Do};
use crate::actions::Verb;
use crate::actions::remedy::resolve;
use crate::assess;
use crate::model::ObjectRef;
use crate::trees::eval::{Env, GitRepo};
use crate::trees::load::Tree;
use crate::trees::transcript::{self, Export};
use crate::trees::walk::{Walk, autopilot};
use crate::ui::keys::{NOTE_BINDINGS, NoteAction, WALK_BINDINGS, WalkAction, action_in, hints_of};
use crate::ui::msg::Cmd;
use crate::ui::panes::Health;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::hint_line;

/// What a diagnosis's action would act on, or why it cannot.
pub type LeafTarget = Result<(Verb, ObjectRef), String>;

/// A walk on screen.
#[derive(Debug)]
pub struct WalkView {
    pub walk: Walk,
    /// The selected branch, an index into `walk.branches()`.
    pub selected: usize,
    /// Fresh facts were asked for: the current check runs when they arrive.
    pub running: bool,
    pub editor: Option<TextArea<'static>>,
    pub scroll: u16,
    /// Where the last export went, or why it failed.
    pub saved: Option<Result<PathBuf, String>>,
    /// The walk's notes as the last successful export wrote them.
    pub saved_notes: Vec<String>,
    /// Training: the leaf the evidence leads to from the start, once the walk ended.
    pub evidence_leads_to: Option<String>,
}

/// " · about Kind ns/name", or nothing for a walk about no object.
pub fn about(view: &WalkView) -> String {
    match &view.walk.context {
        Some(s) => format!(" · about {}", s.display()),
        None => String::new(),
    }
}

/// Fresh facts for a check: network probes only where endpoints are real, not in the
/// simulator.
pub fn gather(ctx: &Ctx) -> Cmd {
    let simulated = ctx.location.demo
        || ctx
            .board
            .server_status
            .as_ref()
            .is_some_and(|s| s.as_ref().is_ok_and(|v| v.contains("backstop-sim")));
    Cmd::Gather {
        network: !simulated,
    }
}

impl WalkView {
    /// A walk of `tree` starting now; its first check runs on fresh facts.
    pub fn start(
        tree: Tree,
        context: Option<ObjectRef>,
        training: bool,
        now: DateTime<Utc>,
    ) -> Self {
        WalkView {
            walk: Walk::new(tree, context, training, now),
            selected: 0,
            running: true,
            editor: None,
            scroll: 0,
            saved: None,
            saved_notes: Vec::new(),
            evidence_leads_to: None,
        }
    }

    /// Every note of the walk, in order.
    pub fn notes(&self) -> Vec<String> {
        self.walk
            .visits
            .iter()
            .map(|v| v.note.clone())
            .filter(|n| !n.trim().is_empty())
            .collect()
    }

    /// Notes were written (or changed) since the last successful export: quitting would
    /// lose them.
    pub fn unsaved(&self) -> bool {
        let notes = self.notes();
        let typing = self
            .editor
            .as_ref()
            .is_some_and(|e| e.lines().iter().any(|l| !l.trim().is_empty()));
        typing || (!notes.is_empty() && notes != self.saved_notes)
    }

    /// Runs `step` on the walk against the facts the dashboard holds. Without facts yet,
    /// the check waits for the gathering under way.
    fn step(
        &mut self,
        ctx: &Ctx,
        step: impl FnOnce(&mut Walk, &Env) -> Result<(), String>,
    ) -> Vec<Do> {
        let Some(facts) = ctx.board.facts() else {
            return vec![Do::Say(
                Health::Info,
                "the cluster's facts are being gathered…".into(),
            )];
        };
        let now = ctx.board.now;
        let assessed = assess::assess(&facts, now, &ctx.settings.thresholds);
        let context = self.walk.context.clone();
        let env = Env {
            facts: &facts,
            assessed: &assessed,
            context: context.as_ref(),
            now,
            git: ctx.settings.git.as_ref().map(|c| c as &dyn GitRepo),
        };
        let before = self.walk.visits.len();
        let result = step(&mut self.walk, &env);
        if self.walk.visits.len() != before {
            self.selected = 0;
            self.scroll = 0;
        }
        // Start on the proposed branch, except in training where it is not shown.
        if !self.walk.training
            && let Some(p) = self.walk.current().decided()
            && let Some(i) = self.walk.branches().iter().position(|(_, t)| t == p)
        {
            self.selected = i;
        }
        if self.walk.training && self.walk.leaf().is_some() && self.evidence_leads_to.is_none() {
            let (_, end) = autopilot(&self.walk.tree, &env);
            self.evidence_leads_to = Some(end.label());
        }
        match result {
            Err(e) => vec![Do::Say(Health::Info, e)],
            Ok(()) => vec![],
        }
    }

    /// Fresh facts arrived: a check waiting for them runs.
    pub fn gathered(&mut self, ctx: &Ctx) -> Vec<Do> {
        if !self.running {
            return vec![];
        }
        self.running = false;
        self.step(ctx, |w, env| {
            w.run_check(env);
            Ok(())
        })
    }

    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        if let Some(editor) = self.editor.as_mut() {
            // The note editor takes every key but Esc, which saves the note.
            if action_in(NOTE_BINDINGS, key) == Some(NoteAction::Save) {
                let note = editor.lines().join("\n").trim_end().to_string();
                self.walk.set_note(note);
                self.editor = None;
            } else {
                editor.input(*key);
            }
            return vec![];
        }
        let Some(action) = action_in(WALK_BINDINGS, key) else {
            return vec![];
        };
        if self.walk.leaf().is_some()
            && let Some(done) = self.leaf_key(action, ctx)
        {
            return done;
        }
        let branches = self.walk.branches().len();
        match action {
            WalkAction::Up => self.selected = self.selected.saturating_sub(1),
            WalkAction::Down => self.selected = (self.selected + 1).min(branches.saturating_sub(1)),
            WalkAction::Pick(i) if i < branches => self.selected = i,
            WalkAction::Pick(_) => {}
            WalkAction::ScrollUp => self.scroll = self.scroll.saturating_sub(10),
            WalkAction::ScrollDown => self.scroll = self.scroll.saturating_add(10),
            WalkAction::Leave => return vec![Do::Close],
            WalkAction::Note => self.editor = Some(self.note_editor(ctx.theme)),
            WalkAction::Rerun => {
                if self.walk.leaf().is_some() {
                    return vec![Do::Say(
                        Health::Info,
                        "a diagnosis has no check to run".into(),
                    )];
                }
                self.running = true;
                return vec![Do::Cmd(gather(ctx))];
            }
            WalkAction::StepBack => {
                let moved = self.walk.back();
                self.evidence_leads_to = None;
                self.scroll = 0;
                self.selected = 0;
                if !moved {
                    return vec![Do::Say(Health::Info, "this is the first question".into())];
                }
            }
            WalkAction::Take | WalkAction::Autopilot if self.running => {
                return vec![Do::Say(
                    Health::Info,
                    "the check is still running on fresh data…".into(),
                )];
            }
            WalkAction::Take => {
                let target = self
                    .walk
                    .branches()
                    .get(self.selected)
                    .map(|(_, t)| t.clone());
                return match target {
                    Some(t) => self.step(ctx, |w, env| w.choose(&t, env)),
                    None => self.step(ctx, |w, env| w.accept(env)),
                };
            }
            WalkAction::Autopilot => return self.step(ctx, |w, env| w.autopilot(env).map(|_| ())),
            WalkAction::Export => return vec![Do::Cmd(self.export(ctx))],
        }
        vec![]
    }

    /// At a diagnosis the selection moves over its actions, and Enter proposes one.
    fn leaf_key(&mut self, action: WalkAction, ctx: &Ctx) -> Option<Vec<Do>> {
        let actions = self.leaf_actions(ctx);
        match action {
            WalkAction::Up => self.selected = self.selected.saturating_sub(1),
            WalkAction::Down => {
                self.selected = (self.selected + 1).min(actions.len().saturating_sub(1))
            }
            WalkAction::Pick(i) if i < actions.len() => self.selected = i,
            WalkAction::Take => {
                return Some(vec![match actions.into_iter().nth(self.selected) {
                    Some((_, Ok((verb, target)))) => Do::Propose(verb, target),
                    Some((name, Err(why))) => Do::Say(Health::Info, format!("{name}: {why}")),
                    None => Do::Say(
                        Health::Info,
                        "this diagnosis offers no action: its remedy lists the commands".into(),
                    ),
                }]);
            }
            _ => return None,
        }
        Some(vec![])
    }

    fn note_editor(&self, t: &Theme) -> TextArea<'static> {
        let mut editor = TextArea::new(
            self.walk
                .current()
                .note
                .lines()
                .map(str::to_string)
                .collect(),
        );
        editor.set_placeholder_text("What you saw, what you tried, who you called…");
        editor.set_block(
            ratatui::widgets::Block::default()
                .borders(ratatui::widgets::Borders::ALL)
                .border_style(t.style(Role::Filter))
                .title(format!(
                    " Note on {} · Esc saves ",
                    self.walk.current().node
                )),
        );
        editor.set_style(t.style(Role::Text));
        editor.set_cursor_line_style(t.style(Role::Text));
        editor.set_placeholder_style(t.style(Role::Muted));
        editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        editor
    }

    /// The transcript, as a command to write it where transcripts go.
    pub fn export(&self, ctx: &Ctx) -> Cmd {
        let cluster = format!("{} ({})", ctx.location.context, ctx.location.server);
        let board = ctx.board;
        let markdown = transcript::markdown(&Export {
            walk: &self.walk,
            cluster: &cluster,
            now: board.now,
            findings: board.extras.as_ref().map(|_| board.findings.as_slice()),
            evidence_leads_to: self.evidence_leads_to.clone(),
        });
        let file = format!(
            "{}-{}.md",
            self.walk.started.format("%Y%m%d-%H%M%S"),
            self.walk.tree.name
        );
        Cmd::SaveTranscript {
            path: ctx.settings.transcripts.join(file),
            markdown,
        }
    }

    /// The transcript of a walk whose notes would be lost (the dashboard is ending on a
    /// signal, with nobody to ask): a note being typed is kept as the node's note first.
    pub fn rescue(&mut self, ctx: &Ctx) -> Option<Cmd> {
        if !self.unsaved() {
            return None;
        }
        if let Some(editor) = self.editor.take() {
            self.walk.set_note(editor.lines().join("\n"));
        }
        Some(self.export(ctx))
    }

    /// The transcript was written, or not.
    pub fn saved(&mut self, result: Result<PathBuf, String>) {
        if result.is_ok() {
            self.saved_notes = self.notes();
        }
        self.saved = Some(result);
    }

    pub fn footer(&self, t: &Theme, width: u16) -> Line<'static> {
        if self.editor.is_none() {
            return hint_line(t, &hints_of(WALK_BINDINGS), width);
        }
        Line::from(vec![
            Span::styled(" Esc", t.style(Role::Key)),
            Span::styled(" saves the note  ", t.style(Role::Muted)),
            Span::styled("Ctrl-U/Ctrl-R", t.style(Role::Key)),
            Span::styled(" undo/redo", t.style(Role::Muted)),
        ])
    }

    /// The actions a walk's diagnosis offers, each with what it would act on.
    pub fn leaf_actions(&self, ctx: &Ctx) -> Vec<(String, LeafTarget)> {
        let Some(leaf) = self.walk.leaf() else {
            return Vec::new();
        };
        let context = self.walk.context.as_ref();
        leaf.remedy
            .actions
            .iter()
            .map(|&a| {
                let target = resolve(a, &ctx.board.snapshot, context);
                (a.name().to_string(), target)
            })
            .collect()
    }
}
