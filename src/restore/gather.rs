//! What a plan is made from, read from the cluster: the source Cluster and its ObjectStore
//! as the API serves them, and the facts a check gathers about them (Backups, the store's
//! status, the bucket read with the store's credentials, the archiver asked).

use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::manifest::Shape;
use crate::checks::{self, Reach};
use crate::cluster::fetch::resource_of;
use crate::model::Kind;
use crate::model::facts::Facts;

/// The source of a restore, as read.
pub struct Gathered {
    pub cluster: Value,
    pub store: Option<Value>,
    pub facts: Facts,
}

impl Gathered {
    pub fn source(&self) -> super::Source<'_> {
        super::Source {
            cluster: &self.cluster,
            store: self.store.as_ref(),
            facts: &self.facts,
        }
    }
}

/// Reads `kind` `ns/name` as the API serves it.
pub async fn object(
    client: &kube::Client,
    kind: Kind,
    ns: &str,
    name: &str,
) -> Result<Value, String> {
    let ar = resource_of(kind);
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
    match api.get(name).await {
        Ok(o) => serde_json::to_value(o).map_err(|e| format!("reading {kind} {ns}/{name}: {e}")),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(format!(
            "{kind} {ns}/{name} not found: `kubectl get {} -A` lists them",
            ar.plural
        )),
        Err(kube::Error::Api(s)) if s.code == 403 => Err(format!(
            "reading {kind} {ns}/{name}: forbidden: {}",
            s.message
        )),
        Err(e) => Err(format!("reading {kind} {ns}/{name}: {e}")),
    }
}

/// Everything a plan of `ns/name` needs. The bucket is read over the network unless the
/// API server is backstop's simulator, whose stores are fictional unless on loopback.
pub async fn gather(client: &kube::Client, ns: &str, name: &str) -> Result<Gathered, String> {
    let cluster = object(client, Kind::Cluster, ns, name).await?;
    let store = match Shape::of(&cluster) {
        Ok(Shape::Plugin { store, .. }) => object(client, Kind::ObjectStore, ns, &store).await.ok(),
        _ => None,
    };
    let simulated = crate::cluster::connect::is_simulator(client).await;
    let facts = checks::collect(
        client,
        Some(ns),
        Reach {
            logs: false,
            network: !simulated,
            bucket: true,
            archiver: true,
        },
    )
    .await;
    Ok(Gathered {
        cluster,
        store,
        facts,
    })
}
