//! The text views over one object: its YAML, its events, or a container's log followed
//! live into a bounded buffer, with search, wrap and error lines marked.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent};

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

/// What a key did in a text view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKey {
    Handled,
    Close,
    Ignored,
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

    pub fn handle_key(&mut self, key: KeyEvent) -> TextKey {
        if self.searching {
            match key.code {
                KeyCode::Esc => {
                    self.searching = false;
                    self.search.clear();
                }
                KeyCode::Enter => {
                    self.searching = false;
                    self.scroll = self.scroll.saturating_sub(1);
                    self.find(true);
                }
                KeyCode::Backspace => {
                    self.search.pop();
                }
                KeyCode::Char(c) => self.search.push(c),
                _ => {}
            }
            return TextKey::Handled;
        }
        let page = 20;
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return TextKey::Close,
            KeyCode::Char('j') | KeyCode::Down => {
                self.follow = false;
                self.scroll = self
                    .scroll
                    .saturating_add(1)
                    .min(self.lines.len().saturating_sub(1));
            }
            KeyCode::Char('k') | KeyCode::Up => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(1);
            }
            KeyCode::PageDown => {
                self.follow = false;
                self.scroll = self
                    .scroll
                    .saturating_add(page)
                    .min(self.lines.len().saturating_sub(1));
            }
            KeyCode::PageUp => {
                self.follow = false;
                self.scroll = self.scroll.saturating_sub(page);
            }
            KeyCode::Char('g') | KeyCode::Home => {
                self.follow = false;
                self.scroll = 0;
            }
            KeyCode::Char('G') | KeyCode::End => {
                self.scroll = self.lines.len().saturating_sub(1);
                self.follow = self.kind == TextKind::Logs;
            }
            KeyCode::Char('f') if self.kind == TextKind::Logs => self.follow = !self.follow,
            KeyCode::Char('w') => self.wrap = !self.wrap,
            KeyCode::Char('/') => {
                self.searching = true;
                self.search.clear();
            }
            KeyCode::Char('n') => self.find(true),
            KeyCode::Char('N') => self.find(false),
            _ => return TextKey::Ignored,
        }
        TextKey::Handled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

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
        v.handle_key(key(KeyCode::Char('/')));
        for c in "accessdenied".chars() {
            v.handle_key(key(KeyCode::Char(c)));
        }
        v.handle_key(key(KeyCode::Enter));
        assert_eq!((v.scroll, v.follow), (1, false));
        v.handle_key(key(KeyCode::Char('n')));
        assert_eq!(v.scroll, 3);
        v.handle_key(key(KeyCode::Char('n')));
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
