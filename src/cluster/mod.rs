//! The cluster side: the connection, watched kinds projected into rows, and the Snapshot
//! every other layer reads.

pub mod connect;
pub mod fetch;
pub mod kubeconfig;
pub mod lean;
pub mod project;
pub mod watch;

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Notify;

use self::project::Project;
use self::watch::KindSpec;
use crate::model::rows::*;
use crate::model::{Kind, KindState, Snapshot};

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
    helm_releases: tokio::sync::watch::Receiver<KindState<HelmReleaseRow>>,
    helm_repos: tokio::sync::watch::Receiver<KindState<GitRepositoryRow>>,
    oci_repos: tokio::sync::watch::Receiver<KindState<GitRepositoryRow>>,
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

fn spawn<R: Project>(
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
            pods: spawn(
                client,
                KindSpec::of(Kind::Pod),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            services: spawn(
                client,
                KindSpec::plugin_services(),
                None,
                &changed,
                &mut tasks,
            ),
            object_stores: spawn(
                client,
                KindSpec::of(Kind::ObjectStore),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            backups: spawn(
                client,
                KindSpec::of(Kind::Backup),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            clusters: spawn(
                client,
                KindSpec::of(Kind::Cluster),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            scheduled: spawn(
                client,
                KindSpec::of(Kind::ScheduledBackup),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            kustomizations: spawn(
                client,
                KindSpec::of(Kind::Kustomization),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            git_repos: spawn(
                client,
                KindSpec::of(Kind::GitRepository),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            helm_releases: spawn(
                client,
                KindSpec::of(Kind::HelmRelease),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            helm_repos: spawn(
                client,
                KindSpec::of(Kind::HelmRepository),
                ns.clone(),
                &changed,
                &mut tasks,
            ),
            oci_repos: spawn(
                client,
                KindSpec::of(Kind::OCIRepository),
                ns,
                &changed,
                &mut tasks,
            ),
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
            helm_releases: self.helm_releases.borrow().clone(),
            helm_repos: self.helm_repos.borrow().clone(),
            oci_repos: self.oci_repos.borrow().clone(),
        }
    }
}
