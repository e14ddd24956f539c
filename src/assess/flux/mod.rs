//! FLX: GitOps delivery through Flux. Does each Kustomization apply its newest revision,
//! from a ready source, with passing health checks, and did everything the backup setup
//! needs actually reach the cluster (the `.gitignore` trap: a manifest that never reached
//! Git leaves Flux green and the object absent)?
//!
//! By concern: each Kustomization's own state (`kustomization`), the GitRepositories they
//! read (`sources`), objects that never arrived (`delivery`), and the controllers that do
//! the work (`controllers`).

mod controllers;
mod delivery;
mod helm;
mod kustomization;
mod rolling;
mod sources;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{Facts, Kind, Outcome, Thresholds};
use crate::model::rows::{GitRepositoryRow, KustomizationRow};
use crate::model::state::Readable;

const AREA: &str = "flux";

fn source_of<'a>(
    repos: Option<&'a [Arc<GitRepositoryRow>]>,
    k: &KustomizationRow,
) -> Option<&'a GitRepositoryRow> {
    if k.source.kind != Kind::GitRepository.name() {
        return None;
    }
    repos?
        .iter()
        .map(|r| r.as_ref())
        .find(|r| r.namespace == k.source.namespace && r.name == k.source.name)
}

/// A source that says it is not Ready (an absent condition is not a failure).
fn not_ready(r: &GitRepositoryRow) -> bool {
    r.ready().is_some_and(|c| c.status == "False")
}

fn is_ready(k: &KustomizationRow) -> bool {
    k.ready().is_some_and(|c| c.is_true())
}

pub fn rules(f: &Facts, now: DateTime<Utc>, _th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    helm::rules(f, &mut out);
    let s = &f.snapshot;
    let ks = match s.kustomizations.readable(&Kind::Kustomization.qualified()) {
        // No Flux: nothing is delivered through it, so there is nothing to check.
        Readable::NotInstalled(_) => return out,
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            None
        }
        Readable::Rows(r) => Some(r),
    };
    if let Some(ks) = ks {
        let repos = match s.git_repos.readable(&Kind::GitRepository.qualified()) {
            Readable::Rows(r) => Some(r),
            Readable::NotInstalled(_) => None,
            Readable::Unknown(why) => {
                if ks
                    .iter()
                    .any(|k| k.source.kind == Kind::GitRepository.name())
                {
                    out.unknown(AREA, why);
                }
                None
            }
        };
        for k in ks.iter() {
            kustomization::kustomization(&mut out, f, ks, repos, k, now);
        }
        sources::sources(&mut out, f, ks, repos);
        delivery::object_stores_absent(&mut out, f, ks);
        delivery::plugin_absent(&mut out, f, ks);
    }
    controllers::controllers(&mut out, f);
    out.unknown.sort();
    out.unknown.dedup();
    out
}
