//! The operator → plugin → backup order (the guide's lesson 4): which Flux Kustomization
//! delivers the CloudNativePG operator, which the Barman Cloud plugin, which the Clusters
//! and their backup objects, told by what they apply (images, Deployment names, Helm
//! charts, kinds); then whether `dependsOn` keeps that order, whether the plugin's step
//! waits for the plugin to be ready, and whether the steps bound their time.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use super::{GUIDE, finding};
use crate::assess::Finding;
use crate::gitops::docs::{Doc, get};
use crate::gitops::index::Index;
use crate::gitops::objects::FluxKustomization;
use crate::gitops::resolve::Reached;
use crate::model::kubefmt::parse_duration;
use crate::model::{Kind, ObjectRef};

/// The plugin's Deployment in the released manifest.
const PLUGIN_DEPLOYMENT: &str = "barman-cloud";
const PLUGIN_IMAGE: &str = "plugin-barman-cloud";
const OPERATOR_IMAGE: &str = "cloudnative-pg";
const PLUGIN_CHART: &str = "plugin-barman-cloud";
const OPERATOR_CHART: &str = "cloudnative-pg";

/// An object as (kind, namespace, name).
type Named = (String, String, String);

/// What a Flux Kustomization delivers, with the line that shows it.
#[derive(Debug, Default)]
struct Delivers {
    operator: Vec<String>,
    plugin: Vec<String>,
    /// The plugin's Deployment (namespace, name) or HelmRelease (kind, namespace, name).
    plugin_objects: Vec<Named>,
    backups: Vec<String>,
}

/// The repository part of an image reference's last path element: `ghcr.io/a/b:1.0` → `b`.
fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last)
}

fn images(d: &Doc) -> Vec<String> {
    let mut out = Vec::new();
    for key in ["containers", "initContainers"] {
        for c in get(&d.value, &["spec", "template", "spec", key])
            .and_then(serde_yaml::Value::as_sequence)
            .into_iter()
            .flatten()
        {
            if let Some(i) = c.get("image").and_then(serde_yaml::Value::as_str) {
                out.push(i.to_string());
            }
        }
    }
    out
}

fn at(d: &Doc) -> String {
    format!("{}:{}", d.file.display(), d.line)
}

fn delivers(ix: &Index) -> BTreeMap<usize, Delivers> {
    let mut out: BTreeMap<usize, Delivers> = BTreeMap::new();
    for a in &ix.applied {
        let (Some(owner), Reached::Resource) = (a.owner, &a.reached) else {
            continue;
        };
        for d in ix.docs_of(&a.file) {
            let e = out.entry(owner).or_default();
            let ns = a.namespace.clone().unwrap_or_else(|| d.namespace.clone());
            match d.kind.as_str() {
                "Deployment" => {
                    let imgs = images(d);
                    if d.name == PLUGIN_DEPLOYMENT
                        || imgs.iter().any(|i| image_name(i) == PLUGIN_IMAGE)
                    {
                        e.plugin.push(format!(
                            "{} Deployment {ns}/{} ({})",
                            at(d),
                            d.name,
                            imgs.join(", ")
                        ));
                        e.plugin_objects
                            .push(("Deployment".into(), ns.clone(), d.name.clone()));
                    } else if let Some(i) = imgs.iter().find(|i| image_name(i) == OPERATOR_IMAGE) {
                        e.operator
                            .push(format!("{} Deployment {ns}/{} ({i})", at(d), d.name));
                    }
                }
                "HelmRelease" => {
                    let Some(h) = ix
                        .helm
                        .iter()
                        .find(|h| h.file == d.file && h.doc_index == d.doc_index)
                    else {
                        continue;
                    };
                    match h.chart.as_str() {
                        PLUGIN_CHART => {
                            e.plugin.push(format!(
                                "{} HelmRelease {}/{} (chart {})",
                                at(d),
                                h.namespace,
                                h.name,
                                h.chart
                            ));
                            e.plugin_objects.push((
                                "HelmRelease".into(),
                                h.namespace.clone(),
                                h.name.clone(),
                            ));
                        }
                        OPERATOR_CHART => e.operator.push(format!(
                            "{} HelmRelease {}/{} (chart {})",
                            at(d),
                            h.namespace,
                            h.name,
                            h.chart
                        )),
                        "cluster" => e.backups.push(format!(
                            "{} HelmRelease {}/{} (chart cluster: a Cluster)",
                            at(d),
                            h.namespace,
                            h.name
                        )),
                        _ => {}
                    }
                }
                "Cluster" | "ScheduledBackup" | "Backup"
                    if d.api_version.starts_with("postgresql.cnpg.io/") =>
                {
                    e.backups
                        .push(format!("{} {} {ns}/{}", at(d), d.kind, d.name));
                }
                "ObjectStore" if d.api_version.starts_with("barmancloud.cnpg.io/") => {
                    e.backups
                        .push(format!("{} ObjectStore {ns}/{}", at(d), d.name));
                }
                _ => {}
            }
        }
    }
    out
}

/// The Kustomizations `k` waits for, directly or through others.
fn closure(ix: &Index, k: usize) -> BTreeSet<usize> {
    let by_id: BTreeMap<(String, String), usize> = ix
        .fluxes
        .iter()
        .enumerate()
        .map(|(i, f)| ((f.namespace.clone(), f.name.clone()), i))
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo = vec![k];
    while let Some(i) = todo.pop() {
        for d in &ix.fluxes[i].depends_on {
            if let Some(&j) = by_id.get(&(d.namespace.clone(), d.name.clone()))
                && seen.insert(j)
            {
                todo.push(j);
            }
        }
    }
    seen
}

fn object(k: &FluxKustomization) -> ObjectRef {
    ObjectRef::new(Kind::Kustomization, &k.namespace, &k.name)
}

fn depends_evidence(k: &FluxKustomization) -> String {
    if k.depends_on.is_empty() {
        format!(
            "{}:{} Kustomization {}: spec.dependsOn is not set",
            k.file.display(),
            k.spec_line,
            k.id()
        )
    } else {
        let names: Vec<String> = k
            .depends_on
            .iter()
            .map(|d| format!("{}/{}", d.namespace, d.name))
            .collect();
        format!(
            "{}:{} Kustomization {}: spec.dependsOn: [{}]",
            k.file.display(),
            k.depends_on[0].line,
            k.id(),
            names.join(", ")
        )
    }
}

/// A dependsOn entry as YAML, the namespace written only when it differs.
fn dep_yaml(from: &FluxKustomization, to: &FluxKustomization) -> String {
    if from.namespace == to.namespace {
        format!("    - name: {}\n", to.name)
    } else {
        format!(
            "    - name: {}\n      namespace: {}\n",
            to.name, to.namespace
        )
    }
}

/// A Kustomization whose contents do not show what it delivers (a remote base, an OCI
/// source, a placeholder) is known by what it health-checks, else by its name, for a role
/// no Kustomization's contents showed.
fn by_checks_and_names(ix: &Index, what: &mut BTreeMap<usize, Delivers>) {
    let shown = |what: &BTreeMap<usize, Delivers>, plugin: bool| {
        what.values().any(|d| {
            if plugin {
                !d.plugin.is_empty()
            } else {
                !d.operator.is_empty()
            }
        })
    };
    for plugin in [true, false] {
        if shown(what, plugin) {
            continue;
        }
        let (deployment, words): (&str, &[&str]) = if plugin {
            (PLUGIN_DEPLOYMENT, &["barman-cloud", "barman-plugin"])
        } else {
            (
                "cnpg-controller-manager",
                &["cnpg-operator", "cloudnative-pg"],
            )
        };
        let mut found: Vec<(usize, String, Option<Named>)> = Vec::new();
        for (i, k) in ix.fluxes.iter().enumerate() {
            if let Some(h) = k
                .health_checks
                .iter()
                .find(|h| h.kind == "Deployment" && h.name == deployment)
            {
                found.push((
                    i,
                    format!(
                        "{}:{} its spec.healthChecks name Deployment {}/{}",
                        k.file.display(),
                        k.spec_line,
                        h.namespace,
                        h.name
                    ),
                    Some(("Deployment".into(), h.namespace.clone(), h.name.clone())),
                ));
            }
        }
        if found.is_empty() {
            for (i, k) in ix.fluxes.iter().enumerate() {
                if words.iter().any(|w| k.name.contains(w)) {
                    found.push((
                        i,
                        format!(
                            "{}:{} by its name, {} (its files do not show it)",
                            k.file.display(),
                            k.line,
                            k.name
                        ),
                        None,
                    ));
                }
            }
        }
        for (i, why, object) in found {
            let e = what.entry(i).or_default();
            if plugin {
                e.plugin.push(why);
                e.plugin_objects.extend(object);
            } else {
                e.operator.push(why);
            }
        }
    }
}

pub(super) fn rules(ix: &Index) -> Vec<Finding> {
    let mut what = delivers(ix);
    by_checks_and_names(ix, &mut what);
    let plugins: Vec<usize> = what
        .iter()
        .filter(|(_, d)| !d.plugin.is_empty())
        .map(|(i, _)| *i)
        .collect();
    let operators: Vec<usize> = what
        .iter()
        .filter(|(_, d)| !d.operator.is_empty())
        .map(|(i, _)| *i)
        .collect();
    let mut out = Vec::new();
    let mut chain: BTreeSet<usize> = plugins.iter().chain(&operators).copied().collect();
    // GIT005: the backup objects wait for the plugin (or, with no plugin here, the operator).
    let (needed, needed_what) = if plugins.is_empty() {
        (&operators, "operator")
    } else {
        (&plugins, "plugin")
    };
    for (&i, d) in &what {
        if d.backups.is_empty() || needed.is_empty() {
            continue;
        }
        chain.insert(i);
        if needed.contains(&i) || needed.iter().any(|n| closure(ix, i).contains(n)) {
            continue;
        }
        let k = &ix.fluxes[i];
        let target = &ix.fluxes[needed[0]];
        let mut evidence = vec![depends_evidence(k)];
        evidence.extend(d.backups.iter().take(8).map(|b| format!("delivers {b}")));
        for &n in needed {
            let t = &ix.fluxes[n];
            let shows = what.get(&n).map(|w| {
                if plugins.is_empty() {
                    &w.operator
                } else {
                    &w.plugin
                }
            });
            for s in shows.into_iter().flatten().take(2) {
                evidence.push(format!(
                    "the {needed_what} comes from Kustomization {} ({}:{}): {s}",
                    t.id(),
                    t.file.display(),
                    t.line
                ));
            }
        }
        out.push(finding(
            "GIT005",
            object(k),
            format!(
                "Kustomization {} delivers CloudNativePG Clusters or backup objects but does not depend on Kustomization {}, which delivers the {needed_what}: on a fresh cluster or an upgrade they are applied before the {needed_what} is ready",
                k.id(),
                target.id()
            ),
            evidence,
            format!(
                "Add to Kustomization {} in {} (after line {}):\nspec:\n  dependsOn:\n{}  timeout: 10m0s\n  retryInterval: 2m0s\n({GUIDE}: Prevention Strategies / Dependency Management)",
                k.id(),
                k.file.display(),
                k.spec_line,
                dep_yaml(k, target)
            ),
        ));
    }
    for &p in &plugins {
        let k = &ix.fluxes[p];
        // GIT006: the plugin waits for the operator.
        if let Some(&op) = operators.first()
            && !operators.contains(&p)
            && !operators.iter().any(|o| closure(ix, p).contains(o))
        {
            let t = &ix.fluxes[op];
            let mut evidence = vec![depends_evidence(k)];
            evidence.extend(
                what[&p]
                    .plugin
                    .iter()
                    .take(2)
                    .map(|s| format!("delivers the plugin: {s}")),
            );
            evidence.extend(
                what[&op]
                    .operator
                    .iter()
                    .take(2)
                    .map(|s| format!("the operator comes from Kustomization {}: {s}", t.id())),
            );
            out.push(finding(
                    "GIT006",
                    object(k),
                    format!(
                        "Kustomization {} delivers the Barman Cloud plugin but does not depend on Kustomization {}, which delivers the CloudNativePG operator",
                        k.id(),
                        t.id()
                    ),
                    evidence,
                    format!(
                        "Add to Kustomization {} in {}:\nspec:\n  dependsOn:\n{}({GUIDE}: Lesson 4, \"Plugin must wait for CNPG operator\")",
                        k.id(),
                        k.file.display(),
                        dep_yaml(k, t)
                    ),
                ));
        }
        // GIT007: the plugin's step waits for the plugin to be ready.
        let objects = &what[&p].plugin_objects;
        let checked = k.health_checks.iter().any(|h| {
            objects.iter().any(|(kind, ns, name)| {
                &h.kind == kind && &h.name == name && (h.namespace.is_empty() || &h.namespace == ns)
            })
        });
        if !checked && !k.wait {
            let (kind, ns, name) = objects.first().cloned().unwrap_or((
                "Deployment".into(),
                "cnpg-system".into(),
                PLUGIN_DEPLOYMENT.into(),
            ));
            let api = if kind == "Deployment" {
                "apps/v1"
            } else {
                "helm.toolkit.fluxcd.io/v2"
            };
            let mut evidence = vec![if k.health_checks.is_empty() {
                format!(
                    "{}:{} Kustomization {}: spec.healthChecks is not set",
                    k.file.display(),
                    k.spec_line,
                    k.id()
                )
            } else {
                let named: Vec<String> = k
                    .health_checks
                    .iter()
                    .map(|h| format!("{} {}/{}", h.kind, h.namespace, h.name))
                    .collect();
                format!(
                    "{}:{} Kustomization {}: spec.healthChecks: [{}] (not the plugin)",
                    k.file.display(),
                    k.spec_line,
                    k.id(),
                    named.join(", ")
                )
            }];
            evidence.push(format!(
                "{}:{} Kustomization {}: spec.wait is not true",
                k.file.display(),
                k.spec_line,
                k.id()
            ));
            evidence.extend(
                what[&p]
                    .plugin
                    .iter()
                    .take(2)
                    .map(|s| format!("delivers the plugin: {s}")),
            );
            out.push(finding(
                "GIT007",
                object(k),
                format!(
                    "Kustomization {} is Ready as soon as the plugin's manifests are applied, not when the plugin runs: what depends on it starts against a plugin that may not be up",
                    k.id()
                ),
                evidence,
                format!(
                    "Add to Kustomization {} in {}:\nspec:\n  healthChecks:\n    - apiVersion: {api}\n      kind: {kind}\n      name: {name}\n      namespace: {ns}\n  timeout: 10m0s\n(or `wait: true` to wait for everything it applies; {GUIDE}: Lesson 4)",
                    k.id(),
                    k.file.display()
                ),
            ));
        }
    }
    // GIT008: every step of the chain bounds its time and retries.
    for &i in &chain {
        let k = &ix.fluxes[i];
        if k.timeout.is_some() && k.retry_interval.is_some() {
            continue;
        }
        let interval = k.interval.as_deref().and_then(|s| parse_duration(s).ok());
        let mut evidence = Vec::new();
        let mut add = String::new();
        if k.timeout.is_none() {
            let default = interval.map(|i| {
                i.saturating_sub(Duration::from_secs(30))
                    .max(Duration::from_secs(30))
            });
            evidence.push(format!(
                "{}:{} Kustomization {}: spec.timeout is not set (Flux uses interval - 30s, at least 30s: {})",
                k.file.display(),
                k.spec_line,
                k.id(),
                default.map(human).unwrap_or_else(|| "unknown, spec.interval unreadable".into())
            ));
            add.push_str("  timeout: 10m0s\n");
        }
        if k.retry_interval.is_none() {
            evidence.push(format!(
                "{}:{} Kustomization {}: spec.retryInterval is not set (Flux retries a failure after spec.interval: {})",
                k.file.display(),
                k.spec_line,
                k.id(),
                k.interval.as_deref().unwrap_or("unset")
            ));
            add.push_str("  retryInterval: 2m0s\n");
        }
        out.push(finding(
            "GIT008",
            object(k),
            format!(
                "Kustomization {} is a step of the operator → plugin → backup chain without its own timeout or retryInterval: a failed step waits a whole interval before Flux tries again",
                k.id()
            ),
            evidence,
            format!(
                "Add to Kustomization {} in {}:\nspec:\n{add}({GUIDE}: Prevention Strategies / Dependency Management)",
                k.id(),
                k.file.display()
            ),
        ));
    }
    out
}

fn human(d: Duration) -> String {
    crate::model::kubefmt::human_duration(crate::model::kubefmt::delta(d))
}
