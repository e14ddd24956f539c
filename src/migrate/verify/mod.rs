//! `backstop migrate verify`: proof that a Cluster's move from the in-tree
//! `barmanObjectStore` to the Barman Cloud plugin worked, from the things themselves: the
//! plugin entry and its ObjectStore, no double archiving, the sidecar in every instance,
//! a fresh WAL and the first plugin backup in the bucket, and the alerts that still read
//! the deprecated metrics. Each check is judged purely (`checks`) from what `run` read.

pub mod checks;
pub mod proof;
pub mod report;
pub mod run;

use serde::Serialize;

pub use run::{Options, verify};

#[cfg(test)]
mod tests;

/// A check's outcome, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    /// Could not be judged from here; the evidence says why.
    Skip,
    Warn,
    Fail,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Skip => "SKIP",
            Status::Warn => "WARN",
            Status::Fail => "FAIL",
        }
    }
}

/// One line of the verification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Check {
    /// Stable name: plugin-entry, double-archiving, continuity, sidecar, wal-archived,
    /// plugin-backup, alerts.
    pub check: &'static str,
    pub status: Status,
    /// One sentence: what was found.
    pub summary: String,
    /// What it rests on, one fact a line.
    pub evidence: Vec<String>,
    /// What to do, when it did not pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remedy: Option<String>,
}

impl Check {
    pub fn new(check: &'static str, status: Status, summary: impl Into<String>) -> Check {
        Check {
            check,
            status,
            summary: summary.into(),
            evidence: Vec::new(),
            remedy: None,
        }
    }

    pub fn with(mut self, evidence: impl Into<String>) -> Check {
        self.evidence.push(evidence.into());
        self
    }

    pub fn remedy(mut self, remedy: impl Into<String>) -> Check {
        self.remedy = Some(remedy.into());
        self
    }

    /// Whether a SKIP of this check leaves the migration undecided. The alerts are advice:
    /// a cluster without the Prometheus Operator has none to fix.
    fn decisive(&self) -> bool {
        self.check != "alerts"
    }
}

/// The whole verification of one Cluster.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub namespace: String,
    pub cluster: String,
    pub checks: Vec<Check>,
    /// What verify did besides reading (a WAL switch, a backup), for the record.
    pub actions: Vec<String>,
}

impl Verification {
    /// As `check` exits: 0 all passed, 1 warnings only, 2 a failure, 3 cannot tell (a
    /// decisive check was skipped).
    pub fn exit_code(&self) -> i32 {
        if self.checks.iter().any(|c| c.status == Status::Fail) {
            2
        } else if self
            .checks
            .iter()
            .any(|c| c.status == Status::Skip && c.decisive())
        {
            3
        } else if self.checks.iter().any(|c| c.status == Status::Warn) {
            1
        } else {
            0
        }
    }
}
