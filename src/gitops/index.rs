//! The index of a checkout: every YAML document of every file, the kustomize files, the
//! Flux Kustomizations and HelmReleases, what each Flux Kustomization applies, and git's
//! view of each file. Built from what was read (the listing, the texts, git's answers), so
//! it and every rule on it are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::checkout::Ignore;
use super::docs::{self, Doc, ParseError};
use super::objects::{
    FluxKustomization, HelmRelease, KUSTOMIZATION_FILES, KustomizeFile, is_flux_kustomization,
};
use super::resolve::{self, Applied, Broken, Listing, Reached};

/// What git says of a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitState {
    pub tracked: bool,
    /// The pattern ignoring it, if one does (judged even when it is tracked).
    pub ignored: Option<Ignore>,
}

/// The checkout, indexed.
#[derive(Debug, Default)]
pub struct Index {
    pub listing: Listing,
    pub docs: Vec<Doc>,
    /// The documents of each file, as indices into `docs`.
    by_file: BTreeMap<PathBuf, Vec<usize>>,
    pub parse_errors: Vec<ParseError>,
    pub git: BTreeMap<PathBuf, GitState>,
    pub fluxes: Vec<FluxKustomization>,
    /// By directory.
    pub kustomize: BTreeMap<PathBuf, KustomizeFile>,
    pub helm: Vec<HelmRelease>,
    pub applied: Vec<Applied>,
    pub broken: Vec<Broken>,
    /// Said in reports: what was left out and why.
    pub notes: Vec<String>,
}

/// Whether a file name is one the index reads.
pub fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml") || KUSTOMIZATION_FILES.contains(&name)
}

/// Where an object is declared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Declaration {
    /// Relative to the checkout's root.
    pub file: PathBuf,
    /// 1-based: the document's first line, a patch's entry, or a HelmRelease's `values:`.
    pub line: usize,
    /// 0-based, among the file's non-empty documents.
    pub doc_index: usize,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// The object itself.
    Resource,
    /// A patch changing it; `base` is the file declaring the object it patches (or the
    /// patching kustomization's directory when that is not found).
    Patch { base: PathBuf },
    /// The values of the HelmRelease `release` (namespace/name) whose chart renders it.
    HelmValues { release: String },
}

impl Index {
    /// Indexes `texts` (the YAML files read, by path) over `listing`, with git's answers.
    pub fn build(
        listing: Listing,
        texts: &BTreeMap<PathBuf, String>,
        tracked: &BTreeSet<PathBuf>,
        ignored: &BTreeMap<PathBuf, Ignore>,
    ) -> Index {
        let mut ix = Index {
            listing,
            ..Index::default()
        };
        for (path, text) in texts {
            let (d, e) = docs::parse(path, text);
            ix.docs.extend(d);
            ix.parse_errors.extend(e);
        }
        for (i, d) in ix.docs.iter().enumerate() {
            ix.by_file.entry(d.file.clone()).or_default().push(i);
        }
        for f in &ix.listing.files {
            ix.git.insert(
                f.clone(),
                GitState {
                    tracked: tracked.contains(f),
                    ignored: ignored.get(f).cloned(),
                },
            );
        }
        for d in &ix.docs {
            let name = d
                .file
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if KUSTOMIZATION_FILES.contains(&name.as_ref()) && d.doc_index == 0 {
                let k = KustomizeFile::from_doc(d);
                ix.kustomize.insert(k.dir.clone(), k);
            } else if is_flux_kustomization(d) {
                ix.fluxes.push(FluxKustomization::from_doc(d));
            } else if HelmRelease::is(d) {
                ix.helm.push(HelmRelease::from_doc(d));
            }
        }
        let r = resolve::resolve(&ix.listing, &ix.kustomize, &ix.fluxes);
        ix.applied = r.applied;
        ix.broken = r.broken;
        ix
    }

    pub fn git_state(&self, file: &Path) -> GitState {
        self.git.get(file).cloned().unwrap_or_default()
    }

    /// The documents of a file.
    pub fn docs_of<'a>(&'a self, file: &Path) -> impl Iterator<Item = &'a Doc> + 'a {
        self.by_file
            .get(file)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.docs.get(i))
    }

    /// The Flux Kustomization applying a file, as (namespace, name).
    pub fn flux_owner(&self, file: &Path) -> Option<(String, String)> {
        self.applied
            .iter()
            .filter(|a| a.file == file)
            .find_map(|a| a.owner)
            .map(|i| {
                (
                    self.fluxes[i].namespace.clone(),
                    self.fluxes[i].name.clone(),
                )
            })
    }

    /// The kustomization file that would have to list a new file placed in `dir`; None when
    /// Flux generates the list (no kustomization file between `dir` and a Flux path) or
    /// nothing would read it.
    pub fn kustomization_for(&self, dir: &Path) -> Option<PathBuf> {
        let flux_dirs: BTreeSet<PathBuf> = self.fluxes.iter().filter_map(|k| k.dir()).collect();
        let mut cur = Some(dir);
        while let Some(d) = cur {
            if let Some(k) = self.listing.kustomization_in(d) {
                return Some(k);
            }
            if flux_dirs.contains(d) {
                return None;
            }
            cur = d.parent();
        }
        None
    }

    /// Where an object is declared: its documents (namespace resolved through kustomize's
    /// `namespace:` and Flux's `targetNamespace`), the patches that change it, and the
    /// HelmRelease values that render it.
    pub fn declarations(&self, kind: &str, namespace: &str, name: &str) -> Vec<Declaration> {
        let mut out: Vec<Declaration> = Vec::new();
        let effective = |forced: &Option<String>, d: &Doc| {
            forced
                .clone()
                .or_else(|| Some(d.namespace.clone()).filter(|n| !n.is_empty()))
                .unwrap_or_else(|| "default".into())
        };
        let ns_matches = |ns: &str| namespace.is_empty() || ns == namespace;
        let mut reached_files: BTreeSet<&Path> = BTreeSet::new();
        let mut resources: Vec<(&Applied, &Doc)> = Vec::new();
        for a in &self.applied {
            reached_files.insert(&a.file);
            if a.reached != Reached::Resource {
                continue;
            }
            for d in self.docs_of(&a.file) {
                if d.kind == kind && d.name == name && ns_matches(&effective(&a.namespace, d)) {
                    resources.push((a, d));
                    out.push(Declaration {
                        file: d.file.clone(),
                        line: d.line,
                        doc_index: d.doc_index,
                        role: Role::Resource,
                    });
                }
            }
        }
        // Files no resolution reached still declare what they say they declare; without a
        // namespace of their own, whatever applies them decides it, so any matches.
        for d in &self.docs {
            if !reached_files.contains(d.file.as_path())
                && d.kind == kind
                && d.name == name
                && (d.namespace.is_empty() || ns_matches(&d.namespace))
            {
                out.push(Declaration {
                    file: d.file.clone(),
                    line: d.line,
                    doc_index: d.doc_index,
                    role: Role::Resource,
                });
            }
        }
        let base_of = |dir: &Path| {
            resources
                .iter()
                .find(|(a, _)| a.through.iter().any(|t| t == dir))
                .map(|(_, d)| d.file.clone())
                .unwrap_or_else(|| dir.to_path_buf())
        };
        for a in &self.applied {
            let Reached::Patch { dir, selector } = &a.reached else {
                continue;
            };
            for d in self.docs_of(&a.file) {
                let (k, n, ns) = match selector {
                    Some(t) => (
                        t.kind.clone().unwrap_or_default(),
                        t.name.clone().unwrap_or_default(),
                        t.namespace.clone().unwrap_or_default(),
                    ),
                    None => (d.kind.clone(), d.name.clone(), d.namespace.clone()),
                };
                if k == kind
                    && n == name
                    && (ns.is_empty() || a.namespace.is_some() || ns_matches(&ns))
                {
                    out.push(Declaration {
                        file: d.file.clone(),
                        line: d.line,
                        doc_index: d.doc_index,
                        role: Role::Patch { base: base_of(dir) },
                    });
                }
            }
        }
        for a in self
            .applied
            .iter()
            .filter(|a| a.reached == Reached::Kustomization)
        {
            let Some(dir) = a.file.parent() else { continue };
            let Some(k) = self.kustomize.get(dir) else {
                continue;
            };
            for p in &k.inline_patches {
                let (pk, pn) = match &p.selector {
                    Some(t) => (
                        t.kind.clone().unwrap_or_default(),
                        t.name.clone().unwrap_or_default(),
                    ),
                    None => (p.kind.clone(), p.name.clone()),
                };
                if pk == kind && pn == name {
                    out.push(Declaration {
                        file: k.file.clone(),
                        line: p.line,
                        doc_index: 0,
                        role: Role::Patch { base: base_of(dir) },
                    });
                }
            }
        }
        // Flux's own `spec.patches`, applied on top of everything the Kustomization builds.
        for (i, k) in self.fluxes.iter().enumerate() {
            for p in &k.patches {
                let (pk, pn) = match &p.selector {
                    Some(t) => (
                        t.kind.clone().unwrap_or_default(),
                        t.name.clone().unwrap_or_default(),
                    ),
                    None => (p.kind.clone(), p.name.clone()),
                };
                if pk != kind || pn != name {
                    continue;
                }
                let base = resources
                    .iter()
                    .find(|(a, _)| a.owner == Some(i))
                    .map(|(_, d)| d.file.clone());
                // A patch of a Kustomization that applies no such object patches nothing.
                if let Some(base) = base {
                    out.push(Declaration {
                        file: k.file.clone(),
                        line: p.line,
                        doc_index: k.doc_index,
                        role: Role::Patch { base },
                    });
                }
            }
        }
        if kind == "Cluster" {
            for h in &self.helm {
                if h.chart == "cluster" && h.fullname() == name && ns_matches(h.install_namespace())
                {
                    out.push(Declaration {
                        file: h.file.clone(),
                        line: h.values_line,
                        doc_index: h.doc_index,
                        role: Role::HelmValues {
                            release: format!("{}/{}", h.namespace, h.name),
                        },
                    });
                }
            }
        }
        let mut seen = BTreeSet::new();
        out.retain(|d| seen.insert(d.clone()));
        out
    }
}
