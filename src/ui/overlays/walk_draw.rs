//! Drawing a walk: the breadcrumbs, the question with its check's evidence and the
//! proposed branch, or the diagnosis with its remedy and actions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::Ctx;
use super::walk::{WalkView, about};
use crate::assess::catalog;
use crate::trees::eval::Verdict;
use crate::trees::model::Leaf;
use crate::ui::panes::age;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{more_below, selectable, severity_glyph, severity_role};

fn verdict_look(v: Verdict) -> (&'static str, Role) {
    match v {
        Verdict::Pass => ("✔ pass", Role::Ok),
        Verdict::Fail => ("✖ fail", Role::Critical),
        Verdict::Unknown => ("? unknown", Role::Unknown),
        Verdict::Error => ("! error", Role::Warning),
    }
}

fn breadcrumbs<'a>(view: &'a WalkView, t: &Theme) -> Line<'a> {
    let mut spans = Vec::new();
    for v in &view.walk.visits[..view.walk.visits.len() - 1] {
        let Some(c) = &v.choice else { continue };
        spans.push(Span::styled(v.node.clone(), t.style(Role::Muted)));
        let role = if view.walk.training {
            Role::Key
        } else if v.overridden() {
            Role::Warning
        } else {
            Role::Key
        };
        let mut label = format!(" {} ", c.branch);
        if !view.walk.training && v.overridden() {
            label = format!(" {} (override) ", c.branch);
        }
        spans.push(Span::styled(label, t.style(role)));
        spans.push(Span::styled("› ", t.style(Role::Muted)));
    }
    spans.push(Span::styled(
        view.walk.current().node.clone(),
        t.style(Role::Accent),
    ));
    Line::from(spans)
}

fn leaf_lines<'a>(ctx: &Ctx, view: &'a WalkView, leaf: &'a Leaf) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let entry = leaf.finding.as_deref().and_then(catalog::find);
    let role = entry
        .map(|e| severity_role(e.severity))
        .unwrap_or(Role::Info);
    let mut lines = vec![
        Line::styled("Diagnosis", t.style(Role::Title)),
        Line::styled(leaf.diagnosis.trim().to_string(), t.style(role)),
    ];
    if let Some(e) = entry {
        lines.push(Line::styled(
            format!(
                "{} {} {}: {}",
                severity_glyph(e.severity),
                e.code,
                e.severity.as_str(),
                e.title
            ),
            t.style(role),
        ));
    }
    lines.push(Line::raw(""));
    let w = &view.walk;
    let steps = w.visits.len() - 1;
    lines.push(Line::styled(
        format!(
            "Path: {steps} step{}, {} override{}, {} taken back",
            if steps == 1 { "" } else { "s" },
            w.overrides(),
            if w.overrides() == 1 { "" } else { "s" },
            w.steps_back
        ),
        t.style(Role::Muted),
    ));
    if w.training {
        let s = w.score();
        let role = if s.percent() >= 80 {
            Role::Ok
        } else {
            Role::Warning
        };
        lines.push(Line::styled(
            format!(
                "Score: {}/100  ({} of {} choices followed the evidence)",
                s.percent(),
                s.agreed,
                s.judged
            ),
            t.style(role),
        ));
        if let Some(end) = &view.evidence_leads_to {
            if *end == w.current().node {
                lines.push(Line::styled(
                    "✔ The evidence leads here too.",
                    t.style(Role::Ok),
                ));
            } else {
                lines.push(Line::styled(
                    format!("▲ The evidence leads to {end}, not here."),
                    t.style(Role::Warning),
                ));
            }
        }
        for &i in &s.departures {
            let v = &w.visits[i];
            lines.push(Line::styled(
                format!(
                    "  step {}, {}: you chose {}, the evidence said {}",
                    i + 1,
                    v.node,
                    v.choice.as_ref().map(|c| c.target.as_str()).unwrap_or(""),
                    v.decided().unwrap_or("")
                ),
                t.style(Role::Warning),
            ));
            if let Some(a) = &v.answer {
                lines.push(Line::styled(
                    format!("    {}: {}", a.verdict.branch(), a.summary),
                    t.style(Role::Muted),
                ));
                for e in a.evidence.iter().take(3) {
                    lines.push(Line::styled(format!("    │ {e}"), t.style(Role::Muted)));
                }
            }
        }
    }
    if !leaf.remedy.commands.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Remedy", t.style(Role::Title)));
        for c in &leaf.remedy.commands {
            let (prefix, role) = if c.trim_start().starts_with('#') {
                ("  ", Role::Muted)
            } else {
                ("  $ ", Role::Key)
            };
            lines.push(Line::styled(format!("{prefix}{c}"), t.style(role)));
        }
    }
    for r in &leaf.references {
        lines.push(Line::styled(format!("  see: {r}"), t.style(Role::Muted)));
    }
    if !leaf.prevention.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Prevention", t.style(Role::Title)));
        for p in &leaf.prevention {
            lines.push(Line::styled(format!("  • {p}"), t.style(Role::Text)));
        }
    }
    lines
}

fn question_lines<'a>(ctx: &Ctx, view: &'a WalkView) -> Vec<Line<'a>> {
    let t = ctx.theme;
    let v = view.walk.current();
    let mut lines = Vec::new();
    if view.running {
        lines.push(Line::styled(
            "↻ running the check on fresh data…",
            t.style(Role::Syncing),
        ));
    }
    let Some(a) = &v.answer else {
        if !view.running {
            lines.push(Line::styled(
                "? not run yet: the cluster's facts are being gathered (r runs it)",
                t.style(Role::Unknown),
            ));
        }
        return lines;
    };
    if view.walk.training {
        lines.push(Line::styled(
            format!("· {}", a.summary),
            t.style(Role::Text),
        ));
    } else {
        let (word, role) = verdict_look(a.verdict);
        lines.push(Line::from(vec![
            Span::styled(format!("{word}  "), t.style(role)),
            Span::styled(a.summary.clone(), t.style(Role::Text)),
        ]));
    }
    if a.evidence.is_empty() {
        lines.push(Line::styled(
            "  (no further evidence)",
            t.style(Role::Muted),
        ));
    }
    for e in &a.evidence {
        lines.push(Line::styled(format!("│ {e}"), t.style(Role::Muted)));
    }
    lines
}

/// Rows `lines` take when wrapped at `width`: word wrapping can take a row more than the
/// characters need, so a line that wraps is given one spare.
fn wrapped_height(lines: &[Line], width: u16) -> u16 {
    let width = usize::from(width.max(1));
    lines
        .iter()
        .map(|l| {
            let w = l.width();
            if w > width { w.div_ceil(width) + 1 } else { 1 }
        })
        .sum::<usize>()
        .min(usize::from(u16::MAX)) as u16
}

pub fn draw_walk(view: &WalkView, f: &mut Frame, area: Rect, ctx: &Ctx) {
    let t = ctx.theme;
    let w = &view.walk;
    // The walk has the whole body: the panes behind it would only be noise.
    let r = area;
    f.render_widget(Clear, r);
    let mut right = vec![];
    if w.training {
        right.push(Span::styled(" training ", t.style(Role::Warning)));
    }
    right.push(Span::styled(
        format!(" step {} ", w.visits.len()),
        t.style(Role::Muted),
    ));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(Span::styled(
            format!(" Walk: {}{} ", w.tree.title, about(view)),
            t.style(Role::Title),
        ))
        .title(Line::from(right).right_aligned());
    let inner = block.inner(r);
    f.render_widget(block, r);
    let node = w.node();
    let mut head = vec![breadcrumbs(view, t), Line::raw("")];
    let leaf = w.leaf();
    if leaf.is_none() {
        head.push(Line::from(vec![
            Span::styled(
                node.map(|n| n.title.clone()).unwrap_or_default(),
                t.style(Role::Title),
            ),
            Span::styled(format!("  [{}]", w.current().node), t.style(Role::Muted)),
        ]));
        if let Some(why) = node.map(|n| n.why.as_str()).filter(|s| !s.is_empty()) {
            head.push(Line::styled(why.to_string(), t.style(Role::Muted)));
        }
        if let Some(check) = node.and_then(|n| n.check.as_ref()) {
            let ran = w
                .current()
                .checked
                .map(|at| {
                    format!(
                        "  ran {} ({} ago)",
                        at.format("%H:%M:%S"),
                        age(Some(at), ctx.board.now)
                    )
                })
                .unwrap_or_default();
            head.push(Line::from(vec![
                Span::styled("check ", t.style(Role::Muted)),
                Span::styled(check.describe(), t.style(Role::Accent)),
                Span::styled(ran, t.style(Role::Muted)),
            ]));
        }
    }
    // The head wraps: measure it at this width so the evidence starts right below.
    let head_height = wrapped_height(&head, inner.width);
    let branches = w.branches();
    let note = &w.current().note;
    let editing = view.editor.is_some();
    let actions = if leaf.is_some() {
        view.leaf_actions(ctx).len() as u16
    } else {
        0
    };
    let bottom_height = if leaf.is_some() {
        u16::from(!note.is_empty()) + 1 + if actions > 0 { actions + 1 } else { 0 }
    } else {
        branches.len() as u16 + 2 + u16::from(!note.is_empty())
    };
    let bottom_height = if editing { 7 } else { bottom_height };
    let body = match leaf {
        Some(l) => leaf_lines(ctx, view, l),
        None => question_lines(ctx, view),
    };
    // The branches follow the evidence right below it; long evidence scrolls.
    let body_height = wrapped_height(&body, inner.width) + 1;
    let [head_area, body_area, bottom_area, _] = Layout::vertical([
        Constraint::Length(head_height.min(inner.height / 2)),
        Constraint::Max(body_height),
        Constraint::Length(bottom_height),
        Constraint::Fill(1),
    ])
    .areas(inner);
    f.render_widget(Paragraph::new(head).wrap(Wrap { trim: false }), head_area);
    f.render_widget(
        Paragraph::new(body)
            .wrap(Wrap { trim: false })
            .scroll((view.scroll, 0)),
        body_area,
    );
    if body_height.saturating_sub(view.scroll) > body_area.height + 1 && body_area.height > 0 {
        more_below(
            ctx.theme,
            f,
            body_area.right(),
            body_area.bottom() - 1,
            " ↓ more: PgDn ",
        );
    }
    if let Some(editor) = &view.editor {
        f.render_widget(editor, bottom_area);
        return;
    }
    let mut bottom = Vec::new();
    if leaf.is_none() {
        bottom.push(Line::styled(
            if w.training {
                "Your choice:"
            } else {
                "Branches:"
            },
            t.style(Role::Title),
        ));
        let proposed = w.current().decided();
        for (i, (name, target)) in branches.iter().enumerate() {
            let selected = i == view.selected;
            let mut spans = vec![
                Span::styled(format!("{name:<7} → "), t.style(Role::Muted)),
                Span::styled(
                    w.tree
                        .node(target)
                        .map(|n| {
                            if n.is_leaf() {
                                format!("{target} (diagnosis)")
                            } else {
                                format!("{target}: {}", n.title)
                            }
                        })
                        .unwrap_or_else(|| target.clone()),
                    t.style(Role::Text),
                ),
            ];
            if !w.training && proposed == Some(target.as_str()) {
                spans.push(Span::styled("  ◀ proposed", t.style(Role::Ok)));
            }
            bottom.push(selectable(t, selected, format!("{} ", i + 1), spans));
        }
        if !w.training && proposed.is_none() && w.current().answer.is_some() {
            bottom.push(Line::styled(
                "The evidence does not decide: choose a branch.",
                t.style(Role::Unknown),
            ));
        }
    }
    if !note.is_empty() {
        bottom.push(Line::styled(
            format!("note: {}", note.lines().collect::<Vec<_>>().join(" ⏎ ")),
            t.style(Role::Filter),
        ));
    }
    if leaf.is_some() {
        let actions = view.leaf_actions(ctx);
        if !actions.is_empty() {
            bottom.push(Line::styled(
                if ctx.settings.read_only {
                    "Actions (read-only: off):"
                } else {
                    "Actions (Enter asks to confirm):"
                },
                t.style(Role::Title),
            ));
        }
        for (i, (name, target)) in actions.iter().enumerate() {
            let selected = i == view.selected;
            let on = match target {
                Ok((_, s)) => format!("{} {}/{}", s.kind, s.namespace, s.name),
                Err(why) => why.clone(),
            };
            let role = if target.is_ok() && !ctx.settings.read_only {
                Role::Text
            } else {
                Role::Muted
            };
            bottom.push(selectable(
                t,
                selected,
                format!("{} ", i + 1),
                vec![
                    Span::styled(format!("{name:<22} "), t.style(role)),
                    Span::styled(on, t.style(Role::Muted)),
                ],
            ));
        }
        let saved = match &view.saved {
            Some(Ok(p)) => format!("transcript: {}", p.display()),
            Some(Err(e)) => format!("transcript not saved: {e}"),
            None => "x exports the walk as a Markdown transcript".into(),
        };
        bottom.push(Line::styled(saved, t.style(Role::Key)));
    }
    f.render_widget(Paragraph::new(bottom), bottom_area);
}
