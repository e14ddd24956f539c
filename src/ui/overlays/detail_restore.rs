//! A Cluster's restores in its detail view: the recovery it is bootstrapping from while it
//! restores (source, target, the pods doing it and how they fare, where their log is), and
//! the restore drills recorded on it.

use chrono::{DateTime, Utc};

use super::detail_parts::{Section, l, section, when};
use crate::assess::restore::is_recovery_pod;
use crate::model::kubefmt::span;
use crate::model::rows::ClusterRow;
use crate::model::{ObjectRef, Snapshot};

/// Both sections for the Cluster `target`, empty ones left for the caller to drop.
pub fn sections(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Vec<Section> {
    let Some(c) = s
        .clusters
        .rows
        .iter()
        .find(|c| c.namespace == target.namespace && c.name == target.name)
    else {
        return vec![];
    };
    vec![in_progress(s, c, now), drills(c, now)]
}

/// While the Cluster is being restored: what from, to when, and the pods doing it.
fn in_progress(s: &Snapshot, c: &ClusterRow, now: DateTime<Utc>) -> Section {
    let Some(r) = c.recovery.as_ref() else {
        return section("Restore in progress", vec![]);
    };
    if c.phase == crate::model::domain::PHASE_HEALTHY {
        return section("Restore in progress", vec![]);
    }
    let mut lines = Vec::new();
    let source = match (&r.backup_name, r.plugin_store(), r.server_name(&c.name)) {
        (Some(b), _, _) => format!("Backup {b} (bootstrap.recovery.backup.name)"),
        (None, Some(store), Some(server)) => format!("ObjectStore {store}, server {server}"),
        (None, None, Some(server)) => format!("in-tree barmanObjectStore, server {server}"),
        _ => format!(
            "externalClusters entry {} (not found)",
            r.source.as_deref().unwrap_or("-")
        ),
    };
    lines.push(l("from", source));
    lines.push(l("to", r.target.describe()));
    let mut pods: Vec<_> = s
        .pods
        .in_namespace(&c.namespace)
        .iter()
        .filter(|p| is_recovery_pod(c, p))
        .collect();
    pods.sort_by_key(|p| std::cmp::Reverse(p.created));
    if pods.is_empty() {
        lines.push(l("pods", "none yet"));
    }
    for p in pods.iter().take(4) {
        let mut state = format!(
            "{} · {} restart(s) · {}",
            p.status,
            p.restarts,
            p.created
                .map(|t| format!("created {} ago", span(now - t)))
                .unwrap_or_default()
        );
        for k in p.containers.iter().filter(|k| k.last_reason.is_some()) {
            state.push_str(&format!(
                " · {} last ended {}",
                k.name,
                k.last_reason.as_deref().unwrap_or("")
            ));
        }
        lines.push(l(&format!("pod {}", p.name), state));
    }
    if pods.len() > 4 {
        lines.push(l("", format!("and {} older attempt(s)", pods.len() - 4)));
    }
    lines.push(l(
        "log",
        format!(
            "kubectl logs -n {} -l cnpg.io/cluster={} --all-containers --prefix --tail=100",
            c.namespace, c.name
        ),
    ));
    section("Restore in progress", lines)
}

/// The drills backstop recorded on the Cluster.
fn drills(c: &ClusterRow, now: DateTime<Utc>) -> Section {
    let mut lines = Vec::new();
    if let Some(d) = &c.last_drill {
        match &d.unreadable {
            Some(raw) => lines.push(l("last drill", format!("unreadable: {raw}"))),
            None => {
                lines.push(l(
                    "last drill",
                    format!(
                        "{} {}",
                        if d.result.is_empty() {
                            "unknown"
                        } else {
                            &d.result
                        },
                        when(d.at, now)
                    ),
                ));
                if let Some(t) = &d.target {
                    lines.push(l("target", t.clone()));
                }
                let measured = |s: Option<i64>| {
                    s.map(|s| span(chrono::TimeDelta::seconds(s)))
                        .unwrap_or_else(|| "-".into())
                };
                lines.push(l(
                    "RTO · RPO",
                    format!("{} · {}", measured(d.rto_seconds), measured(d.rpo_seconds)),
                ));
                if let Some(reason) = &d.reason {
                    lines.push(l("why it failed", reason.clone()));
                }
            }
        }
    }
    if let Some(p) = c.last_passed_drill {
        lines.push(l("last passed", when(Some(p), now)));
    }
    if !lines.is_empty() || c.plugin.is_some() || c.legacy_barman {
        lines.push(l(
            "run one",
            format!(
                "D here, or backstop restore drill {}/{}",
                c.namespace, c.name
            ),
        ));
    }
    section("Restore drills", lines)
}
