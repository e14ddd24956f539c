//! A restore plan's view: what the planner made of a Cluster (from its row, a Backup's or
//! an ObjectStore's), the recovery manifests, or its refusal with the reasons; a key saves
//! the manifests to a file, another chooses the target and plans again.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::input::{Input, InputKind};
use super::{Ctx, Do, Overlay};
use crate::model::ObjectRef;
use crate::restore::{Refused, RestorePlan, Target};
use crate::ui::keys::{PLAN_BINDINGS, PlanAction, action_in, hints_of};
use crate::ui::msg::Cmd;
use crate::ui::panes::Health;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line};

/// A plan is text a person reads and a file for Git: bounded all the same.
const MAX_LINES: usize = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub enum PlanState {
    /// Gathering the facts and planning.
    Loading,
    Planned {
        lines: Vec<String>,
        yaml: String,
        /// Where `s` saves it, relative to the working folder.
        file: String,
        warnings: usize,
    },
    Refused(Vec<String>),
    /// The source could not be read.
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct PlanView {
    /// Results for an older request (a target chosen since) are dropped by id.
    pub id: u64,
    pub cluster: ObjectRef,
    pub target: Target,
    /// How the selected row led to this Cluster, when it was not the Cluster itself.
    pub about: Option<String>,
    pub state: PlanState,
    pub scroll: usize,
    pub wrap: bool,
}

impl PlanView {
    pub fn new(id: u64, cluster: ObjectRef, target: Target, about: Option<String>) -> PlanView {
        PlanView {
            id,
            cluster,
            target,
            about,
            state: PlanState::Loading,
            scroll: 0,
            wrap: true,
        }
    }

    /// The planner's answer.
    pub fn planned(&mut self, result: Result<Result<RestorePlan, Refused>, String>) {
        self.scroll = 0;
        self.state = match result {
            Ok(Ok(plan)) => {
                let file = format!("restore-{}.yaml", plan.into.1);
                let yaml = plan.yaml();
                let mut lines: Vec<String> = plan.text(&file).lines().map(clean).collect();
                lines.push(String::new());
                lines.push(format!("--- {file} (s saves it in the working folder) ---"));
                lines.extend(yaml.lines().map(clean));
                lines.truncate(MAX_LINES);
                PlanState::Planned {
                    lines,
                    yaml,
                    file,
                    warnings: plan.warnings.len(),
                }
            }
            Ok(Err(refused)) => PlanState::Refused(refused.text().lines().map(clean).collect()),
            Err(e) => PlanState::Failed(clean(&e)),
        };
    }

    fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.about.iter().cloned().collect();
        match &self.state {
            PlanState::Loading => out.push(format!(
                "Reading Cluster {} and what its bucket proves…",
                self.cluster.display()
            )),
            PlanState::Planned { lines, .. } | PlanState::Refused(lines) => {
                out.extend(lines.iter().cloned())
            }
            PlanState::Failed(e) => out.push(format!("The plan could not be made: {e}")),
        }
        out
    }

    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        let Some(action) = action_in(PLAN_BINDINGS, key) else {
            return vec![];
        };
        let last = self.lines().len().saturating_sub(1);
        match action {
            PlanAction::Close => return vec![Do::Close],
            PlanAction::Down => self.scroll = (self.scroll + 1).min(last),
            PlanAction::Up => self.scroll = self.scroll.saturating_sub(1),
            PlanAction::PageDown => self.scroll = (self.scroll + 20).min(last),
            PlanAction::PageUp => self.scroll = self.scroll.saturating_sub(20),
            PlanAction::Top => self.scroll = 0,
            PlanAction::Bottom => self.scroll = last,
            PlanAction::Wrap => self.wrap = !self.wrap,
            PlanAction::Write => {
                return match &self.state {
                    PlanState::Planned { yaml, file, .. } => vec![Do::Cmd(Cmd::WritePlan {
                        path: ctx.settings.restore_files.join(file),
                        yaml: yaml.clone(),
                    })],
                    PlanState::Loading => vec![Do::Say(
                        Health::Info,
                        "still planning: nothing to save yet".into(),
                    )],
                    _ => vec![Do::Say(
                        Health::Info,
                        "no plan to save: the restore was refused (see why above)".into(),
                    )],
                };
            }
            PlanAction::Target => {
                // The target as it stands, to edit.
                return vec![Do::Push(Overlay::Input(Input {
                    kind: InputKind::RestoreTarget,
                    text: self.target.describe(),
                }))];
            }
            PlanAction::Drill => {
                return vec![Do::ProposeDrill(self.cluster.clone(), self.target.clone())];
            }
        }
        vec![]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let r = centered(area, 98, 98);
        f.render_widget(Clear, r);
        let (state, role) = match &self.state {
            PlanState::Loading => ("planning…".to_string(), Role::Syncing),
            PlanState::Planned { warnings: 0, .. } => ("planned".to_string(), Role::Ok),
            PlanState::Planned { warnings, .. } => {
                (format!("planned, {warnings} warning(s)"), Role::Warning)
            }
            PlanState::Refused(_) => ("refused".to_string(), Role::Critical),
            PlanState::Failed(_) => ("not planned".to_string(), Role::Critical),
        };
        // The state first: a narrow screen cuts the title's end, never the verdict.
        let title = Line::from(vec![
            Span::styled(" Restore plan ", t.style(Role::Title)),
            Span::styled(format!("[{state}] "), t.style(role)),
            Span::styled(
                format!("{} to {} ", self.cluster.display(), self.target.describe()),
                t.style(Role::Title),
            ),
        ]);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(title);
        let inner = block.inner(r);
        f.render_widget(block, r);
        let all = self.lines();
        // The last page starts where the last lines fill the view, each taking the rows
        // it wraps to: scrolled to the end, the last line shows.
        let (height, width) = (inner.height as usize, (inner.width as usize).max(1));
        let mut last_page = all.len();
        let mut rows = 0;
        for l in all.iter().rev() {
            let needed = if self.wrap {
                l.chars().count().div_ceil(width).max(1)
            } else {
                1
            };
            if rows + needed > height {
                break;
            }
            rows += needed;
            last_page -= 1;
        }
        let top = self.scroll.min(last_page);
        let lines: Vec<Line> = all
            .iter()
            .skip(top)
            .take(inner.height as usize)
            .map(|l| {
                let role = if l.starts_with("WARNING") || l.starts_with("# WARNING") {
                    Role::Warning
                } else if l.starts_with("Refused") || l.starts_with("  - ") && self.refused() {
                    Role::Critical
                } else if l.starts_with("---") {
                    Role::Muted
                } else {
                    Role::Text
                };
                Line::styled(l.clone(), t.style(role))
            })
            .collect();
        let mut p = Paragraph::new(lines);
        if self.wrap {
            p = p.wrap(Wrap { trim: false });
        }
        f.render_widget(p, inner);
    }

    fn refused(&self) -> bool {
        matches!(self.state, PlanState::Refused(_))
    }
}

fn clean(s: &str) -> String {
    crate::sanitize::clean_line(&crate::redact::redact(s)).into_owned()
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(PLAN_BINDINGS), width)
}
