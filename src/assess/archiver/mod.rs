//! The archiver of each Cluster's primary, as it answered live (ARC001-ARC007): what the
//! instance manager and the exporter say about WAL archiving, and how full the WAL volume
//! is. These read the thing itself, so they catch what status fields miss: archiving that
//! fails while `ContinuousArchiving` is still True, WAL piling up on disk, and a backup
//! whose end WAL was never archived (plugin-barman-cloud issue 652).

#[cfg(test)]
mod tests;
mod view;

pub use view::{ArchiverView, view};

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::archiver::{
    ArchiverMetrics, ArchiverReading, InstanceArchive, VolumeUsage, wal_position,
};
use crate::model::kubefmt::{delta, span, ts};

const AREA: &str = "archiver";

/// CloudNativePG's default `archive_timeout`: a WAL with writes in it is switched and
/// archived at most this long after. Twice it is the grace before ARC007 fires.
const ARCHIVE_TIMEOUT_SECS: i64 = 5 * 60;

const STATUS_DOCS: &str = "https://cloudnative-pg.io/documentation/current/kubectl-plugin/#status";

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    // The readings of each Cluster's primary, oldest first; a new primary starts afresh.
    let mut by_pod: BTreeMap<(&str, &str, &str), Vec<&ArchiverReading>> = BTreeMap::new();
    for r in &f.archivers {
        by_pod
            .entry((&r.namespace, &r.cluster, &r.pod))
            .or_default()
            .push(r);
    }
    for readings in by_pod.values_mut() {
        readings.sort_by_key(|r| r.taken_at);
        let Some(last) = readings.last() else {
            continue;
        };
        unreadable(last, &mut out);
        // Where the Cluster's ContinuousArchiving condition already says archiving fails,
        // BKP005 says it, with this reading in its evidence: one cause, one finding. ARC002
        // speaks when the condition still reads True (it lags, or the operator has not
        // looked since).
        let said = f.snapshot.clusters.rows.iter().any(|c| {
            c.namespace == last.namespace
                && c.name == last.cluster
                && c.archiving().is_some_and(|a| a.status == "False")
        });
        match (&last.status, &last.metrics) {
            (Ok(s), _) => {
                if !said {
                    failing(last, s, &mut out);
                }
                backup_end(last, s, now, &mut out);
            }
            // Port 9187 is often open to Prometheus where 8000 is not: the exporter's
            // pg_stat_archiver still tells a failing archiver.
            (Err(why), Ok(m)) if !said => failing_by_metrics(last, m, why, &mut out),
            _ => {}
        }
        backlog(readings, th, &mut out);
        if let Ok(v) = &last.volume {
            volume(last, v, readings, th, &mut out);
        }
    }
    out
}

fn finding(
    code: &'static str,
    severity: Severity,
    r: &ArchiverReading,
    summary: String,
    evidence: Vec<String>,
    remedy: String,
) -> Finding {
    Finding::new(
        code,
        severity,
        ObjectRef::new(Kind::Cluster, &r.namespace, &r.cluster),
        summary,
        evidence,
        remedy,
    )
}

fn or_never(t: Option<DateTime<Utc>>) -> String {
    t.map(ts).unwrap_or_else(|| "never".into())
}

/// The archiver lines of a status, as the instance manager named them.
fn status_lines(r: &ArchiverReading, s: &InstanceArchive) -> Vec<String> {
    let p = format!("{}/{} /pg/status", r.namespace, r.pod);
    vec![
        format!(
            "{p} lastArchivedWAL: {} at {}",
            s.last_archived_wal.as_deref().unwrap_or("none"),
            or_never(s.last_archived_time)
        ),
        format!(
            "{p} lastFailedWAL: {} at {}",
            s.last_failed_wal.as_deref().unwrap_or("none"),
            or_never(s.last_failed_time)
        ),
        format!(
            "{p} isArchivingWAL: {}, readyWalFiles: {}",
            s.is_archiving, s.ready_wal_files
        ),
    ]
}

/// The archiver's own lines, wherever it runs: the plugin's sidecar archives for a plugin
/// Cluster, the postgres container for the in-tree path; both log barman-cloud-wal-archive.
fn log_hint(r: &ArchiverReading) -> String {
    format!(
        "kubectl logs -n {} {} --all-containers --tail=300 | grep barman-cloud-wal-archive",
        r.namespace, r.pod
    )
}

/// ARC001: a part of the archiver could not be read. The rules that need it are blind, so
/// the area is also unknown, with the reason.
fn unreadable(r: &ArchiverReading, out: &mut Outcome) {
    let parts = [
        (
            "the instance status (/pg/status on port 8000)",
            r.status.as_ref().err(),
        ),
        (
            "the exporter (/metrics on port 9187)",
            r.metrics.as_ref().err(),
        ),
        (
            "the WAL volume's usage (the kubelet's stats summary)",
            r.volume.as_ref().err(),
        ),
    ];
    let failed: Vec<(&str, &String)> = parts
        .iter()
        .filter_map(|(what, e)| e.map(|e| (*what, e)))
        .collect();
    if failed.is_empty() {
        return;
    }
    for (what, why) in &failed {
        out.unknown(AREA, format!("{what} of {}/{}: {why}", r.namespace, r.pod));
    }
    let forbidden = failed.iter().any(|(_, e)| e.contains("(403"));
    let names: Vec<&str> = failed.iter().map(|(w, _)| *w).collect();
    out.push(finding(
        "ARC001",
        Severity::Info,
        r,
        format!(
            "The archiver of Cluster {}/{}'s primary {} could not be read: {}",
            r.namespace,
            r.cluster,
            r.pod,
            names.join(", ")
        ),
        failed
            .iter()
            .map(|(what, why)| format!("{what}: {why}"))
            .collect(),
        format!(
            "{}Reading it needs get on pods/proxy in {ns} (`kubectl auth can-i get pods --subresource=proxy -n {ns}`) and, for the volume, get on nodes/proxy; a NetworkPolicy must let the API server reach ports 8000 and 9187 of the instance pods; a pod that is not running cannot answer. `kubectl cnpg status {cluster} -n {ns}` reads the same status the same way ({STATUS_DOCS}).",
            if forbidden {
                "The API server refused the read (403). "
            } else {
                ""
            },
            ns = r.namespace,
            cluster = r.cluster,
        ),
    ));
}

/// ARC002: the last failure is newer than the last success: PostgreSQL retries the same
/// segment and keeps every later one on disk until it succeeds.
fn failing(r: &ArchiverReading, s: &InstanceArchive, out: &mut Outcome) {
    let Some(failed_at) = s.last_failed_time else {
        return;
    };
    if s.last_archived_time.is_some_and(|a| a >= failed_at) {
        return;
    }
    let mut evidence = status_lines(r, s);
    if let Ok(m) = &r.metrics
        && let Some(n) = m.failed_count
    {
        evidence.push(format!("cnpg_pg_stat_archiver_failed_count {n}"));
    }
    out.push(finding(
        "ARC002",
        Severity::Critical,
        r,
        format!(
            "WAL archiving of Cluster {}/{} is failing: {} failed at {} and nothing was archived since",
            r.namespace,
            r.cluster,
            s.last_failed_wal.as_deref().unwrap_or("a segment"),
            ts(failed_at)
        ),
        evidence,
        format!(
            "Until one archival succeeds, point-in-time recovery stops at {} and WAL piles up on the primary's volume. The archiver's error is in the log: {}",
            s.last_archived_wal.as_deref().unwrap_or("the last archived WAL"),
            log_hint(r)
        ),
    ));
}

fn epoch(v: Option<f64>) -> Option<DateTime<Utc>> {
    v.filter(|t| *t >= 0.0)
        .and_then(|t| DateTime::from_timestamp(t as i64, 0))
}

/// ARC002 from the exporter, when the instance status could not be read: the same
/// comparison upstream's sample alert makes (last failed time after last archived time).
fn failing_by_metrics(r: &ArchiverReading, m: &ArchiverMetrics, why: &str, out: &mut Outcome) {
    let Some(failed_at) = epoch(m.last_failed_time) else {
        return;
    };
    let archived_at = epoch(m.last_archived_time);
    if archived_at.is_some_and(|a| a >= failed_at) {
        return;
    }
    let mut evidence = vec![
        format!(
            "cnpg_pg_stat_archiver_last_failed_time {} ({})",
            failed_at.timestamp(),
            ts(failed_at)
        ),
        format!(
            "cnpg_pg_stat_archiver_last_archived_time {}",
            archived_at.map_or("-1 (never)".into(), |a| format!(
                "{} ({})",
                a.timestamp(),
                ts(a)
            ))
        ),
    ];
    if let Some(n) = m.failed_count {
        evidence.push(format!("cnpg_pg_stat_archiver_failed_count {n}"));
    }
    evidence.push(format!("the instance status was not read: {why}"));
    out.push(finding(
        "ARC002",
        Severity::Critical,
        r,
        format!(
            "WAL archiving of Cluster {}/{} is failing: the last failure at {} is newer than the last archival (the exporter's pg_stat_archiver on {})",
            r.namespace,
            r.cluster,
            ts(failed_at),
            r.pod
        ),
        evidence,
        format!(
            "Until one archival succeeds, point-in-time recovery stops at the last archived WAL and WAL piles up on the primary's volume. The archiver's error is in the log: {}",
            log_hint(r)
        ),
    ));
}

/// WAL waiting to be archived: the status's `readyWalFiles`, else the exporter's count of
/// `.ready` files; with the name the evidence quotes.
fn ready_of(r: &ArchiverReading) -> Option<(u64, &'static str)> {
    match (&r.status, &r.metrics) {
        (Ok(s), _) => Some((s.ready_wal_files, "/pg/status readyWalFiles:")),
        (Err(_), Ok(m)) => m.wal_ready.filter(|n| *n >= 0.0).map(|n| {
            (
                n as u64,
                "cnpg_collector_pg_wal_archive_status{value=\"ready\"}",
            )
        }),
        _ => None,
    }
}

/// ARC003: WAL waiting to be archived, at or above the threshold, or growing between two
/// readings at least `archiver_sample_gap` apart.
fn backlog(readings: &[&ArchiverReading], th: &Thresholds, out: &mut Outcome) {
    let ready = |r: &ArchiverReading| ready_of(r).map(|(n, _)| n);
    let Some(last) = readings.last() else {
        return;
    };
    let Some((now_ready, label)) = ready_of(last) else {
        return;
    };
    let earlier = readings.iter().find(|r| {
        (last.taken_at - r.taken_at) >= delta(th.archiver_sample_gap) && ready(r).is_some()
    });
    let grew = earlier
        .and_then(|e| Some((e, ready(e)?)))
        .filter(|(_, n)| now_ready > *n);
    if now_ready < th.archiver_ready_wal && grew.is_none() {
        return;
    }
    let mut evidence = vec![format!(
        "{}/{} {label} {now_ready} at {}",
        last.namespace,
        last.pod,
        ts(last.taken_at)
    )];
    if let Some((e, n)) = grew {
        evidence.push(format!(
            "readyWalFiles: {n} at {} ({} earlier)",
            ts(e.taken_at),
            span(last.taken_at - e.taken_at)
        ));
    }
    if let Ok(s) = &last.status {
        evidence.extend(status_lines(last, s).into_iter().take(1));
    }
    if let Ok(m) = &last.metrics
        && let Some(b) = m.wal_bytes
    {
        evidence.push(format!("cnpg_collector_pg_wal{{value=\"size\"}} {b}"));
    }
    let why = match grew {
        Some(_) => "and growing".to_string(),
        None => format!("(threshold archiver-ready-wal {})", th.archiver_ready_wal),
    };
    out.push(finding(
        "ARC003",
        Severity::Warning,
        last,
        format!(
            "{now_ready} WAL files wait to be archived on Cluster {}/{}'s primary {} {why}",
            last.namespace, last.cluster, last.pod
        ),
        evidence,
        format!(
            "The archiver is behind: WAL is written faster than it is archived, or archiving fails. Until they are archived these segments are lost to recovery if the volume is. Look at the archiver's log ({}) and the object store's throughput; raise `wal.maxParallel` on the ObjectStore when it is only slow.",
            log_hint(last)
        ),
    ));
}

/// ARC004-ARC006: the volume holding pg_wal, used and filling.
fn volume(
    last: &ArchiverReading,
    v: &VolumeUsage,
    readings: &[&ArchiverReading],
    th: &Thresholds,
    out: &mut Outcome,
) {
    let which = if v.wal_only {
        "WAL volume"
    } else {
        "data volume (which holds pg_wal: no separate walStorage)"
    };
    let usage = format!(
        "PersistentVolumeClaim {}/{}: usedBytes {} of capacityBytes {} at {} ({})",
        last.namespace,
        v.pvc,
        v.used_bytes,
        v.capacity_bytes,
        ts(last.taken_at),
        v.source
    );
    let expand = if v.wal_only {
        "spec.walStorage.size"
    } else {
        "spec.storage.size"
    };
    let remedy = format!(
        "When PostgreSQL cannot write WAL it stops. Fix archiving first if it fails (ARC002): archived WAL is removed from the volume. Then grow the volume through the Cluster's {expand} (its StorageClass must allow expansion)."
    );
    if let Some(p) = v.used_percent() {
        let (code, sev, limit) = if p >= th.wal_volume_critical {
            ("ARC005", Severity::Critical, th.wal_volume_critical)
        } else if p >= th.wal_volume_warning {
            ("ARC004", Severity::Warning, th.wal_volume_warning)
        } else {
            ("", Severity::Info, 0.0)
        };
        if !code.is_empty() {
            out.push(finding(
                code,
                sev,
                last,
                format!(
                    "The {which} of Cluster {}/{}'s primary {} is {p:.0}% full (threshold {limit}%)",
                    last.namespace, last.cluster, last.pod
                ),
                vec![usage.clone()],
                remedy.clone(),
            ));
        }
    }
    let Some((first, per_sec)) = fill_rate(readings, th) else {
        return;
    };
    let Ok(before) = &first.volume else {
        return;
    };
    let Some(runway) = runway_of(v, per_sec) else {
        return;
    };
    if runway > delta(th.wal_runway) {
        return;
    }
    out.push(finding(
        "ARC006",
        Severity::Warning,
        last,
        format!(
            "The {which} of Cluster {}/{}'s primary {} fills in about {} at the current rate",
            last.namespace,
            last.cluster,
            last.pod,
            span(runway)
        ),
        vec![
            usage,
            format!(
                "usedBytes {} at {}: {:.0} bytes a second over {} between two readings (threshold archiver-sample-gap {}s)",
                before.used_bytes,
                ts(first.taken_at),
                per_sec,
                span(last.taken_at - first.taken_at),
                th.archiver_sample_gap.as_secs()
            ),
            format!("threshold wal-runway {}", span(delta(th.wal_runway))),
        ],
        remedy,
    ));
}

/// The growth of the newest reading's volume, in bytes a second, against the oldest
/// reading of the same claim at least `archiver_sample_gap` earlier; None without two such
/// readings or without growth.
pub(crate) fn fill_rate<'a>(
    readings: &[&'a ArchiverReading],
    th: &Thresholds,
) -> Option<(&'a ArchiverReading, f64)> {
    let last = readings.last()?;
    let v = last.volume.as_ref().ok()?;
    let first = readings.iter().find(|r| {
        (last.taken_at - r.taken_at) >= delta(th.archiver_sample_gap)
            && r.volume.as_ref().is_ok_and(|o| o.pvc == v.pvc)
    })?;
    let before = first.volume.as_ref().ok()?;
    let secs = (last.taken_at - first.taken_at).num_milliseconds() as f64 / 1000.0;
    let grown = v.used_bytes as f64 - before.used_bytes as f64;
    (secs > 0.0 && grown > 0.0).then_some((*first, grown / secs))
}

/// How long until the volume is full at `per_sec` bytes a second.
pub(crate) fn runway_of(v: &VolumeUsage, per_sec: f64) -> Option<chrono::Duration> {
    let free = v.capacity_bytes.saturating_sub(v.used_bytes) as f64;
    (per_sec > 0.0).then(|| chrono::Duration::seconds((free / per_sec).min(1e12) as i64))
}

/// ARC007: the newest completed backup ends in a WAL the archiver has not archived yet
/// (plugin-barman-cloud issue 652: on a quiet database it may never be), so the backup
/// cannot be restored ("WAL ends before end of online backup").
fn backup_end(r: &ArchiverReading, s: &InstanceArchive, now: DateTime<Utc>, out: &mut Outcome) {
    let Some(b) = &r.newest_backup else {
        return;
    };
    let Some(end) = wal_position(&b.end_wal) else {
        return;
    };
    let archived = s.last_archived_wal.as_deref().and_then(wal_position);
    // Positions compare within a timeline: a promotion since the backup moves on.
    if archived.is_some_and(|a| a.0 > end.0 || a >= end) {
        return;
    }
    if b.stopped
        .is_some_and(|t| (now - t).num_seconds() < 2 * ARCHIVE_TIMEOUT_SECS)
    {
        return;
    }
    out.push(finding(
        "ARC007",
        Severity::Critical,
        r,
        format!(
            "Backup {}/{}'s end WAL {} is not archived: the backup cannot be restored yet",
            r.namespace, b.name, b.end_wal
        ),
        vec![
            format!("Backup {}/{} status.endWal: {}", r.namespace, b.name, b.end_wal),
            format!(
                "Backup {}/{} status.stoppedAt: {}",
                r.namespace,
                b.name,
                or_never(b.stopped)
            ),
            format!(
                "{}/{} /pg/status lastArchivedWAL: {} at {}",
                r.namespace,
                r.pod,
                s.last_archived_wal.as_deref().unwrap_or("none"),
                or_never(s.last_archived_time)
            ),
        ],
        format!(
            "A restore from this backup needs every WAL up to its end; PostgreSQL says \"WAL ends before end of online backup\" without it (https://github.com/cloudnative-pg/plugin-barman-cloud/issues/652). Make the primary switch and archive its current WAL: kubectl cnpg psql {} -n {} -- -c 'SELECT pg_switch_wal()'; if it stays unarchived, archiving fails: {}",
            r.cluster,
            r.namespace,
            log_hint(r)
        ),
    ));
}
