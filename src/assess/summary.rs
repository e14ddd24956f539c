//! Each CNPG Cluster's backup state in a few facts: how it backs up, its last good backup,
//! the recovery window its bucket proves, its WAL archiving. The exporter's per-Cluster
//! series and the fleet screen's rows read these, so both say the same.

use chrono::{DateTime, Utc};

use crate::model::archiver::ArchiverReading;
use crate::model::bucket::{ProofOutcome, StoreProof};
use crate::model::by_cluster::ByCluster;
use crate::model::facts::Facts;
use crate::model::relate::{last_good_backup, store_of};
use crate::model::rows::ClusterRow;

/// How a Cluster backs up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Plugin,
    BarmanObjectStore,
    None,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Plugin => "plugin",
            Method::BarmanObjectStore => "barmanObjectStore",
            Method::None => "none",
        }
    }
}

/// What reading the Cluster's bucket proved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Window {
    /// The store was not read (not this time, or saved manifests).
    NotRead,
    /// Read from here was not possible (an ambient cloud identity): nothing known.
    Unknown,
    /// Read, and no recovery window could be proven (or the listing failed).
    NotProven,
    Proven {
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSummary {
    pub namespace: String,
    pub name: String,
    pub method: Method,
    /// The ObjectStore (plugin) or the Cluster's own name (in-tree); empty with no method.
    pub store: String,
    pub server: String,
    pub last_good: Option<DateTime<Utc>>,
    pub window: Window,
    /// The earliest recovery point the plugin's ObjectStore status claims for this server
    /// (`status.serverRecoveryWindow`): what is said where the bucket is not read.
    pub claimed_from: Option<DateTime<Utc>>,
    /// When the primary last archived a WAL file, from its archiver reading.
    pub last_archived: Option<DateTime<Utc>>,
    /// Whether WAL archiving fails: the reading's last failure newer than its last success,
    /// else the ContinuousArchiving condition; None when neither says.
    pub archiving_failing: Option<bool>,
}

/// Every Cluster of the facts, in the snapshot's order.
pub fn clusters(f: &Facts) -> Vec<ClusterSummary> {
    let s = &f.snapshot;
    let by_cluster = ByCluster::new(&s.backups.rows);
    let stores = &s.object_stores.rows;
    s.clusters
        .rows
        .iter()
        .map(|c| {
            let (method, store, server) = method(c);
            let own = by_cluster.of(&c.namespace, &c.name);
            let last_good = last_good_backup(stores, c, own.iter().copied()).map(|g| g.at);
            let window = match proof_of(&f.stores, c).map(|p| &p.outcome) {
                None => Window::NotRead,
                Some(ProofOutcome::Proven(b)) => {
                    match b.window.as_ref().and_then(|w| Some((w.from?, w.to?))) {
                        Some((from, to)) => Window::Proven { from, to },
                        None => Window::NotProven,
                    }
                }
                Some(ProofOutcome::Failed(_)) => Window::NotProven,
                Some(ProofOutcome::Unknown(_)) => Window::Unknown,
            };
            let (last_archived, archiving_failing) = match newest_reading(&f.archivers, c) {
                Some(r) => {
                    let (archived, failed) = archive_times(r);
                    let failing =
                        (r.status.is_ok() || r.metrics.is_ok()).then(|| match (failed, archived) {
                            (Some(f), Some(a)) => f > a,
                            (Some(_), None) => true,
                            (None, _) => false,
                        });
                    (archived, failing)
                }
                // No reading of the primary: the operator's ContinuousArchiving condition
                // still says whether archiving fails.
                None => (None, c.archiving().map(|cond| cond.status == "False")),
            };
            let claimed_from = match method {
                Method::Plugin => stores
                    .iter()
                    .find(|o| o.namespace == c.namespace && o.name == store)
                    .and_then(|o| o.servers.iter().find(|w| w.server == server))
                    .and_then(|w| w.first_point),
                _ => None,
            };
            ClusterSummary {
                namespace: c.namespace.clone(),
                name: c.name.clone(),
                method,
                store: store.to_string(),
                server: server.to_string(),
                last_good,
                window,
                claimed_from,
                last_archived,
                archiving_failing,
            }
        })
        .collect()
}

/// Method, object store and server name.
fn method(c: &ClusterRow) -> (Method, &str, &str) {
    if c.plugin.as_ref().is_some_and(|p| p.enabled) {
        (Method::Plugin, store_of(c).unwrap_or(""), c.server_name())
    } else if c.legacy_barman {
        let server = c
            .barman_store
            .as_ref()
            .and_then(|s| s.server_name.as_deref())
            .unwrap_or(&c.name);
        (Method::BarmanObjectStore, c.name.as_str(), server)
    } else {
        (Method::None, "", "")
    }
}

/// The store reading that is this Cluster's: its plugin ObjectStore under its server name,
/// else its in-tree store.
fn proof_of<'a>(proofs: &'a [StoreProof], c: &ClusterRow) -> Option<&'a StoreProof> {
    let (m, store, server) = method(c);
    let in_tree = match m {
        Method::Plugin => false,
        Method::BarmanObjectStore => true,
        Method::None => return None,
    };
    proofs.iter().find(|p| {
        p.namespace == c.namespace
            && p.in_tree == in_tree
            && p.store == store
            && p.server_name == server
    })
}

fn newest_reading<'a>(all: &'a [ArchiverReading], c: &ClusterRow) -> Option<&'a ArchiverReading> {
    all.iter()
        .filter(|r| r.namespace == c.namespace && r.cluster == c.name)
        .max_by_key(|r| r.taken_at)
}

/// The last archived and last failed WAL times: the instance manager's status, else the
/// exporter's `cnpg_pg_stat_archiver_*` (where -1 means never).
fn archive_times(r: &ArchiverReading) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    if let Ok(s) = &r.status {
        return (s.last_archived_time, s.last_failed_time);
    }
    let epoch = |v: Option<f64>| {
        v.filter(|v| *v > 0.0)
            .and_then(|v| DateTime::from_timestamp_millis((v * 1000.0) as i64))
    };
    match &r.metrics {
        Ok(m) => (epoch(m.last_archived_time), epoch(m.last_failed_time)),
        Err(_) => (None, None),
    }
}
