//! `?`: every key of every view, from the key tables themselves.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Do;
use crate::ui::keys::{HELP_BINDINGS, ScrollAction, action_in, help_sections, hints_of};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line, more_below};

#[derive(Debug, Default)]
pub struct Help {
    pub scroll: u16,
}

/// What one scroll key does to an offset.
pub fn scrolled(at: u16, action: ScrollAction) -> u16 {
    match action {
        ScrollAction::Down => at.saturating_add(1),
        ScrollAction::Up => at.saturating_sub(1),
        ScrollAction::PageDown => at.saturating_add(10),
        ScrollAction::PageUp => at.saturating_sub(10),
        ScrollAction::Close => at,
    }
}

/// A read-only page's keys (the help's): scroll it, or close it.
pub fn scroll_or_close(scroll: &mut u16, key: &KeyEvent) -> Vec<Do> {
    match action_in(HELP_BINDINGS, key) {
        Some(ScrollAction::Close) => vec![Do::Close],
        Some(a) => {
            *scroll = scrolled(*scroll, a);
            vec![]
        }
        None => vec![],
    }
}

impl Help {
    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        scroll_or_close(&mut self.scroll, key)
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let r = centered(area, 70, 90);
        f.render_widget(Clear, r);
        let mut lines = vec![
            Line::styled(
                "States: ✔ ok  ▲ warning  ✖ critical  ? unknown  ↻ running  · info",
                t.style(Role::Muted),
            ),
            Line::raw(""),
        ];
        for (title, keys) in help_sections() {
            lines.push(Line::styled(title, t.style(Role::Title)));
            for (label, help) in keys {
                lines.push(Line::from(vec![
                    Span::styled(format!("{label:>10}  "), t.style(Role::Key)),
                    Span::styled(help, t.style(Role::Text)),
                ]));
            }
            lines.push(Line::raw(""));
        }
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(" Help · j/k PgUp/PgDn scroll · Esc closes ");
        let height = block.inner(r).height as usize;
        let scroll = usize::from(self.scroll).min(lines.len().saturating_sub(height));
        let more = lines.len() > scroll + height;
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .scroll((scroll as u16, 0)),
            r,
        );
        if more {
            more_below(
                t,
                f,
                r.right().saturating_sub(2),
                r.bottom() - 1,
                " ↓ more ",
            );
        }
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(HELP_BINDINGS), width)
}
