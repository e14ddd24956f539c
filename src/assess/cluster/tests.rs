//! The Cluster's switches, backup record and certificates, on Clusters shaped as
//! CloudNativePG writes them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::model::KindState;
use crate::model::rows::{BackupRow, CertificateExpiry, Condition};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn cluster(annotations: &[(&str, &str)]) -> ClusterRow {
    ClusterRow {
        namespace: "orders".into(),
        name: "pg-orders".into(),
        annotations: annotations
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        ..Default::default()
    }
}

fn facts(clusters: Vec<ClusterRow>, backups: Vec<BackupRow>) -> Facts {
    let mut f = Facts::default();
    f.snapshot.clusters = KindState::live(clusters);
    f.snapshot.backups = KindState::live(backups);
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

fn codes(out: &Outcome) -> Vec<(&str, Severity)> {
    out.findings.iter().map(|f| (f.code, f.severity)).collect()
}

#[test]
fn skip_wal_archiving_is_critical_and_says_recovery_ends_there() {
    let out = run(&facts(
        vec![cluster(&[("cnpg.io/skipWalArchiving", "enabled")])],
        vec![],
    ));
    assert_eq!(codes(&out), [("CLU001", Severity::Critical)]);
    let f = &out.findings[0];
    assert_eq!(
        f.evidence,
        ["Cluster orders/pg-orders metadata.annotations[cnpg.io/skipWalArchiving]: enabled"]
    );
    assert!(
        f.remedy.contains("point-in-time recovery ends"),
        "{}",
        f.remedy
    );
    assert!(
        f.remedy
            .contains("kubectl annotate cluster pg-orders -n orders cnpg.io/skipWalArchiving-"),
        "{}",
        f.remedy
    );
}

#[test]
fn only_the_values_upstream_reads_switch_anything() {
    // CloudNativePG compares with "enabled", "disabled" and "on" exactly.
    let out = run(&facts(
        vec![cluster(&[
            ("cnpg.io/skipWalArchiving", "true"),
            ("cnpg.io/reconciliationLoop", "enabled"),
            ("cnpg.io/hibernation", "off"),
        ])],
        vec![],
    ));
    assert!(out.findings.is_empty(), "{:?}", codes(&out));
}

#[test]
fn reconciliation_off_and_hibernation_are_warnings_with_the_way_back() {
    let out = run(&facts(
        vec![cluster(&[
            ("cnpg.io/reconciliationLoop", "disabled"),
            ("cnpg.io/hibernation", "on"),
            ("cnpg.io/skipEmptyWalArchiveCheck", "enabled"),
        ])],
        vec![],
    ));
    assert_eq!(
        codes(&out),
        [
            ("CLU002", Severity::Warning),
            ("CLU002", Severity::Warning),
            ("CLU003", Severity::Info)
        ]
    );
    assert!(
        out.findings[1]
            .remedy
            .contains("kubectl cnpg hibernate off pg-orders -n orders")
    );
    assert!(
        out.findings[1]
            .remedy
            .contains("cannot backup a hibernated cluster")
    );
}

fn last_backup_failed() -> ClusterRow {
    ClusterRow {
        conditions: vec![Condition {
            kind: "LastBackupSucceeded".into(),
            status: "False".into(),
            reason: "LastBackupFailed".into(),
            message: "rpc error: code = Unknown desc = exit status 4".into(),
            since: None,
        }],
        ..cluster(&[])
    }
}

#[test]
fn the_operators_record_of_a_failed_backup_counts_when_no_backup_object_shows_it() {
    let out = run(&facts(vec![last_backup_failed()], vec![]));
    assert_eq!(codes(&out), [("CLU004", Severity::Warning)]);
    assert_eq!(
        out.findings[0].evidence[0],
        "Cluster orders/pg-orders condition LastBackupSucceeded=False LastBackupFailed: rpc error: code = Unknown desc = exit status 4"
    );
    // The newest Backup object shows the failure: BKP001 says it, not this.
    let failed = BackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily".into(),
        cluster: "pg-orders".into(),
        phase: "failed".into(),
        created: Some(now() - Duration::hours(4)),
        ..Default::default()
    };
    let out = run(&facts(vec![last_backup_failed()], vec![failed]));
    assert!(out.findings.is_empty(), "{:?}", codes(&out));
    // False with BackupStarted is a backup under way ("New Backup starting up").
    let mut starting = last_backup_failed();
    starting.conditions[0].reason = "BackupStarted".into();
    starting.conditions[0].message = "New Backup starting up".into();
    let out = run(&facts(vec![starting], vec![]));
    assert!(out.findings.is_empty(), "{:?}", codes(&out));
}

#[test]
fn a_certificate_close_to_expiry_warns_and_an_expired_one_is_critical() {
    let cert = |secret: &str, days: i64| CertificateExpiry {
        secret: secret.into(),
        raw: "as written".into(),
        expires: Some(now() + Duration::days(days)),
    };
    let c = ClusterRow {
        certificates: vec![
            cert("pg-orders-server", 90),
            cert("pg-orders-replication", 5),
            cert("pg-orders-ca", -1),
        ],
        ..cluster(&[])
    };
    let out = run(&facts(vec![c], vec![]));
    assert_eq!(
        codes(&out),
        [
            ("CLU005", Severity::Warning),
            ("CLU005", Severity::Critical)
        ]
    );
    assert_eq!(
        out.findings[0].summary,
        "Cluster orders/pg-orders's certificate in Secret pg-orders-replication expires in 5d"
    );
    assert!(out.findings[1].summary.contains("expired 24h ago"));
}

#[test]
fn certificate_times_read_as_the_operator_writes_them() {
    use crate::cluster::project::go_time;
    let t = go_time("2027-02-20 10:10:10 +0000 UTC");
    assert_eq!(
        t.map(|t| t.to_rfc3339()),
        Some("2027-02-20T10:10:10+00:00".to_string())
    );
    assert!(go_time("2027-02-20 10:10:10.123456 +0100 CET").is_some());
    assert_eq!(go_time("soon"), None);
}

fn plugin_cluster(name: &str, ns: &str, store: &str, server: Option<&str>) -> ClusterRow {
    ClusterRow {
        namespace: ns.into(),
        name: name.into(),
        plugin: Some(crate::model::rows::PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some(store.into()),
            server_name: server.map(str::to_string),
        }),
        ..Default::default()
    }
}

fn store(ns: &str, name: &str, destination: &str) -> crate::model::rows::ObjectStoreRow {
    crate::model::rows::ObjectStoreRow {
        namespace: ns.into(),
        name: name.into(),
        destination: destination.into(),
        ..Default::default()
    }
}

#[test]
fn a_scheduled_backup_writing_to_another_store_is_critical() {
    let mut f = facts(
        vec![plugin_cluster("pg-orders", "orders", "pg-orders-s3", None)],
        vec![],
    );
    f.snapshot.scheduled = KindState::live(vec![crate::model::rows::ScheduledBackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily".into(),
        cluster: "pg-orders".into(),
        plugin_store: Some("archive-s3".into()),
        ..Default::default()
    }]);
    let out = run(&f);
    assert_eq!(codes(&out), [("CLU006", Severity::Critical)]);
    assert_eq!(
        out.findings[0].evidence,
        [
            "ScheduledBackup orders/pg-orders-daily spec.pluginConfiguration.parameters.barmanObjectName: archive-s3",
            "Cluster orders/pg-orders spec.plugins[].parameters.barmanObjectName: pg-orders-s3"
        ]
    );
    // Naming the Cluster's own store is no finding.
    f.snapshot.scheduled = KindState::live(vec![crate::model::rows::ScheduledBackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily".into(),
        cluster: "pg-orders".into(),
        plugin_store: Some("pg-orders-s3".into()),
        ..Default::default()
    }]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn two_clusters_writing_one_archive_are_both_named() {
    let mut f = facts(
        vec![
            plugin_cluster("pg-a", "team-a", "store", Some("pg")),
            plugin_cluster("pg-b", "team-b", "store", Some("pg")),
            plugin_cluster("pg-c", "team-c", "store", Some("pg-c")),
        ],
        vec![],
    );
    f.snapshot.object_stores = KindState::live(vec![
        store("team-a", "store", "s3://backups/pg/"),
        store("team-b", "store", "s3://backups/pg"),
        store("team-c", "store", "s3://backups/pg"),
    ]);
    let out = run(&f);
    assert_eq!(
        codes(&out),
        [
            ("CLU007", Severity::Critical),
            ("CLU007", Severity::Critical)
        ]
    );
    assert_eq!(
        out.findings[0].summary,
        "Clusters team-a/pg-a and team-b/pg-b archive to the same place: s3://backups/pg/pg"
    );
}

#[test]
fn an_instance_sidecar_oom_killed_is_critical_and_its_restarts_warn() {
    use crate::model::domain::SIDECAR;
    use crate::model::rows::{ContainerState, PodRow};
    let pod = |name: &str, restarts: i64, reason: Option<&str>| PodRow {
        namespace: "orders".into(),
        name: name.into(),
        labels: [("cnpg.io/cluster".to_string(), "pg-orders".to_string())].into(),
        containers: vec![
            ContainerState {
                name: "postgres".into(),
                ..Default::default()
            },
            ContainerState {
                name: SIDECAR.into(),
                restarts,
                last_reason: reason.map(str::to_string),
                last_at: Some(now() - Duration::minutes(7)),
            },
        ],
        ..Default::default()
    };
    let mut f = facts(vec![cluster(&[])], vec![]);
    f.snapshot.pods = KindState::live(vec![
        pod("pg-orders-1", 2, Some("OOMKilled")),
        pod("pg-orders-2", 4, Some("Error")),
        pod("pg-orders-3", 1, Some("Error")),
    ]);
    let out = run(&f);
    assert_eq!(
        codes(&out),
        [
            ("CLU008", Severity::Critical),
            ("CLU008", Severity::Warning)
        ]
    );
    assert_eq!(
        out.findings[0].evidence,
        [
            "Pod orders/pg-orders-1 container plugin-barman-cloud: restartCount 2, lastState.terminated.reason OOMKilled at 2026-11-24T05:53:00Z (7m ago)"
        ]
    );
    assert!(
        out.findings[0]
            .remedy
            .contains("kubectl logs pg-orders-1 -n orders -c plugin-barman-cloud --previous")
    );
}

#[test]
fn retention_policies_read_as_the_object_store_spells_them() {
    assert_eq!(retention_days("30d"), Some(30));
    assert_eq!(retention_days("4w"), Some(28));
    assert_eq!(retention_days("3m"), Some(90));
    assert_eq!(retention_days("30"), None);
    assert_eq!(retention_days(""), None);
}

#[test]
fn a_first_point_far_older_than_the_retention_says_it_is_not_enforced() {
    let mut c = plugin_cluster("pg-orders", "orders", "pg-orders-s3", None);
    c.primary = Some("pg-orders-1".into());
    let mut f = facts(vec![c], vec![]);
    let window = |days: i64| crate::model::rows::ServerWindow {
        server: "pg-orders".into(),
        first_point: Some(now() - Duration::days(days)),
        ..Default::default()
    };
    let with = |days: i64| crate::model::rows::ObjectStoreRow {
        retention: Some("30d".into()),
        servers: vec![window(days)],
        ..store("orders", "pg-orders-s3", "s3://acme/pg")
    };
    f.snapshot.object_stores = KindState::live(vec![with(36)]);
    assert!(
        run(&f).findings.is_empty(),
        "a daily backup kept past the window"
    );
    f.snapshot.object_stores = KindState::live(vec![with(95)]);
    let out = run(&f);
    assert_eq!(codes(&out), [("CLU009", Severity::Warning)]);
    assert_eq!(
        out.findings[0].evidence,
        [
            "ObjectStore orders/pg-orders-s3 spec.retentionPolicy: 30d",
            "ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow[pg-orders].firstRecoverabilityPoint: 2026-08-21T06:00:00Z (95d ago)"
        ]
    );
    assert!(
        out.findings[0]
            .remedy
            .contains("kubectl logs pg-orders-1 -n orders -c plugin-barman-cloud")
    );
}

#[test]
fn in_tree_archiving_on_an_image_without_barman_cloud_is_critical() {
    let legacy = |image: &str| ClusterRow {
        legacy_barman: true,
        image: Some(image.into()),
        ..cluster(&[])
    };
    let out = run(&facts(
        vec![legacy(
            "ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie",
        )],
        vec![],
    ));
    assert_eq!(codes(&out), [("CLU010", Severity::Critical)]);
    assert_eq!(
        out.findings[0].evidence[1],
        "Cluster orders/pg-orders image: ghcr.io/cloudnative-pg/postgresql:17.6-standard-trixie"
    );
    for fine in [
        "ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie",
        "ghcr.io/cloudnative-pg/postgresql:16.4",
    ] {
        assert!(
            run(&facts(vec![legacy(fine)], vec![])).findings.is_empty(),
            "{fine}"
        );
    }
}
