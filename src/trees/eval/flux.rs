//! The Flux checks: Kustomizations and their dependencies Ready, sources Ready, the newest
//! revision applied. Read from the watched rows, with each object's condition as evidence.

use super::{Answer, Env, none_bad};
use crate::model::rows::Condition;

/// `Ready=status reason: message`, as the evidence quotes a condition.
fn ready(c: &Condition) -> String {
    format!("Ready={} {}: {}", c.status, c.reason, c.message)
}

/// Every Kustomization (or the one named) is Ready and not suspended.
pub(super) fn kustomizations_ready(env: &Env, name: Option<&str>) -> Answer {
    none_bad(
        &env.facts.snapshot.kustomizations,
        "kustomizations",
        |rows| {
            rows.iter()
                .filter(|k| name.is_none_or(|n| n == k.name))
                .filter(|k| k.suspended || !k.ready().is_some_and(|c| c.is_true()))
                .map(|k| match k.ready() {
                    _ if k.suspended => format!(
                        "Kustomization {}/{} spec.suspend: true",
                        k.namespace, k.name
                    ),
                    Some(c) => format!("Kustomization {}/{} {}", k.namespace, k.name, ready(c)),
                    None => format!(
                        "Kustomization {}/{}: no Ready condition yet",
                        k.namespace, k.name
                    ),
                })
                .collect()
        },
        "the Kustomizations are Ready",
        |n| format!("{n} Kustomization(s) not Ready"),
    )
}

/// Everything the Kustomizations (or the one named) depend on is Ready.
pub(super) fn dependencies_ready(env: &Env, name: Option<&str>) -> Answer {
    none_bad(
        &env.facts.snapshot.kustomizations,
        "kustomizations",
        |rows| {
            let mut bad = Vec::new();
            for k in rows.iter().filter(|k| name.is_none_or(|n| n == k.name)) {
                for (ns, dep) in &k.depends_on {
                    let d = rows.iter().find(|d| &d.namespace == ns && &d.name == dep);
                    match d.and_then(|d| d.ready()) {
                        Some(c) if c.is_true() => {}
                        Some(c) => bad.push(format!(
                            "{}/{} depends on {ns}/{dep}: {}",
                            k.namespace,
                            k.name,
                            ready(c)
                        )),
                        None => bad.push(format!(
                            "{}/{} depends on {ns}/{dep}: not found or not reconciled",
                            k.namespace, k.name
                        )),
                    }
                }
            }
            bad
        },
        "every dependency is Ready",
        |_| "a dependency is not Ready".into(),
    )
}

/// Every GitRepository is Ready and not suspended.
pub(super) fn sources_ready(env: &Env) -> Answer {
    none_bad(
        &env.facts.snapshot.git_repos,
        "gitrepositories",
        |rows| {
            rows.iter()
                .filter(|g| g.suspended || !g.ready().is_some_and(|c| c.is_true()))
                .map(|g| {
                    format!(
                        "GitRepository {}/{} {}",
                        g.namespace,
                        g.name,
                        g.ready()
                            .map(ready)
                            .unwrap_or_else(|| "Ready=unknown".into())
                    )
                })
                .collect()
        },
        "the sources are Ready",
        |_| "a source is not Ready".into(),
    )
}

/// Every Kustomization applied the revision it last attempted.
pub(super) fn revisions_applied(env: &Env) -> Answer {
    none_bad(
        &env.facts.snapshot.kustomizations,
        "kustomizations",
        |rows| {
            rows.iter()
                .filter(|k| k.attempted.is_some() && k.attempted != k.applied)
                .map(|k| {
                    format!(
                        "Kustomization {}/{} lastAttemptedRevision {} ≠ lastAppliedRevision {}",
                        k.namespace,
                        k.name,
                        k.attempted.as_deref().unwrap_or("-"),
                        k.applied.as_deref().unwrap_or("-")
                    )
                })
                .collect()
        },
        "every Kustomization applied its newest revision",
        |_| "the newest revision did not apply".into(),
    )
}
