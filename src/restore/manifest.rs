//! The recovery Cluster, written for the source's shape: the Barman Cloud plugin's
//! (`bootstrap.recovery.source` + `externalClusters[].plugin` naming the ObjectStore and the
//! source's serverName) or the in-tree one (`externalClusters[].barmanObjectStore`). Never a
//! `bootstrap.recovery.backup` name reference: CloudNativePG follows it only for in-tree and
//! volume snapshot Backups (plugin-barman-cloud#510).

use serde_json::{Map, Value, json};

use super::target::Target;
use crate::model::domain::PLUGIN_NAME;

/// The externalClusters entry the recovery reads from.
pub const ORIGIN: &str = "origin";

/// What the restore sidecar is given when backstop copies a store for a drill: restoring a
/// base backup takes more memory than archiving WAL, and a sidecar sized for archiving has
/// been OOMKilled mid-restore (siutsin/otaru#2728).
pub const RESTORE_SIDECAR_MEMORY_REQUEST: &str = "256Mi";
pub const RESTORE_SIDECAR_MEMORY_LIMIT: &str = "1Gi";
/// Below this limit the plan warns that the restore sidecar may be OOMKilled.
pub const RESTORE_SIDECAR_MEMORY_FLOOR: u64 = 512 * 1024 * 1024;

/// How the source archives, as the plugin and CloudNativePG resolve it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// The Barman Cloud plugin: the ObjectStore in the Cluster's namespace and the server
    /// name it writes under.
    Plugin { store: String, server: String },
    /// The deprecated in-tree `spec.backup.barmanObjectStore`.
    InTree { server: String },
}

impl Shape {
    /// Reads the shape off the source Cluster as the API serves it.
    pub fn of(cluster: &Value) -> Result<Shape, String> {
        let name = cluster
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let plugin = cluster
            .pointer("/spec/plugins")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN_NAME));
        if let Some(p) = plugin {
            let param = |k: &str| {
                p.pointer(&format!("/parameters/{k}"))
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            };
            let Some(store) = param("barmanObjectName") else {
                return Err(format!(
                    "Cluster {name}'s {PLUGIN_NAME} entry names no barmanObjectName: it archives nowhere, so there is nothing to restore"
                ));
            };
            return Ok(Shape::Plugin {
                store: store.into(),
                server: param("serverName").unwrap_or(name).into(),
            });
        }
        if let Some(b) = cluster.pointer("/spec/backup/barmanObjectStore") {
            return Ok(Shape::InTree {
                server: b
                    .get("serverName")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(name)
                    .into(),
            });
        }
        Err(format!(
            "Cluster {name} archives to no barman-cloud store (neither a {PLUGIN_NAME} plugin entry nor spec.backup.barmanObjectStore): backstop restores from object stores only"
        ))
    }

    pub fn server(&self) -> &str {
        match self {
            Shape::Plugin { server, .. } | Shape::InTree { server } => server,
        }
    }
}

/// What the recovery Cluster is to be.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovery<'a> {
    pub source: &'a Value,
    pub shape: &'a Shape,
    pub namespace: &'a str,
    pub name: &'a str,
    pub target: &'a Target,
    pub from_backup: Option<&'a str>,
    pub instances: i64,
    /// Archive the restored cluster to the same store under this new server name; None: no
    /// archiving at all, so the source's archive is never written.
    pub archive_as: Option<&'a str>,
    pub labels: Map<String, Value>,
    pub annotations: Map<String, Value>,
}

fn copy(from: &Value, ptr: &str, to: &mut Map<String, Value>, key: &str) {
    if let Some(v) = from.pointer(ptr).filter(|v| !v.is_null()) {
        to.insert(key.into(), v.clone());
    }
}

/// `recoveryTarget` for the target: a time with its offset, or a pinned backup. `backupID`
/// is mandatory where PostgreSQL cannot choose the base backup itself (targetImmediate).
pub fn recovery_target(target: &Target, from_backup: Option<&str>) -> Option<Value> {
    let mut t = Map::new();
    match target {
        Target::Latest => {}
        Target::Time(at) => {
            t.insert("targetTime".into(), json!(at.to_rfc3339()));
        }
        Target::Backup(id) => {
            t.insert("backupID".into(), json!(id));
            t.insert("targetImmediate".into(), json!(true));
        }
    }
    if let Some(id) = from_backup {
        t.insert("backupID".into(), json!(id));
    }
    (!t.is_empty()).then_some(Value::Object(t))
}

/// The recovery Cluster.
pub fn cluster(r: &Recovery) -> Value {
    let src = r.source;
    let mut spec = Map::new();
    spec.insert("instances".into(), json!(r.instances));
    // The same PostgreSQL major version as the backups: the image the source runs.
    if src.pointer("/spec/imageCatalogRef").is_some() {
        copy(src, "/spec/imageCatalogRef", &mut spec, "imageCatalogRef");
    } else if let Some(image) = src
        .pointer("/spec/imageName")
        .or_else(|| src.pointer("/status/image"))
        .and_then(Value::as_str)
    {
        spec.insert("imageName".into(), json!(image));
    }
    // Settings recovery needs at least as high as the primary's (max_connections and the
    // like) come with the parameters.
    if let Some(params) = src.pointer("/spec/postgresql/parameters") {
        spec.insert("postgresql".into(), json!({ "parameters": params }));
    }
    copy(src, "/spec/storage", &mut spec, "storage");
    copy(src, "/spec/walStorage", &mut spec, "walStorage");
    copy(src, "/spec/resources", &mut spec, "resources");
    let mut recovery = Map::new();
    recovery.insert("source".into(), json!(ORIGIN));
    copy(
        src,
        "/spec/bootstrap/initdb/database",
        &mut recovery,
        "database",
    );
    copy(src, "/spec/bootstrap/initdb/owner", &mut recovery, "owner");
    if let Some(t) = recovery_target(r.target, r.from_backup) {
        recovery.insert("recoveryTarget".into(), t);
    }
    spec.insert("bootstrap".into(), json!({ "recovery": recovery }));
    let origin = match r.shape {
        Shape::Plugin { store, server } => json!({
            "name": ORIGIN,
            "plugin": {
                "name": PLUGIN_NAME,
                "parameters": {"barmanObjectName": store, "serverName": server},
            },
        }),
        Shape::InTree { server } => {
            let mut store = src
                .pointer("/spec/backup/barmanObjectStore")
                .cloned()
                .unwrap_or_else(|| json!({}));
            if let Some(m) = store.as_object_mut() {
                m.insert("serverName".into(), json!(server));
            }
            json!({"name": ORIGIN, "barmanObjectStore": store})
        }
    };
    spec.insert("externalClusters".into(), json!([origin]));
    if let Some(new_server) = r.archive_as {
        match r.shape {
            Shape::Plugin { store, .. } => {
                spec.insert(
                    "plugins".into(),
                    json!([{
                        "name": PLUGIN_NAME,
                        "isWALArchiver": true,
                        "parameters": {"barmanObjectName": store, "serverName": new_server},
                    }]),
                );
            }
            Shape::InTree { .. } => {
                let mut store = src
                    .pointer("/spec/backup/barmanObjectStore")
                    .cloned()
                    .unwrap_or_else(|| json!({}));
                if let Some(m) = store.as_object_mut() {
                    m.insert("serverName".into(), json!(new_server));
                }
                spec.insert("backup".into(), json!({ "barmanObjectStore": store }));
            }
        }
    }
    let mut metadata = Map::new();
    metadata.insert("name".into(), json!(r.name));
    metadata.insert("namespace".into(), json!(r.namespace));
    if !r.labels.is_empty() {
        metadata.insert("labels".into(), Value::Object(r.labels.clone()));
    }
    if !r.annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(r.annotations.clone()));
    }
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": metadata,
        "spec": spec,
    })
}

/// A copy of the source's ObjectStore for another namespace: the same bucket and
/// credentials (by reference), no retention policy (the copy must never delete what the
/// source keeps), and a restore sidecar with room to restore.
pub fn store_copy(store: &Value, namespace: &str, labels: &Map<String, Value>) -> Value {
    let mut spec = store.get("spec").cloned().unwrap_or_else(|| json!({}));
    if let Some(m) = spec.as_object_mut() {
        m.remove("retentionPolicy");
        let sidecar = m
            .entry("instanceSidecarConfiguration")
            .or_insert_with(|| json!({}));
        if let Some(sc) = sidecar.as_object_mut() {
            let res = sc.entry("resources").or_insert_with(|| json!({}));
            raise_memory(res);
        }
    }
    let name = store
        .pointer("/metadata/name")
        .cloned()
        .unwrap_or(Value::Null);
    let mut metadata = json!({"name": name, "namespace": namespace});
    if !labels.is_empty() {
        metadata["labels"] = Value::Object(labels.clone());
    }
    json!({
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": metadata,
        "spec": spec,
    })
}

/// Sets the memory request and limit to the restore's, unless already higher.
fn raise_memory(resources: &mut Value) {
    for (section, want) in [
        ("requests", RESTORE_SIDECAR_MEMORY_REQUEST),
        ("limits", RESTORE_SIDECAR_MEMORY_LIMIT),
    ] {
        let Some(m) = resources.as_object_mut() else {
            return;
        };
        let sec = m.entry(section).or_insert_with(|| json!({}));
        let Some(sec) = sec.as_object_mut() else {
            continue;
        };
        let have = sec.get("memory").and_then(quantity_bytes);
        if have.is_none_or(|h| Some(h) < quantity_bytes(&json!(want))) {
            sec.insert("memory".into(), json!(want));
        }
    }
}

/// A Kubernetes quantity in bytes (`512Mi`, `1G`, `1073741824`); None when it is not one.
pub fn quantity_bytes(v: &Value) -> Option<u64> {
    if let Some(n) = v.as_u64() {
        return Some(n);
    }
    let s = v.as_str()?.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let mult: f64 = match unit {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024f64.powi(4),
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "m" => 1e-3,
        _ => return None,
    };
    let bytes = n * mult;
    (bytes.is_finite() && bytes >= 0.0).then_some(bytes as u64)
}

/// The Secrets (and their keys) a store configuration references, in order.
pub fn secret_refs(configuration: &Value) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    fn walk(v: &Value, out: &mut Vec<(String, Vec<String>)>) {
        match v {
            Value::Object(m) => {
                if let (Some(Value::String(name)), Some(Value::String(key))) =
                    (m.get("name"), m.get("key"))
                {
                    match out.iter_mut().find(|(n, _)| n == name) {
                        Some((_, keys)) if !keys.contains(key) => keys.push(key.clone()),
                        Some(_) => {}
                        None => out.push((name.clone(), vec![key.clone()])),
                    }
                    return;
                }
                for x in m.values() {
                    walk(x, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    walk(configuration, &mut out);
    out
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
