//! A GitOps checkout on disk: git's view of it (the git command line), the index of its
//! YAML documents, what each Flux Kustomization applies, and the lint rules on all of that
//! (`backstop gitops lint`, the walker's git checks, `migrate plan --repo`).

mod checkout;
pub mod docs;
mod index;
pub mod lint;
pub mod objects;
pub mod resolve;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use checkout::{Checkout, Ignore};
pub use index::{Declaration, GitState, Index, Role};

/// The most files a checkout's walk visits, and the largest YAML file read: a checkout with
/// a vendored tree or a data dump is indexed in part, and the report says so.
const MAX_ENTRIES: usize = 200_000;
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum GitopsError {
    #[error("{} is not a git checkout: {detail}", path.display())]
    NotACheckout { path: PathBuf, detail: String },
    #[error("{what}: {detail}")]
    Git { what: String, detail: String },
    #[error("reading {}: {detail}", path.display())]
    Read { path: PathBuf, detail: String },
}

/// A checkout, read and indexed.
#[derive(Debug)]
pub struct Repo {
    checkout: Checkout,
    index: Index,
}

impl Repo {
    /// Opens the checkout holding `path`: walks its files, reads its YAML, asks git which
    /// are tracked and which ignored (one `ls-files`, one batched `check-ignore`).
    pub fn open(path: &Path) -> Result<Repo, GitopsError> {
        let checkout = Checkout::discover(path)?;
        let (listing, texts, mut notes) = scan(&checkout.root)?;
        let tracked = checkout.tracked_all()?;
        let ignored = checkout.ignored_many(listing.files.iter().map(PathBuf::as_path))?;
        let mut index = Index::build(listing, &texts, &tracked, &ignored);
        index.notes.append(&mut notes);
        Ok(Repo { checkout, index })
    }

    pub fn checkout(&self) -> &Checkout {
        &self.checkout
    }

    pub fn root(&self) -> &Path {
        &self.checkout.root
    }

    pub fn index(&self) -> &Index {
        &self.index
    }

    /// Where an object is declared (see [`Index::declarations`]).
    pub fn declarations(&self, kind: &str, namespace: &str, name: &str) -> Vec<Declaration> {
        self.index.declarations(kind, namespace, name)
    }

    /// Which Flux Kustomization applies `file` (relative to the root), as (namespace, name).
    pub fn flux_owner(&self, file: &Path) -> Option<(String, String)> {
        self.index.flux_owner(file)
    }

    /// The kustomization file that would have to list a new file placed in `dir`
    /// (relative to the root); None when Flux generates it.
    pub fn kustomization_for(&self, dir: &Path) -> Option<PathBuf> {
        self.index.kustomization_for(dir)
    }

    /// The lint rules' findings on this checkout.
    pub fn lint(&self) -> crate::assess::Outcome {
        lint::lint(&self.index)
    }
}

type Scanned = (resolve::Listing, BTreeMap<PathBuf, String>, Vec<String>);

/// Every file and directory below `root` (not `.git`, not following symlinked directories),
/// and the text of each YAML file.
fn scan(root: &Path) -> Result<Scanned, GitopsError> {
    let mut listing = resolve::Listing::default();
    let mut texts = BTreeMap::new();
    let mut notes = Vec::new();
    let mut stack = vec![PathBuf::new()];
    let mut seen = 0usize;
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let entries = std::fs::read_dir(&dir).map_err(|e| GitopsError::Read {
            path: dir.clone(),
            detail: e.to_string(),
        })?;
        for e in entries.flatten() {
            seen += 1;
            if seen > MAX_ENTRIES {
                notes.push(format!(
                    "the checkout has more than {MAX_ENTRIES} files: the rest were not read"
                ));
                return Ok((listing, texts, notes));
            }
            let name = e.file_name().to_string_lossy().into_owned();
            let path = rel.join(&name);
            let Ok(ft) = e.file_type() else { continue };
            if ft.is_dir() {
                if name != ".git" {
                    listing.dirs.insert(path.clone());
                    stack.push(path);
                }
                continue;
            }
            listing.files.insert(path.clone());
            if !index::is_yaml_name(&name) {
                continue;
            }
            let size = e.metadata().map(|m| m.len()).unwrap_or(0);
            if size > MAX_FILE_BYTES {
                notes.push(format!(
                    "{} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit: not read",
                    path.display()
                ));
                continue;
            }
            match std::fs::read(root.join(&path)) {
                Ok(bytes) => {
                    texts.insert(path, String::from_utf8_lossy(&bytes).into_owned());
                }
                Err(err) => notes.push(format!("{}: not read: {err}", path.display())),
            }
        }
    }
    Ok((listing, texts, notes))
}
