//! What a migration plan is made from, read from the cluster: the Clusters asked for (or
//! every one that archives in-tree), the ScheduledBackups and ObjectStores beside them, and
//! the facts a check gathers (the operator, the plugin, cert-manager, the Secrets' key
//! names, each in-tree bucket read with its own credentials).

use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use super::plan::Gathered;
use crate::checks::{self, Reach};
use crate::cluster::fetch::resource_of;
use crate::model::Kind;

/// Every object of `kind` in `ns` (all namespaces with None), as the API serves them.
pub async fn list(
    client: &kube::Client,
    kind: Kind,
    ns: Option<&str>,
) -> Result<Vec<Value>, String> {
    let ar = resource_of(kind);
    let api: Api<DynamicObject> = match ns {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
        None => Api::all_with(client.clone(), &ar),
    };
    let where_ = ns.map_or("all namespaces".to_string(), |n| format!("namespace {n}"));
    match api.list(&ListParams::default()).await {
        Ok(l) => l
            .items
            .into_iter()
            .map(|o| serde_json::to_value(o).map_err(|e| format!("reading a {kind}: {e}")))
            .collect(),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Vec::new()),
        Err(kube::Error::Api(s)) if s.code == 403 => Err(format!(
            "listing {} in {where_}: forbidden: {}",
            ar.plural, s.message
        )),
        Err(e) => Err(format!("listing {} in {where_}: {e}", ar.plural)),
    }
}

/// Which Clusters: `namespace/name`, or a name in the default namespace.
#[derive(Debug, Clone, PartialEq)]
pub enum Which {
    All,
    Named(Vec<(String, String)>),
}

/// Reads what a plan needs. A named Cluster that does not exist is an error; one that
/// does not archive in-tree is left out by the plan (and said so by the caller).
pub async fn gather(client: &kube::Client, which: &Which) -> Result<Gathered, String> {
    let clusters = match which {
        Which::All => list(client, Kind::Cluster, None).await?,
        Which::Named(names) => {
            let mut out = Vec::new();
            for (ns, name) in names {
                out.push(crate::restore::gather::object(client, Kind::Cluster, ns, name).await?);
            }
            out
        }
    };
    let mut namespaces: Vec<String> = clusters
        .iter()
        .filter(|c| c.pointer("/spec/backup/barmanObjectStore").is_some())
        .filter_map(|c| c.pointer("/metadata/namespace").and_then(Value::as_str))
        .map(str::to_string)
        .collect();
    namespaces.sort();
    namespaces.dedup();
    let mut scheduled = Vec::new();
    let mut stores = Vec::new();
    for ns in &namespaces {
        scheduled.extend(list(client, Kind::ScheduledBackup, Some(ns)).await?);
        stores.extend(list(client, Kind::ObjectStore, Some(ns)).await?);
    }
    let simulated = crate::cluster::connect::is_simulator(client).await;
    // Cluster-wide: the operator, the plugin and the Flux Kustomizations that deliver them
    // live in other namespaces than the Clusters.
    let facts = checks::collect(
        client,
        None,
        Reach {
            logs: false,
            network: !simulated,
            bucket: true,
            archiver: false,
        },
    )
    .await;
    let wanted = clusters
        .iter()
        .filter_map(|c| {
            let ns = c.pointer("/metadata/namespace").and_then(Value::as_str)?;
            let config = c.pointer("/spec/backup/barmanObjectStore")?;
            Some(
                crate::restore::manifest::secret_refs(config)
                    .into_iter()
                    .map(move |(name, _)| (ns.to_string(), name)),
            )
        })
        .flatten()
        .collect();
    let secrets = checks::secrets::named(client, wanted).await;
    Ok(Gathered {
        clusters,
        scheduled,
        stores,
        secrets,
        facts,
    })
}
