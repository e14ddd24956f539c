//! The checks a tree parameterises for itself: an API is served, a condition holds, an
//! event was seen, a path of the GitOps checkout is ignored or tracked.

use super::{Answer, Env, Verdict, answer, duration, readable};
use crate::model::rows::{Condition, condition as find_condition};
use crate::model::{Kind, KindState, SyncState};
use crate::trees::model::served_kind;

/// `api_served`: Fail only when the API is not served; a kind that may not be listed is
/// still served.
pub(super) fn api_served(env: &Env, resource: &str) -> Answer {
    let (f, s) = (env.facts, &env.facts.snapshot);
    let sync = match served_kind(resource) {
        Some(Kind::Cluster) => &s.clusters.sync,
        Some(Kind::Backup) => &s.backups.sync,
        Some(Kind::ObjectStore) => &s.object_stores.sync,
        Some(Kind::Kustomization) => &s.kustomizations.sync,
        Some(Kind::GitRepository) => &s.git_repos.sync,
        _ => &f.certificates.sync,
    };
    match sync {
        SyncState::NotInstalled { what } => answer(
            Verdict::Fail,
            what.clone(),
            vec![format!("{resource}: not served")],
        ),
        SyncState::Live | SyncState::Stale { .. } => {
            answer(Verdict::Pass, format!("{resource} is served"), vec![])
        }
        SyncState::Forbidden { .. } => answer(
            Verdict::Pass,
            format!("{resource} is served (but may not be listed)"),
            vec![],
        ),
        other => answer(
            Verdict::Unknown,
            other.why_unreadable(resource).unwrap_or_default(),
            vec![],
        ),
    }
}

/// What a `condition` check asks of the objects of one kind.
pub(super) struct Wanted<'a> {
    pub kind: &'a str,
    pub condition: &'a str,
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub name: Option<&'a str>,
    pub namespace: Option<&'a str>,
}

/// Every matching object has the condition with the status (and reason) asked for.
pub(super) fn condition(env: &Env, w: &Wanted) -> Answer {
    let (f, s) = (env.facts, &env.facts.snapshot);
    // Lint allows only the kinds below; Certificate is the last of them.
    match Kind::from_name(w.kind) {
        Some(Kind::Cluster) => {
            conditions(&s.clusters, w, |r| (&r.namespace, &r.name, &r.conditions))
        }
        Some(Kind::Kustomization) => conditions(&s.kustomizations, w, |r| {
            (&r.namespace, &r.name, &r.conditions)
        }),
        Some(Kind::GitRepository) => {
            conditions(&s.git_repos, w, |r| (&r.namespace, &r.name, &r.conditions))
        }
        Some(Kind::Deployment) => conditions(&f.deployments, w, |r| {
            (&r.namespace, &r.name, &r.conditions)
        }),
        _ => conditions(&f.certificates, w, |r| {
            (&r.namespace, &r.name, &r.conditions)
        }),
    }
}

/// `condition` over one kind's rows; `parts` gives a row's namespace, name and conditions.
fn conditions<R>(
    state: &KindState<R>,
    w: &Wanted,
    parts: fn(&R) -> (&String, &String, &Vec<Condition>),
) -> Answer {
    let rows = match readable(state, w.kind) {
        Ok(rows) => rows,
        Err(unknown) => return unknown,
    };
    let picked: Vec<(String, &Vec<Condition>)> = rows
        .iter()
        .map(|r| parts(r))
        .filter(|(ns, n, _)| w.name.is_none_or(|x| x == *n) && w.namespace.is_none_or(|x| x == *ns))
        .map(|(ns, n, conds)| (format!("{ns}/{n}"), conds))
        .collect();
    if picked.is_empty() {
        return answer(Verdict::Unknown, format!("no {} matches", w.kind), vec![]);
    }
    let (kind, wanted, status) = (w.kind, w.condition, w.status);
    let bad: Vec<String> = picked
        .iter()
        .filter_map(|(id, conds)| match find_condition(conds, wanted) {
            Some(c) if c.status == status && w.reason.is_none_or(|r| r == c.reason) => None,
            Some(c) => Some(format!(
                "{kind} {id} {}={} {}: {}",
                c.kind, c.status, c.reason, c.message
            )),
            None => Some(format!("{kind} {id}: no {wanted} condition")),
        })
        .collect();
    if bad.is_empty() {
        answer(
            Verdict::Pass,
            format!("{wanted}={status} on every matching {kind}"),
            vec![],
        )
    } else {
        answer(Verdict::Fail, format!("{wanted} is not {status}"), bad)
    }
}

/// `event_seen`: an event with `reason` (about a `kind`, if given) seen within `within`.
pub(super) fn event_seen(env: &Env, reason: &str, kind: Option<&str>, within: &str) -> Answer {
    let window = match duration(within) {
        Ok(d) => d,
        Err(error) => return error,
    };
    let events = match readable(&env.facts.events, "events") {
        Ok(rows) => rows,
        Err(unknown) => return unknown,
    };
    let seen: Vec<String> = events
        .iter()
        .filter(|e| e.reason == reason && kind.is_none_or(|k| k == e.involved_kind))
        .filter(|e| e.last_seen.is_some_and(|t| env.now - t <= window))
        .map(|e| {
            format!(
                "event {} {} on {} {}/{}: {}",
                e.kind, e.reason, e.involved_kind, e.involved_namespace, e.involved_name, e.message
            )
        })
        .collect();
    if seen.is_empty() {
        answer(
            Verdict::Fail,
            format!("no {reason} event within {within}"),
            vec![],
        )
    } else {
        answer(Verdict::Pass, format!("{reason} seen"), seen)
    }
}

/// What `git_ignored` and `git_tracked` ask of a path.
#[derive(Debug, Clone, Copy)]
pub(super) enum Asked {
    Ignored,
    Tracked,
}

/// Asks the configured GitOps checkout; Unknown when there is none.
pub(super) fn git(env: &Env, path: &str, asked: Asked) -> Answer {
    let Some(git) = env.git else {
        return answer(
            Verdict::Unknown,
            "no GitOps checkout configured: pass --repo PATH to check the repository",
            vec![],
        );
    };
    let (what, result) = match asked {
        Asked::Ignored => ("ignored by .gitignore", git.ignored(path)),
        Asked::Tracked => ("tracked", git.tracked(path)),
    };
    match result {
        Ok(true) => answer(Verdict::Pass, format!("{path} is {what}"), vec![]),
        Ok(false) => answer(Verdict::Fail, format!("{path} is not {what}"), vec![]),
        Err(e) => answer(Verdict::Error, e, vec![]),
    }
}

/// `gitops_lint_clean`: the checkout gives no warning or critical finding of `backstop
/// gitops lint` (the same rules, on the configured checkout).
pub(super) fn gitops_lint(env: &Env) -> Answer {
    let Some(git) = env.git else {
        return answer(
            Verdict::Unknown,
            "no GitOps checkout configured: pass --repo PATH to check the repository",
            vec![],
        );
    };
    match git.lint() {
        Err(e) => answer(Verdict::Error, e, vec![]),
        Ok(findings) => {
            let bad: Vec<String> = findings
                .iter()
                .filter(|f| f.severity >= crate::assess::Severity::Warning)
                .map(|f| format!("{} {}: {}", f.code, f.severity.as_str(), f.summary))
                .collect();
            if bad.is_empty() {
                answer(Verdict::Pass, "the GitOps checkout lints clean", vec![])
            } else {
                answer(
                    Verdict::Fail,
                    format!(
                        "the GitOps checkout has {} lint finding(s): backstop gitops lint <checkout> says what and how to fix each",
                        bad.len()
                    ),
                    bad,
                )
            }
        }
    }
}
