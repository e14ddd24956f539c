//! `f`: every finding, worst first; the selected one whole, with its proof and remedy.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::detail::Detail;
use super::{Ctx, Do, Overlay};
use crate::ui::keys::{FINDINGS_BINDINGS, FindingsAction, action_in, hints_of};
use crate::ui::panes::Health;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, finding_body, hint_line, severity_glyph, severity_role};

#[derive(Debug, Default)]
pub struct Findings {
    pub selected: usize,
}

impl Findings {
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        let findings = &ctx.board.findings;
        let Some(action) = action_in(FINDINGS_BINDINGS, key) else {
            return vec![];
        };
        match action {
            FindingsAction::Close => return vec![Do::Close],
            FindingsAction::Down => {
                self.selected = (self.selected + 1).min(findings.len().saturating_sub(1))
            }
            FindingsAction::Up => self.selected = self.selected.saturating_sub(1),
            FindingsAction::Walk => return vec![Do::Choose],
            FindingsAction::WalkThis => {
                if let Some(f) = findings.get(self.selected) {
                    return vec![Do::WalkThis {
                        subject: f.object.clone(),
                        codes: vec![f.code],
                    }];
                }
            }
            FindingsAction::Open => {
                if let Some(f) = findings.get(self.selected) {
                    return match Detail::of(f.object.clone()) {
                        // The detail takes the list's place: Esc goes back to the panes.
                        Some(d) => vec![Do::Close, Do::Push(Overlay::Detail(d))],
                        None => vec![Do::Say(
                            Health::Info,
                            format!(
                                "{} {} has no detail view: its finding says it all",
                                f.object.kind, f.object.name
                            ),
                        )],
                    };
                }
            }
        }
        vec![]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let (t, board) = (ctx.theme, ctx.board);
        let r = centered(area, 96, 94);
        f.render_widget(Clear, r);
        let title = format!(
            " Findings {} · Enter opens the object · Esc closes ",
            board.findings.len()
        );
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(Span::styled(title, t.style(Role::Title)));
        let inner = block.inner(r);
        f.render_widget(block, r);
        let mut lines: Vec<Line> = Vec::new();
        if board.findings.is_empty() && board.unknown.is_empty() {
            lines.push(Line::styled(
                "✔ No finding: every rule passed.",
                t.style(Role::Ok),
            ));
        } else if board.findings.is_empty() {
            // What could not be read is no pass: the list says so first.
            lines.push(Line::styled(
                format!(
                    "? No finding in what could be read; {} could not be checked (below).",
                    match board.unknown.len() {
                        1 => "1 area".to_string(),
                        n => format!("{n} areas"),
                    }
                ),
                t.style(Role::Unknown),
            ));
        }
        // The selected finding is shown whole; the others one line each.
        for (i, fd) in board.findings.iter().enumerate() {
            let selected = i == self.selected;
            let head = Line::from(vec![
                Span::styled(
                    format!("{} {} ", severity_glyph(fd.severity), fd.code),
                    t.style(severity_role(fd.severity)),
                ),
                Span::styled(
                    format!("{:<8} ", fd.severity.as_str()),
                    t.style(Role::Muted),
                ),
                Span::styled(format!("{}  ", fd.object.display()), t.style(Role::Accent)),
                Span::styled(fd.summary.clone(), t.style(Role::Text)),
            ]);
            if selected {
                lines.push(head.style(t.style(Role::Selection)));
                lines.extend(finding_body(t, fd));
            } else {
                lines.push(head);
            }
        }
        for u in &board.unknown {
            lines.push(Line::styled(
                format!("? could not check {}: {}", u.area, u.reason),
                t.style(Role::Unknown),
            ));
        }
        let height = inner.height as usize;
        let skip = self.selected.saturating_sub(height / 3);
        let visible: Vec<Line> = lines.into_iter().skip(skip).collect();
        f.render_widget(Paragraph::new(visible).wrap(Wrap { trim: false }), inner);
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(FINDINGS_BINDINGS), width)
}
