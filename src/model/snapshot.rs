//! Every watched kind at one instant: cheap to clone (shared rows), read by panes and rules.

use chrono::{DateTime, Utc};

use super::rows::*;
use super::state::{KindState, SyncState};

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
    pub helm_releases: KindState<HelmReleaseRow>,
    /// HelmRepositories and OCIRepositories: the same fields as a GitRepository.
    pub helm_repos: KindState<GitRepositoryRow>,
    pub oci_repos: KindState<GitRepositoryRow>,
}

/// What every kind's state carries beside its rows.
struct Meta<'a> {
    sync: &'a SyncState,
    rv: u64,
    version: u64,
    /// A kind a cluster may not serve without anything being wrong.
    optional: bool,
}

impl Snapshot {
    /// The one place the watched kinds are listed for the questions asked of all of them.
    fn meta(&self) -> [Meta<'_>; 11] {
        fn m<R>(k: &KindState<R>, optional: bool) -> Meta<'_> {
            Meta {
                sync: &k.sync,
                rv: k.rv,
                version: k.version,
                optional,
            }
        }
        [
            m(&self.pods, false),
            m(&self.services, false),
            m(&self.object_stores, false),
            m(&self.backups, false),
            m(&self.clusters, false),
            m(&self.scheduled, false),
            m(&self.kustomizations, false),
            m(&self.git_repos, false),
            m(&self.helm_releases, true),
            m(&self.helm_repos, true),
            m(&self.oci_repos, true),
        ]
    }

    /// Every kind is live (or, for an optional one, not served): the whole cluster is in
    /// view.
    pub fn live(&self) -> bool {
        self.meta().iter().all(|m| {
            *m.sync == SyncState::Live
                || (m.optional && matches!(m.sync, SyncState::NotInstalled { .. }))
        })
    }

    /// No kind is still syncing (each is live, or says why not).
    pub fn settled(&self) -> bool {
        self.meta().iter().all(|m| *m.sync != SyncState::Syncing)
    }

    /// The newest resourceVersion any kind has applied.
    pub fn rv(&self) -> u64 {
        self.meta().iter().map(|m| m.rv).max().unwrap_or(0)
    }

    /// Moves whenever any kind changes: the UI rebuilds its views only then.
    pub fn version(&self) -> u64 {
        self.meta()
            .iter()
            .fold(0u64, |acc, m| acc.wrapping_mul(31).wrapping_add(m.version))
    }
}
