//! The screen shown when no cluster could be reached: where, what failed, what to do.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::cluster::connect::ConnectError;
use crate::ui::keys::{CONNECT_ERROR_BINDINGS, ConnectErrorAction, action_in};
use crate::ui::msg::Cmd;
use crate::ui::theme::{Role, Theme};

/// r retries the connection as first asked; Esc goes back to the fleet screen when the
/// dashboard was opened from it; any other key quits.
pub fn handle_key(key: &KeyEvent, from_fleet: bool) -> Cmd {
    match action_in(CONNECT_ERROR_BINDINGS, key) {
        Some(ConnectErrorAction::Retry) => Cmd::Context(None),
        Some(ConnectErrorAction::Back) if from_fleet => Cmd::Leave,
        Some(ConnectErrorAction::Back) | None => Cmd::Quit,
    }
}

pub fn draw(e: &ConnectError, from_fleet: bool, f: &mut Frame, t: &Theme) {
    let lines = vec![
        Line::styled(
            "backstop cannot connect to a cluster",
            t.style(Role::Critical),
        ),
        Line::raw(""),
        Line::from(vec![
            ratatui::text::Span::styled("where        ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.target.clone(), t.style(Role::Text)),
        ]),
        Line::from(vec![
            ratatui::text::Span::styled("what failed  ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.what.clone(), t.style(Role::Text)),
        ]),
        Line::from(vec![
            ratatui::text::Span::styled("what to do   ", t.style(Role::Muted)),
            ratatui::text::Span::styled(e.hint.clone(), t.style(Role::Text)),
        ]),
        Line::raw(""),
        Line::styled(
            if from_fleet {
                "r retry · Esc back to the fleet · any other key quits"
            } else {
                "r retry · any other key quits · `backstop demo` works without a cluster"
            },
            t.style(Role::Key),
        ),
    ];
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Critical))
        .title(" backstop ");
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        f.area(),
    );
}
