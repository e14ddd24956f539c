//! The stores themselves: OBJ001 (a named store is missing), OBJ003 (no recovery window
//! for a server), OBJ004 (the last backup failed after the last success), OBJ005 (the
//! endpoint cannot be reached).

use std::collections::BTreeMap;

use super::{find_store, plugin_clusters};
use crate::assess::read::backup_now;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::PLUGIN_NAME;
use crate::model::kubefmt::ts;
use crate::model::rows::ClusterRow;

/// OBJ001: the plugin reads `{cluster ns}/{barmanObjectName}` and nothing else.
pub(super) fn stores_exist(f: &Facts, out: &mut Outcome) {
    for (c, store) in plugin_clusters(f) {
        if find_store(f, &c.namespace, store).is_some() {
            continue;
        }
        let (ns, name) = (&c.namespace, &c.name);
        let mut evidence = vec![
            format!(
                "Cluster {ns}/{name} spec.plugins[{PLUGIN_NAME}].parameters.barmanObjectName: {store}"
            ),
            format!("ObjectStore {ns}/{store}: not found"),
        ];
        let elsewhere: Vec<&str> = f
            .snapshot
            .object_stores
            .rows
            .iter()
            .filter(|o| o.name == store)
            .map(|o| o.namespace.as_str())
            .collect();
        if !elsewhere.is_empty() {
            evidence.push(format!(
                "ObjectStore {store} exists in namespace {} (the plugin only reads the Cluster's namespace)",
                elsewhere.join(", ")
            ));
        }
        let here: Vec<&str> = f
            .snapshot
            .object_stores
            .rows
            .iter()
            .filter(|o| &o.namespace == ns)
            .map(|o| o.name.as_str())
            .collect();
        if !here.is_empty() {
            evidence.push(format!("ObjectStores in {ns}: {}", here.join(", ")));
        }
        out.push(Finding {
            code: "OBJ001",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, ns, name),
            summary: format!("Cluster {ns}/{name} names ObjectStore {store}, which does not exist in namespace {ns}"),
            evidence,
            remedy: format!(
                "Create ObjectStore {store} in namespace {ns} (or fix barmanObjectName): until it exists the plugin \
                 requeues the Cluster's reconciliation and nothing is archived. If its manifest is in Git, check that \
                 it was committed (`git check-ignore -v --no-index <path>`, `git ls-files --error-unmatch <path>`) and \
                 is listed by its kustomization.yaml, then `flux reconcile ks <name> --with-source`. \
                 Check: `kubectl -n {ns} get objectstores.barmancloud.cnpg.io`."
            ),
        });
    }
}

/// OBJ004: the newest backup attempt of a server failed after its newest success.
pub(super) fn failed_after_success(f: &Facts, out: &mut Outcome) {
    for o in f.snapshot.object_stores.rows.iter() {
        let ns = &o.namespace;
        let failing: Vec<_> = o
            .servers
            .iter()
            .filter_map(|w| {
                let failed = w.last_failure?;
                w.last_success
                    .is_none_or(|ok| failed > ok)
                    .then_some((w, failed))
            })
            .collect();
        if failing.is_empty() {
            continue;
        }
        let evidence: Vec<String> = failing
            .iter()
            .map(|(w, failed)| {
                format!(
                    "ObjectStore {ns}/{} status.serverRecoveryWindow[{}]: lastFailedBackupTime {}, lastSuccessfulBackupTime {}",
                    o.name,
                    w.server,
                    ts(*failed),
                    w.last_success.map(ts).unwrap_or_else(|| "never".into())
                )
            })
            .collect();
        let servers: Vec<&str> = failing.iter().map(|(w, _)| w.server.as_str()).collect();
        let cluster = f
            .snapshot
            .clusters
            .rows
            .iter()
            .find(|c| &c.namespace == ns && servers.contains(&c.server_name()))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "CLUSTER".into());
        out.push(Finding {
            code: "OBJ004",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, ns, &o.name),
            summary: format!(
                "ObjectStore {ns}/{}: the last backup of server {} failed after the last successful one",
                o.name,
                servers.join(", ")
            ),
            evidence,
            remedy: format!(
                "Find the failed Backup and its error: `kubectl -n {ns} get backups.postgresql.cnpg.io --sort-by=.metadata.creationTimestamp` \
                 then `kubectl -n {ns} describe backup <name>`; fix the cause (see the OBJ/BKP findings of {cluster}) and verify with `{}`.",
                backup_now(ns, &cluster)
            ),
        });
    }
}

/// OBJ003: a used store with no window for the cluster's server name.
pub(super) fn windows_present(f: &Facts, out: &mut Outcome) {
    let mut per_store: BTreeMap<(String, String), Vec<&ClusterRow>> = BTreeMap::new();
    for (c, store) in plugin_clusters(f) {
        let Some(o) = find_store(f, &c.namespace, store) else {
            continue;
        };
        if o.servers.iter().any(|w| w.server == c.server_name()) {
            continue;
        }
        per_store
            .entry((o.namespace.clone(), o.name.clone()))
            .or_default()
            .push(c);
    }
    for ((ns, name), clusters) in per_store {
        let Some(o) = find_store(f, &ns, &name) else {
            continue;
        };
        let mut evidence = Vec::new();
        let entries: Vec<String> = o
            .servers
            .iter()
            .map(|w| {
                format!(
                    "{} (lastSuccessfulBackupTime {})",
                    w.server,
                    w.last_success.map(ts).unwrap_or_else(|| "none".into())
                )
            })
            .collect();
        let servers: Vec<&str> = clusters.iter().map(|c| c.server_name()).collect();
        for c in &clusters {
            let origin = match c.plugin.as_ref().and_then(|p| p.server_name.as_deref()) {
                Some(_) => "parameters.serverName",
                None => "the Cluster's name; no serverName parameter",
            };
            evidence.push(format!(
                "Cluster {ns}/{} server name: {} ({origin})",
                c.name,
                c.server_name()
            ));
        }
        evidence.push(format!(
            "ObjectStore {ns}/{name} status.serverRecoveryWindow: {}",
            if entries.is_empty() {
                "empty".to_string()
            } else {
                format!("entries {}", entries.join(", "))
            }
        ));
        if let Some(created) = o.created {
            evidence.push(format!(
                "ObjectStore {ns}/{name} metadata.creationTimestamp: {}",
                ts(created)
            ));
        }
        let cluster = clusters
            .first()
            .map(|c| c.name.as_str())
            .unwrap_or("CLUSTER");
        out.push(Finding {
            code: "OBJ003",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::ObjectStore, &ns, &name),
            summary: format!("ObjectStore {ns}/{name} has no recovery window for server {}", servers.join(", ")),
            evidence,
            remedy: format!(
                "Either no backup of this server has succeeded yet, or the serverName differs from the folder the \
                 backups are in. Take one: `{}`; if the bucket holds the backups under another name, set \
                 spec.plugins[{PLUGIN_NAME}].parameters.serverName to it.",
                backup_now(&ns, cluster)
            ),
        });
    }
}

/// OBJ005: only network probes can tell; saved manifests have none.
pub(super) fn endpoints_reachable(f: &Facts, out: &mut Outcome) {
    if !f.probed {
        return;
    }
    let mut per_store: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in &f.endpoints {
        if let Err(e) = &p.result {
            per_store
                .entry((p.namespace.clone(), p.store.clone()))
                .or_default()
                .push(format!("endpoint {}: {e}", p.endpoint));
        }
    }
    for ((ns, name), evidence) in per_store {
        let destination = find_store(f, &ns, &name)
            .map(|o| o.destination.clone())
            .unwrap_or_default();
        out.push(Finding {
            code: "OBJ005",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, &ns, &name),
            summary: format!("ObjectStore {ns}/{name}: the object store endpoint cannot be reached"),
            evidence,
            remedy: format!(
                "Check spec.configuration.endpointURL / destinationPath ({destination}), DNS and the network path \
                 (NetworkPolicies, egress, proxy) from the instance pods. Note: backstop probed from where it runs, \
                 which may see a different network than the pods."
            ),
        });
    }
}
