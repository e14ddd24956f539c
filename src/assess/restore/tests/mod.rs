//! The restore area's rules on fixture rows shaped as CloudNativePG and the Barman Cloud
//! plugin write them: pg-orders archives to pg-orders-s3 under its own name; pg-orders-restore
//! restores from that store, its `<instance>-full-recovery` Job pod beside it. One cause at
//! a time, each beside the near miss that must not fire.

mod drills;
mod stuck;

use super::rules;
use crate::assess::testing::{self, ago, codes, labels, live, now, one, window};
use crate::assess::{Facts, Outcome, Severity, Thresholds};
use crate::model::domain::PLUGIN_NAME;
use crate::model::facts::LogTail;
use crate::model::recovery::{PluginSource, Recovery, RecoveryOrigin};
use crate::model::rows::{ClusterRow, ContainerState, PluginRef, PodRow};

const NS: &str = "orders";
const RESTORE: &str = "pg-orders-restore";
const JOB_POD: &str = "pg-orders-restore-1-full-recovery-x7k2p";

/// The source: healthy, archiving to pg-orders-s3, drilled a week ago.
fn source() -> ClusterRow {
    ClusterRow {
        last_passed_drill: Some(ago(24 * 7, 0)),
        phase: "Cluster in healthy state".into(),
        ..testing::cluster(NS, "pg-orders", "pg-orders-s3")
    }
}

/// A Cluster restoring from pg-orders-s3 (server pg-orders) and archiving under its own
/// name, as the plugin's documentation writes it; the first primary being set up.
fn restoring() -> ClusterRow {
    ClusterRow {
        namespace: NS.into(),
        name: RESTORE.into(),
        instances: Some(1),
        phase: "Setting up primary".into(),
        phase_reason: Some("Creating primary instance pg-orders-restore-1".into()),
        plugin: Some(PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some("pg-orders-s3".into()),
            server_name: Some("pg-orders-restore".into()),
        }),
        recovery_store: Some("pg-orders-s3".into()),
        recovery: Some(Recovery {
            source: Some("origin".into()),
            origin: Some(RecoveryOrigin {
                name: "origin".into(),
                plugin: Some(PluginSource {
                    name: PLUGIN_NAME.into(),
                    store: Some("pg-orders-s3".into()),
                    server_name: Some("pg-orders".into()),
                }),
                barman: None,
            }),
            ..Default::default()
        }),
        created: Some(ago(0, 12)),
        ..Default::default()
    }
}

/// The recovery Job's pod (cloudnative-pg `pkg/specs/jobs.go`), with the sidecar the
/// plugin injects (plugin-barman-cloud `internal/cnpgi/operator/lifecycle.go`).
fn job_pod(name: &str, phase: &str, status: &str) -> PodRow {
    PodRow {
        namespace: NS.into(),
        name: name.into(),
        labels: labels(&[
            ("cnpg.io/cluster", RESTORE),
            ("cnpg.io/instanceName", "pg-orders-restore-1"),
            ("cnpg.io/jobRole", "full-recovery"),
            ("job-name", "pg-orders-restore-1-full-recovery"),
        ]),
        ready: (0, 2),
        status: status.into(),
        phase: phase.into(),
        images: vec![
            (
                "full-recovery".into(),
                "ghcr.io/cloudnative-pg/postgresql:17.6".into(),
            ),
            (
                "bootstrap-controller".into(),
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.28.1".into(),
            ),
            (
                "plugin-barman-cloud".into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0".into(),
            ),
        ],
        sidecars: vec!["plugin-barman-cloud".into()],
        containers: vec![
            ContainerState {
                name: "full-recovery".into(),
                ..Default::default()
            },
            ContainerState {
                name: "plugin-barman-cloud".into(),
                ..Default::default()
            },
        ],
        created: Some(ago(0, 10)),
        ..Default::default()
    }
}

fn tail(pod: &str, container: &str, lines: &[&str]) -> LogTail {
    LogTail {
        namespace: NS.into(),
        pod: pod.into(),
        container: container.into(),
        lines: Ok(lines.iter().map(|l| l.to_string()).collect()),
    }
}

fn facts(clusters: Vec<ClusterRow>, pods: Vec<PodRow>, logs: Vec<LogTail>) -> Facts {
    let mut f = Facts::default();
    f.snapshot.clusters = live(clusters);
    f.snapshot.pods = live(pods);
    f.snapshot.backups = live(vec![]);
    f.snapshot.object_stores = live(vec![testing::store(
        NS,
        "pg-orders-s3",
        vec![window("pg-orders", Some(ago(4, 0)), None)],
    )]);
    f.events = live(vec![]);
    f.logs = logs;
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

/// The findings about the restoring Cluster only.
fn about_restore(out: &Outcome) -> Vec<(&'static str, Severity)> {
    out.findings
        .iter()
        .filter(|f| f.object.name == RESTORE)
        .map(|f| (f.code, f.severity))
        .collect()
}
