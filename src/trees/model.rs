//! Troubleshooting trees as data (docs/TREES.md): the file format, typed checks included,
//! so that an unknown check or parameter is a YAML error with its line.

use serde::Deserialize;

use crate::model::Kind;

fn ask() -> String {
    "ask".to_string()
}

/// A branch target meaning: propose nothing, the engineer chooses.
pub const ASK: &str = "ask";

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TreeFile {
    pub api_version: String,
    pub kind: String,
    pub metadata: Meta,
    pub start: String,
    // A check is written `{name: {params}}`: a one-key map, not a YAML tag.
    #[serde(with = "serde_yaml::with::singleton_map_recursive")]
    pub nodes: Vec<Node>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// Findings this tree explains: "walk this" on them starts it.
    #[serde(default)]
    pub findings: Vec<String>,
    #[serde(default)]
    pub source: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Node {
    pub id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub check: Option<Check>,
    #[serde(default)]
    pub pass: Option<String>,
    #[serde(default)]
    pub fail: Option<String>,
    #[serde(default = "ask")]
    pub unknown: String,
    #[serde(default = "ask")]
    pub error: String,
    #[serde(default)]
    pub leaf: Option<Leaf>,
}

impl Node {
    pub fn is_leaf(&self) -> bool {
        self.leaf.is_some()
    }

    /// Where `branch` leads; None for a pass or fail the node does not have.
    pub fn target(&self, branch: Branch) -> Option<&str> {
        match branch {
            Branch::Pass => self.pass.as_deref(),
            Branch::Fail => self.fail.as_deref(),
            Branch::Unknown => Some(self.unknown.as_str()),
            Branch::Error => Some(self.error.as_str()),
        }
    }

    /// The branches a question node has, as (branch, target), in file order.
    pub fn branches(&self) -> Vec<(Branch, &str)> {
        Branch::ALL
            .into_iter()
            .filter_map(|b| Some((b, self.target(b)?)))
            .collect()
    }
}

/// A way out of a question node: one per verdict a check can give. The file spells them
/// as the node's keys `pass`, `fail`, `unknown` and `error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Branch {
    Pass,
    Fail,
    Unknown,
    Error,
}

impl Branch {
    pub const ALL: [Branch; 4] = [Branch::Pass, Branch::Fail, Branch::Unknown, Branch::Error];

    /// The key a tree file writes it as.
    pub fn name(self) -> &'static str {
        match self {
            Branch::Pass => "pass",
            Branch::Fail => "fail",
            Branch::Unknown => "unknown",
            Branch::Error => "error",
        }
    }
}

impl std::fmt::Display for Branch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // pad, not write: the walker lines branch names up in a column.
        f.pad(self.name())
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Leaf {
    pub diagnosis: String,
    #[serde(default)]
    pub finding: Option<String>,
    #[serde(default)]
    pub remedy: Remedy,
    #[serde(default)]
    pub references: Vec<String>,
    /// What keeps it from happening again: the transcript's Prevention section.
    #[serde(default)]
    pub prevention: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Remedy {
    #[serde(default)]
    pub commands: Vec<String>,
    /// The actions as the file names them; `load` reads them into `actions`, so that an
    /// unknown name is a lint error with its leaf and line, not a bare YAML error.
    #[serde(default, rename = "actions")]
    pub(super) written: Vec<String>,
    /// The safe actions the diagnosis offers, in file order.
    #[serde(skip)]
    pub actions: Vec<RemedyAction>,
}

/// A safe action a diagnosis may offer; `actions::remedy` says what each acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RemedyAction {
    RestartPlugin,
    RestartOperator,
    Reconcile,
    ReconcileWithSource,
    Suspend,
    Resume,
    BackupNow,
}

impl RemedyAction {
    pub const ALL: [RemedyAction; 7] = [
        RemedyAction::RestartPlugin,
        RemedyAction::RestartOperator,
        RemedyAction::Reconcile,
        RemedyAction::ReconcileWithSource,
        RemedyAction::Suspend,
        RemedyAction::Resume,
        RemedyAction::BackupNow,
    ];

    /// As a tree file and the walker name it.
    pub fn name(self) -> &'static str {
        match self {
            RemedyAction::RestartPlugin => "restart-plugin",
            RemedyAction::RestartOperator => "restart-operator",
            RemedyAction::Reconcile => "reconcile",
            RemedyAction::ReconcileWithSource => "reconcile-with-source",
            RemedyAction::Suspend => "suspend",
            RemedyAction::Resume => "resume",
            RemedyAction::BackupNow => "backup-now",
        }
    }

    pub fn from_name(name: &str) -> Option<RemedyAction> {
        RemedyAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// The kinds `api_served` may ask about; a tree names them `plural.group`.
pub(crate) const SERVED: [Kind; 6] = [
    Kind::Cluster,
    Kind::Backup,
    Kind::ObjectStore,
    Kind::Kustomization,
    Kind::GitRepository,
    Kind::Certificate,
];

/// The kind `api_served` names by `resource`, if it may ask about it.
pub(crate) fn served_kind(resource: &str) -> Option<Kind> {
    SERVED.into_iter().find(|k| k.qualified() == resource)
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogSource {
    Plugin,
    Sidecar,
    /// A restoring Cluster's recovery pods: the `full-recovery` Job's containers, or the
    /// instance pod's `bootstrap-instance` init container.
    Recovery,
}

fn default_max_age() -> String {
    "26h".into()
}
fn default_max_duration() -> String {
    "30m".into()
}
fn default_within() -> String {
    "1h".into()
}
fn default_true() -> String {
    "True".into()
}

/// The check registry: one variant per check of docs/TREES.md, with typed parameters.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Check {
    PluginRegistered {},
    PluginPodsReady {},
    PluginOomKilled {},
    OperatorReady {},
    ApiServed {
        resource: String,
    },
    KustomizationsReady {
        #[serde(default)]
        name: Option<String>,
    },
    KustomizationDependenciesReady {
        #[serde(default)]
        name: Option<String>,
    },
    SourcesReady {},
    RevisionsApplied {},
    HelmreleasesReady {
        #[serde(default)]
        name: Option<String>,
    },
    HelmreleaseSuspended {
        #[serde(default)]
        name: Option<String>,
    },
    HelmChartSourceReady {
        #[serde(default)]
        name: Option<String>,
    },
    HelmreleaseReason {
        reasons: Vec<String>,
        #[serde(default)]
        name: Option<String>,
    },
    HelmRetriesExhausted {
        #[serde(default)]
        name: Option<String>,
    },
    HelmChartVersionApplied {
        #[serde(default)]
        name: Option<String>,
    },
    ManifestsApplied {},
    ClusterPluginConfigured {},
    ObjectstoreExists {},
    CredentialsPresent {},
    EndpointReachable {},
    ArchivingOk {},
    LatestBackupOk {},
    BackupRecent {
        #[serde(default = "default_max_age")]
        max_age: String,
    },
    BackupsFast {
        #[serde(default = "default_max_duration")]
        max_duration: String,
    },
    BackupsNotStuck {},
    SchedulesOk {},
    RestoreInProgress {},
    Condition {
        kind: String,
        #[serde(rename = "type")]
        kind_of_condition: String,
        #[serde(default = "default_true")]
        status: String,
        #[serde(default)]
        reason: Option<String>,
        #[serde(default)]
        name: Option<String>,
        #[serde(default)]
        namespace: Option<String>,
    },
    EventSeen {
        reason: String,
        #[serde(default)]
        kind: Option<String>,
        #[serde(default = "default_within")]
        within: String,
    },
    LogMatches {
        pattern: String,
        container: LogSource,
    },
    Finding {
        code: String,
    },
    GitIgnored {
        path: String,
    },
    GitTracked {
        path: String,
    },
    GitopsLintClean {},
}

/// An optional `name` parameter as `describe` writes it.
fn all(name: &Option<String>) -> &str {
    name.as_deref().unwrap_or("(all)")
}

/// The reasons helm-controller writes on a HelmRelease's Ready, Released, Remediated and
/// TestSuccess conditions (api/v2/condition_types.go, internal/controller and
/// internal/reconcile of fluxcd/helm-controller); InitFailed only by the v2beta1 and
/// v2beta2 controllers. `helmrelease_reason` accepts these only, so a typo is a lint error.
pub(crate) const HELM_REASONS: &[&str] = &[
    "InstallSucceeded",
    "InstallFailed",
    "UpgradeSucceeded",
    "UpgradeFailed",
    "TestSucceeded",
    "TestFailed",
    "RollbackSucceeded",
    "RollbackFailed",
    "UninstallSucceeded",
    "UninstallFailed",
    "ArtifactFailed",
    "DependencyNotReady",
    "SourceNotReady",
    "ValuesError",
    "ReconcileError",
    "StateError",
    "PendingRelease",
    "ChartMutateError",
    "AccessDenied",
    "Progressing",
    "InitFailed",
];

impl Check {
    /// How the check is written in a tree file, for transcripts and the walker.
    pub fn describe(&self) -> String {
        match self {
            Check::PluginRegistered {} => "plugin_registered".into(),
            Check::PluginPodsReady {} => "plugin_pods_ready".into(),
            Check::PluginOomKilled {} => "plugin_oom_killed".into(),
            Check::OperatorReady {} => "operator_ready".into(),
            Check::ApiServed { resource } => format!("api_served {resource}"),
            Check::KustomizationsReady { name } => format!(
                "kustomizations_ready {}",
                name.as_deref().unwrap_or("(all)")
            ),
            Check::KustomizationDependenciesReady { name } => format!(
                "kustomization_dependencies_ready {}",
                name.as_deref().unwrap_or("(all)")
            ),
            Check::SourcesReady {} => "sources_ready".into(),
            Check::RevisionsApplied {} => "revisions_applied".into(),
            Check::HelmreleasesReady { name } => format!("helmreleases_ready {}", all(name)),
            Check::HelmreleaseSuspended { name } => {
                format!("helmrelease_suspended {}", all(name))
            }
            Check::HelmChartSourceReady { name } => {
                format!("helm_chart_source_ready {}", all(name))
            }
            Check::HelmreleaseReason { reasons, name } => {
                format!("helmrelease_reason {} {}", reasons.join("|"), all(name))
            }
            Check::HelmRetriesExhausted { name } => {
                format!("helm_retries_exhausted {}", all(name))
            }
            Check::HelmChartVersionApplied { name } => {
                format!("helm_chart_version_applied {}", all(name))
            }
            Check::ManifestsApplied {} => "manifests_applied".into(),
            Check::ClusterPluginConfigured {} => "cluster_plugin_configured".into(),
            Check::ObjectstoreExists {} => "objectstore_exists".into(),
            Check::CredentialsPresent {} => "credentials_present".into(),
            Check::EndpointReachable {} => "endpoint_reachable".into(),
            Check::ArchivingOk {} => "archiving_ok".into(),
            Check::LatestBackupOk {} => "latest_backup_ok".into(),
            Check::BackupRecent { max_age } => format!("backup_recent max_age={max_age}"),
            Check::BackupsFast { max_duration } => {
                format!("backups_fast max_duration={max_duration}")
            }
            Check::BackupsNotStuck {} => "backups_not_stuck".into(),
            Check::SchedulesOk {} => "schedules_ok".into(),
            Check::RestoreInProgress {} => "restore_in_progress".into(),
            Check::Condition {
                kind,
                kind_of_condition,
                status,
                reason,
                ..
            } => {
                format!(
                    "condition {kind} {kind_of_condition}={status}{}",
                    reason
                        .as_deref()
                        .map(|r| format!(" ({r})"))
                        .unwrap_or_default()
                )
            }
            Check::EventSeen {
                reason,
                kind,
                within,
            } => format!(
                "event_seen {reason}{} within {within}",
                kind.as_deref()
                    .map(|k| format!(" on {k}"))
                    .unwrap_or_default()
            ),
            Check::LogMatches { pattern, container } => {
                format!("log_matches {pattern:?} in {container:?} logs")
            }
            Check::Finding { code } => format!("finding {code}"),
            Check::GitIgnored { path } => format!("git_ignored {path}"),
            Check::GitTracked { path } => format!("git_tracked {path}"),
            Check::GitopsLintClean {} => "gitops_lint_clean".into(),
        }
    }
}
