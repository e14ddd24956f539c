//! `a`: which alerts watch each Cluster's backups (age, failure, WAL archiving), the
//! alerts that read metrics frozen for plugin Clusters, and who scrapes each Cluster. Built
//! from the gathered facts when opened (the audit is pure); readable without colour: every
//! verdict is a ✓ or a ✗ and a word.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Do;
use super::help::scroll_or_close;
use crate::assess::alerting::{Aspect, Audit};
use crate::model::alerting::FiringAlert;
use crate::ui::keys::{HELP_BINDINGS, hints_of};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line, more_below};

/// One line of the view and how it reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Row {
    Title(String),
    Good(String),
    Bad(String),
    Plain(String),
}

#[derive(Debug, Default)]
pub struct AlertsView {
    pub rows: Vec<Row>,
    pub scroll: u16,
}

fn clean(s: &str) -> String {
    crate::sanitize::untrusted(s)
}

impl AlertsView {
    pub fn of(a: &Audit, firing: Option<&Result<Vec<FiringAlert>, String>>) -> AlertsView {
        let mut rows = Vec::new();
        match firing {
            None => rows.push(Row::Plain(
                "Firing alerts: no Alertmanager configured (alertmanager.url in the config file)"
                    .into(),
            )),
            Some(Err(e)) => rows.push(Row::Bad(clean(&format!("Firing alerts not read: {e}")))),
            Some(Ok(list)) if list.is_empty() => {
                rows.push(Row::Good("✓ Firing alerts: none".into()))
            }
            Some(Ok(list)) => {
                rows.push(Row::Title(format!("Firing alerts ({})", list.len())));
                for f in list {
                    let on = match (f.namespace.as_str(), f.cluster.as_str()) {
                        ("", _) => String::new(),
                        (ns, "") => format!(" on namespace {ns}"),
                        (ns, c) => format!(" on Cluster {ns}/{c}"),
                    };
                    rows.push(Row::Bad(clean(&format!(
                        "✖ {} ({}){on} since {}: {}",
                        f.name, f.severity, f.starts_at, f.summary
                    ))));
                }
            }
        }
        for n in &a.notes {
            rows.push(Row::Plain(clean(n)));
        }
        if a.clusters.is_empty() {
            rows.push(Row::Plain("No Cluster backs up here.".into()));
        }
        for c in &a.clusters {
            let how = if c.plugin { "plugin" } else { "in-tree" };
            rows.push(Row::Title(clean(&format!(
                "Cluster {}/{} ({how})",
                c.namespace, c.name
            ))));
            if a.rules_audited {
                for aspect in Aspect::ALL {
                    match c.by.get(&aspect).filter(|v| !v.is_empty()) {
                        Some(by) => rows.push(Row::Good(clean(&format!(
                            "✓ {}: {}",
                            aspect.word(),
                            by.join(", ")
                        )))),
                        None => rows.push(Row::Bad(format!("✗ {}: no alert", aspect.word()))),
                    }
                }
            }
            for (rule, old, new) in &c.frozen {
                rows.push(Row::Bad(clean(&format!(
                    "✗ frozen metric: {rule} reads {old} (use {new})"
                ))));
            }
            match &c.scraped_by {
                Some(by) if by.is_empty() => rows.push(Row::Bad(
                    "✗ scraped by: no PodMonitor or ServiceMonitor".into(),
                )),
                Some(by) => rows.push(Row::Good(clean(&format!(
                    "✓ scraped by: {}",
                    by.join(", ")
                )))),
                None => rows.push(Row::Plain(
                    "? scraped by: not known (no PodMonitor API)".into(),
                )),
            }
        }
        AlertsView { rows, scroll: 0 }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        scroll_or_close(&mut self.scroll, key)
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let r = centered(area, 90, 90);
        f.render_widget(Clear, r);
        let lines: Vec<Line> = self
            .rows
            .iter()
            .map(|row| match row {
                Row::Title(s) => Line::styled(s.clone(), t.style(Role::Title)),
                Row::Good(s) => Line::from(vec![
                    Span::raw("  "),
                    Span::styled(s.clone(), t.style(Role::Ok)),
                ]),
                Row::Bad(s) => Line::from(vec![
                    Span::raw("  "),
                    Span::styled(s.clone(), t.style(Role::Warning)),
                ]),
                Row::Plain(s) => Line::styled(s.clone(), t.style(Role::Muted)),
            })
            .collect();
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.style(Role::BorderFocused))
            .title(" Alerts on backups · j/k PgUp/PgDn scroll · Esc closes ");
        let height = block.inner(r).height as usize;
        let scroll = usize::from(self.scroll).min(lines.len().saturating_sub(height));
        let more = lines.len() > scroll + height;
        f.render_widget(
            Paragraph::new(lines)
                .block(block)
                .wrap(ratatui::widgets::Wrap { trim: false })
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

/// What `a` does: the view of the facts as gathered, or a word that they are not yet.
pub fn open(b: &crate::ui::board::Board) -> Do {
    match b.facts() {
        Some(facts) => Do::Push(super::Overlay::Alerts(AlertsView::of(
            &crate::assess::alerting::audit(&facts),
            b.extras.as_ref().and_then(|e| e.firing.as_ref()),
        ))),
        None => Do::Say(
            crate::ui::panes::Health::Info,
            "the alerting objects are being gathered…".into(),
        ),
    }
}

pub fn footer(t: &Theme, width: u16) -> Line<'static> {
    hint_line(t, &hints_of(HELP_BINDINGS), width)
}
