use chrono::TimeDelta;

use super::*;
use crate::assess::testing::{ago, live, now, store};
use crate::model::bucket::{BaseBackup, EndWalCheck, RecoveryWindow, WalGap};
use crate::model::rows::{BackupRow, ClusterRow, PluginRef, ServerWindow};

fn backup(id: &str, end: DateTime<Utc>, systemid: &str) -> BaseBackup {
    BaseBackup {
        id: id.into(),
        status: "DONE".into(),
        begin_wal: Some("000000010000000000000002".into()),
        end_wal: Some("000000010000000000000002".into()),
        begin_time: Some(end - TimeDelta::minutes(1)),
        end_time: Some(end),
        timeline: Some(1),
        systemid: Some(systemid.into()),
        ..Default::default()
    }
}

fn healthy() -> BucketFacts {
    BucketFacts {
        backups: vec![backup("20261123T060000", ago(24, 0), "7442300000000000001")],
        window: Some(RecoveryWindow {
            from: Some(ago(24, 0)),
            to: Some(ago(0, 5)),
            backup: "20261123T060000".into(),
            last_wal: "000000010000000000000040".into(),
        }),
        end_wal: Some(EndWalCheck {
            backup: "20261123T060000".into(),
            end_wal: "000000010000000000000002".into(),
            archived: Some(true),
        }),
        newest_wal: Some("000000010000000000000040".into()),
        newest_wal_at: Some(ago(0, 5)),
        system_ids: vec!["7442300000000000001".into()],
        objects: 63,
        requests: 3,
        ..Default::default()
    }
}

fn proof(outcome: ProofOutcome) -> StoreProof {
    StoreProof {
        namespace: "db".into(),
        store: "minio-store".into(),
        in_tree: false,
        server_name: "pg".into(),
        destination: "s3://backups/pg".into(),
        checked_at: now(),
        outcome,
    }
}

fn facts(p: StoreProof) -> Facts {
    let mut f = Facts {
        stores: vec![p],
        ..Default::default()
    };
    f.snapshot.clusters = live(vec![ClusterRow {
        namespace: "db".into(),
        name: "pg".into(),
        plugin: Some(PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some("minio-store".into()),
            server_name: None,
        }),
        ..Default::default()
    }]);
    f.snapshot.backups = live(vec![BackupRow {
        namespace: "db".into(),
        name: "pg-daily-1".into(),
        cluster: "pg".into(),
        phase: "completed".into(),
        backup_id: Some("20261123T060000".into()),
        ..Default::default()
    }]);
    f.snapshot.object_stores = live(vec![store("db", "minio-store", vec![])]);
    f
}

fn codes(f: &Facts) -> Vec<&'static str> {
    rules(f, now(), &Thresholds::default())
        .findings
        .iter()
        .map(|x| x.code)
        .collect()
}

fn one(f: &Facts, code: &str) -> Finding {
    let out = rules(f, now(), &Thresholds::default());
    out.findings
        .into_iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("no {code}"))
}

#[test]
fn a_healthy_bucket_gives_nothing_and_tells_its_window() {
    let f = facts(proof(ProofOutcome::Proven(Box::new(healthy()))));
    assert!(codes(&f).is_empty(), "{:?}", codes(&f));
    assert_eq!(
        window_line(&f.stores[0]),
        "recoverable from 2026-11-23T06:00:00Z to 2026-11-24T05:55:00Z (proven from the bucket, checked at 2026-11-24T06:00:00Z)"
    );
}

#[test]
fn unknown_is_info_and_failed_is_a_warning_with_the_servers_words() {
    let f = facts(proof(ProofOutcome::Unknown(
        "inheritFromIAMRole: the credentials are the pod's IAM role (IRSA), which cannot be assumed from here".into(),
    )));
    let x = one(&f, "BKT002");
    assert_eq!(x.severity, Severity::Info);
    assert!(x.summary.contains("IRSA"), "{}", x.summary);
    let f = facts(proof(ProofOutcome::Failed(
        "listing pg/base/: Error performing list request: InvalidAccessKeyId: The AWS Access Key Id you provided does not exist in our records.".into(),
    )));
    let x = one(&f, "BKT001");
    assert_eq!(x.severity, Severity::Warning);
    assert!(
        x.evidence.iter().any(|e| e.contains("InvalidAccessKeyId")),
        "{:?}",
        x.evidence
    );
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::ObjectStore, "db", "minio-store")
    );
}

#[test]
fn no_base_backup_is_critical() {
    let mut b = healthy();
    b.backups = vec![];
    b.window = None;
    b.end_wal = None;
    let f = facts(proof(ProofOutcome::Proven(Box::new(b))));
    let x = one(&f, "BKT003");
    assert_eq!(x.severity, Severity::Critical);
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("WAL alone cannot be restored"))
    );
    // The Backup object claims a base backup the bucket lacks.
    assert!(codes(&f).contains(&"BKT008"));
}

#[test]
fn gaps_are_critical_only_when_nothing_after_them_is_restorable() {
    let gap = |fatal| WalGap {
        timeline: 1,
        after: "00000001000000000000000F".into(),
        before: "000000010000000000000011".into(),
        missing: 1,
        cuts_backup: Some("20261123T060000".into()),
        fatal,
    };
    let mut b = healthy();
    b.gaps = vec![gap(true)];
    let x = one(
        &facts(proof(ProofOutcome::Proven(Box::new(b.clone())))),
        "BKT004",
    );
    assert_eq!(x.severity, Severity::Critical);
    assert!(
        x.summary
            .contains("nothing written after it can be restored"),
        "{}",
        x.summary
    );
    assert!(x.evidence.iter().any(|e| e == "timeline 1: 1 segment(s) missing after 00000001000000000000000F and before 000000010000000000000011"), "{:?}", x.evidence);
    b.gaps = vec![gap(false)];
    let x = one(&facts(proof(ProofOutcome::Proven(Box::new(b)))), "BKT005");
    assert_eq!(x.severity, Severity::Warning);
}

#[test]
fn the_newest_backups_missing_end_wal_is_critical_but_not_when_truncated() {
    let mut b = healthy();
    b.end_wal = Some(EndWalCheck {
        backup: "20261123T060000".into(),
        end_wal: "000000010000000000000002".into(),
        archived: Some(false),
    });
    let x = one(
        &facts(proof(ProofOutcome::Proven(Box::new(b.clone())))),
        "BKT006",
    );
    assert!(
        x.summary
            .contains("its end WAL 000000010000000000000002 is not in the bucket"),
        "{}",
        x.summary
    );
    if let Some(e) = b.end_wal.as_mut() {
        e.archived = None;
    }
    b.truncated = Some("stopped at the limit of 10 listed objects".into());
    b.listed_up_to = Some("000000010000000000000001".into());
    let f = facts(proof(ProofOutcome::Proven(Box::new(b))));
    assert_eq!(codes(&f), vec!["BKT012"]);
    let x = one(&f, "BKT012");
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("nothing past 000000010000000000000001 is judged")),
        "{:?}",
        x.evidence
    );
}

#[test]
fn stale_wal_two_servers_and_orphans() {
    let mut b = healthy();
    b.newest_wal_at = Some(ago(30, 0));
    b.backups
        .push(backup("20261123T070000", ago(23, 0), "7442399999999999999"));
    b.system_ids.push("7442399999999999999".into());
    let f = facts(proof(ProofOutcome::Proven(Box::new(b))));
    let c = codes(&f);
    assert!(c.contains(&"BKT007"), "{c:?}");
    assert!(c.contains(&"BKT010"), "{c:?}");
    let x = one(&f, "BKT009");
    assert!(
        x.evidence[1].contains("20261123T070000"),
        "{:?}",
        x.evidence
    );
    assert!(one(&f, "BKT010").evidence[1].contains("7442300000000000001, 7442399999999999999"));
}

#[test]
fn a_status_window_wider_than_the_bucket_proves_is_a_disagreement() {
    let mut f = facts(proof(ProofOutcome::Proven(Box::new(healthy()))));
    f.snapshot.object_stores = live(vec![store(
        "db",
        "minio-store",
        vec![ServerWindow {
            server: "pg".into(),
            first_point: Some(ago(48, 0)),
            last_success: Some(ago(1, 0)),
            last_failure: None,
        }],
    )]);
    let x = one(&f, "BKT011");
    assert!(x.evidence.iter().any(|e| e.contains("firstRecoverabilityPoint: 2026-11-22T06:00:00Z, the bucket proves recovery only from 2026-11-23T06:00:00Z")), "{:?}", x.evidence);
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("lastSuccessfulBackupTime: 2026-11-24T05:00:00Z")),
        "{:?}",
        x.evidence
    );
    // Agreeing fields say nothing.
    f.snapshot.object_stores = live(vec![store(
        "db",
        "minio-store",
        vec![ServerWindow {
            server: "pg".into(),
            first_point: Some(ago(24, 0)),
            last_success: Some(ago(24, 0)),
            last_failure: None,
        }],
    )]);
    assert!(codes(&f).is_empty(), "{:?}", codes(&f));
}

#[test]
fn completed_backups_without_their_wal_are_not_restorable() {
    let mut b = healthy();
    b.window = None;
    b.end_wal = None;
    b.timelines = vec![crate::model::bucket::TimelineWal {
        timeline: 1,
        first: "000000010000000000000009".into(),
        last: "000000010000000000000040".into(),
        count: 56,
        ..Default::default()
    }];
    let f = facts(proof(ProofOutcome::Proven(Box::new(b))));
    let x = one(&f, "BKT013");
    assert_eq!(x.severity, Severity::Critical);
    assert!(x.evidence.iter().any(|e| e == "base/20261123T060000: begin_wal 000000010000000000000002, end_wal 000000010000000000000002"), "{:?}", x.evidence);
    assert!(
        x.evidence.iter().any(|e| e
            == "timeline 1: 56 segments from 000000010000000000000009 to 000000010000000000000040"),
        "{:?}",
        x.evidence
    );
    assert!(window_line(&f.stores[0]).starts_with("not recoverable"));
}
