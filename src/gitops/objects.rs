//! The three things the checkout is made of, read from their documents: kustomize's
//! `kustomization.yaml`, Flux's Kustomization (kustomize.toolkit.fluxcd.io) and Flux's
//! HelmRelease. Every field optional, unknown shapes ignored.

use std::path::{Path, PathBuf};

use serde_yaml::Value;

use super::docs::{Doc, get, scalar};

/// The names kustomize recognises for its file, in the order it looks for them.
pub const KUSTOMIZATION_FILES: [&str; 3] =
    ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// What a `kustomization.yaml` entry is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefKind {
    /// `resources` (or the old `bases`): a file or a directory with its own kustomization.
    Resource,
    /// `components`: a directory with a `kind: Component` kustomization.
    Component,
    /// `patches[].path`, `patchesStrategicMerge`, `patchesJson6902[].path`.
    Patch,
    /// A generator's `files`/`envs`/`env`, `crds`, `configurations`, and the like: read
    /// by the build, declaring nothing.
    File,
}

/// A patch's `target` selector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub kind: Option<String>,
    pub name: Option<String>,
    pub namespace: Option<String>,
}

/// One path a kustomization refers to.
#[derive(Debug, Clone)]
pub struct Ref {
    pub kind: RefKind,
    /// The field, as a user finds it: `resources`, `patches[2].path`, ...
    pub field: String,
    /// As written.
    pub target: String,
    /// The 1-based line of the entry in the kustomization file.
    pub line: usize,
    /// For a patch: its selector, if it has one.
    pub selector: Option<Target>,
}

/// A patch written inside the kustomization file.
#[derive(Debug, Clone)]
pub struct InlinePatch {
    pub field: String,
    pub line: usize,
    pub selector: Option<Target>,
    /// The patch's own documents' kind and name, for a strategic-merge patch.
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// A kustomize `kustomization.yaml` (or `Kustomization`, or `kind: Component`).
#[derive(Debug, Clone)]
pub struct KustomizeFile {
    pub file: PathBuf,
    pub dir: PathBuf,
    pub namespace: Option<String>,
    pub refs: Vec<Ref>,
    pub inline_patches: Vec<InlinePatch>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_sequence)
        .map(|s| s.iter().filter_map(scalar).collect())
        .unwrap_or_default()
}

fn target(v: Option<&Value>) -> Option<Target> {
    let v = v?;
    let s = |k: &str| v.get(k).and_then(scalar);
    Some(Target {
        kind: s("kind"),
        name: s("name"),
        namespace: s("namespace"),
    })
}

/// A resource that lives elsewhere (a URL, a git or OCI reference): not in this checkout.
pub fn is_remote(target: &str) -> bool {
    target.contains("://")
        || target.starts_with("git@")
        || target.starts_with("github.com/")
        || target.starts_with("gitlab.com/")
        || target.starts_with("oci:")
}

impl KustomizeFile {
    pub fn from_doc(doc: &Doc) -> KustomizeFile {
        let v = &doc.value;
        let dir = doc.file.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut refs = Vec::new();
        let mut inline_patches = Vec::new();
        let mut push = |kind: RefKind, field: String, t: String, after: usize, selector| {
            let line = doc.line_with(&t, after).unwrap_or(after);
            refs.push(Ref {
                kind,
                field,
                target: t,
                line,
                selector,
            });
        };
        for key in ["resources", "bases"] {
            let at = doc.line_of(key, doc.line);
            for t in strings(v.get(key)) {
                push(RefKind::Resource, key.into(), t, at, None);
            }
        }
        let at = doc.line_of("components", doc.line);
        for t in strings(v.get("components")) {
            push(RefKind::Component, "components".into(), t, at, None);
        }
        for key in [
            "crds",
            "configurations",
            "generators",
            "transformers",
            "validators",
        ] {
            let at = doc.line_of(key, doc.line);
            for t in strings(v.get(key)) {
                // generators/transformers may also be inline objects; only paths count.
                if !t.contains('\n') {
                    push(RefKind::File, key.into(), t, at, None);
                }
            }
        }
        for key in ["patches", "patchesJson6902"] {
            let mut at = doc.line_of(key, doc.line);
            for (i, p) in v
                .get(key)
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let selector = target(p.get("target"));
                if let Some(path) = p.get("path").and_then(scalar) {
                    push(
                        RefKind::Patch,
                        format!("{key}[{i}].path"),
                        path.clone(),
                        at,
                        selector,
                    );
                    at = doc.line_with(&path, at).unwrap_or(at) + 1;
                } else if let Some(text) = p.get("patch").and_then(Value::as_str) {
                    let line = doc.line_of("patch", at);
                    at = line + 1;
                    inline_patches.push(inline(format!("{key}[{i}].patch"), line, selector, text));
                }
            }
        }
        let mut at = doc.line_of("patchesStrategicMerge", doc.line);
        for (i, t) in strings(v.get("patchesStrategicMerge"))
            .into_iter()
            .enumerate()
        {
            if t.contains('\n') {
                let line = doc
                    .line_with(t.lines().next().unwrap_or(""), at)
                    .unwrap_or(at);
                at = line + 1;
                inline_patches.push(inline(
                    format!("patchesStrategicMerge[{i}]"),
                    line,
                    None,
                    &t,
                ));
            } else {
                push(RefKind::Patch, "patchesStrategicMerge".into(), t, at, None);
            }
        }
        for key in ["configMapGenerator", "secretGenerator"] {
            let at = doc.line_of(key, doc.line);
            for g in v
                .get(key)
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
            {
                let mut paths: Vec<String> = strings(g.get("files"))
                    .into_iter()
                    // `key=path` names the key the file's content goes under.
                    .map(|f| f.split_once('=').map_or(f.clone(), |(_, p)| p.to_string()))
                    .collect();
                paths.extend(strings(g.get("envs")));
                paths.extend(g.get("env").and_then(scalar));
                for p in paths {
                    push(RefKind::File, format!("{key}.files"), p, at, None);
                }
            }
        }
        KustomizeFile {
            file: doc.file.clone(),
            dir,
            namespace: doc.str_at(&["namespace"]).map(str::to_string),
            refs,
            inline_patches,
        }
    }
}

fn inline(field: String, line: usize, selector: Option<Target>, text: &str) -> InlinePatch {
    let v: Value = serde_yaml::from_str(text).unwrap_or(Value::Null);
    let s = |path: &[&str]| get(&v, path).and_then(scalar).unwrap_or_default();
    InlinePatch {
        field,
        line,
        selector,
        kind: s(&["kind"]),
        name: s(&["metadata", "name"]),
        namespace: s(&["metadata", "namespace"]),
    }
}

/// A `dependsOn` entry, its namespace defaulted to the Kustomization's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    pub namespace: String,
    pub name: String,
    pub line: usize,
}

/// A `healthChecks` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// A Flux Kustomization (kustomize.toolkit.fluxcd.io/v1).
#[derive(Debug, Clone)]
pub struct FluxKustomization {
    pub file: PathBuf,
    pub line: usize,
    pub doc_index: usize,
    pub namespace: String,
    pub name: String,
    /// `spec.path` as written (None: the source's root).
    pub path: Option<String>,
    pub path_line: usize,
    pub depends_on: Vec<Dependency>,
    pub health_checks: Vec<HealthCheck>,
    pub wait: bool,
    pub timeout: Option<String>,
    pub retry_interval: Option<String>,
    pub interval: Option<String>,
    pub target_namespace: Option<String>,
    pub source_kind: String,
    pub source_name: String,
    pub source_namespace: String,
    pub prune: Option<bool>,
    /// The line of `spec:`, where a remedy adds fields.
    pub spec_line: usize,
    /// `spec.patches`: inline patches Flux adds to the build.
    pub patches: Vec<InlinePatch>,
    /// `spec.components`, relative to the path, with `spec.ignoreMissingComponents`.
    pub components: Vec<String>,
    pub ignore_missing_components: bool,
}

/// Whether a document is a Flux Kustomization (not kustomize's file of the same kind).
pub fn is_flux_kustomization(doc: &Doc) -> bool {
    doc.kind == "Kustomization" && doc.api_version.starts_with("kustomize.toolkit.fluxcd.io/")
}

impl FluxKustomization {
    pub fn from_doc(doc: &Doc) -> FluxKustomization {
        let spec = doc.value.get("spec");
        let s = |k: &str| spec.and_then(|s| s.get(k)).and_then(scalar);
        let ns = if doc.namespace.is_empty() {
            // Flux's own manifests put Kustomizations in flux-system; an unset namespace is
            // whatever the applying Kustomization sets, most often that one.
            "flux-system".to_string()
        } else {
            doc.namespace.clone()
        };
        let spec_line = doc.line_of("spec", doc.line);
        let deps_line = doc.line_of("dependsOn", spec_line);
        let mut after = deps_line;
        let depends_on = spec
            .and_then(|s| s.get("dependsOn"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(|d| {
                let name = d.get("name").and_then(scalar)?;
                let line = doc.line_with(&name, after).unwrap_or(deps_line);
                after = line + 1;
                Some(Dependency {
                    namespace: d
                        .get("namespace")
                        .and_then(scalar)
                        .unwrap_or_else(|| ns.clone()),
                    name,
                    line,
                })
            })
            .collect();
        let health_checks = spec
            .and_then(|s| s.get("healthChecks"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|h| {
                let f = |k: &str| h.get(k).and_then(scalar).unwrap_or_default();
                HealthCheck {
                    api_version: f("apiVersion"),
                    kind: f("kind"),
                    name: f("name"),
                    namespace: f("namespace"),
                }
            })
            .collect();
        let mut at = doc.line_of("patches", spec_line);
        let patches = spec
            .and_then(|s| s.get("patches"))
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, p)| {
                let text = p.get("patch").and_then(Value::as_str)?;
                let line = doc.line_of("patch", at);
                at = line + 1;
                Some(inline(
                    format!("spec.patches[{i}]"),
                    line,
                    target(p.get("target")),
                    text,
                ))
            })
            .collect();
        let source = spec.and_then(|s| s.get("sourceRef"));
        let sf = |k: &str| source.and_then(|s| s.get(k)).and_then(scalar);
        FluxKustomization {
            file: doc.file.clone(),
            line: doc.line,
            doc_index: doc.doc_index,
            namespace: ns.clone(),
            name: doc.name.clone(),
            path: s("path"),
            path_line: doc.line_of("path", spec_line),
            depends_on,
            health_checks,
            wait: spec.and_then(|s| s.get("wait")).and_then(Value::as_bool) == Some(true),
            timeout: s("timeout"),
            retry_interval: s("retryInterval"),
            interval: s("interval"),
            target_namespace: s("targetNamespace"),
            source_kind: sf("kind").unwrap_or_default(),
            source_name: sf("name").unwrap_or_default(),
            source_namespace: sf("namespace").unwrap_or_else(|| ns.clone()),
            prune: spec.and_then(|s| s.get("prune")).and_then(Value::as_bool),
            spec_line,
            patches,
            components: strings(spec.and_then(|s| s.get("components"))),
            ignore_missing_components: spec
                .and_then(|s| s.get("ignoreMissingComponents"))
                .and_then(Value::as_bool)
                == Some(true),
        }
    }

    /// `spec.path` as a path relative to the checkout's root (`./a/b/` → `a/b`). None when
    /// it climbs out of the root.
    pub fn dir(&self) -> Option<PathBuf> {
        normalize(Path::new(""), self.path.as_deref().unwrap_or("./"))
    }

    /// `namespace/name`.
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }
}

/// `rel` joined to `base` lexically (`.` and `..` resolved), None when it leaves the root.
pub fn normalize(base: &Path, rel: &str) -> Option<PathBuf> {
    let mut out: Vec<String> = base
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            p => out.push(p.to_string()),
        }
    }
    Some(out.iter().collect())
}

/// A Flux HelmRelease (helm.toolkit.fluxcd.io).
#[derive(Debug, Clone)]
pub struct HelmRelease {
    pub file: PathBuf,
    pub line: usize,
    pub doc_index: usize,
    pub namespace: String,
    pub name: String,
    /// `spec.chart.spec.chart`, or the last part of `spec.chartRef`'s name.
    pub chart: String,
    pub release_name: String,
    pub target_namespace: Option<String>,
    pub values: Value,
    pub values_line: usize,
    /// `valuesFrom`: `Kind/name` of each ConfigMap or Secret.
    pub values_from: Vec<String>,
}

impl HelmRelease {
    pub fn is(doc: &Doc) -> bool {
        doc.kind == "HelmRelease" && doc.api_version.starts_with("helm.toolkit.fluxcd.io/")
    }

    pub fn from_doc(doc: &Doc) -> HelmRelease {
        let spec = doc.value.get("spec").cloned().unwrap_or(Value::Null);
        let s = |path: &[&str]| get(&spec, path).and_then(scalar);
        let chart = s(&["chart", "spec", "chart"])
            .or_else(|| s(&["chartRef", "name"]))
            .map(|c| c.rsplit('/').next().unwrap_or(&c).to_string())
            .unwrap_or_default();
        let target_namespace = s(&["targetNamespace"]);
        // helm-controller's release name: spec.releaseName, else the name, prefixed with
        // the target namespace when one is set.
        let release_name = s(&["releaseName"]).unwrap_or_else(|| match &target_namespace {
            Some(t) => format!("{t}-{}", doc.name),
            None => doc.name.clone(),
        });
        let values_from = get(&spec, &["valuesFrom"])
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|v| {
                let f = |k: &str| v.get(k).and_then(scalar).unwrap_or_default();
                format!("{}/{}", f("kind"), f("name"))
            })
            .collect();
        let spec_line = doc.line_of("spec", doc.line);
        HelmRelease {
            file: doc.file.clone(),
            line: doc.line,
            doc_index: doc.doc_index,
            namespace: if doc.namespace.is_empty() {
                "default".into()
            } else {
                doc.namespace.clone()
            },
            name: doc.name.clone(),
            chart,
            release_name,
            target_namespace,
            values: get(&spec, &["values"]).cloned().unwrap_or(Value::Null),
            values_line: doc.line_of("values", spec_line),
            values_from,
        }
    }

    /// The namespace the chart's objects go to.
    pub fn install_namespace(&self) -> &str {
        self.target_namespace.as_deref().unwrap_or(&self.namespace)
    }

    /// The name Helm's usual `fullname` helper gives: `fullnameOverride`, else the release
    /// name when it contains the chart's name (or `nameOverride`), else `release-chart`.
    pub fn fullname(&self) -> String {
        let v = |k: &str| {
            self.values
                .get(k)
                .and_then(scalar)
                .filter(|s| !s.is_empty())
        };
        if let Some(f) = v("fullnameOverride") {
            return f;
        }
        let chart = v("nameOverride").unwrap_or_else(|| self.chart.clone());
        if self.release_name.contains(&chart) {
            self.release_name.clone()
        } else {
            format!("{}-{chart}", self.release_name)
        }
    }
}
