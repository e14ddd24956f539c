//! `w`: the troubleshooting trees to walk, those explaining a current finding marked, and
//! the walk in progress to resume.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::walk::about;
use super::{Ctx, Do};
use crate::ui::keys::{CHOOSER_BINDINGS, ChooserAction, action_in, hints_of};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line, selectable};

#[derive(Debug, Clone, Default)]
pub struct Chooser {
    /// 0 is the walk in progress when there is one; the trees follow.
    pub selected: usize,
    pub training: bool,
}

impl Chooser {
    pub fn handle_key(&mut self, key: &KeyEvent, ctx: &Ctx) -> Vec<Do> {
        let offset = usize::from(ctx.walk.is_some());
        let rows = offset + ctx.settings.trees.len();
        let Some(action) = action_in(CHOOSER_BINDINGS, key) else {
            return vec![];
        };
        match action {
            ChooserAction::Up => self.selected = self.selected.saturating_sub(1),
            ChooserAction::Down => self.selected = (self.selected + 1).min(rows.saturating_sub(1)),
            ChooserAction::Training => self.training = !self.training,
            ChooserAction::Leave => return vec![Do::Close],
            ChooserAction::Start if self.selected < offset => {
                return vec![Do::Close, Do::ResumeWalk];
            }
            ChooserAction::Start => {
                return vec![
                    Do::Close,
                    Do::StartWalk {
                        index: self.selected - offset,
                        training: self.training,
                    },
                ];
            }
        }
        vec![]
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let trees = &ctx.settings.trees;
        let r = centered(area, 94, 90);
        f.render_widget(Clear, r);
        let training = if self.training {
            Span::styled(" training: on (t) ", t.style(Role::Warning))
        } else {
            Span::styled(" training: off (t) ", t.style(Role::Muted))
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(Span::styled(
                " Troubleshooting trees · Enter walks · Esc closes ",
                t.style(Role::Title),
            ))
            .title(Line::from(training).right_aligned());
        let inner = block.inner(r);
        f.render_widget(block, r);
        let mut lines: Vec<Line> = Vec::new();
        let offset = usize::from(ctx.walk.is_some());
        if let Some(v) = ctx.walk {
            lines.push(selectable(
                t,
                self.selected == 0,
                "↩ Resume  ".into(),
                vec![
                    Span::styled(v.walk.tree.title.clone(), t.style(Role::Text)),
                    Span::styled(
                        format!(
                            "  at {}, {} choices made{}",
                            v.walk.current().node,
                            v.walk.visits.len() - 1,
                            about(v)
                        ),
                        t.style(Role::Muted),
                    ),
                ],
            ));
            lines.push(Line::raw(""));
        }
        let width = trees
            .iter()
            .map(|tr| tr.title.chars().count())
            .max()
            .unwrap_or(0);
        for (i, tree) in trees.iter().enumerate() {
            let found: Vec<&str> = ctx
                .board
                .findings
                .iter()
                .map(|fd| fd.code)
                .filter(|c| tree.findings.iter().any(|x| x == c))
                .collect();
            // Worst first, as the findings are; each code once.
            let mut codes: Vec<&str> = Vec::new();
            for c in &found {
                if !codes.contains(c) {
                    codes.push(c);
                }
            }
            let selected = self.selected == i + offset;
            let mark = if found.is_empty() {
                Span::styled("  ", t.style(Role::Muted))
            } else {
                Span::styled("● ", t.style(Role::Warning))
            };
            let mut spans = vec![
                mark,
                Span::styled(format!("{:<width$}  ", tree.title), t.style(Role::Text)),
                Span::styled(
                    format!(
                        "{} · {} questions",
                        tree.name,
                        tree.nodes.len() - tree.leaves()
                    ),
                    t.style(Role::Muted),
                ),
            ];
            if !codes.is_empty() {
                let more = if codes.len() > 3 {
                    format!(" +{}", codes.len() - 3)
                } else {
                    String::new()
                };
                spans.push(Span::styled(
                    format!(
                        " · explains {}{more}",
                        codes[..codes.len().min(3)].join(" ")
                    ),
                    t.style(Role::Warning),
                ));
            }
            if tree.origin != "built in" {
                spans.push(Span::styled(
                    format!(" · {}", tree.origin),
                    t.style(Role::Accent),
                ));
            }
            lines.push(selectable(t, selected, String::new(), spans));
        }
        // One tree a row, clipped at the edge; what the selected one is about wraps below.
        let list_height = (lines.len() as u16).min(inner.height);
        let [list_area, about_area] =
            Layout::vertical([Constraint::Length(list_height), Constraint::Fill(1)]).areas(inner);
        f.render_widget(Paragraph::new(lines), list_area);
        let mut lines: Vec<Line> = Vec::new();
        if let Some(tree) = self.selected.checked_sub(offset).and_then(|i| trees.get(i)) {
            lines.push(Line::raw(""));
            if !tree.description.is_empty() {
                lines.push(Line::styled(tree.description.clone(), t.style(Role::Text)));
            }
            if !tree.source.is_empty() {
                lines.push(Line::styled(
                    format!("source: {}", tree.source),
                    t.style(Role::Muted),
                ));
            }
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "● a current finding is one this tree explains. From a row or a finding, W walks the tree that fits it.",
            t.style(Role::Muted),
        ));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), about_area);
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(CHOOSER_BINDINGS), width)
}
