//! Drawing: pure functions of the App and its theme. No IO, no clock: the board carries
//! `now`. The header and footer are here; the panes in `panes::table`, each overlay in
//! its own file, drawn bottom to top.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::app::{App, MIN_HEIGHT, MIN_WIDTH};
use super::keys::hints;
use super::overlays::connect_error;
use super::panes::{age, short, table};
use super::theme::Role;
use super::widgets::{health_role, hint_line};

pub fn draw(app: &App, f: &mut Frame) {
    draw_screen(app, f);
    clean_cells(f.buffer_mut());
}

/// The last stop before the terminal: whatever a widget was handed, no cell carries a
/// control character or a bidirectional override (a right-to-left override in a Backup's
/// name would otherwise reverse the rest of its row, border included).
pub(crate) fn clean_cells(buf: &mut ratatui::buffer::Buffer) {
    for cell in buf.content.iter_mut() {
        if crate::sanitize::is_clean(cell.symbol()) {
            continue;
        }
        let cleaned = crate::sanitize::clean_line(cell.symbol()).into_owned();
        cell.set_symbol(if cleaned.is_empty() { " " } else { &cleaned });
    }
}

fn draw_screen(app: &App, f: &mut Frame) {
    let area = f.area();
    // Themes with a background paint the whole screen, not only the cells with text.
    f.render_widget(Block::new().style(app.theme.style(Role::Text)), area);
    if let Some(e) = &app.connect_error {
        connect_error::draw(e, app.settings.from_fleet, f, &app.theme);
        return;
    }
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "backstop needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}.\nEnlarge it, or press q to quit.",
            area.width, area.height
        );
        f.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .style(app.theme.style(Role::Text)),
            area,
        );
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    draw_header(app, f, header);
    table::draw_panes(&app.board, &app.theme, f, body);
    let ctx = app.ctx();
    for o in &app.overlays {
        o.draw(f, body, &ctx);
    }
    draw_footer(app, f, footer);
}

fn draw_header(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let base = t.style(Role::Header);
    // (priority, spans): the highest priority number is dropped first when space is short.
    let mut pieces: Vec<(u8, Vec<Span>)> = Vec::new();
    pieces.push((
        3,
        vec![Span::styled(
            " backstop ",
            base.add_modifier(Modifier::BOLD),
        )],
    ));
    let ns = app
        .location
        .namespace
        .clone()
        .unwrap_or_else(|| "all".into());
    pieces.push((
        0,
        vec![Span::styled(format!(" {} ", app.location.context), base)],
    ));
    pieces.push((1, vec![Span::styled(format!("│ ns {ns} "), base)]));
    if app.settings.read_only {
        pieces.push((
            0,
            vec![Span::styled(
                "│ read-only ",
                base.patch(t.style(Role::Warning)),
            )],
        ));
    }
    if let Some(Err(e)) = &app.board.server_status {
        pieces.push((
            0,
            vec![Span::styled(
                format!("│ ✖ unreachable: {} ", short(e, 40)),
                base.patch(t.style(Role::Critical)),
            )],
        ));
    }
    let names = ["Plugin", "Stores", "Backups", "Flux"];
    let mut badges = vec![Span::styled("│ ", base)];
    for (i, &h) in app.board.pane_health.iter().enumerate() {
        badges.push(Span::styled(
            format!("{} {} ", h.glyph(), names[i]),
            base.patch(t.style(health_role(h))),
        ));
    }
    pieces.push((0, badges));
    if app.board.extras.is_some() {
        let count = |s: crate::assess::Severity| {
            app.board
                .findings
                .iter()
                .filter(|f| f.severity == s)
                .count()
        };
        let (c, w) = (
            count(crate::assess::Severity::Critical),
            count(crate::assess::Severity::Warning),
        );
        let role = if c > 0 {
            Role::Critical
        } else if w > 0 {
            Role::Warning
        } else {
            Role::Ok
        };
        pieces.push((
            0,
            vec![Span::styled(
                format!("│ findings ✖{c} ▲{w} "),
                base.patch(t.style(role)),
            )],
        ));
    }
    let s = &app.board.snapshot;
    let unread = s.backups.sync.why_no_rows("backups").is_some() && s.object_stores.rows.is_empty();
    let newest = match app.board.newest_backup {
        Some(n) => format!("│ last backup {} ", age(Some(n), app.board.now)),
        // Nothing read is not nothing there.
        None if unread => "│ last backup ? ".into(),
        None => "│ no backup yet ".into(),
    };
    pieces.push((1, vec![Span::styled(newest, base)]));
    let clock = vec![Span::styled(
        format!(" {} ", app.board.now.format("%H:%M:%S")),
        base,
    )];
    pieces.push((2, clock));
    let width = |p: &[(u8, Vec<Span>)]| {
        p.iter()
            .flat_map(|(_, s)| s.iter().map(Span::width))
            .sum::<usize>()
    };
    while width(&pieces) > area.width as usize {
        let Some(pos) = pieces
            .iter()
            .enumerate()
            .filter(|(_, (p, _))| *p > 0)
            .max_by_key(|(_, (p, _))| *p)
            .map(|(i, _)| i)
        else {
            break;
        };
        pieces.remove(pos);
    }
    // The clock, when it fits, sits at the right edge.
    let clock = if pieces.last().is_some_and(|(p, _)| *p == 2) {
        pieces.pop().map(|(_, c)| c)
    } else {
        None
    };
    let mut spans: Vec<Span> = pieces.into_iter().flat_map(|(_, s)| s).collect();
    if let Some(c) = clock {
        let used: usize = spans.iter().map(Span::width).sum();
        let clock_w: usize = c.iter().map(Span::width).sum();
        spans.push(Span::styled(
            " ".repeat((area.width as usize).saturating_sub(used + clock_w)),
            base,
        ));
        spans.extend(c);
    }
    f.render_widget(Paragraph::new(Line::from(spans)).style(base), area);
}

/// The footer: what is being typed; else the last message; else the action under way;
/// else the keys of the view that has them.
fn draw_footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let ctx = app.ctx();
    let top = app.overlays.last();
    // A line being typed shows what is typed; a note's editor shows it in its own box.
    let typing = matches!(top, Some(super::overlays::Overlay::Input(_)))
        || matches!(top, Some(super::overlays::Overlay::Text(v)) if v.searching);
    let own = top.and_then(|o| o.footer(&ctx, area.width));
    let drill_shown = matches!(top, Some(super::overlays::Overlay::Drill));
    let line = match (&app.message, own) {
        (_, Some(own)) if typing => own,
        _ if app.quitting().is_some() => Line::styled(
            format!(" {}", app.quitting().unwrap_or_default()),
            t.style(Role::Warning),
        ),
        (Some((h, m)), _) => Line::styled(format!(" {} {m}", h.glyph()), t.style(health_role(*h))),
        (None, _) if app.running.is_some() => {
            let (command, status) = app
                .running
                .as_ref()
                .map(|r| (r.plan.command(), r.status.as_str()))
                .unwrap_or_default();
            Line::styled(format!(" ↻ {command}: {status}"), t.style(Role::Syncing))
        }
        // A drill whose view is hidden says how it goes.
        (None, _) if app.drill.as_ref().is_some_and(|d| d.running()) && !drill_shown => {
            match app.drill.as_ref().map(|d| d.status()) {
                Some((h, text)) => Line::styled(format!(" {text}"), t.style(health_role(h))),
                None => Line::raw(""),
            }
        }
        (None, Some(own)) => own,
        (None, None) => hint_line(t, &hints(), area.width),
    };
    f.render_widget(Paragraph::new(line), area);
}
