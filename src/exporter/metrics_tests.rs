use std::collections::BTreeSet;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::assess::Finding;
use crate::model::archiver::ArchiverReading;
use crate::model::bucket::{BucketFacts, ProofOutcome, RecoveryWindow, StoreProof};
use crate::model::rows::{BackupRow, ClusterRow, PluginRef};
use crate::model::{KindState, ObjectRef};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("a time")
        .with_timezone(&Utc)
}

fn finding(code: &'static str, sev: Severity, ns: &str, name: &str) -> Finding {
    Finding::new(
        code,
        sev,
        ObjectRef::new(Kind::Cluster, ns, name),
        "s".into(),
        vec![],
        "r".into(),
    )
}

fn lines(page: &Page, name: &str) -> Vec<String> {
    page.text
        .lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with('{') || rest.starts_with(' '))
        })
        .map(str::to_string)
        .collect()
}

fn facts() -> Facts {
    let plugin = ClusterRow {
        namespace: "orders".into(),
        name: "pg-orders".into(),
        plugin: Some(PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some("s3-orders".into()),
            server_name: Some("pg-orders-v2".into()),
        }),
        ..Default::default()
    };
    let bare = ClusterRow {
        namespace: "web".into(),
        name: "pg-\"odd\"".into(),
        ..Default::default()
    };
    let backup = BackupRow {
        namespace: "orders".into(),
        name: "pg-orders-1".into(),
        cluster: "pg-orders".into(),
        phase: "completed".into(),
        stopped: Some(at("2026-12-04T06:00:00Z")),
        ..Default::default()
    };
    let proof = StoreProof {
        namespace: "orders".into(),
        store: "s3-orders".into(),
        in_tree: false,
        server_name: "pg-orders-v2".into(),
        destination: "s3://b/".into(),
        checked_at: at("2026-12-04T11:00:00Z"),
        outcome: ProofOutcome::Proven(Box::new(BucketFacts {
            window: Some(RecoveryWindow {
                from: Some(at("2026-12-01T00:00:00Z")),
                to: Some(at("2026-12-04T11:59:00Z")),
                ..Default::default()
            }),
            ..Default::default()
        })),
    };
    let mut f = Facts::default();
    f.snapshot.clusters = KindState::live(vec![plugin, bare]);
    f.snapshot.backups = KindState::live(vec![backup]);
    f.snapshot.pods = KindState::live(vec![]);
    f.snapshot.kustomizations = KindState::without_rows(SyncState::NotInstalled {
        what: "Flux is not installed".into(),
    });
    f.secrets = KindState::without_rows(SyncState::Forbidden {
        verb: "get".into(),
        resource: "secrets".into(),
    });
    f.stores = vec![proof];
    f
}

#[test]
fn each_cluster_has_its_inventory_and_what_is_known_of_it() {
    let f = facts();
    let now = at("2026-12-04T12:00:00Z");
    let page = render(
        Some(&Evaluated {
            facts: &f,
            findings: &[],
            drills: &[],
            now,
        }),
        &Counters::default(),
        "1.2.3",
    );
    assert_eq!(
        lines(&page, "backstop_cluster_info"),
        [
            "backstop_cluster_info{namespace=\"orders\",cluster=\"pg-orders\",method=\"plugin\",object_store=\"s3-orders\",server_name=\"pg-orders-v2\"} 1",
            "backstop_cluster_info{namespace=\"web\",cluster=\"pg-\\\"odd\\\"\",method=\"none\",object_store=\"\",server_name=\"\"} 1",
        ]
    );
    assert_eq!(
        lines(&page, "backstop_cluster_last_good_backup_age_seconds"),
        [
            "backstop_cluster_last_good_backup_age_seconds{namespace=\"orders\",cluster=\"pg-orders\"} 21600"
        ],
        "only the Cluster that has a good backup: absence means never"
    );
    assert_eq!(
        lines(&page, "backstop_cluster_recovery_window_proven"),
        ["backstop_cluster_recovery_window_proven{namespace=\"orders\",cluster=\"pg-orders\"} 1"]
    );
    assert_eq!(
        lines(
            &page,
            "backstop_cluster_recovery_window_end_timestamp_seconds"
        ),
        [format!(
            "backstop_cluster_recovery_window_end_timestamp_seconds{{namespace=\"orders\",cluster=\"pg-orders\"}} {}",
            at("2026-12-04T11:59:00Z").timestamp()
        )]
    );
    let kinds = lines(&page, "backstop_kind_readable");
    assert!(kinds.contains(&"backstop_kind_readable{kind=\"Cluster\"} 1".to_string()));
    assert!(kinds.contains(&"backstop_kind_readable{kind=\"Secret\"} 0".to_string()));
    assert!(
        !kinds.iter().any(|l| l.contains("Kustomization")),
        "an API not installed has no series: {kinds:?}"
    );
    assert!(
        page.text
            .contains("# TYPE backstop_evaluations_total counter\nbackstop_evaluations_total 0\n")
    );
    assert!(
        page.text
            .contains("backstop_build_info{version=\"1.2.3\"} 1\n")
    );
}

#[test]
fn every_family_has_help_and_type_once_and_no_series_twice() {
    let f = facts();
    let findings = vec![
        finding("BKP002", Severity::Critical, "orders", "pg-orders"),
        finding("BKP002", Severity::Critical, "orders", "pg-orders"),
        finding("OBJ001", Severity::Warning, "web", "a\nb\\c"),
    ];
    let page = render(
        Some(&Evaluated {
            facts: &f,
            findings: &findings,
            drills: &[],
            now: at("2026-12-04T12:00:00Z"),
        }),
        &Counters {
            evaluations: 3,
            failures: 1,
            last_complete: Some((at("2026-12-04T12:00:01Z"), 1.5)),
        },
        "1",
    );
    let mut helped = BTreeSet::new();
    let mut typed = BTreeSet::new();
    let mut series = BTreeSet::new();
    for l in page.text.lines() {
        if let Some(rest) = l.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("a name");
            assert!(helped.insert(name.to_string()), "HELP twice for {name}");
        } else if let Some(rest) = l.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().expect("a name");
            assert!(helped.contains(name), "TYPE {name} after its HELP");
            assert!(typed.insert(name.to_string()), "TYPE twice for {name}");
        } else {
            let (s, _) = l.rsplit_once(' ').expect("a value");
            let name = s.split('{').next().expect("a name");
            assert!(typed.contains(name), "{name} has a TYPE before its samples");
            assert!(series.insert(s.to_string()), "{s} twice");
        }
    }
    assert_eq!(series.len(), page.series);
    assert_eq!(
        lines(&page, "backstop_finding"),
        [
            "backstop_finding{code=\"BKP002\",severity=\"critical\",namespace=\"orders\",kind=\"Cluster\",name=\"pg-orders\"} 1",
            "backstop_finding{code=\"OBJ001\",severity=\"warning\",namespace=\"web\",kind=\"Cluster\",name=\"a\\nb\\\\c\"} 1",
        ]
    );
    assert_eq!(
        lines(&page, "backstop_findings"),
        [
            "backstop_findings{severity=\"critical\"} 2",
            "backstop_findings{severity=\"warning\"} 1",
            "backstop_findings{severity=\"info\"} 0",
        ]
    );
    assert_eq!(
        lines(&page, "backstop_evaluation_duration_seconds"),
        ["backstop_evaluation_duration_seconds 1.5"]
    );
    assert_eq!(
        lines(&page, "backstop_evaluation_failures_total"),
        ["backstop_evaluation_failures_total 1"]
    );
}

#[test]
fn findings_beyond_the_cap_are_counted_not_written_and_the_worst_stay() {
    let f = Facts::default();
    let mut findings: Vec<Finding> = (0..MAX_FINDING_SERIES + 50)
        .map(|i| finding("BKP001", Severity::Info, "ns", &format!("c{i}")))
        .collect();
    findings.push(finding("BKP002", Severity::Critical, "ns", "worst"));
    let page = render(
        Some(&Evaluated {
            facts: &f,
            findings: &findings,
            drills: &[],
            now: Utc::now(),
        }),
        &Counters::default(),
        "1",
    );
    let written = lines(&page, "backstop_finding");
    assert_eq!(written.len(), MAX_FINDING_SERIES);
    assert!(written[0].contains("name=\"worst\""), "{}", written[0]);
    assert_eq!(
        lines(&page, "backstop_finding_series_dropped"),
        ["backstop_finding_series_dropped 51"]
    );
}

#[test]
fn an_unreachable_cluster_leaves_only_the_exporters_own_series_and_unreadable_kinds() {
    let page = render(
        None,
        &Counters {
            evaluations: 2,
            failures: 2,
            last_complete: None,
        },
        "1",
    );
    assert!(lines(&page, "backstop_cluster_info").is_empty());
    assert!(lines(&page, "backstop_finding").is_empty());
    assert!(lines(&page, "backstop_evaluation_timestamp_seconds").is_empty());
    let kinds = lines(&page, "backstop_kind_readable");
    assert_eq!(
        kinds.len(),
        18,
        "every kind checks::collect lists, the monitoring ones included"
    );
    assert!(kinds.iter().all(|l| l.ends_with(" 0")), "{kinds:?}");
    assert_eq!(
        lines(&page, "backstop_evaluation_failures_total"),
        ["backstop_evaluation_failures_total 2"]
    );
}

#[test]
fn drills_and_archiving_read_as_the_contract_says() {
    use crate::model::archiver::InstanceArchive;
    let mut f = facts();
    let now = at("2026-12-04T12:00:00Z");
    f.archivers = vec![ArchiverReading {
        namespace: "orders".into(),
        cluster: "pg-orders".into(),
        pod: "pg-orders-1".into(),
        taken_at: now,
        status: Ok(InstanceArchive {
            last_archived_time: Some(now - TimeDelta::seconds(90)),
            last_failed_time: Some(now - TimeDelta::seconds(30)),
            ..Default::default()
        }),
        metrics: Err("not read".into()),
        volume: Err("not read".into()),
        newest_backup: None,
    }];
    let drill = |name: &str, result: &str, when: Option<&str>| DrillReport {
        object: ObjectRef::new(Kind::Cluster, "orders", name),
        result: result.into(),
        at: when.map(str::to_string),
        last_passed: None,
        rto_seconds: None,
        rpo_seconds: None,
        line: String::new(),
    };
    let drills = [
        drill("pg-orders", "failed", Some("2026-12-03T12:00:00Z")),
        drill("pg-never", "never", None),
    ];
    let page = render(
        Some(&Evaluated {
            facts: &f,
            findings: &[],
            drills: &drills,
            now,
        }),
        &Counters::default(),
        "1",
    );
    assert_eq!(
        lines(&page, "backstop_cluster_wal_archive_lag_seconds"),
        ["backstop_cluster_wal_archive_lag_seconds{namespace=\"orders\",cluster=\"pg-orders\"} 90"]
    );
    assert_eq!(
        lines(&page, "backstop_cluster_wal_archiving_failing"),
        ["backstop_cluster_wal_archiving_failing{namespace=\"orders\",cluster=\"pg-orders\"} 1"]
    );
    assert_eq!(
        lines(&page, "backstop_cluster_last_drill_success"),
        ["backstop_cluster_last_drill_success{namespace=\"orders\",cluster=\"pg-orders\"} 0"],
        "never drilled: absent"
    );
    assert_eq!(
        lines(&page, "backstop_cluster_last_drill_timestamp_seconds"),
        [format!(
            "backstop_cluster_last_drill_timestamp_seconds{{namespace=\"orders\",cluster=\"pg-orders\"}} {}",
            at("2026-12-03T12:00:00Z").timestamp()
        )]
    );
}
