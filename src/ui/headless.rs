//! The dashboard without a terminal: an `App` and the `Runtime` that feeds it, pumped on
//! demand. What the tests and the screenshot script drive, so that both see exactly what
//! the binary's loop shows: same messages, same commands, same IO.

use std::time::Duration;

use crossterm::event::KeyEvent;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

use super::app::App;
use super::draw::draw;
use super::msg::{Cmd, Msg};
use super::runtime::Runtime;

pub struct Headless {
    pub app: App,
    pub runtime: Runtime,
}

impl Headless {
    pub async fn perform(&mut self, cmds: Vec<Cmd>) {
        for cmd in cmds {
            if !matches!(cmd, Cmd::Quit | Cmd::Leave) {
                self.runtime.perform(cmd).await;
            }
        }
    }

    /// Feeds the runtime's messages to the app until `done` holds, or says what did not
    /// happen within `within`.
    pub async fn until(
        &mut self,
        what: &str,
        within: Duration,
        done: impl Fn(&App) -> bool,
    ) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + within;
        while !done(&self.app) {
            let msg = tokio::time::timeout_at(deadline, self.runtime.next())
                .await
                .map_err(|_| format!("{what}: not within {within:?}"))?;
            let cmds = self.app.update(msg);
            self.perform(cmds).await;
        }
        Ok(())
    }

    /// A key, and the IO it asks for performed; returns what it asked for.
    pub async fn key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        let cmds = self.app.update(Msg::Key(key));
        self.perform(cmds.clone()).await;
        cmds
    }

    /// Fresh facts, and the rules' verdict on them.
    pub async fn gather(&mut self, within: Duration) -> Result<(), String> {
        let before = self.app.board.verdicts;
        self.perform(vec![Cmd::Gather { network: false }]).await;
        self.until("the facts gathered and judged", within, |a| {
            a.board.extras.is_some() && a.board.verdicts > before
        })
        .await
    }

    /// The frame as a `w`×`h` terminal would show it.
    pub fn frame(&self, w: u16, h: u16) -> Buffer {
        let mut terminal = match Terminal::new(TestBackend::new(w, h)) {
            Ok(t) => t,
            Err(never) => match never {},
        };
        let _ = terminal.draw(|f| draw(&self.app, f));
        terminal.backend().buffer().clone()
    }
}
