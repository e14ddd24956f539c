//! Reading each barman-cloud store the clusters write to, with the credentials their
//! Secrets hold: the one place backstop reads Secret values. They go from the API straight
//! into the short-lived [`SecretValues`] of one read and are dropped with it; rows, facts,
//! logs and errors only ever name the Secret and the key.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;

use crate::ground::bucket::{self, Limits, SecretValues};
use crate::model::Snapshot;
use crate::model::bucket::{ProofOutcome, StoreAccess, StoreProof};

/// Stores read at once.
const STORES_AT_ONCE: usize = 4;

/// What to read and how far.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct BucketLimits {
    pub read: Limits,
    /// Read only stores whose endpoint is on this machine's loopback: a simulated cluster's
    /// other endpoints are fictional, but a scenario may point at a real local server.
    pub loopback_only: bool,
}

/// One store to read for one server.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    namespace: String,
    store: String,
    in_tree: bool,
    server: String,
    access: StoreAccess,
}

fn is_loopback(a: &StoreAccess) -> bool {
    let url = a.endpoint.as_deref().unwrap_or(&a.destination);
    let host = url
        .split_once("://")
        .map_or(url, |(_, r)| r)
        .split(['/', '?'])
        .next()
        .unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, p)| {
        if p.bytes().all(|b| b.is_ascii_digit()) {
            h
        } else {
            host
        }
    });
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Every (store, server) the clusters write to: each plugin Cluster's ObjectStore and
/// server name, each server the ObjectStore's status knows, each in-tree store.
fn targets(s: &Snapshot) -> Vec<Target> {
    let mut out: BTreeMap<(String, String, String), Target> = BTreeMap::new();
    let mut add = |t: Target| {
        out.entry((t.namespace.clone(), t.store.clone(), t.server.clone()))
            .or_insert(t);
    };
    for c in s.clusters.rows.iter() {
        if let Some(store) = c
            .plugin
            .as_ref()
            .filter(|p| p.enabled)
            .and_then(|p| p.object_store.as_deref())
            && let Some(o) = s
                .object_stores
                .rows
                .iter()
                .find(|o| o.namespace == c.namespace && o.name == store)
        {
            add(Target {
                namespace: c.namespace.clone(),
                store: o.name.clone(),
                in_tree: false,
                server: c.server_name().to_string(),
                access: o.access.clone(),
            });
        }
        if let Some(a) = &c.barman_store {
            add(Target {
                namespace: c.namespace.clone(),
                store: c.name.clone(),
                in_tree: true,
                server: a.server_name.clone().unwrap_or_else(|| c.name.clone()),
                access: a.clone(),
            });
        }
    }
    for o in s.object_stores.rows.iter() {
        for w in &o.servers {
            add(Target {
                namespace: o.namespace.clone(),
                store: o.name.clone(),
                in_tree: false,
                server: w.server.clone(),
                access: o.access.clone(),
            });
        }
    }
    out.into_values().collect()
}

/// One Secret's values for the keys wanted of it, or why each cannot be had. The error
/// texts name the Secret and the key, never a value.
async fn secret_values(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    keys: &BTreeSet<String>,
    out: &mut SecretValues,
) {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let got = tokio::time::timeout(super::READ_TIMEOUT, api.get(name)).await;
    let secret = match got {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => {
            Err(format!("secret {namespace}/{name} does not exist"))
        }
        Ok(Err(kube::Error::Api(s))) if s.code == 403 => Err(format!(
            "reading secret {namespace}/{name} is forbidden (RBAC: get secrets)"
        )),
        Ok(Err(kube::Error::Api(s))) => Err(format!(
            "reading secret {namespace}/{name}: {} ({})",
            crate::sanitize::untrusted(&s.message),
            s.code
        )),
        Ok(Err(_)) => Err(format!("reading secret {namespace}/{name} failed")),
        Err(_) => Err(format!("reading secret {namespace}/{name} timed out")),
    };
    for key in keys {
        let value = match &secret {
            Ok(s) => s
                .data
                .as_ref()
                .and_then(|d| d.get(key))
                .map(|b| String::from_utf8_lossy(&b.0).into_owned())
                .or_else(|| s.string_data.as_ref().and_then(|d| d.get(key)).cloned())
                .ok_or_else(|| format!("secret {namespace}/{name} has no key {key:?}")),
            Err(why) => Err(why.clone()),
        };
        out.insert(name, key, value);
    }
}

async fn prove_one(client: &kube::Client, t: Target, limits: Limits) -> StoreProof {
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in bucket::secret_refs(&t.access) {
        wanted.entry(r.name).or_default().insert(r.key);
    }
    let mut values = SecretValues::default();
    for (name, keys) in &wanted {
        secret_values(client, &t.namespace, name, keys, &mut values).await;
    }
    let outcome = if t.access.destination.is_empty() {
        ProofOutcome::Unknown("the store names no destinationPath".into())
    } else {
        bucket::read(&t.access, &t.server, &values, limits).await
    };
    drop(values);
    StoreProof {
        namespace: t.namespace,
        store: t.store,
        in_tree: t.in_tree,
        server_name: crate::sanitize::clean(&t.server).into_owned(),
        destination: crate::sanitize::untrusted(&t.access.destination),
        checked_at: Utc::now(),
        outcome,
    }
}

/// Reads every store the snapshot's clusters write to, a few at once, each bounded by
/// `limits.read`.
pub async fn prove(
    client: &kube::Client,
    snapshot: &Snapshot,
    limits: BucketLimits,
) -> Vec<StoreProof> {
    let targets: Vec<Target> = targets(snapshot)
        .into_iter()
        .filter(|t| !limits.loopback_only || is_loopback(&t.access))
        .collect();
    let read = limits.read;
    // One more timeout around each, in case a request ignores its own.
    let outer = read.timeout + Duration::from_secs(30);
    let mut proofs: Vec<StoreProof> = futures::stream::iter(targets)
        .map(|t| async move {
            let fallback = StoreProof {
                namespace: t.namespace.clone(),
                store: t.store.clone(),
                in_tree: t.in_tree,
                server_name: t.server.clone(),
                destination: crate::sanitize::untrusted(&t.access.destination),
                checked_at: Utc::now(),
                outcome: ProofOutcome::Failed(format!(
                    "reading the store took longer than {}s",
                    outer.as_secs()
                )),
            };
            tokio::time::timeout(outer, prove_one(client, t, read))
                .await
                .unwrap_or(fallback)
        })
        .buffer_unordered(STORES_AT_ONCE)
        .collect()
        .await;
    proofs.sort_by(|a, b| {
        (&a.namespace, &a.store, &a.server_name).cmp(&(&b.namespace, &b.store, &b.server_name))
    });
    proofs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(endpoint: Option<&str>, dest: &str) -> StoreAccess {
        StoreAccess {
            destination: dest.into(),
            endpoint: endpoint.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn every_server_a_cluster_or_a_status_names_is_read_once() {
        use crate::model::KindState;
        use crate::model::rows::{ClusterRow, ObjectStoreRow, PluginRef, ServerWindow};
        let store = ObjectStoreRow {
            namespace: "db".into(),
            name: "s3".into(),
            access: access(None, "s3://b/p"),
            servers: vec![
                ServerWindow {
                    server: "pg-v2".into(),
                    ..Default::default()
                },
                ServerWindow {
                    server: "old".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let plugin = ClusterRow {
            namespace: "db".into(),
            name: "pg".into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some("s3".into()),
                server_name: Some("pg-v2".into()),
            }),
            ..Default::default()
        };
        let in_tree = ClusterRow {
            namespace: "db".into(),
            name: "legacy".into(),
            barman_store: Some(access(None, "s3://b/legacy")),
            ..Default::default()
        };
        let s = Snapshot {
            object_stores: KindState::live(vec![store]),
            clusters: KindState::live(vec![plugin, in_tree]),
            ..Default::default()
        };
        let got: Vec<(String, String, bool)> = targets(&s)
            .into_iter()
            .map(|t| (t.store, t.server, t.in_tree))
            .collect();
        assert_eq!(
            got,
            vec![
                ("legacy".into(), "legacy".into(), true),
                ("s3".into(), "old".into(), false),
                ("s3".into(), "pg-v2".into(), false),
            ]
        );
    }

    #[test]
    fn loopback_endpoints_are_told_from_fictional_ones() {
        assert!(is_loopback(&access(
            Some("http://127.0.0.1:5000"),
            "s3://b/p"
        )));
        assert!(is_loopback(&access(
            Some("http://localhost:9000/"),
            "s3://b/p"
        )));
        assert!(is_loopback(&access(Some("http://[::1]:9000"), "s3://b/p")));
        assert!(!is_loopback(&access(
            Some("https://minio.backups.svc:9000"),
            "s3://b/p"
        )));
        assert!(!is_loopback(&access(None, "s3://b/p")));
    }
}
