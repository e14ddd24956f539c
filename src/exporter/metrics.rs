//! The exporter's series, a pure function of one evaluation's results and the exporter's
//! own counters. The names are a contract: the generated alert rules, their unit tests and
//! docs/EXPORTER.md read them.

use chrono::{DateTime, Utc};

use super::text::Family;
use crate::assess::restore::DrillReport;
use crate::assess::summary::{self, Window};
use crate::assess::{Finding, Severity};
use crate::model::facts::Facts;
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

    for c in summary::clusters(e.facts) {
        let id = [
            ("namespace", c.namespace.as_str()),
            ("cluster", c.name.as_str()),
        ];
        info.add(
            &[
                id[0],
                id[1],
                ("method", c.method.as_str()),
                ("object_store", &c.store),
                ("server_name", &c.server),
            ],
            1.0,
        );
        if let Some(at) = c.last_good {
            good_at.add(&id, seconds(at));
            good_age.add(&id, (e.now - at).as_seconds_f64());
        }
        match c.window {
            Window::Proven { from, to } => {
                proven.add(&id, 1.0);
                win_start.add(&id, seconds(from));
                win_end.add(&id, seconds(to));
            }
            Window::NotProven => {
                proven.add(&id, 0.0);
            }
            Window::NotRead | Window::Unknown => {}
        }
        if let Some(a) = c.last_archived {
            lag.add(&id, (e.now - a).as_seconds_f64().max(0.0));
        }
        if let Some(f) = c.archiving_failing {
            failing.add(&id, if f { 1.0 } else { 0.0 });
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
                        f.add(&[("kind", kind)], 1.0);
                    }
                    _ => {
                        f.add(&[("kind", kind)], 0.0);
                    }
                }
            }
        }
        None => {
            // Unreachable: every kind that is listed counts as unreadable.
            for (kind, _) in states(&Facts::default()) {
                f.add(&[("kind", kind)], 0.0);
            }
        }
    }
    f
}

/// Each kind `checks::collect` lists, by name, with how its list went. The monitoring
/// kinds (read by the alert audit) have no `Kind` of their own.
fn states(f: &Facts) -> [(&'static str, &SyncState); 18] {
    let s = &f.snapshot;
    [
        (Kind::Pod.name(), &s.pods.sync),
        (Kind::Service.name(), &s.services.sync),
        (Kind::ObjectStore.name(), &s.object_stores.sync),
        (Kind::Backup.name(), &s.backups.sync),
        (Kind::Cluster.name(), &s.clusters.sync),
        (Kind::ScheduledBackup.name(), &s.scheduled.sync),
        (Kind::Kustomization.name(), &s.kustomizations.sync),
        (Kind::GitRepository.name(), &s.git_repos.sync),
        (Kind::HelmRelease.name(), &s.helm_releases.sync),
        (Kind::HelmRepository.name(), &s.helm_repos.sync),
        (Kind::OCIRepository.name(), &s.oci_repos.sync),
        (Kind::Deployment.name(), &f.deployments.sync),
        (Kind::Secret.name(), &f.secrets.sync),
        (Kind::Certificate.name(), &f.certificates.sync),
        (Kind::Event.name(), &f.events.sync),
        ("PrometheusRule", &f.prometheus_rules.sync),
        ("PodMonitor", &f.pod_monitors.sync),
        ("ServiceMonitor", &f.service_monitors.sync),
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
