//! The dashboard as the binary runs it, without a terminal: a scenario in the simulator,
//! the real `Runtime` (watchers, rules, reads) and an `App` fed its messages, with the
//! clock frozen at the scenario's anchor. Keys go in through `App::update`; what they ask
//! for is performed by the runtime, as in the binary.

use std::sync::Arc;
use std::time::Duration;

use backstop::sim::{Sim, scenario};
use backstop::ui::app::{App, Location, Settings};
use backstop::ui::headless::Headless;
use backstop::ui::msg::Cmd;
use backstop::ui::runtime::{Reach, Runtime};
use backstop::ui::theme::Theme;
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

pub const ANCHOR: &str = "2026-11-24T06:00:00Z";

pub fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(ANCHOR)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// How long a condition may take to come true.
const WITHIN: Duration = Duration::from_secs(15);

pub struct World {
    pub ui: Headless,
    pub client: kube::Client,
    pub scenario: scenario::Scenario,
    pub sim: Arc<Sim>,
    /// Where transcripts and the action log go.
    pub dir: tempfile::TempDir,
}

impl World {
    /// `spec` (a built-in name or a file) in the simulator, shown once every kind has
    /// settled; no facts gathered yet.
    pub async fn start(spec: &str) -> World {
        World::with(spec, Settings::default()).await
    }

    pub async fn with(spec: &str, settings: Settings) -> World {
        let sc = scenario::load(spec, anchor())
            .unwrap_or_else(|e| panic!("scenario {spec} loads: {e:#}"));
        World::of(sc, settings).await
    }

    /// A scenario already built (a seeded one, say).
    pub async fn of(sc: scenario::Scenario, settings: Settings) -> World {
        let sim = Sim::new(&sc).unwrap_or_else(|e| panic!("the simulator builds: {e:#}"));
        let client = kube::Client::new(sim.router(), "default");
        let dir = tempfile::tempdir().expect("a temporary folder");
        let settings = Settings {
            transcripts: if settings.transcripts.as_os_str().is_empty() {
                dir.path().join("transcripts")
            } else {
                settings.transcripts
            },
            trees: if settings.trees.is_empty() {
                backstop::trees::builtin()
            } else {
                settings.trees
            },
            ..settings
        };
        let app = App::new(
            Location {
                context: format!("demo: {}", sc.name),
                server: "sim".into(),
                namespace: None,
                demo: true,
            },
            Theme::no_color(),
            anchor(),
            settings,
        );
        let runtime = Runtime::new(
            Some(client.clone()),
            None,
            Reach {
                options: None,
                actions_log: dir.path().join("actions.log"),
                ticking: false,
            },
        );
        let mut w = World {
            ui: Headless { app, runtime },
            client,
            scenario: sc,
            sim,
            dir,
        };
        w.until("every kind settled", |a| a.board.snapshot.settled())
            .await;
        w
    }

    /// The rules' facts gathered and judged, as the dashboard does shortly after start.
    pub async fn gathered(mut self) -> World {
        self.gather().await;
        self
    }

    /// Fresh facts, and the rules' verdict on them.
    pub async fn gather(&mut self) {
        self.ui
            .gather(WITHIN)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    pub async fn perform(&mut self, cmds: Vec<Cmd>) {
        self.ui.perform(cmds).await;
    }

    /// Feeds the runtime's messages to the app until `done` holds.
    pub async fn until(&mut self, what: &str, done: impl Fn(&App) -> bool) {
        self.ui
            .until(what, WITHIN, done)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// A key, and the IO it asks for performed; what it asked for is returned.
    pub async fn key(&mut self, key: KeyEvent) -> Vec<Cmd> {
        self.ui.key(key).await
    }

    pub async fn press(&mut self, code: KeyCode) -> Vec<Cmd> {
        self.key(KeyEvent::new(code, KeyModifiers::NONE)).await
    }

    pub async fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    pub fn render(&self, w: u16, h: u16) -> String {
        render(&self.app, w, h)
    }
}

/// The app as a `w`×`h` terminal shows it, as text.
pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).expect("a test terminal");
    terminal
        .draw(|f| backstop::ui::draw::draw(app, f))
        .expect("draws");
    terminal.backend().to_string()
}

impl std::ops::Deref for World {
    type Target = Headless;
    fn deref(&self) -> &Headless {
        &self.ui
    }
}

impl std::ops::DerefMut for World {
    fn deref_mut(&mut self) -> &mut Headless {
        &mut self.ui
    }
}
