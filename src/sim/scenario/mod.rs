//! Scenarios: plain Kubernetes YAML (a List, multi-document files, folders) plus an
//! optional `kind: Scenario` document for logs, a timeline and faults. See docs/SCENARIOS.md.

mod clock;
mod endpoint;
mod load;
mod overlay;
mod parse;

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

pub use self::clock::shift_times;
pub use self::endpoint::{ObjectStoreEndpoint, resolve_postgres};
pub use self::load::load;
use super::faults::{ErrorRule, Forbid};
use super::registry::split_api_version;
pub use crate::model::kubefmt::parse_duration;

pub use crate::model::domain::SCENARIO_API_VERSION;

/// The scenarios embedded in the binary, in the order `sim list` shows them.
pub const BUILTIN: &[(&str, &str)] = &[
    ("healthy", include_str!("../scenarios/healthy.yaml")),
    (
        "gitignore-trap",
        include_str!("../scenarios/gitignore-trap.yaml"),
    ),
    (
        "plugin-crashloop-oom",
        include_str!("../scenarios/plugin-crashloop-oom.yaml"),
    ),
    (
        "objectstore-credentials",
        include_str!("../scenarios/objectstore-credentials.yaml"),
    ),
    (
        "slow-backups",
        include_str!("../scenarios/slow-backups.yaml"),
    ),
    (
        "flux-stuck-dependency",
        include_str!("../scenarios/flux-stuck-dependency.yaml"),
    ),
    (
        "restore-drill",
        include_str!("../scenarios/restore-drill.yaml"),
    ),
    (
        "legacy-fleet",
        include_str!("../scenarios/legacy-fleet.yaml"),
    ),
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ScenarioError {
    #[error("{0}")]
    Invalid(String),
    #[error("cannot read {path}: {message}")]
    Io { path: String, message: String },
    #[error("no scenario named '{0}': give a built-in name ({names}) or a file or folder of YAML", names = builtin_names().join(", "))]
    Unknown(String),
}

pub fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let s = String::deserialize(d)?;
    parse_duration(&s).map_err(serde::de::Error::custom)
}

fn de_opt_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let s = Option::<String>::deserialize(d)?;
    s.map(|s| parse_duration(&s).map_err(serde::de::Error::custom))
        .transpose()
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub namespace: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Clock {
    pub anchor: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GenerateSpec {
    pub per_second: f64,
    pub lines: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LogSpec {
    /// `namespace/name`
    pub pod: String,
    pub container: String,
    #[serde(default)]
    pub lines: Vec<String>,
    #[serde(default)]
    pub previous: Vec<String>,
    #[serde(default)]
    pub generate: Option<GenerateSpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PatchStep {
    #[serde(rename = "ref")]
    pub target: ObjRef,
    pub merge: Value,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RestartStep {
    /// `namespace/name`
    pub pod: String,
    pub container: String,
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub then: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EventStep {
    pub involved: ObjRef,
    #[serde(default = "normal")]
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub message: String,
    #[serde(default)]
    pub source: Option<String>,
}

fn normal() -> String {
    "Normal".into()
}

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Apply(Value),
    Patch(PatchStep),
    Delete(ObjRef),
    Restart(RestartStep),
    Event(EventStep),
}

#[derive(Debug, Clone, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawStep {
    #[serde(default, deserialize_with = "de_opt_duration")]
    after: Option<Duration>,
    #[serde(default)]
    apply: Option<Value>,
    #[serde(default)]
    patch: Option<PatchStep>,
    #[serde(default)]
    delete: Option<ObjRef>,
    #[serde(default)]
    restart: Option<RestartStep>,
    #[serde(default)]
    event: Option<EventStep>,
}

impl RawStep {
    fn action(self) -> Result<(Duration, Action), String> {
        let after = self.after.unwrap_or_default();
        let mut actions: Vec<Action> = Vec::new();
        actions.extend(self.apply.map(Action::Apply));
        actions.extend(self.patch.map(Action::Patch));
        actions.extend(self.delete.map(Action::Delete));
        actions.extend(self.restart.map(Action::Restart));
        actions.extend(self.event.map(Action::Event));
        match actions.len() {
            1 => Ok((after, actions.remove(0))),
            0 => Err("a step needs one action: apply, patch, delete, restart or event".into()),
            _ => Err("a step has more than one action: give each its own step".into()),
        }
    }
}

// Not deny_unknown_fields: the flattened map takes the inline action, which is then read
// as a step, and that rejects unknown fields.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
struct RawEntry {
    #[serde(deserialize_with = "de_duration")]
    at: Duration,
    #[serde(default, deserialize_with = "de_opt_duration")]
    every: Option<Duration>,
    #[serde(default)]
    steps: Vec<RawStep>,
    #[serde(flatten)]
    inline: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    pub at: Duration,
    pub every: Option<Duration>,
    pub steps: Vec<(Duration, Action)>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FaultSpec {
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub latency: Option<Duration>,
    #[serde(default)]
    pub errors: Vec<ErrorRule>,
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub drop_watches_after: Option<Duration>,
    #[serde(default)]
    pub expire_next_watch: bool,
    #[serde(default)]
    pub forbidden: Vec<Forbid>,
}

/// What a Cluster's primary answers through `pods/proxy`: the instance manager's archiver
/// fields (`/pg/status`), the exporter's (`/metrics`) and its WAL volume's usage (the
/// kubelet's stats summary). Times are RFC3339 and move with the scenario's clock.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArchiverSpec {
    /// `namespace/name` of the Cluster.
    pub cluster: String,
    #[serde(default)]
    pub ready_wal_files: u64,
    /// WAL files added to the backlog each hour the simulator runs (archiving stuck).
    #[serde(default)]
    pub ready_wal_files_per_hour: f64,
    #[serde(default, rename = "lastArchivedWAL")]
    pub last_archived_wal: Option<String>,
    #[serde(default, rename = "lastArchivedWALTime")]
    pub last_archived_wal_time: Option<String>,
    #[serde(default, rename = "lastFailedWAL")]
    pub last_failed_wal: Option<String>,
    #[serde(default, rename = "lastFailedWALTime")]
    pub last_failed_wal_time: Option<String>,
    #[serde(default)]
    pub wal_volume: Option<WalVolumeSpec>,
    /// How the API server fails to reach the pod: `refused` (nothing listens) or `timeout`
    /// (a NetworkPolicy drops the traffic). Absent: it answers.
    #[serde(default)]
    pub unreachable: Option<String>,
}

/// The volume holding pg_wal, as quantities (`10Gi`).
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct WalVolumeSpec {
    #[serde(default)]
    pub capacity: Option<String>,
    pub used: String,
    #[serde(default)]
    pub growth_per_hour: Option<String>,
}

/// How the simulated CloudNativePG plays a recovery (`bootstrap.recovery`): its shape, its
/// pace and the defects the scenario plants. See docs/SCENARIOS.md.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RecoverySpec {
    /// `job` (the `<cluster>-1-full-recovery` Job, the default) or `initContainer` (the
    /// bootstrap runs in the instance pod's `bootstrap-instance` init container).
    #[serde(default)]
    pub shape: Option<String>,
    /// The pace of one recovery step (default 200ms: a success takes a few seconds).
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub step: Option<Duration>,
    /// The wait before the first retry of a failed attempt, doubled at each retry (default
    /// 1s; Kubernetes waits 10s).
    #[serde(default, deserialize_with = "de_opt_duration")]
    pub retry_backoff: Option<Duration>,
    /// Base backup IDs (`20261124T020005`) whose restore cannot reach consistency.
    #[serde(default)]
    pub corrupt_backups: Vec<String>,
    /// The memory the restore needs (a quantity): a restore sidecar limited below it is
    /// OOMKilled.
    #[serde(default)]
    pub restore_memory: Option<String>,
    /// The object store refuses the recovery's credentials.
    #[serde(default)]
    pub reject_credentials: bool,
    /// A real PostgreSQL on loopback that `pods/exec` runs `psql` against (nothing else
    /// runs through exec). Values may be `${env:NAME}` or `${file:PATH}`.
    #[serde(default)]
    pub postgres: Option<PostgresSpec>,
}

/// Where the real PostgreSQL behind `pods/exec` listens, and as whom psql connects.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PostgresSpec {
    /// `127.0.0.1`, `::1`, `localhost`, or a socket directory.
    pub host: String,
    pub port: String,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub database: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawSpec {
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    base: Option<String>,
    #[serde(default)]
    expect: Vec<String>,
    #[serde(default)]
    remove: Vec<ObjRef>,
    #[serde(default)]
    clock: Option<Clock>,
    #[serde(default)]
    logs: Vec<LogSpec>,
    #[serde(default)]
    timeline: Vec<RawEntry>,
    #[serde(default)]
    faults: Option<FaultSpec>,
    #[serde(default)]
    archivers: Vec<ArchiverSpec>,
    #[serde(default)]
    object_store: Option<ObjectStoreEndpoint>,
    #[serde(default)]
    recovery: Option<RecoverySpec>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawScenarioDoc {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    metadata: Option<BTreeMap<String, Value>>,
    #[serde(default)]
    spec: RawSpec,
}

/// A scenario ready to load: its objects with timestamps already moved to the present.
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub expect: Vec<String>,
    pub objects: Vec<Value>,
    pub logs: Vec<LogSpec>,
    pub timeline: Vec<TimelineEntry>,
    pub faults: FaultSpec,
    /// What each Cluster's primary answers through `pods/proxy`.
    pub archivers: Vec<ArchiverSpec>,
    /// A real S3 endpoint the ObjectStores are pointed at (applied once, on the whole
    /// scenario, base included).
    pub object_store: Option<ObjectStoreEndpoint>,
    /// How the simulated CloudNativePG plays a recovery.
    pub recovery: RecoverySpec,
    /// How far the scenario's timestamps were moved (now - anchor).
    pub shift: chrono::Duration,
    /// The instant the scenario was loaded for: its objects' times are relative to it, and
    /// so must be what the simulator makes up while it runs (None: the wall clock).
    pub now: Option<chrono::DateTime<chrono::Utc>>,
}

/// Identity of an object within a scenario: (group, kind, namespace, name).
pub type Identity = (String, String, String, String);

pub fn identity(obj: &Value) -> Identity {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let av = s("/apiVersion");
    let (group, _) = split_api_version(&av);
    (
        group.to_string(),
        s("/kind"),
        s("/metadata/namespace"),
        s("/metadata/name"),
    )
}

fn describe(id: &Identity) -> String {
    if id.2.is_empty() {
        format!("{} {}", id.1, id.3)
    } else {
        format!("{} {}/{}", id.1, id.2, id.3)
    }
}

#[cfg(test)]
mod tests;
