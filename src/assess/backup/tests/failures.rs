//! BKP001 and BKP005: what failed.

use super::*;

#[test]
fn bkp001_the_newest_backup_failed() {
    let mut f = healthy();
    let mut failed = backup("pg-orders-daily-20261124020000", "failed", ago(4, 0), None);
    failed.error = Some("rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4".into());
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261123020000",
            "completed",
            ago(28, 0),
            Some(4),
        ),
        failed,
    ]);
    f.events = live(vec![EventRow {
        involved_kind: "Backup".into(),
        involved_namespace: "orders".into(),
        involved_name: "pg-orders-daily-20261124020000".into(),
        kind: "Normal".into(),
        reason: "Failed".into(),
        message: "Backup failed".into(),
        last_seen: Some(ago(4, 0)),
        ..Default::default()
    }]);
    let out = run(&f);
    let x = one(&out, "BKP001");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        subject(x),
        ("Backup", "orders", "pg-orders-daily-20261124020000")
    );
    assert!(x.evidence.contains(&"Backup orders/pg-orders-daily-20261124020000 status.error: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4".to_string()));
    assert!(
        x.evidence
            .contains(&"event Failed (Normal): Backup failed".to_string())
    );
    assert!(
        x.remedy
            .contains("kubectl -n orders describe backup pg-orders-daily-20261124020000")
    );
    assert!(
        x.remedy
            .contains("kubectl -n orders logs pg-orders-2 -c plugin-barman-cloud")
    );
    assert!(x.remedy.contains("kubectl cnpg backup pg-orders -n orders --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io"));
}

#[test]
fn bkp001_near_miss_a_failure_followed_by_a_newer_success() {
    let mut f = healthy();
    f.snapshot.backups = live(vec![
        backup("pg-orders-daily-20261123020000", "failed", ago(28, 0), None),
        backup("pg-orders-20261124020000", "completed", ago(4, 0), Some(4)),
    ]);
    assert!(!codes(&run(&f)).contains(&"BKP001"));
}

#[test]
fn bkp005_archiving_false() {
    let mut f = healthy();
    let mut c = cluster();
    c.conditions[0] = Condition {
        kind: "ContinuousArchiving".into(),
        status: "False".into(),
        reason: "ContinuousArchivingFailing".into(),
        message: "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-wal-archive: exit status 4".into(),
        since: Some(ago(8, 18)),
    };
    f.snapshot.clusters = live(vec![c]);
    let out = run(&f);
    let x = one(&out, "BKP005");
    assert_eq!(
        (x.severity, subject(x)),
        (Severity::Critical, ("Cluster", "orders", "pg-orders"))
    );
    assert_eq!(
        x.evidence,
        vec![
            "Cluster orders/pg-orders condition ContinuousArchiving=False (ContinuousArchivingFailing) since 2026-11-23T21:42:00Z: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-wal-archive: exit status 4"
        ]
    );
    assert!(
        x.remedy
            .contains("kubectl -n orders logs pg-orders-1 -c plugin-barman-cloud")
    );
}

#[test]
fn bkp005_near_miss_archiving_true() {
    assert!(!codes(&run(&healthy())).contains(&"BKP005"));
}
