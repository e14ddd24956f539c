//! `restore_in_progress`: whether a Cluster the walk is about is being restored, as the
//! restore rules decide it (`assess::restore::is_restoring`), so that the walk and
//! `backstop check` agree on which Cluster is restoring.

use super::{Answer, Env, Verdict, answer, readable};
use crate::assess::restore::{is_restoring, recovery_pods};

pub(super) fn in_progress(env: &Env) -> Answer {
    if let Err(unknown) = readable(&env.facts.snapshot.clusters, "clusters") {
        return unknown;
    }
    let restoring: Vec<String> = env
        .clusters()
        .into_iter()
        .filter(|c| is_restoring(env.facts, c))
        .map(|c| {
            let target = c
                .recovery
                .as_ref()
                .map(|r| r.target.describe())
                .unwrap_or_default();
            let pod = recovery_pods(env.facts, c)
                .first()
                .map(|p| format!(", pod {} {}", p.name, p.status))
                .unwrap_or_default();
            format!(
                "Cluster {}/{} phase \"{}\", target {target}{pod}",
                c.namespace,
                c.name,
                if c.phase.is_empty() {
                    "(none yet)"
                } else {
                    &c.phase
                }
            )
        })
        .collect();
    if restoring.is_empty() {
        answer(
            Verdict::Fail,
            "no Cluster of the walk is being restored",
            vec![],
        )
    } else {
        answer(
            Verdict::Pass,
            format!("{} Cluster(s) being restored", restoring.len()),
            restoring,
        )
    }
}
