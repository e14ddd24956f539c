//! What more than one area reads the same way: a condition or an event as evidence, label
//! selectors, where the plugin is installed, which Kustomization applies an object, the
//! command that proves a fix. Kept here so that no area imports another.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Facts, Kind};
use crate::model::domain::{PLUGIN_LABEL, PLUGIN_NAME};
use crate::model::rows::{Condition, DeploymentRow, KustomizationRow, PodRow, ServiceRow};

/// kubectl STATUS values that mean a container cannot run, whatever its age.
pub(crate) const FAILING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "StartError",
    "ContainerStatusUnknown",
    "Error",
    "OOMKilled",
];

/// The last path segment of the plugin's own image; its sidecar's image is
/// `plugin-barman-cloud-sidecar`.
const PLUGIN_IMAGE: &str = "plugin-barman-cloud";

/// A condition as evidence: `condition Ready=False HealthCheckFailed: <message>`.
pub(crate) fn cond_line(c: &Condition) -> String {
    let mut s = format!("condition {}={}", c.kind, c.status);
    if !c.reason.is_empty() {
        s.push(' ');
        s.push_str(&c.reason);
    }
    if !c.message.is_empty() {
        s.push_str(": ");
        s.push_str(&c.message);
    }
    s
}

/// The newest Warning events about one object, verbatim, at most `max`.
pub(crate) fn warning_events(
    f: &Facts,
    kind: Kind,
    ns: &str,
    name: &str,
    max: usize,
) -> Vec<String> {
    let mut evs: Vec<_> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.kind == "Warning"
                && e.involved_kind == kind.name()
                && e.involved_namespace == ns
                && e.involved_name == name
        })
        .collect();
    evs.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    let mut seen = BTreeSet::new();
    evs.into_iter()
        .filter(|e| seen.insert((e.reason.clone(), e.message.clone())))
        .take(max)
        .map(|e| format!("event Warning {}: {}", e.reason, e.message))
        .collect()
}

/// Whether a label selector picks these labels; an empty selector picks nothing.
pub(crate) fn selects(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A selector as `kubectl -l` takes it.
pub(crate) fn selector_text(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The Services the operator discovers the plugin through.
pub(crate) fn plugin_services(f: &Facts) -> Vec<&ServiceRow> {
    f.snapshot
        .services
        .rows
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| s.labels.get(PLUGIN_LABEL).map(String::as_str) == Some(PLUGIN_NAME))
        .collect()
}

/// Whether anything of a namespace is in view: a read scoped to other namespaces shows
/// the plugin's cluster-wide Service but none of its pods, which proves nothing.
pub(crate) fn namespace_in_view(f: &Facts, ns: &str) -> bool {
    !f.snapshot.pods.in_namespace(ns).is_empty()
        || f.deployments.rows.iter().any(|d| d.namespace == ns)
}

/// The Deployment behind a plugin Service: one whose pods the Service selects, or whose
/// selector agrees with the Service's, or that carries its name (the manifest's layout).
pub(crate) fn plugin_deployment<'a>(
    svc: &ServiceRow,
    pods: &[&PodRow],
    deployments: &'a [Arc<DeploymentRow>],
) -> Option<&'a DeploymentRow> {
    let ours = |d: &DeploymentRow| {
        pods.iter().any(|p| selects(&d.selector, &p.labels))
            || selects(&d.selector, &svc.selector)
            || selects(&svc.selector, &d.selector)
    };
    let in_ns = || deployments.iter().filter(|d| d.namespace == svc.namespace);
    in_ns()
        .find(|d| ours(d))
        .or_else(|| in_ns().find(|d| d.name == svc.name))
        .map(|d| d.as_ref())
}

/// Whether an image is the plugin's own (not its sidecar's).
pub(crate) fn is_plugin_image(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split(['@', ':']).next() == Some(PLUGIN_IMAGE)
}

/// An object's id as a Kustomization's inventory lists it: `<ns>_<name>_<group>_<Kind>`.
pub(crate) fn inventory_id(kind: Kind, ns: &str, name: &str) -> String {
    format!("{ns}_{name}_{}_{}", kind.group(), kind.name())
}

/// The Kustomization whose inventory lists an object id (see `inventory_id`).
pub(crate) fn inventory_owner<'a>(f: &'a Facts, id: &str) -> Option<&'a KustomizationRow> {
    f.snapshot
        .kustomizations
        .rows
        .iter()
        .map(|k| k.as_ref())
        .find(|k| k.inventory.iter().any(|e| e == id))
}

/// The command that takes a plugin backup now: also the proof that a fix worked.
pub(crate) fn backup_now(ns: &str, cluster: &str) -> String {
    format!("kubectl cnpg backup {cluster} -n {ns} --method=plugin --plugin-name={PLUGIN_NAME}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_apart_from_the_sidecar() {
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0"
        ));
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud@sha256:8db0"
        ));
        assert!(!is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0"
        ));
    }
}
