//! The dashboard as drawn, at fixed sizes with a frozen clock: the scenario is loaded as of
//! its own anchor, so every age on screen is the same on every run.

mod common;

use std::time::Duration;

use backstop::cluster::Watched;
use backstop::sim::{Sim, scenario};
use backstop::ui::app::{App, Location};
use backstop::ui::draw::draw;
use backstop::ui::theme::Theme;
use chrono::{DateTime, Utc};
use common::{eventually_async, fixture};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ANCHOR: &str = "2026-11-24T06:00:00Z";

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(ANCHOR)
        .expect("anchor")
        .with_timezone(&Utc)
}

/// The app with every kind settled, as of the scenario's anchor.
async fn settled(spec: &str) -> App {
    let sc = scenario::load(spec, anchor()).expect("scenario loads");
    let sim = Sim::new(&sc).expect("sim builds");
    let watched = Watched::start(&kube::Client::new(sim.router(), "default"), None);
    let snap = eventually_async("every kind settled", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move { s.settled().then_some(s) }
    })
    .await;
    let mut app = App::new(
        Location {
            context: format!("demo: {}", sc.name),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        Theme::no_color(),
        anchor(),
    );
    app.set_snapshot(snap);
    app
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("test terminal");
    terminal.draw(|f| draw(app, f)).expect("draws");
    terminal.backend().to_string()
}

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

#[tokio::test]
async fn mini_at_120x32() {
    let app = settled(&fixture("mini.yaml")).await;
    insta::assert_snapshot!(render(&app, 120, 32));
}

#[tokio::test]
async fn mini_at_80x24_with_backups_focused_and_filtered() {
    let mut app = settled(&fixture("mini.yaml")).await;
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Char('/'));
    for c in "backup-1".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    press(&mut app, KeyCode::Enter);
    let screen = render(&app, 80, 24);
    assert!(screen.contains("/backup-1 1 of 1"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn backup_detail() {
    let mut app = settled(&fixture("mini.yaml")).await;
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!(render(&app, 100, 30));
}

#[tokio::test]
async fn too_small_says_so() {
    let app = settled(&fixture("mini.yaml")).await;
    let screen = render(&app, 60, 12);
    assert!(
        screen.contains("backstop needs at least 80×24; this terminal is 60×12."),
        "{screen}"
    );
}
