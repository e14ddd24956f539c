//! A migration plan written out: for a person (gates, what changes, the commands in
//! order), as a shell script of those commands, as the declared objects for Git, and the
//! pre-migration copy of every object it changes.

use std::fmt::Write as _;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::manifest::sh_quote;
use super::plan::{ClusterPlan, MigrationPlan, Verdict};

fn yaml(v: &Value) -> String {
    super::manifest::to_yaml(v)
}

fn compact(v: &Value) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// The Kubernetes objects a plan declares, in the order they must exist.
pub fn declared_objects(plan: &MigrationPlan) -> Vec<&Value> {
    let stores = plan.clusters.iter().flat_map(|c| c.new_stores.iter());
    let clusters = plan.clusters.iter().map(|c| &c.cluster);
    let scheduled = plan
        .clusters
        .iter()
        .flat_map(|c| c.scheduled.iter().map(|(_, d, _)| d));
    stores.chain(clusters).chain(scheduled).collect()
}

/// The declared objects as one YAML stream for Git.
pub fn declared_yaml(plan: &MigrationPlan) -> String {
    let mut out = String::from(
        "# The Barman Cloud plugin migration, as Git should declare it (written by backstop migrate plan).\n\
         # Objects in the order they must exist: ObjectStores, then Clusters, then ScheduledBackups.\n",
    );
    for o in declared_objects(plan) {
        out.push_str("---\n");
        out.push_str(&yaml(o));
    }
    out
}

/// Suspending a Kustomization with kubectl alone, as `flux suspend` does.
fn suspend_command(ns: &str, name: &str) -> String {
    format!(
        "kubectl -n {ns} patch kustomization {name} --type merge -p '{{\"spec\":{{\"suspend\":true}}}}'"
    )
}

/// The commands that apply one Cluster's migration on the live cluster, in order.
pub fn commands(cp: &ClusterPlan) -> Vec<String> {
    let ns = &cp.legacy.namespace;
    let mut out = Vec::new();
    for s in &cp.new_stores {
        out.push(format!(
            "kubectl apply -f - <<'BACKSTOP_EOF'\n{}BACKSTOP_EOF",
            yaml(s)
        ));
    }
    out.push(format!(
        "kubectl -n {ns} patch cluster {} --type json -p {}",
        cp.legacy.name,
        sh_quote(&compact(&cp.cluster_patch))
    ));
    for (name, _, patch) in &cp.scheduled {
        out.push(format!(
            "kubectl -n {ns} patch scheduledbackup {name} --type merge -p {}",
            sh_quote(&compact(patch))
        ));
    }
    out
}

/// A POSIX shell script that applies the plan with kubectl, stopping at the first error.
pub fn script(plan: &MigrationPlan, now: DateTime<Utc>) -> String {
    let mut s = format!(
        "#!/bin/sh\n# The Barman Cloud plugin migration planned by backstop at {}.\n# Read it before running it. Each Cluster changes in one request, guarded by a test of\n# the destination it was planned from; stop at the first error.\nset -eu\n",
        now.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    let mut suspended: Vec<&(String, String)> = Vec::new();
    for cp in &plan.clusters {
        let _ = writeln!(s, "\n# --- Cluster {} ---", cp.id());
        if let Some(k) = cp.flux.as_ref().filter(|k| !suspended.contains(k)) {
            let (fns, fname) = k;
            suspended.push(k);
            let _ = writeln!(
                s,
                "# Flux applies this Cluster: keep it from re-applying the old spec until Git has the change\n# (flux suspend kustomization {fname} -n {fns}).\n{}",
                suspend_command(fns, fname)
            );
        }
        for c in commands(cp) {
            let _ = writeln!(s, "{c}");
        }
        let _ = writeln!(
            s,
            "echo 'Cluster {} changed: its pods roll to get the plugin sidecar. Then: backstop migrate verify {}'",
            cp.id(),
            cp.id()
        );
    }
    s
}

/// The copy of every object the plan changes, `kubectl apply`-able, for one Cluster.
pub fn pre_migration(cp: &ClusterPlan, context: &str, now: DateTime<Utc>) -> String {
    let mut s = format!(
        "# Before the Barman Cloud plugin migration of Cluster {}: saved by backstop migrate plan\n# at {} from context {context}.\n",
        cp.id(),
        now.to_rfc3339_opts(SecondsFormat::Secs, true)
    );
    match &cp.flux {
        Some((ns, name)) => {
            let _ = writeln!(s, "# Applied by Flux Kustomization {ns}/{name}.");
        }
        None => s.push_str("# Not applied by a Flux Kustomization.\n"),
    }
    if let Some((ns, name)) = &cp.helm {
        let _ = writeln!(s, "# Rendered by HelmRelease {ns}/{name}.");
    }
    let _ = writeln!(s, "# Roll back with: backstop migrate rollback {}", cp.id());
    for o in &cp.before {
        s.push_str("---\n");
        s.push_str(&yaml(o));
    }
    s
}

fn mark(v: Verdict) -> &'static str {
    v.word()
}

/// The plan for a person: the gates, then each Cluster's change and commands.
pub fn text(plan: &MigrationPlan, saved: &[(String, String)], repo_note: Option<&str>) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Pre-flight gates");
    for g in &plan.gates {
        let about = g
            .about
            .as_deref()
            .map(|c| format!(" [{c}]"))
            .unwrap_or_default();
        let _ = writeln!(s, "  {:<7} {}{about}", mark(g.verdict), g.name);
        for e in &g.evidence {
            let _ = writeln!(s, "          {e}");
        }
        if let Some(f) = &g.fix {
            for (i, line) in f.lines().enumerate() {
                let lead = if i == 0 { "→ " } else { "  " };
                let _ = writeln!(s, "          {lead}{line}");
            }
        }
    }
    let _ = writeln!(
        s,
        "  {:<7} a copy of every object it changes",
        if saved.is_empty() { "—" } else { "PASS" }
    );
    for (id, path) in saved {
        let _ = writeln!(s, "          {id}: {path}");
    }
    for cp in &plan.clusters {
        let l = &cp.legacy;
        let _ = writeln!(s, "\nCluster {}", cp.id());
        let created = cp.new_stores.iter().any(|o| {
            o.pointer("/metadata/name").and_then(Value::as_str) == Some(cp.store.as_str())
        });
        let _ = writeln!(
            s,
            "  1. ObjectStore {}/{} ({}): spec.configuration = spec.backup.barmanObjectStore without serverName{}",
            l.namespace,
            cp.store,
            if created {
                "new"
            } else {
                "exists with the same configuration: reused"
            },
            l.retention
                .as_deref()
                .map(|r| format!(", retentionPolicy {r}"))
                .unwrap_or_default()
        );
        for o in cp.new_stores.iter().filter(|o| {
            o.pointer("/metadata/name").and_then(Value::as_str) != Some(cp.store.as_str())
        }) {
            let _ = writeln!(
                s,
                "     ObjectStore {}/{} (new): the source an externalClusters entry reads",
                l.namespace,
                o.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            );
        }
        let _ = writeln!(
            s,
            "  2. Cluster, in one change: {}; plugins += {{name: barman-cloud.cloudnative-pg.io, isWALArchiver: true, barmanObjectName: {}{}}}{}. The pods roll to get the sidecar.",
            if l.backup_keeps.is_empty() {
                "spec.backup removed (nothing else was in it)".to_string()
            } else {
                format!(
                    "spec.backup.barmanObjectStore{} removed, spec.backup keeps {}",
                    if l.retention.is_some() {
                        " and retentionPolicy"
                    } else {
                        ""
                    },
                    l.backup_keeps.join(", ")
                )
            },
            cp.store,
            if l.server_written {
                format!(", serverName: {}", l.server)
            } else {
                String::new()
            },
            if l.external.is_empty() {
                String::new()
            } else {
                format!(
                    "; externalClusters {} read through the plugin",
                    l.external
                        .iter()
                        .map(|(_, n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
        if cp.scheduled.is_empty() {
            let _ = writeln!(s, "  3. ScheduledBackups: none to change");
        } else {
            let _ = writeln!(
                s,
                "  3. ScheduledBackups → method: plugin: {}",
                cp.scheduled
                    .iter()
                    .map(|(n, _, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let _ = writeln!(s, "  4. Then: backstop migrate verify {}", cp.id());
        if repo_note.is_none() {
            let _ = writeln!(s, "\n  Commands (kubectl), in order:");
            if let Some((fns, fname)) = &cp.flux {
                let _ = writeln!(s, "    {}", suspend_command(fns, fname));
            }
            for c in commands(cp) {
                for (i, line) in c.lines().enumerate() {
                    let _ = writeln!(s, "    {}{line}", if i == 0 { "" } else { "  " });
                }
            }
        }
    }
    if let Some(note) = repo_note {
        let _ = writeln!(s, "\n{note}");
    }
    if plan.blocked() {
        let _ = writeln!(
            s,
            "\nNOT READY: a gate failed. Fix it and plan again; nothing was changed."
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_patch_with_a_quote_survives_the_shell() {
        let q = sh_quote(r#"{"a":"it's"}"#);
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {q}"))
            .output()
            .expect("sh runs");
        assert_eq!(String::from_utf8_lossy(&out.stdout), r#"{"a":"it's"}"#);
    }
}
