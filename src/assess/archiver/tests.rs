//! The archiver rules on readings shaped as the instance manager, the exporter and the
//! kubelet answer.

use chrono::{DateTime, Duration, Utc};

use super::*;
use crate::model::archiver::{ArchiverMetrics, BackupEnd};

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

fn healthy_status() -> InstanceArchive {
    InstanceArchive {
        is_primary: true,
        is_archiving: true,
        last_archived_wal: Some("0000000100000000000000A6".into()),
        last_archived_time: Some(now() - Duration::seconds(40)),
        current_wal: Some("0000000100000000000000A7".into()),
        timeline: Some(1),
        ..Default::default()
    }
}

fn reading(at: DateTime<Utc>, status: InstanceArchive, used: u64) -> ArchiverReading {
    ArchiverReading {
        namespace: "orders".into(),
        cluster: "pg-orders".into(),
        pod: "pg-orders-1".into(),
        taken_at: at,
        status: Ok(status),
        metrics: Ok(ArchiverMetrics {
            failed_count: Some(0.0),
            ..Default::default()
        }),
        volume: Ok(VolumeUsage {
            source: "kubelet stats summary".into(),
            pvc: "pg-orders-1-wal".into(),
            wal_only: true,
            used_bytes: used,
            capacity_bytes: 10_000_000_000,
        }),
        newest_backup: None,
    }
}

fn run(readings: Vec<ArchiverReading>) -> Outcome {
    let f = Facts {
        archivers: readings,
        ..Default::default()
    };
    rules(&f, now(), &Thresholds::default())
}

fn codes(out: &Outcome) -> Vec<&str> {
    out.findings.iter().map(|f| f.code).collect()
}

#[test]
fn a_healthy_archiver_gives_nothing() {
    let out = run(vec![reading(now(), healthy_status(), 2_000_000_000)]);
    assert_eq!(codes(&out), Vec::<&str>::new());
    assert!(out.unknown.is_empty());
}

#[test]
fn no_readings_give_nothing_and_no_unknown() {
    let out = run(vec![]);
    assert!(out.findings.is_empty() && out.unknown.is_empty());
}

#[test]
fn a_forbidden_proxy_is_arc001_and_unknown_with_the_rbac_it_needs() {
    let mut r = reading(now(), healthy_status(), 1);
    let denied = "GET /api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status: pods \"pg-orders-1\" is forbidden: User \"alice\" cannot get resource \"pods/proxy\" in API group \"\" in the namespace \"orders\" (403 Forbidden)";
    r.status = Err(denied.into());
    r.metrics = Err("GET /api/v1/namespaces/orders/pods/http:pg-orders-1:9187/proxy/metrics: no answer within 5s (a NetworkPolicy dropping the API server's traffic to the pod?)".into());
    let out = run(vec![r]);
    assert_eq!(codes(&out), ["ARC001"]);
    let f = &out.findings[0];
    assert_eq!(f.severity, Severity::Info);
    assert!(
        f.summary.contains(
            "the instance status (/pg/status on port 8000), the exporter (/metrics on port 9187)"
        ),
        "{}",
        f.summary
    );
    assert!(
        f.evidence[0].ends_with("(403 Forbidden)"),
        "{:?}",
        f.evidence
    );
    assert!(
        f.remedy
            .starts_with("The API server refused the read (403)."),
        "{}",
        f.remedy
    );
    assert!(
        f.remedy
            .contains("kubectl auth can-i get pods --subresource=proxy -n orders")
    );
    assert_eq!(
        out.unknown.len(),
        2,
        "each blind part is unknown: {:?}",
        out.unknown
    );
    assert!(
        out.unknown[1].reason.contains("NetworkPolicy"),
        "{:?}",
        out.unknown
    );
}

#[test]
fn the_last_failure_newer_than_the_last_success_is_arc002() {
    let s = InstanceArchive {
        is_archiving: false,
        last_failed_wal: Some("0000000100000000000000A7".into()),
        last_failed_time: Some(now() - Duration::seconds(10)),
        last_archived_time: Some(now() - Duration::hours(3)),
        ready_wal_files: 12,
        ..healthy_status()
    };
    let out = run(vec![reading(now(), s, 1)]);
    assert_eq!(codes(&out), ["ARC002"]);
    let f = &out.findings[0];
    assert_eq!(
        f.summary,
        "WAL archiving of Cluster orders/pg-orders is failing: 0000000100000000000000A7 failed at 2026-11-24T05:59:50Z and nothing was archived since"
    );
    assert_eq!(
        f.evidence[0],
        "orders/pg-orders-1 /pg/status lastArchivedWAL: 0000000100000000000000A6 at 2026-11-24T03:00:00Z"
    );
    assert!(
        f.evidence
            .contains(&"cnpg_pg_stat_archiver_failed_count 0".to_string())
    );
    assert!(
        f.remedy
            .contains("kubectl logs -n orders pg-orders-1 --all-containers --tail=300 | grep barman-cloud-wal-archive"),
        "{}",
        f.remedy
    );

    // An old failure followed by successes is history, not a finding.
    let recovered = InstanceArchive {
        last_failed_time: Some(now() - Duration::hours(5)),
        ..healthy_status()
    };
    assert!(run(vec![reading(now(), recovered, 1)]).findings.is_empty());
}

#[test]
fn a_backlog_over_the_threshold_or_growing_is_arc003() {
    let many = InstanceArchive {
        ready_wal_files: 64,
        ..healthy_status()
    };
    let out = run(vec![reading(now(), many, 1)]);
    assert_eq!(codes(&out), ["ARC003"]);
    assert!(out.findings[0].summary.contains("64 WAL files wait to be archived on Cluster orders/pg-orders's primary pg-orders-1 (threshold archiver-ready-wal 64)"), "{}", out.findings[0].summary);

    let few = |n| InstanceArchive {
        ready_wal_files: n,
        ..healthy_status()
    };
    let out = run(vec![
        reading(now() - Duration::seconds(6), few(3), 1),
        reading(now(), few(5), 1),
    ]);
    assert_eq!(codes(&out), ["ARC003"]);
    assert!(out.findings[0].summary.ends_with("and growing"));
    assert_eq!(
        out.findings[0].evidence[1],
        "readyWalFiles: 3 at 2026-11-24T05:59:54Z (6s earlier)"
    );
    // Two readings closer than the sample gap say nothing about a rate.
    let out = run(vec![
        reading(now() - Duration::seconds(2), few(3), 1),
        reading(now(), few(5), 1),
    ]);
    assert!(out.findings.is_empty(), "{:?}", codes(&out));
}

#[test]
fn the_volume_over_80_and_90_percent_is_arc004_then_arc005() {
    let out = run(vec![reading(now(), healthy_status(), 8_500_000_000)]);
    assert_eq!(codes(&out), ["ARC004"]);
    assert_eq!(
        out.findings[0].summary,
        "The WAL volume of Cluster orders/pg-orders's primary pg-orders-1 is 85% full (threshold 80%)"
    );
    assert_eq!(
        out.findings[0].evidence,
        [
            "PersistentVolumeClaim orders/pg-orders-1-wal: usedBytes 8500000000 of capacityBytes 10000000000 at 2026-11-24T06:00:00Z (kubelet stats summary)"
        ]
    );
    let out = run(vec![reading(now(), healthy_status(), 9_500_000_000)]);
    assert_eq!(codes(&out), ["ARC005"]);
    assert!(out.findings[0].remedy.contains("spec.walStorage.size"));
}

#[test]
fn a_volume_filling_within_the_runway_is_arc006() {
    // 1 GB in 10 s with 4 GB free: full in 40 s.
    let out = run(vec![
        reading(
            now() - Duration::seconds(10),
            healthy_status(),
            5_000_000_000,
        ),
        reading(now(), healthy_status(), 6_000_000_000),
    ]);
    assert_eq!(codes(&out), ["ARC006"]);
    let f = &out.findings[0];
    assert!(
        f.summary
            .ends_with("fills in about 40s at the current rate"),
        "{}",
        f.summary
    );
    assert!(f.evidence[1].contains("100000000 bytes a second over 10s between two readings (threshold archiver-sample-gap 5s)"), "{:?}", f.evidence);
    // Slow growth leaves days of room: nothing.
    let out = run(vec![
        reading(
            now() - Duration::seconds(10),
            healthy_status(),
            5_000_000_000,
        ),
        reading(now(), healthy_status(), 5_000_000_100),
    ]);
    assert!(out.findings.is_empty());
}

#[test]
fn a_backup_whose_end_wal_is_not_archived_is_arc007() {
    let mut r = reading(now(), healthy_status(), 1);
    r.newest_backup = Some(BackupEnd {
        name: "pg-orders-20261124020000".into(),
        end_wal: "0000000100000000000000A8".into(),
        stopped: Some(now() - Duration::hours(4)),
    });
    let out = run(vec![r.clone()]);
    assert_eq!(codes(&out), ["ARC007"]);
    let f = &out.findings[0];
    assert_eq!(
        f.summary,
        "Backup orders/pg-orders-20261124020000's end WAL 0000000100000000000000A8 is not archived: the backup cannot be restored yet"
    );
    assert_eq!(
        f.evidence[0],
        "Backup orders/pg-orders-20261124020000 status.endWal: 0000000100000000000000A8"
    );
    assert!(f.remedy.contains("SELECT pg_switch_wal()"));

    // Archived, or just stopped (the switch is due within archive_timeout): nothing.
    let mut archived = r.clone();
    if let Some(b) = archived.newest_backup.as_mut() {
        b.end_wal = "0000000100000000000000A6".into();
    }
    assert!(run(vec![archived]).findings.is_empty());
    let mut fresh = r.clone();
    if let Some(b) = fresh.newest_backup.as_mut() {
        b.stopped = Some(now() - Duration::minutes(3));
    }
    assert!(run(vec![fresh]).findings.is_empty());
    // A later timeline has archived past the backup.
    let mut promoted = r;
    if let Ok(s) = promoted.status.as_mut() {
        s.last_archived_wal = Some("000000020000000000000002".into());
    }
    assert!(run(vec![promoted]).findings.is_empty());
}

#[test]
fn with_port_8000_closed_the_exporter_still_tells_a_failing_archiver_and_its_backlog() {
    let mut r = reading(now(), healthy_status(), 1);
    r.status = Err("GET /api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status: no answer within 5s".into());
    r.metrics = Ok(ArchiverMetrics {
        failed_count: Some(412.0),
        last_archived_time: Some((now() - Duration::hours(8)).timestamp() as f64),
        last_failed_time: Some((now() - Duration::seconds(30)).timestamp() as f64),
        wal_ready: Some(140.0),
        ..Default::default()
    });
    let out = run(vec![r]);
    assert_eq!(codes(&out), ["ARC001", "ARC002", "ARC003"]);
    let f = &out.findings[1];
    assert_eq!(
        f.summary,
        "WAL archiving of Cluster orders/pg-orders is failing: the last failure at 2026-11-24T05:59:30Z is newer than the last archival (the exporter's pg_stat_archiver on pg-orders-1)"
    );
    assert_eq!(
        f.evidence[1],
        "cnpg_pg_stat_archiver_last_archived_time 1795471200 (2026-11-23T22:00:00Z)"
    );
    assert!(f.evidence[3].starts_with("the instance status was not read: GET"));
    assert_eq!(
        out.findings[2].evidence[0],
        "orders/pg-orders-1 cnpg_collector_pg_wal_archive_status{value=\"ready\"} 140 at 2026-11-24T06:00:00Z"
    );
    // Never failed (-1): nothing.
    let mut quiet = reading(now(), healthy_status(), 1);
    quiet.status = Err("x".into());
    quiet.metrics = Ok(ArchiverMetrics {
        last_archived_time: Some(1.0),
        last_failed_time: Some(-1.0),
        ..Default::default()
    });
    assert_eq!(codes(&run(vec![quiet])), ["ARC001"]);
}

/// One cause, one finding: with the ContinuousArchiving condition False, BKP005 speaks
/// (with this reading in its evidence) and ARC002 stays silent; with the condition still
/// True (it lags), ARC002 is the one that speaks.
#[test]
fn a_failing_archiver_the_condition_already_reports_is_bkp005_alone() {
    let s = InstanceArchive {
        is_archiving: false,
        last_failed_wal: Some("0000000100000000000000A7".into()),
        last_failed_time: Some(now() - Duration::seconds(10)),
        last_archived_wal: Some("0000000100000000000000A6".into()),
        last_archived_time: Some(now() - Duration::hours(3)),
        ready_wal_files: 12,
        ..healthy_status()
    };
    let mut f = Facts {
        archivers: vec![reading(now(), s, 1)],
        ..Default::default()
    };
    let mut c = crate::assess::testing::cluster("orders", "pg-orders", "store");
    c.conditions[0] = crate::assess::testing::cond(
        "ContinuousArchiving",
        "False",
        "ContinuousArchivingFailing",
        "unexpected failure invoking barman-cloud-wal-archive: exit status 4",
    );
    f.snapshot.clusters = crate::assess::testing::live(vec![c.clone()]);
    let all = crate::assess::assess(&f, now(), &Thresholds::default());
    let found: Vec<&str> = all.findings.iter().map(|x| x.code).collect();
    assert!(found.contains(&"BKP005"), "{found:?}");
    assert!(!found.contains(&"ARC002"), "{found:?}");
    let bkp = all
        .findings
        .iter()
        .find(|x| x.code == "BKP005")
        .expect("BKP005");
    assert!(
        bkp.evidence.iter().any(|e| e
            == "the archiver of pg-orders-1 now (/pg/status, read 2026-11-24T06:00:00Z): last failed 0000000100000000000000A7 at 2026-11-24T05:59:50Z, last archived 0000000100000000000000A6 at 2026-11-24T03:00:00Z, 12 WAL waiting"),
        "{:#?}",
        bkp.evidence
    );
    c.conditions[0].status = "True".into();
    f.snapshot.clusters = crate::assess::testing::live(vec![c]);
    assert_eq!(codes(&rules(&f, now(), &Thresholds::default())), ["ARC002"]);
}
