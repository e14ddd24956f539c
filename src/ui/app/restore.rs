//! Restores from the dashboard: the plan view opened from a Cluster, Backup or ObjectStore
//! row, the drill's confirm dialog, the drill run (one at a time, its view hidden and shown
//! again), its outcome put on the record, and quitting that waits for its teardown.

use super::App;
use crate::model::relate::clusters_using;
use crate::model::{Kind, ObjectRef};
use crate::restore::{self, Target};
use crate::ui::msg::{Cmd, DrillStart, Msg};
use crate::ui::overlays::restore_drill::{DrillConfirm, DrillRun, DrillState, outcome};
use crate::ui::overlays::restore_plan::PlanView;
use crate::ui::overlays::{Do, Overlay, confirm};
use crate::ui::panes::Health;

/// How long quitting waits for a stopped drill's teardown (deleting its namespace takes up
/// to two minutes) before it quits all the same.
pub const QUIT_WAIT: chrono::Duration = chrono::Duration::seconds(180);

impl App {
    /// The Cluster a restore of `object` starts from, the target the row means, and how
    /// the row led there when it was not the Cluster itself.
    fn restore_source(
        &self,
        object: &ObjectRef,
    ) -> Result<(ObjectRef, Target, Option<String>), String> {
        let s = &self.board.snapshot;
        let cluster = |name: &str| ObjectRef::new(Kind::Cluster, &object.namespace, name);
        match object.kind {
            Kind::Cluster => Ok((object.clone(), Target::Latest, None)),
            Kind::Backup => {
                let row = s
                    .backups
                    .rows
                    .iter()
                    .find(|b| b.namespace == object.namespace && b.name == object.name)
                    .ok_or_else(|| format!("{} is no longer listed", object.display()))?;
                let id = row.backup_id.clone().filter(|i| !i.is_empty()).ok_or_else(|| {
                    format!(
                        "Backup {} has no backup ID yet (status.backupId): a restore can end only at a base backup that was taken",
                        object.name
                    )
                })?;
                let about = format!(
                    "From Backup {}: restoring Cluster {} to the end of base backup {id}.",
                    object.name, row.cluster
                );
                Ok((cluster(&row.cluster), Target::Backup(id), Some(about)))
            }
            Kind::ObjectStore => {
                let mut using: Vec<&str> =
                    clusters_using(&s.clusters.rows, &object.namespace, &object.name)
                        .map(|c| c.name.as_str())
                        .collect();
                using.sort_unstable();
                let about = match using.as_slice() {
                    [] => {
                        return Err(format!(
                            "no Cluster in {} archives to ObjectStore {}: there is nothing of its to restore here",
                            object.namespace, object.name
                        ));
                    }
                    [one] => format!("From ObjectStore {}: Cluster {one} archives to it.", object.name),
                    [first, ..] => format!(
                        "From ObjectStore {}: {} Clusters archive to it ({}); this is {first}'s restore, the first: press p on another's row in the Backups pane for its own.",
                        object.name,
                        using.len(),
                        using.join(", ")
                    ),
                };
                Ok((cluster(using[0]), Target::Latest, Some(about)))
            }
            _ => Err(
                "a restore starts from a Cluster, a Backup or an ObjectStore: select one of their rows".into(),
            ),
        }
    }

    /// `p` on an object: the plan view, planning.
    pub(super) fn open_plan(&mut self, object: &ObjectRef) -> Vec<Do> {
        match self.restore_source(object) {
            Ok((cluster, target, about)) => {
                let id = self.next_id();
                vec![
                    Do::Cmd(Cmd::PlanRestore {
                        id,
                        cluster: cluster.clone(),
                        target: target.clone(),
                        now: self.board.now,
                    }),
                    Do::Push(Overlay::Plan(PlanView::new(id, cluster, target, about))),
                ]
            }
            Err(why) => vec![Do::Say(Health::Info, why)],
        }
    }

    /// `D` on an object: the running drill's view, or a new drill's confirm dialog
    /// (refused in read-only as every action is).
    pub(super) fn drill_key(&mut self, object: Option<&ObjectRef>) -> Vec<Do> {
        if self.drill.as_ref().is_some_and(DrillRun::running) {
            return self.show_drill();
        }
        if self.settings.read_only {
            return vec![confirm::read_only()];
        }
        let Some(object) = object else {
            return vec![Do::Say(Health::Info, "select a Cluster row first".into())];
        };
        match self.restore_source(object) {
            Ok((cluster, target, _)) => self.propose_drill(cluster, target),
            Err(why) => vec![Do::Say(Health::Info, why)],
        }
    }

    fn show_drill(&mut self) -> Vec<Do> {
        if matches!(self.overlays.last(), Some(Overlay::Drill)) {
            return vec![];
        }
        self.overlays.retain(|o| !matches!(o, Overlay::Drill));
        match &mut self.drill {
            Some(d) => {
                d.follow = true;
                vec![Do::Push(Overlay::Drill)]
            }
            None => vec![],
        }
    }

    pub(super) fn propose_drill(&mut self, cluster: ObjectRef, target: Target) -> Vec<Do> {
        if self.settings.read_only {
            return vec![confirm::read_only()];
        }
        if let Some(d) = self.drill.as_ref().filter(|d| d.running()) {
            return vec![Do::Say(
                Health::Info,
                format!(
                    "one drill at a time: the drill of {}/{} is under way (D shows it)",
                    d.source.namespace, d.source.name
                ),
            )];
        }
        let id = self.next_id();
        vec![
            Do::Cmd(Cmd::PrepareDrill {
                id,
                cluster: cluster.clone(),
                target: target.clone(),
            }),
            Do::Push(Overlay::DrillConfirm(DrillConfirm {
                id,
                cluster,
                target,
                prep: None,
                scroll: 0,
            })),
        ]
    }

    pub(super) fn start_drill(&mut self, start: Box<DrillStart>) -> Vec<Do> {
        if self.settings.read_only {
            return vec![confirm::read_only()];
        }
        let plan = &start.plan;
        let source = ObjectRef::new(Kind::Cluster, &plan.source.0, &plan.source.1);
        let mut run = DrillRun::new(source, plan.into.0.clone(), plan.ask.target.clone());
        run.push(vec![format!(
            "drill confirmed: restoring {}/{} into namespace {}",
            plan.source.0, plan.source.1, plan.into.0
        )]);
        self.drill = Some(run);
        self.overlays.retain(|o| !matches!(o, Overlay::Drill));
        vec![Do::Cmd(Cmd::RunDrill(start)), Do::Push(Overlay::Drill)]
    }

    /// A target typed in the plan view: planned again.
    pub(super) fn retarget(&mut self, text: &str) -> Vec<Do> {
        // As the title writes a backup target, so it may be typed.
        let text = text.trim();
        let text = text.strip_prefix("backup ").unwrap_or(text).trim();
        let target = match restore::parse_to(text) {
            Ok(t) => t,
            Err(to_err) => match restore::parse_backup_id(text) {
                // A word that is neither a time nor "latest" but reads as an ID.
                Ok(id) if id.chars().any(|c| c.is_ascii_digit()) => Target::Backup(id),
                _ => return vec![Do::Say(Health::Warning, to_err)],
            },
        };
        let id = self.next_id();
        let Some(Overlay::Plan(view)) = self
            .overlays
            .iter_mut()
            .rev()
            .find(|o| matches!(o, Overlay::Plan(_)))
        else {
            return vec![];
        };
        view.id = id;
        view.target = target.clone();
        view.state = crate::ui::overlays::restore_plan::PlanState::Loading;
        vec![Do::Cmd(Cmd::PlanRestore {
            id,
            cluster: view.cluster.clone(),
            target,
            now: self.board.now,
        })]
    }

    /// The restore messages from the runtime.
    pub(super) fn restore_msg(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::RestorePlanned { id, result } => {
                if let Some(view) = self.overlays.iter_mut().find_map(|o| match o {
                    Overlay::Plan(v) if v.id == id => Some(v),
                    _ => None,
                }) {
                    view.planned(result.map(|b| *b));
                }
            }
            Msg::PlanWritten(result) => {
                self.message = Some(match result {
                    Ok(p) => (Health::Ok, format!("plan written to {}", p.display())),
                    Err(e) => (Health::Critical, format!("plan not written: {e}")),
                });
            }
            Msg::DrillPrepared { id, result } => {
                if let Some(c) = self.overlays.iter_mut().find_map(|o| match o {
                    Overlay::DrillConfirm(c) if c.id == id => Some(c),
                    _ => None,
                }) {
                    c.prep = Some(result);
                }
            }
            Msg::DrillLines(lines) => {
                if let Some(d) = self.drill.as_mut() {
                    d.push(lines);
                }
            }
            Msg::DrillDone(end) => return self.drill_done(end),
            _ => {}
        }
        vec![]
    }

    /// The drill ended: the footer says how, the record keeps it, and a quit that waited
    /// for it goes through.
    fn drill_done(&mut self, end: Box<crate::ui::msg::DrillEnd>) -> Vec<Cmd> {
        let (health, text) = outcome(&end);
        self.message = Some((health, text.clone()));
        let line = format!(
            "{} {} → {}; teardown: {}",
            self.board.now.format("%Y-%m-%dT%H:%M:%SZ"),
            crate::ui::overlays::restore_drill::cli_command(
                &ObjectRef::new(Kind::Cluster, &end.source.0, &end.source.1),
                &self
                    .drill
                    .as_ref()
                    .map_or(Target::Latest, |d| d.target.clone())
            ),
            text,
            end.teardown
        );
        if let Some(d) = self.drill.as_mut() {
            d.state = DrillState::Done(end);
        }
        let mut cmds = match self.walk.as_mut() {
            Some(v) => {
                v.walk.record_action(line);
                vec![]
            }
            None => vec![Cmd::LogAction(format!(
                "[{}] {line}",
                self.location.context
            ))],
        };
        // The quit that waited goes on as any quit: a walk with unsaved notes still asks.
        if self.quit_after_drill.take().is_some() {
            cmds.extend(self.quit(false));
        }
        cmds
    }

    /// A quit while a drill runs stops it and waits for its teardown.
    pub(super) fn quit_during_drill(&mut self) -> Option<Vec<Cmd>> {
        let d = self.drill.as_mut().filter(|d| d.running())?;
        let ns = d.namespace.clone();
        let mut cmds = vec![];
        if matches!(d.state, DrillState::Running) {
            d.state = DrillState::Stopping;
            cmds.push(Cmd::CancelDrill);
        }
        self.quit_after_drill.get_or_insert(self.board.now);
        self.message = Some((Health::Warning, quitting_line(&ns)));
        Some(cmds)
    }

    /// What the footer says while a quit waits for a drill's teardown (over any other
    /// message: it is why the dashboard is still there).
    pub fn quitting(&self) -> Option<String> {
        self.quit_after_drill?;
        let d = self.drill.as_ref().filter(|d| d.running())?;
        Some(quitting_line(&d.namespace))
    }

    /// The clock moved: a quit waiting for a drill's teardown stops waiting after
    /// `QUIT_WAIT`.
    pub(super) fn quit_wait_over(&self) -> bool {
        self.quit_after_drill
            .is_some_and(|since| self.board.now - since > QUIT_WAIT)
    }

    /// In the drill's view, Ctrl-C stops the running drill and the dashboard stays.
    pub(super) fn ctrl_c_in_drill(&mut self) -> Option<Vec<Do>> {
        if !matches!(self.overlays.last(), Some(Overlay::Drill)) {
            return None;
        }
        // A second Ctrl-C, while it tears down, is a quit (which waits for the teardown).
        let d = self
            .drill
            .as_mut()
            .filter(|d| matches!(d.state, DrillState::Running))?;
        Some(d.stop())
    }

    /// A key in the drill's view. Ctrl-C there stops the drill rather than quitting.
    pub(super) fn key_in_drill(&mut self, key: &crossterm::event::KeyEvent) -> Vec<Do> {
        match self.drill.as_mut() {
            Some(d) => d.handle_key(key),
            None => vec![Do::Close],
        }
    }

    fn next_id(&mut self) -> u64 {
        self.next_text_id += 1;
        self.next_text_id
    }
}

fn quitting_line(ns: &str) -> String {
    format!(
        "quitting once the drill's namespace {ns} is deleted (up to {} minutes)…",
        QUIT_WAIT.num_minutes()
    )
}

#[cfg(test)]
#[path = "restore_tests.rs"]
mod tests;
