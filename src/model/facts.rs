//! Everything the rules read: the watched kinds (the Snapshot), plus kinds and probes only
//! the health check needs. Each piece carries its sync state, so a rule that cannot be
//! evaluated says why instead of guessing.

use crate::model::KindState;
use crate::model::Snapshot;
use crate::model::rows::{CertificateRow, DeploymentRow, EventRow, SecretRow};

/// Recent lines of one container's log (the plugin's, or an instance's sidecar).
#[derive(Debug, Clone, PartialEq)]
pub struct LogTail {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The lines, or why they could not be read.
    pub lines: Result<Vec<String>, String>,
}

/// Whether an ObjectStore's endpoint resolves and accepts connections (live checks only).
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointProbe {
    pub namespace: String,
    pub store: String,
    /// host:port as probed.
    pub endpoint: String,
    /// Ok, or what failed: "does not resolve: …" / "refuses connections: …" / "timed out …".
    pub result: Result<(), String>,
}

#[derive(Debug, Clone, Default)]
pub struct Facts {
    pub snapshot: Snapshot,
    pub deployments: KindState<DeploymentRow>,
    /// Key names only.
    pub secrets: KindState<SecretRow>,
    /// NotInstalled where cert-manager is absent.
    pub certificates: KindState<CertificateRow>,
    pub events: KindState<EventRow>,
    pub logs: Vec<LogTail>,
    pub endpoints: Vec<EndpointProbe>,
    /// Whether network probes ran (not for saved manifests): OBJ005 needs them.
    pub probed: bool,
    /// What reading each barman-cloud store proved (live checks and loopback stores only).
    pub stores: Vec<crate::model::bucket::StoreProof>,
    /// Live readings of each Cluster primary's archiver (empty when not read: saved
    /// manifests, or a dashboard that has not asked yet).
    pub archivers: Vec<crate::model::archiver::ArchiverReading>,
    /// The Prometheus Operator's objects (NotInstalled without its CRDs): the alert audit
    /// reads them.
    pub prometheus_rules: KindState<crate::model::alerting::PromRuleRow>,
    pub pod_monitors: KindState<crate::model::alerting::MonitorRow>,
    pub service_monitors: KindState<crate::model::alerting::MonitorRow>,
}
