//! The checkout's rules: pure functions over the index, giving findings with the GIT codes
//! of the catalog. `files`: what Git leaves out of what Flux applies (the guide's lesson 1),
//! paths that lead nowhere, files that do not parse. `chain`: the operator → plugin → backup
//! order Flux must keep (lesson 4).

mod chain;
mod files;
#[cfg(test)]
mod tests;

use std::path::Path;

use super::Index;
use crate::assess::catalog;
use crate::assess::{Finding, Outcome, Severity};
use crate::model::{Kind, ObjectRef};

/// The user's guide, as remedies cite it.
pub(crate) const GUIDE: &str =
    "CNPG Barman Plugin Migration - Lessons Learned & Troubleshooting Guide";

/// The most files one finding lists (a pattern is reported with every file it swallows;
/// this only guards a report against a checkout of generated files); the rest are counted.
const MAX_LISTED: usize = 1000;

/// Every rule on the index.
pub fn lint(ix: &Index) -> Outcome {
    let mut out = Outcome::default();
    for f in files::not_in_git(ix)
        .into_iter()
        .chain(files::broad_patterns(ix))
        .chain(files::broken(ix))
        .chain(files::unparsable(ix))
        .chain(chain::rules(ix))
    {
        out.push(f);
    }
    // Worst first, then by code and object, as `check` orders a report.
    out.findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.code.cmp(b.code))
            .then(a.object.cmp(&b.object))
    });
    out
}

fn finding(
    code: &'static str,
    object: ObjectRef,
    summary: String,
    evidence: Vec<String>,
    remedy: String,
) -> Finding {
    let severity = catalog::find(code).map_or(Severity::Warning, |c| c.severity);
    Finding::new(code, severity, object, summary, evidence, remedy)
}

/// What a file-level finding is about: the Flux Kustomization applying it, else the
/// kustomization file listing it (named by its path).
fn object_for(ix: &Index, owner: Option<usize>, kustomization: Option<&Path>) -> ObjectRef {
    match (owner.and_then(|i| ix.fluxes.get(i)), kustomization) {
        (Some(k), _) => ObjectRef::new(Kind::Kustomization, &k.namespace, &k.name),
        (None, Some(p)) => ObjectRef::new(Kind::Kustomization, "", &p.display().to_string()),
        (None, None) => ObjectRef::new(Kind::GitRepository, "", "checkout"),
    }
}

/// A list cut to [`MAX_LISTED`] lines, saying how many were left out.
fn bounded_list(mut lines: Vec<String>) -> Vec<String> {
    if lines.len() > MAX_LISTED {
        let rest = lines.len() - MAX_LISTED;
        lines.truncate(MAX_LISTED);
        lines.push(format!("… and {rest} more"));
    }
    lines
}
