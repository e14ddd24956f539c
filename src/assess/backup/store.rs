//! BKP013: WAL goes to a store that holds no base backup of the Cluster. After a move to
//! another ObjectStore (the plugin migration, a new bucket, a changed `barmanObjectName`)
//! archiving turns green at once, the completed Backups still look recent, and yet nothing
//! in the store the Cluster now writes to can be restored: WAL without a base backup is
//! not a recovery point.

use chrono::{DateTime, TimeDelta, Utc};

use super::take_backup;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::by_cluster::ByCluster;
use crate::model::kubefmt::{span, ts};
use crate::model::relate::{Proof, last_good_backup, store_of};
use crate::model::rows::ClusterRow;

/// The plugin records a backup in the store's window as the upload ends: a backup that
/// completed this long ago and is not there did not go to this store.
const RECORDED_WITHIN: TimeDelta = TimeDelta::minutes(30);

pub(super) fn no_base_backup_in_store(
    f: &Facts,
    c: &ClusterRow,
    by_cluster: &ByCluster,
    now: DateTime<Utc>,
    out: &mut Outcome,
) {
    let Some(store) = store_of(c) else { return };
    if !c.plugin.as_ref().is_some_and(|p| p.enabled) {
        return;
    }
    // Archiving must really reach the store: a failing archiver is BKP005's finding.
    let Some(archiving) = c.archiving().filter(|a| a.is_true()) else {
        return;
    };
    // A window that cannot be read proves nothing.
    let Ok(stores) = f
        .snapshot
        .object_stores
        .rows_or_why(&Kind::ObjectStore.qualified())
    else {
        return;
    };
    let Some(o) = stores
        .iter()
        .find(|o| o.namespace == c.namespace && o.name == store)
    else {
        return; // A missing store is OBJ's finding.
    };
    let server = c.server_name();
    let window = o.servers.iter().find(|w| w.server == server);
    if window.is_some_and(|w| w.first_point.is_some() || w.last_success.is_some()) {
        return;
    }
    // Only a good backup the store does not know tells of a move: a Cluster that never
    // backed up at all is BKP002's "no successful backup".
    let own = by_cluster.of(&c.namespace, &c.name);
    let Some(good) = last_good_backup(stores, c, own.iter().copied()) else {
        return;
    };
    if now - good.at < RECORDED_WITHIN {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let mut evidence = vec![
        match window {
            Some(_) => format!(
                "ObjectStore {ns}/{store} status.serverRecoveryWindow[{server}]: no firstRecoverabilityPoint, no \
                 lastSuccessfulBackupTime"
            ),
            None => format!(
                "ObjectStore {ns}/{store} status.serverRecoveryWindow: no entry for server {server}"
            ),
        },
        format!(
            "Cluster {ns}/{name} condition ContinuousArchiving: True{} (its WAL goes to {store})",
            archiving
                .since
                .map(|t| format!(" since {}", ts(t)))
                .unwrap_or_default()
        ),
    ];
    evidence.push(match good.proof {
        Proof::Backup(b) => format!(
            "Backup {ns}/{}: completed {} ({} ago), but not recorded in {store}: it went to another store{}",
            b.name,
            ts(good.at),
            span(now - good.at),
            b.plugin_store
                .as_deref()
                .filter(|s| *s != store)
                .map(|s| format!(" (its pluginConfiguration names {s})"))
                .unwrap_or_default()
        ),
        Proof::ClusterStatus => format!(
            "Cluster {ns}/{name} status.lastSuccessfulBackup: {} (an in-tree or snapshot backup, not in {store})",
            ts(good.at)
        ),
        Proof::Window { .. } => return,
    });
    if let Some(created) = o.created.filter(|t| *t > good.at) {
        evidence.push(format!(
            "ObjectStore {ns}/{store} was created {}, after that backup",
            ts(created)
        ));
    }
    out.push(Finding {
        code: "BKP013",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!(
            "Cluster {ns}/{name} archives WAL to ObjectStore {ns}/{store}, which holds no base backup of it: nothing \
             there can be restored"
        ),
        evidence,
        remedy: format!(
            "Take a base backup into the new store now: {}. Until it completes, a restore must start from the \
             previous store, and reaches only up to the moment archiving moved. Then check the window: kubectl -n \
             {ns} get objectstore {store} -o jsonpath='{{.status.serverRecoveryWindow}}'",
            take_backup(ns, name, Some(c))
        ),
    });
}
