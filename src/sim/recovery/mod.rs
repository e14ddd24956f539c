//! The recovery CloudNativePG (1.30, with the Barman Cloud plugin 0.14) plays when a Cluster
//! bootstraps from a backup (`spec.bootstrap.recovery`): the `<cluster>-1-full-recovery`
//! Job or the instance pod's bootstrap init container, the restore's log lines as the
//! instance manager, the plugin, barman-cloud and PostgreSQL write them, the Cluster's
//! phases, and each known way it fails when the scenario holds its cause.
//!
//! `plan.rs` decides what happens from the objects, `play.rs` acts it out over time,
//! `objects.rs` and `lines.rs` hold the shapes and texts.

mod ctx;
mod lines;
mod objects;
mod plan;
mod play;
mod script;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

pub use self::plan::{Failure, Shape, Via, parse_target};
use super::archiver::quantity;
use super::logs::LiveLogs;
use super::scenario::{ArchiverSpec, PostgresSpec, RecoverySpec};
use super::store::{Change, ChangeType, Store};

/// The scenario's recovery settings, resolved.
#[derive(Debug, Clone)]
pub struct Settings {
    pub shape: Shape,
    pub step: Duration,
    pub retry_backoff: Duration,
    pub corrupt: Vec<String>,
    pub restore_memory: Option<u64>,
    pub reject_credentials: bool,
}

impl Settings {
    pub fn from_spec(spec: &RecoverySpec) -> Settings {
        Settings {
            shape: match spec.shape.as_deref() {
                Some("initContainer") => Shape::InitContainer,
                _ => Shape::Job,
            },
            step: spec.step.unwrap_or(Duration::from_millis(200)),
            retry_backoff: spec.retry_backoff.unwrap_or(Duration::from_secs(1)),
            corrupt: spec.corrupt_backups.clone(),
            restore_memory: spec.restore_memory.as_deref().and_then(quantity),
            reject_credentials: spec.reject_credentials,
        }
    }
}

/// The recovery controller: its settings, the logs it writes, and its running recoveries.
pub struct Recovery {
    settings: Settings,
    logs: LiveLogs,
    archivers: Vec<ArchiverSpec>,
    /// The scenario's clock minus the wall clock (as the archivers keep it).
    offset: chrono::Duration,
    tasks: Mutex<HashMap<(String, String), tokio::task::AbortHandle>>,
    postgres: Option<PostgresSpec>,
}

impl Recovery {
    pub fn new(
        spec: &RecoverySpec,
        archivers: Vec<ArchiverSpec>,
        clock: Option<DateTime<Utc>>,
        logs: LiveLogs,
    ) -> Arc<Recovery> {
        let wall = Utc::now();
        Arc::new(Recovery {
            settings: Settings::from_spec(spec),
            logs,
            archivers,
            offset: clock.unwrap_or(wall) - wall,
            tasks: Mutex::new(HashMap::new()),
            postgres: spec.postgres.clone(),
        })
    }

    /// The real PostgreSQL `pods/exec` runs psql against, when the scenario names one.
    pub fn postgres(&self) -> Option<&PostgresSpec> {
        self.postgres.as_ref()
    }

    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    fn tasks(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<(String, String), tokio::task::AbortHandle>> {
        self.tasks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The hook of the controllers' loop: starts a recovery for a new recovery Cluster,
    /// stops it (and collects what it made) when the Cluster or its namespace goes.
    pub fn on_change(self: &Arc<Self>, store: &Arc<Store>, change: &Change) {
        let (group, plural) = (change.key.0.as_str(), change.key.1.as_str());
        let str_at = |p: &str| change.obj.pointer(p).and_then(Value::as_str).unwrap_or("");
        let (ns, name) = (
            str_at("/metadata/namespace").to_string(),
            str_at("/metadata/name").to_string(),
        );
        match (group, plural, change.kind) {
            ("postgresql.cnpg.io", "clusters", ChangeType::Added) => {
                if change.obj.pointer("/spec/bootstrap/recovery").is_none()
                    || change.obj.pointer("/status/phase").is_some()
                {
                    return;
                }
                let plan = plan::plan(
                    store,
                    &change.obj,
                    &self.settings,
                    &self.archivers,
                    self.now(),
                );
                tracing::info!(ns, cluster = name, failure = ?plan.failure, "simulating a recovery");
                let task = tokio::spawn(play::run(self.clone(), store.clone(), plan));
                if let Some(old) = self.tasks().insert((ns, name), task.abort_handle()) {
                    old.abort();
                }
            }
            ("postgresql.cnpg.io", "clusters", ChangeType::Deleted) => {
                if let Some(t) = self.tasks().remove(&(ns.clone(), name.clone())) {
                    t.abort();
                }
                let uid = str_at("/metadata/uid").to_string();
                play::collect(self, store, &ns, &uid);
            }
            ("", "namespaces", ChangeType::Deleted) => {
                let ns = name;
                self.tasks().retain(|(n, _), t| {
                    if *n == ns {
                        t.abort();
                    }
                    *n != ns
                });
                self.logs.forget(&ns, None);
            }
            _ => {}
        }
    }
}
