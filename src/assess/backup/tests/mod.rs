//! The backup area's rules on fixture rows: pg-orders with daily plugin backups, healthy;
//! then one fault at a time, each beside the near miss that must not fire.

mod age;
mod config;
mod failures;
mod store;

use chrono::{DateTime, TimeDelta, Utc};

use super::rules;
use crate::assess::testing::{self, ago, codes, live, now, one, state, window};
use crate::assess::{Facts, Finding, Outcome, Severity, Thresholds};
use crate::model::rows::{
    BackupRow, ClusterRow, Condition, EventRow, ObjectStoreRow, PluginRef, ScheduledBackupRow,
};
use crate::model::{KindState, SyncState};

fn cluster() -> ClusterRow {
    testing::cluster("orders", "pg-orders", "pg-orders-s3")
}

fn store(last_success: Option<DateTime<Utc>>) -> ObjectStoreRow {
    testing::store(
        "orders",
        "pg-orders-s3",
        vec![window("pg-orders", last_success, None)],
    )
}

/// A backup created `hours` ago that took `minutes` (None: not finished).
fn backup(name: &str, phase: &str, created: DateTime<Utc>, minutes: Option<i64>) -> BackupRow {
    BackupRow {
        namespace: "orders".into(),
        name: name.into(),
        cluster: "pg-orders".into(),
        method: "plugin".into(),
        phase: phase.into(),
        started: (phase != "pending").then_some(created + TimeDelta::seconds(5)),
        stopped: minutes.map(|m| created + TimeDelta::seconds(5) + TimeDelta::minutes(m)),
        created: Some(created),
        pod: Some("pg-orders-2".into()),
        scheduled_by: Some("pg-orders-daily".into()),
        ..Default::default()
    }
}

fn scheduled(method: Option<&str>, suspended: bool) -> ScheduledBackupRow {
    ScheduledBackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily".into(),
        cluster: "pg-orders".into(),
        schedule: "0 0 2 * * *".into(),
        suspended,
        method: method.map(str::to_string),
        last: Some(ago(4, 0)),
        ..Default::default()
    }
}

fn healthy() -> Facts {
    let mut f = Facts::default();
    f.snapshot.clusters = live(vec![cluster()]);
    f.snapshot.object_stores = live(vec![store(Some(ago(3, 55)))]);
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261123020000",
            "completed",
            ago(28, 0),
            Some(4),
        ),
        backup(
            "pg-orders-daily-20261124020000",
            "completed",
            ago(4, 0),
            Some(4),
        ),
    ]);
    f.snapshot.scheduled = live(vec![scheduled(Some("plugin"), false)]);
    f.events = live(vec![]);
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

fn subject(x: &Finding) -> (&str, &str, &str) {
    (x.object.kind.name(), &x.object.namespace, &x.object.name)
}
