//! Safe actions in the dashboard: planned from the selected row or a walk's diagnosis,
//! confirmed in a dialog that shows the equivalent command and whether you may, then run
//! with their progress in the footer and their outcome on the record.

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Effect, Mode};
use super::keys::Action;
use super::view::Health;
use crate::actions::exec::Progress;
use crate::actions::remedy::resolve;
use crate::actions::{Plan, Verb, plan};
use crate::model::{Kind, ObjectRef};

/// What a diagnosis's action would act on, or why it cannot.
pub type LeafTarget = Result<(Verb, ObjectRef), String>;

/// An action waiting for a yes.
#[derive(Debug, Clone)]
pub struct Pending {
    pub plan: Plan,
    /// None while the permission is being asked.
    pub access: Option<Result<(), String>>,
}

/// The action under way.
#[derive(Debug, Clone)]
pub struct Running {
    pub plan: Plan,
    pub status: String,
}

impl App {
    /// The verb a key means on a row of this kind.
    pub fn verb_for(action: Action, kind: Kind) -> Option<Verb> {
        match action {
            Action::Reconcile if kind == Kind::Pod || kind == Kind::Deployment => {
                Some(Verb::Restart)
            }
            Action::Reconcile => Some(Verb::Reconcile),
            Action::ReconcileWithSource => Some(Verb::ReconcileWithSource),
            Action::Suspend => Some(Verb::ToggleSuspend),
            Action::BackupNow => Some(Verb::BackupNow),
            _ => None,
        }
    }

    /// Says so when actions are off.
    fn refuse_read_only(&mut self) -> bool {
        if self.read_only {
            self.message = Some((
                Health::Info,
                "read-only: actions are off (--read-only, or read_only in the config file)".into(),
            ));
        }
        self.read_only
    }

    /// Opens the confirm dialog for `verb` on `target`, and asks whether the user may.
    pub fn propose_action(&mut self, verb: Verb, target: ObjectRef) -> Option<Effect> {
        if self.refuse_read_only() {
            return None;
        }
        if let Some(r) = &self.running {
            self.message = Some((
                Health::Info,
                format!("one action at a time: {} is under way", r.plan.command()),
            ));
            return None;
        }
        let deployments = self
            .extras
            .as_ref()
            .map(|e| e.deployments.rows.clone())
            .unwrap_or_default();
        match plan(verb, &target, &self.snapshot, &deployments, self.now) {
            Ok(p) => {
                self.pending = Some(Pending {
                    plan: p.clone(),
                    access: None,
                });
                self.confirm_return = self.mode;
                self.mode = Mode::Confirm;
                Some(Effect::CheckAccess(p))
            }
            Err(why) => {
                self.message = Some((Health::Info, why));
                None
            }
        }
    }

    /// An action key on the selected row.
    pub fn act_on_row(&mut self, action: Action) -> Option<Effect> {
        if self.refuse_read_only() {
            return None;
        }
        let Some(t) = self.selected_row().and_then(|r| r.target()) else {
            self.message = Some((Health::Info, "select a row first".into()));
            return None;
        };
        let verb = Self::verb_for(action, t.kind)?;
        self.propose_action(verb, ObjectRef::new(t.kind, &t.namespace, &t.name))
    }

    pub fn access_checked(&mut self, result: Result<(), String>) {
        if let Some(p) = self.pending.as_mut() {
            p.access = Some(result);
        }
    }

    pub fn handle_confirm_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Char('y') => {
                let p = self.pending.as_ref()?;
                match &p.access {
                    Some(Ok(())) => {
                        let plan = p.plan.clone();
                        self.pending = None;
                        self.mode = self.confirm_return;
                        self.running = Some(Running {
                            plan: plan.clone(),
                            status: "starting".into(),
                        });
                        Some(Effect::RunAction(plan))
                    }
                    Some(Err(_)) => {
                        self.message = Some((
                            Health::Warning,
                            "you may not run this action: see why in the dialog".into(),
                        ));
                        None
                    }
                    None => {
                        self.message = Some((
                            Health::Info,
                            "still asking whether you may (SelfSubjectAccessReview)…".into(),
                        ));
                        None
                    }
                }
            }
            KeyCode::Char('n') | KeyCode::Esc | KeyCode::Char('q') => {
                self.pending = None;
                self.mode = self.confirm_return;
                self.message = Some((Health::Info, "cancelled: nothing was changed".into()));
                None
            }
            _ => None,
        }
    }

    /// Progress of the running action. Its outcome goes on the record: the walk in
    /// progress, or the session log (the returned effect).
    pub fn action_progress(&mut self, progress: Progress) -> Option<Effect> {
        let running = self.running.as_mut()?;
        match progress {
            Progress::Step(s) => {
                running.status = s;
                None
            }
            Progress::Done(outcome) => {
                let running = self.running.take()?;
                let (health, result) = match &outcome {
                    Ok(s) => (Health::Ok, s.clone()),
                    Err(e) => (Health::Critical, e.clone()),
                };
                self.message = Some((health, format!("{}: {result}", running.plan.command())));
                let line = format!(
                    "{} {} → {}",
                    self.now.format("%Y-%m-%dT%H:%M:%SZ"),
                    running.plan.command(),
                    match &outcome {
                        Ok(s) => format!("ok: {s}"),
                        Err(e) => format!("failed: {e}"),
                    }
                );
                match self.walk.as_mut() {
                    Some(v) => {
                        v.walk.record_action(line);
                        None
                    }
                    None => Some(Effect::LogAction(format!(
                        "[{}] {line}",
                        self.location.context
                    ))),
                }
            }
        }
    }

    /// The actions a walk's diagnosis offers, each with what it would act on.
    pub fn leaf_actions(&self) -> Vec<(String, LeafTarget)> {
        let Some(view) = &self.walk else {
            return Vec::new();
        };
        let Some(leaf) = view.walk.leaf() else {
            return Vec::new();
        };
        let context = view.walk.context.as_ref();
        leaf.remedy
            .actions
            .iter()
            .map(|&a| (a.name().to_string(), resolve(a, &self.snapshot, context)))
            .collect()
    }
}
