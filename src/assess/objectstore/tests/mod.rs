//! The object store area's rules on fixture rows: pg-orders with its store, secret and
//! pods, healthy; then one fault at a time, each beside the near miss that must not fire.

mod errors;
mod secrets;
mod stores;

use chrono::{DateTime, TimeDelta, Utc};

use super::rules;
use crate::assess::testing::{
    ago, cluster, codes, forbidden, labels, live, now, one, state, store, window,
};
use crate::assess::{Facts, Kind, Outcome, Severity, Thresholds};
use crate::model::SyncState;
use crate::model::domain::{CLUSTER_LABEL, SIDECAR};
use crate::model::facts::{EndpointProbe, LogTail};
use crate::model::rows::{BackupRow, ClusterRow, Condition, PodRow, SecretRow};

fn secret(ns: &str, name: &str, keys: &[&str]) -> SecretRow {
    SecretRow {
        namespace: ns.into(),
        name: name.into(),
        keys: keys.iter().map(|k| k.to_string()).collect(),
    }
}

fn backup(name: &str, phase: &str, created: DateTime<Utc>, error: Option<&str>) -> BackupRow {
    BackupRow {
        namespace: "orders".into(),
        name: name.into(),
        cluster: "pg-orders".into(),
        method: "plugin".into(),
        phase: phase.into(),
        error: error.map(str::to_string),
        started: Some(created + TimeDelta::seconds(5)),
        stopped: (phase == "completed").then_some(created + TimeDelta::minutes(4)),
        created: Some(created),
        pod: Some("pg-orders-2".into()),
        ..Default::default()
    }
}

fn pod(ns: &str, name: &str, cluster: &str) -> PodRow {
    PodRow {
        namespace: ns.into(),
        name: name.into(),
        labels: labels(&[(CLUSTER_LABEL, cluster)]),
        ..Default::default()
    }
}

fn log(ns: &str, pod: &str, lines: &[&str]) -> LogTail {
    LogTail {
        namespace: ns.into(),
        pod: pod.into(),
        container: SIDECAR.into(),
        lines: Ok(lines.iter().map(|l| l.to_string()).collect()),
    }
}

/// pg-orders in orders, with its store, secret and pods, all healthy.
fn healthy() -> Facts {
    let mut f = Facts::default();
    f.snapshot.clusters = live(vec![cluster("orders", "pg-orders", "pg-orders-s3")]);
    f.snapshot.object_stores = live(vec![store(
        "orders",
        "pg-orders-s3",
        vec![window("pg-orders", Some(ago(4, 0)), None)],
    )]);
    f.snapshot.backups = live(vec![backup(
        "pg-orders-daily-20261124020000",
        "completed",
        ago(4, 0),
        None,
    )]);
    f.snapshot.pods = live(vec![
        pod("orders", "pg-orders-1", "pg-orders"),
        pod("orders", "pg-orders-2", "pg-orders"),
    ]);
    f.secrets = live(vec![secret(
        "orders",
        "creds",
        &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"],
    )]);
    f.events = live(vec![]);
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

const SIG: &str = "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4: ERROR: Barman cloud backup exception: An error occurred (SignatureDoesNotMatch) when calling the CreateMultipartUpload operation";

fn probe(result: Result<(), String>) -> EndpointProbe {
    EndpointProbe {
        namespace: "orders".into(),
        store: "pg-orders-s3".into(),
        endpoint: "minio.storage:9000".into(),
        result,
    }
}

fn archiving_failing(message: &str) -> ClusterRow {
    let mut c = cluster("orders", "pg-orders", "pg-orders-s3");
    c.conditions = vec![Condition {
        kind: "ContinuousArchiving".into(),
        status: "False".into(),
        reason: "ContinuousArchivingFailing".into(),
        message: message.into(),
        since: Some(ago(8, 0)),
    }];
    c
}
