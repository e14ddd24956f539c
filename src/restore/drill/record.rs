//! What a drill found, kept: RTO and RPO, the evidence, the verdict; written as the source
//! Cluster's `backstop.dev/last-drill` annotation (which `check` reads) and as a report.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::observe::{ClusterCourse, Replay};
use crate::restore::window::Window;

pub use crate::model::recovery::{LAST_DRILL, LAST_PASSED_DRILL};

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Passed,
    Failed(String),
    /// Not run: the plan was refused, or the person stopped it.
    Refused(String),
    Interrupted,
}

impl Verdict {
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed => "passed",
            Verdict::Failed(_) | Verdict::Refused(_) | Verdict::Interrupted => "failed",
        }
    }

    pub fn reason(&self) -> String {
        match self {
            Verdict::Passed => String::new(),
            Verdict::Failed(r) => r.clone(),
            Verdict::Refused(r) => format!("refused before it started: {r}"),
            Verdict::Interrupted => "interrupted before it finished".into(),
        }
    }
}

/// One finding seen while the drill ran (the restore rules on the scratch namespace).
#[derive(Debug, Clone, PartialEq)]
pub struct Seen {
    pub code: String,
    pub summary: String,
    pub remedy: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DrillRecord {
    pub source: (String, String),
    pub namespace: String,
    pub cluster: String,
    pub target: String,
    pub shape: String,
    pub started: DateTime<Utc>,
    /// When the recovery Cluster first reported a ready, healthy primary.
    pub ready: Option<DateTime<Utc>>,
    pub finished: DateTime<Utc>,
    pub verdict: Verdict,
    pub replay: Replay,
    pub course: Option<ClusterCourse>,
    pub window: Option<Window>,
    /// (time, what happened), in order.
    pub steps: Vec<(DateTime<Utc>, String)>,
    /// The recovery pod's log, cleaned and redacted, the last lines.
    pub log: Vec<String>,
    pub findings: Vec<Seen>,
    /// The verification query's output, or why it failed.
    pub verify: Option<Result<String, String>>,
    /// How the scratch namespace ended: deleted, kept on request, or why not deleted.
    pub teardown: String,
    pub plan_yaml: String,
    pub warnings: Vec<String>,
    /// The drill's flags beyond the cluster, to repeat it (`--to …`).
    pub again: String,
}

impl DrillRecord {
    pub fn rto(&self) -> Option<chrono::TimeDelta> {
        self.ready.map(|r| r - self.started)
    }

    /// The newest archived WAL at the drill's start: what a restore could have reached.
    pub fn newest_archived(&self) -> Option<DateTime<Utc>> {
        let w = self.window.as_ref()?;
        w.last_archived.as_ref().map(|(_, t)| *t).or(w.to)
    }

    /// Where the restored data ends: the last transaction PostgreSQL replayed.
    pub fn restored_to(&self) -> Option<DateTime<Utc>> {
        self.replay.last_transaction
    }

    /// The newest archived WAL at the start minus where the restore ended.
    pub fn rpo(&self) -> Option<chrono::TimeDelta> {
        Some((self.newest_archived()? - self.restored_to()?).max(chrono::TimeDelta::zero()))
    }

    pub fn passed(&self) -> bool {
        self.verdict == Verdict::Passed
    }

    /// The `backstop.dev/last-drill` annotation's value: compact, bounded JSON.
    pub fn annotation(&self) -> Value {
        let mut v = json!({
            "at": self.finished.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            "result": self.verdict.word(),
            "target": self.target,
            "namespace": self.namespace,
        });
        let reason = self.verdict.reason();
        if !reason.is_empty() {
            v["reason"] = json!(crate::sanitize::bounded(
                &crate::redact::redact(&reason),
                300
            ));
        }
        if let Some(rto) = self.rto() {
            v["rtoSeconds"] = json!(rto.num_seconds());
        }
        if let Some(rpo) = self.rpo() {
            v["rpoSeconds"] = json!(rpo.num_seconds());
        }
        v
    }

    /// The merge patch that records it on the source Cluster.
    pub fn annotation_patch(&self) -> Value {
        let mut ann = serde_json::Map::new();
        ann.insert(LAST_DRILL.into(), json!(self.annotation().to_string()));
        if self.passed() {
            ann.insert(
                LAST_PASSED_DRILL.into(),
                json!(
                    self.finished
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            );
        }
        json!({"metadata": {"annotations": ann}})
    }
}

impl DrillRecord {
    /// What to do after a failed drill, as one command where there is one: past a bad base
    /// backup, the next older one; otherwise the drill again with its namespace kept, to walk
    /// the restore tree against it.
    pub fn next_step(&self) -> Option<String> {
        let repeat = format!(
            "backstop restore drill {}/{}{}",
            self.source.0, self.source.1, self.again
        );
        match &self.verdict {
            Verdict::Passed => None,
            Verdict::Refused(_) => None,
            Verdict::Interrupted => Some(format!("run it again: {repeat}")),
            Verdict::Failed(reason) => {
                let bad_backup = self.findings.iter().any(|f| f.code == "RST006")
                    || reason.contains("BackoffLimitExceeded");
                let older = self.replay.backup_id.as_ref().and_then(|bad| {
                    let w = self.window.as_ref()?;
                    let at = w.backups.iter().position(|b| &b.id == bad)?;
                    w.backups[..at].last().map(|b| (bad.clone(), b.id.clone()))
                });
                match (bad_backup, older) {
                    (true, Some((bad, older))) => Some(format!(
                        "base backup {bad} did not restore: prove the one before it, {older}: {repeat} --from-backup {older}"
                    )),
                    _ if self.findings.is_empty() && reason.starts_with("no healthy primary") => {
                        Some(format!(
                            "the recovery may only be slow: a larger --timeout, or --keep to look at it: {repeat} --timeout 2h --keep"
                        ))
                    }
                    _ => Some(format!(
                        "keep the next attempt's namespace and walk the restore tree against it: {repeat} --keep, then backstop trees walk restore-failing -n <the drill's namespace>"
                    )),
                }
            }
        }
    }
}
