//! An action's confirm dialog: what will change, the same from a shell, and whether the
//! API server allows it (asked before the yes is offered).

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Ctx, Do, Overlay};
use crate::actions::{Plan, Verb, plan};
use crate::model::{Kind, ObjectRef};
use crate::ui::keys::{Action, CONFIRM_BINDINGS, ConfirmAction, action_in, hints_of};
use crate::ui::msg::Cmd;
use crate::ui::panes::Health;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line};

/// An action waiting for a yes.
#[derive(Debug, Clone)]
pub struct Confirm {
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

/// The verb an action key means on an object of this kind.
pub fn verb_for(action: Action, kind: Kind) -> Option<Verb> {
    match action {
        Action::Reconcile if kind == Kind::Pod || kind == Kind::Deployment => Some(Verb::Restart),
        Action::Reconcile => Some(Verb::Reconcile),
        Action::ReconcileWithSource => Some(Verb::ReconcileWithSource),
        Action::Suspend => Some(Verb::ToggleSuspend),
        Action::BackupNow => Some(Verb::BackupNow),
        _ => None,
    }
}

/// Opens the dialog for `verb` on `target` and asks whether the user may; or says why
/// not (actions off, one already running, nothing to act on).
pub fn propose(verb: Verb, target: &ObjectRef, ctx: &Ctx, running: Option<&Running>) -> Vec<Do> {
    if ctx.settings.read_only {
        return vec![read_only()];
    }
    if let Some(r) = running {
        return vec![Do::Say(
            Health::Info,
            format!("one action at a time: {} is under way", r.plan.command()),
        )];
    }
    let board = ctx.board;
    let deployments = board
        .extras
        .as_ref()
        .map(|e| e.deployments.rows.clone())
        .unwrap_or_default();
    match plan(verb, target, &board.snapshot, &deployments, board.now) {
        Ok(p) => vec![
            Do::Cmd(Cmd::CheckAccess(p.clone())),
            Do::Push(Overlay::Confirm(Confirm {
                plan: p,
                access: None,
            })),
        ],
        Err(why) => vec![Do::Say(Health::Info, why)],
    }
}

/// What a key says when actions are off.
pub fn read_only() -> Do {
    Do::Say(
        Health::Info,
        "read-only: actions are off (--read-only, or read_only in the config file)".into(),
    )
}

impl Confirm {
    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        match action_in(CONFIRM_BINDINGS, key) {
            Some(ConfirmAction::Run) => match &self.access {
                Some(Ok(())) => vec![Do::Close, Do::Run(self.plan.clone())],
                Some(Err(_)) => vec![Do::Say(
                    Health::Warning,
                    "you may not run this action: see why in the dialog".into(),
                )],
                None => vec![Do::Say(
                    Health::Info,
                    "still asking whether you may (SelfSubjectAccessReview)…".into(),
                )],
            },
            Some(ConfirmAction::Cancel) => vec![
                Do::Close,
                Do::Say(Health::Info, "cancelled: nothing was changed".into()),
            ],
            None => vec![],
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let p = self;
        let r = centered(area, 80, 60);
        f.render_widget(Clear, r);
        let mut lines = vec![
            Line::styled(p.plan.what.clone(), t.style(Role::Text)),
            Line::raw(""),
            Line::styled("The same from a shell:", t.style(Role::Muted)),
        ];
        for c in &p.plan.commands {
            lines.push(Line::styled(format!("  $ {c}"), t.style(Role::Key)));
        }
        lines.push(Line::raw(""));
        let (allowed, line) = match &p.access {
            None => (
                false,
                Line::styled(
                    "↻ asking whether you may (SelfSubjectAccessReview)…",
                    t.style(Role::Syncing),
                ),
            ),
            Some(Ok(())) => (
                true,
                Line::styled("✔ you may: the API server allows it", t.style(Role::Ok)),
            ),
            Some(Err(why)) => (
                false,
                Line::styled(format!("✖ {why}"), t.style(Role::Critical)),
            ),
        };
        lines.push(line);
        lines.push(Line::raw(""));
        lines.push(if allowed {
            Line::from(vec![
                Span::styled("y", t.style(Role::Key)),
                Span::styled(" run it   ", t.style(Role::Text)),
                Span::styled("n / Esc", t.style(Role::Key)),
                Span::styled(" cancel", t.style(Role::Text)),
            ])
        } else {
            Line::from(vec![
                Span::styled("y run it (not available)   ", t.style(Role::Muted)),
                Span::styled("n / Esc", t.style(Role::Key)),
                Span::styled(" cancel", t.style(Role::Text)),
            ])
        });
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::Warning))
            .title(Span::styled(
                format!(" Confirm: {} ", p.plan.target.display()),
                t.style(Role::Title),
            ));
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false }),
            r,
        );
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(CONFIRM_BINDINGS), width)
}
