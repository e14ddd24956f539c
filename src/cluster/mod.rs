//! The cluster side: the connection, watched kinds projected into rows, and the Snapshot
//! every other layer reads.

pub mod connect;
pub mod fetch;
pub mod kubeconfig;
pub mod lean;
pub mod rows;
pub mod watch;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use kube::discovery::ApiResource;
use tokio::sync::Notify;

use self::rows::*;
use self::watch::{KindSpec, KindState};

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

pub fn pods_spec() -> KindSpec {
    KindSpec {
        label: "Pods",
        resource: resource("", "v1", "Pod", "pods"),
        selector: None,
        absent: "pods are not served",
    }
}
pub fn plugin_services_spec() -> KindSpec {
    KindSpec {
        label: "Plugin services",
        resource: resource("", "v1", "Service", "services"),
        selector: Some("cnpg.io/pluginName=barman-cloud.cloudnative-pg.io"),
        absent: "services are not served",
    }
}
pub fn object_stores_spec() -> KindSpec {
    KindSpec {
        label: "ObjectStores",
        resource: resource("barmancloud.cnpg.io", "v1", "ObjectStore", "objectstores"),
        selector: None,
        absent: "the Barman Cloud plugin is not installed (no objectstores.barmancloud.cnpg.io)",
    }
}
pub fn backups_spec() -> KindSpec {
    KindSpec {
        label: "Backups",
        resource: resource("postgresql.cnpg.io", "v1", "Backup", "backups"),
        selector: None,
        absent: "CloudNativePG is not installed (no backups.postgresql.cnpg.io)",
    }
}
pub fn clusters_spec() -> KindSpec {
    KindSpec {
        label: "Clusters",
        resource: resource("postgresql.cnpg.io", "v1", "Cluster", "clusters"),
        selector: None,
        absent: "CloudNativePG is not installed (no clusters.postgresql.cnpg.io)",
    }
}
pub fn scheduled_backups_spec() -> KindSpec {
    KindSpec {
        label: "ScheduledBackups",
        resource: resource(
            "postgresql.cnpg.io",
            "v1",
            "ScheduledBackup",
            "scheduledbackups",
        ),
        selector: None,
        absent: "CloudNativePG is not installed (no scheduledbackups.postgresql.cnpg.io)",
    }
}
pub fn kustomizations_spec() -> KindSpec {
    KindSpec {
        label: "Kustomizations",
        resource: resource(
            "kustomize.toolkit.fluxcd.io",
            "v1",
            "Kustomization",
            "kustomizations",
        ),
        selector: None,
        absent: "Flux is not installed (no kustomizations.kustomize.toolkit.fluxcd.io)",
    }
}
pub fn git_repositories_spec() -> KindSpec {
    KindSpec {
        label: "GitRepositories",
        resource: resource(
            "source.toolkit.fluxcd.io",
            "v1",
            "GitRepository",
            "gitrepositories",
        ),
        selector: None,
        absent: "Flux sources are not installed (no gitrepositories.source.toolkit.fluxcd.io)",
    }
}

pub fn deployments_spec() -> KindSpec {
    KindSpec {
        label: "Deployments",
        resource: resource("apps", "v1", "Deployment", "deployments"),
        selector: None,
        absent: "deployments are not served",
    }
}
pub fn certificates_spec() -> KindSpec {
    KindSpec {
        label: "Certificates",
        resource: resource("cert-manager.io", "v1", "Certificate", "certificates"),
        selector: None,
        absent: "cert-manager is not installed (no certificates.cert-manager.io)",
    }
}
pub fn events_spec() -> KindSpec {
    KindSpec {
        label: "Events",
        resource: resource("", "v1", "Event", "events"),
        selector: None,
        absent: "events are not served",
    }
}

/// Every kind at one instant: cheap to clone (shared rows), read by panes and rules.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub taken: Option<DateTime<Utc>>,
    pub pods: KindState<PodRow>,
    pub services: KindState<ServiceRow>,
    pub object_stores: KindState<ObjectStoreRow>,
    pub backups: KindState<BackupRow>,
    pub clusters: KindState<ClusterRow>,
    pub scheduled: KindState<ScheduledBackupRow>,
    pub kustomizations: KindState<KustomizationRow>,
    pub git_repos: KindState<GitRepositoryRow>,
}

impl Snapshot {
    fn states(&self) -> [&watch::SyncState; 8] {
        [
            &self.pods.sync,
            &self.services.sync,
            &self.object_stores.sync,
            &self.backups.sync,
            &self.clusters.sync,
            &self.scheduled.sync,
            &self.kustomizations.sync,
            &self.git_repos.sync,
        ]
    }

    /// Every kind is live: the whole cluster is in view.
    pub fn live(&self) -> bool {
        self.states().iter().all(|s| **s == watch::SyncState::Live)
    }

    /// No kind is still syncing (each is live, or says why not).
    pub fn settled(&self) -> bool {
        self.states()
            .iter()
            .all(|s| **s != watch::SyncState::Syncing)
    }

    /// The newest resourceVersion any kind has applied.
    pub fn rv(&self) -> u64 {
        [
            self.pods.rv,
            self.services.rv,
            self.object_stores.rv,
            self.backups.rv,
            self.clusters.rv,
            self.scheduled.rv,
            self.kustomizations.rv,
            self.git_repos.rv,
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
    }

    /// Moves whenever any kind changes: the UI rebuilds its views only then.
    pub fn version(&self) -> u64 {
        [
            self.pods.version,
            self.services.version,
            self.object_stores.version,
            self.backups.version,
            self.clusters.version,
            self.scheduled.version,
            self.kustomizations.version,
            self.git_repos.version,
        ]
        .iter()
        .fold(0u64, |acc, v| acc.wrapping_mul(31).wrapping_add(*v))
    }
}

/// The running watchers. Dropping it stops them.
pub struct Watched {
    pods: tokio::sync::watch::Receiver<KindState<PodRow>>,
    services: tokio::sync::watch::Receiver<KindState<ServiceRow>>,
    object_stores: tokio::sync::watch::Receiver<KindState<ObjectStoreRow>>,
    backups: tokio::sync::watch::Receiver<KindState<BackupRow>>,
    clusters: tokio::sync::watch::Receiver<KindState<ClusterRow>>,
    scheduled: tokio::sync::watch::Receiver<KindState<ScheduledBackupRow>>,
    kustomizations: tokio::sync::watch::Receiver<KindState<KustomizationRow>>,
    git_repos: tokio::sync::watch::Receiver<KindState<GitRepositoryRow>>,
    /// Notified after any watcher publishes.
    pub changed: Arc<Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Watched {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

fn spawn<R: Row>(
    client: &kube::Client,
    spec: KindSpec,
    namespace: Option<String>,
    changed: &Arc<Notify>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> tokio::sync::watch::Receiver<KindState<R>> {
    let (tx, rx) = tokio::sync::watch::channel(KindState::default());
    tasks.push(tokio::spawn(watch::run(
        client.clone(),
        spec,
        namespace,
        tx,
        changed.clone(),
    )));
    rx
}

impl Watched {
    /// Starts one watcher per kind, in `namespace` or across all namespaces. The plugin's
    /// Service is looked for everywhere: it lives in the operator's namespace.
    pub fn start(client: &kube::Client, namespace: Option<String>) -> Watched {
        let changed = Arc::new(Notify::new());
        let mut tasks = Vec::new();
        let ns = namespace;
        Watched {
            pods: spawn(client, pods_spec(), ns.clone(), &changed, &mut tasks),
            services: spawn(client, plugin_services_spec(), None, &changed, &mut tasks),
            object_stores: spawn(
                client,
                object_stores_spec(),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            backups: spawn(client, backups_spec(), ns.clone(), &changed, &mut tasks),
            clusters: spawn(client, clusters_spec(), ns.clone(), &changed, &mut tasks),
            scheduled: spawn(
                client,
                scheduled_backups_spec(),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            kustomizations: spawn(
                client,
                kustomizations_spec(),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            git_repos: spawn(client, git_repositories_spec(), ns, &changed, &mut tasks),
            changed,
            tasks,
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            taken: Some(Utc::now()),
            pods: self.pods.borrow().clone(),
            services: self.services.borrow().clone(),
            object_stores: self.object_stores.borrow().clone(),
            backups: self.backups.borrow().clone(),
            clusters: self.clusters.borrow().clone(),
            scheduled: self.scheduled.borrow().clone(),
            kustomizations: self.kustomizations.borrow().clone(),
            git_repos: self.git_repos.borrow().clone(),
        }
    }
}
