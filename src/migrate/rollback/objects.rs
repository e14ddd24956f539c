//! The objects a rollback writes, built purely: the live object with the saved spec, a
//! saved object made creatable, and what changes between the two, for the person to read
//! before saying yes.

use serde_json::{Value, json};

use crate::model::domain::PLUGIN_NAME;

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// What changes between two specs, key by key at the top: `spec.K` removed, restored or
/// changed.
pub fn spec_changes(live: &Value, saved: &Value) -> Vec<String> {
    let empty = serde_json::Map::new();
    let l = live
        .get("spec")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let sv = saved
        .get("spec")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut keys: Vec<&String> = l.keys().chain(sv.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| match (l.get(k), sv.get(k)) {
            (Some(_), None) => Some(format!("spec.{k}: goes")),
            (None, Some(_)) => Some(format!("spec.{k}: comes back")),
            (Some(a), Some(b)) if a != b => Some(format!("spec.{k}: changes back")),
            _ => None,
        })
        .collect()
}

/// One line on each side of the Cluster's backup configuration.
pub fn archive_of(cluster: &Value) -> String {
    let plugin = cluster
        .pointer("/spec/plugins")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|p| s(p, "/name") == Some(PLUGIN_NAME))
        .map(|p| {
            format!(
                "{PLUGIN_NAME} (ObjectStore {}, server {})",
                s(p, "/parameters/barmanObjectName").unwrap_or("not named"),
                s(p, "/parameters/serverName")
                    .or(s(cluster, "/metadata/name"))
                    .unwrap_or_default()
            )
        });
    let in_tree = cluster.pointer("/spec/backup/barmanObjectStore").map(|b| {
        format!(
            "in-tree barmanObjectStore ({}, server {})",
            s(b, "/destinationPath").unwrap_or("no destinationPath"),
            s(b, "/serverName")
                .or(s(cluster, "/metadata/name"))
                .unwrap_or_default()
        )
    });
    let parts: Vec<String> = plugin.into_iter().chain(in_tree).collect();
    if parts.is_empty() {
        "no archiving".into()
    } else {
        crate::sanitize::clean(&parts.join(" and ")).into_owned()
    }
}

/// The live object with the saved spec: the live metadata (resourceVersion included) so
/// that a change made since is a conflict, not lost.
pub fn with_spec(live: &Value, saved: &Value) -> Value {
    let mut v = live.clone();
    v["spec"] = saved.get("spec").cloned().unwrap_or(json!({}));
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v
}

/// A saved object made creatable: no server-set fields.
pub fn creatable(saved: &Value) -> Value {
    crate::migrate::manifest::saved(saved)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_changes_name_what_goes_and_what_comes_back() {
        let live = json!({"spec": {"instances": 3, "plugins": [{"name": PLUGIN_NAME}]}});
        let saved = json!({"spec": {"instances": 3, "backup": {"barmanObjectStore": {}}}});
        assert_eq!(
            spec_changes(&live, &saved),
            vec!["spec.backup: comes back", "spec.plugins: goes"]
        );
        let replaced = with_spec(
            &json!({"metadata": {"resourceVersion": "7"}, "spec": {}, "status": {"phase": "x"}}),
            &saved,
        );
        assert_eq!(
            replaced.pointer("/metadata/resourceVersion"),
            Some(&json!("7"))
        );
        assert!(replaced.get("status").is_none());
        assert_eq!(replaced["spec"], saved["spec"]);
    }
}
