//! A drill's scratch namespace: its name, backstop's marks on it, and the drills earlier runs
//! left behind (a hung drill must never block the next one).

use chrono::{DateTime, Utc};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, ListParams};
use serde_json::{Map, Value, json};

use crate::model::recovery::DRILL_NAMESPACE_PREFIX;

pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const OF_NAMESPACE: &str = "backstop.dev/drill-of-namespace";
pub const OF_CLUSTER: &str = "backstop.dev/drill-of-cluster";
pub const EXPIRES_AT: &str = "backstop.dev/expires-at";
pub const STARTED_AT: &str = "backstop.dev/drill-started-at";

/// A label value as Kubernetes accepts it: at most 63 of [A-Za-z0-9._-], starting and
/// ending with an alphanumeric.
pub fn label_value(s: &str) -> String {
    let v: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    v.trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_string()
}

/// `backstop-drill-<cluster>-<6 hex>`, within the 63 characters a namespace name may have.
pub fn namespace_name(cluster: &str, suffix: u32) -> String {
    let tail = format!("-{:06x}", suffix & 0xff_ffff);
    let room = 63 - DRILL_NAMESPACE_PREFIX.len() - tail.len();
    let mut base: String = cluster.chars().take(room).collect();
    while base.ends_with('-') {
        base.pop();
    }
    format!("{DRILL_NAMESPACE_PREFIX}{base}{tail}")
}

/// The recovery Cluster's name: `<source>-drill`, shortened to leave room for CloudNativePG's
/// `-1-full-recovery` Job and pod suffixes within 63 characters.
pub fn cluster_name(source: &str) -> String {
    let mut base: String = source
        .chars()
        .take(63 - "-drill-1-full-recovery-xxxxx".len())
        .collect();
    while base.ends_with('-') {
        base.pop();
    }
    format!("{base}-drill")
}

/// The labels every object of a drill carries.
pub fn labels(source_ns: &str, source: &str) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert(MANAGED_BY.into(), json!("backstop"));
    m.insert(OF_NAMESPACE.into(), json!(label_value(source_ns)));
    m.insert(OF_CLUSTER.into(), json!(label_value(source)));
    m
}

pub fn namespace_object(
    name: &str,
    source_ns: &str,
    source: &str,
    started: DateTime<Utc>,
    ttl: chrono::Duration,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": labels(source_ns, source),
            "annotations": {
                STARTED_AT: started.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                EXPIRES_AT: (started + ttl).to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            },
        },
    })
}

/// A drill namespace found in the cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Leftover {
    pub namespace: String,
    pub of: String,
    pub started: Option<DateTime<Utc>>,
    pub expires: Option<DateTime<Utc>>,
    pub terminating: bool,
}

impl Leftover {
    pub fn describe(&self, now: DateTime<Utc>) -> String {
        let age = self
            .started
            .map(|s| format!(", started {} ago", crate::model::kubefmt::span(now - s)))
            .unwrap_or_default();
        let expiry = match self.expires {
            Some(e) if e < now => ", past its expiry".to_string(),
            Some(e) => format!(", expires {}", crate::model::kubefmt::ts(e)),
            None => String::new(),
        };
        let state = if self.terminating {
            ", being deleted"
        } else {
            ""
        };
        format!(
            "{} (drill of {}{age}{expiry}{state})",
            self.namespace, self.of
        )
    }
}

/// The drill namespaces of `source` (or of every Cluster when None) that exist now.
pub async fn leftovers(
    client: &kube::Client,
    source: Option<(&str, &str)>,
) -> Result<Vec<Leftover>, String> {
    let api: Api<Namespace> = Api::all(client.clone());
    let mut selector = format!("{MANAGED_BY}=backstop,{OF_CLUSTER}");
    if let Some((ns, name)) = source {
        selector = format!(
            "{MANAGED_BY}=backstop,{OF_NAMESPACE}={},{OF_CLUSTER}={}",
            label_value(ns),
            label_value(name)
        );
    }
    let list = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| format!("listing earlier drills' namespaces ({selector}): {e}"))?;
    let time = |s: Option<&String>| {
        s.and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    Ok(list
        .items
        .into_iter()
        .map(|n| {
            let labels = n.metadata.labels.clone().unwrap_or_default();
            let ann = n.metadata.annotations.clone().unwrap_or_default();
            Leftover {
                namespace: n.metadata.name.clone().unwrap_or_default(),
                of: format!(
                    "{}/{}",
                    labels.get(OF_NAMESPACE).cloned().unwrap_or_default(),
                    labels.get(OF_CLUSTER).cloned().unwrap_or_default()
                ),
                started: time(ann.get(STARTED_AT)),
                expires: time(ann.get(EXPIRES_AT)),
                terminating: n.metadata.deletion_timestamp.is_some(),
            }
        })
        .collect())
}

/// Deletes a drill namespace (everything in it goes with it) and waits until it is gone,
/// up to `limit`.
pub async fn delete(
    client: &kube::Client,
    namespace: &str,
    limit: std::time::Duration,
) -> Result<(), String> {
    if !namespace.starts_with(DRILL_NAMESPACE_PREFIX) {
        return Err(format!(
            "refusing to delete namespace {namespace}: not a backstop drill namespace"
        ));
    }
    let api: Api<Namespace> = Api::all(client.clone());
    match api.delete(namespace, &DeleteParams::background()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(()),
        Err(e) => return Err(format!("deleting namespace {namespace}: {e}")),
    }
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        match api.get_opt(namespace).await {
            Ok(None) => return Ok(()),
            Ok(Some(_)) if tokio::time::Instant::now() >= deadline => {
                return Err(format!(
                    "namespace {namespace} is still being deleted after {}s: check `kubectl get all,clusters.postgresql.cnpg.io -n {namespace}` for finalizers",
                    limit.as_secs()
                ));
            }
            Ok(Some(_)) => tokio::time::sleep(std::time::Duration::from_millis(500)).await,
            Err(e) => return Err(format!("waiting for namespace {namespace} to go: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_fit_kubernetes_limits() {
        let long = "a-very-long-cluster-name-that-goes-on-and-on-and-on-and-on-forever";
        let ns = namespace_name(long, 0xabcdef);
        assert!(ns.len() <= 63, "{ns}");
        assert!(
            ns.starts_with("backstop-drill-a-very") && ns.ends_with("-abcdef"),
            "{ns}"
        );
        assert_eq!(
            namespace_name("pg-orders", 1),
            "backstop-drill-pg-orders-000001"
        );
        let c = cluster_name(long);
        assert!(c.len() + "-1-full-recovery-xxxxx".len() <= 63, "{c}");
        assert_eq!(cluster_name("pg-orders"), "pg-orders-drill");
        assert_eq!(label_value("-we/ird-"), "we-ird");
    }
}
