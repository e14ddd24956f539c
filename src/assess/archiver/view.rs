//! What a pane shows of one Cluster's archiver, from its readings: the same reading of the
//! same numbers the ARC rules judge, so a pane and a finding cannot disagree.

use chrono::{DateTime, Utc};

use super::{fill_rate, runway_of};
use crate::assess::Thresholds;
use crate::model::archiver::ArchiverReading;

#[derive(Debug, Clone, PartialEq)]
pub struct ArchiverView {
    /// The primary read, and when.
    pub pod: String,
    pub taken_at: DateTime<Utc>,
    /// `readyWalFiles` (else the exporter's `.ready` count); None when neither was read.
    pub ready_wal_files: Option<u64>,
    /// (`lastArchivedWAL`, `lastArchivedWALTime`)
    pub last_archived: Option<(String, Option<DateTime<Utc>>)>,
    /// (`lastFailedWAL`, `lastFailedWALTime`)
    pub last_failed: Option<(String, Option<DateTime<Utc>>)>,
    /// The last failure is newer than the last success (ARC002, from the status or else the
    /// exporter); None when unread.
    pub failing: Option<bool>,
    /// The volume holding pg_wal: (claim, used %) when read.
    pub volume: Option<(String, f64)>,
    /// Until that volume is full at the rate between two readings at least
    /// `archiver_sample_gap` apart; None without such a rate or without growth.
    pub runway: Option<chrono::Duration>,
    /// Each part that could not be read, with why: shown as unknown, never as healthy.
    pub unknown: Vec<String>,
}

/// The view of Cluster `namespace/cluster`'s archiver from its newest primary's readings;
/// None when it was never read.
pub fn view(
    readings: &[ArchiverReading],
    namespace: &str,
    cluster: &str,
    th: &Thresholds,
) -> Option<ArchiverView> {
    let newest = readings
        .iter()
        .filter(|r| r.namespace == namespace && r.cluster == cluster)
        .max_by_key(|r| r.taken_at)?;
    let mut mine: Vec<&ArchiverReading> = readings
        .iter()
        .filter(|r| r.namespace == namespace && r.cluster == cluster && r.pod == newest.pod)
        .collect();
    mine.sort_by_key(|r| r.taken_at);
    let status = newest.status.as_ref().ok();
    let volume = newest.volume.as_ref().ok();
    let mut unknown = Vec::new();
    for (what, part) in [
        ("status", newest.status.as_ref().err()),
        ("metrics", newest.metrics.as_ref().err()),
        ("volume", newest.volume.as_ref().err()),
    ] {
        if let Some(why) = part {
            unknown.push(format!("{what}: {why}"));
        }
    }
    Some(ArchiverView {
        pod: newest.pod.clone(),
        taken_at: newest.taken_at,
        ready_wal_files: super::ready_of(newest).map(|(n, _)| n),
        last_archived: status
            .and_then(|s| Some((s.last_archived_wal.clone()?, s.last_archived_time))),
        last_failed: status.and_then(|s| Some((s.last_failed_wal.clone()?, s.last_failed_time))),
        failing: match (status, newest.metrics.as_ref().ok()) {
            (Some(s), _) => Some(
                s.last_failed_time
                    .is_some_and(|f| s.last_archived_time.is_none_or(|a| f > a)),
            ),
            (None, Some(m)) => m
                .last_failed_time
                .map(|f| f >= 0.0 && m.last_archived_time.is_none_or(|a| f > a)),
            _ => None,
        },
        volume: volume.and_then(|v| Some((v.pvc.clone(), v.used_percent()?))),
        runway: fill_rate(&mine, th).and_then(|(_, per_sec)| runway_of(volume?, per_sec)),
        unknown,
    })
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::model::archiver::{InstanceArchive, VolumeUsage};

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .map(|t| t.with_timezone(&Utc) + Duration::seconds(secs))
            .unwrap_or_default()
    }

    fn reading(secs: i64, used: u64) -> ArchiverReading {
        ArchiverReading {
            namespace: "orders".into(),
            cluster: "pg-orders".into(),
            pod: "pg-orders-1".into(),
            taken_at: at(secs),
            status: Ok(InstanceArchive {
                last_archived_wal: Some("00000003000000360000005D".into()),
                last_archived_time: Some(at(-30_000)),
                last_failed_wal: Some("00000003000000360000005E".into()),
                last_failed_time: Some(at(-33)),
                ready_wal_files: 140,
                ..Default::default()
            }),
            metrics: Err("GET …/metrics: no answer within 5s".into()),
            volume: Ok(VolumeUsage {
                source: "kubelet stats summary".into(),
                pvc: "pg-orders-1-wal".into(),
                wal_only: true,
                used_bytes: used,
                capacity_bytes: 1_000_000,
            }),
            newest_backup: None,
        }
    }

    #[test]
    fn the_view_shows_the_newest_reading_its_runway_and_what_is_unknown() {
        let readings = vec![reading(-10, 500_000), reading(0, 600_000)];
        let v = view(&readings, "orders", "pg-orders", &Thresholds::default()).expect("read");
        assert_eq!((v.pod.as_str(), v.taken_at), ("pg-orders-1", at(0)));
        assert_eq!((v.ready_wal_files, v.failing), (Some(140), Some(true)));
        assert_eq!(v.volume, Some(("pg-orders-1-wal".into(), 60.0)));
        // 100 kB in 10 s, 400 kB free: 40 s.
        assert_eq!(v.runway, Some(Duration::seconds(40)));
        assert_eq!(v.unknown, ["metrics: GET …/metrics: no answer within 5s"]);
        assert!(view(&readings, "orders", "other", &Thresholds::default()).is_none());
        let one = view(
            &readings[1..],
            "orders",
            "pg-orders",
            &Thresholds::default(),
        );
        assert_eq!(one.and_then(|v| v.runway), None, "one reading has no rate");
    }
}
