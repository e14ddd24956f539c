//! The panes on fixture rows.

use super::*;
use crate::model::KindState;
use crate::model::rows::BackupRow;
use std::sync::Arc;

fn backup(
    cluster: &str,
    name: &str,
    phase: &str,
    hours_ago: i64,
    now: DateTime<Utc>,
) -> Arc<BackupRow> {
    Arc::new(BackupRow {
        namespace: "db".into(),
        name: name.into(),
        cluster: cluster.into(),
        method: "plugin".into(),
        phase: phase.into(),
        started: Some(now - chrono::Duration::hours(hours_ago)),
        stopped: Some(now - chrono::Duration::hours(hours_ago) + chrono::Duration::minutes(3)),
        ..Default::default()
    })
}

#[test]
fn an_old_failure_followed_by_success_is_history_not_the_pane_state() {
    let now = Utc::now();
    let mut s = Snapshot {
        backups: KindState {
            rows: Arc::new(vec![
                backup("pg", "old", "failed", 48, now),
                backup("pg", "new", "completed", 2, now),
            ]),
            sync: SyncState::Live,
            version: 1,
            rv: 0,
            malformed: Default::default(),
        },
        ..Default::default()
    };
    s.clusters.sync = SyncState::Live;
    s.scheduled.sync = SyncState::Live;
    let v = backups::pane(&s, now, &Thresholds::default(), &[]);
    assert_eq!(v.worst(), Health::Ok);
    let failed = v
        .rows
        .iter()
        .find(|r| r.cells(now).get(2).is_some_and(|c| c == "old"))
        .map(|r| r.health);
    assert_eq!(
        failed,
        Some(Health::Critical),
        "the old failure still shows its glyph"
    );

    s.backups.rows = Arc::new(vec![
        backup("pg", "old", "completed", 48, now),
        backup("pg", "new", "failed", 2, now),
    ]);
    assert_eq!(
        backups::pane(&s, now, &Thresholds::default(), &[]).worst(),
        Health::Critical
    );
}

#[test]
fn the_store_row_shows_what_the_bucket_proves_beside_the_status_claim() {
    use crate::assess::testing::{ago, cluster, now, store, window};
    use crate::model::bucket::{BucketFacts, ProofOutcome, RecoveryWindow, StoreProof, WalGap};
    let s = Snapshot {
        object_stores: KindState::live(vec![store(
            "orders",
            "pg-orders-s3",
            vec![window("pg-orders", Some(ago(4, 0)), None)],
        )]),
        clusters: KindState::live(vec![cluster("orders", "pg-orders", "pg-orders-s3")]),
        ..Default::default()
    };
    let proof = |outcome| StoreProof {
        namespace: "orders".into(),
        store: "pg-orders-s3".into(),
        in_tree: false,
        server_name: "pg-orders".into(),
        destination: "s3://backups/orders/".into(),
        checked_at: now(),
        outcome,
    };
    let cell = |proofs: &[StoreProof]| {
        let v = pane(
            1,
            &s,
            now(),
            &Thresholds::default(),
            Ground {
                proofs,
                archivers: &[],
            },
        );
        let i = v
            .columns
            .iter()
            .position(|c| c.title == "PROVEN")
            .expect("a PROVEN column");
        match &v.rows[0].cells {
            Cells::Text(t) => t[i].clone(),
            Cells::Backup(_) => unreachable!("a store row"),
        }
    };
    assert_eq!(cell(&[]), "-");
    // The status claims 30 days; the bucket holds 8 days, and a gap.
    let facts = BucketFacts {
        window: Some(RecoveryWindow {
            from: Some(ago(24 * 8, 0)),
            to: Some(ago(0, 3)),
            ..Default::default()
        }),
        gaps: vec![WalGap::default()],
        ..Default::default()
    };
    assert_eq!(
        cell(&[proof(ProofOutcome::Proven(Box::new(facts)))]),
        "≠ 8d → 3m ago · gap"
    );
    assert_eq!(
        cell(&[proof(ProofOutcome::Unknown("IRSA".into()))]),
        "unknown"
    );
    assert_eq!(
        cell(&[proof(ProofOutcome::Proven(Box::default()))]),
        "no base backup"
    );
}

#[test]
fn a_clusters_row_says_what_its_primary_archiver_reports() {
    use crate::assess::testing::{ago, cluster, cond, now};
    use crate::model::archiver::{ArchiverReading, InstanceArchive};
    let mut c = cluster("orders", "pg-orders", "pg-orders-s3");
    c.conditions = vec![cond(
        "ContinuousArchiving",
        "False",
        "ContinuousArchivingFailing",
        "unexpected failure invoking barman-cloud-wal-archive: exit status 4",
    )];
    let s = Snapshot {
        clusters: KindState::live(vec![c]),
        ..Default::default()
    };
    let reading = ArchiverReading {
        namespace: "orders".into(),
        cluster: "pg-orders".into(),
        pod: "pg-orders-1".into(),
        taken_at: now(),
        status: Ok(InstanceArchive {
            is_primary: true,
            is_archiving: false,
            last_archived_wal: Some("000000010000000A000000F2".into()),
            last_archived_time: Some(ago(3, 0)),
            last_failed_wal: Some("000000010000000A000000F3".into()),
            last_failed_time: Some(ago(0, 1)),
            ready_wal_files: 140,
            ..Default::default()
        }),
        metrics: Err("the exporter did not answer".into()),
        volume: Err("nodes/proxy is forbidden".into()),
        newest_backup: None,
    };
    let v = backups::pane(&s, now(), &Thresholds::default(), &[reading]);
    let Cells::Text(cells) = &v.rows[0].cells else {
        unreachable!("a cluster row")
    };
    assert!(
        cells[2].starts_with(
            "archiving FAILING (140 WAL waiting, last archived 3h ago): unexpected failure"
        ),
        "{}",
        cells[2]
    );
}
