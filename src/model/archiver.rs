//! What a Cluster's primary says about its WAL archiver, read live through the API server's
//! `pods/proxy` subresource: the instance manager's status (`/pg/status` on port 8000), the
//! exporter (`/metrics` on port 9187) and the kubelet's usage of the WAL volume. Each part
//! is read on its own and keeps why it could not be read: a part that failed is unknown,
//! never healthy.

use chrono::{DateTime, Utc};

/// One reading of one Cluster's primary. The dashboard keeps earlier readings and `check`
/// may take two: a rate needs two readings of the same pod.
#[derive(Debug, Clone, PartialEq)]
pub struct ArchiverReading {
    pub namespace: String,
    pub cluster: String,
    /// The primary's pod (`status.currentPrimary`).
    pub pod: String,
    pub taken_at: DateTime<Utc>,
    /// The instance manager's `/pg/status`, or why it could not be read.
    pub status: Result<InstanceArchive, String>,
    /// The exporter's archiver metrics, or why they could not be read.
    pub metrics: Result<ArchiverMetrics, String>,
    /// The WAL volume's usage (PGDATA's when there is no separate WAL volume), or why not.
    pub volume: Result<VolumeUsage, String>,
    /// The newest completed Backup of the Cluster and its `status.endWal`, when there is one.
    pub newest_backup: Option<BackupEnd>,
}

/// The archiver fields of the instance manager's status (CloudNativePG
/// `pkg/postgres/status.go`, `PostgresqlStatus`), as the primary reports them.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstanceArchive {
    /// `isPrimary`
    pub is_primary: bool,
    /// `isArchivingWAL`: the last archival is newer than the last failure.
    pub is_archiving: bool,
    /// `lastArchivedWAL`
    pub last_archived_wal: Option<String>,
    /// `lastArchivedWALTime`, None when never (`-infinity`) or unreadable.
    pub last_archived_time: Option<DateTime<Utc>>,
    /// `lastFailedWAL`
    pub last_failed_wal: Option<String>,
    /// `lastFailedWALTime`
    pub last_failed_time: Option<DateTime<Utc>>,
    /// `currentWAL`
    pub current_wal: Option<String>,
    /// `readyWalFiles`: `.ready` files in `pg_wal/archive_status`, WAL waiting to be archived.
    pub ready_wal_files: u64,
    /// `timeLineID`
    pub timeline: Option<u64>,
}

/// The exporter's samples backstop reads (CloudNativePG's default monitoring queries and
/// its collector, the Barman Cloud plugin's metrics). Each is None when absent.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ArchiverMetrics {
    /// `cnpg_pg_stat_archiver_archived_count`
    pub archived_count: Option<f64>,
    /// `cnpg_pg_stat_archiver_failed_count`
    pub failed_count: Option<f64>,
    /// `cnpg_pg_stat_archiver_seconds_since_last_archival` (-1 when never)
    pub seconds_since_last_archival: Option<f64>,
    /// `cnpg_pg_stat_archiver_seconds_since_last_failure` (-1 when never)
    pub seconds_since_last_failure: Option<f64>,
    /// `cnpg_pg_stat_archiver_last_archived_time`: epoch seconds, -1 when never.
    pub last_archived_time: Option<f64>,
    /// `cnpg_pg_stat_archiver_last_failed_time`: epoch seconds, -1 when never.
    pub last_failed_time: Option<f64>,
    /// `cnpg_pg_stat_archiver_last_archived_wal_start_lsn`
    pub last_archived_wal_start_lsn: Option<f64>,
    /// `cnpg_pg_stat_archiver_last_failed_wal_start_lsn`
    pub last_failed_wal_start_lsn: Option<f64>,
    /// `cnpg_collector_pg_wal_archive_status{value="ready"}`
    pub wal_ready: Option<f64>,
    /// `cnpg_collector_pg_wal_archive_status{value="done"}`
    pub wal_done: Option<f64>,
    /// `cnpg_collector_pg_wal{value="size"}`: bytes of WAL segments in pg_wal.
    pub wal_bytes: Option<f64>,
    /// `cnpg_collector_pg_wal{value="volume_size"}`: spec.walStorage's size (NaN without).
    pub wal_volume_bytes: Option<f64>,
    /// `barman_cloud_cloudnative_pg_io_last_available_backup_timestamp`
    pub plugin_last_backup: Option<f64>,
    /// `barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp`
    pub plugin_last_failed_backup: Option<f64>,
    /// `barman_cloud_cloudnative_pg_io_first_recoverability_point`
    pub plugin_first_recoverability_point: Option<f64>,
}

/// A PersistentVolumeClaim's usage: as the kubelet measures it (`/stats/summary`,
/// `pods[].volume[].pvcRef`), or as the exporter counts the WAL on a separate WAL volume.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VolumeUsage {
    pub pvc: String,
    /// True for the separate WAL volume (`<pod>-wal`), false for PGDATA holding pg_wal.
    pub wal_only: bool,
    pub used_bytes: u64,
    pub capacity_bytes: u64,
    /// Where the numbers come from, as the evidence names it: the kubelet's measure of the
    /// filesystem, or (when the kubelet cannot be asked) the exporter's WAL size against
    /// `spec.walStorage.size`.
    pub source: String,
}

impl VolumeUsage {
    /// Used, in percent of the capacity; None for a volume of no size.
    pub fn used_percent(&self) -> Option<f64> {
        (self.capacity_bytes > 0)
            .then(|| self.used_bytes as f64 * 100.0 / self.capacity_bytes as f64)
    }
}

/// A completed Backup's end, as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BackupEnd {
    pub name: String,
    /// `status.endWal`
    pub end_wal: String,
    /// `status.stoppedAt`
    pub stopped: Option<DateTime<Utc>>,
}

/// Keeps, for each primary, its `per_pod` newest readings (and drops the readings of
/// pods no longer in `current`, (namespace, cluster, pod)): the dashboard's history stays
/// bounded while a rate still has two readings to compare.
pub fn keep_recent(
    readings: &mut Vec<ArchiverReading>,
    current: &[(String, String, String)],
    per_pod: usize,
) {
    readings.sort_by_key(|r| std::cmp::Reverse(r.taken_at));
    let mut seen: std::collections::BTreeMap<(String, String, String), usize> =
        std::collections::BTreeMap::new();
    readings.retain(|r| {
        let key = (r.namespace.clone(), r.cluster.clone(), r.pod.clone());
        if !current.contains(&key) {
            return false;
        }
        let n = seen.entry(key).or_default();
        *n += 1;
        *n <= per_pod
    });
    readings.reverse();
}

/// A WAL file name's position: (timeline, log, segment) from its 24 hex digits, None for
/// anything else (a `.history` or `.partial` name keeps its first 24 digits).
pub fn wal_position(name: &str) -> Option<(u32, u32, u32)> {
    let hex = name.get(..24)?;
    let part = |r: std::ops::Range<usize>| u32::from_str_radix(hex.get(r)?, 16).ok();
    Some((part(0..8)?, part(8..16)?, part(16..24)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wal_names_order_by_timeline_then_position() {
        assert_eq!(
            wal_position("0000000300000036000000FA"),
            Some((3, 0x36, 0xFA))
        );
        assert_eq!(
            wal_position("000000020000000C00000042.partial"),
            Some((2, 0x0C, 0x42))
        );
        assert!(
            wal_position("0000000300000036000000F9") < wal_position("0000000300000036000000FA")
        );
        assert_eq!(wal_position("00000002.history"), None);
        assert_eq!(wal_position("zz0000030000003600000000"), None);
    }

    #[test]
    fn the_history_keeps_the_newest_readings_of_current_primaries() {
        let r = |pod: &str, secs: i64| ArchiverReading {
            namespace: "orders".into(),
            cluster: "pg-orders".into(),
            pod: pod.into(),
            taken_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(secs),
            status: Err(String::new()),
            metrics: Err(String::new()),
            volume: Err(String::new()),
            newest_backup: None,
        };
        let mut all = vec![
            r("pg-orders-1", 1),
            r("pg-orders-1", 3),
            r("pg-orders-1", 2),
            r("pg-orders-2", 4),
        ];
        let current = [(
            "orders".to_string(),
            "pg-orders".to_string(),
            "pg-orders-1".to_string(),
        )];
        keep_recent(&mut all, &current, 2);
        let kept: Vec<i64> = all.iter().map(|r| r.taken_at.timestamp()).collect();
        assert_eq!(kept, [2, 3], "oldest first, the switched-over pod gone");
    }

    #[test]
    fn used_percent_of_an_empty_volume_is_none() {
        let v = VolumeUsage {
            source: "kubelet stats summary".into(),
            used_bytes: 8,
            capacity_bytes: 10,
            ..Default::default()
        };
        assert_eq!(v.used_percent(), Some(80.0));
        assert_eq!(VolumeUsage::default().used_percent(), None);
    }
}
