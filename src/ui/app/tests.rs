//! Keys through `update`, as the runtime sends them.

use chrono::Utc;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::*;

fn app() -> App {
    App::new(
        Location {
            context: "ctx".into(),
            server: "https://k".into(),
            namespace: None,
            demo: false,
        },
        Theme::no_color(),
        Utc::now(),
        Settings::default(),
    )
}

fn press(a: &mut App, code: KeyCode) -> Vec<Cmd> {
    a.update(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn quits(cmds: &[Cmd]) -> bool {
    matches!(cmds, [Cmd::Quit])
}

#[test]
fn tab_and_digits_move_focus() {
    let mut a = app();
    press(&mut a, KeyCode::Tab);
    assert_eq!(a.board.focus, 1);
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::BackTab,
        KeyModifiers::SHIFT,
    )));
    assert_eq!(a.board.focus, 3);
    press(&mut a, KeyCode::Char('2'));
    assert_eq!(a.board.focus, 1);
}

#[test]
fn commands_become_cmds_and_mistakes_a_message() {
    let mut a = app();
    let run = |a: &mut App, line: &str| {
        press(a, KeyCode::Char(':'));
        for c in line.chars() {
            press(a, KeyCode::Char(c));
        }
        press(a, KeyCode::Enter)
    };
    assert!(matches!(
        run(&mut a, "ns orders").as_slice(),
        [Cmd::Namespace(Some(ns))] if ns == "orders"
    ));
    assert!(matches!(
        run(&mut a, "ns all").as_slice(),
        [Cmd::Namespace(None)]
    ));
    assert!(quits(&run(&mut a, "q")));
    assert!(run(&mut a, "frobnicate").is_empty());
    assert!(
        a.message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("unknown command"))
    );
    assert_eq!(a.mode(), Mode::Normal);
}

#[test]
fn q_quits_but_not_while_typing_a_filter() {
    let mut a = app();
    press(&mut a, KeyCode::Char('/'));
    assert!(press(&mut a, KeyCode::Char('q')).is_empty());
    assert_eq!(a.board.panes[0].filter, "q");
    press(&mut a, KeyCode::Esc);
    assert_eq!(a.board.panes[0].filter, "");
    assert!(quits(&press(&mut a, KeyCode::Char('q'))));
}

#[test]
fn ctrl_c_quits_from_an_overlay() {
    let mut a = app();
    press(&mut a, KeyCode::Char('?'));
    assert_eq!(a.mode(), Mode::Help);
    let cmds = a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(quits(&cmds));
}

#[test]
fn esc_closes_the_top_overlay_and_shows_the_one_under_it() {
    let mut a = app();
    a.overlays.push(Overlay::Help(Help::default()));
    a.overlays.push(Overlay::Findings(Findings::default()));
    press(&mut a, KeyCode::Esc);
    assert_eq!(a.mode(), Mode::Help);
    press(&mut a, KeyCode::Esc);
    assert_eq!(a.mode(), Mode::Normal);
}

#[test]
fn the_connect_error_screen_retries_with_r_and_quits_with_anything_else() {
    let mut a = app();
    a.update(Msg::ConnectFailed(ConnectError {
        target: "https://k".into(),
        what: "refused".into(),
        hint: "check".into(),
    }));
    assert!(matches!(
        press(&mut a, KeyCode::Char('r')).as_slice(),
        [Cmd::Context(None)]
    ));
    assert!(quits(&press(&mut a, KeyCode::Char('x'))));
}

fn from_fleet() -> App {
    let mut a = app();
    a.settings.from_fleet = true;
    a
}

#[test]
fn esc_goes_back_to_the_fleet_once_nothing_is_left_to_close() {
    let mut a = from_fleet();
    a.overlays.push(Overlay::Help(Help::default()));
    assert!(
        press(&mut a, KeyCode::Esc).is_empty(),
        "Esc closes the help"
    );
    assert_eq!(a.mode(), Mode::Normal);
    press(&mut a, KeyCode::Char('/'));
    press(&mut a, KeyCode::Char('x'));
    press(&mut a, KeyCode::Enter);
    assert_eq!(a.board.panes[0].filter, "x");
    assert!(
        press(&mut a, KeyCode::Esc).is_empty(),
        "Esc clears the filter"
    );
    assert_eq!(a.board.panes[0].filter, "");
    assert!(matches!(
        press(&mut a, KeyCode::Esc).as_slice(),
        [Cmd::Leave]
    ));
    assert!(quits(&press(&mut a, KeyCode::Char('q'))), "q still quits");

    let mut alone = app();
    assert!(
        press(&mut alone, KeyCode::Esc).is_empty(),
        "a dashboard not opened from the fleet has nowhere to go back to"
    );
}

#[test]
fn esc_on_the_connect_error_screen_goes_back_to_the_fleet() {
    let failed = || ConnectError {
        target: "https://k".into(),
        what: "refused".into(),
        hint: "check".into(),
    };
    let mut a = from_fleet();
    a.update(Msg::ConnectFailed(failed()));
    assert!(matches!(
        press(&mut a, KeyCode::Esc).as_slice(),
        [Cmd::Leave]
    ));
    let mut alone = app();
    alone.update(Msg::ConnectFailed(failed()));
    assert!(quits(&press(&mut alone, KeyCode::Esc)));
}
