//! The health model: pure rules over a cluster's facts, the clock and thresholds, giving
//! findings with the stable codes of FINDINGS.md. No IO here: facts are gathered elsewhere
//! (src/checks for a live cluster, a dump through the simulator), so every rule is a unit
//! test on fixture rows.

pub mod alerting;
pub mod archiver;
pub mod backup;
pub mod bucket;
pub mod catalog;
pub mod cluster;
pub mod fleet;
pub mod flux;
pub mod health;
pub mod objectstore;
pub mod plugin;
pub(crate) mod read;
pub mod restore;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;
mod thresholds;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub(crate) use crate::model::facts::Facts;
pub(crate) use crate::model::{Kind, ObjectRef};
pub use thresholds::Thresholds;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One thing wrong (or worth knowing), with its proof and what to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    pub object: ObjectRef,
    /// One line a person reads first.
    pub summary: String,
    /// The fields, condition messages, events or log lines that prove it, verbatim.
    pub evidence: Vec<String>,
    /// What to do next, with the exact command where one exists.
    pub remedy: String,
}

impl Finding {
    pub(crate) fn new(
        code: &'static str,
        severity: Severity,
        object: ObjectRef,
        summary: String,
        evidence: Vec<String>,
        remedy: String,
    ) -> Finding {
        Finding {
            code,
            severity,
            object,
            summary,
            evidence,
            remedy,
        }
    }
}

/// An area whose rules could not be evaluated, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Unknown {
    pub area: &'static str,
    pub reason: String,
}

/// What the rules of an area found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    pub unknown: Vec<Unknown>,
}

impl Outcome {
    pub(crate) fn push(&mut self, f: Finding) {
        self.findings.push(f);
    }

    pub(crate) fn unknown(&mut self, area: &'static str, reason: impl Into<String>) {
        self.unknown.push(Unknown {
            area,
            reason: reason.into(),
        });
    }

    pub(crate) fn extend(&mut self, other: Outcome) {
        self.findings.extend(other.findings);
        self.unknown.extend(other.unknown);
    }
}

/// The overall state of a report, as monitoring plugins count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Critical,
    Unknown,
}

impl Status {
    /// The worst severity found (info does not count); `Unknown` when nothing worse was
    /// found but an area could not be read.
    pub(crate) fn of(outcome: &Outcome) -> Status {
        match outcome.findings.iter().map(|f| f.severity).max() {
            Some(Severity::Critical) => Status::Critical,
            Some(Severity::Warning) => Status::Warning,
            _ if !outcome.unknown.is_empty() => Status::Unknown,
            _ => Status::Ok,
        }
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Critical => "critical",
            Status::Unknown => "unknown",
        }
    }

    /// How bad, for a fleet's one status: critical, then unknown (a cluster that cannot be
    /// read may be on fire), then warning, then ok.
    pub(crate) fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Unknown => 2,
            Status::Critical => 3,
        }
    }

    /// 0 ok, 1 warning, 2 critical, 3 unknown.
    pub(crate) fn exit_code(self) -> i32 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }
}

/// Every rule of every area, findings sorted worst first, causes before effects.
pub fn assess(facts: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    out.extend(plugin::rules(facts, now, th));
    out.extend(flux::rules(facts, now, th));
    out.extend(objectstore::rules(facts, now, th));
    out.extend(backup::rules(facts, now, th));
    out.extend(cluster::rules(facts, now, th));
    out.extend(alerting::rules(facts, now, th));
    out.extend(bucket::rules(facts, now, th));
    out.extend(archiver::rules(facts, now, th));
    out.extend(restore::rules(facts, now, th));
    // A drill's scratch namespace holds copies made seconds ago and deleted minutes later:
    // only the restore rules judge it (a Secret copied after the key names were gathered is
    // no incident, a recovery that stalls is).
    out.findings.retain(|f| {
        f.code.starts_with("RST")
            || !f
                .object
                .namespace
                .starts_with(crate::model::recovery::DRILL_NAMESPACE_PREFIX)
    });
    // Credential, bucket and region errors (OBJ006-OBJ009) are often only in the logs: a
    // log that could not be read leaves those rules blind, and the report says so.
    for tail in &facts.logs {
        // A recovery pod's log is read while it exists: one that cannot be read (its
        // container not started yet, the pod gone) leaves no rule blind that matters.
        if restore::is_recovery_tail(facts, tail) {
            continue;
        }
        if let Err(why) = &tail.lines {
            out.unknown(
                "objectstore",
                format!(
                    "log of {}/{} ({}): {why}",
                    tail.namespace, tail.pod, tail.container
                ),
            );
        }
    }
    // Worst first; within a severity, causes before effects: the plugin, then delivery,
    // then the stores, then the backups that suffer from all three.
    let rank = |code: &str| {
        catalog::AREAS
            .iter()
            .position(|(prefix, _, _)| code.starts_with(prefix))
            .unwrap_or(catalog::AREAS.len())
    };
    out.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(rank(a.code).cmp(&rank(b.code)))
            .then(a.code.cmp(b.code))
            .then(a.object.cmp(&b.object))
    });
    out.unknown.sort();
    out.unknown.dedup();
    out
}
