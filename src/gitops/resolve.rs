//! What each Flux Kustomization would apply, resolved the way Flux does it: with a
//! kustomization file at its path, kustomize's references (resources, components, patches,
//! generator files), followed into every directory they name; without one, the file Flux
//! generates (fluxcd/pkg `kustomize` generator): every `.yaml`/`.yml` below the path,
//! except that a subdirectory holding its own kustomization file becomes one resource and is
//! not walked further. Pure: it reads the listing, not the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::objects::{
    FluxKustomization, KUSTOMIZATION_FILES, KustomizeFile, RefKind, Target, is_remote, normalize,
};

/// The files and directories of the checkout (relative to its root), tracked or not.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub files: BTreeSet<PathBuf>,
    pub dirs: BTreeSet<PathBuf>,
}

/// Files Flux leaves out of every artifact (fluxcd/pkg `sourceignore` defaults) that the
/// generator would otherwise pick up.
const SOURCE_IGNORED_DIRS: [&str; 3] = [".git", ".github", ".circleci"];
const SOURCE_IGNORED_FILES: [&str; 6] = [
    ".travis.yml",
    ".gitlab-ci.yml",
    "appveyor.yml",
    ".drone.yml",
    ".sops.yaml",
    ".goreleaser.yml",
];

impl Listing {
    pub fn is_file(&self, p: &Path) -> bool {
        self.files.contains(p)
    }

    pub fn is_dir(&self, p: &Path) -> bool {
        p.as_os_str().is_empty() || self.dirs.contains(p)
    }

    /// The kustomization file of a directory, by kustomize's names in its order.
    pub fn kustomization_in(&self, dir: &Path) -> Option<PathBuf> {
        KUSTOMIZATION_FILES
            .iter()
            .map(|f| dir.join(f))
            .find(|p| self.is_file(p))
    }

    fn under<'a>(&'a self, dir: &'a Path) -> impl Iterator<Item = &'a PathBuf> + 'a {
        self.files
            .iter()
            .filter(move |f| f.starts_with(dir) && f.as_path() != dir)
    }
}

/// How a file was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reached {
    /// Its documents are applied.
    Resource,
    /// A kustomization file read on the way.
    Kustomization,
    /// A patch, listed by the kustomization in `dir`.
    Patch {
        dir: PathBuf,
        selector: Option<Target>,
    },
    /// Read by the build (a generator's file, `crds`, ...), declaring nothing.
    File,
}

/// Who asked for a file: Flux's generated kustomization, or an entry of a kustomization file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Generated,
    Listed {
        kustomization: PathBuf,
        line: usize,
        field: String,
    },
}

/// One file a resolution reached.
#[derive(Debug, Clone)]
pub struct Applied {
    pub file: PathBuf,
    /// The Flux Kustomization (an index into the index's list), None for a kustomize tree
    /// no Flux Kustomization reaches.
    pub owner: Option<usize>,
    pub reached: Reached,
    /// The namespace forced on its objects: Flux's `targetNamespace`, else the outermost
    /// kustomization's `namespace:`.
    pub namespace: Option<String>,
    pub via: Via,
    /// The kustomization directories it was reached through, outermost first.
    pub through: Vec<PathBuf>,
}

/// A reference that leads nowhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Broken {
    /// A kustomization entry names a path that does not exist (or leaves the checkout).
    Missing {
        kustomization: PathBuf,
        line: usize,
        field: String,
        target: String,
        owner: Option<usize>,
    },
    /// A `resources`/`components` entry names a directory without a kustomization file.
    NoKustomization {
        kustomization: PathBuf,
        line: usize,
        field: String,
        target: String,
        owner: Option<usize>,
    },
    /// A Flux Kustomization's `spec.path` is not a directory of the checkout.
    FluxPath { owner: usize },
}

#[derive(Debug, Default)]
pub struct Resolution {
    pub applied: Vec<Applied>,
    pub broken: Vec<Broken>,
}

struct Ctx<'a> {
    listing: &'a Listing,
    kustomize: &'a BTreeMap<PathBuf, KustomizeFile>,
    out: Resolution,
}

/// Resolves every Flux Kustomization whose source is a GitRepository (taken to be this
/// checkout), then every kustomize tree none of them reaches.
pub fn resolve(
    listing: &Listing,
    kustomize: &BTreeMap<PathBuf, KustomizeFile>,
    fluxes: &[FluxKustomization],
) -> Resolution {
    let mut cx = Ctx {
        listing,
        kustomize,
        out: Resolution::default(),
    };
    for (i, k) in fluxes.iter().enumerate() {
        if !(k.source_kind.is_empty() || k.source_kind == "GitRepository") {
            continue;
        }
        let Some(dir) = k.dir().filter(|d| listing.is_dir(d)) else {
            cx.out.broken.push(Broken::FluxPath { owner: i });
            continue;
        };
        let ns = k.target_namespace.clone();
        if listing.kustomization_in(&dir).is_some() {
            cx.kustomize(&dir, Some(i), ns.clone(), Via::Generated, &mut Vec::new());
        } else {
            cx.generate(&dir, Some(i), ns.clone());
        }
        // Flux adds `spec.components` (relative to the path) to the build.
        for c in &k.components {
            let via = Via::Listed {
                kustomization: k.file.clone(),
                line: k.path_line,
                field: "spec.components".into(),
            };
            match normalize(&dir, c) {
                Some(p) if listing.kustomization_in(&p).is_some() => {
                    cx.kustomize(&p, Some(i), ns.clone(), via, &mut Vec::new());
                }
                Some(p) if k.ignore_missing_components && !listing.is_dir(&p) => {}
                _ => cx.out.broken.push(Broken::Missing {
                    kustomization: k.file.clone(),
                    line: k.path_line,
                    field: "spec.components".into(),
                    target: c.clone(),
                    owner: Some(i),
                }),
            }
        }
    }
    // Kustomize trees no Flux Kustomization reaches: their tops, each resolved on its own.
    let reached: BTreeSet<PathBuf> = cx
        .out
        .applied
        .iter()
        .filter(|a| a.reached == Reached::Kustomization)
        .filter_map(|a| a.file.parent().map(Path::to_path_buf))
        .collect();
    let referenced: BTreeSet<PathBuf> = kustomize
        .values()
        .flat_map(|k| {
            k.refs
                .iter()
                .filter(|r| matches!(r.kind, RefKind::Resource | RefKind::Component))
                .filter_map(|r| normalize(&k.dir, &r.target))
        })
        .collect();
    for dir in kustomize.keys() {
        if !reached.contains(dir) && !referenced.contains(dir) {
            cx.kustomize(dir, None, None, Via::Generated, &mut Vec::new());
        }
    }
    cx.out
}

impl Ctx<'_> {
    fn push(
        &mut self,
        file: PathBuf,
        owner: Option<usize>,
        reached: Reached,
        ns: &Option<String>,
        via: Via,
        through: &[PathBuf],
    ) {
        self.out.applied.push(Applied {
            file,
            owner,
            reached,
            namespace: ns.clone(),
            via,
            through: through.to_vec(),
        });
    }

    /// Flux's generated kustomization for `dir`.
    fn generate(&mut self, dir: &Path, owner: Option<usize>, ns: Option<String>) {
        let mut sub_kustomizations: BTreeSet<PathBuf> = BTreeSet::new();
        let mut files = Vec::new();
        for f in self.listing.under(dir) {
            let rel = f.strip_prefix(dir).unwrap_or(f);
            let parts: Vec<&std::ffi::OsStr> = rel.iter().collect();
            if parts
                .iter()
                .any(|p| SOURCE_IGNORED_DIRS.iter().any(|d| p == d))
            {
                continue;
            }
            // The topmost directory between `dir` and the file holding a kustomization
            // file takes the file's place: the generator stops descending there.
            let mut cur = dir.to_path_buf();
            let mut stopped = None;
            for p in &parts[..parts.len().saturating_sub(1)] {
                cur.push(p);
                if self.listing.kustomization_in(&cur).is_some() {
                    stopped = Some(cur.clone());
                    break;
                }
            }
            if let Some(sub) = stopped {
                sub_kustomizations.insert(sub);
                continue;
            }
            let name = f
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if yaml && !SOURCE_IGNORED_FILES.contains(&name.as_ref()) {
                files.push(f.clone());
            }
        }
        for f in files {
            self.push(f, owner, Reached::Resource, &ns, Via::Generated, &[]);
        }
        for sub in sub_kustomizations {
            self.kustomize(&sub, owner, ns.clone(), Via::Generated, &mut Vec::new());
        }
    }

    /// A directory with a kustomization file, and everything it refers to.
    fn kustomize(
        &mut self,
        dir: &Path,
        owner: Option<usize>,
        ns: Option<String>,
        via: Via,
        stack: &mut Vec<PathBuf>,
    ) {
        if stack.iter().any(|d| d == dir) {
            return;
        }
        let Some(file) = self.listing.kustomization_in(dir) else {
            return;
        };
        stack.push(dir.to_path_buf());
        self.push(file.clone(), owner, Reached::Kustomization, &ns, via, stack);
        let Some(k) = self.kustomize.get(dir).cloned() else {
            stack.pop();
            return;
        };
        // The outermost namespace wins: an overlay's `namespace:` rewrites its bases'.
        let ns = ns.or(k.namespace.clone());
        for r in &k.refs {
            if is_remote(&r.target) {
                continue;
            }
            let listed = Via::Listed {
                kustomization: file.clone(),
                line: r.line,
                field: r.field.clone(),
            };
            let missing = |owner| Broken::Missing {
                kustomization: file.clone(),
                line: r.line,
                field: r.field.clone(),
                target: r.target.clone(),
                owner,
            };
            let Some(p) = normalize(dir, &r.target) else {
                self.out.broken.push(missing(owner));
                continue;
            };
            match r.kind {
                RefKind::Resource | RefKind::Component if self.listing.is_file(&p) => {
                    self.push(p, owner, Reached::Resource, &ns, listed, stack);
                }
                RefKind::Resource | RefKind::Component if self.listing.is_dir(&p) => {
                    if self.listing.kustomization_in(&p).is_some() {
                        self.kustomize(&p, owner, ns.clone(), listed, stack);
                    } else {
                        self.out.broken.push(Broken::NoKustomization {
                            kustomization: file.clone(),
                            line: r.line,
                            field: r.field.clone(),
                            target: r.target.clone(),
                            owner,
                        });
                    }
                }
                RefKind::Patch if self.listing.is_file(&p) => {
                    let reached = Reached::Patch {
                        dir: dir.to_path_buf(),
                        selector: r.selector.clone(),
                    };
                    self.push(p, owner, reached, &ns, listed, stack);
                }
                RefKind::File if self.listing.is_file(&p) => {
                    self.push(p, owner, Reached::File, &ns, listed, stack);
                }
                _ => self.out.broken.push(missing(owner)),
            }
        }
        stack.pop();
    }
}
