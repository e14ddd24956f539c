//! The index on checkouts written in memory: namespaces through kustomize and Flux, patches,
//! HelmRelease values, Flux's generated kustomization, and where a new file must be listed.

mod resolve;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::checkout::Ignore;
use super::index::Index;
use super::resolve::Listing;

/// An index of `files` (path, text), all tracked but `untracked`, `ignored` by (path,
/// pattern) on `.gitignore` line 1.
pub(crate) fn index(files: &[(&str, &str)], untracked: &[&str], ignored: &[(&str, &str)]) -> Index {
    let mut listing = Listing::default();
    let mut texts = BTreeMap::new();
    for (p, t) in files {
        let p = PathBuf::from(p);
        let mut d = p.parent();
        while let Some(dir) = d.filter(|d| !d.as_os_str().is_empty()) {
            listing.dirs.insert(dir.to_path_buf());
            d = dir.parent();
        }
        listing.files.insert(p.clone());
        texts.insert(p, t.to_string());
    }
    let tracked: BTreeSet<PathBuf> = listing
        .files
        .iter()
        .filter(|f| !untracked.iter().any(|u| Path::new(u) == f.as_path()))
        .cloned()
        .collect();
    let ignored: BTreeMap<PathBuf, Ignore> = ignored
        .iter()
        .map(|(p, pat)| {
            (
                PathBuf::from(p),
                Ignore {
                    source: ".gitignore".into(),
                    line: 1,
                    pattern: pat.to_string(),
                },
            )
        })
        .collect();
    Index::build(listing, &texts, &tracked, &ignored)
}

/// A Flux Kustomization document.
pub(crate) fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n{extra}"
    )
}

pub(crate) fn obj(api: &str, kind: &str, name: &str, ns: Option<&str>) -> String {
    let ns = ns
        .map(|n| format!("\n  namespace: {n}"))
        .unwrap_or_default();
    format!("apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}{ns}\n")
}
