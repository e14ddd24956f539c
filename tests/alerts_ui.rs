//! The dashboard's alerts view (`a`), headless: the coverage of each Cluster by the
//! scenario's PrometheusRule, readable without colour, from the gathered facts; and the
//! alerts a real Alertmanager says are firing, read by the Runtime with each gathering.

mod alertmanager;
mod common;

use backstop::ui::overlays::Overlay;
use common::world::World;
use crossterm::event::KeyCode;

#[tokio::test]
async fn a_shows_which_alerts_watch_each_cluster() {
    let mut w = World::start("legacy-fleet").await;
    w.press(KeyCode::Char('a')).await;
    assert!(
        w.app
            .message
            .as_ref()
            .is_some_and(|(_, m)| m.contains("being gathered")),
        "before the gathering, a says so"
    );
    w.gather().await;
    w.press(KeyCode::Char('a')).await;
    assert!(matches!(w.app.overlays.last(), Some(Overlay::Alerts(_))));
    let screen = w.render(160, 48);
    for want in [
        "Alerts on backups",
        "Cluster inventory/pg-inventory (in-tree)",
        "✓ backup age: monitoring/cnpg-backup-alerts: CNPGLastBackupTooOld",
        "✗ backup failure: no alert",
        "✗ WAL archiving: no alert",
        "? scraped by: not known (no PodMonitor API)",
    ] {
        assert!(screen.contains(want), "{want}\n{screen}");
    }
    // At 80 columns the lines wrap rather than lose their verdict.
    let narrow = w.render(80, 24);
    assert!(narrow.contains("✗ backup failure: no alert"), "{narrow}");
    w.press(KeyCode::Esc).await;
    assert!(w.app.overlays.is_empty());
}

#[tokio::test]
async fn firing_alerts_are_read_on_the_gathering_and_shown() {
    let am = alertmanager::start();
    alertmanager::post(
        &am,
        r#"[{"labels": {"alertname": "BackstopWALArchivingFailing", "severity": "critical", "namespace": "ledger", "cluster": "pg-ledger"},
             "annotations": {"summary": "WAL archiving of Cluster ledger/pg-ledger is failing"}}]"#,
        "BackstopWALArchivingFailing",
    );
    let mut w = World::start("legacy-fleet").await;
    // Before one is configured the view says where to set it.
    w.gather().await;
    w.press(KeyCode::Char('a')).await;
    assert!(
        w.render(160, 48)
            .contains("no Alertmanager configured (alertmanager.url"),
        "{}",
        w.render(160, 48)
    );
    w.press(KeyCode::Esc).await;

    w.ui.runtime
        .set_alertmanager(Some(format!("http://127.0.0.1:{}", am.port)));
    w.gather().await;
    w.press(KeyCode::Char('a')).await;
    let screen = w.render(160, 48);
    assert!(screen.contains("Firing alerts (1)"), "{screen}");
    assert!(
        screen.contains(
            "✖ BackstopWALArchivingFailing (critical) on Cluster ledger/pg-ledger since "
        ),
        "{screen}"
    );
    w.press(KeyCode::Esc).await;

    // An Alertmanager that went away is said, not hidden.
    drop(am);
    w.gather().await;
    w.press(KeyCode::Char('a')).await;
    let screen = w.render(160, 48);
    assert!(
        screen.contains("Firing alerts not read: Alertmanager http://127.0.0.1:"),
        "{screen}"
    );
}
