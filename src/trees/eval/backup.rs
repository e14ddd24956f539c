//! The backup checks, about the Clusters the walk is about: WAL archiving works, the last
//! good backup is recent (model::relate's one answer), backups do not take too long.

use super::{Answer, Env, Verdict, answer, duration, none_bad, readable};
use crate::model::kubefmt::human_duration;
use crate::model::relate::last_good_backup;
use crate::model::state::of_namespace;

/// Every Cluster's ContinuousArchiving condition is True; Unknown while one has none.
pub(super) fn archiving_ok(env: &Env) -> Answer {
    if let Err(unknown) = readable(&env.facts.snapshot.clusters, "clusters") {
        return unknown;
    }
    let mut bad = Vec::new();
    let mut unknown = Vec::new();
    for c in env.clusters() {
        match c.archiving() {
            Some(a) if a.is_true() => {}
            Some(a) => bad.push(format!(
                "Cluster {}/{} ContinuousArchiving={} {}: {}",
                c.namespace, c.name, a.status, a.reason, a.message
            )),
            None => unknown.push(format!(
                "Cluster {}/{}: no ContinuousArchiving condition",
                c.namespace, c.name
            )),
        }
    }
    if !bad.is_empty() {
        answer(Verdict::Fail, "WAL archiving is failing", bad)
    } else if !unknown.is_empty() {
        answer(Verdict::Unknown, "archiving has not reported yet", unknown)
    } else {
        answer(Verdict::Pass, "WAL archiving works", vec![])
    }
}

/// Every Cluster with a backup configured had a good backup within `max_age`.
pub(super) fn recent(env: &Env, max_age: &str) -> Answer {
    let max = match duration(max_age) {
        Ok(d) => d,
        Err(error) => return error,
    };
    let s = &env.facts.snapshot;
    none_bad(
        &s.backups,
        "backups",
        |backups| {
            (env.clusters().into_iter())
                .filter(|c| c.plugin.is_some() || c.legacy_barman)
                .filter_map(|c| {
                    let own = of_namespace(backups, &c.namespace)
                        .iter()
                        .filter(|b| b.cluster == c.name)
                        .map(|b| b.as_ref());
                    match last_good_backup(&s.object_stores.rows, c, own) {
                        Some(g) if env.now - g.at <= max => None,
                        Some(g) => Some(format!(
                            "Cluster {}/{}: last successful backup {} ({} ago)",
                            c.namespace,
                            c.name,
                            g.at,
                            human_duration(env.now - g.at)
                        )),
                        None => Some(format!(
                            "Cluster {}/{}: no successful backup",
                            c.namespace, c.name
                        )),
                    }
                })
                .collect()
        },
        format!("every Cluster has a backup younger than {max_age}"),
        |_| format!("a Cluster has no backup younger than {max_age}"),
    )
}

/// No completed backup of the walk's Clusters took longer than `max_duration`.
pub(super) fn fast(env: &Env, max_duration: &str) -> Answer {
    let max = match duration(max_duration) {
        Ok(d) => d,
        Err(error) => return error,
    };
    let clusters = env.clusters();
    none_bad(
        &env.facts.snapshot.backups,
        "backups",
        |backups| {
            backups
                .iter()
                .filter(|b| {
                    clusters
                        .iter()
                        .any(|c| c.namespace == b.namespace && c.name == b.cluster)
                })
                .filter(|b| b.phase == "completed")
                .filter_map(|b| Some((b, b.duration().filter(|d| *d > max)?)))
                .map(|(b, took)| {
                    format!(
                        "Backup {}/{} took {}",
                        b.namespace,
                        b.name,
                        human_duration(took)
                    )
                })
                .collect()
        },
        format!("no backup took longer than {max_duration}"),
        |n| format!("{n} backup(s) took longer than {max_duration}"),
    )
}
