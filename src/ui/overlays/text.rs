//! The text views over one object: its YAML, its events, or a container's log followed
//! live into a bounded buffer, with search, wrap and error lines marked.

use std::collections::VecDeque;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use chrono::{DateTime, Utc};

use super::Do;
use super::input::typed_char;
use crate::cluster::fetch::EventLine;
use crate::ui::keys::{
    INPUT_BINDINGS, InputAction, TEXT_BINDINGS, TextAction, action_in, hints_of,
};
use crate::ui::msg::Cmd;
use crate::ui::panes::age;
use crate::ui::theme::{Role, Theme};
use crate::ui::widgets::{centered, hint_line};

/// A followed log keeps at most this many lines: memory stays flat however chatty the
/// container (k9s once grew to 30 GB on one log view).
pub const LOG_CAP: usize = 10_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    Yaml,
    Events,
    Logs,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TextStatus {
    Loading,
    Ready,
    /// A log being followed.
    Live,
    /// The log stream ended; Some(why) when it failed.
    Ended(Option<String>),
    Failed(String),
}

#[derive(Debug, Clone)]
pub struct TextView {
    /// Results for an older view (closed, replaced) are dropped by id.
    pub id: u64,
    pub kind: TextKind,
    pub title: String,
    pub lines: VecDeque<String>,
    /// Lines dropped from the front to keep the buffer bounded.
    pub dropped: usize,
    /// First line shown, when not following.
    pub scroll: usize,
    /// Stick to the newest line (logs).
    pub follow: bool,
    pub wrap: bool,
    pub search: String,
    /// Typing the search text.
    pub searching: bool,
    pub status: TextStatus,
}

/// Events as lines, newest first, as `kubectl events` prints them.
pub fn event_lines(events: &[EventLine], now: DateTime<Utc>) -> Vec<String> {
    if events.is_empty() {
        return vec![
            "No events. Events expire after about an hour: none is not the same as healthy.".into(),
        ];
    }
    events
        .iter()
        .map(|e| {
            let seen = age(e.last_seen, now);
            let count = if e.count > 1 {
                format!(" (x{})", e.count)
            } else {
                String::new()
            };
            format!(
                "{seen:>7}  {:<7} {:<24} {}{count}  [{}]",
                e.kind, e.reason, e.message, e.source
            )
        })
        .collect()
}

/// A line that reports an error: marked so it stands out in a long log.
pub fn is_error_line(line: &str) -> bool {
    let l = line.to_ascii_lowercase();
    l.contains("\"level\":\"error\"")
        || l.contains("level=error")
        || l.contains("\"level\":\"fatal\"")
        || l.contains(" error ")
        || l.contains("error:")
        || l.starts_with("error")
        || l.contains("panic")
        || l.contains("traceback")
        || l.contains("exception")
        || l.contains("fatal")
}

impl TextView {
    pub fn new(id: u64, kind: TextKind, title: String) -> TextView {
        TextView {
            id,
            kind,
            title,
            lines: VecDeque::new(),
            dropped: 0,
            scroll: 0,
            follow: kind == TextKind::Logs,
            wrap: kind != TextKind::Yaml,
            search: String::new(),
            searching: false,
            status: TextStatus::Loading,
        }
    }

    pub fn set_lines(&mut self, lines: Vec<String>) {
        self.lines = lines.into();
        self.status = TextStatus::Ready;
    }

    pub fn push_lines(&mut self, lines: Vec<String>) {
        self.status = TextStatus::Live;
        for l in lines {
            if self.lines.len() == LOG_CAP {
                self.lines.pop_front();
                self.dropped += 1;
                self.scroll = self.scroll.saturating_sub(1);
            }
            self.lines.push_back(l);
        }
    }

    /// The first line to show in a viewport of `height` lines.
    pub fn top(&self, height: usize) -> usize {
        let last_page = self.lines.len().saturating_sub(height);
        if self.follow {
            last_page
        } else {
            self.scroll.min(last_page)
        }
    }

    fn find(&mut self, forward: bool) {
        if self.search.is_empty() || self.lines.is_empty() {
            return;
        }
        let needle = self.search.to_lowercase();
        let n = self.lines.len();
        let start = self.scroll.min(n - 1);
        for step in 1..=n {
            let i = if forward {
                (start + step) % n
            } else {
                (start + n - step % n) % n
            };
            if self.lines[i].to_lowercase().contains(&needle) {
                self.scroll = i;
                self.follow = false;
                return;
            }
        }
    }

    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        if self.searching {
            match action_in(INPUT_BINDINGS, key) {
                Some(InputAction::Cancel) => {
                    self.searching = false;
                    self.search.clear();
                }
                Some(InputAction::Accept) => {
                    self.searching = false;
                    self.scroll = self.scroll.saturating_sub(1);
                    self.find(true);
                }
                Some(InputAction::Erase) => {
                    self.search.pop();
                }
                None => {
                    if let Some(c) = typed_char(key) {
                        self.search.push(c);
                    }
                }
            }
            return vec![];
        }
        let Some(action) = action_in(TEXT_BINDINGS, key) else {
            return vec![];
        };
        let page = 20;
        let last = self.lines.len().saturating_sub(1);
        match action {
            TextAction::Close => return vec![Do::Close, Do::Cmd(Cmd::CloseText)],
            TextAction::Down => {
                self.follow = false;
                self.scroll = self.scroll.saturating_add(1).min(last);
            }
            TextAction::Up => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(1);
            }
            TextAction::PageDown => {
                self.follow = false;
                self.scroll = self.scroll.saturating_add(page).min(last);
            }
            TextAction::PageUp => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(page);
            }
            TextAction::Top => {
                self.follow = false;
                self.scroll = 0;
            }
            TextAction::Bottom => {
                self.scroll = last;
                self.follow = self.kind == TextKind::Logs;
            }
            TextAction::Follow if self.kind == TextKind::Logs => self.follow = !self.follow,
            TextAction::Follow => {}
            TextAction::Wrap => self.wrap = !self.wrap,
            TextAction::Search => {
                self.searching = true;
                self.search.clear();
            }
            TextAction::Next => self.find(true),
            TextAction::Previous => self.find(false),
        }
        vec![]
    }

    pub fn footer(&self, t: &Theme, width: u16) -> Line<'static> {
        if !self.searching {
            return hint_line(t, &hints_of(TEXT_BINDINGS), width);
        }
        Line::from(vec![
            Span::styled("search: ", t.style(Role::Key)),
            Span::styled(format!("{}▏", self.search), t.style(Role::Filter)),
            Span::styled("  Enter find · Esc cancel", t.style(Role::Muted)),
        ])
    }

    pub fn draw(&self, f: &mut Frame, area: Rect, t: &Theme) {
        let v = self;
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
            // Wrapped lines take several rows: count back from the newest until full.
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    #[test]
    fn the_log_buffer_stays_bounded_and_follows() {
        let mut v = TextView::new(1, TextKind::Logs, "log".into());
        for chunk in 0..30 {
            v.push_lines(
                (0..1000)
                    .map(|i| format!("line {}", chunk * 1000 + i))
                    .collect(),
            );
        }
        assert_eq!(v.lines.len(), LOG_CAP);
        assert_eq!(v.dropped, 20_000);
        assert_eq!(v.lines.back().map(String::as_str), Some("line 29999"));
        assert_eq!(v.top(10), LOG_CAP - 10, "following shows the newest lines");
    }

    #[test]
    fn search_jumps_to_matches_and_stops_following() {
        let mut v = TextView::new(1, TextKind::Logs, "log".into());
        v.push_lines(vec![
            "ok".into(),
            "AccessDenied here".into(),
            "ok".into(),
            "accessdenied again".into(),
        ]);
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        v.handle_key(&key(KeyCode::Char('/')));
        for c in "accessdenied".chars() {
            v.handle_key(&key(KeyCode::Char(c)));
        }
        v.handle_key(&key(KeyCode::Enter));
        assert_eq!((v.scroll, v.follow), (1, false));
        v.handle_key(&key(KeyCode::Char('n')));
        assert_eq!(v.scroll, 3);
        v.handle_key(&key(KeyCode::Char('n')));
        assert_eq!(v.scroll, 1, "wraps around");
    }

    #[test]
    fn error_lines_are_recognised() {
        assert!(is_error_line(r#"{"level":"error","msg":"upload failed"}"#));
        assert!(is_error_line(
            "botocore.exceptions.ClientError: An error occurred (SignatureDoesNotMatch)"
        ));
        assert!(!is_error_line(
            r#"{"level":"info","msg":"Archived WAL file"}"#
        ));
    }
}
