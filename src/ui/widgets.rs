//! Small pieces every view draws with: a state's colour role, boxes, hint lines, the
//! lines that show a finding.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::panes::Health;
use super::theme::{Role, Theme};
use crate::assess::{Finding, Severity};
use crate::model::SyncState;

pub fn health_role(h: Health) -> Role {
    match h {
        Health::Ok => Role::Ok,
        Health::Info => Role::Info,
        Health::Progress => Role::Syncing,
        Health::Unknown => Role::Unknown,
        Health::Warning => Role::Warning,
        Health::Critical => Role::Critical,
    }
}

pub fn sync_role(s: &SyncState) -> Role {
    match s {
        SyncState::Live => Role::Ok,
        SyncState::Syncing => Role::Syncing,
        SyncState::Stale { .. } => Role::Stale,
        SyncState::Forbidden { .. } | SyncState::Error(_) => Role::Critical,
        SyncState::NotInstalled { .. } => Role::Warning,
    }
}

pub fn severity_role(s: Severity) -> Role {
    health_role(Health::from(s))
}

pub fn severity_glyph(s: Severity) -> &'static str {
    Health::from(s).glyph()
}

/// A box of the given share of `area`, centred. A margin under two cells would show the
/// pane borders beneath as a doubled frame (`┌┌`), so such a box takes the whole side.
pub fn centered(area: Rect, width_pct: u16, height_pct: u16) -> Rect {
    fn span(start: u16, len: u16, pct: u16) -> (u16, u16) {
        let inner = (u32::from(len) * u32::from(pct.min(100)) / 100) as u16;
        let margin = (len - inner) / 2;
        if margin < 2 {
            (start, len)
        } else {
            (start + margin, inner)
        }
    }
    let (x, width) = span(area.x, area.width, width_pct);
    let (y, height) = span(area.y, area.height, height_pct);
    Rect::new(x, y, width, height)
}

/// Says there is more to scroll to: `label` ending at column `right` of row `row`.
pub fn more_below(t: &Theme, f: &mut Frame, right: u16, row: u16, label: &str) {
    let w = label.chars().count() as u16;
    if right < w
        || !f
            .area()
            .contains(ratatui::layout::Position::new(right - 1, row))
    {
        return;
    }
    let at = Rect::new(right - w, row, w, 1);
    f.render_widget(Clear, at);
    f.render_widget(Paragraph::new(Span::styled(label, t.style(Role::Key))), at);
}

/// Key hints, as many as fit.
pub fn hint_line(t: &Theme, hints: &[(&str, &str)], width: u16) -> Line<'static> {
    let mut spans = Vec::new();
    let mut used = 0;
    for (k, what) in hints {
        let w = k.chars().count() + what.chars().count() + 3;
        if used + w > width as usize {
            break;
        }
        used += w;
        spans.push(Span::styled(format!(" {k}"), t.style(Role::Key)));
        spans.push(Span::styled(format!(" {what} "), t.style(Role::Muted)));
    }
    Line::from(spans)
}

/// A row the engineer can select: `▸` and the selection style when selected, then `key`
/// (a number to press, or nothing) and the rest.
pub fn selectable<'a>(t: &Theme, selected: bool, key: String, rest: Vec<Span<'a>>) -> Line<'a> {
    let mut spans = vec![Span::styled(
        format!("{}{key}", if selected { "▸ " } else { "  " }),
        t.style(Role::Key),
    )];
    spans.extend(rest);
    let line = Line::from(spans);
    if selected {
        line.style(t.style(Role::Selection))
    } else {
        line
    }
}

/// A section title inside an overlay.
pub fn section_title(t: &Theme, title: impl Into<String>) -> Line<'static> {
    Line::styled(
        title.into(),
        t.style(Role::Accent).add_modifier(Modifier::BOLD),
    )
}

/// A finding's proof and remedy, under its head line.
pub fn finding_body(t: &Theme, fd: &Finding) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = fd
        .evidence
        .iter()
        .map(|e| Line::styled(format!("      │ {e}"), t.style(Role::Muted)))
        .collect();
    if !fd.remedy.is_empty() {
        lines.push(Line::styled(
            format!("      → {}", fd.remedy),
            t.style(Role::Key),
        ));
    }
    lines
}
