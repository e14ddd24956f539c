//! `log_matches`: whether the recent log lines already read (the plugin's, the sidecars'
//! of the walk's Clusters, or their recovery pods') say something.

use super::{Answer, Env, Verdict, answer};
use crate::assess::restore::{is_recovery_tail, recovery_tails};
use crate::model::domain::{CLUSTER_LABEL, SIDECAR};
use crate::model::facts::LogTail;
use crate::model::rows::ClusterRow;
use crate::trees::model::LogSource;

/// Matching lines kept of each log.
const HITS_PER_LOG: usize = 3;

/// Whether a log tail is one `source` means, for a walk about `clusters`.
fn relevant(env: &Env, clusters: &[&ClusterRow], source: LogSource, t: &LogTail) -> bool {
    // A recovery pod's log is its own source: its containers are neither the plugin's nor
    // an instance's sidecar, though one of them carries the sidecar's name.
    let recovery = is_recovery_tail(env.facts, t);
    match source {
        LogSource::Recovery => {
            recovery
                && clusters.iter().any(|c| {
                    recovery_tails(env.facts, c)
                        .iter()
                        .any(|r| std::ptr::eq(*r, t))
                })
        }
        LogSource::Plugin => t.container != SIDECAR && !recovery,
        LogSource::Sidecar => {
            !recovery
                && t.container == SIDECAR
                && env
                    .facts
                    .snapshot
                    .pods
                    .in_namespace(&t.namespace)
                    .iter()
                    .filter(|p| p.name == t.pod)
                    .filter_map(|p| p.labels.get(CLUSTER_LABEL))
                    .any(|cl| {
                        clusters
                            .iter()
                            .any(|c| c.namespace == t.namespace && c.name == *cl)
                    })
        }
    }
}

/// Pass when a line of the chosen logs contains `pattern` (any case).
pub(super) fn matches(env: &Env, pattern: &str, source: LogSource) -> Answer {
    let want = pattern.to_lowercase();
    let clusters = env.clusters();
    let tails: Vec<&LogTail> = env
        .facts
        .logs
        .iter()
        .filter(|t| relevant(env, &clusters, source, t))
        .collect();
    if tails.is_empty() {
        return answer(Verdict::Unknown, "no such log was read", vec![]);
    }
    let mut hits = Vec::new();
    let mut failed = Vec::new();
    for t in tails {
        let at = format!("log {}/{} ({})", t.namespace, t.pod, t.container);
        match &t.lines {
            Ok(lines) => hits.extend(
                lines
                    .iter()
                    .filter(|l| l.to_lowercase().contains(&want))
                    .take(HITS_PER_LOG)
                    .map(|l| format!("{at}: {l}")),
            ),
            Err(e) => failed.push(format!("{at}: {e}")),
        }
    }
    if !hits.is_empty() {
        answer(Verdict::Pass, format!("the logs say '{pattern}'"), hits)
    } else if !failed.is_empty() {
        answer(Verdict::Unknown, "a log could not be read", failed)
    } else {
        answer(
            Verdict::Fail,
            format!("no recent line says '{pattern}'"),
            vec![],
        )
    }
}
