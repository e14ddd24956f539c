//! The dashboard as drawn, at fixed sizes with a frozen clock: the scenario is loaded as of
//! its own anchor, so every age on screen is the same on every run.

mod common;

use common::fixture;
use common::world::World;
use crossterm::event::KeyCode;

async fn mini() -> World {
    World::start(&fixture("mini.yaml")).await
}

#[tokio::test]
async fn mini_at_120x32() {
    let w = mini().await;
    insta::assert_snapshot!(w.render(120, 32));
}

#[tokio::test]
async fn mini_at_80x24_with_backups_focused_and_filtered() {
    let mut w = mini().await;
    w.press(KeyCode::Char('3')).await;
    w.press(KeyCode::Char('/')).await;
    w.typed("backup-1").await;
    w.press(KeyCode::Enter).await;
    let screen = w.render(80, 24);
    assert!(screen.contains("/backup-1 1 of 1"), "{screen}");
    insta::assert_snapshot!(screen);
}

#[tokio::test]
async fn backup_detail() {
    let mut w = mini().await;
    w.press(KeyCode::Char('3')).await;
    w.press(KeyCode::Enter).await;
    insta::assert_snapshot!(w.render(100, 30));
}

#[tokio::test]
async fn too_small_says_so() {
    let w = mini().await;
    let screen = w.render(60, 12);
    assert!(
        screen.contains("backstop needs at least 80×24; this terminal is 60×12."),
        "{screen}"
    );
}
