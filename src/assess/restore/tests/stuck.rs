//! RST001-RST008 on a restoring Cluster.

use super::*;
use crate::model::rows::{BackupRow, EventRow};

/// barman-cloud-check-wal-archive's refusal as the plugin's sidecar logs it in the recovery
/// Job (the text cloudnative-pg `docs/src/recovery.md` quotes).
const EMPTY_ARCHIVE_LINE: &str = r#"2026-11-24T05:50:02.118Z {"level":"info","ts":"2026-11-24T05:50:02.118Z","logger":"barman-cloud-check-wal-archive","msg":"2026-11-24 05:50:02,118 [42] ERROR: WAL archive check failed for server pg-orders: Expected empty archive","pipe":"stderr","logging_pod":"pg-orders-restore-1-full-recovery"}"#;
/// PostgreSQL's FATAL line, wrapped by the instance manager (cozystack PR 3383).
const TARGET_LINE: &str = r#"2026-11-24T05:41:09.812Z {"level":"info","ts":"2026-11-24T05:41:09.812Z","logger":"postgres","msg":"record","logging_pod":"pg-orders-restore-1-full-recovery","record":{"log_time":"2026-11-24 05:41:09.812 UTC","process_id":"31","session_id":"6742bc55.1f","error_severity":"FATAL","sql_state_code":"XX000","message":"recovery ended before configured recovery target was reached","backend_type":"startup"}}"#;

#[test]
fn a_restore_under_way_is_info_with_its_progress() {
    let out = run(&facts(
        vec![source(), restoring()],
        vec![job_pod(JOB_POD, "Running", "Running")],
        vec![tail(
            JOB_POD,
            "full-recovery",
            &[
                r#"{"level":"info","ts":"2026-11-24T05:58:40.201Z","msg":"Starting barman-cloud-restore","logging_pod":"pg-orders-restore-1-full-recovery","options":["--cloud-provider","aws-s3","s3://backups/orders/","pg-orders","20261124T020000"]}"#,
            ],
        )],
    ));
    assert_eq!(about_restore(&out), [("RST008", Severity::Info)]);
    let f = one(&out, "RST008");
    assert_eq!(
        f.summary,
        "Cluster orders/pg-orders-restore is being restored for 12m, from ObjectStore pg-orders-s3, server pg-orders to target latest: downloading the base backup"
    );
    assert!(
        f.evidence.iter().any(|e| e == "log orders/pg-orders-restore-1-full-recovery-x7k2p (full-recovery): Starting barman-cloud-restore"),
        "{:#?}",
        f.evidence
    );
    assert!(
        f.remedy.contains(
            "kubectl logs -f pg-orders-restore-1-full-recovery-x7k2p -n orders --all-containers"
        ),
        "{}",
        f.remedy
    );
    // Once healthy, the bootstrap section left in the spec means nothing.
    let done = ClusterRow {
        phase: "Cluster in healthy state".into(),
        ..restoring()
    };
    let out = run(&facts(vec![source(), done], vec![], vec![]));
    assert!(!codes(&out).contains(&"RST008"), "{:#?}", out.findings);
    // Restored long ago and rolling now: the recovery Job's pod that succeeded does not
    // make it a restore again.
    let rolling = ClusterRow {
        phase: "Waiting for the instances to become active".into(),
        ..restoring()
    };
    let out = run(&facts(
        vec![source(), rolling],
        vec![job_pod(JOB_POD, "Succeeded", "Completed")],
        vec![],
    ));
    assert!(
        !codes(&out).iter().any(|c| [
            "RST001", "RST002", "RST003", "RST004", "RST005", "RST006", "RST007", "RST008"
        ]
        .contains(c)),
        "{:#?}",
        out.findings
    );
}

#[test]
fn rst001_archiving_into_the_source_is_caught_before_and_after_it_fails() {
    // Archiving under the source's own server name: the check will refuse it.
    let mut c = restoring();
    if let Some(p) = c.plugin.as_mut() {
        p.server_name = Some("pg-orders".into());
    }
    let out = run(&facts(vec![source(), c.clone()], vec![], vec![]));
    assert_eq!(about_restore(&out), [("RST001", Severity::Critical)]);
    let f = one(&out, "RST001");
    assert!(f.summary.starts_with("The restore of Cluster orders/pg-orders-restore will stop at \"Expected empty archive\""), "{}", f.summary);
    assert!(
        f.evidence.contains(
            &"it restores from and archives to pg-orders-s3, server pg-orders".to_string()
        ),
        "{:#?}",
        f.evidence
    );
    assert!(
        f.evidence.contains(
            &"Cluster orders/pg-orders archives to pg-orders-s3, server pg-orders".to_string()
        ),
        "{:#?}",
        f.evidence
    );
    assert!(
        f.remedy.contains("serverName: pg-orders-restore-r1"),
        "{}",
        f.remedy
    );
    assert!(
        f.remedy
            .contains("kubectl delete cluster pg-orders-restore -n orders"),
        "{}",
        f.remedy
    );
    assert!(f.remedy.contains("strongly discourages"), "{}", f.remedy);
    // Said by the sidecar: stuck.
    let out = run(&facts(
        vec![source(), c.clone()],
        vec![job_pod(JOB_POD, "Running", "Running")],
        vec![tail(JOB_POD, "plugin-barman-cloud", &[EMPTY_ARCHIVE_LINE])],
    ));
    let f = one(&out, "RST001");
    assert!(f.summary.contains("is stuck"), "{}", f.summary);
    assert!(f.evidence.iter().any(|e| e.ends_with("barman-cloud-check-wal-archive: [42] ERROR: WAL archive check failed for server pg-orders: Expected empty archive")), "{:#?}", f.evidence);
    // The check switched off: CloudNativePG does not stop (CLU003 says the switch is off).
    c.annotations
        .insert("cnpg.io/skipEmptyWalArchiveCheck".into(), "enabled".into());
    let out = run(&facts(vec![source(), c], vec![], vec![]));
    assert!(!codes(&out).contains(&"RST001"), "{:#?}", out.findings);
}

#[test]
fn rst002_a_target_past_the_archive_from_the_log_and_from_the_clock() {
    let pods = vec![
        job_pod(JOB_POD, "Running", "Running"),
        job_pod("pg-orders-restore-1-full-recovery-4hq9z", "Failed", "Error"),
    ];
    let mut c = restoring();
    if let Some(r) = c.recovery.as_mut() {
        r.target.target_time = Some("2026-11-24 05:30:00.000000+00".into());
    }
    let out = run(&facts(
        vec![source(), c.clone()],
        pods,
        vec![tail(JOB_POD, "full-recovery", &[TARGET_LINE])],
    ));
    assert_eq!(about_restore(&out), [("RST002", Severity::Critical)]);
    let f = one(&out, "RST002");
    assert_eq!(
        f.summary,
        "The restore of Cluster orders/pg-orders-restore never converges: recovery ended before the configured target was reached (2 recovery pod(s) so far)"
    );
    assert!(f.evidence.iter().any(|e| e.ends_with("(full-recovery): postgres FATAL: recovery ended before configured recovery target was reached")), "{:#?}", f.evidence);
    assert!(f.remedy.contains("explicit offset"), "{}", f.remedy);
    // A target in the future can never be reached; a time without an offset is UTC.
    if let Some(r) = c.recovery.as_mut() {
        r.target.target_time = Some("2026-11-25 05:00:00".into());
    }
    let out = run(&facts(vec![source(), c], vec![], vec![]));
    let f = one(&out, "RST002");
    assert!(f.summary.contains("recoveryTarget.targetTime 2026-11-25T05:00:00Z (no offset: read as UTC) is in the future"), "{}", f.summary);
}

#[test]
fn rst003_a_plugin_backup_named_by_backup_name_is_seen_in_the_spec() {
    let mut c = restoring();
    c.plugin = None;
    if let Some(r) = c.recovery.as_mut() {
        r.source = None;
        r.origin = None;
        r.backup_name = Some("pg-orders-20261124020000".into());
    }
    let backup = |method: &str| BackupRow {
        namespace: NS.into(),
        name: "pg-orders-20261124020000".into(),
        cluster: "pg-orders".into(),
        method: method.into(),
        phase: "completed".into(),
        backup_id: Some("20261124T020004".into()),
        ..Default::default()
    };
    let mut f = facts(vec![source(), c.clone()], vec![], vec![]);
    f.snapshot.backups = live(vec![backup("plugin")]);
    let out = run(&f);
    assert_eq!(about_restore(&out), [("RST003", Severity::Critical)]);
    let rst = one(&out, "RST003");
    assert_eq!(
        rst.evidence[1],
        "Backup orders/pg-orders-20261124020000 spec.method: plugin (cluster pg-orders, backupId 20261124T020004)"
    );
    for want in [
        "source: origin",
        "backupID: 20261124T020004",
        "name: barman-cloud.cloudnative-pg.io",
        "barmanObjectName: pg-orders-s3",
        "serverName: pg-orders",
    ] {
        assert!(rst.remedy.contains(want), "{want} in {}", rst.remedy);
    }
    // An in-tree Backup by name is what CloudNativePG supports: no RST003.
    f.snapshot.backups = live(vec![backup("barmanObjectStore")]);
    assert!(!codes(&run(&f)).contains(&"RST003"));
}

#[test]
fn rst004_a_server_the_store_does_not_hold_and_credentials_it_refuses() {
    // No serverName: the plugin reads under the new Cluster's name, which the store lacks.
    let mut c = restoring();
    if let Some(p) = c
        .recovery
        .as_mut()
        .and_then(|r| r.origin.as_mut())
        .and_then(|o| o.plugin.as_mut())
    {
        p.server_name = None;
    }
    let out = run(&facts(vec![source(), c], vec![], vec![]));
    assert_eq!(about_restore(&out), [("RST004", Severity::Critical)]);
    let f = one(&out, "RST004");
    assert!(f.summary.contains("ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow holds servers pg-orders but not pg-orders-restore (serverName is not set: the plugin reads under the new Cluster's own name)"), "{}", f.summary);
    assert!(f.remedy.contains("serverName: pg-orders"), "{}", f.remedy);
    // The store refusing the credentials, said only by the log.
    let denied = r#"2026-11-24T05:52:11.004Z {"level":"info","ts":"2026-11-24T05:52:11.004Z","logger":"barman-cloud-backup-list","msg":"2026-11-24 05:52:11,004 [57] ERROR: Barman cloud backup list exception: An error occurred (InvalidAccessKeyId) when calling the ListObjectsV2 operation: The AWS Access Key Id you provided does not exist in our records.","pipe":"stderr","logging_pod":"pg-orders-restore-1-full-recovery"}"#;
    let out = run(&facts(
        vec![source(), restoring()],
        vec![job_pod(JOB_POD, "Running", "Running")],
        vec![tail(JOB_POD, "plugin-barman-cloud", &[denied])],
    ));
    let f = one(&out, "RST004");
    assert_eq!(
        f.summary,
        "The restore of Cluster orders/pg-orders-restore cannot read ObjectStore pg-orders-s3, server pg-orders: the store refuses the credentials or holds no backup there"
    );
    assert!(
        f.evidence.iter().any(|e| e.contains("InvalidAccessKeyId")),
        "{:#?}",
        f.evidence
    );
    assert!(f.remedy.contains("jq 'keys'"), "{}", f.remedy);
}

#[test]
fn rst005_the_restore_sidecar_oomkilled() {
    let mut pod = job_pod(JOB_POD, "Running", "Running");
    pod.containers[1] = ContainerState {
        name: "plugin-barman-cloud".into(),
        restarts: 2,
        last_reason: Some("OOMKilled".into()),
        last_at: Some(ago(0, 3)),
    };
    let out = run(&facts(vec![source(), restoring()], vec![pod], vec![]));
    assert_eq!(about_restore(&out), [("RST005", Severity::Critical)]);
    let f = one(&out, "RST005");
    assert_eq!(
        f.summary,
        "The restore of Cluster orders/pg-orders-restore fails: its plugin-barman-cloud restore sidecar was OOMKilled"
    );
    assert!(f.remedy.contains(r#"kubectl patch objectstore pg-orders-s3 -n orders --type=merge -p '{"spec":{"instanceSidecarConfiguration":{"resources":{"requests":{"memory":"512Mi"},"limits":{"memory":"2Gi"}}}}}'"#), "{}", f.remedy);
}

#[test]
fn rst006_endless_retries_and_the_phase_given_up_stays_with_its_cause() {
    let pods = vec![
        job_pod("pg-orders-restore-1-full-recovery-4hq9z", "Failed", "Error"),
        job_pod("pg-orders-restore-1-full-recovery-8kdm2", "Failed", "Error"),
        job_pod("pg-orders-restore-1-full-recovery-x7k2p", "Failed", "Error"),
    ];
    let mut c = restoring();
    c.phase = "Cluster is unrecoverable and needs manual intervention".into();
    c.phase_reason = Some("Instance creation failed for the following jobs: pg-orders-restore-1-full-recovery. Check the job logs to investigate the cause of the failure.".into());
    if let Some(r) = c.recovery.as_mut() {
        r.target.backup_id = Some("20261124T020004".into());
    }
    let mut f = facts(vec![source(), c], pods, vec![]);
    f.events = live(vec![EventRow {
        namespace: NS.into(),
        name: "pg-orders-restore-1-full-recovery.1879".into(),
        involved_kind: "Job".into(),
        involved_namespace: NS.into(),
        involved_name: "pg-orders-restore-1-full-recovery".into(),
        kind: "Warning".into(),
        reason: "BackoffLimitExceeded".into(),
        message: "Job has reached the specified backoff limit".into(),
        count: 1,
        last_seen: Some(ago(0, 2)),
        source: "job-controller".into(),
    }]);
    let out = run(&f);
    assert_eq!(about_restore(&out), [("RST006", Severity::Critical)]);
    let rst = one(&out, "RST006");
    assert_eq!(
        rst.summary,
        "The restore of Cluster orders/pg-orders-restore fails again and again (3 failed recovery attempt(s), backup 20261124T020004): the backup it restores is the suspect"
    );
    assert!(rst.evidence.contains(&"event Warning BackoffLimitExceeded on Job orders/pg-orders-restore-1-full-recovery: Job has reached the specified backoff limit".to_string()), "{:#?}", rst.evidence);
    assert!(
        rst.evidence
            .iter()
            .any(|e| e
                .ends_with("status.phase: Cluster is unrecoverable and needs manual intervention")),
        "{:#?}",
        rst.evidence
    );
    assert!(
        rst.remedy.contains("backupID: <an older backup ID>")
            && rst
                .remedy
                .contains("Report the backup that fails (20261124T020004)"),
        "{}",
        rst.remedy
    );
    // One failed attempt is not yet a loop.
    let one_failed = facts(
        vec![source(), restoring()],
        vec![job_pod(JOB_POD, "Failed", "Error")],
        vec![],
    );
    assert!(!codes(&run(&one_failed)).contains(&"RST006"));
}

#[test]
fn rst007_unrecoverable_without_a_known_cause_and_outside_a_restore() {
    let mut c = restoring();
    c.phase = "Cluster is unrecoverable and needs manual intervention".into();
    c.phase_reason = Some("No pods are active, the cluster needs manual intervention ".into());
    let out = run(&facts(vec![source(), c], vec![], vec![]));
    assert_eq!(about_restore(&out), [("RST007", Severity::Critical)]);
    assert!(
        one(&out, "RST007")
            .remedy
            .contains("backstop trees walk restore-failing")
    );
    // A Cluster that is not restoring: the upstream phase text still counts.
    let lost = ClusterRow {
        phase: "Cluster is unrecoverable and needs manual intervention".into(),
        phase_reason: Some("One or more instances were previously created, but no PersistentVolumeClaims (PVCs) exist. The cluster is in an unrecoverable state. To resolve this, restore the cluster from a recent backup.".into()),
        ..source()
    };
    let out = run(&facts(vec![lost], vec![], vec![]));
    let f = one(&out, "RST007");
    assert!(f.summary.starts_with("Cluster orders/pg-orders is unrecoverable and needs manual intervention: One or more instances"), "{}", f.summary);
    assert!(
        f.remedy
            .contains("backstop restore plan pg-orders -n orders"),
        "{}",
        f.remedy
    );
}

#[test]
fn the_bootstrap_init_container_shape_is_followed_too() {
    // cloudnative-pg PR 11319: the instance pod restores in its bootstrap-instance init
    // container; no Job.
    let pod = PodRow {
        namespace: NS.into(),
        name: "pg-orders-restore-1".into(),
        labels: labels(&[
            ("cnpg.io/cluster", RESTORE),
            ("cnpg.io/instanceName", "pg-orders-restore-1"),
            ("cnpg.io/podRole", "instance"),
        ]),
        status: "Init:2/3".into(),
        phase: "Pending".into(),
        images: vec![
            (
                "postgres".into(),
                "ghcr.io/cloudnative-pg/postgresql:17.6".into(),
            ),
            (
                "bootstrap-controller".into(),
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.29.0".into(),
            ),
            (
                "bootstrap-instance".into(),
                "ghcr.io/cloudnative-pg/postgresql:17.6".into(),
            ),
        ],
        created: Some(ago(0, 8)),
        ..Default::default()
    };
    let mut c = restoring();
    c.phase = String::new();
    let out = run(&facts(
        vec![source(), c],
        vec![pod],
        vec![tail(
            "pg-orders-restore-1",
            "bootstrap-instance",
            &[TARGET_LINE],
        )],
    ));
    assert_eq!(about_restore(&out), [("RST002", Severity::Critical)]);
}

#[test]
fn a_recovery_log_that_cannot_be_read_leaves_the_report_known() {
    let mut f = facts(
        vec![source(), restoring()],
        vec![job_pod(JOB_POD, "Pending", "Init:0/1")],
        vec![],
    );
    f.logs = vec![LogTail {
        lines: Err(
            "container \"full-recovery\" in pod is waiting to start: PodInitializing (400)".into(),
        ),
        ..tail(JOB_POD, "full-recovery", &[])
    }];
    let out = crate::assess::assess(&f, now(), &Thresholds::default());
    assert!(
        out.unknown.iter().all(|u| !u.reason.contains(JOB_POD)),
        "{:#?}",
        out.unknown
    );
}

#[test]
fn target_times_are_read_as_cloudnative_pg_reads_them() {
    use crate::assess::restore::target_time;
    let t = crate::assess::testing::at("2026-11-24T05:00:00Z");
    assert_eq!(target_time("2026-11-24T07:00:00+02:00"), Some((t, true)));
    assert_eq!(
        target_time("2026-11-24 05:00:00.000000+00"),
        Some((t, true))
    );
    assert_eq!(target_time("2026-11-24 05:00:00"), Some((t, false)));
    assert_eq!(target_time("yesterday"), None);
}
