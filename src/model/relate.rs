//! The questions about how objects relate, answered once: which ObjectStore a Cluster
//! archives to, which Clusters use a store, when a Cluster's last good backup was.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::rows::{BackupRow, ClusterRow, ObjectStoreRow};
use super::snapshot::Snapshot;

/// The ObjectStore a Cluster's plugin configuration names.
pub fn store_of(c: &ClusterRow) -> Option<&str> {
    c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
}

/// The Clusters of `namespace` whose plugin configuration names the store `store`.
pub fn clusters_using<'a>(
    clusters: &'a [Arc<ClusterRow>],
    namespace: &'a str,
    store: &'a str,
) -> impl Iterator<Item = &'a ClusterRow> + 'a {
    clusters
        .iter()
        .map(|c| c.as_ref())
        .filter(move |c| c.namespace == namespace && store_of(c) == Some(store))
}

/// Where a Cluster writes its WAL and base backups: the store's endpoint and
/// destinationPath (without a trailing `/`) and the server name under it. Two writers at
/// one place overwrite each other's archive.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArchivePlace {
    /// The endpoint URL, empty for the provider's default.
    pub endpoint: String,
    pub destination: String,
    pub server: String,
}

/// A Cluster that writes to an archive, with where and through what.
#[derive(Debug, Clone)]
pub struct ArchiveWriter<'a> {
    pub cluster: &'a ClusterRow,
    pub place: ArchivePlace,
    /// The ObjectStore's name (plugin), or None for an in-tree barmanObjectStore.
    pub store: Option<&'a str>,
}

/// Every Cluster of the snapshot that writes to an archive whose destination is known: a
/// plugin entry naming an ObjectStore of its namespace (`in_tree` false), and with
/// `in_tree` also the in-tree `barmanObjectStore`. A replica Cluster reading a source's
/// archive through `externalClusters` only reads, and is not one.
pub fn archive_writers(s: &Snapshot, in_tree: bool) -> Vec<ArchiveWriter<'_>> {
    let stores = &s.object_stores.rows;
    let place = |endpoint: Option<&str>, destination: &str, server: &str| ArchivePlace {
        endpoint: endpoint.unwrap_or("").trim_end_matches('/').to_string(),
        destination: destination.trim_end_matches('/').to_string(),
        server: server.to_string(),
    };
    s.clusters
        .rows
        .iter()
        .filter_map(|c| {
            if let Some(store) = store_of(c) {
                let o = stores
                    .iter()
                    .find(|o| o.namespace == c.namespace && o.name == store)?;
                (!o.destination.is_empty()).then(|| ArchiveWriter {
                    cluster: c.as_ref(),
                    place: place(o.endpoint.as_deref(), &o.destination, c.server_name()),
                    store: Some(store),
                })
            } else {
                let a = c.barman_store.as_ref().filter(|_| in_tree)?;
                (!a.destination.is_empty()).then(|| ArchiveWriter {
                    cluster: c.as_ref(),
                    place: place(
                        a.endpoint.as_deref(),
                        &a.destination,
                        a.server_name.as_deref().unwrap_or(&c.name),
                    ),
                    store: None,
                })
            }
        })
        .collect()
}

/// Where a last good backup is known from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Proof<'a> {
    /// The store's `status.serverRecoveryWindow[server].lastSuccessfulBackupTime`.
    Window { store: &'a str, server: &'a str },
    /// A completed Backup's `status.stoppedAt` (else when it started or was made).
    Backup(&'a BackupRow),
    /// The Cluster's own `status.lastSuccessfulBackup` (in-tree and snapshot backups).
    ClusterStatus,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LastGood<'a> {
    pub at: DateTime<Utc>,
    pub proof: Proof<'a>,
}

/// When a Cluster last backed up successfully: the newer of its store's recovery window
/// and its newest completed Backup (on a tie, the window, which the plugin writes after
/// the upload). `backups` are the Cluster's own; rows that could not be read are the
/// caller's to leave out.
pub fn last_good_backup<'a>(
    stores: &'a [Arc<ObjectStoreRow>],
    c: &'a ClusterRow,
    backups: impl IntoIterator<Item = &'a BackupRow>,
) -> Option<LastGood<'a>> {
    let server = c.server_name();
    let window = store_of(c).and_then(|store| {
        let o = stores
            .iter()
            .find(|o| o.namespace == c.namespace && o.name == store)?;
        let w = o.servers.iter().find(|w| w.server == server)?;
        Some(LastGood {
            at: w.last_success?,
            proof: Proof::Window {
                store: o.name.as_str(),
                server: w.server.as_str(),
            },
        })
    });
    let backup = backups
        .into_iter()
        .filter(|b| b.phase == "completed")
        .filter_map(|b| {
            Some(LastGood {
                at: b.stopped.or(b.when())?,
                proof: Proof::Backup(b),
            })
        })
        .max_by_key(|g| g.at);
    let newest = match (window, backup) {
        (Some(w), Some(b)) if b.at > w.at => Some(b),
        (Some(w), _) => Some(w),
        (None, b) => b,
    };
    // An in-tree Cluster records its own last success, even when its Backup objects are
    // gone (deleted by retention, or never created for a volume snapshot).
    let status = c.last_successful_backup.map(|at| LastGood {
        at,
        proof: Proof::ClusterStatus,
    });
    match (newest, status) {
        (Some(n), Some(s)) if s.at > n.at => Some(s),
        (None, s) => s,
        (n, _) => n,
    }
}

/// The newest successful backup anywhere in view, as the header shows it.
pub fn newest_good_backup(s: &Snapshot) -> Option<DateTime<Utc>> {
    let from_backups = s
        .backups
        .rows
        .iter()
        .filter(|b| b.phase == "completed")
        .filter_map(|b| b.stopped.or(b.when()))
        .max();
    let from_stores = s
        .object_stores
        .rows
        .iter()
        .flat_map(|o| o.servers.iter().filter_map(|w| w.last_success))
        .max();
    from_backups.max(from_stores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::rows::{PluginRef, ServerWindow};

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap_or_default()
    }

    fn cluster() -> ClusterRow {
        ClusterRow {
            namespace: "db".into(),
            name: "pg".into(),
            plugin: Some(PluginRef {
                object_store: Some("store".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn store(last: Option<DateTime<Utc>>) -> Arc<ObjectStoreRow> {
        Arc::new(ObjectStoreRow {
            namespace: "db".into(),
            name: "store".into(),
            servers: vec![ServerWindow {
                server: "pg".into(),
                last_success: last,
                ..Default::default()
            }],
            ..Default::default()
        })
    }

    fn backup(name: &str, phase: &str, stopped: DateTime<Utc>) -> BackupRow {
        BackupRow {
            namespace: "db".into(),
            name: name.into(),
            cluster: "pg".into(),
            phase: phase.into(),
            stopped: Some(stopped),
            ..Default::default()
        }
    }

    #[test]
    fn the_newer_of_window_and_backups_wins_and_says_where_it_is_from() {
        let c = cluster();
        let stores = [store(Some(at(10)))];
        let old = backup("old", "completed", at(5));
        let g = last_good_backup(&stores, &c, [&old]).map(|g| (g.at, g.proof));
        assert_eq!(
            g,
            Some((
                at(10),
                Proof::Window {
                    store: "store",
                    server: "pg"
                }
            ))
        );
        let new = backup("new", "completed", at(12));
        let failed = backup("failed", "failed", at(20));
        let g = last_good_backup(&stores, &c, [&old, &new, &failed]).map(|g| g.at);
        assert_eq!(g, Some(at(12)), "a failed backup is not a good one");
    }

    #[test]
    fn an_in_tree_clusters_own_record_counts_when_no_backup_object_shows_it() {
        let c = ClusterRow {
            legacy_barman: true,
            last_successful_backup: Some(at(7)),
            ..cluster()
        };
        let g = last_good_backup(&[], &c, []).map(|g| (g.at, g.proof));
        assert_eq!(g, Some((at(7), Proof::ClusterStatus)));
    }

    #[test]
    fn no_window_and_no_completed_backup_is_none() {
        let c = cluster();
        let stores = [store(None)];
        let running = backup("b", "running", at(1));
        assert_eq!(last_good_backup(&stores, &c, [&running]), None);
    }

    #[test]
    fn clusters_using_a_store_are_those_of_its_namespace_that_name_it() {
        let mut other_ns = cluster();
        other_ns.namespace = "other".into();
        let clusters = vec![Arc::new(cluster()), Arc::new(other_ns)];
        let names: Vec<_> = clusters_using(&clusters, "db", "store")
            .map(|c| c.namespace.as_str())
            .collect();
        assert_eq!(names, ["db"]);
    }
}
