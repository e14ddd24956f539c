//! `restore_in_progress`, `log_matches` on recovery pods, and the restore-failing tree
//! walked on autopilot to each cause's leaf, about the restoring Cluster.

use super::*;
use crate::model::domain::PLUGIN_NAME;
use crate::model::recovery::{PluginSource, Recovery, RecoveryOrigin};
use crate::trees::walk::autopilot;

const JOB_POD: &str = "pg-restore-1-full-recovery-x7k2p";

/// pg archives to store; pg-restore restores from it (server pg), archiving under its name.
fn restoring() -> ClusterRow {
    ClusterRow {
        namespace: "db".into(),
        name: "pg-restore".into(),
        phase: "Setting up primary".into(),
        plugin: Some(PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some("store".into()),
            server_name: Some("pg-restore".into()),
        }),
        recovery: Some(Recovery {
            source: Some("origin".into()),
            origin: Some(RecoveryOrigin {
                name: "origin".into(),
                plugin: Some(PluginSource {
                    name: PLUGIN_NAME.into(),
                    store: Some("store".into()),
                    server_name: Some("pg".into()),
                }),
                barman: None,
            }),
            ..Default::default()
        }),
        created: Some(at("2026-11-24T05:48:00Z")),
        ..Default::default()
    }
}

fn job_pod() -> PodRow {
    PodRow {
        namespace: "db".into(),
        name: JOB_POD.into(),
        labels: labels(&[
            ("cnpg.io/cluster", "pg-restore"),
            ("cnpg.io/jobRole", "full-recovery"),
        ]),
        status: "Running".into(),
        phase: "Running".into(),
        images: vec![
            (
                "full-recovery".into(),
                "ghcr.io/cloudnative-pg/postgresql:17.6".into(),
            ),
            (
                "plugin-barman-cloud".into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0".into(),
            ),
        ],
        sidecars: vec!["plugin-barman-cloud".into()],
        containers: vec![ContainerState {
            name: "plugin-barman-cloud".into(),
            ..Default::default()
        }],
        created: Some(at("2026-11-24T05:50:00Z")),
        ..Default::default()
    }
}

fn store() -> ObjectStoreRow {
    ObjectStoreRow {
        namespace: "db".into(),
        name: "store".into(),
        servers: vec![ServerWindow {
            server: "pg".into(),
            first_point: Some(at("2026-10-25T02:00:00Z")),
            last_success: Some(at("2026-11-24T02:05:00Z")),
            last_failure: None,
        }],
        ..Default::default()
    }
}

fn facts(restore: ClusterRow, pods: Vec<PodRow>, logs: Vec<(&str, &str)>) -> Facts {
    let mut source = cluster("pg", "store");
    source.last_passed_drill = Some(at("2026-11-20T03:00:00Z"));
    source.phase = "Cluster in healthy state".into();
    let mut f = Facts::default();
    f.snapshot.clusters = live(vec![source, restore]);
    f.snapshot.pods = live(pods);
    f.snapshot.backups = live(vec![]);
    f.snapshot.object_stores = live(vec![store()]);
    f.events = live(vec![]);
    f.logs = logs
        .into_iter()
        .map(|(container, line)| LogTail {
            namespace: "db".into(),
            pod: JOB_POD.into(),
            container: container.into(),
            lines: Ok(vec![line.to_string()]),
        })
        .collect();
    f
}

/// Where autopilot ends on the restore tree, walked from the restoring Cluster.
fn leaf(f: &Facts) -> String {
    let tree = crate::trees::builtin()
        .into_iter()
        .find(|t| t.name == "restore-failing")
        .expect("the built-in restore tree");
    let assessed = crate::assess::assess(f, at(NOW), &Default::default());
    let ctx = ObjectRef::new(Kind::Cluster, "db", "pg-restore");
    let env = Env {
        facts: f,
        assessed: &assessed,
        context: Some(&ctx),
        now: at(NOW),
        git: None,
    };
    autopilot(&tree, &env).1.label()
}

#[test]
fn restore_in_progress_is_scoped_to_the_walks_cluster() {
    let f = facts(restoring(), vec![job_pod()], vec![]);
    let check = Check::RestoreInProgress {};
    assert_eq!(
        on(check.clone(), &f),
        said(
            Verdict::Pass,
            "1 Cluster(s) being restored",
            &[&format!(
                "Cluster db/pg-restore phase \"Setting up primary\", target latest, pod {JOB_POD} Running"
            )]
        )
    );
    let source = ObjectRef::new(Kind::Cluster, "db", "pg");
    assert_eq!(
        ask(&check, &f, &Assessed::default(), Some(&source)).verdict,
        Verdict::Fail
    );
    let mut unread = f.clone();
    unread.snapshot.clusters = state(forbidden("clusters"));
    assert_eq!(on(check, &unread).verdict, Verdict::Unknown);
}

#[test]
fn recovery_logs_are_their_own_source() {
    let line = r#"{"level":"info","ts":"2026-11-24T05:50:02Z","logger":"barman-cloud-check-wal-archive","msg":"ERROR: WAL archive check failed for server pg: Expected empty archive"}"#;
    let f = facts(
        restoring(),
        vec![job_pod()],
        vec![("plugin-barman-cloud", line)],
    );
    let check = |container| Check::LogMatches {
        pattern: "expected empty archive".into(),
        container,
    };
    assert_eq!(on(check(LogSource::Recovery), &f).verdict, Verdict::Pass);
    // Neither the plugin's log nor an instance's sidecar, though named like one.
    assert_eq!(on(check(LogSource::Sidecar), &f).verdict, Verdict::Unknown);
    assert_eq!(on(check(LogSource::Plugin), &f).verdict, Verdict::Unknown);
}

#[test]
fn each_restore_failure_walks_to_its_leaf() {
    assert_eq!(
        leaf(&facts(restoring(), vec![job_pod()], vec![])),
        "progressing"
    );

    let mut same = restoring();
    if let Some(p) = same.plugin.as_mut() {
        p.server_name = Some("pg".into());
    }
    assert_eq!(leaf(&facts(same, vec![], vec![])), "archive-not-empty");

    let mut by_name = restoring();
    by_name.plugin = None;
    if let Some(r) = by_name.recovery.as_mut() {
        r.source = None;
        r.origin = None;
        r.backup_name = Some("pg-20261124020000".into());
    }
    let mut f = facts(by_name, vec![], vec![]);
    f.snapshot.backups = live(vec![BackupRow {
        namespace: "db".into(),
        name: "pg-20261124020000".into(),
        cluster: "pg".into(),
        method: "plugin".into(),
        phase: "completed".into(),
        ..Default::default()
    }]);
    assert_eq!(leaf(&f), "backup-by-name");

    let mut wrong_server = restoring();
    if let Some(p) = wrong_server
        .recovery
        .as_mut()
        .and_then(|r| r.origin.as_mut())
        .and_then(|o| o.plugin.as_mut())
    {
        p.server_name = Some("pg-old".into());
    }
    assert_eq!(leaf(&facts(wrong_server, vec![], vec![])), "source-wrong");

    let fatal = r#"{"level":"info","ts":"2026-11-24T05:55:00Z","logger":"postgres","msg":"record","record":{"error_severity":"FATAL","message":"recovery ended before configured recovery target was reached"}}"#;
    assert_eq!(
        leaf(&facts(
            restoring(),
            vec![job_pod()],
            vec![("full-recovery", fatal)]
        )),
        "target-beyond-archive"
    );

    let mut oom = job_pod();
    oom.containers[0].last_reason = Some("OOMKilled".into());
    assert_eq!(leaf(&facts(restoring(), vec![oom], vec![])), "sidecar-oom");

    let failed = |suffix: &str| PodRow {
        name: format!("pg-restore-1-full-recovery-{suffix}"),
        phase: "Failed".into(),
        status: "Error".into(),
        ..job_pod()
    };
    assert_eq!(
        leaf(&facts(
            restoring(),
            vec![failed("4hq9z"), failed("8kdm2")],
            vec![]
        )),
        "bad-backup"
    );

    let mut gave_up = restoring();
    gave_up.phase = "Cluster is unrecoverable and needs manual intervention".into();
    assert_eq!(leaf(&facts(gave_up, vec![], vec![])), "unrecoverable");
}
