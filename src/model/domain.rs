//! The vocabulary of CloudNativePG, the Barman Cloud plugin and Flux, written once: every
//! layer reads names, labels and API kinds from here (DOMAIN.md; upstream where they differ).

use serde::Serialize;

/// A Cluster's `status.phase` when all is well (cloudnative-pg api/v1 cluster_types.go).
pub const PHASE_HEALTHY: &str = "Cluster in healthy state";

/// Whether a Cluster's phase says the operator gave up on it: worded "Cluster is
/// unrecoverable and needs manual intervention" in 1.30, otherwise before it.
pub fn phase_unrecoverable(phase: &str) -> bool {
    phase.to_ascii_lowercase().contains("unrecoverable")
}

/// The plugin's name, as Clusters, Backups and its Service's label name it.
pub const PLUGIN_NAME: &str = "barman-cloud.cloudnative-pg.io";
/// The sidecar the operator injects into each instance pod of a Cluster using the plugin.
pub const SIDECAR: &str = "plugin-barman-cloud";

/// The apiVersion of the simulator's `kind: Scenario` document (a bundle carries one).
pub const SCENARIO_API_VERSION: &str = "sim.backstop.dev/v1";
/// The container of the plugin's own Deployment.
pub const PLUGIN_CONTAINER: &str = "barman-cloud";
/// The Service the manifest install creates for the plugin.
pub const PLUGIN_SERVICE: &str = "barman-cloud";
/// The label the operator finds plugin Services by.
pub const PLUGIN_LABEL: &str = "cnpg.io/pluginName";
/// `PLUGIN_LABEL=PLUGIN_NAME`: the selector that lists the plugin's Services.
pub const PLUGIN_SELECTOR: &str = "cnpg.io/pluginName=barman-cloud.cloudnative-pg.io";
/// The annotations the operator requires, besides `PLUGIN_LABEL`, on a plugin Service
/// before it registers the plugin: the Secrets holding the server's certificate and the
/// operator's client certificate, and the port the plugin listens on.
pub const PLUGIN_SERVER_SECRET_ANNOTATION: &str = "cnpg.io/pluginServerSecret";
pub const PLUGIN_CLIENT_SECRET_ANNOTATION: &str = "cnpg.io/pluginClientSecret";
pub const PLUGIN_PORT_ANNOTATION: &str = "cnpg.io/pluginPort";
/// The event source of the operator's plugin registration (CloudNativePG 1.29 and newer).
pub const PLUGIN_EVENT_SOURCE: &str = "cloudnative-pg-plugin";
/// The label and value the CloudNativePG operator's pods carry.
pub const OPERATOR_LABEL: &str = "app.kubernetes.io/name";
pub const OPERATOR_APP: &str = "cloudnative-pg";
/// The label CloudNativePG puts on a Cluster's instance pods.
pub const CLUSTER_LABEL: &str = "cnpg.io/cluster";
/// The annotation `flux reconcile` sets.
pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
/// The annotation `kubectl rollout restart` sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The kinds backstop reads or writes, each with where the API serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Pod,
    Service,
    Deployment,
    Secret,
    Event,
    ObjectStore,
    Backup,
    Cluster,
    ScheduledBackup,
    Kustomization,
    GitRepository,
    HelmRelease,
    HelmRepository,
    OCIRepository,
    Certificate,
    CustomResourceDefinition,
}

impl Kind {
    pub const ALL: [Kind; 16] = [
        Kind::Pod,
        Kind::Service,
        Kind::Deployment,
        Kind::Secret,
        Kind::Event,
        Kind::ObjectStore,
        Kind::Backup,
        Kind::Cluster,
        Kind::ScheduledBackup,
        Kind::Kustomization,
        Kind::GitRepository,
        Kind::HelmRelease,
        Kind::HelmRepository,
        Kind::OCIRepository,
        Kind::Certificate,
        Kind::CustomResourceDefinition,
    ];

    /// The kind as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Pod => "Pod",
            Kind::Service => "Service",
            Kind::Deployment => "Deployment",
            Kind::Secret => "Secret",
            Kind::Event => "Event",
            Kind::ObjectStore => "ObjectStore",
            Kind::Backup => "Backup",
            Kind::Cluster => "Cluster",
            Kind::ScheduledBackup => "ScheduledBackup",
            Kind::Kustomization => "Kustomization",
            Kind::GitRepository => "GitRepository",
            Kind::HelmRelease => "HelmRelease",
            Kind::HelmRepository => "HelmRepository",
            Kind::OCIRepository => "OCIRepository",
            Kind::Certificate => "Certificate",
            Kind::CustomResourceDefinition => "CustomResourceDefinition",
        }
    }

    /// The kind named as the API spells it.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn group(self) -> &'static str {
        match self {
            Kind::Pod | Kind::Service | Kind::Secret | Kind::Event => "",
            Kind::Deployment => "apps",
            Kind::ObjectStore => "barmancloud.cnpg.io",
            Kind::Backup | Kind::Cluster | Kind::ScheduledBackup => "postgresql.cnpg.io",
            Kind::Kustomization => "kustomize.toolkit.fluxcd.io",
            Kind::GitRepository | Kind::HelmRepository | Kind::OCIRepository => {
                "source.toolkit.fluxcd.io"
            }
            Kind::HelmRelease => "helm.toolkit.fluxcd.io",
            Kind::Certificate => "cert-manager.io",
            Kind::CustomResourceDefinition => "apiextensions.k8s.io",
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Kind::HelmRelease => "v2",
            _ => "v1",
        }
    }

    /// `group/version`, or the version alone for the core group.
    pub fn api_version(self) -> String {
        if self.group().is_empty() {
            self.version().to_string()
        } else {
            format!("{}/{}", self.group(), self.version())
        }
    }

    pub fn plural(self) -> &'static str {
        match self {
            Kind::Pod => "pods",
            Kind::Service => "services",
            Kind::Deployment => "deployments",
            Kind::Secret => "secrets",
            Kind::Event => "events",
            Kind::ObjectStore => "objectstores",
            Kind::Backup => "backups",
            Kind::Cluster => "clusters",
            Kind::ScheduledBackup => "scheduledbackups",
            Kind::Kustomization => "kustomizations",
            Kind::GitRepository => "gitrepositories",
            Kind::HelmRelease => "helmreleases",
            Kind::HelmRepository => "helmrepositories",
            Kind::OCIRepository => "ocirepositories",
            Kind::Certificate => "certificates",
            Kind::CustomResourceDefinition => "customresourcedefinitions",
        }
    }

    /// `plural.group` as RBAC, kubectl and error messages name it.
    pub fn qualified(self) -> String {
        qualified(self.group(), self.plural())
    }

    /// What a pane or a note calls a list of them.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pod => "Pods",
            Kind::Service => "Services",
            Kind::Deployment => "Deployments",
            Kind::Secret => "Secrets",
            Kind::Event => "Events",
            Kind::ObjectStore => "ObjectStores",
            Kind::Backup => "Backups",
            Kind::Cluster => "Clusters",
            Kind::ScheduledBackup => "ScheduledBackups",
            Kind::Kustomization => "Kustomizations",
            Kind::GitRepository => "GitRepositories",
            Kind::HelmRelease => "HelmReleases",
            Kind::HelmRepository => "HelmRepositories",
            Kind::OCIRepository => "OCIRepositories",
            Kind::Certificate => "Certificates",
            Kind::CustomResourceDefinition => "CustomResourceDefinitions",
        }
    }

    /// Kinds a cluster may well not serve without anything being wrong: Flux installs
    /// helm-controller and the Helm and OCI sources only where they are used.
    pub fn optional(self) -> bool {
        matches!(
            self,
            Kind::HelmRelease | Kind::HelmRepository | Kind::OCIRepository
        )
    }

    /// What the API answering 404 for the whole kind means to an engineer.
    pub fn absent(self) -> &'static str {
        match self {
            Kind::Pod => "pods are not served",
            Kind::Service => "services are not served",
            Kind::Deployment => "deployments are not served",
            Kind::Secret => "secrets are not served",
            Kind::Event => "events are not served",
            Kind::ObjectStore => {
                "the Barman Cloud plugin is not installed (no objectstores.barmancloud.cnpg.io)"
            }
            Kind::Backup => "CloudNativePG is not installed (no backups.postgresql.cnpg.io)",
            Kind::Cluster => "CloudNativePG is not installed (no clusters.postgresql.cnpg.io)",
            Kind::ScheduledBackup => {
                "CloudNativePG is not installed (no scheduledbackups.postgresql.cnpg.io)"
            }
            Kind::Kustomization => {
                "Flux is not installed (no kustomizations.kustomize.toolkit.fluxcd.io)"
            }
            Kind::GitRepository => {
                "Flux sources are not installed (no gitrepositories.source.toolkit.fluxcd.io)"
            }
            Kind::HelmRelease => {
                "Flux's helm-controller is not installed (no helmreleases.helm.toolkit.fluxcd.io)"
            }
            Kind::HelmRepository => {
                "Flux Helm sources are not served (no helmrepositories.source.toolkit.fluxcd.io)"
            }
            Kind::OCIRepository => {
                "Flux OCI sources are not served (no ocirepositories.source.toolkit.fluxcd.io)"
            }
            Kind::Certificate => "cert-manager is not installed (no certificates.cert-manager.io)",
            Kind::CustomResourceDefinition => "CustomResourceDefinitions are not served",
        }
    }
}

/// Ordered by name, as reports list findings: stable whatever order the enum grows in.
impl Ord for Kind {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name().cmp(other.name())
    }
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// `plural.group`, or the plural alone for the core group.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for k in Kind::ALL {
            assert_eq!(Kind::from_name(k.name()), Some(k));
        }
        assert_eq!(Kind::from_name("Widget"), None);
    }

    #[test]
    fn the_plugin_selector_is_its_label_and_name() {
        assert_eq!(PLUGIN_SELECTOR, format!("{PLUGIN_LABEL}={PLUGIN_NAME}"));
    }

    #[test]
    fn qualified_names_are_what_rbac_says() {
        assert_eq!(Kind::Pod.qualified(), "pods");
        assert_eq!(
            Kind::ObjectStore.qualified(),
            "objectstores.barmancloud.cnpg.io"
        );
        assert_eq!(Kind::Deployment.api_version(), "apps/v1");
        assert_eq!(Kind::Pod.api_version(), "v1");
    }
}
