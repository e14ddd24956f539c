//! Every pane and every view of the healthy scenario at 80x24 and 160x48, with a frozen
//! clock: the scenario is loaded as of its anchor and the app's clock is the anchor.

mod common;

use backstop::ui::app::Settings;
use backstop::ui::msg::Msg;
use backstop::ui::overlays::Overlay;
use backstop::ui::rules_task::judge;
use common::world::{World, anchor};
use crossterm::event::KeyCode;

/// Whether a text view (YAML, events, a log) has its lines.
fn text_loaded(app: &backstop::ui::app::App) -> bool {
    app.overlays.iter().any(|o| match o {
        Overlay::Text(t) => !t.lines.is_empty(),
        _ => false,
    })
}

#[tokio::test]
async fn every_pane_and_view_at_80x24_and_160x48() {
    for size in [(80u16, 24u16), (160, 48)] {
        let name = |what: &str| format!("healthy_{}x{}_{what}", size.0, size.1);
        let mut w = World::start("healthy").await;
        for pane in ['1', '2', '3', '4'] {
            w.press(KeyCode::Char(pane)).await;
            insta::assert_snapshot!(name(&format!("pane{pane}")), w.render(size.0, size.1));
        }

        // The newest backup: its detail, YAML and the sidecar log of its instance.
        w.press(KeyCode::Char('3')).await;
        w.typed("/pg-orders-daily").await;
        w.press(KeyCode::Enter).await;
        w.press(KeyCode::Enter).await;
        let detail = w.render(size.0, size.1);
        assert!(
            detail.contains("Backup orders/pg-orders-daily-20261124020000"),
            "{detail}"
        );
        insta::assert_snapshot!(name("backup_detail"), detail);
        w.press(KeyCode::Char('y')).await;
        w.until("the text view loaded", text_loaded).await;
        let yaml = w.render(size.0, size.1);
        assert!(
            yaml.contains("kind: Backup") && !yaml.contains("managedFields"),
            "{yaml}"
        );
        insta::assert_snapshot!(name("backup_yaml"), yaml);
        w.press(KeyCode::Esc).await;
        w.press(KeyCode::Esc).await;

        // A Kustomization's events.
        w.press(KeyCode::Char('4')).await;
        w.press(KeyCode::Esc).await;
        w.press(KeyCode::Char('e')).await;
        w.until("the text view loaded", text_loaded).await;
        let events = w.render(size.0, size.1);
        assert!(events.contains("Events of Kustomization"), "{events}");
        insta::assert_snapshot!(name("kustomization_events"), events);
        w.press(KeyCode::Esc).await;

        // The plugin pod's log.
        w.press(KeyCode::Char('1')).await;
        w.press(KeyCode::Char('l')).await;
        w.until("the text view loaded", text_loaded).await;
        let logs = w.render(size.0, size.1);
        assert!(logs.contains("(barman-cloud)"), "{logs}");
        // The pane borders beneath must not show beside the log's own as a doubled frame.
        assert!(!logs.contains("┌┌") && !logs.contains("┐┐"), "{logs}");
        insta::assert_snapshot!(name("plugin_logs"), logs);
        w.press(KeyCode::Esc).await;

        w.press(KeyCode::Char('?')).await;
        insta::assert_snapshot!(name("help"), w.render(size.0, size.1));
    }
}

#[tokio::test]
async fn findings_in_the_header_the_list_and_the_detail() {
    let mut w = World::start("objectstore-credentials").await;
    // Before the extra kinds arrive there are no findings to count, and f says so.
    w.press(KeyCode::Char('f')).await;
    assert!(
        w.app
            .message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("being gathered"))
    );
    w.gather().await;
    let expected: std::collections::BTreeSet<String> = w.scenario.expect.iter().cloned().collect();
    let found: std::collections::BTreeSet<String> = w
        .app
        .board
        .findings
        .iter()
        .map(|f| f.code.to_string())
        .collect();
    assert_eq!(
        found, expected,
        "the dashboard sees what backstop check sees"
    );

    let screen = w.render(160, 48);
    assert!(screen.contains("findings ✖7 ▲1"), "{screen}");
    w.press(KeyCode::Char('f')).await;
    let list = w.render(160, 48);
    insta::assert_snapshot!("credentials_160x48_findings", list);
    // Down to OBJ006 (the credentials), Enter opens its ObjectStore with the finding on top.
    let at = w
        .app
        .board
        .findings
        .iter()
        .position(|f| f.code == "OBJ006")
        .expect("OBJ006 found");
    for _ in 0..at {
        w.press(KeyCode::Char('j')).await;
    }
    w.press(KeyCode::Enter).await;
    let detail = w.render(160, 48);
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
    let mut w = World::start("objectstore-credentials")
        .await
        .gathered()
        .await;
    // The Azure store's row is fine by its own status; a finding about it marks it.
    let row = |screen: &str, glyph: &str| {
        screen
            .lines()
            .any(|l| l.contains(&format!("{glyph}  billing/billing-azure-store")))
    };
    let marked = w.render(150, 48);
    assert!(
        marked.contains("findings ✖7") && row(&marked, "✖"),
        "{marked}"
    );

    // New rows: shown at once, judged by the findings that stand; the rules are asked.
    let snap = w.app.board.snapshot.clone();
    let cmds = w.app.update(Msg::Data(Box::new(snap)));
    let input = cmds
        .into_iter()
        .find_map(|c| match c {
            backstop::ui::msg::Cmd::Assess(input) => Some(input),
            _ => None,
        })
        .expect("new data asks for the rules' verdict");
    let kept = w.render(150, 48);
    assert!(kept.contains("findings ✖7") && row(&kept, "✖"), "{kept}");

    // A verdict of nothing wrong: the marks go with the findings.
    let (full, took) = judge(*input);
    w.app
        .update(Msg::Verdict(backstop::assess::Outcome::default(), took));
    let cleared = w.render(150, 48);
    assert!(
        cleared.contains("findings ✖0") && row(&cleared, "✔"),
        "{cleared}"
    );

    // And the real verdict brings them back.
    w.app.update(Msg::Verdict(full, took));
    assert_eq!(w.render(150, 48), marked);
}

/// A pane of thousands of backups: only the rows on screen are built, and the window
/// still follows the selection to the last row and through a filter.
#[tokio::test]
async fn thousands_of_backups_scroll_to_the_last_and_filter() {
    let sc = backstop::sim::seed::scenario(&backstop::sim::seed::Scale::of(3000), anchor())
        .expect("the seeded cluster");
    let mut w = World::of(sc, Settings::default()).await;
    let snap = &w.app.board.snapshot;
    let oldest = snap
        .backups
        .rows
        .iter()
        .min_by(|a, b| a.when().cmp(&b.when()).then_with(|| b.name.cmp(&a.name)))
        .map(|b| b.name.clone())
        .expect("backups");
    let total = snap.backups.rows.len();
    w.press(KeyCode::Char('3')).await;
    let top = w.render(120, 40);
    assert!(
        top.contains(&format!("Backups {}", total + 103)),
        "the title counts every row: {top}"
    );
    assert!(!top.contains(&oldest), "the oldest is far below: {top}");

    w.press(KeyCode::End).await;
    let bottom = w.render(120, 40);
    assert!(
        bottom.contains(&oldest),
        "End shows the oldest backup: {bottom}"
    );

    w.press(KeyCode::Char('/')).await;
    w.typed(&oldest).await;
    w.press(KeyCode::Enter).await;
    let filtered = w.render(120, 40);
    assert!(
        filtered.contains(&format!("1 of {}", total + 103)) && filtered.contains(&oldest),
        "the filter finds it among all rows: {filtered}"
    );
}

/// The plugin and the operator as mostly installed today: HelmReleases, their chart from an
/// OCIRepository or a HelmRepository, in the Flux pane with their state.
#[tokio::test]
async fn helm_releases_and_their_oci_and_helm_sources_in_the_flux_pane() {
    let mut w = World::start(&format!(
        "{}/tests/fixtures/flux-helm.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .await;
    w.press(KeyCode::Char('4')).await;
    let screen = w.render(150, 40);
    for seen in [
        "helm cnpg-system/plugin-barman-cloud",
        "False UpgradeFailed",
        "0.6.1 ≠ 0.7.0",
        "oci flux-system/plugin-barman-cloud",
        "helm flux-system/cnpg",
    ] {
        assert!(screen.contains(seen), "{seen}\n{screen}");
    }
    let failed = screen
        .lines()
        .find(|l| l.contains("helm cnpg-system/plugin-barman-cloud"))
        .unwrap_or_default();
    assert!(
        failed.contains('✖'),
        "a failed upgrade is critical: {failed}"
    );
}
