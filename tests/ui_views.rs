//! Every pane and every view of the healthy scenario at 80x24 and 160x48, with a frozen
//! clock: the scenario is loaded as of its anchor and the app's clock is the anchor.

mod common;

use std::time::Duration;

use backstop::cluster::Watched;
use backstop::cluster::fetch::{self, LogChunk};
use backstop::sim::{Sim, scenario};
use backstop::ui::app::{App, Effect, Location};
use backstop::ui::draw::draw;
use backstop::ui::run::load_text;
use backstop::ui::theme::Theme;
use chrono::{DateTime, Utc};
use common::eventually_async;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn anchor() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
        .expect("anchor")
        .with_timezone(&Utc)
}

struct World {
    app: App,
    client: kube::Client,
    /// What the app was given, once every kind was live.
    snap: backstop::model::Snapshot,
    scenario: scenario::Scenario,
    _watched: Watched,
    _sim: std::sync::Arc<Sim>,
}

async fn healthy() -> World {
    world("healthy").await
}

/// A built-in scenario, watched until every kind is live, shown by an app without extras.
async fn world(name: &str) -> World {
    let sc = scenario::load(name, anchor()).expect("the scenario loads");
    let sim = Sim::new(&sc).expect("sim");
    let client = kube::Client::new(sim.router(), "default");
    let watched = Watched::start(&client, None);
    let snap = eventually_async("every kind live", Duration::from_secs(10), || {
        let s = watched.snapshot();
        async move { s.live().then_some(s) }
    })
    .await;
    let mut app = App::new(
        Location {
            context: format!("demo: {name}"),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        Theme::no_color(),
        anchor(),
    );
    app.set_snapshot(snap.clone());
    World {
        app,
        client,
        snap,
        scenario: sc,
        _watched: watched,
        _sim: sim,
    }
}

fn key(app: &mut App, code: KeyCode) -> Option<Effect> {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Runs the IO an effect asks for, as the event loop would, and hands the result back.
async fn fulfil(w: &mut World, effect: Option<Effect>) {
    match effect {
        Some(effect @ (Effect::Yaml { .. } | Effect::Events { .. })) => {
            let (id, lines) = load_text(w.client.clone(), &effect, anchor())
                .await
                .expect("a text view");
            w.app.text_loaded(id, lines);
        }
        Some(Effect::Logs {
            id,
            namespace,
            pod,
            container,
        }) => {
            let (tx, mut rx) = tokio::sync::mpsc::channel(4);
            let task = tokio::spawn(fetch::follow_logs(
                w.client.clone(),
                namespace,
                pod,
                container,
                500,
                tx,
            ));
            if let Some(LogChunk::Lines(lines)) = rx.recv().await {
                w.app.log_chunk(id, LogChunk::Lines(lines));
            }
            task.abort();
        }
        other => panic!("expected a fetch, got {other:?}"),
    }
}

fn render(app: &App, (w, h): (u16, u16)) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
    t.draw(|f| draw(app, f)).expect("draws");
    t.backend().to_string()
}

#[tokio::test]
async fn every_pane_and_view_at_80x24_and_160x48() {
    for size in [(80u16, 24u16), (160, 48)] {
        let name = |what: &str| format!("healthy_{}x{}_{what}", size.0, size.1);
        let mut w = healthy().await;
        for pane in ['1', '2', '3', '4'] {
            key(&mut w.app, KeyCode::Char(pane));
            insta::assert_snapshot!(name(&format!("pane{pane}")), render(&w.app, size));
        }

        // The newest backup: its detail, YAML and the sidecar log of its instance.
        key(&mut w.app, KeyCode::Char('3'));
        typed(&mut w.app, "/pg-orders-daily");
        key(&mut w.app, KeyCode::Enter);
        key(&mut w.app, KeyCode::Enter);
        let detail = render(&w.app, size);
        assert!(
            detail.contains("Backup orders/pg-orders-daily-20261124020000"),
            "{detail}"
        );
        insta::assert_snapshot!(name("backup_detail"), detail);
        let effect = key(&mut w.app, KeyCode::Char('y'));
        fulfil(&mut w, effect).await;
        let yaml = render(&w.app, size);
        assert!(
            yaml.contains("kind: Backup") && !yaml.contains("managedFields"),
            "{yaml}"
        );
        insta::assert_snapshot!(name("backup_yaml"), yaml);
        key(&mut w.app, KeyCode::Esc);
        key(&mut w.app, KeyCode::Esc);

        // A Kustomization's events.
        key(&mut w.app, KeyCode::Char('4'));
        key(&mut w.app, KeyCode::Esc);
        let effect = key(&mut w.app, KeyCode::Char('e'));
        fulfil(&mut w, effect).await;
        let events = render(&w.app, size);
        assert!(events.contains("Events of Kustomization"), "{events}");
        insta::assert_snapshot!(name("kustomization_events"), events);
        key(&mut w.app, KeyCode::Esc);

        // The plugin pod's log.
        key(&mut w.app, KeyCode::Char('1'));
        let effect = key(&mut w.app, KeyCode::Char('l'));
        fulfil(&mut w, effect).await;
        let logs = render(&w.app, size);
        assert!(logs.contains("(barman-cloud)"), "{logs}");
        // The pane borders beneath must not show beside the log's own as a doubled frame.
        assert!(!logs.contains("┌┌") && !logs.contains("┐┐"), "{logs}");
        insta::assert_snapshot!(name("plugin_logs"), logs);
        key(&mut w.app, KeyCode::Esc);

        key(&mut w.app, KeyCode::Char('?'));
        insta::assert_snapshot!(name("help"), render(&w.app, size));
    }
}

#[tokio::test]
async fn findings_in_the_header_the_list_and_the_detail() {
    let World {
        mut app,
        client,
        snap,
        scenario: sc,
        ..
    } = world("objectstore-credentials").await;
    // Before the extra kinds arrive there are no findings to count, and f says so.
    key(&mut app, KeyCode::Char('f'));
    assert!(
        app.message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("being gathered"))
    );
    app.set_extras(backstop::checks::extras(&client, None, &snap, false).await);
    let expected: std::collections::BTreeSet<String> = sc.expect.iter().cloned().collect();
    let found: std::collections::BTreeSet<String> =
        app.findings.iter().map(|f| f.code.to_string()).collect();
    assert_eq!(
        found, expected,
        "the dashboard sees what backstop check sees"
    );

    let screen = render(&app, (160, 48));
    assert!(screen.contains("findings ✖7 ▲0"), "{screen}");
    key(&mut app, KeyCode::Char('f'));
    let list = render(&app, (160, 48));
    insta::assert_snapshot!("credentials_160x48_findings", list);
    // Down to OBJ006 (the credentials), Enter opens its ObjectStore with the finding on top.
    let at = app
        .findings
        .iter()
        .position(|f| f.code == "OBJ006")
        .expect("OBJ006 found");
    for _ in 0..at {
        key(&mut app, KeyCode::Char('j'));
    }
    key(&mut app, KeyCode::Enter);
    let detail = render(&app, (160, 48));
    assert!(
        detail.contains("ObjectStore orders/pg-orders-s3")
            && detail.contains("OBJ006")
            && detail.contains("SignatureDoesNotMatch"),
        "{detail}"
    );
    insta::assert_snapshot!(
        "credentials_160x48_objectstore_detail_with_findings",
        detail
    );
}

/// The dashboard shows new data before the rules have judged it: the findings stand until
/// the rules' verdict comes, and a verdict that clears an object clears its row's mark.
#[tokio::test]
async fn rows_come_first_and_the_verdict_marks_and_unmarks_them() {
    let World {
        mut app,
        client,
        snap,
        ..
    } = world("objectstore-credentials").await;
    app.set_extras(backstop::checks::extras(&client, None, &snap, false).await);
    // The Azure store's row is fine by its own status; a finding about it marks it.
    let row = |screen: &str, glyph: &str| {
        screen
            .lines()
            .any(|l| l.contains(&format!("{glyph}  billing/billing-azure-store")))
    };
    let marked = render(&app, (160, 48));
    assert!(
        marked.contains("findings ✖7") && row(&marked, "✖"),
        "{marked}"
    );

    // New rows: shown at once, judged by the findings that stand.
    app.set_rows(snap.clone());
    let kept = render(&app, (160, 48));
    assert!(kept.contains("findings ✖7") && row(&kept, "✖"), "{kept}");

    // A verdict of nothing wrong: the marks go with the findings.
    let input = app.rules_input().expect("the extras are in");
    let (full, took) = backstop::ui::app::judge(input);
    app.set_outcome(backstop::assess::Outcome::default(), took);
    let cleared = render(&app, (160, 48));
    assert!(
        cleared.contains("findings ✖0") && row(&cleared, "✔"),
        "{cleared}"
    );

    // And the real verdict brings them back.
    app.set_outcome(full, took);
    assert_eq!(render(&app, (160, 48)), marked);
}

/// A pane of thousands of backups: only the rows on screen are built, and the window
/// still follows the selection to the last row and through a filter.
#[tokio::test]
async fn thousands_of_backups_scroll_to_the_last_and_filter() {
    let sc = backstop::sim::seed::scenario(&backstop::sim::seed::Scale::of(3000), anchor())
        .expect("the seeded cluster");
    let sim = Sim::new(&sc).expect("sim");
    let client = kube::Client::new(sim.router(), "default");
    let watched = Watched::start(&client, None);
    let snap = eventually_async("every kind live", Duration::from_secs(30), || {
        let s = watched.snapshot();
        async move { s.live().then_some(s) }
    })
    .await;
    let oldest = snap
        .backups
        .rows
        .iter()
        .min_by(|a, b| a.when().cmp(&b.when()).then_with(|| b.name.cmp(&a.name)))
        .map(|b| b.name.clone())
        .expect("backups");
    let total = snap.backups.rows.len();
    let mut app = App::new(
        Location {
            context: "scale".into(),
            server: "sim".into(),
            namespace: None,
            demo: true,
        },
        Theme::no_color(),
        anchor(),
    );
    app.set_snapshot(snap);
    key(&mut app, KeyCode::Char('3'));
    let top = render(&app, (120, 40));
    assert!(
        top.contains(&format!("Backups {}", total + 103)),
        "the title counts every row: {top}"
    );
    assert!(!top.contains(&oldest), "the oldest is far below: {top}");

    key(&mut app, KeyCode::End);
    let bottom = render(&app, (120, 40));
    assert!(
        bottom.contains(&oldest),
        "End shows the oldest backup: {bottom}"
    );

    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, &oldest);
    key(&mut app, KeyCode::Enter);
    let filtered = render(&app, (120, 40));
    assert!(
        filtered.contains(&format!("1 of {}", total + 103)) && filtered.contains(&oldest),
        "the filter finds it among all rows: {filtered}"
    );
}
