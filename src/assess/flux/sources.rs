//! The GitRepositories Kustomizations read: FLX005 (not Ready) and FLX006 (suspended),
//! told once per source for all its users.

use std::sync::Arc;

use super::{not_ready, source_of};
use crate::assess::read::{cond_line, warning_events};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::rows::{GitRepositoryRow, KustomizationRow};

/// FLX005 and FLX006 for the GitRepositories Kustomizations use.
pub(super) fn sources(
    out: &mut Outcome,
    f: &Facts,
    ks: &[Arc<KustomizationRow>],
    repos: Option<&[Arc<GitRepositoryRow>]>,
) {
    let Some(repos) = repos else { return };
    for r in repos.iter() {
        let users: Vec<&KustomizationRow> = ks
            .iter()
            .map(|k| k.as_ref())
            .filter(|k| source_of(Some(repos), k).is_some_and(|s| std::ptr::eq(s, r.as_ref())))
            .collect();
        if users.is_empty() {
            continue;
        }
        let who = users
            .iter()
            .map(|k| format!("{}/{}", k.namespace, k.name))
            .collect::<Vec<_>>()
            .join(", ");
        let (ns, name) = (r.namespace.as_str(), r.name.as_str());
        if not_ready(r) {
            let mut evidence: Vec<String> = r.ready().map(cond_line).into_iter().collect();
            evidence.push(format!("spec.url: {}", r.url));
            if let Some(rev) = &r.revision {
                evidence.push(format!("status.artifact.revision: {rev}"));
            }
            for k in &users {
                if let Some(c) = k.ready().filter(|c| !c.is_true()) {
                    evidence.push(format!(
                        "Kustomization {}/{} {}",
                        k.namespace,
                        k.name,
                        cond_line(c)
                    ));
                }
            }
            evidence.extend(warning_events(f, Kind::GitRepository, ns, name, 2));
            out.push(Finding {
                code: "FLX005",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::GitRepository, ns, name),
                summary: format!("GitRepository {ns}/{name} is not Ready: Kustomization {who} cannot get new revisions"),
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe gitrepository {name} (for AuthenticationFailed check the secret in spec.secretRef and the deploy key); then: flux reconcile source git {name} -n {ns}"
                ),
            });
        }
        if r.suspended {
            out.push(Finding {
                code: "FLX006",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::GitRepository, ns, name),
                summary: format!("GitRepository {ns}/{name} is suspended: no new commits reach Kustomization {who}"),
                evidence: vec!["spec.suspend: true".into()],
                remedy: format!("flux resume source git {name} -n {ns}"),
            });
        }
    }
}
