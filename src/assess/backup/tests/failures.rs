//! BKP001 and BKP005: what failed.

use super::*;
use crate::assess::testing::cond;
use crate::model::facts::LogTail;

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

/// The remedy BKP001 gives for the newest Backup failing with `error`.
fn hint_for(error: &str) -> String {
    let mut f = healthy();
    let mut failed = backup("pg-orders-daily-20261124020000", "failed", ago(4, 0), None);
    failed.error = Some(error.into());
    f.snapshot.backups = live(vec![failed]);
    one(&run(&f), "BKP001").remedy.clone()
}

#[test]
fn bkp001_requested_plugin_not_available_points_at_the_instance_pod() {
    // Printed by the instance manager of the pod taking the backup.
    let r = hint_for("requested plugin is not available: barman-cloud.cloudnative-pg.io");
    assert!(
        r.starts_with(
            "The instance pod taking the backup has no working plugin-barman-cloud sidecar"
        ),
        "{r}"
    );
    for needle in [
        "PLG011",
        "pods rolled",
        "barmanObjectName",
        "spec.pluginConfiguration.name",
    ] {
        assert!(r.contains(needle), "{needle}: {r}");
    }
    assert!(!r.contains("Service"), "{r}");
}

#[test]
fn bkp001_hints_for_the_operator_prerequisites() {
    for (error, hint) in [
        (
            "cannot proceed with the backup as the cluster has no backup section",
            "on a Cluster without spec.backup (as after a migration to the plugin): use method plugin (BKP008)",
        ),
        (
            "no barmanObjectStore section defined on the target cluster",
            "without spec.backup.barmanObjectStore: use method plugin (BKP008)",
        ),
        (
            "cannot proceed with the backup as the cluster has no plugin configured",
            "The Cluster's spec.plugins is empty",
        ),
        (
            "cannot backup a hibernated cluster",
            "The Cluster is hibernated",
        ),
    ] {
        let r = hint_for(error);
        assert!(r.contains(hint), "{error}: {r}");
    }
}

#[test]
fn bkp001_near_miss_no_empty_archive_hint_on_a_backup_error() {
    // The empty-archive check belongs to WAL archiving: its text never reaches
    // Backup.status.error, so no hint is attached there.
    let r = hint_for(
        "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 1",
    );
    assert!(r.starts_with("Inspect it:"), "{r}");
    assert!(!r.contains("skipEmptyWalArchiveCheck"));
}

#[test]
fn bkp005_the_empty_archive_check_in_the_sidecar_log() {
    let mut f = healthy();
    let mut c = cluster();
    c.conditions[0] = Condition {
        kind: "ContinuousArchiving".into(),
        status: "False".into(),
        reason: "ContinuousArchivingFailing".into(),
        message: "unexpected failure invoking barman-cloud-wal-archive: exit status 1".into(),
        since: Some(ago(0, 20)),
    };
    f.snapshot.clusters = live(vec![c]);
    let check = r#"{"level":"info","ts":"2026-11-24T05:58:01.120Z","logger":"barman-cloud-check-wal-archive","msg":"2026-11-24 05:58:01,118 [812] ERROR: WAL archive check failed for server pg-orders: Expected empty archive","pipe":"stderr","logging_pod":"pg-orders-1"}"#;
    f.logs = vec![LogTail {
        namespace: "orders".into(),
        pod: "pg-orders-1".into(),
        container: "plugin-barman-cloud".into(),
        lines: Ok(vec![
            r#"{"level":"info","ts":"2026-11-24T05:58:00.950Z","msg":"barman-cloud-check-wal-archive checking the first wal","logging_pod":"pg-orders-1"}"#.into(),
            check.into(),
        ]),
    }];
    let out = run(&f);
    let x = one(&out, "BKP005");
    assert_eq!(
        x.evidence[1],
        "log orders/pg-orders-1 (plugin-barman-cloud) 2026-11-24T05:58:01Z: barman-cloud-check-wal-archive: [812] ERROR: WAL archive check failed for server pg-orders: Expected empty archive"
    );
    assert_eq!(x.evidence.len(), 2);
    assert!(x.remedy.starts_with("The sidecar's check that the archive is empty (barman-cloud-check-wal-archive) failed, see the lines above."));
    assert!(
        x.remedy
            .contains("cnpg.io/skipEmptyWalArchiveCheck: enabled")
    );
}

#[test]
fn bkp005_an_exit_status_sends_to_the_sidecar_log() {
    let mut f = healthy();
    let mut c = cluster();
    c.conditions[0] = cond(
        "ContinuousArchiving",
        "False",
        "ContinuousArchivingFailing",
        "unexpected failure invoking barman-cloud-wal-archive: exit status 4",
    );
    f.snapshot.clusters = live(vec![c]);
    let x = one(&run(&f), "BKP005").clone();
    assert!(
        x.remedy
            .starts_with("The exit status is all the condition says")
    );
    assert!(!x.remedy.contains("skipEmptyWalArchiveCheck"));
}

#[test]
fn bkp005_near_miss_the_check_only_announced() {
    // Every first archive logs that it checks; that alone is no failure of the check.
    let mut f = healthy();
    let mut c = cluster();
    c.conditions[0] = cond(
        "ContinuousArchiving",
        "False",
        "ContinuousArchivingFailing",
        "unexpected failure invoking barman-cloud-wal-archive: exit status 2",
    );
    f.snapshot.clusters = live(vec![c]);
    f.logs = vec![LogTail {
        namespace: "orders".into(),
        pod: "pg-orders-1".into(),
        container: "plugin-barman-cloud".into(),
        lines: Ok(vec![
            r#"{"level":"info","ts":"2026-11-24T05:58:00.950Z","msg":"barman-cloud-check-wal-archive checking the first wal","logging_pod":"pg-orders-1"}"#.into(),
        ]),
    }];
    let x = one(&run(&f), "BKP005").clone();
    assert_eq!(x.evidence.len(), 1);
    assert!(
        x.remedy
            .starts_with("The exit status is all the condition says")
    );
}
