//! Enter on a row: one object's fields, conditions and relations, with the findings about
//! it first. The panes' keys for an object (YAML, events, logs, actions, walk) work here on
//! the object shown.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::detail_sections::sections;
use super::help::scrolled;
use super::{Ctx, Do};
use crate::model::{Kind, ObjectRef};
use crate::ui::keys::{DETAIL_BINDINGS, ScrollAction, action_for, action_in, hints_of};
use crate::ui::panes::Ground;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{
    centered, finding_body, hint_line, section_title, severity_glyph, severity_role,
};

/// Kinds with a detail view.
pub const KINDS: &[Kind] = &[
    Kind::Pod,
    Kind::ObjectStore,
    Kind::Backup,
    Kind::Cluster,
    Kind::Kustomization,
    Kind::GitRepository,
];

#[derive(Debug)]
pub struct Detail {
    pub target: ObjectRef,
    pub scroll: u16,
}

impl Detail {
    /// The detail of `target`, when its kind has one.
    pub fn of(target: ObjectRef) -> Option<Detail> {
        KINDS
            .contains(&target.kind)
            .then_some(Detail { target, scroll: 0 })
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        match action_in(DETAIL_BINDINGS, key) {
            Some(ScrollAction::Close) => vec![Do::Close],
            Some(a) => {
                self.scroll = scrolled(self.scroll, a);
                vec![]
            }
            None => match action_for(key) {
                Some(a) if a.acts_on_an_object() => vec![Do::OnObject(a, self.target.clone())],
                _ => vec![],
            },
        }
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, ctx: &Ctx) {
        let t = ctx.theme;
        let target = &self.target;
        let r = centered(area, 94, 94);
        f.render_widget(Clear, r);
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(Span::styled(
                format!(" {} ", target.display()),
                t.style(Role::Title),
            ));
        let mut lines: Vec<Line> = Vec::new();
        let mut about = ctx.board.findings_about(target).peekable();
        if about.peek().is_some() {
            lines.push(section_title(t, "Findings"));
            for fd in about {
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("  {} {} ", severity_glyph(fd.severity), fd.code),
                        t.style(severity_role(fd.severity)),
                    ),
                    Span::styled(fd.summary.clone(), t.style(Role::Text)),
                ]));
                lines.extend(finding_body(t, fd));
            }
            lines.push(Line::raw(""));
        }
        let ground = Ground {
            proofs: &ctx.board.proofs,
            archivers: &ctx.board.archivers,
        };
        match sections(
            &ctx.board.snapshot,
            target,
            ctx.board.now,
            ground,
            &ctx.settings.thresholds,
        ) {
            None => lines.push(Line::styled(
                "This object is gone from the cluster.",
                t.style(Role::Warning),
            )),
            Some(sections) => {
                let label_width = sections
                    .iter()
                    .flat_map(|s| s.lines.iter().map(|(l, _)| l.chars().count()))
                    .max()
                    .unwrap_or(0)
                    .min(34);
                for s in sections {
                    lines.push(section_title(t, s.title));
                    for (label, value) in s.lines {
                        if label.is_empty() {
                            lines.push(Line::styled(format!("  {value}"), t.style(Role::Text)));
                        } else {
                            lines.push(Line::from(vec![
                                Span::styled(
                                    format!("  {label:<label_width$}  "),
                                    t.style(Role::Muted),
                                ),
                                Span::styled(value, t.style(Role::Text)),
                            ]));
                        }
                    }
                    lines.push(Line::raw(""));
                }
            }
        }
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(Wrap { trim: false })
                .scroll((self.scroll, 0)),
            r,
        );
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(DETAIL_BINDINGS), width)
}
