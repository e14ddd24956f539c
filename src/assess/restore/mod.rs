//! Restores and drills (RST001-RST010): a Cluster being restored
//! (`spec.bootstrap.recovery`, not yet healthy) that is stuck, and why; a restore under way;
//! and, for every Cluster that backs up, whether a restore drill passed recently.
//!
//! A restore is followed in both shapes CloudNativePG uses: the `<instance>-full-recovery`
//! Job (cloudnative-pg `pkg/specs/jobs.go`, label `cnpg.io/jobRole=full-recovery`, its
//! container `full-recovery` and the plugin's `plugin-barman-cloud` sidecar that
//! plugin-barman-cloud `internal/cnpgi/operator/lifecycle.go` injects), and the newer
//! `bootstrap-instance` init container of the instance pod (cloudnative-pg PR 11319).

mod drills;
mod pods;
mod signs;
mod source;
mod spec;
mod stuck;
#[cfg(test)]
mod tests;

/// A `recoveryTarget.targetTime` as CloudNativePG reads it: the instant, and whether the
/// text carried an offset (without one it is UTC).
pub use drills::{DrillReport, reports as drill_reports};
pub use spec::target_time;

use chrono::{DateTime, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::domain::{CLUSTER_LABEL, SIDECAR};
use crate::model::facts::LogTail;
use crate::model::recovery::DRILL_NAMESPACE_PREFIX;
use crate::model::rows::{ClusterRow, PodRow, condition};

const AREA: &str = "restore";

/// cloudnative-pg `api/v1/cluster_types.go`.
pub use crate::model::domain::PHASE_HEALTHY;
pub(crate) const PHASE_FIRST_PRIMARY: &str = "Setting up primary";
/// The label and value of the recovery Job's pods.
pub(crate) const JOB_ROLE_LABEL: &str = "cnpg.io/jobRole";
pub(crate) const FULL_RECOVERY: &str = "full-recovery";
/// The init container that bootstraps an instance in place (cloudnative-pg PR 11319).
pub(crate) const BOOTSTRAP_INSTANCE: &str = "bootstrap-instance";

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let clusters = match f.snapshot.clusters.rows_or_why(&Kind::Cluster.qualified()) {
        Ok(rows) => rows,
        Err(why) => {
            out.unknown(AREA, why);
            return out;
        }
    };
    for c in clusters {
        if is_restoring(f, c) {
            stuck::rules(f, c, now, &mut out);
        } else {
            // The phase CloudNativePG gives a Cluster it gave up on, restored or not.
            stuck::unrecoverable(f, c, &mut out);
            drills::rules(c, now, th, &mut out);
        }
    }
    out
}

/// The phase CloudNativePG sets when it gives up (`PhaseUnrecoverable`: "Cluster is
/// unrecoverable and needs manual intervention"; older releases worded it "Cluster is in
/// an unrecoverable state, needs manual intervention").
pub(crate) fn is_unrecoverable(c: &ClusterRow) -> bool {
    crate::model::domain::phase_unrecoverable(&c.phase)
}

/// Whether a Cluster is being restored: it bootstraps by recovery and has not come up yet
/// (its first primary is being set up, it was given up on, or a recovery pod runs).
/// The bootstrap section stays in the spec after the restore; a restored Cluster that is
/// later degraded is not restoring.
pub fn is_restoring(f: &Facts, c: &ClusterRow) -> bool {
    if c.recovery.is_none() || c.phase == PHASE_HEALTHY {
        return false;
    }
    if condition(&c.conditions, "Ready").is_some_and(|r| r.is_true()) {
        return false;
    }
    c.phase.is_empty()
        || c.phase == PHASE_FIRST_PRIMARY
        || is_unrecoverable(c)
        // A recovery Job's pod that succeeded may outlive the restore.
        || recovery_pods(f, c).iter().any(|p| p.phase != "Succeeded")
}

/// Whether a pod restores a Cluster: the recovery Job's, or an instance pod with the
/// bootstrap init container.
pub fn is_recovery_pod(c: &ClusterRow, p: &PodRow) -> bool {
    p.namespace == c.namespace
        && p.labels.get(CLUSTER_LABEL) == Some(&c.name)
        && (p.labels.get(JOB_ROLE_LABEL).map(String::as_str) == Some(FULL_RECOVERY)
            || p.images.iter().any(|(name, _)| name == BOOTSTRAP_INSTANCE))
}

/// The pods restoring a Cluster, newest first.
pub fn recovery_pods<'a>(f: &'a Facts, c: &ClusterRow) -> Vec<&'a PodRow> {
    let mut pods: Vec<&PodRow> = f
        .snapshot
        .pods
        .in_namespace(&c.namespace)
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| is_recovery_pod(c, p))
        .collect();
    pods.sort_by_key(|p| std::cmp::Reverse(p.created));
    pods
}

/// The containers of a recovery pod whose log tells about the restore.
pub const RECOVERY_CONTAINERS: [&str; 3] = [FULL_RECOVERY, BOOTSTRAP_INSTANCE, SIDECAR];

/// Whether a log tail is a recovery pod's, read for these rules: a Job pod by its name
/// (`<cluster>-<n>-full-recovery-<suffix>`) when the pods cannot be listed.
pub fn is_recovery_tail(f: &Facts, t: &LogTail) -> bool {
    if !RECOVERY_CONTAINERS.contains(&t.container.as_str()) {
        return false;
    }
    let pods = f.snapshot.pods.in_namespace(&t.namespace);
    match pods.iter().find(|p| p.name == t.pod) {
        Some(p) => {
            p.labels.get(JOB_ROLE_LABEL).map(String::as_str) == Some(FULL_RECOVERY)
                || p.images.iter().any(|(name, _)| name == BOOTSTRAP_INSTANCE)
        }
        None => t.pod.contains("-full-recovery"),
    }
}

/// The log tails of a Cluster's recovery pods.
pub fn recovery_tails<'a>(f: &'a Facts, c: &ClusterRow) -> Vec<&'a LogTail> {
    let pods = recovery_pods(f, c);
    f.logs
        .iter()
        .filter(|t| t.namespace == c.namespace && is_recovery_tail(f, t))
        .filter(|t| {
            pods.iter().any(|p| p.name == t.pod)
                || (pods.is_empty() && t.pod.starts_with(&format!("{}-", c.name)))
        })
        .collect()
}

/// Whether a Cluster is a drill's recovery Cluster (its scratch namespace).
pub(crate) fn is_drill_cluster(c: &ClusterRow) -> bool {
    c.namespace.starts_with(DRILL_NAMESPACE_PREFIX)
}

fn finding(
    code: &'static str,
    severity: Severity,
    c: &ClusterRow,
    summary: String,
    evidence: Vec<String>,
    remedy: String,
) -> Finding {
    Finding::new(
        code,
        severity,
        ObjectRef::new(Kind::Cluster, &c.namespace, &c.name),
        summary,
        evidence,
        remedy,
    )
}
