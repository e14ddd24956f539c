//! What Git leaves out of what Flux applies, broad ignore patterns, references that lead
//! nowhere, and files that do not parse.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::{GUIDE, bounded_list, finding, object_for};
use crate::assess::Finding;
use crate::gitops::checkout::Ignore;
use crate::gitops::index::{GitState, Index, is_yaml_name};
use crate::gitops::objects::KUSTOMIZATION_FILES;
use crate::gitops::resolve::{Broken, Reached, Via};
use crate::model::{Kind, ObjectRef};

/// Why git leaves a file out: the pattern, or that it was never added.
fn why_absent(git: &GitState) -> String {
    match &git.ignored {
        Some(i) => format!("ignored by {} (git check-ignore -v)", i.display()),
        None => "untracked: never added (git ls-files does not list it)".to_string(),
    }
}

fn add_remedy(file: &Path, git: &GitState) -> String {
    let f = file.display();
    match &git.ignored {
        Some(i) => format!(
            "Narrow the pattern `{}` in {} line {} so it matches backup data, not manifests (the guide's fix: `backups/`, `*.backup`, `*-backup-data-*`; never `*backup*`), then commit the file:\n  git add {f} && git commit -m 'Track {f}'\n  git check-ignore -v --no-index {f}   # prints nothing once fixed\n({GUIDE}: Lesson 1)",
            i.pattern, i.source, i.line
        ),
        None => format!("Commit the file: git add {f} && git commit -m 'Track {f}'"),
    }
}

/// GIT001 (a kustomization lists it) and GIT002 (Flux's generated kustomization would take
/// it): a file Flux needs that is not in Git. One finding per file, every Kustomization
/// needing it in the evidence.
pub(super) fn not_in_git(ix: &Index) -> Vec<Finding> {
    let mut by_file: BTreeMap<(&Path, bool), Vec<usize>> = BTreeMap::new();
    for (i, a) in ix.applied.iter().enumerate() {
        if ix.git_state(&a.file).tracked {
            continue;
        }
        let listed = matches!(a.via, Via::Listed { .. });
        // A stray YAML file Flux's generator would sweep up (an editor's scratch file, a
        // values file) is not a lost manifest: only one with a `kind`, or a kustomization.
        let manifest =
            a.reached == Reached::Kustomization || ix.docs_of(&a.file).any(|d| !d.kind.is_empty());
        if !listed && !manifest {
            continue;
        }
        by_file
            .entry((a.file.as_path(), listed))
            .or_default()
            .push(i);
    }
    let mut out = Vec::new();
    for ((file, listed), hits) in by_file {
        let git = ix.git_state(file);
        let first = &ix.applied[hits[0]];
        let mut evidence = Vec::new();
        let mut owners = BTreeSet::new();
        for &h in &hits {
            let a = &ix.applied[h];
            if let Some(o) = a.owner.and_then(|o| ix.fluxes.get(o)) {
                owners.insert(format!(
                    "Kustomization {} ({}:{} spec.path: {})",
                    o.id(),
                    o.file.display(),
                    o.path_line,
                    o.path.as_deref().unwrap_or("./")
                ));
            }
            if let Via::Listed {
                kustomization,
                line,
                field,
            } = &a.via
            {
                evidence.push(format!(
                    "{}:{line} {field}: lists {}",
                    kustomization.display(),
                    file.display()
                ));
            }
        }
        evidence.extend(owners.iter().map(|o| format!("applied by {o}")));
        evidence.push(format!("{}: {}", file.display(), why_absent(&git)));
        for d in ix.docs_of(file).take(5) {
            evidence.push(format!(
                "{}:{} declares {} {}{}",
                file.display(),
                d.line,
                d.kind,
                if d.namespace.is_empty() {
                    String::new()
                } else {
                    format!("{}/", d.namespace)
                },
                d.name
            ));
        }
        let kustomization = match &first.via {
            Via::Listed { kustomization, .. } => Some(kustomization.as_path()),
            Via::Generated => None,
        };
        let object = object_for(ix, first.owner, kustomization);
        let (code, summary) = if listed {
            (
                "GIT001",
                format!(
                    "{} is listed by {} but is not in Git: Flux's build of the commit fails on the missing file",
                    file.display(),
                    kustomization
                        .map(|k| k.display().to_string())
                        .unwrap_or_default()
                ),
            )
        } else {
            (
                "GIT002",
                format!(
                    "{} is under a Flux path but not in Git: Flux never applies it and still reports success",
                    file.display()
                ),
            )
        };
        if first.reached == Reached::Kustomization && !listed {
            evidence.push("without it in Git, Flux generates a kustomization of every YAML file there instead".into());
        }
        out.push(finding(
            code,
            object,
            summary,
            evidence,
            add_remedy(file, &git),
        ));
    }
    out
}

/// Whether a file is a manifest: a kustomization file, or YAML with a `kind`, or a YAML
/// file Flux would apply.
fn is_manifest(ix: &Index, f: &Path, applied: &BTreeSet<&Path>) -> bool {
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if !is_yaml_name(&name) {
        return false;
    }
    KUSTOMIZATION_FILES.contains(&name.as_ref())
        || applied.contains(f)
        || ix.docs_of(f).any(|d| !d.kind.is_empty())
}

/// GIT003: an ignore pattern that matches manifests, with every file it swallows.
pub(super) fn broad_patterns(ix: &Index) -> Vec<Finding> {
    let applied: BTreeSet<&Path> = ix.applied.iter().map(|a| a.file.as_path()).collect();
    let mut by_pattern: BTreeMap<&Ignore, Vec<&PathBuf>> = BTreeMap::new();
    for (f, g) in &ix.git {
        if let Some(i) = &g.ignored
            && is_manifest(ix, f, &applied)
        {
            by_pattern.entry(i).or_default().push(f);
        }
    }
    let mut out = Vec::new();
    for (ignore, files) in by_pattern {
        let mut lost = Vec::new();
        let mut evidence = vec![format!(
            "{} matches {} manifest file(s):",
            ignore.display(),
            files.len()
        )];
        let lines = files
            .iter()
            .map(|f| {
                let g = ix.git_state(f);
                let state = if g.tracked {
                    "tracked despite the pattern; a new file named like it would be left out"
                } else {
                    lost.push(f.display().to_string());
                    "NOT in Git"
                };
                let owner = ix
                    .flux_owner(f)
                    .map(|(ns, n)| format!(", applied by Kustomization {ns}/{n}"))
                    .unwrap_or_default();
                format!("  {} ({state}{owner})", f.display())
            })
            .collect();
        evidence.extend(bounded_list(lines));
        let add = if lost.is_empty() {
            String::new()
        } else {
            format!("\nthen add what it kept out: git add {}", lost.join(" "))
        };
        out.push(finding(
            "GIT003",
            ObjectRef::new(Kind::GitRepository, "", &format!("{}:{}", ignore.source, ignore.line)),
            format!(
                "the ignore pattern `{}` ({} line {}) matches {} manifest file(s), {} of them not in Git",
                ignore.pattern,
                ignore.source,
                ignore.line,
                files.len(),
                lost.len()
            ),
            evidence,
            format!(
                "Replace `{}` in {} with patterns that name backup data only, e.g.\n  backups/\n  *.backup\n  *-backup-data-*\n(not `*backup*`: it also matches manifests such as postgresql-backup-plugin.yaml){add}\nCheck every manifest afterwards (prints nothing when none is ignored):\n  find . -path ./.git -prune -o \\( -name '*.yaml' -o -name '*.yml' \\) -print | git check-ignore --no-index --stdin -v\n({GUIDE}: Lesson 1)",
                ignore.pattern, ignore.source
            ),
        ));
    }
    out
}

/// GIT004: a kustomization entry or a Flux path that leads nowhere.
pub(super) fn broken(ix: &Index) -> Vec<Finding> {
    let mut out = Vec::new();
    for b in &ix.broken {
        match b {
            Broken::Missing {
                kustomization,
                line,
                field,
                target,
                owner,
            }
            | Broken::NoKustomization {
                kustomization,
                line,
                field,
                target,
                owner,
            } => {
                let no_k = matches!(b, Broken::NoKustomization { .. });
                let summary = if no_k {
                    format!(
                        "{} lists the directory {target}, which has no kustomization.yaml: kustomize cannot build it",
                        kustomization.display()
                    )
                } else {
                    format!(
                        "{} lists {target}, which does not exist in the checkout: Flux's build fails",
                        kustomization.display()
                    )
                };
                let mut evidence = vec![format!(
                    "{}:{line} {field}: {target}",
                    kustomization.display()
                )];
                if let Some(k) = owner.and_then(|o| ix.fluxes.get(o)) {
                    evidence.push(format!(
                        "applied by Kustomization {} ({}:{})",
                        k.id(),
                        k.file.display(),
                        k.line
                    ));
                }
                let remedy = if no_k {
                    format!(
                        "Add a kustomization.yaml listing the files of {target}, or list those files instead of the directory"
                    )
                } else {
                    format!(
                        "Fix the entry in {} line {line}, or add the missing file; then check with: kustomize build {}",
                        kustomization.display(),
                        kustomization
                            .parent()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default()
                    )
                };
                out.push(finding(
                    "GIT004",
                    object_for(ix, *owner, Some(kustomization)),
                    summary,
                    evidence,
                    remedy,
                ));
            }
            Broken::FluxPath { owner } => {
                let Some(k) = ix.fluxes.get(*owner) else {
                    continue;
                };
                let path = k.path.as_deref().unwrap_or("./");
                out.push(finding(
                    "GIT004",
                    object_for(ix, Some(*owner), None),
                    format!("Kustomization {} applies {path}, which is not a directory of the checkout: Flux fails with a path not found", k.id()),
                    vec![format!("{}:{} spec.path: {path}", k.file.display(), k.path_line)],
                    format!("Point spec.path at an existing directory (relative to the repository root, e.g. ./apps/databases), or add it in {}", k.file.display()),
                ));
            }
        }
    }
    out
}

/// GIT009 (Flux applies it) and GIT010 (nothing does): a YAML document that does not parse.
pub(super) fn unparsable(ix: &Index) -> Vec<Finding> {
    let applied: BTreeMap<&Path, Option<usize>> = ix
        .applied
        .iter()
        .map(|a| (a.file.as_path(), a.owner))
        .collect();
    ix.parse_errors
        .iter()
        .map(|e| {
            let (code, summary) = match applied.get(e.file.as_path()) {
                Some(_) => (
                    "GIT009",
                    format!(
                        "{} does not parse as YAML, and Flux builds it: the build fails",
                        e.file.display()
                    ),
                ),
                None => (
                    "GIT010",
                    format!(
                        "{} does not parse as YAML (no Flux Kustomization applies it)",
                        e.file.display()
                    ),
                ),
            };
            let owner = applied.get(e.file.as_path()).copied().flatten();
            finding(
                code,
                object_for(ix, owner, Some(&e.file)),
                summary,
                vec![format!("{}:{}: {}", e.file.display(), e.line, e.message)],
                format!(
                    "Fix the YAML at {}:{}; check with: kubectl apply --dry-run=client -f {}",
                    e.file.display(),
                    e.line,
                    e.file.display()
                ),
            )
        })
        .collect()
}
