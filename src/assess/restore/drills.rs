//! RST009 and RST010: when a restore was last proven. backstop records each drill on the
//! source Cluster (`backstop.dev/last-drill`, and `backstop.dev/last-passed-drill` when it
//! passed); a Cluster that backs up and has no recent passed drill has backups nobody has
//! shown to restore.
//!
//! Never drilled is info, not a warning: most Clusters start there, and a warning on every
//! one would drown the warnings that need action; the age of a drill that did run, and a
//! drill that failed, are warnings, since someone chose to prove restores and the proof is
//! missing or stale.

use chrono::{DateTime, Utc};

use super::{Outcome, Severity, Thresholds, finding, is_drill_cluster};
use crate::model::kubefmt::{delta, span, ts};
use crate::model::recovery::{LAST_DRILL, LAST_PASSED_DRILL};
use crate::model::rows::ClusterRow;

/// Whether a Cluster writes backups a restore could be drilled from.
fn backs_up(c: &ClusterRow) -> bool {
    c.plugin
        .as_ref()
        .is_some_and(|p| p.enabled && p.object_store.is_some())
        || c.legacy_barman
}

pub(super) fn rules(c: &ClusterRow, now: DateTime<Utc>, th: &Thresholds, out: &mut Outcome) {
    if !backs_up(c) || is_drill_cluster(c) {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let max = delta(th.drill_max_age);
    let drill_cmd = format!("backstop restore drill {name} -n {ns}");
    let d = c.last_drill.as_ref();
    // The newest pass: the annotation kept for it, or the record when it says passed.
    let passed = c
        .last_passed_drill
        .into_iter()
        .chain(d.filter(|d| d.passed()).and_then(|d| d.at))
        .max();
    // The newest word on a restore is the one that counts: a drill that failed after the
    // last pass says the backups do not restore now, however recent that pass.
    let failed_since_pass = d
        .filter(|d| !d.passed() && !d.result.is_empty() && d.unreadable.is_none())
        .filter(|d| d.at.is_some_and(|a| passed.is_none_or(|p| a > p)));
    if passed.is_some_and(|t| now - t <= max) && failed_since_pass.is_none() {
        return;
    }
    if d.is_none() && passed.is_none() {
        out.push(finding(
            "RST010",
            Severity::Info,
            c,
            format!("Cluster {ns}/{name} has never been restore-drilled: no restore of its backups was ever proven"),
            vec![format!(
                "Cluster {ns}/{name} metadata.annotations: no {LAST_DRILL} or {LAST_PASSED_DRILL}"
            )],
            format!(
                "A backup is only as good as the last restore that worked. Run a drill (it restores into a scratch namespace, verifies and tears down, then records the result here): {drill_cmd}"
            ),
        ));
        return;
    }
    let mut evidence = Vec::new();
    if let Some(d) = d {
        evidence.push(match &d.unreadable {
            Some(raw) => format!(
                "Cluster {ns}/{name} metadata.annotations[{LAST_DRILL}]: {raw} (not a drill record)"
            ),
            None => format!(
                "Cluster {ns}/{name} metadata.annotations[{LAST_DRILL}]: result {} at {}{}{}",
                if d.result.is_empty() {
                    "unknown"
                } else {
                    &d.result
                },
                d.at.map(ts).unwrap_or_else(|| "an unknown time".into()),
                d.reason
                    .as_deref()
                    .map(|r| format!(", reason: {r}"))
                    .unwrap_or_default(),
                d.namespace
                    .as_deref()
                    .map(|n| format!(", namespace {n}"))
                    .unwrap_or_default(),
            ),
        });
    }
    if let Some(p) = c.last_passed_drill {
        evidence.push(format!(
            "Cluster {ns}/{name} metadata.annotations[{LAST_PASSED_DRILL}]: {}",
            ts(p)
        ));
    }
    let limit = span(max);
    let last_pass = match passed {
        Some(t) => format!("the last passed {} ago", span(now - t)),
        None => "none ever passed".to_string(),
    };
    let failed = d.filter(|d| !d.passed() && d.unreadable.is_none() && !d.result.is_empty());
    let summary = match failed {
        Some(d) => format!(
            "The last restore drill of Cluster {ns}/{name} failed{}{}; {last_pass} (limit {limit})",
            d.at.map(|t| format!(" {} ago", span(now - t)))
                .unwrap_or_default(),
            d.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default(),
        ),
        None => {
            format!("No restore drill of Cluster {ns}/{name} passed within {limit}: {last_pass}")
        }
    };
    let remedy = match failed {
        Some(_) => format!(
            "A failed drill means the backups did not restore as they are: find out why before you need them. Run it again and read the drill report: {drill_cmd}\nIf it fails again, the restore-failing troubleshooting tree walks the causes (backstop trees walk restore-failing); the scratch namespace it used names the failing recovery Cluster."
        ),
        None => format!("Run a drill to prove the backups still restore: {drill_cmd}"),
    };
    out.push(finding(
        "RST009",
        Severity::Warning,
        c,
        summary,
        evidence,
        remedy,
    ));
}

/// One Cluster's drill record as the health report prints it, finding or not.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DrillReport {
    pub object: crate::model::ObjectRef,
    /// passed, failed, never, or what the annotation said.
    pub result: String,
    pub at: Option<String>,
    pub last_passed: Option<String>,
    pub rto_seconds: Option<i64>,
    pub rpo_seconds: Option<i64>,
    /// "last drill passed 3d ago (…)", as the text and Markdown say it.
    pub line: String,
}

/// Every Cluster that backs up, with the age and result of its last drill.
pub fn reports(f: &crate::model::facts::Facts, now: DateTime<Utc>) -> Vec<DrillReport> {
    let rfc = |t: DateTime<Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    f.snapshot
        .clusters
        .rows
        .iter()
        .filter(|c| backs_up(c) && !is_drill_cluster(c))
        .map(|c| {
            let d = c.last_drill.as_ref().filter(|d| d.unreadable.is_none());
            let ago = |t: Option<DateTime<Utc>>| {
                t.map(|t| format!(" {} ago", span(now - t)))
                    .unwrap_or_default()
            };
            let measured = d
                .map(|d| {
                    let parts: Vec<String> = [
                        d.target.as_ref().map(|t| format!("to {t}")),
                        d.rto_seconds
                            .map(|s| format!("RTO {}", span(chrono::TimeDelta::seconds(s)))),
                        d.rpo_seconds
                            .map(|s| format!("RPO {}", span(chrono::TimeDelta::seconds(s)))),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    if parts.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", parts.join(", "))
                    }
                })
                .unwrap_or_default();
            let (result, line) = match d {
                None if c.last_passed_drill.is_none() => (
                    "never".to_string(),
                    format!(
                        "never drilled: backstop restore drill {} -n {}",
                        c.name, c.namespace
                    ),
                ),
                None => (
                    "passed".to_string(),
                    format!("last passed drill{}", ago(c.last_passed_drill)),
                ),
                Some(d) if d.passed() => (
                    "passed".to_string(),
                    format!("last drill passed{}{measured}", ago(d.at)),
                ),
                Some(d) => (
                    if d.result.is_empty() {
                        "unknown".to_string()
                    } else {
                        d.result.clone()
                    },
                    format!(
                        "last drill {}{}{measured}{}; {}",
                        if d.result.is_empty() {
                            "ended"
                        } else {
                            &d.result
                        },
                        ago(d.at),
                        d.reason
                            .as_deref()
                            .map(|r| format!(": {r}"))
                            .unwrap_or_default(),
                        match c.last_passed_drill {
                            Some(p) => format!("last passed{}", ago(Some(p))),
                            None => "none passed yet".into(),
                        }
                    ),
                ),
            };
            DrillReport {
                object: crate::model::ObjectRef::new(
                    crate::model::Kind::Cluster,
                    &c.namespace,
                    &c.name,
                ),
                result,
                at: d.and_then(|d| d.at).map(rfc),
                last_passed: c.last_passed_drill.map(rfc),
                rto_seconds: d.and_then(|d| d.rto_seconds),
                rpo_seconds: d.and_then(|d| d.rpo_seconds),
                line,
            }
        })
        .collect()
}
