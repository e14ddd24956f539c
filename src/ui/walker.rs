//! The walker's state and keys: the tree chooser, and a walk in progress with its branch
//! selection, note editor and export. Checks are answered from the facts the app already
//! holds; fresh facts are an Effect, like every other read.

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui_textarea::TextArea;

use super::app::{App, DETAIL_KINDS, Effect, Mode};
use super::keys::{ChooserAction, WalkAction, action_in};
use super::theme::Role;
use super::view::Health;
use crate::assess::{self, ObjectRef};
use crate::trees::eval::{Env, GitRepo};
use crate::trees::record::Walk;
use crate::trees::transcript::{self, Export};
use crate::trees::walk::autopilot;

/// A walk on screen.
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

impl WalkView {
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
}

#[derive(Debug, Clone, Default)]
pub struct Chooser {
    /// 0 is the walk in progress when there is one; the trees follow.
    pub selected: usize,
    pub training: bool,
}

impl App {
    /// The row in the chooser where the trees start.
    pub fn chooser_offset(&self) -> usize {
        usize::from(self.walk.is_some())
    }

    pub fn open_chooser(&mut self) {
        self.chooser.selected = 0;
        self.mode = Mode::Choose;
    }

    /// Network probes only where endpoints are real: not in the simulator.
    fn gather(&self) -> Effect {
        let simulated = self.location.demo
            || self
                .server_status
                .as_ref()
                .is_some_and(|s| s.as_ref().is_ok_and(|v| v.contains("backstop-sim")));
        Effect::Gather {
            network: !simulated,
        }
    }

    /// Starts a walk of `trees[index]`; its first check runs on fresh facts.
    pub fn start_walk(
        &mut self,
        index: usize,
        context: Option<ObjectRef>,
        training: bool,
    ) -> Option<Effect> {
        let tree = self.trees.get(index)?.clone();
        self.walk = Some(WalkView {
            walk: Walk::new(tree, context, training, self.now),
            selected: 0,
            running: true,
            editor: None,
            scroll: 0,
            saved: None,
            saved_notes: Vec::new(),
            evidence_leads_to: None,
        });
        self.mode = Mode::Walk;
        Some(self.gather())
    }

    /// "Walk this": the tree that fits the selected finding, row or open object.
    pub fn walk_this(&mut self) -> Option<Effect> {
        let (subject, codes): (ObjectRef, Vec<&'static str>) = match self.mode {
            Mode::Findings => {
                let f = self.findings.get(self.findings_selected)?;
                (f.object.clone(), vec![f.code])
            }
            _ => {
                let target = if self.mode == Mode::Detail {
                    self.detail.clone()
                } else {
                    self.selected_row().and_then(|r| r.target())
                };
                let Some(t) = target else {
                    self.message = Some((
                        Health::Info,
                        "select a row or a finding first, or press w to choose a tree".into(),
                    ));
                    return None;
                };
                let codes = self
                    .findings
                    .iter()
                    .filter(|f| {
                        f.object.kind == t.kind
                            && f.object.namespace == t.namespace
                            && f.object.name == t.name
                    })
                    .map(|f| f.code)
                    .collect();
                (ObjectRef::new(t.kind, &t.namespace, &t.name), codes)
            }
        };
        match crate::trees::fitting(&self.trees, &codes, subject.kind) {
            Some((index, why)) => {
                let effect = self.start_walk(index, Some(subject), false);
                if let Some(v) = &self.walk {
                    self.message = Some((
                        Health::Info,
                        format!("walking \"{}\": {why}", v.walk.tree.title),
                    ));
                }
                effect
            }
            None => {
                self.message = Some((
                    Health::Info,
                    format!(
                        "no tree fits a {}: press w to choose one",
                        if DETAIL_KINDS.contains(&subject.kind) {
                            subject.kind.name()
                        } else {
                            "row like this"
                        }
                    ),
                ));
                None
            }
        }
    }

    /// Runs `step` on the walk against the facts the app holds. Without facts yet, the
    /// check waits for the gathering under way.
    fn walk_step(&mut self, step: impl FnOnce(&mut Walk, &Env) -> Result<(), String>) {
        let Some(extras) = &self.extras else {
            self.message = Some((
                Health::Info,
                "the cluster's facts are being gathered…".into(),
            ));
            return;
        };
        let facts = extras.facts(&self.snapshot);
        let assessed = assess::assess(&facts, self.now, &self.thresholds);
        let Some(view) = self.walk.as_mut() else {
            return;
        };
        let context = view.walk.context.clone();
        let env = Env {
            facts: &facts,
            assessed: &assessed,
            context: context.as_ref(),
            now: self.now,
            git: self.git.as_ref().map(|c| c as &dyn GitRepo),
        };
        let before = view.walk.visits.len();
        let result = step(&mut view.walk, &env);
        if view.walk.visits.len() != before {
            view.selected = 0;
            view.scroll = 0;
        }
        // Start on the proposed branch, except in training where it is not shown.
        if !view.walk.training
            && let Some(p) = view.walk.current().decided()
            && let Some(i) = view.walk.branches().iter().position(|(_, t)| t == p)
        {
            view.selected = i;
        }
        if view.walk.training && view.walk.leaf().is_some() && view.evidence_leads_to.is_none() {
            let (_, end) = autopilot(&view.walk.tree, &env);
            view.evidence_leads_to = Some(end.label());
        }
        if let Err(e) = result {
            self.message = Some((Health::Info, e));
        }
    }

    /// Fresh facts arrived: a check waiting for them runs.
    pub fn walk_gathered(&mut self) {
        if self.walk.as_ref().is_some_and(|v| v.running) {
            if let Some(v) = self.walk.as_mut() {
                v.running = false;
            }
            self.walk_step(|w, env| {
                w.run_check(env);
                Ok(())
            });
        }
    }

    pub fn handle_chooser_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let rows = self.chooser_offset() + self.trees.len();
        match action_in(super::keys::CHOOSER_BINDINGS, &key)? {
            ChooserAction::Up => self.chooser.selected = self.chooser.selected.saturating_sub(1),
            ChooserAction::Down => {
                self.chooser.selected = (self.chooser.selected + 1).min(rows.saturating_sub(1))
            }
            ChooserAction::Training => self.chooser.training = !self.chooser.training,
            ChooserAction::Leave => self.mode = Mode::Normal,
            ChooserAction::Start => {
                let offset = self.chooser_offset();
                if self.chooser.selected < offset {
                    self.mode = Mode::Walk;
                    return None;
                }
                let training = self.chooser.training;
                return self.start_walk(self.chooser.selected - offset, None, training);
            }
        }
        None
    }

    pub fn handle_walk_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let Some(view) = self.walk.as_mut() else {
            self.mode = Mode::Normal;
            return None;
        };
        if let Some(editor) = view.editor.as_mut() {
            if key.code == crossterm::event::KeyCode::Esc {
                let note = editor.lines().join("\n").trim_end().to_string();
                view.walk.set_note(note);
                view.editor = None;
            } else {
                editor.input(key);
            }
            return None;
        }
        let action = action_in(super::keys::WALK_BINDINGS, &key)?;
        self.message = None;
        if self.walk.as_ref().is_some_and(|v| v.walk.leaf().is_some()) {
            let actions = self.leaf_actions();
            let view = self.walk.as_mut()?;
            match action {
                WalkAction::Up => {
                    view.selected = view.selected.saturating_sub(1);
                    return None;
                }
                WalkAction::Down => {
                    view.selected = (view.selected + 1).min(actions.len().saturating_sub(1));
                    return None;
                }
                WalkAction::Pick(i) if i < actions.len() => {
                    view.selected = i;
                    return None;
                }
                WalkAction::Take => {
                    return match actions.into_iter().nth(view.selected) {
                        Some((_, Ok((verb, target)))) => self.propose_action(verb, target),
                        Some((name, Err(why))) => {
                            self.message = Some((Health::Info, format!("{name}: {why}")));
                            None
                        }
                        None => {
                            self.message = Some((
                                Health::Info,
                                "this diagnosis offers no action: its remedy lists the commands"
                                    .into(),
                            ));
                            None
                        }
                    };
                }
                _ => {}
            }
        }
        let view = self.walk.as_mut()?;
        let branches = view.walk.branches().len();
        let running = view.running;
        match action {
            WalkAction::Up => view.selected = view.selected.saturating_sub(1),
            WalkAction::Down => view.selected = (view.selected + 1).min(branches.saturating_sub(1)),
            WalkAction::Pick(i) if i < branches => view.selected = i,
            WalkAction::Pick(_) => {}
            WalkAction::ScrollUp => view.scroll = view.scroll.saturating_sub(10),
            WalkAction::ScrollDown => view.scroll = view.scroll.saturating_add(10),
            WalkAction::Leave => self.mode = Mode::Normal,
            WalkAction::Note => {
                let mut editor = TextArea::new(
                    view.walk
                        .current()
                        .note
                        .lines()
                        .map(str::to_string)
                        .collect(),
                );
                editor.set_placeholder_text("What you saw, what you tried, who you called…");
                let t = &self.theme;
                editor.set_block(
                    ratatui::widgets::Block::default()
                        .borders(ratatui::widgets::Borders::ALL)
                        .border_style(t.style(Role::Filter))
                        .title(format!(
                            " Note on {} · Esc saves ",
                            view.walk.current().node
                        )),
                );
                editor.set_style(t.style(Role::Text));
                editor.set_cursor_line_style(t.style(Role::Text));
                editor.set_placeholder_style(t.style(Role::Muted));
                editor.move_cursor(ratatui_textarea::CursorMove::Bottom);
                editor.move_cursor(ratatui_textarea::CursorMove::End);
                view.editor = Some(editor);
            }
            WalkAction::Rerun => {
                if view.walk.leaf().is_some() {
                    self.message = Some((Health::Info, "a diagnosis has no check to run".into()));
                    return None;
                }
                view.running = true;
                return Some(self.gather());
            }
            WalkAction::StepBack => {
                let moved = view.walk.back();
                view.evidence_leads_to = None;
                view.scroll = 0;
                view.selected = 0;
                if !moved {
                    self.message = Some((Health::Info, "this is the first question".into()));
                }
            }
            WalkAction::Take | WalkAction::Autopilot if running => {
                self.message = Some((
                    Health::Info,
                    "the check is still running on fresh data…".into(),
                ));
            }
            WalkAction::Take => {
                let target = view
                    .walk
                    .branches()
                    .get(view.selected)
                    .map(|(_, t)| t.clone());
                match target {
                    Some(t) => self.walk_step(|w, env| w.choose(&t, env)),
                    None => self.walk_step(|w, env| w.accept(env)),
                }
            }
            WalkAction::Autopilot => self.walk_step(|w, env| w.autopilot(env).map(|_| ())),
            WalkAction::Export => return self.export(),
        }
        None
    }

    fn export(&mut self) -> Option<Effect> {
        let view = self.walk.as_ref()?;
        let cluster = format!("{} ({})", self.location.context, self.location.server);
        let markdown = transcript::markdown(&Export {
            walk: &view.walk,
            cluster: &cluster,
            now: self.now,
            findings: self.extras.as_ref().map(|_| self.findings.as_slice()),
            evidence_leads_to: view.evidence_leads_to.clone(),
        });
        let file = format!(
            "{}-{}.md",
            view.walk.started.format("%Y%m%d-%H%M%S"),
            view.walk.tree.name
        );
        Some(Effect::SaveTranscript {
            path: self.transcripts.join(file),
            markdown,
        })
    }

    /// The transcript of a walk whose notes would be lost (the dashboard is ending on a
    /// signal, with nobody to ask): a note being typed is kept as the node's note first.
    pub fn rescue_transcript(&mut self) -> Option<Effect> {
        let view = self.walk.as_mut()?;
        if !view.unsaved() {
            return None;
        }
        if let Some(editor) = view.editor.take() {
            view.walk.set_note(editor.lines().join("\n"));
        }
        self.export()
    }

    /// The event loop wrote (or failed to write) the transcript.
    pub fn transcript_saved(&mut self, result: Result<PathBuf, String>) {
        self.message = Some(match &result {
            Ok(p) => (Health::Ok, format!("transcript saved to {}", p.display())),
            Err(e) => (Health::Critical, format!("transcript not saved: {e}")),
        });
        if let Some(v) = self.walk.as_mut() {
            if result.is_ok() {
                v.saved_notes = v.notes();
            }
            v.saved = Some(result);
        }
    }
}
