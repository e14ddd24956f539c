//! The backup checks: archiving, the last good backup, slow backups.

use super::*;

fn clusters(rows: Vec<ClusterRow>) -> Facts {
    Facts {
        snapshot: Snapshot {
            clusters: live(rows),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn archiving_ok_reads_continuous_archiving_and_waits_for_it() {
    let archiving = |status: &str, message: &str| {
        let mut c = cluster("pg", "store");
        c.conditions = vec![cond("ContinuousArchiving", status, "", message)];
        c
    };
    assert_eq!(
        on(
            Check::ArchivingOk {},
            &clusters(vec![archiving("True", "")])
        ),
        said(Verdict::Pass, "WAL archiving works", &[])
    );
    assert_eq!(
        on(
            Check::ArchivingOk {},
            &clusters(vec![archiving(
                "False",
                "unexpected failure invoking barman-cloud-wal-archive"
            )])
        ),
        said(
            Verdict::Fail,
            "WAL archiving is failing",
            &[
                "Cluster db/pg ContinuousArchiving=False : unexpected failure invoking barman-cloud-wal-archive"
            ]
        )
    );
    assert_eq!(
        on(
            Check::ArchivingOk {},
            &clusters(vec![cluster("pg", "store")])
        ),
        said(
            Verdict::Unknown,
            "archiving has not reported yet",
            &["Cluster db/pg: no ContinuousArchiving condition"]
        )
    );
    let unread = Facts {
        snapshot: Snapshot {
            clusters: state(SyncState::Error("the server is on fire".into())),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        on(Check::ArchivingOk {}, &unread),
        said(Verdict::Unknown, "clusters: the server is on fire", &[])
    );
}

/// Cluster db/pg archiving to `store`, whose window says its last good backup was at
/// `window`, with `backups` of its own.
fn backed_up(window: Option<&str>, backups: Vec<BackupRow>) -> Facts {
    let store = ObjectStoreRow {
        namespace: "db".into(),
        name: "store".into(),
        servers: vec![ServerWindow {
            server: "pg".into(),
            last_success: window.map(at),
            ..Default::default()
        }],
        ..Default::default()
    };
    let mut no_backup_configured = cluster("plain", "");
    no_backup_configured.plugin = None;
    Facts {
        snapshot: Snapshot {
            clusters: live(vec![cluster("pg", "store"), no_backup_configured]),
            object_stores: live(vec![store]),
            backups: live(backups),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn backup_recent_takes_the_newer_of_the_window_and_the_backups() {
    let recent = || Check::BackupRecent {
        max_age: "26h".into(),
    };
    let from_window = backed_up(Some("2026-11-23T06:00:00Z"), vec![]);
    assert_eq!(
        on(recent(), &from_window),
        said(
            Verdict::Pass,
            "every Cluster has a backup younger than 26h",
            &[]
        )
    );
    let old = backup(
        "old",
        "pg",
        "completed",
        "2026-11-22T05:00:00Z",
        "2026-11-22T06:00:00Z",
    );
    let newer = backup(
        "newer",
        "pg",
        "completed",
        "2026-11-23T05:00:00Z",
        "2026-11-23T06:00:00Z",
    );
    let failed = backup(
        "failed",
        "pg",
        "failed",
        "2026-11-24T05:00:00Z",
        "2026-11-24T05:30:00Z",
    );
    assert_eq!(
        on(recent(), &backed_up(None, vec![newer, failed.clone()])).verdict,
        Verdict::Pass,
        "a completed Backup proves it without a window"
    );
    assert_eq!(
        on(
            recent(),
            &backed_up(Some("2026-11-21T06:00:00Z"), vec![old])
        ),
        said(
            Verdict::Fail,
            "a Cluster has no backup younger than 26h",
            &["Cluster db/pg: last successful backup 2026-11-22 06:00:00 UTC (2d ago)"]
        )
    );
    assert_eq!(
        on(recent(), &backed_up(None, vec![failed])),
        said(
            Verdict::Fail,
            "a Cluster has no backup younger than 26h",
            &["Cluster db/pg: no successful backup"]
        ),
        "a failed backup is not a good one; a Cluster without backups configured is not asked"
    );
    let mut unread = from_window;
    unread.snapshot.backups = state(forbidden("backups.postgresql.cnpg.io"));
    assert_eq!(
        on(recent(), &unread),
        said(
            Verdict::Unknown,
            "backups: forbidden: may not list backups.postgresql.cnpg.io",
            &[]
        )
    );
    let nonsense = Check::BackupRecent {
        max_age: "soon".into(),
    };
    assert_eq!(
        on(nonsense, &unread),
        said(Verdict::Error, "'soon' is not a duration", &[])
    );
}

#[test]
fn backups_fast_names_the_slow_ones_of_the_walks_clusters() {
    let fast = |max: &str| Check::BackupsFast {
        max_duration: max.into(),
    };
    let slow = backup(
        "slow",
        "pg",
        "completed",
        "2026-11-24T04:00:00Z",
        "2026-11-24T04:45:00Z",
    );
    let quick = backup(
        "quick",
        "pg",
        "completed",
        "2026-11-24T05:00:00Z",
        "2026-11-24T05:05:00Z",
    );
    let theirs = backup(
        "theirs",
        "other",
        "completed",
        "2026-11-24T01:00:00Z",
        "2026-11-24T03:00:00Z",
    );
    let mut facts = backed_up(None, vec![quick, slow, theirs]);
    facts.snapshot.clusters = live(vec![cluster("pg", "store"), cluster("other", "store")]);
    assert_eq!(
        on(fast("3h"), &facts),
        said(Verdict::Pass, "no backup took longer than 3h", &[])
    );
    assert_eq!(
        on(fast("30m"), &facts),
        said(
            Verdict::Fail,
            "2 backup(s) took longer than 30m",
            &["Backup db/slow took 45m", "Backup db/theirs took 120m"]
        )
    );
    let pg = ObjectRef::new(Kind::Cluster, "db", "pg");
    assert_eq!(
        ask(&fast("30m"), &facts, &Assessed::default(), Some(&pg)).evidence,
        ["Backup db/slow took 45m"]
    );
    facts.snapshot.backups = state(SyncState::Syncing);
    assert_eq!(
        on(fast("30m"), &facts),
        said(Verdict::Unknown, "backups: not read yet", &[])
    );
    assert_eq!(on(fast("a while"), &facts).verdict, Verdict::Error);
}
