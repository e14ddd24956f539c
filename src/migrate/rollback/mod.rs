//! `backstop migrate rollback`: the user's guide's Emergency Rollback Procedure for one
//! Cluster, step by step, each shown with its flux/kubectl equivalent and confirmed:
//! suspend the Flux object that applies the Cluster, put back the spec saved before the
//! migration (the Cluster and its ScheduledBackups), wait for a healthy Cluster whose pods
//! no longer carry the sidecar, take a test in-tree Backup, and say what is left to do in
//! Git. Every way out leaves an account of what was done.

pub mod confirm;
pub mod objects;
pub mod run;
pub mod saved;

pub use run::{Options, rollback};

/// How one step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Outcome {
    Done,
    /// Declined by the person (n).
    Skipped,
    Warning,
    Failed,
    /// Stopped by the person (q, Ctrl-C): the steps after it were not run.
    Stopped,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Warning => "warning",
            Outcome::Failed => "FAILED",
            Outcome::Stopped => "stopped",
        }
    }
}

/// What the rollback did, step by step, and what remains for the person.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Account {
    pub steps: Vec<(String, Outcome, String)>,
    pub remaining: Vec<String>,
}

impl Account {
    pub fn push(&mut self, step: &str, outcome: Outcome, what: impl Into<String>) {
        self.steps.push((step.to_string(), outcome, what.into()));
    }

    /// 0 every step done, 1 done with warnings or a step skipped or stopped, 2 a step failed.
    pub fn exit_code(&self) -> i32 {
        match self.steps.iter().map(|s| s.1).max() {
            Some(Outcome::Failed) => 2,
            Some(Outcome::Done) | None => 0,
            _ => 1,
        }
    }

    pub fn text(&self) -> String {
        let mut out = String::from("Rollback account:\n");
        for (step, outcome, what) in &self.steps {
            out.push_str(&format!("  {step}: {} — {what}\n", outcome.word()));
        }
        if !self.remaining.is_empty() {
            out.push_str("What remains:\n");
            for r in &self.remaining {
                out.push_str(&format!("  - {r}\n"));
            }
        }
        out.trim_end().to_string()
    }
}
