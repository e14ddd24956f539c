//! What opens over the panes: each in its own file with its state, its keys (through its
//! table in `keys`), its footer hints and its drawing. They stack: Esc closes the top one
//! and shows what was under it (a YAML view over a detail, a confirm over the walker).
//! An overlay never changes the App itself: it answers a key with what should happen
//! (`Do`), and the App does it.

pub mod alerts;
pub mod chooser;
pub mod confirm;
pub mod connect_error;
pub mod detail;
mod detail_ground;
mod detail_parts;
mod detail_restore;
mod detail_sections;
pub mod findings;
pub mod help;
pub mod input;
pub mod restore_drill;
pub mod restore_plan;
pub mod text;
pub mod walk;
mod walk_draw;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::board::Board;
use super::keys::Action;
use super::msg::Cmd;
use super::panes::Health;
use super::settings::{Location, Settings};
use super::theme::Theme;
use crate::actions::{Plan, Verb};
use crate::model::ObjectRef;

/// What an overlay reads of the rest of the dashboard.
pub struct Ctx<'a> {
    pub board: &'a Board,
    pub settings: &'a Settings,
    pub theme: &'a Theme,
    pub location: &'a Location,
    /// A walk is in progress (the chooser offers to resume it).
    pub walk: Option<&'a walk::WalkView>,
    /// The restore drill under way, or the last one.
    pub drill: Option<&'a restore_drill::DrillRun>,
}

/// What a key in an overlay asks for.
#[derive(Debug)]
pub enum Do {
    /// Close this overlay, showing what is under it.
    Close,
    /// Open another over this one.
    Push(Overlay),
    Cmd(Cmd),
    /// A line for the footer.
    Say(Health, String),
    /// A panes key (YAML, events, logs, an action, a walk) on this object.
    OnObject(Action, ObjectRef),
    /// The tree that fits this object and these finding codes, about it.
    WalkThis {
        subject: ObjectRef,
        codes: Vec<&'static str>,
    },
    /// The tree chooser.
    Choose,
    StartWalk {
        index: usize,
        training: bool,
    },
    ResumeWalk,
    /// The focused pane's filter, as typed so far.
    Filter(String),
    /// A `:` command line.
    Command(String),
    /// The confirmed action starts.
    Run(Plan),
    /// Open the confirm dialog for this action.
    Propose(Verb, ObjectRef),
    /// Open a restore drill's confirm dialog for this Cluster and target.
    ProposeDrill(ObjectRef, crate::restore::Target),
    /// The confirmed drill starts.
    StartDrill(Box<crate::ui::msg::DrillStart>),
    /// The restore target typed for the plan view: plan again.
    Retarget(String),
}

/// Which view has the keys: the panes, or the overlay on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    Detail,
    /// YAML, events or logs.
    Text,
    Findings,
    Choose,
    Walk,
    Confirm,
    /// A restore plan.
    Plan,
    /// The running restore drill.
    Drill,
    /// Alert coverage.
    Alerts,
}

#[derive(Debug)]
pub enum Overlay {
    Input(input::Input),
    Help(help::Help),
    Findings(findings::Findings),
    Detail(detail::Detail),
    Text(text::TextView),
    Chooser(chooser::Chooser),
    /// The walk itself lives in the App (it is kept when the walker is left).
    Walk,
    Confirm(confirm::Confirm),
    Plan(restore_plan::PlanView),
    DrillConfirm(restore_drill::DrillConfirm),
    /// The drill itself lives in the App (hiding its view does not stop it).
    Drill,
    Alerts(alerts::AlertsView),
}

impl Overlay {
    pub fn mode(&self) -> Mode {
        match self {
            Overlay::Input(i) if i.kind == input::InputKind::Filter => Mode::Filter,
            Overlay::Input(_) => Mode::Command,
            Overlay::Help(_) => Mode::Help,
            Overlay::Findings(_) => Mode::Findings,
            Overlay::Detail(_) => Mode::Detail,
            Overlay::Text(_) => Mode::Text,
            Overlay::Chooser(_) => Mode::Choose,
            Overlay::Walk => Mode::Walk,
            Overlay::Confirm(_) | Overlay::DrillConfirm(_) => Mode::Confirm,
            Overlay::Plan(_) => Mode::Plan,
            Overlay::Drill => Mode::Drill,
            Overlay::Alerts(_) => Mode::Alerts,
        }
    }

    /// A key for this overlay. The walk's keys go to the walk itself (`WalkView`), which
    /// the App keeps when the walker is left.
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        match self {
            Overlay::Input(i) => i.handle_key(key),
            Overlay::Help(h) => h.handle_key(key),
            Overlay::Findings(v) => v.handle_key(key, ctx),
            Overlay::Detail(d) => d.handle_key(key),
            Overlay::Text(t) => t.handle_key(key),
            Overlay::Chooser(c) => c.handle_key(key, ctx),
            Overlay::Walk => match ctx.walk {
                Some(_) => vec![],
                None => vec![Do::Close],
            },
            Overlay::Confirm(c) => c.handle_key(key),
            Overlay::Plan(p) => p.handle_key(key, ctx),
            Overlay::DrillConfirm(c) => c.handle_key(key, ctx),
            // The App gives the drill's keys to the drill it holds.
            Overlay::Drill => vec![],
            Overlay::Alerts(a) => a.handle_key(key),
        }
    }

    /// Draws it over `area` (the space between header and footer).
    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        match self {
            Overlay::Input(_) => {}
            Overlay::Help(h) => h.draw(f, area, ctx.theme),
            Overlay::Findings(v) => v.draw(f, area, ctx),
            Overlay::Detail(d) => d.draw(f, area, ctx),
            Overlay::Text(t) => t.draw(f, area, ctx.theme),
            Overlay::Chooser(c) => c.draw(f, area, ctx),
            Overlay::Walk => {
                if let Some(w) = ctx.walk {
                    walk_draw::draw_walk(w, f, area, ctx)
                }
            }
            Overlay::Confirm(c) => c.draw(f, area, ctx.theme),
            Overlay::Plan(p) => p.draw(f, area, ctx.theme),
            Overlay::DrillConfirm(c) => c.draw(f, area, ctx.theme, ctx.board.now),
            Overlay::Drill => {
                if let Some(d) = ctx.drill {
                    d.draw(f, area, ctx.theme)
                }
            }
            Overlay::Alerts(a) => a.draw(f, area, ctx.theme),
        }
    }

    /// The footer line while it has the keys, when it has one of its own.
    pub fn footer(&self, ctx: &Ctx, width: u16) -> Option<Line<'static>> {
        match self {
            Overlay::Input(i) => Some(i.footer(ctx.theme)),
            Overlay::Help(_) => Some(help::footer(ctx.theme, width)),
            Overlay::Findings(_) => Some(findings::footer(ctx.theme, width)),
            Overlay::Detail(_) => Some(detail::footer(ctx.theme, width)),
            Overlay::Text(t) => Some(t.footer(ctx.theme, width)),
            Overlay::Chooser(_) => Some(chooser::footer(ctx.theme, width)),
            Overlay::Walk => ctx.walk.map(|w| w.footer(ctx.theme, width)),
            Overlay::Confirm(_) => Some(confirm::footer(ctx.theme, width)),
            Overlay::Plan(_) => Some(restore_plan::footer(ctx.theme, width)),
            Overlay::DrillConfirm(_) => Some(restore_drill::confirm_footer(ctx.theme, width)),
            Overlay::Drill => Some(restore_drill::footer(ctx.theme, width)),
            Overlay::Alerts(_) => Some(alerts::footer(ctx.theme, width)),
        }
    }
}
