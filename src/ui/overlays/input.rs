//! The line typed at the bottom: the focused pane's filter (`/`, applied as typed, like
//! k9s) or a command (`:`).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::Do;
use crate::ui::keys::{INPUT_BINDINGS, InputAction, action_in};
use crate::ui::theme::{Role, Theme};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
    /// A restore plan's target: latest, a time with its timezone, or a backup ID.
    RestoreTarget,
}

#[derive(Debug)]
pub struct Input {
    pub kind: InputKind,
    pub text: String,
}

/// A key that types a character (Shift allowed: it is how capitals and `:` come).
pub fn typed_char(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if key.modifiers.difference(KeyModifiers::SHIFT).is_empty() => Some(c),
        _ => None,
    }
}

impl Input {
    pub fn handle_key(&mut self, key: &KeyEvent) -> Vec<Do> {
        let filter = self.kind == InputKind::Filter;
        match action_in(INPUT_BINDINGS, key) {
            Some(InputAction::Cancel) if filter => vec![Do::Filter(String::new()), Do::Close],
            Some(InputAction::Cancel) => vec![Do::Close],
            Some(InputAction::Accept) if filter => vec![Do::Close],
            Some(InputAction::Accept) if self.kind == InputKind::RestoreTarget => {
                vec![Do::Close, Do::Retarget(std::mem::take(&mut self.text))]
            }
            Some(InputAction::Accept) => {
                vec![Do::Close, Do::Command(std::mem::take(&mut self.text))]
            }
            Some(InputAction::Erase) => {
                self.text.pop();
                self.live()
            }
            None => match typed_char(key) {
                Some(c) => {
                    self.text.push(c);
                    self.live()
                }
                None => vec![],
            },
        }
    }

    /// A filter applies with every key.
    fn live(&self) -> Vec<Do> {
        match self.kind {
            InputKind::Filter => vec![Do::Filter(self.text.clone())],
            InputKind::Command | InputKind::RestoreTarget => vec![],
        }
    }

    pub fn footer(&self, t: &Theme) -> Line<'static> {
        let (prompt, help) = match self.kind {
            InputKind::Filter => ("/", "  Enter keep · Esc clear"),
            InputKind::Command => (":", "  :ns NAME|all · :ctx NAME · :q"),
            InputKind::RestoreTarget => (
                "restore to: ",
                "  latest · 2026-12-04T09:30:00Z or +01:00 · a backup ID (20261124T060000) · Enter plans · Esc",
            ),
        };
        Line::from(vec![
            Span::styled(prompt, t.style(Role::Key)),
            Span::styled(format!("{}▏", self.text), t.style(Role::Filter)),
            Span::styled(help, t.style(Role::Muted)),
        ])
    }
}
