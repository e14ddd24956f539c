use chrono::{DateTime, TimeDelta, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::assess::summary::{ClusterSummary, Method, Window};
use crate::assess::{Outcome, Status};

fn press(v: &mut FleetView, code: KeyCode) -> Option<FleetCmd> {
    v.key(&KeyEvent::new(code, KeyModifiers::NONE))
}

fn site(context: &str, status: Status, clusters: Vec<ClusterSummary>) -> Judged {
    Judged {
        context: context.into(),
        server: format!("https://{context}.example:6443"),
        unreachable: None,
        outcome: Outcome::default(),
        status,
        notes: Vec::new(),
        windows: Vec::new(),
        drills: Vec::new(),
        clusters,
    }
}

fn down(context: &str) -> Judged {
    let mut s = site(context, Status::Unknown, Vec::new());
    s.unreachable = Some(format!(
        "https://{context}.example:6443 did not answer within 10s"
    ));
    s
}

fn cluster(name: &str, window: Window, failing: bool, now: DateTime<Utc>) -> ClusterSummary {
    ClusterSummary {
        namespace: "db".into(),
        name: name.into(),
        method: Method::Plugin,
        store: "store".into(),
        server: name.into(),
        last_good: Some(now - TimeDelta::hours(3)),
        window,
        claimed_from: None,
        last_archived: Some(now - TimeDelta::seconds(40)),
        archiving_failing: Some(failing),
    }
}

fn names() -> Vec<String> {
    ["eu", "us", "ap"].map(String::from).to_vec()
}

fn screen(v: &FleetView, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("a test terminal");
    t.draw(|f| draw::draw(v, &crate::ui::theme::Theme::no_color(), f))
        .expect("drawn");
    t.backend().to_string()
}

#[test]
fn the_selection_follows_its_context_when_a_read_reorders_the_rows() {
    let now = Utc::now();
    let mut v = FleetView::new(names(), now, &Thresholds::default());
    assert_eq!(press(&mut v, KeyCode::Char('j')), None);
    assert_eq!(
        press(&mut v, KeyCode::Enter),
        Some(FleetCmd::Dive("us".into())),
        "before the first read, the rows are the names asked for"
    );
    v.read(
        vec![
            site("us", Status::Critical, Vec::new()),
            down("ap"),
            site("eu", Status::Ok, Vec::new()),
        ],
        now,
    );
    assert_eq!(v.selected(), 0, "us is worst now, and still selected");
    press(&mut v, KeyCode::Char('G'));
    assert_eq!(
        press(&mut v, KeyCode::Enter),
        Some(FleetCmd::Dive("eu".into()))
    );
    press(&mut v, KeyCode::Char('j'));
    assert_eq!(v.selected(), 2, "the last row stays the last");
    press(&mut v, KeyCode::Char('g'));
    assert_eq!(
        press(&mut v, KeyCode::Enter),
        Some(FleetCmd::Dive("us".into()))
    );
    assert_eq!(press(&mut v, KeyCode::Char('q')), Some(FleetCmd::Quit));
    assert_eq!(
        v.key(&KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
        Some(FleetCmd::Quit)
    );
}

#[test]
fn a_read_is_due_every_30_seconds_and_r_asks_for_one_unless_one_runs() {
    let now = Utc::now();
    let mut v = FleetView::new(names(), now, &Thresholds::default());
    assert!(v.tick(now), "nothing read yet: a read is due");
    v.reading(now);
    assert!(!v.tick(now + TimeDelta::seconds(60)), "one is under way");
    assert_eq!(press(&mut v, KeyCode::Char('r')), None);
    assert!(v.message.is_some(), "r while reading says so");
    v.read(vec![site("eu", Status::Ok, Vec::new())], now);
    assert!(!v.tick(now + TimeDelta::seconds(29)));
    assert!(v.tick(now + REREAD_EVERY));
    assert_eq!(press(&mut v, KeyCode::Char('r')), Some(FleetCmd::Reread));
}

#[test]
fn rows_say_each_state_in_words_worst_first_with_each_cluster_under_its_site() {
    let now = Utc::now();
    let mut v = FleetView::new(names(), now, &Thresholds::default());
    let before = screen(&v, 100, 24);
    assert!(
        before.contains("reading  eu") && before.contains("being read…"),
        "{before}"
    );
    let proven = Window::Proven {
        from: now - TimeDelta::minutes(5) - TimeDelta::days(7),
        to: now - TimeDelta::minutes(5),
    };
    v.read(
        vec![
            site(
                "us",
                Status::Critical,
                vec![cluster("pg-orders", Window::NotProven, true, now)],
            ),
            down("ap"),
            site(
                "eu",
                Status::Ok,
                vec![cluster("pg-billing", proven, false, now)],
            ),
        ],
        now,
    );
    let text = screen(&v, 120, 24);
    let row = |needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    assert!(row("✖ critical us") < row("? unknown  ap"), "{text}");
    assert!(row("? unknown  ap") < row("✔ ok       eu"), "{text}");
    assert!(row("✖ critical us") < row("db/pg-orders"), "{text}");
    assert!(text.contains("window NOT proven"), "{text}");
    assert!(text.contains("WAL FAILING"), "{text}");
    assert!(text.contains("window 7d back, to 5m ago"), "{text}");
    assert!(text.contains("last good 3h ago"), "{text}");
    assert!(
        text.contains("unreachable: https://ap.example:6443 did not answer"),
        "{text}"
    );
    assert!(
        text.contains("fleet of 3 contexts │ ✖ critical │ read 0s ago"),
        "{text}"
    );
    assert!(text.contains("Enter dashboard"), "{text}");
    press(&mut v, KeyCode::Char('G'));
    let text = screen(&v, 120, 24);
    assert!(text.contains("eu · https://eu.example:6443"), "{text}");
    assert!(text.contains("1 Cluster, nothing to report"), "{text}");
}

#[test]
fn a_hostile_context_name_cannot_reach_the_terminal() {
    let now = Utc::now();
    let mut v = FleetView::new(
        vec!["evil\u{1b}[2J\u{202e}ctx".into()],
        now,
        &Thresholds::default(),
    );
    v.read(
        vec![site("evil\u{1b}[2J\u{202e}ctx", Status::Ok, Vec::new())],
        now,
    );
    let text = screen(&v, 100, 24);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("no CNPG Cluster here"), "{text}");
}

#[test]
fn a_small_terminal_is_told_what_it_needs() {
    let v = FleetView::new(names(), Utc::now(), &Thresholds::default());
    let text = screen(&v, 60, 10);
    assert!(text.contains("backstop needs at least 80×24"), "{text}");
}
