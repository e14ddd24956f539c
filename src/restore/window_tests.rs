use chrono::TimeDelta;

use super::*;
use crate::assess::testing::{ago, at, live, now, store, window};
use crate::model::archiver::InstanceArchive;
use crate::model::bucket::{BaseBackup, BucketFacts, RecoveryWindow};
use crate::model::rows::BackupRow;

fn proven(facts: &mut Facts) {
    facts.stores = vec![StoreProof {
        namespace: "orders".into(),
        store: "orders-store".into(),
        in_tree: false,
        server_name: "pg-orders".into(),
        destination: "s3://backups/orders/".into(),
        checked_at: now(),
        outcome: ProofOutcome::Proven(Box::new(BucketFacts {
            backups: vec![
                BaseBackup {
                    id: "20261120T060000".into(),
                    status: "DONE".into(),
                    end_time: Some(at("2026-11-20T06:10:00Z")),
                    ..Default::default()
                },
                BaseBackup {
                    id: "20261123T060000".into(),
                    status: "DONE".into(),
                    end_time: Some(at("2026-11-23T06:12:00Z")),
                    ..Default::default()
                },
                BaseBackup {
                    id: "20261124T050000".into(),
                    status: "FAILED".into(),
                    ..Default::default()
                },
            ],
            window: Some(RecoveryWindow {
                from: Some(at("2026-11-20T06:10:00Z")),
                to: Some(at("2026-11-24T05:55:00Z")),
                backup: "20261120T060000".into(),
                last_wal: "000000010000000A000000F3".into(),
            }),
            ..Default::default()
        })),
    }];
}

fn facts() -> Facts {
    let mut f = Facts::default();
    f.snapshot.object_stores = live(vec![store(
        "orders",
        "orders-store",
        vec![window("pg-orders", Some(ago(6, 0)), None)],
    )]);
    f.snapshot.backups = live(vec![BackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily-1".into(),
        cluster: "pg-orders".into(),
        phase: "completed".into(),
        stopped: Some(ago(6, 0)),
        backup_id: Some("20261124T000000".into()),
        ..Default::default()
    }]);
    f
}

fn time(s: &str) -> Target {
    Target::Time(chrono::DateTime::parse_from_rfc3339(s).expect("a time"))
}

#[test]
fn a_proven_window_refuses_targets_outside_it_with_the_reason() {
    let mut f = facts();
    proven(&mut f);
    let w = Window::of(&f, "orders", "pg-orders", "orders-store", "pg-orders");
    assert!(w.proven());
    assert_eq!(w.backups.len(), 2, "only DONE backups restore");
    // Inside: nothing to say.
    assert_eq!(
        judge(&w, &time("2026-11-22T12:00:00+01:00"), None, now()),
        Judgement::default()
    );
    let before = judge(&w, &time("2026-11-19T00:00:00Z"), None, now());
    assert!(
        before.refuse[0].contains("before the first recoverability point 2026-11-20T06:10:00Z"),
        "{before:?}"
    );
    let after = judge(&w, &time("2026-11-24T05:58:00Z"), None, now());
    assert!(
        after.refuse[0].contains("after the newest continuous WAL (000000010000000A000000F3"),
        "{after:?}"
    );
    assert!(
        after.refuse[0].contains("recovery ended before configured recovery target was reached")
    );
    let future = judge(&w, &time("2026-11-25T00:00:00Z"), None, now());
    assert!(future.refuse[0].contains("is in the future"), "{future:?}");
    let unknown = judge(&w, &Target::Backup("20261124T050000".into()), None, now());
    assert!(
        unknown.refuse[0].contains("not among the completed backups"),
        "{unknown:?}"
    );
    assert!(
        unknown.refuse[0].contains("20261123T060000, 20261120T060000"),
        "{unknown:?}"
    );
    let newer = judge(
        &w,
        &time("2026-11-21T00:00:00Z"),
        Some("20261123T060000"),
        now(),
    );
    assert!(
        newer.refuse[0].contains("ends at 2026-11-23T06:12:00Z, after the target"),
        "{newer:?}"
    );
}

#[test]
fn a_reported_window_warns_where_a_proven_one_would_refuse() {
    let mut f = facts();
    f.archivers = vec![crate::model::archiver::ArchiverReading {
        namespace: "orders".into(),
        cluster: "pg-orders".into(),
        pod: "pg-orders-1".into(),
        taken_at: now(),
        status: Ok(InstanceArchive {
            is_primary: true,
            is_archiving: true,
            last_archived_wal: Some("000000010000000A000000F0".into()),
            last_archived_time: Some(ago(0, 40)),
            last_failed_time: Some(ago(0, 5)),
            ..Default::default()
        }),
        metrics: Err("not read".into()),
        volume: Err("not read".into()),
        newest_backup: None,
    }];
    let w = Window::of(&f, "orders", "pg-orders", "orders-store", "pg-orders");
    assert!(!w.proven());
    assert_eq!(w.from, Some(ago(24 * 30, 0)));
    assert_eq!(w.to, Some(ago(0, 40)));
    assert_eq!(w.backups[0].known_from, "Backup pg-orders-daily-1");
    let j = judge(
        &w,
        &Target::Time((now() - TimeDelta::minutes(10)).fixed_offset()),
        None,
        now(),
    );
    assert!(j.refuse.is_empty(), "{j:?}");
    assert!(
        j.warn[0].contains("after the newest WAL the archiver reports archived"),
        "{j:?}"
    );
    let latest = judge(&w, &Target::Latest, None, now());
    assert!(
        latest.warn[0].contains("WAL archiving has been failing since"),
        "{latest:?}"
    );
    let text = w.describe().join("\n");
    assert!(
        text.contains("not proven (the bucket was not read)"),
        "{text}"
    );
}
