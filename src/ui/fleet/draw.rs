//! The fleet screen, drawn: a header with the fleet's worst state and the read's age, a
//! row per Kubernetes cluster (worst first) with a line per CNPG Cluster under it, the
//! selected site in full, and the footer. Pure: the view carries `now`.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::{FleetView, REREAD_EVERY};
use crate::assess::summary::{ClusterSummary, Method, Window};
use crate::model::kubefmt::human_duration;
use crate::sanitize::{clean_line, untrusted};
use crate::ui::app::{MIN_HEIGHT, MIN_WIDTH};
use crate::ui::keys::{FLEET_BINDINGS, hints_of};
use crate::ui::panes::Health;
use crate::ui::panes::table::ellipsize;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{health_role, hint_line};

/// The widest a context or Cluster name column grows; longer names are cut with `…`.
const NAME_COLUMN: usize = 32;

pub fn draw(v: &FleetView, t: &Theme, f: &mut Frame) {
    let area = f.area();
    f.render_widget(Block::new().style(t.style(Role::Text)), area);
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "backstop needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}.\nEnlarge it, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
    } else {
        let [header, body, selected, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Fill(1),
            Constraint::Length(4),
            Constraint::Length(1),
        ])
        .areas(area);
        draw_header(v, t, f, header);
        draw_rows(v, t, f, body);
        draw_selected(v, t, f, selected);
        draw_footer(v, t, f, footer);
    }
    crate::ui::draw::clean_cells(f.buffer_mut());
}

/// Text from a kubeconfig or a cluster, for one line of the screen.
fn outside(s: &str) -> String {
    clean_line(&untrusted(s)).into_owned()
}

fn draw_header(v: &FleetView, t: &Theme, f: &mut Frame, area: Rect) {
    let base = t.style(Role::Header);
    let mut spans = vec![
        Span::styled(" backstop ", base.add_modifier(Modifier::BOLD)),
        Span::styled(format!(" fleet of {} contexts ", v.contexts().len()), base),
    ];
    if !v.sites.is_empty() {
        let worst = Health::from(crate::fleet::status(&v.sites));
        spans.push(Span::styled(
            format!("│ {} {} ", worst.glyph(), worst.word()),
            base.patch(t.style(health_role(worst))),
        ));
    }
    let read = match (v.reading_since, v.read_at) {
        (Some(since), _) => format!(
            "│ ↻ reading every context… {} ",
            human_duration(v.now - since)
        ),
        (None, Some(at)) => format!(
            "│ read {} ago, again every {} s ",
            human_duration(v.now - at),
            REREAD_EVERY.num_seconds()
        ),
        (None, None) => "│ not read yet ".into(),
    };
    spans.push(Span::styled(read, base));
    f.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// The rows, each with the index of the site (row) it belongs to.
fn lines(v: &FleetView, t: &Theme, width: u16) -> Vec<(usize, Line<'static>)> {
    let selected = v.selected();
    let contexts = v.contexts();
    let name_width = contexts
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(8, NAME_COLUMN);
    let mut out = Vec::new();
    for (i, context) in contexts.iter().enumerate() {
        let site = v.sites.get(i);
        let health = site.map_or(Health::Progress, |s| Health::from(s.status));
        let (what, word) = match site {
            Some(s) => (s.summary(), health.word()),
            None => ("being read…".to_string(), "reading"),
        };
        let head = format!(
            "{} {} {word:<8} {:<name_width$}  ",
            if i == selected { "▸" } else { " " },
            health.glyph(),
            ellipsize(&outside(context), name_width as u16),
        );
        let rest = ellipsize(
            &outside(&what),
            width.saturating_sub(head.chars().count() as u16),
        );
        let mut line = Line::from(vec![
            Span::styled(head, t.style(health_role(health))),
            Span::styled(rest, t.style(Role::Text)),
        ]);
        if i == selected {
            line = line.style(t.style(Role::Selection));
        }
        out.push((i, line));
        let Some(site) = site else { continue };
        if site.unreachable.is_none() && site.clusters.is_empty() {
            out.push((
                i,
                Line::styled("    no CNPG Cluster here", t.style(Role::Muted)),
            ));
        }
        let cluster_width = site
            .clusters
            .iter()
            .map(|c| c.namespace.chars().count() + 1 + c.name.chars().count())
            .max()
            .unwrap_or(0)
            .min(NAME_COLUMN);
        for c in &site.clusters {
            out.push((i, cluster_line(c, v, t, cluster_width)));
        }
    }
    out
}

/// One CNPG Cluster under its site: its last good backup, the recovery window its bucket
/// proves, its WAL archiving, how it backs up. Each with a word, not only a colour; the
/// most telling first, so a narrow terminal cuts the least.
fn cluster_line(c: &ClusterSummary, v: &FleetView, t: &Theme, width: usize) -> Line<'static> {
    let name = ellipsize(
        &outside(&format!("{}/{}", c.namespace, c.name)),
        width as u16,
    );
    let (good, good_health) = last_good(c, v);
    let (window, window_health) = window(&c.window, c.claimed_from, v.now);
    let (wal, wal_health) = wal(c, v.now);
    let cell = |text: String, h: Health| Span::styled(text, t.style(health_role(h)));
    let label = |text: &'static str| Span::styled(text, t.style(Role::Muted));
    Line::from(vec![
        Span::styled(format!("    {name:<width$}  "), t.style(Role::Text)),
        label("last good "),
        cell(format!("{good:<10}"), good_health),
        label("  window "),
        cell(format!("{window:<22}"), window_health),
        label("  WAL "),
        cell(format!("{wal:<18}"), wal_health),
        label("  "),
        label(method(c.method)),
    ])
}

/// How a Cluster backs up, in a word.
fn method(m: Method) -> &'static str {
    match m {
        Method::Plugin => "plugin",
        Method::BarmanObjectStore => "in-tree barmanObjectStore",
        Method::None => "no backup method",
    }
}

fn last_good(c: &ClusterSummary, v: &FleetView) -> (String, Health) {
    match (c.last_good, c.method) {
        (_, Method::None) => ("no backups".into(), Health::Warning),
        (None, _) => ("none".into(), Health::Critical),
        (Some(at), _) => {
            let late = (v.now - at)
                .to_std()
                .is_ok_and(|age| age > v.backup_max_age);
            (
                format!("{} ago", human_duration(v.now - at)),
                if late { Health::Warning } else { Health::Ok },
            )
        }
    }
}

/// The recovery window as the bucket proves it; where the bucket was not read, what the
/// ObjectStore's status claims, said to be only that.
pub fn window(
    w: &Window,
    claimed_from: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> (String, Health) {
    match w {
        Window::Proven { from, to } => (
            format!(
                "{} back, to {} ago",
                human_duration(*to - *from),
                human_duration(now - *to)
            ),
            Health::Ok,
        ),
        Window::NotProven => ("NOT proven".into(), Health::Critical),
        Window::NotRead => match claimed_from {
            Some(from) => (
                format!("{} back, status only", human_duration(now - from)),
                Health::Unknown,
            ),
            None => ("bucket not read".into(), Health::Unknown),
        },
        Window::Unknown => ("unknown (identity)".into(), Health::Unknown),
    }
}

fn wal(c: &ClusterSummary, now: DateTime<Utc>) -> (String, Health) {
    match (c.archiving_failing, c.last_archived) {
        (Some(true), _) => ("FAILING".into(), Health::Critical),
        (Some(false), Some(at)) => (
            format!("archived {} ago", human_duration(now - at)),
            Health::Ok,
        ),
        (Some(false), None) => ("archiving".into(), Health::Ok),
        (None, _) if c.method == Method::None => ("-".into(), Health::Info),
        (None, _) => ("not known".into(), Health::Unknown),
    }
}

fn draw_rows(v: &FleetView, t: &Theme, f: &mut Frame, area: Rect) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(Span::styled(
            " Kubernetes clusters, worst first ",
            t.style(Role::Title),
        ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let all = lines(v, t, inner.width);
    // The selected site's lines in view: as many of them as fit, from its first.
    let selected = v.selected();
    let first = all.iter().position(|(i, _)| *i == selected).unwrap_or(0);
    let last = all.iter().rposition(|(i, _)| *i == selected).unwrap_or(0);
    let height = inner.height as usize;
    let offset = if last + 1 > height {
        (last + 1 - height).min(first)
    } else {
        0
    };
    let shown: Vec<Line> = all.into_iter().skip(offset).map(|(_, l)| l).collect();
    let more = shown.len() > height;
    f.render_widget(Paragraph::new(shown), inner);
    if more {
        crate::ui::widgets::more_below(
            t,
            f,
            area.x + area.width - 1,
            area.y + area.height - 1,
            " more ↓ ",
        );
    }
}

/// The selected site in full: where it is, what was said about it, and what Enter does.
fn draw_selected(v: &FleetView, t: &Theme, f: &mut Frame, area: Rect) {
    let contexts = v.contexts();
    let Some(context) = contexts.get(v.selected()) else {
        return;
    };
    let mut lines = Vec::new();
    match v.selected_site() {
        None => lines.push(Line::styled(
            format!("{}: being read…", outside(context)),
            t.style(Role::Muted),
        )),
        Some(s) => {
            let server = if s.server.is_empty() {
                String::new()
            } else {
                format!(" · {}", outside(&s.server))
            };
            lines.push(Line::from(vec![
                Span::styled(
                    outside(&s.context),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ),
                Span::styled(server, t.style(Role::Muted)),
                Span::styled(
                    s.notes
                        .first()
                        .map(|n| format!(" · {}", outside(n)))
                        .unwrap_or_default(),
                    t.style(Role::Muted),
                ),
            ]));
            lines.push(Line::styled(outside(&s.summary()), t.style(Role::Text)));
        }
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(t.style(Role::Border));
    f.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}

fn draw_footer(v: &FleetView, t: &Theme, f: &mut Frame, area: Rect) {
    let line = match &v.message {
        Some((h, text)) => Line::styled(format!(" {text}"), t.style(health_role(*h))),
        None => hint_line(t, &hints_of(FLEET_BINDINGS), area.width),
    };
    f.render_widget(Paragraph::new(line), area);
}
