//! The Clusters that use the plugin: PLG008 (a phase saying the plugin is unknown or
//! failing), PLG010 (a version other than the one running), PLG011 (an instance pod
//! without the sidecar).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{AREA, Ctx};
use crate::assess::read::{is_plugin_image, selector_text};
use crate::assess::{Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::{
    CLUSTER_LABEL, OPERATOR_APP, OPERATOR_LABEL, PLUGIN_CONTAINER, PLUGIN_NAME, PLUGIN_SELECTOR,
    SIDECAR,
};
use crate::model::rows::{ClusterRow, PodRow, image_tag};
use crate::model::state::of_namespace;

/// The plugin's container among (container, image) pairs: by name, else by image, else
/// the first.
fn plugin_image(images: &[(String, String)]) -> Option<(&str, &str)> {
    images
        .iter()
        .find(|(c, _)| c == PLUGIN_CONTAINER)
        .or_else(|| images.iter().find(|(_, i)| is_plugin_image(i)))
        .or(images.first())
        .map(|(c, i)| (c.as_str(), i.as_str()))
}

/// Where to look at the plugin's pods, as a command: the namespace and selector of its
/// Service, so it fits the manifest's and the Helm chart's names alike.
fn plugin_pods_cmd(c: &Ctx) -> String {
    match c.plugins.as_ref().and_then(|p| p.first()) {
        Some(p) if !p.svc.selector.is_empty() => format!(
            "kubectl -n {} get pods -l {}",
            p.svc.namespace,
            selector_text(&p.svc.selector)
        ),
        _ => format!("kubectl get services -A -l {PLUGIN_SELECTOR}"),
    }
}

/// PLG008.
pub(super) fn cluster_phase(out: &mut Outcome, c: &Ctx, clusters: &[Arc<ClusterRow>]) {
    for cl in clusters.iter() {
        let lower = cl.phase.to_lowercase();
        let unknown = lower.contains("unknown plugin");
        if !(unknown || lower.contains("error while interacting with plugins")) {
            continue;
        }
        let mut evidence = vec![format!("status.phase: {}", cl.phase)];
        if let Some(r) = &cl.phase_reason {
            evidence.push(format!("status.phaseReason: {r}"));
        }
        // The operator watches the plugin Services and their Secrets and re-registers on
        // change, and retries the connection on every reconcile: fixing the cause is enough.
        let last_resort = format!(
            "only if the phase stays once that is fixed, restart the operator: kubectl rollout restart deployment -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP}"
        );
        let remedy = if unknown {
            format!(
                "No plugin is registered under the name the Cluster asks for: check spec.plugins[].name is {PLUGIN_NAME}, and that the plugin Service in the operator's namespace carries the label {PLUGIN_SELECTOR} and the annotations cnpg.io/pluginClientSecret, cnpg.io/pluginServerSecret and cnpg.io/pluginPort, with both Secrets present (PLG002, PLG003, PLG012): kubectl get services -A -l {PLUGIN_SELECTOR} -o yaml. The operator registers the plugin as soon as its Service and Secrets are right; {last_resort}"
            )
        } else {
            format!(
                "The plugin is registered but the operator cannot talk to it: make its pods Ready (PLG004, PLG005): {}; the Cluster reconciles again by itself once the plugin answers; {last_resort}",
                plugin_pods_cmd(c)
            )
        };
        out.push(Finding {
            code: "PLG008",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} cannot reconcile: the operator cannot use the Barman Cloud plugin",
                cl.namespace, cl.name
            ),
            evidence,
            remedy,
        });
    }
}

/// PLG010.
pub(super) fn version_skew(out: &mut Outcome, c: &Ctx, clusters: &[Arc<ClusterRow>]) {
    let reporting: Vec<&ClusterRow> = clusters
        .iter()
        .map(|x| x.as_ref())
        .filter(|x| x.plugin_version.is_some())
        .collect();
    if reporting.is_empty() {
        return;
    }
    let Some(p) = c.plugins.as_ref().and_then(|p| p.first()) else {
        return;
    };
    // Where the running image was read, and the image.
    let source = match p.deployment {
        Some(d) => plugin_image(&d.images).map(|(ctr, img)| {
            (
                format!(
                    "Deployment {}/{} spec.template.spec.containers[{ctr}].image",
                    d.namespace, d.name
                ),
                img,
            )
        }),
        None => p.pods.iter().find_map(|pod| {
            let (ctr, img) = plugin_image(&pod.images)?;
            Some((
                format!(
                    "Pod {}/{} spec.containers[{ctr}].image",
                    pod.namespace, pod.name
                ),
                img,
            ))
        }),
    };
    let Some((path, image)) = source else {
        if let Some(why) = &c.deployments_unknown {
            out.unknown(AREA, why.clone());
        }
        return;
    };
    let tag = image_tag(image);
    // A digest or an implicit tag says nothing about the version.
    if image.contains('@') || tag == "latest" {
        return;
    }
    let bare = |v: &str| v.strip_prefix('v').unwrap_or(v).to_string();
    for cl in reporting {
        let Some(v) = &cl.plugin_version else {
            continue;
        };
        if bare(v) == bare(&tag) {
            continue;
        }
        out.push(Finding {
            code: "PLG010",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} reports Barman Cloud plugin {v}, but the plugin runs {tag}",
                cl.namespace, cl.name
            ),
            evidence: vec![
                format!("status.pluginStatus[{PLUGIN_NAME}].version: {v}"),
                format!("{path}: {image}"),
            ],
            remedy: format!(
                "The operator rewrites status.pluginStatus from the plugin it reaches each time it reconciles the Cluster: a lasting difference means the Cluster is not being reconciled (look at its phase, at the annotation cnpg.io/reconciliationLoop, at hibernation) or that an older plugin pod still answers: {}. Restarting the operator is a harmless last resort: kubectl rollout restart deployment -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP}; do not restart the plugin for this (its Deployment {} uses strategy Recreate: a restart is a short outage)",
                plugin_pods_cmd(c),
                p.deployment_name()
            ),
        });
    }
}

/// PLG011.
pub(super) fn sidecars(out: &mut Outcome, c: &Ctx, clusters: &[Arc<ClusterRow>]) {
    let using: Vec<&ClusterRow> = clusters
        .iter()
        .map(|x| x.as_ref())
        // The plugin injects its sidecar only for a store to archive to or a replica source
        // to restore WAL from: a recovery-only entry gets none, and that is no fault.
        .filter(|x| {
            x.plugin.as_ref().is_some_and(|p| {
                p.enabled && (p.object_store.is_some() || x.replica_source_store.is_some())
            })
        })
        .collect();
    if using.is_empty() {
        return;
    }
    let Some(pods) = c.pods else { return };
    // One pass over each namespace's pods, not one per cluster: a namespace may hold
    // thousands of pods and several clusters.
    let mut missing_of: BTreeMap<(&str, &str), Vec<&PodRow>> = BTreeMap::new();
    let mut namespaces: Vec<&str> = using.iter().map(|cl| cl.namespace.as_str()).collect();
    namespaces.dedup();
    for ns in namespaces {
        for p in of_namespace(pods, ns) {
            if p.labels.get("cnpg.io/podRole").map(String::as_str) != Some("instance")
                || p.status == "Terminating"
                || p.sidecars.iter().any(|s| s == SIDECAR)
            {
                continue;
            }
            if let Some(cluster) = p.labels.get(CLUSTER_LABEL) {
                missing_of.entry((ns, cluster)).or_default().push(p);
            }
        }
    }
    for cl in using {
        let missing = missing_of
            .get(&(cl.namespace.as_str(), cl.name.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if missing.is_empty() {
            continue;
        }
        let names = missing
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let evidence = missing
            .iter()
            .map(|p| {
                let sc = if p.sidecars.is_empty() {
                    "none".to_string()
                } else {
                    p.sidecars.join(", ")
                };
                format!(
                    "Pod {}/{} spec.initContainers with restartPolicy Always: {sc}",
                    p.namespace, p.name
                )
            })
            .collect();
        out.push(Finding {
            code: "PLG011",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} uses the Barman Cloud plugin, but instance pod {names} has no {SIDECAR} sidecar: it neither archives WAL nor takes backups",
                cl.namespace, cl.name
            ),
            evidence,
            remedy: format!(
                "The sidecar is injected when a pod is created, and only while the plugin is reachable. CloudNativePG 1.26 and newer rolls the instances itself once the plugin changes their pod spec (1.30 also recreates a primary that lacks its WAL-archiver sidecar): make sure the plugin is reachable (PLG002-PLG004; native sidecars need Kubernetes 1.29+) and follow the rollout: kubectl cnpg status {n} -n {ns}. Only if the pods stay without it, recreate them: kubectl cnpg restart {n} -n {ns}",
                n = cl.name,
                ns = cl.namespace
            ),
        });
    }
}
