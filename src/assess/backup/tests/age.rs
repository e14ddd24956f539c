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
fn bkp003_several_slow_backups_are_one_finding_that_names_the_trend() {
    let mut f = healthy();
    // Six nightly backups, each slower than the one before (46 to 84 minutes).
    let rows: Vec<BackupRow> = (1..=6)
        .map(|d| {
            backup(
                &format!("pg-orders-daily-{d}"),
                "completed",
                ago(24 * (7 - d), 0),
                Some(40 + 8 * d),
            )
        })
        .collect();
    f.snapshot.backups = live(rows);
    let out = run(&f);
    let slow: Vec<&Finding> = out.findings.iter().filter(|x| x.code == "BKP003").collect();
    assert_eq!(slow.len(), 1, "{slow:#?}");
    let x = slow[0];
    assert_eq!(subject(x), ("Backup", "orders", "pg-orders-daily-6"));
    assert_eq!(
        x.summary,
        "Backup orders/pg-orders-daily-6 of Cluster pg-orders took 1h28m (limit 30m); 6 of its last 6 backups were \
         slow, each slower than the last"
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.starts_with("also slow: Backup orders/pg-orders-daily-1 took 48m"))
    );
    assert_eq!(
        x.evidence.last().map(String::as_str),
        Some(
            "each of these 6 backups took longer than the one before (48m → 1h28m): the data to upload is growing or the upload is slowing"
        )
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

/// The healthy history plus `extra` Backups.
fn with_backups(extra: Vec<BackupRow>) -> Facts {
    let mut f = healthy();
    let mut rows: Vec<BackupRow> = f
        .snapshot
        .backups
        .rows
        .iter()
        .map(|b| (**b).clone())
        .collect();
    rows.extend(extra);
    f.snapshot.backups = live(rows);
    f
}

#[test]
fn bkp004_pending_for_11_minutes_and_started_for_7_hours() {
    // Apart: a pending Backup with nothing ahead of it, and one started 7 hours ago.
    let out = run(&with_backups(vec![backup(
        "pending-11m",
        "pending",
        ago(0, 11),
        None,
    )]));
    let x = one(&out, "BKP004");
    assert_eq!(
        (x.severity, x.object.name.as_str()),
        (Severity::Warning, "pending-11m")
    );
    assert!(x.remedy.contains("The operator cannot start it"));

    let out = run(&with_backups(vec![backup(
        "started-7h",
        "started",
        ago(7, 0),
        None,
    )]));
    let x = one(&out, "BKP004");
    assert_eq!(x.object.name, "started-7h");
    assert!(
        x.remedy
            .contains("kubectl -n orders logs pg-orders-2 -c plugin-barman-cloud")
    );
    assert!(
        x.remedy
            .contains("kubectl -n orders delete backup started-7h")
    );
    assert!(x.remedy.contains("CNPG 1.27.3, 1.28.1 and 1.29 or later fail such a backup themselves (event InstanceManagerRestarted)"));
}

#[test]
fn bkp004_a_plugin_backup_without_a_phase_waits_for_the_operator_to_load_the_plugin() {
    // CloudNativePG leaves a plugin Backup without any status while it cannot load its
    // plugins; it never fails it for that.
    let mut b = backup("pg-orders-daily-20261124020000", "", ago(0, 30), None);
    (b.pod, b.started) = (None, None);
    let out = run(&with_backups(vec![b]));
    let x = one(&out, "BKP004");
    assert_eq!(
        x.summary,
        "Backup orders/pg-orders-daily-20261124020000 of Cluster pg-orders has not been picked up by the operator \
         for 30m (limit 10m)"
    );
    assert!(
        x.remedy.contains("\"Error loading plugins, retrying\""),
        "{}",
        x.remedy
    );
    assert!(x.remedy.contains("nothing needs deleting"));
    // An in-tree Backup without a phase: the operator itself is the suspect.
    let mut b = backup("pg-orders-manual", "", ago(0, 30), None);
    (b.pod, b.started) = (None, None);
    b.method = "barmanObjectStore".into();
    let out = run(&with_backups(vec![b]));
    assert!(one(&out, "BKP004").remedy.starts_with(
        "The operator has not picked it up: check that the CloudNativePG operator runs"
    ));
}

#[test]
fn bkp004_a_pending_backup_queued_behind_a_running_one_is_not_stuck() {
    // A manual backup taken during a long scheduled one: the operator keeps it pending
    // (no event) until the other one ends.
    let mut manual = backup("pg-orders-20261124030000", "pending", ago(3, 0), None);
    manual.scheduled_by = None;
    manual.pod = None;
    let out = run(&with_backups(vec![
        backup("pg-orders-daily-long", "started", ago(7, 0), None),
        manual,
    ]));
    let stuck: Vec<&str> = out
        .findings
        .iter()
        .filter(|x| x.code == "BKP004")
        .map(|x| x.object.name.as_str())
        .collect();
    assert_eq!(stuck, vec!["pg-orders-daily-long"]);
    let x = one(&out, "BKP004");
    assert!(x.evidence.contains(
        &"Backup orders/pg-orders-20261124030000 status.phase: pending (queued behind pg-orders-daily-long)"
            .to_string()
    ));
}

#[test]
fn bkp004_only_the_head_of_a_pending_queue_is_stuck() {
    // Two pending Backups and nothing executing: the operator starts the older first.
    let mut second = backup("pg-orders-20261124053000", "pending", ago(0, 30), None);
    second.scheduled_by = None;
    let out = run(&with_backups(vec![
        backup("pg-orders-daily-head", "pending", ago(0, 40), None),
        second,
    ]));
    let x = one(&out, "BKP004");
    assert_eq!(x.object.name, "pg-orders-daily-head");
    assert!(x.evidence.contains(
        &"Backup orders/pg-orders-20261124053000 status.phase: pending (queued behind pg-orders-daily-head)"
            .to_string()
    ));
}

#[test]
fn bkp004_pending_behind_a_backup_that_never_ends() {
    // walArchivingFailing is neither done nor executing: the operator keeps every newer
    // Backup of the Cluster pending behind it.
    let mut manual = backup("pg-orders-20261124050000", "pending", ago(1, 0), None);
    manual.scheduled_by = None;
    let out = run(&with_backups(vec![
        backup(
            "pg-orders-daily-wal",
            "walArchivingFailing",
            ago(2, 0),
            None,
        ),
        manual,
    ]));
    let x = one(&out, "BKP004");
    assert_eq!(x.object.name, "pg-orders-20261124050000");
    assert!(x.evidence.contains(&"Backup orders/pg-orders-daily-wal status.phase: walArchivingFailing: the operator starts no other Backup of Cluster pg-orders before it is completed, failed or deleted".to_string()), "{:?}", x.evidence);
    assert!(
        x.remedy
            .contains("`kubectl -n orders delete backup pg-orders-daily-wal`")
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

#[test]
fn bkp003_in_tree_cluster_patches_the_cluster() {
    let mut f = healthy();
    f.snapshot.clusters = live(vec![ClusterRow {
        plugin: None,
        legacy_barman: true,
        ..cluster()
    }]);
    let mut b = backup(
        "pg-orders-daily-20261124020000",
        "completed",
        ago(4, 0),
        Some(31),
    );
    b.method = "barmanObjectStore".into();
    f.snapshot.backups = live(vec![b]);
    let out = run(&f);
    let x = one(&out, "BKP003");
    assert!(x.remedy.contains(
        r#"`kubectl -n orders patch cluster pg-orders --type=merge -p '{"spec":{"backup":{"barmanObjectStore":{"data":{"jobs":4}}}}}'`"#
    ), "{}", x.remedy);
    assert!(!x.remedy.contains("patch objectstore"));
}

/// An active ScheduledBackup whose controller wrote the last and next run `every` apart.
fn schedule(name: &str, cron: &str, last: DateTime<Utc>, every: TimeDelta) -> ScheduledBackupRow {
    ScheduledBackupRow {
        name: name.into(),
        schedule: cron.into(),
        last: Some(last),
        next: Some(last + every),
        ..scheduled(Some("plugin"), false)
    }
}

#[test]
fn bkp002_an_hourly_schedule_is_late_after_2_hours() {
    let mut f = aged(3);
    f.snapshot.scheduled = live(vec![schedule(
        "pg-orders-hourly",
        "0 0 * * * *",
        ago(0, 30),
        TimeDelta::hours(1),
    )]);
    let out = run(&f);
    let x = one(&out, "BKP002");
    assert_eq!(
        x.summary,
        "Cluster orders/pg-orders: the last successful backup is 3h old (limit 2h)"
    );
    assert!(x.evidence.contains(&"limit 2h: the interval of ScheduledBackup orders/pg-orders-hourly (status.lastScheduleTime to status.nextScheduleTime, 1h) plus a margin".to_string()), "{:?}", x.evidence);
}

#[test]
fn bkp002_near_miss_a_weekly_schedule_is_not_stale_at_3_days() {
    let mut f = aged(72);
    f.snapshot.scheduled = live(vec![schedule(
        "pg-orders-weekly",
        "0 0 2 * * 0",
        ago(72, 0),
        TimeDelta::days(7),
    )]);
    assert!(!codes(&run(&f)).contains(&"BKP002"));
    // A week and 3 hours is late for it.
    let mut f = aged(24 * 7 + 3);
    f.snapshot.scheduled = live(vec![schedule(
        "pg-orders-weekly",
        "0 0 2 * * 0",
        ago(3, 0),
        TimeDelta::days(7),
    )]);
    let x = one(&run(&f), "BKP002").clone();
    assert!(x.summary.ends_with("(limit 7d2h)"), "{}", x.summary);
}

#[test]
fn bkp002_says_backup_max_age_applied_without_a_known_schedule() {
    let out = run(&aged(27));
    let x = one(&out, "BKP002");
    assert!(
        x.evidence.contains(
            &"limit 26h: backup-max-age (no ScheduledBackup of this Cluster has a known interval)"
                .to_string()
        )
    );
}

#[test]
fn bkp012_a_stuck_child_blocks_the_schedule() {
    let mut f = healthy();
    // The 02:00 run of yesterday never finished; today's 02:00 run was not taken.
    let mut sb = scheduled(Some("plugin"), false);
    sb.last = Some(ago(28, 0));
    sb.next = Some(ago(4, 0));
    f.snapshot.scheduled = live(vec![sb]);
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261122020000",
            "completed",
            ago(52, 0),
            Some(4),
        ),
        backup(
            "pg-orders-daily-20261123020000",
            "started",
            ago(28, 0),
            None,
        ),
    ]);
    let out = run(&f);
    let x = one(&out, "BKP012");
    assert_eq!(
        (x.severity, subject(x)),
        (
            Severity::Critical,
            ("ScheduledBackup", "orders", "pg-orders-daily")
        )
    );
    assert_eq!(
        x.summary,
        "ScheduledBackup orders/pg-orders-daily (Cluster pg-orders) is blocked by Backup pg-orders-daily-20261123020000 (started, 28h old): no new backups on CNPG 1.29 and later"
    );
    assert!(x.evidence.contains(&"ScheduledBackup orders/pg-orders-daily status.nextScheduleTime: 2026-11-24T02:00:00Z (4h ago, no newer Backup)".to_string()), "{:?}", x.evidence);
    assert!(x.remedy.contains(
        "The system is already taking a backup for this ScheduledBackup, retrying in 60 seconds"
    ));
    assert!(x.remedy.contains("`kubectl -n orders delete backup pg-orders-daily-20261123020000`. That unblocks the schedule"));
}

#[test]
fn bkp012_a_child_failing_on_wal_archiving_blocks_it_at_once() {
    let mut f = healthy();
    let mut sb = scheduled(Some("plugin"), false);
    sb.next = Some(now() + TimeDelta::hours(20));
    f.snapshot.scheduled = live(vec![sb]);
    let mut b = backup(
        "pg-orders-daily-20261124020000",
        "walArchivingFailing",
        ago(4, 0),
        None,
    );
    b.error = Some("WAL archiving is not working".into());
    f.snapshot.backups = live(vec![b]);
    let x = one(&run(&f), "BKP012").clone();
    assert!(x.evidence[0].ends_with("status.phase: walArchivingFailing"));
}

#[test]
fn bkp012_near_miss_a_running_child_before_the_next_run_or_a_failed_one() {
    let mut f = healthy();
    let mut sb = scheduled(Some("plugin"), false);
    sb.next = Some(now() + TimeDelta::hours(20));
    f.snapshot.scheduled = live(vec![sb]);
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-20261124020000",
        "started",
        ago(0, 30),
        None,
    )]);
    assert!(!codes(&run(&f)).contains(&"BKP012"));
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-20261124020000",
        "failed",
        ago(4, 0),
        None,
    )]);
    assert!(!codes(&run(&f)).contains(&"BKP012"));
}

#[test]
fn bkp002_the_newest_pending_backup_says_what_it_waits_for() {
    // The operator starts pending Backups oldest first, and counts a finalizing one as
    // ahead of them (neither done nor executing): everything queues behind it.
    let mut f = aged(27);
    let mut rows: Vec<BackupRow> = f
        .snapshot
        .backups
        .rows
        .iter()
        .map(|b| (**b).clone())
        .collect();
    rows.push(backup(
        "pg-orders-daily-stuck",
        "finalizing",
        ago(26, 0),
        None,
    ));
    let mut manual = backup("pg-orders-20261124055000", "pending", ago(0, 10), None);
    manual.scheduled_by = None;
    rows.push(manual);
    rows.push(backup("pg-orders-daily-older", "pending", ago(0, 20), None));
    f.snapshot.backups = live(rows);
    let out = run(&f);
    let x = one(&out, "BKP002");
    assert!(x.evidence.contains(
        &"newest Backup orders/pg-orders-20261124055000 status.phase: pending (queued behind pg-orders-daily-stuck)"
            .to_string()
    ), "{:?}", x.evidence);
}
