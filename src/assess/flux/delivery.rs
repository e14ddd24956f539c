//! FLX009: what the backup setup needs and never arrived. An ObjectStore a Cluster names,
//! or half of the plugin's install, is absent and in no Kustomization's inventory while
//! the Kustomization delivering its neighbours is Ready: the manifest never reached Git
//! (often a `.gitignore` pattern), so Flux had nothing to apply and stays green.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::{AREA, is_ready};
use crate::assess::read::{
    cond_line, inventory_id, is_plugin_image, namespace_in_view, plugin_deployment,
    plugin_services, selector_text,
};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::{PLUGIN_NAME, PLUGIN_SELECTOR, PLUGIN_SERVICE};
use crate::model::relate::store_of;
use crate::model::rows::{ClusterRow, KustomizationRow, PodRow};
use crate::model::state::Readable;

/// An inventory id split like cli-utils does: (namespace, name, group, kind).
pub(super) fn parse_id(id: &str) -> Option<(String, String, String, String)> {
    let (ns, rest) = id.split_once('_')?;
    let (rest, kind) = rest.rsplit_once('_')?;
    let (name, group) = rest.rsplit_once('_')?;
    Some((
        ns.into(),
        name.replace("__", ":"),
        group.into(),
        kind.into(),
    ))
}

/// Who delivers the objects of a Cluster: the Kustomization listing the Cluster, else any
/// Ready one listing its namespace or something in it.
fn delivery<'a>(
    ks: &'a [Arc<KustomizationRow>],
    cl: &ClusterRow,
) -> Option<(&'a KustomizationRow, String)> {
    let cluster_id = inventory_id(Kind::Cluster, &cl.namespace, &cl.name);
    if let Some(k) = ks.iter().find(|k| k.inventory.contains(&cluster_id)) {
        return Some((k, cluster_id));
    }
    let ns_id = format!("_{}__Namespace", cl.namespace);
    let prefix = format!("{}_", cl.namespace);
    ks.iter().filter(|k| is_ready(k)).find_map(|k| {
        k.inventory
            .iter()
            .find(|e| **e == ns_id)
            .or_else(|| k.inventory.iter().find(|e| e.starts_with(&prefix)))
            .map(|e| (k.as_ref(), e.clone()))
    })
}

fn gitignore_remedy(k: &KustomizationRow, needle: &str) -> String {
    let path = k.path.as_deref().unwrap_or(".");
    format!(
        "The manifest never reached Git, so Flux had nothing to apply and stays green. In a checkout of the repository behind {} {}/{}, ask git why: grep -rl '{needle}' {path} | xargs git check-ignore -v --no-index (it prints the .gitignore line that hides the file; if grep finds nothing, the manifest was never written). Fix that pattern, git add the file, commit and push, then: flux reconcile kustomization {} -n {} --with-source",
        k.source.kind, k.source.namespace, k.source.name, k.name, k.namespace
    )
}

fn delivery_evidence(k: &KustomizationRow, listed: &str) -> Vec<String> {
    let mut ev = vec![format!(
        "Kustomization {}/{} status.inventory lists: {listed}",
        k.namespace, k.name
    )];
    ev.extend(
        k.ready()
            .map(|c| format!("Kustomization {}/{} {}", k.namespace, k.name, cond_line(c))),
    );
    if let Some(p) = &k.path {
        ev.push(format!(
            "Kustomization {}/{} spec.path: {p}",
            k.namespace, k.name
        ));
    }
    ev
}

/// FLX009 for the ObjectStores Clusters name.
pub(super) fn object_stores_absent(out: &mut Outcome, f: &Facts, ks: &[Arc<KustomizationRow>]) {
    let s = &f.snapshot;
    let clusters = match s.clusters.readable(&Kind::Cluster.qualified()) {
        Readable::Rows(r) => r,
        Readable::NotInstalled(_) => return,
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    let naming: Vec<(&ClusterRow, &str)> = clusters
        .iter()
        .filter_map(|c| Some((c.as_ref(), store_of(c)?)))
        .collect();
    if naming.is_empty() {
        return;
    }
    let resource = Kind::ObjectStore.qualified();
    let stores = match s.object_stores.readable(&resource) {
        // Only a complete list proves an ObjectStore is absent.
        Readable::Rows(r) if s.object_stores.complete() => r,
        Readable::Rows(_) => {
            out.unknown(
                AREA,
                format!("{resource}: stale, so an absent ObjectStore proves nothing"),
            );
            return;
        }
        Readable::NotInstalled(_) => return,
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    for (cl, store) in naming {
        if stores
            .iter()
            .any(|o| o.namespace == cl.namespace && o.name == store)
        {
            continue;
        }
        let id = inventory_id(Kind::ObjectStore, &cl.namespace, store);
        if ks.iter().any(|k| k.inventory.contains(&id)) {
            continue;
        }
        let Some((k, listed)) = delivery(ks, cl) else {
            continue;
        };
        if !is_ready(k) {
            continue;
        }
        let mut evidence = vec![
            format!(
                "Cluster {}/{} spec.plugins[{PLUGIN_NAME}].parameters.barmanObjectName: {store}",
                cl.namespace, cl.name
            ),
            format!("{resource} {}/{store}: not found", cl.namespace),
            format!("status.inventory of every Kustomization: no {id}"),
        ];
        evidence.extend(delivery_evidence(k, &listed));
        out.push(Finding {
            code: "FLX009",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, &cl.namespace, store),
            summary: format!(
                "ObjectStore {ns}/{store}, named by Cluster {ns}/{}, does not exist and no Kustomization applies it, yet Kustomization {}/{} is Ready",
                cl.name,
                k.namespace,
                k.name,
                ns = cl.namespace
            ),
            evidence,
            remedy: gitignore_remedy(k, &format!("name: {store}")),
        });
    }
}

/// FLX009 for the plugin's own Deployment and Service, where the facts prove one came
/// through Flux and the other did not.
pub(super) fn plugin_absent(out: &mut Outcome, f: &Facts, ks: &[Arc<KustomizationRow>]) {
    let s = &f.snapshot;
    if !s.services.complete() {
        return;
    }
    let services = plugin_services(f);
    let in_any = |id: &str| ks.iter().any(|k| k.inventory.iter().any(|e| e == id));

    // The Service is missing beside a Deployment Flux applied.
    let named = match s.clusters.readable(&Kind::Cluster.qualified()) {
        Readable::Rows(r) => r.iter().any(|c| c.plugin.is_some()),
        _ => false,
    };
    if services.is_empty() && named {
        match f.deployments.rows_or_why(&Kind::Deployment.qualified()) {
            Err(why) => out.unknown(AREA, why),
            Ok(deps) => {
                for d in deps
                    .iter()
                    .filter(|d| d.images.iter().any(|(_, i)| is_plugin_image(i)))
                {
                    let dep_id = inventory_id(Kind::Deployment, &d.namespace, &d.name);
                    let Some(k) = ks.iter().find(|k| k.inventory.contains(&dep_id)) else {
                        continue;
                    };
                    if !is_ready(k) {
                        continue;
                    }
                    let svc_ids = [
                        inventory_id(Kind::Service, &d.namespace, PLUGIN_SERVICE),
                        inventory_id(Kind::Service, &d.namespace, &d.name),
                    ];
                    if svc_ids.iter().any(|i| in_any(i)) {
                        continue;
                    }
                    let mut evidence = vec![
                        format!("services -l {PLUGIN_SELECTOR} (all namespaces): none"),
                        format!("status.inventory of every Kustomization: no {}", svc_ids[0]),
                    ];
                    evidence.extend(delivery_evidence(k, &dep_id));
                    out.push(Finding {
                        code: "FLX009",
                        severity: Severity::Critical,
                        object: ObjectRef::new(Kind::Service, &d.namespace, PLUGIN_SERVICE),
                        summary: format!(
                            "The Barman Cloud plugin Service is absent and in no Kustomization's inventory, while Kustomization {}/{} applied the plugin Deployment {}/{} and is Ready",
                            k.namespace, k.name, d.namespace, d.name
                        ),
                        evidence,
                        remedy: gitignore_remedy(k, "kind: Service"),
                    });
                }
            }
        }
    }

    // The Deployment is missing behind a Service Flux applied.
    if services.is_empty() {
        return;
    }
    let (pods, deps) = match (
        s.pods.rows_or_why(&Kind::Pod.qualified()),
        f.deployments.rows_or_why(&Kind::Deployment.qualified()),
    ) {
        (Ok(p), Ok(d)) if s.pods.complete() && f.deployments.complete() => (p, d),
        (Err(why), _) | (_, Err(why)) => {
            out.unknown(AREA, why);
            return;
        }
        _ => return,
    };
    for svc in services {
        let selected: Vec<&PodRow> = pods
            .iter()
            .map(|p| p.as_ref())
            .filter(|p| svc.selects(p))
            .collect();
        // In a namespace-scoped read the plugin's namespace is out of view: its absence
        // there proves nothing.
        if !selected.is_empty()
            || plugin_deployment(svc, &selected, deps).is_some()
            || !namespace_in_view(f, &svc.namespace)
        {
            continue;
        }
        let svc_id = inventory_id(Kind::Service, &svc.namespace, &svc.name);
        let Some(k) = ks.iter().find(|k| k.inventory.contains(&svc_id)) else {
            continue;
        };
        if !is_ready(k) {
            continue;
        }
        // An inventoried Deployment that is gone was deleted after the apply: drift, not
        // a manifest that never reached Git.
        let existing: BTreeSet<(&str, &str)> = deps
            .iter()
            .map(|d| (d.namespace.as_str(), d.name.as_str()))
            .collect();
        let drifted = ks
            .iter()
            .flat_map(|k| k.inventory.iter())
            .filter_map(|e| parse_id(e))
            .any(|(ins, iname, group, kind)| {
                ins == svc.namespace
                    && group == "apps"
                    && kind == Kind::Deployment.name()
                    && !existing.contains(&(ins.as_str(), iname.as_str()))
            });
        if drifted {
            continue;
        }
        let mut evidence = vec![
            format!(
                "Service {}/{} spec.selector: {}",
                svc.namespace,
                svc.name,
                selector_text(&svc.selector)
            ),
            format!(
                "pods and deployments in {} matching it: none",
                svc.namespace
            ),
            format!(
                "status.inventory of every Kustomization: no Deployment in {} that is absent",
                svc.namespace
            ),
        ];
        evidence.extend(delivery_evidence(k, &svc_id));
        out.push(Finding {
            code: "FLX009",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Deployment, &svc.namespace, &svc.name),
            summary: format!(
                "The Barman Cloud plugin Deployment is absent and in no Kustomization's inventory, while Kustomization {}/{} applied its Service {}/{} and is Ready",
                k.namespace, k.name, svc.namespace, svc.name
            ),
            evidence,
            remedy: gitignore_remedy(k, "kind: Deployment"),
        });
    }
}
