//! Compact rows: what the panes show and the health rules read, a few hundred bytes each
//! instead of a whole object (the projection from cluster objects is `cluster::project`).
//! Lenient: every field is optional, unknown values are kept as text.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// (namespace, name): the order rows are kept in.
pub type Key = (String, String);

/// A row kept in a watched store.
pub trait Row: Clone + Send + Sync + std::fmt::Debug + 'static {
    fn key(&self) -> Key;
    fn namespace(&self) -> &str;
}

/// Every row type names its object by `namespace` and `name` fields.
macro_rules! rows_keyed_by_name {
    ($($row:ty),* $(,)?) => {$(
        impl Row for $row {
            fn key(&self) -> Key {
                (self.namespace.clone(), self.name.clone())
            }
            fn namespace(&self) -> &str {
                &self.namespace
            }
        }
    )*};
}

rows_keyed_by_name!(
    PodRow,
    ServiceRow,
    ObjectStoreRow,
    BackupRow,
    ClusterRow,
    ScheduledBackupRow,
    KustomizationRow,
    GitRepositoryRow,
    HelmReleaseRow,
    DeploymentRow,
    SecretRow,
    CertificateRow,
    EventRow,
);

/// A status condition, verbatim.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Condition {
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub since: Option<DateTime<Utc>>,
}

impl Condition {
    pub fn is_true(&self) -> bool {
        self.status == "True"
    }
}

pub fn condition<'a>(list: &'a [Condition], kind: &str) -> Option<&'a Condition> {
    list.iter().find(|c| c.kind == kind)
}

/// The tag of an image reference (`ghcr.io/x/y:v0.14.0` → `v0.14.0`), or its digest's start.
pub fn image_tag(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        return digest.chars().take(19).collect();
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) => tag.to_string(),
        None => "latest".to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodRow {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub ready: (usize, usize),
    /// STATUS as kubectl prints it: Running, CrashLoopBackOff, Init:0/1, Terminating...
    pub status: String,
    pub phase: String,
    pub restarts: i64,
    pub last_termination: Option<String>,
    pub last_termination_at: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    /// (container, image) for containers then init containers.
    pub images: Vec<(String, String)>,
    /// Init containers that run beside the others (native sidecars).
    pub sidecars: Vec<String>,
    /// Each running container's restarts and last termination (containers, then native
    /// sidecars): which one restarts matters (the plugin sidecar of an instance, say).
    pub containers: Vec<ContainerState>,
    pub node: Option<String>,
}

impl PodRow {
    pub fn image_of(&self, container: &str) -> Option<&str> {
        self.images
            .iter()
            .find(|(c, _)| c == container)
            .map(|(_, i)| i.as_str())
    }

    pub fn is_ready(&self) -> bool {
        self.ready.1 > 0 && self.ready.0 == self.ready.1
    }
}

/// One container's restart record.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ContainerState {
    pub name: String,
    pub restarts: i64,
    /// `lastState.terminated.reason`, e.g. OOMKilled, Error.
    pub last_reason: Option<String>,
    pub last_at: Option<DateTime<Utc>>,
}

/// A Service: the plugin is found through the one labelled with its name.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRow {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub selector: BTreeMap<String, String>,
}

impl ServiceRow {
    /// Whether a pod is one this Service sends traffic to.
    pub fn selects(&self, pod: &PodRow) -> bool {
        pod.namespace == self.namespace
            && !self.selector.is_empty()
            && self
                .selector
                .iter()
                .all(|(k, v)| pod.labels.get(k) == Some(v))
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServerWindow {
    pub server: String,
    pub first_point: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub last_failure: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ObjectStoreRow {
    pub namespace: String,
    pub name: String,
    pub destination: String,
    pub endpoint: Option<String>,
    pub provider: String,
    pub retention: Option<String>,
    pub servers: Vec<ServerWindow>,
    /// (secret name, key) pairs the credentials and endpointCA reference.
    pub secret_refs: Vec<(String, String)>,
    pub created: Option<DateTime<Utc>>,
    /// How to reach the store (references only), for reading it.
    pub access: crate::model::bucket::StoreAccess,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BackupRow {
    pub namespace: String,
    pub name: String,
    pub cluster: String,
    pub method: String,
    /// Empty until the operator has seen it: shown as "new".
    pub phase: String,
    pub error: Option<String>,
    pub started: Option<DateTime<Utc>>,
    pub stopped: Option<DateTime<Utc>>,
    pub created: Option<DateTime<Utc>>,
    pub pod: Option<String>,
    pub backup_id: Option<String>,
    pub scheduled_by: Option<String>,
    /// The ObjectStore `spec.pluginConfiguration.parameters.barmanObjectName` names, when
    /// the Backup overrides its Cluster's.
    pub plugin_store: Option<String>,
}

impl BackupRow {
    /// When it happened, for ordering: start, else creation.
    pub fn when(&self) -> Option<DateTime<Utc>> {
        self.started.or(self.created)
    }

    pub fn duration(&self) -> Option<chrono::Duration> {
        Some(self.stopped? - self.started?)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginRef {
    pub enabled: bool,
    pub wal_archiver: bool,
    pub object_store: Option<String>,
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterRow {
    pub namespace: String,
    pub name: String,
    pub instances: Option<i64>,
    pub ready_instances: Option<i64>,
    pub phase: String,
    pub phase_reason: Option<String>,
    pub primary: Option<String>,
    /// The Barman Cloud plugin entry of spec.plugins, when there is one.
    pub plugin: Option<PluginRef>,
    /// spec.backup.barmanObjectStore is set (the deprecated in-tree path).
    pub legacy_barman: bool,
    /// How to reach that in-tree store (references only), for reading it.
    pub barman_store: Option<crate::model::bucket::StoreAccess>,
    pub conditions: Vec<Condition>,
    pub plugin_version: Option<String>,
    pub created: Option<DateTime<Utc>>,
    /// The `cnpg.io/` annotations, which change what the operator and the instances do
    /// (archiving skipped, reconciliation off, hibernation).
    pub annotations: BTreeMap<String, String>,
    /// `status.certificates.expirations`: each certificate Secret and when it expires.
    pub certificates: Vec<CertificateExpiry>,
    /// The PostgreSQL image in use (`status.image`, else `spec.imageName`).
    pub image: Option<String>,
    /// `status.lastSuccessfulBackup`: set by CloudNativePG for in-tree and volume snapshot
    /// backups (not for backup plugins).
    pub last_successful_backup: Option<DateTime<Utc>>,
    /// The ObjectStore the plugin reads WAL from for a replica cluster's designated
    /// primary: `externalClusters[spec.replicaCluster.source].plugin.parameters.barmanObjectName`
    /// when that entry is the Barman Cloud plugin's. The plugin injects its sidecar for it.
    pub replica_source_store: Option<String>,
    /// The same for `spec.bootstrap.recovery.source`: read once, while the Cluster is restored.
    pub recovery_store: Option<String>,
    /// `spec.bootstrap.recovery`, with the `externalClusters` entry it restores from.
    pub recovery: Option<crate::model::recovery::Recovery>,
    /// `metadata.annotations[backstop.dev/last-drill]`: the last restore drill backstop ran.
    pub last_drill: Option<crate::model::recovery::DrillRecord>,
    /// `metadata.annotations[backstop.dev/last-passed-drill]`, when it reads as a time.
    pub last_passed_drill: Option<DateTime<Utc>>,
}

/// One of a Cluster's certificates, as its status reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CertificateExpiry {
    pub secret: String,
    /// As the operator wrote it (Go's time format).
    pub raw: String,
    /// None when the text could not be read as a time.
    pub expires: Option<DateTime<Utc>>,
}

impl ClusterRow {
    /// The server name the plugin writes under: its parameter, else the cluster's name.
    pub fn server_name(&self) -> &str {
        self.plugin
            .as_ref()
            .and_then(|p| p.server_name.as_deref())
            .unwrap_or(&self.name)
    }

    pub fn archiving(&self) -> Option<&Condition> {
        condition(&self.conditions, "ContinuousArchiving")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScheduledBackupRow {
    pub namespace: String,
    pub name: String,
    pub cluster: String,
    pub schedule: String,
    pub suspended: bool,
    /// As written; None means the CRD default, barmanObjectStore.
    pub method: Option<String>,
    pub next: Option<DateTime<Utc>>,
    pub last: Option<DateTime<Utc>>,
    /// The ObjectStore its `spec.pluginConfiguration` names for the Backups it creates.
    pub plugin_store: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceRef {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct KustomizationRow {
    pub namespace: String,
    pub name: String,
    pub conditions: Vec<Condition>,
    pub suspended: bool,
    pub applied: Option<String>,
    pub attempted: Option<String>,
    pub last_handled: Option<String>,
    pub depends_on: Vec<(String, String)>,
    pub source: SourceRef,
    pub path: Option<String>,
    pub interval: Option<String>,
    pub timeout: Option<String>,
    pub last_reconciled: Option<DateTime<Utc>>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
    pub inventory: Vec<String>,
}

impl KustomizationRow {
    pub fn ready(&self) -> Option<&Condition> {
        condition(&self.conditions, "Ready")
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
/// A Flux source: a GitRepository, and with the same fields an OCIRepository or a
/// HelmRepository (their URL, reference, artifact revision, suspension and conditions).
pub struct GitRepositoryRow {
    pub namespace: String,
    pub name: String,
    pub url: String,
    pub reference: Option<String>,
    pub revision: Option<String>,
    pub suspended: bool,
    pub conditions: Vec<Condition>,
}

impl GitRepositoryRow {
    pub fn ready(&self) -> Option<&Condition> {
        condition(&self.conditions, "Ready")
    }
}

/// `main@sha1:4f1c0a9e…` → `main@4f1c0a9`
pub fn short_revision(rev: &str) -> String {
    match rev
        .split_once("@sha1:")
        .or_else(|| rev.split_once("@sha256:"))
    {
        Some((branch, sha)) => format!("{branch}@{}", &sha[..sha.len().min(7)]),
        None if rev.len() > 12 && rev.chars().all(|c| c.is_ascii_hexdigit()) => {
            rev[..7].to_string()
        }
        None => rev.to_string(),
    }
}

/// A Deployment: the plugin's and the operator's availability, and their image tags.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeploymentRow {
    pub namespace: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub replicas: Option<i64>,
    pub available: i64,
    pub ready: i64,
    pub conditions: Vec<Condition>,
    /// (container, image) of the pod template.
    pub images: Vec<(String, String)>,
    pub selector: BTreeMap<String, String>,
    pub generation: Option<i64>,
    pub observed_generation: Option<i64>,
}

/// A Secret as the rules may see it: its key names, never its values.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecretRow {
    pub namespace: String,
    pub name: String,
    pub keys: Vec<String>,
}

/// A cert-manager Certificate (the plugin's TLS).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CertificateRow {
    pub namespace: String,
    pub name: String,
    pub secret_name: Option<String>,
    pub conditions: Vec<Condition>,
    pub not_after: Option<DateTime<Utc>>,
    pub dns_names: Vec<String>,
}

/// A core/v1 Event about an object.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventRow {
    pub namespace: String,
    pub name: String,
    pub involved_kind: String,
    pub involved_namespace: String,
    pub involved_name: String,
    /// Normal or Warning.
    pub kind: String,
    pub reason: String,
    pub message: String,
    pub count: i64,
    pub last_seen: Option<DateTime<Utc>>,
    pub source: String,
}

/// A Flux HelmRelease (helm.toolkit.fluxcd.io/v2): how the plugin and the operator are now
/// mostly installed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HelmReleaseRow {
    pub namespace: String,
    pub name: String,
    /// `spec.chart.spec.chart`, or the `spec.chartRef` name.
    pub chart: String,
    /// `spec.chart.spec.version` as asked (a semver range, maybe).
    pub version: Option<String>,
    /// Where the chart comes from: `spec.chart.spec.sourceRef` or `spec.chartRef`.
    pub source: SourceRef,
    pub suspended: bool,
    pub conditions: Vec<Condition>,
    /// The chart version of the newest release in `status.history`.
    pub applied: Option<String>,
    /// `status.lastAttemptedRevision`.
    pub attempted: Option<String>,
    pub last_reconciled: Option<DateTime<Utc>>,
}

impl HelmReleaseRow {
    pub fn ready(&self) -> Option<&Condition> {
        condition(&self.conditions, "Ready")
    }
}
