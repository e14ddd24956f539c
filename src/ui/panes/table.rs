//! The panes on screen: how the four share the space, which columns fit, and each pane's
//! table, built only for the rows in view.

use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Table, TableState, Wrap};
use unicode_width::UnicodeWidthChar;

use super::{ColumnDef, PaneView};
use crate::model::SyncState;
use crate::ui::board::{Board, PANES};
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{health_role, sync_role};

/// From this width the four panes stand in a 2×2 grid.
pub const GRID_FROM: u16 = 160;

/// Lines a pane takes beyond its rows: two borders and the column titles.
const CHROME: u16 = 3;
/// A pane always keeps its title, column titles and one row (or its empty message).
const MIN_PANE: u16 = CHROME + 1;

/// The lines a pane's content needs: its rows (as filtered), its chrome, and a line of
/// notes when a source is not live or an object was malformed.
fn need(board: &Board, i: usize) -> u16 {
    let v = &board.views[i];
    let rows = board.visible(i).len();
    let not_live = v
        .sources
        .iter()
        .filter(|(_, s)| *s != SyncState::Live)
        .count();
    let notes = not_live + v.malformed.len();
    if rows == 0 {
        // Borders, each note on its line, and the empty message once every source is live.
        let lines = notes + usize::from(not_live == 0);
        return 2 + lines.max(1).min(usize::from(u16::MAX - 2)) as u16;
    }
    (rows.min(usize::from(u16::MAX)) as u16).saturating_add(CHROME + u16::from(notes > 0))
}

/// How the stacked panes share `total` lines: each unfocused pane takes what its content
/// needs, up to a fifth of the screen; the focused pane takes what is left. Room the
/// focused pane does not need goes to the unfocused pane that needs the most (on a
/// healthy cluster, the Backups pane: its newest backups on the first screen).
pub fn stacked_heights(needs: [u16; PANES], focus: usize, total: u16) -> [u16; PANES] {
    let cap = (total / 5).max(MIN_PANE);
    let mut h = [0u16; PANES];
    for i in 0..PANES {
        if i != focus {
            h[i] = needs[i].clamp(MIN_PANE, cap);
        }
    }
    let others: u16 = h.iter().sum();
    let left = total.saturating_sub(others);
    h[focus] = needs[focus].max(MIN_PANE).min(left);
    let mut spare = left - h[focus];
    while spare > 0 {
        let Some(i) = (0..PANES)
            .filter(|&i| i != focus && h[i] < needs[i])
            .max_by_key(|&i| needs[i] - h[i])
        else {
            break;
        };
        let grow = (needs[i] - h[i]).min(spare);
        h[i] += grow;
        spare -= grow;
    }
    // Nobody needs more: the focused pane keeps the rest.
    h[focus] += spare;
    h
}

pub fn draw_panes(board: &Board, t: &Theme, f: &mut Frame, area: Rect) {
    let needs: [u16; PANES] = std::array::from_fn(|i| need(board, i));
    let areas: Vec<Rect> = if area.width >= GRID_FROM {
        // The top row (plugin, stores) takes what its fuller pane needs, up to half.
        let top = needs[0].max(needs[1]).clamp(MIN_PANE, area.height / 2);
        let [top, bottom] =
            Layout::vertical([Constraint::Length(top), Constraint::Fill(1)]).areas(area);
        let [a, b] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(top);
        let [c, d] = Layout::horizontal([Constraint::Fill(1), Constraint::Fill(1)]).areas(bottom);
        vec![a, b, c, d]
    } else {
        let heights = stacked_heights(needs, board.focus, area.height);
        Layout::vertical(heights.map(Constraint::Length))
            .split(area)
            .to_vec()
    };
    for (i, r) in areas.into_iter().enumerate() {
        draw_pane(board, t, f, r, i);
    }
}

/// Text cut to `width` columns, ending with `…` when anything was cut.
pub fn ellipsize(s: &str, width: u16) -> String {
    let width = usize::from(width);
    let total: usize = s.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// Each column's natural width: its title or its widest cell among the first rows shown
/// (a pane of 50,000 backups measures a screenful, not all of them).
fn natural_widths(view: &PaneView, visible: &[usize], now: DateTime<Utc>) -> Vec<u16> {
    let mut widths: Vec<u16> = view
        .columns
        .iter()
        .map(|c| c.title.chars().count() as u16)
        .collect();
    for &ri in visible.iter().take(64) {
        let r = &view.rows[ri];
        if r.heading {
            continue;
        }
        for (w, cell) in widths.iter_mut().zip(r.cells(now).iter()) {
            let cw: usize = cell.chars().map(|c| c.width().unwrap_or(0)).sum();
            *w = (*w).max(cw.min(usize::from(u16::MAX)) as u16);
        }
    }
    widths
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

fn draw_pane(board: &Board, t: &Theme, f: &mut Frame, area: Rect, index: usize) {
    let view = &board.views[index];
    let focused = index == board.focus;
    let state = &board.panes[index];
    let visible = board.visible(index);

    // Most important first: a narrow title loses the sync notes before the counts.
    let mut title = vec![Span::styled(
        format!(" {} {} ", index + 1, view.title),
        t.style(Role::Title),
    )];
    let counted = board.pane_rows[index];
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
        .filter_map(|(k, s)| s.why_unreadable(k))
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
    let fitted = fit_columns(
        &view.columns,
        &natural_widths(view, &visible, board.now),
        inner.width.saturating_sub(3),
    );
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
    let (table_area, note_area) = if problems.is_empty() || inner.height < 3 {
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
    let rows: Vec<Row> =
        window
            .iter()
            .map(|&ri| {
                let r = &view.rows[ri];
                let text = r.cells(board.now);
                if r.heading {
                    // Drawn over the whole row below: a heading is not cut to a column.
                    return Row::new(vec![Cell::from("")]);
                }
                let mut cells =
                    vec![Cell::from(r.health.glyph()).style(t.style(health_role(r.health)))];
                cells.extend(fitted.iter().map(|(i, w)| {
                    Cell::from(ellipsize(text.get(*i).map_or("", String::as_str), *w))
                }));
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
    // Headings, across the row, where the table left theirs empty (one line per row,
    // under the column titles; past the glyph column).
    for (k, &ri) in window.iter().enumerate() {
        let r = &view.rows[ri];
        let y = table_area.y + 1 + k as u16;
        if !r.heading || y >= table_area.bottom() {
            continue;
        }
        let x = table_area.x + 3;
        let width = table_area.width.saturating_sub(3);
        let text = r.cells(board.now).first().cloned().unwrap_or_default();
        f.render_widget(
            Paragraph::new(Line::styled(
                ellipsize(&text, width),
                t.style(Role::Accent).add_modifier(Modifier::BOLD),
            )),
            Rect::new(x, y, width, 1),
        );
    }
    if let Some(area) = note_area {
        f.render_widget(
            Paragraph::new(Line::styled(problems.join(" · "), t.style(Role::Warning))),
            area,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_with_an_ellipsis() {
        assert_eq!(ellipsize("pg-orders-backup-20261124", 10), "pg-orders…");
        assert_eq!(ellipsize("short", 10), "short");
        assert_eq!(ellipsize("日本語テキスト", 7), "日本語…");
    }

    #[test]
    fn a_small_focused_pane_leaves_its_room_to_the_pane_that_needs_it() {
        // 80x24: 22 lines; the plugin pane (focused) needs 5, the Backups pane 30.
        let h = stacked_heights([5, 6, 30, 8], 0, 22);
        assert_eq!(h.iter().sum::<u16>(), 22);
        assert_eq!(h[0], 5, "the plugin pane takes what it needs: {h:?}");
        assert!(
            h[2] >= 9,
            "the Backups pane shows clusters and newest backups: {h:?}"
        );
        // 120x40: 38 lines.
        let h = stacked_heights([5, 6, 30, 8], 0, 38);
        assert_eq!((h[0], h[1]), (5, 6), "{h:?}");
        assert!(h[2] >= 18, "{h:?}");
    }

    #[test]
    fn the_focused_pane_gets_what_the_others_leave() {
        let h = stacked_heights([5, 6, 300, 8], 2, 22);
        assert_eq!(h.iter().sum::<u16>(), 22);
        assert_eq!(h[2], 22 - h[0] - h[1] - h[3]);
        assert!(h.iter().all(|&x| x >= MIN_PANE), "{h:?}");
    }

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
