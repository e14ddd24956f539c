//! The rules' runs beside the UI: on the blocking pool, one at a time, the newest input
//! waiting while one runs, and verdicts about a scope already left dropped.

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::assess::{self, Facts, Outcome, Thresholds};

/// What the rules read: the facts, the clock and the thresholds.
#[derive(Debug, Clone)]
pub struct RulesInput {
    pub facts: Facts,
    pub now: DateTime<Utc>,
    pub thresholds: Thresholds,
}

/// A verdict and what it cost to reach.
pub type Verdict = (Outcome, std::time::Duration);

/// Runs the rules: pure, so it may run on any thread.
pub fn judge(input: RulesInput) -> Verdict {
    let began = std::time::Instant::now();
    let outcome = assess::assess(&input.facts, input.now, &input.thresholds);
    (outcome, began.elapsed())
}

/// A verdict with the generation of the scope it judged.
pub type Tagged = (u64, Verdict);

pub struct RulesTask {
    running: bool,
    /// The newest input that arrived while a run was under way.
    waiting: Option<RulesInput>,
    /// Moves when the scope changes (namespace, context).
    generation: u64,
    tx: mpsc::Sender<Tagged>,
    rx: mpsc::Receiver<Tagged>,
}

impl Default for RulesTask {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(1);
        RulesTask {
            running: false,
            waiting: None,
            generation: 0,
            tx,
            rx,
        }
    }
}

impl RulesTask {
    /// Judges `input` now, or after the run under way (replacing any input waiting).
    pub fn start(&mut self, input: RulesInput) {
        if self.running {
            self.waiting = Some(input);
            return;
        }
        self.running = true;
        let (tx, generation) = (self.tx.clone(), self.generation);
        tokio::task::spawn_blocking(move || {
            // The receiver is gone when the dashboard has ended: nothing left to tell.
            let _ = tx.blocking_send((generation, judge(input)));
        });
    }

    /// The scope changed: a run under way judges what is no longer shown.
    pub fn forget(&mut self) {
        self.generation += 1;
        self.waiting = None;
    }

    /// The next verdict about the scope shown (a stale one is dropped, and starts the
    /// input that waited).
    pub async fn next(&mut self) -> Verdict {
        loop {
            let Some((generation, verdict)) = self.rx.recv().await else {
                return std::future::pending().await;
            };
            self.running = false;
            if let Some(input) = self.waiting.take() {
                self.start(input);
            }
            if generation == self.generation {
                return verdict;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KindState, SyncState};

    fn input(minute: i64) -> RulesInput {
        let mut facts = Facts::default();
        // Clusters not installed: the rules say so as an unknown area, a cheap verdict to
        // tell the runs apart by.
        facts.snapshot.clusters = KindState::without_rows(SyncState::NotInstalled {
            what: format!("run {minute}"),
        });
        RulesInput {
            facts,
            now: DateTime::from_timestamp(1_800_000_000 + minute * 60, 0).unwrap_or_default(),
            thresholds: Thresholds::default(),
        }
    }

    fn mentions(v: &Verdict, what: &str) -> bool {
        format!("{:?}", v.0).contains(what)
    }

    #[tokio::test]
    async fn input_that_arrives_during_a_run_is_judged_next_and_only_the_newest() {
        let mut task = RulesTask::default();
        task.start(input(1));
        task.start(input(2));
        task.start(input(3));
        let first = task.next().await;
        assert!(mentions(&first, "run 1"), "{:?}", first.0);
        let second = task.next().await;
        assert!(
            mentions(&second, "run 3"),
            "the newest waiting input: {:?}",
            second.0
        );
        assert!(
            !task.running && task.waiting.is_none(),
            "input 2 was replaced, never judged"
        );
    }

    #[tokio::test]
    async fn a_verdict_about_a_scope_left_is_dropped() {
        let mut task = RulesTask::default();
        task.start(input(1));
        task.forget();
        task.start(input(2));
        let v = task.next().await;
        assert!(mentions(&v, "run 2"), "{:?}", v.0);
    }
}
