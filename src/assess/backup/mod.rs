//! Backups and WAL archiving (BKP001-BKP013): did the newest backup work, is there a recent
//! enough one, is anything slow or stuck, is WAL archiving healthy, and are the Cluster and
//! its ScheduledBackups configured so that backups can happen at all.
//!
//! By concern: what failed (`failures`: BKP001, BKP005), what is too old, slow or stuck
//! (`age`: BKP002-BKP004, BKP012), and what is configured so that backups cannot work (`config`:
//! BKP006-BKP010), and WAL going to a store without a base backup (`store`: BKP013).

mod age;
mod config;
mod failures;
mod store;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use super::read::backup_now;
use super::{Facts, Kind, Outcome, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::SIDECAR;
use crate::model::rows::{BackupRow, ClusterRow};

const AREA: &str = "backup";

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let mut readable = |state: Option<String>| match state {
        Some(reason) => {
            out.unknown(AREA, reason);
            false
        }
        None => true,
    };
    let clusters_ok = readable(s.clusters.rows_or_why(&Kind::Cluster.qualified()).err());
    let backups_ok = readable(s.backups.rows_or_why(&Kind::Backup.qualified()).err());
    let scheduled_ok = readable(
        s.scheduled
            .rows_or_why(&Kind::ScheduledBackup.qualified())
            .err(),
    );

    let by_cluster = if backups_ok {
        ByCluster::new(&s.backups.rows)
    } else {
        ByCluster::default()
    };
    if backups_ok {
        failures::newest_failed(f, &by_cluster, clusters_ok, &mut out);
        age::slow(f, &by_cluster, th, &mut out);
        age::stuck(f, now, th, &mut out);
    }
    if clusters_ok {
        for c in s.clusters.rows.iter() {
            age::too_old(f, c, &by_cluster, now, th, backups_ok, &mut out);
            failures::archiving(f, c, &mut out);
            if backups_ok {
                store::no_base_backup_in_store(f, c, &by_cluster, now, &mut out);
            }
            config::incomplete_plugin(c, &mut out);
            config::legacy(c, &mut out);
            config::unconfigured(f, c, &mut out);
        }
    }
    if scheduled_ok {
        config::suspended(f, &mut out);
        if backups_ok {
            age::schedule_blocked(f, now, &mut out);
        }
        if clusters_ok {
            config::wrong_method(f, &mut out);
        }
    }
    // BKP011 (throughput under th.min_throughput_mb_s) needs a backup's size, and no fact
    // carries one: Backup status has none, and the plugin reports none. It never fires
    // rather than guess.
    out
}

fn cluster_of<'a>(f: &'a Facts, ns: &str, name: &str) -> Option<&'a ClusterRow> {
    f.snapshot
        .clusters
        .in_namespace(ns)
        .iter()
        .map(|c| c.as_ref())
        .find(|c| c.name == name)
}

/// The events about one Backup, as evidence (the plugin's failure event is of type Normal,
/// so every reason is kept).
fn backup_events(f: &Facts, b: &BackupRow) -> Vec<String> {
    let mut list: Vec<_> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.involved_kind == Kind::Backup.name()
                && e.involved_namespace == b.namespace
                && e.involved_name == b.name
        })
        .collect();
    list.sort_by_key(|e| e.last_seen);
    list.iter()
        .rev()
        .take(3)
        .map(|e| format!("event {} ({}): {}", e.reason, e.kind, e.message))
        .collect()
}

/// Where a cluster's backup tool writes its log: the plugin's sidecar, or postgres in-tree.
fn log_command(ns: &str, pod: &str, c: Option<&ClusterRow>) -> String {
    let container = match c {
        Some(c) if c.plugin.is_none() && c.legacy_barman => "postgres",
        _ => SIDECAR,
    };
    format!("kubectl -n {ns} logs {pod} -c {container}")
}

/// The command that takes a backup now with the method the cluster is configured for.
fn take_backup(ns: &str, cluster: &str, c: Option<&ClusterRow>) -> String {
    match c {
        Some(c) if c.plugin.is_none() && c.legacy_barman => {
            format!("kubectl cnpg backup {cluster} -n {ns} --method=barmanObjectStore")
        }
        _ => backup_now(ns, cluster),
    }
}
