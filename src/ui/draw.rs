//! Drawing: pure functions of the App and its theme. No IO, no clock: the App carries `now`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use super::app::{App, Mode, PANES};
use super::detail;
use super::keys::{BINDINGS, Binding, CHOOSER_BINDINGS, WALK_BINDINGS, hints, hints_of};
use super::theme::Role;
use super::view::{ColumnDef, Health, PaneView, age};
use crate::model::SyncState;

pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

fn health_role(h: Health) -> Role {
    match h {
        Health::Ok => Role::Ok,
        Health::Info => Role::Info,
        Health::Progress => Role::Syncing,
        Health::Unknown => Role::Unknown,
        Health::Warning => Role::Warning,
        Health::Critical => Role::Critical,
    }
}

fn sync_role(s: &SyncState) -> Role {
    match s {
        SyncState::Live => Role::Ok,
        SyncState::Syncing => Role::Syncing,
        SyncState::Stale { .. } => Role::Stale,
        SyncState::Forbidden { .. } | SyncState::Error(_) => Role::Critical,
        SyncState::NotInstalled { .. } => Role::Warning,
    }
}

/// Why a source is not live, in a sentence.
pub fn sync_sentence(kind: &str, s: &SyncState) -> Option<String> {
    match s {
        SyncState::Live => None,
        SyncState::Syncing => Some(format!("{kind}: syncing…")),
        SyncState::Stale { since, reason } => Some(format!(
            "{kind}: stale since {} ({})",
            since.format("%H:%M:%S"),
            reason
        )),
        SyncState::Forbidden { verb, resource } => {
            Some(format!("{kind}: forbidden: you may not {verb} {resource}"))
        }
        SyncState::NotInstalled { what } => Some(what.clone()),
        SyncState::Error(e) => Some(format!("{kind}: error: {e}")),
    }
}

pub fn draw(app: &App, f: &mut Frame) {
    draw_screen(app, f);
    clean_cells(f.buffer_mut());
}

/// The last stop before the terminal: whatever a widget was handed, no cell carries a
/// control character or a bidirectional override (a right-to-left override in a Backup's
/// name would otherwise reverse the rest of its row, border included).
fn clean_cells(buf: &mut ratatui::buffer::Buffer) {
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
    draw_panes(app, f, body);
    draw_footer(app, f, footer);
    match app.mode {
        Mode::Help => draw_help(app, f, body),
        Mode::Detail => draw_detail(app, f, body),
        Mode::Text => draw_text(app, f, body),
        Mode::Findings => draw_findings(app, f, body),
        Mode::Choose => super::draw_walk::draw_chooser(app, f, body),
        Mode::Walk => super::draw_walk::draw_walk(app, f, body),
        Mode::Confirm => {
            match app.confirm_return {
                Mode::Walk => super::draw_walk::draw_walk(app, f, body),
                Mode::Detail => draw_detail(app, f, body),
                _ => {}
            }
            draw_confirm(app, f, body);
        }
        _ => {}
    }
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
    if app.read_only {
        pieces.push((
            0,
            vec![Span::styled(
                "│ read-only ",
                base.patch(t.style(Role::Warning)),
            )],
        ));
    }
    if let Some(Err(e)) = &app.server_status {
        pieces.push((
            0,
            vec![Span::styled(
                format!("│ ✖ unreachable: {} ", super::view::short(e, 40)),
                base.patch(t.style(Role::Critical)),
            )],
        ));
    }
    let names = ["Plugin", "Stores", "Backups", "Flux"];
    let mut badges = vec![Span::styled("│ ", base)];
    for (i, &h) in app.pane_health.iter().enumerate() {
        badges.push(Span::styled(
            format!("{} {} ", h.glyph(), names[i]),
            base.patch(t.style(health_role(h))),
        ));
    }
    pieces.push((0, badges));
    if app.extras.is_some() {
        let count =
            |s: crate::assess::Severity| app.findings.iter().filter(|f| f.severity == s).count();
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
    let unread = super::view::unreadable(&app.snapshot.backups.sync).is_some()
        && app.snapshot.object_stores.rows.is_empty();
    let newest = match app.newest_backup {
        Some(n) => format!("│ last backup {} ", age(Some(n), app.now)),
        // Nothing read is not nothing there.
        None if unread => "│ last backup ? ".into(),
        None => "│ no backup yet ".into(),
    };
    pieces.push((1, vec![Span::styled(newest, base)]));
    let clock = vec![Span::styled(
        format!(" {} ", app.now.format("%H:%M:%S")),
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

fn draw_panes(app: &App, f: &mut Frame, area: Rect) {
    let areas: Vec<Rect> = if area.width >= 220 {
        let [top, bottom] =
            Layout::vertical([Constraint::Fill(1), Constraint::Fill(1)]).areas(area);
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
        let [c, d] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(bottom);
        vec![a, b, c, d]
    } else {
        // Stacked: the focused pane gets the room, the others keep a few lines each.
        let constraints: Vec<Constraint> = (0..PANES)
            .map(|i| {
                if i == app.focus {
                    Constraint::Fill(1)
                } else {
                    Constraint::Length(pane_height(&app.views[i], area.height))
                }
            })
            .collect();
        Layout::vertical(constraints).split(area).to_vec()
    };
    for (i, r) in areas.into_iter().enumerate() {
        draw_pane(app, f, r, i);
    }
}

/// An unfocused stacked pane shows up to three rows: enough to see its state.
fn pane_height(v: &PaneView, total: u16) -> u16 {
    let rows = v.rows.len().clamp(1, 3) as u16;
    (rows + 3).min(total / 5).max(4)
}

/// Chooses which columns fit in `width` and how wide each is. Columns with the highest
/// `drop` go first when even their minimum does not fit; spare room then goes to the most
/// important columns, up to what their content needs, then up to their maximum.
pub fn fit_columns(defs: &[ColumnDef], natural: &[u16], width: u16) -> Vec<(usize, u16)> {
    let mut keep: Vec<usize> = (0..defs.len()).collect();
    let need = |keep: &[usize]| keep.iter().map(|&i| defs[i].min + 1).sum::<u16>();
    while need(&keep) > width && keep.len() > 1 {
        let Some(pos) = keep
            .iter()
            .enumerate()
            .filter(|(_, i)| defs[**i].drop > 0)
            .max_by_key(|(_, i)| defs[**i].drop)
            .map(|(p, _)| p)
        else {
            break;
        };
        keep.remove(pos);
    }
    let mut widths: Vec<(usize, u16)> = keep.iter().map(|&i| (i, defs[i].min)).collect();
    let mut spare = width.saturating_sub(need(&keep));
    let mut order: Vec<usize> = (0..widths.len()).collect();
    order.sort_by_key(|&k| (defs[widths[k].0].drop, k));
    for pass in 0..2 {
        for &k in &order {
            let (i, w) = &mut widths[k];
            let want = if pass == 0 {
                natural
                    .get(*i)
                    .copied()
                    .unwrap_or(defs[*i].min)
                    .clamp(defs[*i].min, defs[*i].max)
            } else {
                defs[*i].max
            };
            let grow = want.saturating_sub(*w).min(spare);
            *w += grow;
            spare -= grow;
        }
    }
    widths
}

fn draw_pane(app: &App, f: &mut Frame, area: Rect, index: usize) {
    let t = &app.theme;
    let view = &app.views[index];
    let focused = index == app.focus;
    let state = &app.panes[index];
    let visible = app.visible(index);

    // Most important first: a narrow title loses the sync notes before the counts.
    let mut title = vec![Span::styled(
        format!(" {} {} ", index + 1, view.title),
        t.style(Role::Title),
    )];
    let counted = app.pane_rows[index];
    if state.filter.is_empty() {
        title.push(Span::styled(format!("{counted} "), t.style(Role::Muted)));
    } else {
        let shown = visible.iter().filter(|i| !view.rows[**i].heading).count();
        title.push(Span::styled(
            format!("/{} {shown} of {counted} ", state.filter),
            t.style(Role::Filter),
        ));
    }
    for (kind, sync) in &view.sources {
        if *sync != SyncState::Live {
            title.push(Span::styled(
                format!("[{kind} {}] ", sync.word()),
                t.style(sync_role(sync)),
            ));
        }
    }
    if !view.malformed.is_empty() {
        title.push(Span::styled(
            format!("[{} malformed] ", view.malformed.len()),
            t.style(Role::Warning),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(if focused {
            Role::BorderFocused
        } else {
            Role::Border
        }))
        .title(Line::from(title));
    let inner = block.inner(area);
    f.render_widget(block, area);

    let problems: Vec<String> = view
        .sources
        .iter()
        .filter_map(|(k, s)| sync_sentence(k, s))
        .chain(view.malformed.iter().cloned())
        .collect();
    if visible.is_empty() {
        let mut lines: Vec<Line> = problems
            .iter()
            .map(|p| Line::styled(p.clone(), t.style(Role::Warning)))
            .collect();
        let all_live = view.sources.iter().all(|(_, s)| *s == SyncState::Live);
        if all_live {
            let msg = if state.filter.is_empty() {
                view.empty.clone()
            } else {
                format!("nothing matches /{}", state.filter)
            };
            lines.push(Line::styled(msg, t.style(Role::Muted)));
        }
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        return;
    }
    let stale = view
        .sources
        .iter()
        .any(|(_, s)| matches!(s, SyncState::Stale { .. }));

    // The glyph column comes first: the state is readable without colour.
    let fitted = fit_columns(&view.columns, &view.natural, inner.width.saturating_sub(3));
    let mut widths = vec![Constraint::Length(2)];
    widths.extend(fitted.iter().map(|(_, w)| Constraint::Length(*w)));
    let header = Row::new(
        std::iter::once(Cell::from("")).chain(
            fitted
                .iter()
                .map(|(i, _)| Cell::from(view.columns[*i].title)),
        ),
    )
    .style(t.style(Role::Muted).add_modifier(Modifier::BOLD));
    let (table_area, note_area) = if problems.is_empty() || inner.height < 4 {
        (inner, None)
    } else {
        let [a, b] = Layout::vertical([Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        (a, Some(b))
    };
    // Only the rows that fit are built: the window ratatui would scroll to, for a table
    // whose selection it must keep in view (one line per row, under a one-line header).
    let selected = state.selected.min(visible.len().saturating_sub(1));
    let height = usize::from(table_area.height.saturating_sub(1)).max(1);
    let first = if focused {
        (selected + 1).saturating_sub(height)
    } else {
        0
    };
    let window = &visible[first.min(visible.len())..(first + height).min(visible.len())];
    let rows: Vec<Row> = window
        .iter()
        .map(|&ri| {
            let r = &view.rows[ri];
            let text = r.cells(app.now);
            if r.heading {
                return Row::new(vec![
                    Cell::from(""),
                    Cell::from(text.first().cloned().unwrap_or_default()),
                ])
                .style(t.style(Role::Accent).add_modifier(Modifier::BOLD));
            }
            let mut cells =
                vec![Cell::from(r.health.glyph()).style(t.style(health_role(r.health)))];
            cells.extend(
                fitted
                    .iter()
                    .map(|(i, _)| Cell::from(text.get(*i).cloned().unwrap_or_default())),
            );
            let style = if stale {
                t.style(Role::Stale)
            } else {
                t.style(Role::Text)
            };
            Row::new(cells).style(style)
        })
        .collect();
    let mut table_state = TableState::default();
    if focused {
        table_state.select(Some(selected - first));
    }
    let table = Table::new(rows, widths)
        .header(header)
        .column_spacing(1)
        .row_highlight_style(t.style(Role::Selection));
    f.render_stateful_widget(table, table_area, &mut table_state);
    if let Some(area) = note_area {
        f.render_widget(
            Paragraph::new(Line::styled(problems.join(" · "), t.style(Role::Warning))),
            area,
        );
    }
}

fn draw_footer(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let line = match app.mode {
        Mode::Filter => Line::from(vec![
            Span::styled("/", t.style(Role::Key)),
            Span::styled(format!("{}▏", app.input), t.style(Role::Filter)),
            Span::styled("  Enter keep · Esc clear", t.style(Role::Muted)),
        ]),
        Mode::Command => Line::from(vec![
            Span::styled(":", t.style(Role::Key)),
            Span::styled(format!("{}▏", app.input), t.style(Role::Filter)),
            Span::styled("  :ns NAME|all · :ctx NAME · :q", t.style(Role::Muted)),
        ]),
        Mode::Text if app.text.as_ref().is_some_and(|v| v.searching) => Line::from(vec![
            Span::styled("search: ", t.style(Role::Key)),
            Span::styled(
                format!(
                    "{}▏",
                    app.text.as_ref().map(|v| v.search.as_str()).unwrap_or("")
                ),
                t.style(Role::Filter),
            ),
            Span::styled("  Enter find · Esc cancel", t.style(Role::Muted)),
        ]),
        Mode::Text => {
            let mut spans = Vec::new();
            for (k, what) in [
                ("Esc", "back"),
                ("j/k PgUp/PgDn g/G", "scroll"),
                ("/", "search"),
                ("n/N", "next/prev"),
                ("w", "wrap"),
                ("f", "follow"),
            ] {
                spans.push(Span::styled(format!(" {k}"), t.style(Role::Key)));
                spans.push(Span::styled(format!(" {what} "), t.style(Role::Muted)));
            }
            Line::from(spans)
        }
        Mode::Walk
            if app.message.is_none() && app.walk.as_ref().is_some_and(|v| v.editor.is_some()) =>
        {
            Line::from(vec![
                Span::styled(" Esc", t.style(Role::Key)),
                Span::styled(" saves the note  ", t.style(Role::Muted)),
                Span::styled("Ctrl-U/Ctrl-R", t.style(Role::Key)),
                Span::styled(" undo/redo", t.style(Role::Muted)),
            ])
        }
        Mode::Walk | Mode::Choose if app.message.is_none() => {
            let table = if app.mode == Mode::Walk {
                hints_of(WALK_BINDINGS)
            } else {
                hints_of(CHOOSER_BINDINGS)
            };
            hint_line(app, &table, area.width)
        }
        Mode::Detail => Line::from(vec![
            Span::styled(" Esc", t.style(Role::Key)),
            Span::styled(" back  ", t.style(Role::Muted)),
            Span::styled("j/k", t.style(Role::Key)),
            Span::styled(" scroll", t.style(Role::Muted)),
        ]),
        Mode::Confirm => Line::from(vec![
            Span::styled(" y", t.style(Role::Key)),
            Span::styled(" run it  ", t.style(Role::Muted)),
            Span::styled("n Esc", t.style(Role::Key)),
            Span::styled(" cancel", t.style(Role::Muted)),
        ]),
        _ if app.message.is_none() && app.running.is_some() => {
            let r = app
                .running
                .as_ref()
                .map(|r| (r.plan.command(), r.status.as_str()));
            let (command, status) = r.unwrap_or_default();
            Line::styled(format!(" ↻ {command}: {status}"), t.style(Role::Syncing))
        }
        _ => match &app.message {
            Some((h, m)) => Line::styled(format!(" {} {m}", h.glyph()), t.style(health_role(*h))),
            None => hint_line(app, &hints(), area.width),
        },
    };
    f.render_widget(Paragraph::new(line), area);
}

/// Key hints, as many as fit.
fn hint_line(app: &App, hints: &[(&str, &str)], width: u16) -> Line<'static> {
    let t = &app.theme;
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

/// A box of the given share of `area`, centred. A margin under two cells would show the
/// pane borders beneath as a doubled frame (`┌┌`), so such a box takes the whole side.
pub(super) fn centered(area: Rect, width_pct: u16, height_pct: u16) -> Rect {
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

fn draw_confirm(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(p) = &app.pending else { return };
    let r = centered(area, 80, 60);
    f.render_widget(Clear, r);
    let mut lines = vec![
        Line::styled(p.plan.what.clone(), t.style(Role::Text)),
        Line::raw(""),
        Line::styled("The same from a shell:", t.style(Role::Muted)),
    ];
    for c in &p.plan.commands {
        lines.push(Line::styled(format!("  $ {c}"), t.style(Role::Key)));
    }
    lines.push(Line::raw(""));
    let (allowed, line) = match &p.access {
        None => (
            false,
            Line::styled(
                "↻ asking whether you may (SelfSubjectAccessReview)…",
                t.style(Role::Syncing),
            ),
        ),
        Some(Ok(())) => (
            true,
            Line::styled("✔ you may: the API server allows it", t.style(Role::Ok)),
        ),
        Some(Err(why)) => (
            false,
            Line::styled(format!("✖ {why}"), t.style(Role::Critical)),
        ),
    };
    lines.push(line);
    lines.push(Line::raw(""));
    lines.push(if allowed {
        Line::from(vec![
            Span::styled("y", t.style(Role::Key)),
            Span::styled(" run it   ", t.style(Role::Text)),
            Span::styled("n / Esc", t.style(Role::Key)),
            Span::styled(" cancel", t.style(Role::Text)),
        ])
    } else {
        Line::from(vec![
            Span::styled("y run it (not available)   ", t.style(Role::Muted)),
            Span::styled("n / Esc", t.style(Role::Key)),
            Span::styled(" cancel", t.style(Role::Text)),
        ])
    });
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::Warning))
        .title(Span::styled(
            format!(
                " Confirm: {} {}/{} ",
                p.plan.target.kind, p.plan.target.namespace, p.plan.target.name
            ),
            t.style(Role::Title),
        ));
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .wrap(Wrap { trim: false }),
        r,
    );
}

fn draw_help(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = centered(area, 70, 90);
    f.render_widget(Clear, r);
    fn section<'a, A>(
        lines: &mut Vec<Line<'a>>,
        t: &super::theme::Theme,
        title: &'a str,
        table: &'a [Binding<A>],
    ) {
        lines.push(Line::styled(title, t.style(Role::Title)));
        for b in table {
            lines.push(Line::from(vec![
                Span::styled(format!("{:>10}  ", b.label), t.style(Role::Key)),
                Span::styled(b.help, t.style(Role::Text)),
            ]));
        }
        lines.push(Line::raw(""));
    }
    let mut lines = vec![
        Line::styled(
            "States: ✔ ok  ▲ warning  ✖ critical  ? unknown  ↻ running  · info",
            t.style(Role::Muted),
        ),
        Line::raw(""),
    ];
    section(&mut lines, t, "Keys", BINDINGS);
    section(&mut lines, t, "In the walker", WALK_BINDINGS);
    section(&mut lines, t, "In the tree chooser", CHOOSER_BINDINGS);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(" Help · j/k PgUp/PgDn scroll · Esc closes ");
    let height = block.inner(r).height as usize;
    let scroll = usize::from(app.help_scroll).min(lines.len().saturating_sub(height));
    let more = lines.len() > scroll + height;
    f.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll as u16, 0)),
        r,
    );
    if more {
        more_below(
            app,
            f,
            r.right().saturating_sub(2),
            r.bottom() - 1,
            " ↓ more ",
        );
    }
}

/// Says there is more to scroll to: `label` ending at column `right` of row `row`.
pub(super) fn more_below(app: &App, f: &mut Frame, right: u16, row: u16, label: &str) {
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
    f.render_widget(
        Paragraph::new(Span::styled(label, app.theme.style(Role::Key))),
        at,
    );
}

fn draw_text(app: &App, f: &mut Frame, area: Rect) {
    use super::text::{TextKind, TextStatus, is_error_line};
    let t = &app.theme;
    let Some(v) = &app.text else { return };
    let r = centered(area, 98, 98);
    f.render_widget(Clear, r);
    let (state, role) = match &v.status {
        TextStatus::Loading => ("loading…".to_string(), Role::Syncing),
        TextStatus::Ready => (format!("{} lines", v.lines.len()), Role::Muted),
        TextStatus::Live if v.follow => ("● following".to_string(), Role::Ok),
        TextStatus::Live => ("paused (f or G follows)".to_string(), Role::Warning),
        TextStatus::Ended(None) => ("the stream ended".to_string(), Role::Muted),
        TextStatus::Ended(Some(e)) | TextStatus::Failed(e) => (e.clone(), Role::Critical),
    };
    let mut title = vec![
        Span::styled(format!(" {} ", v.title), t.style(Role::Title)),
        Span::styled(format!("[{state}] "), t.style(role)),
    ];
    if v.dropped > 0 {
        title.push(Span::styled(
            format!("({} earlier lines dropped) ", v.dropped),
            t.style(Role::Muted),
        ));
    }
    if !v.search.is_empty() {
        title.push(Span::styled(
            format!("/{} ", v.search),
            t.style(Role::Filter),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(Line::from(title));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let height = inner.height as usize;
    let mut top = v.top(height);
    if v.follow && v.wrap {
        // Wrapped lines take several rows: count back from the newest until the view is full.
        let width = (inner.width as usize).saturating_sub(2).max(1);
        let mut rows = 0;
        top = v.lines.len();
        for line in v.lines.iter().rev() {
            let needed = line.chars().count().div_ceil(width).max(1);
            if rows + needed > height {
                break;
            }
            rows += needed;
            top -= 1;
        }
    }
    let needle = v.search.to_lowercase();
    // Only the visible lines are laid out, however long the buffer.
    let lines: Vec<Line> = v
        .lines
        .iter()
        .skip(top)
        .take(height)
        .enumerate()
        .map(|(i, line)| {
            let error = v.kind == TextKind::Logs && is_error_line(line);
            let mut style = if error {
                t.style(Role::Critical)
            } else {
                t.style(Role::Text)
            };
            if !needle.is_empty() && line.to_lowercase().contains(&needle) {
                style = style.patch(t.style(Role::Filter));
            }
            if top + i == v.scroll && !v.follow && !needle.is_empty() {
                style = style.patch(t.style(Role::Selection));
            }
            let mark = if v.kind != TextKind::Logs {
                ""
            } else if error {
                "✖ "
            } else {
                "  "
            };
            Line::styled(format!("{mark}{line}"), style)
        })
        .collect();
    let mut p = Paragraph::new(lines);
    if v.wrap {
        p = p.wrap(Wrap { trim: false });
    }
    f.render_widget(p, inner);
}

pub(super) fn severity_role(s: crate::assess::Severity) -> Role {
    match s {
        crate::assess::Severity::Critical => Role::Critical,
        crate::assess::Severity::Warning => Role::Warning,
        crate::assess::Severity::Info => Role::Info,
    }
}

pub(super) fn severity_glyph(s: crate::assess::Severity) -> &'static str {
    match s {
        crate::assess::Severity::Critical => "✖",
        crate::assess::Severity::Warning => "▲",
        crate::assess::Severity::Info => "·",
    }
}

fn draw_findings(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let r = centered(area, 96, 94);
    f.render_widget(Clear, r);
    let title = format!(
        " Findings {} · Enter opens the object · Esc closes ",
        app.findings.len()
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(Span::styled(title, t.style(Role::Title)));
    let inner = block.inner(r);
    f.render_widget(block, r);
    let mut lines: Vec<Line> = Vec::new();
    if app.findings.is_empty() && app.unknown.is_empty() {
        lines.push(Line::styled(
            "✔ No finding: every rule passed.",
            t.style(Role::Ok),
        ));
    } else if app.findings.is_empty() {
        // What could not be read is no pass: the list says so first.
        lines.push(Line::styled(
            format!(
                "? No finding in what could be read; {} could not be checked (below).",
                match app.unknown.len() {
                    1 => "1 area".to_string(),
                    n => format!("{n} areas"),
                }
            ),
            t.style(Role::Unknown),
        ));
    }
    // The selected finding is shown whole; the others one line each.
    for (i, fd) in app.findings.iter().enumerate() {
        let o = &fd.object;
        let what = if o.namespace.is_empty() {
            format!("{} {}", o.kind, o.name)
        } else {
            format!("{} {}/{}", o.kind, o.namespace, o.name)
        };
        let selected = i == app.findings_selected;
        let head = Line::from(vec![
            Span::styled(
                format!("{} {} ", severity_glyph(fd.severity), fd.code),
                t.style(severity_role(fd.severity)),
            ),
            Span::styled(
                format!("{:<8} ", fd.severity.as_str()),
                t.style(Role::Muted),
            ),
            Span::styled(format!("{what}  "), t.style(Role::Accent)),
            Span::styled(fd.summary.clone(), t.style(Role::Text)),
        ]);
        lines.push(if selected {
            head.style(t.style(Role::Selection))
        } else {
            head
        });
        if selected {
            for e in &fd.evidence {
                lines.push(Line::styled(format!("      │ {e}"), t.style(Role::Muted)));
            }
            if !fd.remedy.is_empty() {
                lines.push(Line::styled(
                    format!("      → {}", fd.remedy),
                    t.style(Role::Key),
                ));
            }
        }
    }
    for u in &app.unknown {
        lines.push(Line::styled(
            format!("? could not check {}: {}", u.area, u.reason),
            t.style(Role::Unknown),
        ));
    }
    let height = inner.height as usize;
    let skip = app.findings_selected.saturating_sub(height / 3);
    let visible: Vec<Line> = lines.into_iter().skip(skip).collect();
    f.render_widget(Paragraph::new(visible).wrap(Wrap { trim: false }), inner);
}

fn draw_detail(app: &App, f: &mut Frame, area: Rect) {
    let t = &app.theme;
    let Some(target) = &app.detail else { return };
    let r = centered(area, 94, 94);
    f.render_widget(Clear, r);
    let title = format!(" {} {}/{} ", target.kind, target.namespace, target.name);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.style(Role::BorderFocused))
        .title(Span::styled(title, t.style(Role::Title)));
    let mut lines: Vec<Line> = Vec::new();
    let about: Vec<&crate::assess::Finding> = app
        .findings
        .iter()
        .filter(|fd| {
            fd.object.kind == target.kind
                && fd.object.namespace == target.namespace
                && fd.object.name == target.name
        })
        .collect();
    if !about.is_empty() {
        lines.push(Line::styled(
            "Findings",
            t.style(Role::Accent).add_modifier(Modifier::BOLD),
        ));
        for fd in about {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("  {} {} ", severity_glyph(fd.severity), fd.code),
                    t.style(severity_role(fd.severity)),
                ),
                Span::styled(fd.summary.clone(), t.style(Role::Text)),
            ]));
            for e in &fd.evidence {
                lines.push(Line::styled(format!("      │ {e}"), t.style(Role::Muted)));
            }
            if !fd.remedy.is_empty() {
                lines.push(Line::styled(
                    format!("      → {}", fd.remedy),
                    t.style(Role::Key),
                ));
            }
        }
        lines.push(Line::raw(""));
    }
    match detail::sections(&app.snapshot, target, app.now) {
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
                lines.push(Line::styled(
                    s.title.clone(),
                    t.style(Role::Accent).add_modifier(Modifier::BOLD),
                ));
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
            .scroll((app.detail_scroll, 0)),
        r,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_drop_in_order_and_share_the_rest() {
        let defs = [
            ColumnDef {
                title: "A",
                min: 10,
                max: 20,
                drop: 0,
            },
            ColumnDef {
                title: "B",
                min: 10,
                max: 10,
                drop: 2,
            },
            ColumnDef {
                title: "C",
                min: 10,
                max: 30,
                drop: 1,
            },
        ];
        // Content first: A wants 12, C wants 25; the rest of the room goes by importance.
        assert_eq!(
            fit_columns(&defs, &[12, 4, 25], 40),
            vec![(0, 12), (1, 10), (2, 15)]
        );
        assert_eq!(
            fit_columns(&defs, &[12, 4, 25], 60),
            vec![(0, 20), (1, 10), (2, 27)]
        );
        assert_eq!(fit_columns(&defs, &[12, 4, 25], 25), vec![(0, 12), (2, 11)]);
        assert_eq!(fit_columns(&defs, &[], 5), vec![(0, 10)]);
    }
}
