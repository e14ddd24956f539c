//! The exporter's series, a pure function of one evaluation's results and the exporter's
//! own counters. The names are a contract: the generated alert rules, their unit tests and
//! docs/EXPORTER.md read them.

use chrono::{DateTime, Utc};

use super::text::Family;
use crate::assess::restore::DrillReport;
use crate::assess::{Finding, Severity};
use crate::model::archiver::ArchiverReading;
use crate::model::bucket::{ProofOutcome, StoreProof};
use crate::model::by_cluster::ByCluster;
use crate::model::facts::Facts;
use crate::model::relate::{last_good_backup, store_of};
use crate::model::rows::ClusterRow;
use crate::model::{Kind, SyncState};

/// Finding series written at most; the rest are counted in
/// `backstop_finding_series_dropped`, so a cluster with thousands of broken objects cannot
/// make every scrape heavier without bound.
pub const MAX_FINDING_SERIES: usize = 2000;

/// What one complete evaluation found.
pub struct Evaluated<'a> {
    pub facts: &'a Facts,
    /// After the configured silence.
    pub findings: &'a [Finding],
    pub drills: &'a [DrillReport],
    /// The instant the rules judged at.
    pub now: DateTime<Utc>,
}

/// The exporter's own state, written whether or not the cluster answered.
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub evaluations: u64,
    pub failures: u64,
    /// End and duration (seconds) of the last complete evaluation.
    pub last_complete: Option<(DateTime<Utc>, f64)>,
}

/// The page `/metrics` serves, and how many series it holds.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Page {
    pub text: String,
    pub series: usize,
}

/// Every series. `cluster` is None when the last attempt could not reach the cluster:
/// then each kind reads as unreadable and no per-Cluster or finding series is written, so
/// an alert on a Cluster's series fires on their absence instead of reading old numbers.
pub fn render(cluster: Option<&Evaluated>, counters: &Counters, version: &str) -> Page {
    let mut families = Vec::new();
    match cluster {
        Some(e) => {
            families.extend(per_cluster(e));
            families.extend(findings(e.findings));
            families.push(kinds(Some(e.facts)));
        }
        None => families.push(kinds(None)),
    }
    families.extend(own(counters, version));
    let mut text = String::new();
    for f in &families {
        f.write(&mut text);
    }
    Page {
        text,
        series: families.iter().map(Family::len).sum(),
    }
}

/// The exporter's own series alone: the page before the first evaluation ends.
pub fn render_own(counters: &Counters, version: &str) -> Page {
    let families = own(counters, version);
    let mut text = String::new();
    for f in &families {
        f.write(&mut text);
    }
    Page {
        text,
        series: families.iter().map(Family::len).sum(),
    }
}

fn per_cluster(e: &Evaluated) -> Vec<Family> {
    let mut info = Family::gauge(
        "backstop_cluster_info",
        "Every CloudNativePG Cluster, with how it backs up (plugin, barmanObjectStore or none), its object store and server name.",
    );
    let mut good_at = Family::gauge(
        "backstop_cluster_last_good_backup_timestamp_seconds",
        "When the Cluster's last good backup completed (the newer of its store's recovery window and its newest completed Backup); absent when it never had one.",
    );
    let mut good_age = Family::gauge(
        "backstop_cluster_last_good_backup_age_seconds",
        "Age of the Cluster's last good backup at the evaluation; absent when it never had one.",
    );
    let mut proven = Family::gauge(
        "backstop_cluster_recovery_window_proven",
        "1 when the object store's contents prove a recovery window for the Cluster, 0 when the store was read and proves none or could not be listed; absent when the store was not read.",
    );
    let mut win_start = Family::gauge(
        "backstop_cluster_recovery_window_start_timestamp_seconds",
        "Start of the recovery window proven from the object store.",
    );
    let mut win_end = Family::gauge(
        "backstop_cluster_recovery_window_end_timestamp_seconds",
        "End of the recovery window proven from the object store (the newest WAL reachable without a gap).",
    );
    let mut lag = Family::gauge(
        "backstop_cluster_wal_archive_lag_seconds",
        "Seconds since the primary last archived a WAL file, as its instance manager or exporter reports it.",
    );
    let mut failing = Family::gauge(
        "backstop_cluster_wal_archiving_failing",
        "1 when the primary's last failed WAL archive is newer than its last archived one.",
    );
    let mut drill_ok = Family::gauge(
        "backstop_cluster_last_drill_success",
        "1 when the Cluster's last restore drill passed, 0 when it did not; absent when never drilled.",
    );
    let mut drill_at = Family::gauge(
        "backstop_cluster_last_drill_timestamp_seconds",
        "When the Cluster's last restore drill ran.",
    );

    let s = &e.facts.snapshot;
    let by_cluster = ByCluster::new(&s.backups.rows);
    let stores = &s.object_stores.rows;
    for c in s.clusters.rows.iter() {
        let id = [
            ("namespace", c.namespace.as_str()),
            ("cluster", c.name.as_str()),
        ];
        let (method, store, server) = method(c);
        info.add(
            &[
                id[0],
                id[1],
                ("method", method),
                ("object_store", store),
                ("server_name", server),
            ],
            1.0,
        );
        let own = by_cluster.of(&c.namespace, &c.name);
        if let Some(g) = last_good_backup(stores, c, own.iter().copied()) {
            good_at.add(&id, seconds(g.at));
            good_age.add(&id, (e.now - g.at).as_seconds_f64());
        }
        if let Some(p) = proof_of(&e.facts.stores, c) {
            match &p.outcome {
                ProofOutcome::Proven(b) => {
                    let w = b.window.as_ref().and_then(|w| Some((w.from?, w.to?)));
                    proven.add(&id, if w.is_some() { 1.0 } else { 0.0 });
                    if let Some((from, to)) = w {
                        win_start.add(&id, seconds(from));
                        win_end.add(&id, seconds(to));
                    }
                }
                ProofOutcome::Failed(_) => {
                    proven.add(&id, 0.0);
                }
                // Could not be read from here (an ambient cloud identity): nothing known.
                ProofOutcome::Unknown(_) => {}
            }
        }
        if let Some(r) = newest_reading(&e.facts.archivers, c) {
            let (archived, failed) = archive_times(r);
            if let Some(a) = archived {
                lag.add(&id, (e.now - a).as_seconds_f64().max(0.0));
            }
            if r.status.is_ok() || r.metrics.is_ok() {
                let f = match (failed, archived) {
                    (Some(f), Some(a)) => f > a,
                    (Some(_), None) => true,
                    (None, _) => false,
                };
                failing.add(&id, if f { 1.0 } else { 0.0 });
            }
        } else if let Some(cond) = c.archiving() {
            // No reading of the primary: the operator's ContinuousArchiving condition
            // still says whether archiving fails.
            failing.add(&id, if cond.status == "False" { 1.0 } else { 0.0 });
        }
    }
    for d in e.drills {
        let id = [
            ("namespace", d.object.namespace.as_str()),
            ("cluster", d.object.name.as_str()),
        ];
        match d.result.as_str() {
            "never" => continue,
            "passed" => drill_ok.add(&id, 1.0),
            _ => drill_ok.add(&id, 0.0),
        };
        if let Some(at) =
            d.at.as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        {
            drill_at.add(&id, seconds(at.with_timezone(&Utc)));
        }
    }
    vec![
        info, good_at, good_age, proven, win_start, win_end, lag, failing, drill_ok, drill_at,
    ]
}

/// method, object store and server name as `backstop_cluster_info` labels them.
fn method(c: &ClusterRow) -> (&'static str, &str, &str) {
    if c.plugin.as_ref().is_some_and(|p| p.enabled) {
        ("plugin", store_of(c).unwrap_or(""), c.server_name())
    } else if c.legacy_barman {
        let server = c
            .barman_store
            .as_ref()
            .and_then(|s| s.server_name.as_deref())
            .unwrap_or(&c.name);
        ("barmanObjectStore", c.name.as_str(), server)
    } else {
        ("none", "", "")
    }
}

/// The store reading that is this Cluster's: its plugin ObjectStore under its server name,
/// else its in-tree store.
fn proof_of<'a>(proofs: &'a [StoreProof], c: &ClusterRow) -> Option<&'a StoreProof> {
    let (m, store, server) = method(c);
    let in_tree = match m {
        "plugin" => false,
        "barmanObjectStore" => true,
        _ => return None,
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

fn findings(all: &[Finding]) -> Vec<Family> {
    let mut each = Family::gauge(
        "backstop_finding",
        "1 for each finding of the last evaluation, by code, severity and the object it is about (empty labels for a finding about no object).",
    );
    let mut counts = Family::gauge(
        "backstop_findings",
        "Findings of the last evaluation by severity (after the configured silence).",
    );
    let mut dropped = Family::gauge(
        "backstop_finding_series_dropped",
        "Finding series left out of backstop_finding because there were more than the exporter writes.",
    );
    // The worst first, so a cap leaves out the least severe.
    let mut order: Vec<&Finding> = all.iter().collect();
    order.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.object.namespace.cmp(&b.object.namespace))
            .then_with(|| a.object.name.cmp(&b.object.name))
    });
    let mut left_out = 0usize;
    for f in order {
        let kind = if f.object.name.is_empty() && f.object.namespace.is_empty() {
            ""
        } else {
            f.object.kind.name()
        };
        let labels = [
            ("code", f.code),
            ("severity", f.severity.as_str()),
            ("namespace", f.object.namespace.as_str()),
            ("kind", kind),
            ("name", f.object.name.as_str()),
        ];
        if each.len() >= MAX_FINDING_SERIES {
            // Only a series that would have been new counts as dropped.
            if !each.has(&labels) {
                left_out += 1;
            }
            continue;
        }
        each.add(&labels, 1.0);
    }
    for sev in [Severity::Critical, Severity::Warning, Severity::Info] {
        let n = all.iter().filter(|f| f.severity == sev).count();
        counts.add(&[("severity", sev.as_str())], n as f64);
    }
    dropped.add(&[], left_out as f64);
    vec![each, counts, dropped]
}

/// Each kind `checks::collect` lists, with whether it could be read. A kind whose API is
/// not installed (no Flux, no cert-manager) has nothing to read and no series: an alert on
/// 0 would otherwise fire forever on a cluster that simply does not run it.
fn kinds(facts: Option<&Facts>) -> Family {
    let mut f = Family::gauge(
        "backstop_kind_readable",
        "1 when the last evaluation could list this kind, 0 when it could not (forbidden, failing, or the cluster unreachable).",
    );
    match facts {
        Some(facts) => {
            for (kind, state) in states(facts) {
                match state {
                    SyncState::NotInstalled { .. } => {}
                    SyncState::Live => {
                        f.add(&[("kind", kind.name())], 1.0);
                    }
                    _ => {
                        f.add(&[("kind", kind.name())], 0.0);
                    }
                }
            }
        }
        None => {
            for kind in LISTED {
                f.add(&[("kind", kind.name())], 0.0);
            }
        }
    }
    f
}

/// The kinds `checks::collect` lists, in the order `states` gives them.
const LISTED: [Kind; 15] = [
    Kind::Pod,
    Kind::Service,
    Kind::ObjectStore,
    Kind::Backup,
    Kind::Cluster,
    Kind::ScheduledBackup,
    Kind::Kustomization,
    Kind::GitRepository,
    Kind::HelmRelease,
    Kind::HelmRepository,
    Kind::OCIRepository,
    Kind::Deployment,
    Kind::Secret,
    Kind::Certificate,
    Kind::Event,
];

fn states(f: &Facts) -> [(Kind, &SyncState); 15] {
    let s = &f.snapshot;
    [
        (Kind::Pod, &s.pods.sync),
        (Kind::Service, &s.services.sync),
        (Kind::ObjectStore, &s.object_stores.sync),
        (Kind::Backup, &s.backups.sync),
        (Kind::Cluster, &s.clusters.sync),
        (Kind::ScheduledBackup, &s.scheduled.sync),
        (Kind::Kustomization, &s.kustomizations.sync),
        (Kind::GitRepository, &s.git_repos.sync),
        (Kind::HelmRelease, &s.helm_releases.sync),
        (Kind::HelmRepository, &s.helm_repos.sync),
        (Kind::OCIRepository, &s.oci_repos.sync),
        (Kind::Deployment, &f.deployments.sync),
        (Kind::Secret, &f.secrets.sync),
        (Kind::Certificate, &f.certificates.sync),
        (Kind::Event, &f.events.sync),
    ]
}

fn own(c: &Counters, version: &str) -> Vec<Family> {
    let mut at = Family::gauge(
        "backstop_evaluation_timestamp_seconds",
        "When the last complete evaluation ended.",
    );
    let mut took = Family::gauge(
        "backstop_evaluation_duration_seconds",
        "How long the last complete evaluation took.",
    );
    let mut total = Family::counter(
        "backstop_evaluations_total",
        "Evaluations attempted since the exporter started.",
    );
    let mut failures = Family::counter(
        "backstop_evaluation_failures_total",
        "Evaluations that could not reach the cluster at all.",
    );
    let mut build = Family::gauge(
        "backstop_build_info",
        "The backstop version serving these metrics.",
    );
    if let Some((end, secs)) = c.last_complete {
        at.add(&[], seconds(end));
        took.add(&[], secs);
    }
    total.add(&[], c.evaluations as f64);
    failures.add(&[], c.failures as f64);
    build.add(&[("version", version)], 1.0);
    vec![at, took, total, failures, build]
}

fn seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

#[cfg(test)]
#[path = "metrics_tests.rs"]
mod tests;
