//! The archiver of every Cluster's primary, read live (src/ground/archiver): one reading
//! each, and for a primary whose first reading shows WAL waiting, failing archival or a
//! volume past half full, a second reading `gap` later so the rules have a rate.

use std::time::Duration;

use futures::StreamExt;

use crate::ground::archiver;
use crate::model::Snapshot;
use crate::model::archiver::ArchiverReading;

/// Primaries read at once.
const CONCURRENCY: usize = 4;

/// Whether a first reading is worth a second one: a rate only matters when WAL is waiting,
/// archival fails or the volume is filling.
fn worth_a_rate(r: &ArchiverReading) -> bool {
    let waiting = r
        .status
        .as_ref()
        .is_ok_and(|s| s.ready_wal_files > 0 || (s.last_failed_time.is_some() && !s.is_archiving));
    let filling = r
        .volume
        .as_ref()
        .ok()
        .and_then(|v| v.used_percent())
        .is_some_and(|p| p >= 50.0);
    waiting || filling
}

/// (namespace, cluster, primary pod, newest completed Backup) for every Cluster with a
/// current primary.
fn targets(s: &Snapshot) -> Vec<(String, String, String, Option<String>)> {
    s.clusters
        .rows
        .iter()
        .filter_map(|c| {
            let primary = c.primary.clone().filter(|p| !p.is_empty())?;
            let newest = s
                .backups
                .rows
                .iter()
                .filter(|b| {
                    b.namespace == c.namespace && b.cluster == c.name && b.phase == "completed"
                })
                .max_by_key(|b| b.stopped.or(b.started))
                .map(|b| b.name.clone());
            Some((c.namespace.clone(), c.name.clone(), primary, newest))
        })
        .collect()
}

/// One reading of each primary, and a second one `gap` later (None: never) for those whose
/// first reading is worth a rate. The readings of one pod are in the order taken.
pub async fn readings(
    client: &kube::Client,
    s: &Snapshot,
    gap: Option<Duration>,
) -> Vec<ArchiverReading> {
    let read_all = |ts: Vec<(String, String, String, Option<String>)>| {
        futures::stream::iter(ts)
            .map(|(ns, cluster, pod, backup)| async move {
                archiver::read(client, &ns, &cluster, &pod, backup.as_deref()).await
            })
            .buffered(CONCURRENCY)
            .collect::<Vec<_>>()
    };
    let all = targets(s);
    let mut first = read_all(all.clone()).await;
    let Some(gap) = gap.filter(|g| !g.is_zero()) else {
        return first;
    };
    let again: Vec<_> = all
        .into_iter()
        .zip(first.iter())
        .filter(|(_, r)| worth_a_rate(r))
        .map(|(t, _)| t)
        .collect();
    if again.is_empty() {
        return first;
    }
    tokio::time::sleep(gap).await;
    first.extend(read_all(again).await);
    first
}
