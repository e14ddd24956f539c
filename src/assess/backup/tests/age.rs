//! BKP002-BKP004: too old, too slow, stuck.

use super::*;

/// The last backup `hours` ago: its Backup stopped 55 s before the plugin wrote the window.
fn aged(hours: i64) -> Facts {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![store(Some(ago(hours, 0)))]);
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-old",
        "completed",
        ago(hours, 5),
        Some(4),
    )]);
    f
}

#[test]
fn bkp002_no_backup_for_27_hours() {
    let out = run(&aged(27));
    let x = one(&out, "BKP002");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(subject(x), ("Cluster", "orders", "pg-orders"));
    assert_eq!(
        x.summary,
        "Cluster orders/pg-orders: the last successful backup is 27h old (limit 26h)"
    );
    assert_eq!(
        x.evidence[0],
        "ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow[pg-orders].lastSuccessfulBackupTime: 2026-11-23T03:00:00Z (27h ago)"
    );
    assert!(
        x.remedy
            .contains("kubectl cnpg backup pg-orders -n orders --method=plugin")
    );
}

#[test]
fn bkp002_near_miss_25_hours() {
    assert!(run(&aged(25)).findings.is_empty());
}

#[test]
fn bkp002_warning_while_a_newer_backup_runs() {
    let mut f = aged(27);
    let mut rows: Vec<BackupRow> = f
        .snapshot
        .backups
        .rows
        .iter()
        .map(|b| (**b).clone())
        .collect();
    rows.push(backup("pg-orders-daily-now", "started", ago(1, 0), None));
    f.snapshot.backups = live(rows);
    let out = run(&f);
    let x = one(&out, "BKP002");
    assert_eq!(x.severity, Severity::Warning);
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("pg-orders-daily-now status.phase: started since"))
    );
}

#[test]
fn bkp002_falls_back_to_backup_objects_without_a_window() {
    let mut f = aged(30);
    f.snapshot.object_stores = live(vec![]);
    let out = run(&f);
    let x = one(&out, "BKP002");
    assert_eq!(
        x.evidence[0],
        "newest completed Backup orders/pg-orders-daily-old status.stoppedAt: 2026-11-22T23:59:05Z (30h ago)"
    );
    // The same from Backup objects alone, recent enough.
    let mut f = aged(2);
    f.snapshot.object_stores = live(vec![]);
    assert!(!codes(&run(&f)).contains(&"BKP002"));
}

#[test]
fn bkp002_never_backed_up_but_a_new_cluster_gets_time() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![]);
    f.snapshot.backups = live(vec![]);
    let out = run(&f);
    assert_eq!(
        one(&out, "BKP002").summary,
        "Cluster orders/pg-orders: no successful backup at all (limit 26h)"
    );
    let mut young = cluster();
    young.created = Some(ago(2, 0));
    f.snapshot.clusters = live(vec![young]);
    assert!(!codes(&run(&f)).contains(&"BKP002"));
}

#[test]
fn bkp003_a_slow_completed_backup() {
    let mut f = healthy();
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261123020000",
            "completed",
            ago(28, 0),
            Some(29),
        ),
        backup(
            "pg-orders-daily-20261124020000",
            "completed",
            ago(4, 0),
            Some(31),
        ),
    ]);
    let out = run(&f);
    let x = one(&out, "BKP003");
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(
        subject(x),
        ("Backup", "orders", "pg-orders-daily-20261124020000")
    );
    assert_eq!(
        x.summary,
        "Backup orders/pg-orders-daily-20261124020000 of Cluster pg-orders took 31m (limit 30m)"
    );
    assert_eq!(
        x.evidence,
        vec![
            "Backup orders/pg-orders-daily-20261124020000 status.startedAt: 2026-11-24T02:00:05Z",
            "Backup orders/pg-orders-daily-20261124020000 status.stoppedAt: 2026-11-24T02:31:05Z"
        ]
    );
}

#[test]
fn bkp003_near_miss_old_history_is_not_repeated() {
    let mut f = healthy();
    let mut rows: Vec<BackupRow> = (1..=7)
        .map(|d| backup(&format!("quick-{d}"), "completed", ago(24 * d, 0), Some(5)))
        .collect();
    rows.push(backup(
        "slow-long-ago",
        "completed",
        ago(24 * 8, 0),
        Some(90),
    ));
    f.snapshot.backups = live(rows);
    assert!(!codes(&run(&f)).contains(&"BKP003"));
}

#[test]
fn bkp004_pending_for_11_minutes_and_started_for_7_hours() {
    let mut f = healthy();
    let mut rows: Vec<BackupRow> = f
        .snapshot
        .backups
        .rows
        .iter()
        .map(|b| (**b).clone())
        .collect();
    rows.push(backup("pending-11m", "pending", ago(0, 11), None));
    rows.push(backup("started-7h", "started", ago(7, 0), None));
    f.snapshot.backups = live(rows);
    let out = run(&f);
    let stuck: Vec<&str> = out
        .findings
        .iter()
        .filter(|x| x.code == "BKP004")
        .map(|x| x.object.name.as_str())
        .collect();
    assert_eq!(stuck, vec!["pending-11m", "started-7h"]);
    assert!(out.findings.iter().all(|x| x.severity == Severity::Warning));
    let started = out
        .findings
        .iter()
        .find(|x| x.object.name == "started-7h")
        .expect("a finding");
    assert!(
        started
            .remedy
            .contains("kubectl -n orders logs pg-orders-2 -c plugin-barman-cloud")
    );
}

#[test]
fn bkp004_near_miss_pending_9_minutes_and_started_5_hours() {
    let mut f = healthy();
    let mut rows: Vec<BackupRow> = f
        .snapshot
        .backups
        .rows
        .iter()
        .map(|b| (**b).clone())
        .collect();
    rows.push(backup("pending-9m", "pending", ago(0, 9), None));
    rows.push(backup("started-5h", "started", ago(5, 0), None));
    f.snapshot.backups = live(rows);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn unknown_when_backups_cannot_be_read() {
    let mut f = healthy();
    f.snapshot.backups = state(SyncState::Error("connection refused".into()));
    f.snapshot.object_stores = live(vec![]);
    let out = run(&f);
    assert!(
        out.findings.is_empty(),
        "no BKP002 without a window or Backups: {:#?}",
        out.findings
    );
    assert_eq!(
        out.unknown[0].reason,
        "backups.postgresql.cnpg.io: connection refused"
    );
}

#[test]
fn bkp002_the_last_good_backup_is_the_newer_of_window_and_backups() {
    // The window lags (its last success 30 hours ago) while a Backup completed since.
    let mut f = aged(30);
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-new",
        "completed",
        ago(2, 0),
        Some(4),
    )]);
    assert!(!codes(&run(&f)).contains(&"BKP002"));
    // Both too old: the evidence names the newer, here the Backup.
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-new",
        "completed",
        ago(28, 0),
        Some(4),
    )]);
    let out = run(&f);
    assert_eq!(
        one(&out, "BKP002").evidence[0],
        "newest completed Backup orders/pg-orders-daily-new status.stoppedAt: 2026-11-23T02:04:05Z (27h55m ago)"
    );
}
