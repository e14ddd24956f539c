//! ObjectStores and credentials (OBJ001-OBJ009): does every store a Cluster names exist in
//! its namespace, are the secrets it references there, does its recovery window agree with
//! the backups, and what do the store's own error messages say about credentials, buckets,
//! regions and checksums.
//!
//! The store has no conditions of its own (DOMAIN 1.9), so its errors are read where they
//! surface: Backup status.error, the Cluster's ContinuousArchiving message, Backup events and
//! the instance sidecars' logs (`errors`). The stores themselves and their windows are
//! `stores`, the secrets they reference `secrets`.

mod errors;
// The backup area reads the same sidecar logs for WAL archiving (BKP005).
pub(super) use errors::is_instance_log;
mod secrets;
mod stores;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use super::{Facts, Kind, Outcome, Thresholds};
use crate::model::relate::store_of;
use crate::model::rows::{ClusterRow, ObjectStoreRow};
use crate::model::state::Readable;

const AREA: &str = "objectstore";

pub fn rules(f: &Facts, _now: DateTime<Utc>, _th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let clusters_blocked = s.clusters.rows_or_why(&Kind::Cluster.qualified()).err();
    let stores = Kind::ObjectStore.qualified();
    let stores_blocked = s.object_stores.rows_or_why(&stores).err();
    let uses_stores = s.clusters.rows.iter().any(|c| store_of(c).is_some());

    if let Some(reason) = &clusters_blocked {
        out.unknown(AREA, reason.clone());
    }
    if let Some(reason) = &stores_blocked {
        // Without the CRD and without a Cluster naming a store there is nothing to check;
        // a Cluster naming one while the CRD is absent is PLG002's finding, not ours.
        let absent_and_unused =
            matches!(s.object_stores.readable(&stores), Readable::NotInstalled(_)) && !uses_stores;
        if !absent_and_unused {
            out.unknown(AREA, reason.clone());
        }
    }

    if stores_blocked.is_none() {
        secrets::secrets_present(f, &mut out);
        stores::failed_after_success(f, &mut out);
        stores::endpoints_reachable(f, &mut out);
        if clusters_blocked.is_none() {
            stores::stores_exist(f, &mut out);
            stores::windows_present(f, &mut out);
            errors::store_errors(f, &mut out);
        }
    }
    out
}

/// The store `name` of namespace `ns`, where the plugin looks for it.
fn find_store<'a>(f: &'a Facts, ns: &str, name: &str) -> Option<&'a ObjectStoreRow> {
    f.snapshot
        .object_stores
        .in_namespace(ns)
        .iter()
        .map(|o| o.as_ref())
        .find(|o| o.name == name)
}

/// Clusters whose plugin entry is in use and names a store.
fn plugin_clusters(f: &Facts) -> impl Iterator<Item = (&ClusterRow, &str)> {
    f.snapshot.clusters.rows.iter().filter_map(|c| {
        c.plugin.as_ref().filter(|p| p.enabled)?;
        Some((c.as_ref(), store_of(c)?))
    })
}
