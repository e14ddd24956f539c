//! The objects of a migration from the in-tree `spec.backup.barmanObjectStore` to the
//! Barman Cloud plugin, as plugin-barman-cloud's `web/docs/migration.md` lays it out: an
//! ObjectStore whose `spec.configuration` is the in-tree section without `serverName` (the
//! CRD forbids it there) and with the Cluster's retention policy; the Cluster changed in one
//! atomic step (barmanObjectStore and retentionPolicy out, `spec.backup` out when empty, a
//! plugin entry in); ScheduledBackups on `method: plugin`; `externalClusters` read through
//! the plugin.

use serde_json::{Map, Value, json};

use crate::model::domain::PLUGIN_NAME;

/// A Cluster's in-tree archive, as read off the object the API serves.
#[derive(Debug, Clone, PartialEq)]
pub struct Legacy {
    pub namespace: String,
    pub name: String,
    /// `spec.backup.barmanObjectStore` as written.
    pub config: Value,
    /// The server name the archive is written under: `serverName` or the Cluster's name.
    pub server: String,
    /// `serverName` was written out (the plugin entry must carry it then).
    pub server_written: bool,
    pub retention: Option<String>,
    /// `spec.backup` holds more than the barman section and retention (volume snapshots,
    /// `target`...): it stays, without them.
    pub backup_keeps: Vec<String>,
    /// `externalClusters[i]` that read an in-tree archive: (index, name, configuration).
    pub external: Vec<(usize, String, Value)>,
    /// Other plugins the Cluster already lists.
    pub has_plugins: bool,
    /// A plugin entry for the Barman Cloud plugin is already there (half-migrated).
    pub has_barman_plugin: bool,
    /// `spec.primaryUpdateMethod` (CloudNativePG's default is `restart`).
    pub primary_update_method: String,
}

/// `spec.backup.target`'s default in CloudNativePG's Cluster CRD.
pub const DEFAULT_BACKUP_TARGET: &str = "prefer-standby";

fn text<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Legacy {
    /// The in-tree archive of a Cluster; None when it archives in-tree to nowhere.
    pub fn of(cluster: &Value) -> Option<Legacy> {
        let config = cluster.pointer("/spec/backup/barmanObjectStore")?.clone();
        if !config.is_object() {
            return None;
        }
        let name = text(cluster, "/metadata/name")
            .unwrap_or_default()
            .to_string();
        let written = text(&config, "/serverName").map(str::to_string);
        let backup_keeps = cluster
            .pointer("/spec/backup")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter(|(k, v)| {
                        *k != "barmanObjectStore"
                            && *k != "retentionPolicy"
                            // CloudNativePG's default, filled in by the API server: it does
                            // not make the section worth keeping.
                            && !(*k == "target" && v.as_str() == Some(DEFAULT_BACKUP_TARGET))
                    })
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let external = cluster
            .pointer("/spec/externalClusters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, e)| {
                let c = e.get("barmanObjectStore").filter(|c| c.is_object())?;
                Some((i, text(e, "/name")?.to_string(), c.clone()))
            })
            .collect();
        let plugins = cluster.pointer("/spec/plugins").and_then(Value::as_array);
        Some(Legacy {
            namespace: text(cluster, "/metadata/namespace")
                .unwrap_or_default()
                .to_string(),
            server: written.clone().unwrap_or_else(|| name.clone()),
            server_written: written.is_some(),
            name,
            config,
            retention: text(cluster, "/spec/backup/retentionPolicy").map(str::to_string),
            backup_keeps,
            external,
            has_plugins: plugins.is_some_and(|p| !p.is_empty()),
            has_barman_plugin: plugins
                .into_iter()
                .flatten()
                .any(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN_NAME)),
            primary_update_method: text(cluster, "/spec/primaryUpdateMethod")
                .unwrap_or("restart")
                .to_string(),
        })
    }
}

/// The in-tree configuration as an ObjectStore's `spec.configuration`: the same fields
/// and Secret references, without `serverName`, which the plugin takes from the Cluster.
pub fn store_configuration(in_tree: &Value) -> Value {
    let mut c = in_tree.clone();
    if let Some(m) = c.as_object_mut() {
        m.remove("serverName");
    }
    c
}

/// Two configurations write to the same place with the same credentials: one ObjectStore
/// serves both.
pub fn same_store(a: &Value, b: &Value) -> bool {
    store_configuration(a) == store_configuration(b)
}

/// The ObjectStore for a configuration.
pub fn object_store(
    name: &str,
    namespace: &str,
    in_tree: &Value,
    retention: Option<&str>,
) -> Value {
    let mut spec = Map::new();
    spec.insert("configuration".into(), store_configuration(in_tree));
    if let Some(r) = retention {
        spec.insert("retentionPolicy".into(), json!(r));
    }
    json!({
        "apiVersion": "barmancloud.cnpg.io/v1",
        "kind": "ObjectStore",
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    })
}

/// The plugin entry that archives WAL and takes backups. serverName is written whenever
/// the in-tree section wrote one: the plugin defaults it to the Cluster's name, and a
/// different one would start a new, empty archive beside the old backups.
pub fn plugin_entry(store: &str, server: Option<&str>) -> Value {
    let mut parameters = json!({"barmanObjectName": store});
    if let Some(s) = server {
        parameters["serverName"] = json!(s);
    }
    json!({"name": PLUGIN_NAME, "isWALArchiver": true, "parameters": parameters})
}

/// An `externalClusters` entry read through the plugin; serverName always written, as the
/// in-tree entry's default (its own name) is not the plugin's.
pub fn external_entry(original: &Value, store: &str, server: &str) -> Value {
    let mut e = original.clone();
    if let Some(m) = e.as_object_mut() {
        m.remove("barmanObjectStore");
        m.insert(
            "plugin".into(),
            json!({"name": PLUGIN_NAME, "parameters": {"barmanObjectName": store, "serverName": server}}),
        );
    }
    e
}

/// The server an in-tree externalClusters entry reads: its serverName or its name.
pub fn external_server(name: &str, config: &Value) -> String {
    text(config, "/serverName").unwrap_or(name).to_string()
}

/// What a Cluster becomes: the store each in-tree section moves to.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterChange<'a> {
    pub legacy: &'a Legacy,
    /// The ObjectStore the Cluster archives to.
    pub store: &'a str,
    /// For each `Legacy::external` entry (same order), its ObjectStore.
    pub external_stores: &'a [String],
}

/// The JSON patch (RFC 6902) that makes the change in one request, guarded by a `test` of
/// the destination it was planned from: applied to a Cluster that changed since, it fails
/// instead of half-applying.
pub fn cluster_patch(ch: &ClusterChange) -> Value {
    let l = ch.legacy;
    let mut ops = Vec::new();
    if let Some(dest) = text(&l.config, "/destinationPath") {
        ops.push(json!({"op": "test", "path": "/spec/backup/barmanObjectStore/destinationPath", "value": dest}));
    }
    if l.backup_keeps.is_empty() {
        ops.push(json!({"op": "remove", "path": "/spec/backup"}));
    } else {
        ops.push(json!({"op": "remove", "path": "/spec/backup/barmanObjectStore"}));
        if l.retention.is_some() {
            ops.push(json!({"op": "remove", "path": "/spec/backup/retentionPolicy"}));
        }
    }
    let entry = plugin_entry(ch.store, l.server_written.then_some(l.server.as_str()));
    if l.has_plugins {
        ops.push(json!({"op": "add", "path": "/spec/plugins/-", "value": entry}));
    } else {
        ops.push(json!({"op": "add", "path": "/spec/plugins", "value": [entry]}));
    }
    for ((i, name, config), store) in l.external.iter().zip(ch.external_stores) {
        ops.push(json!({"op": "remove", "path": format!("/spec/externalClusters/{i}/barmanObjectStore")}));
        ops.push(json!({"op": "add", "path": format!("/spec/externalClusters/{i}/plugin"),
            "value": {"name": PLUGIN_NAME, "parameters": {"barmanObjectName": store, "serverName": external_server(name, config)}}}));
    }
    Value::Array(ops)
}

/// The Cluster as it is to be declared: the change applied to the object as written.
pub fn migrated_cluster(cluster: &Value, ch: &ClusterChange) -> Value {
    let mut c = cluster.clone();
    let l = ch.legacy;
    if let Some(spec) = c.get_mut("spec").and_then(Value::as_object_mut) {
        if l.backup_keeps.is_empty() {
            spec.remove("backup");
        } else if let Some(b) = spec.get_mut("backup").and_then(Value::as_object_mut) {
            b.remove("barmanObjectStore");
            b.remove("retentionPolicy");
        }
        let entry = plugin_entry(ch.store, l.server_written.then_some(l.server.as_str()));
        match spec.get_mut("plugins").and_then(Value::as_array_mut) {
            Some(p) => p.push(entry),
            None => {
                spec.insert("plugins".into(), json!([entry]));
            }
        }
        if let Some(ext) = spec
            .get_mut("externalClusters")
            .and_then(Value::as_array_mut)
        {
            for ((i, name, config), store) in l.external.iter().zip(ch.external_stores) {
                if let Some(e) = ext.get_mut(*i) {
                    *e = external_entry(e, store, &external_server(name, config));
                }
            }
        }
    }
    c
}

/// A ScheduledBackup's move to the plugin; None when it stays as it is (volume snapshots,
/// or already on the plugin).
pub fn scheduled_patch(sb: &Value) -> Option<Value> {
    match text(sb, "/spec/method") {
        None | Some("barmanObjectStore") => Some(json!({
            "spec": {"method": "plugin", "pluginConfiguration": {"name": PLUGIN_NAME}}
        })),
        _ => None,
    }
}

/// The ScheduledBackup as it is to be declared.
pub fn migrated_scheduled(sb: &Value) -> Value {
    let mut s = sb.clone();
    let patch = scheduled_patch(sb);
    let fields = patch
        .as_ref()
        .and_then(|p| p.get("spec"))
        .and_then(Value::as_object);
    if let (Some(fields), Some(spec)) = (fields, s.get_mut("spec").and_then(Value::as_object_mut)) {
        for (k, v) in fields {
            spec.insert(k.clone(), v.clone());
        }
    }
    s
}

/// Metadata the API server or a controller writes, never a person.
const SERVER_FIELDS: [&str; 6] = [
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "managedFields",
    "selfLink",
];
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// An object as read from the API, `apply`-able again: status and server metadata out.
pub fn saved(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        for f in SERVER_FIELDS {
            meta.remove(f);
        }
        let empty = meta
            .get_mut("annotations")
            .and_then(Value::as_object_mut)
            .map(|a| {
                a.remove(LAST_APPLIED);
                a.is_empty()
            });
        if empty == Some(true) {
            meta.remove("annotations");
        }
    }
    o
}

/// An object as Git declares it: also without the marks Flux puts on what it applies.
pub fn declared(obj: &Value) -> Value {
    let mut o = saved(obj);
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        let empty = meta
            .get_mut("labels")
            .and_then(Value::as_object_mut)
            .map(|l| {
                l.retain(|k, _| {
                    !k.starts_with("kustomize.toolkit.fluxcd.io/")
                        && !k.starts_with("helm.toolkit.fluxcd.io/")
                });
                l.is_empty()
            });
        if empty == Some(true) {
            meta.remove("labels");
        }
    }
    o
}

/// A value as YAML the way people write Kubernetes objects: `apiVersion`, `kind`,
/// `metadata` and each entry's `name` first (JSON maps are sorted by key).
pub fn to_yaml(v: &Value) -> String {
    fn order(v: &Value) -> serde_yaml::Value {
        match v {
            Value::Object(m) => {
                let mut out = serde_yaml::Mapping::new();
                let first = ["apiVersion", "kind", "metadata", "name"];
                for k in first.iter().filter(|k| m.contains_key(**k)) {
                    out.insert(serde_yaml::Value::from(*k), order(&m[*k]));
                }
                for (k, x) in m.iter().filter(|(k, _)| !first.contains(&k.as_str())) {
                    out.insert(serde_yaml::Value::from(k.as_str()), order(x));
                }
                serde_yaml::Value::Mapping(out)
            }
            Value::Array(a) => serde_yaml::Value::Sequence(a.iter().map(order).collect()),
            other => serde_yaml::to_value(other).unwrap_or(serde_yaml::Value::Null),
        }
    }
    serde_yaml::to_string(&order(v))
        .unwrap_or_else(|e| format!("# could not be written as YAML: {e}\n"))
}

/// Text for a POSIX shell's single quotes.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[cfg(test)]
#[path = "manifest_tests.rs"]
mod tests;
