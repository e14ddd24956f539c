//! CloudNativePG's validating webhook (`vcluster.cnpg.io`), the part a migration meets:
//! `validatePluginConfiguration` in `internal/webhook/v1/cluster_webhook.go` refuses a
//! WAL-archiver plugin while the in-tree `spec.backup.barmanObjectStore` is still set, and
//! more than one WAL archiver.

use serde_json::{Value, json};

use crate::sim::registry::ResourceType;
use crate::sim::status::ApiError;

/// The webhook's answer to a create or update of `obj`, as kube-apiserver relays a denial:
/// the webhook's 422 Invalid, prefixed with the webhook's name.
pub fn admit(t: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    if t.group != "postgresql.cnpg.io" || t.plural != "clusters" {
        return Ok(());
    }
    let Some(plugins) = obj.pointer("/spec/plugins").and_then(Value::as_array) else {
        return Ok(());
    };
    let archivers: Vec<&str> = plugins
        .iter()
        .filter(|p| p.get("enabled").and_then(Value::as_bool) != Some(false))
        .filter(|p| p.get("isWALArchiver").and_then(Value::as_bool) == Some(true))
        .filter_map(|p| p.get("name").and_then(Value::as_str))
        .collect();
    let in_tree = obj
        .pointer("/spec/backup/barmanObjectStore")
        .is_some_and(|v| !v.is_null());
    let bad = serde_json::to_string(&archivers).unwrap_or_default();
    let mut causes = Vec::new();
    if in_tree && !archivers.is_empty() {
        causes.push(format!(
            "Invalid value: {bad}: Cannot enable a WAL archiver plugin when barmanObjectStore is configured"
        ));
    }
    if archivers.len() > 1 {
        causes.push(format!(
            "Invalid value: {bad}: Cannot enable more than one WAL archiver plugin"
        ));
    }
    if causes.is_empty() {
        return Ok(());
    }
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    // apimachinery's NewInvalid: one cause as is, several as a bracketed list; the
    // apiserver prefixes the webhook's name and keeps the details (kubectl prints those).
    let fields: Vec<String> = causes
        .iter()
        .map(|c| format!("spec.plugins: {c}"))
        .collect();
    let detail = if fields.len() == 1 {
        fields[0].clone()
    } else {
        format!("[{}]", fields.join(", "))
    };
    let details = json!({
        "name": name, "group": "postgresql.cnpg.io", "kind": "Cluster",
        "causes": causes.iter().map(|c| json!({"reason": "FieldValueInvalid", "message": c, "field": "spec.plugins"})).collect::<Vec<_>>(),
    });
    Err(ApiError::invalid(format!(
        "admission webhook \"vcluster.cnpg.io\" denied the request: Cluster.postgresql.cnpg.io \"{name}\" is invalid: {detail}"
    ))
    .with_details(details))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::Sim;

    fn clusters() -> std::sync::Arc<ResourceType> {
        let sim = Sim::from_scenario("legacy-fleet").expect("legacy-fleet loads");
        sim.store
            .read()
            .registry
            .get(&("postgresql.cnpg.io".to_string(), "clusters".to_string()))
            .cloned()
            .expect("clusters are served")
    }

    fn cluster(backup: bool, archivers: &[&str]) -> Value {
        let mut c = json!({"metadata": {"name": "pg-inventory"}, "spec": {"plugins":
            archivers.iter().map(|n| json!({"name": n, "isWALArchiver": true})).collect::<Vec<_>>()}});
        if backup {
            c["spec"]["backup"] = json!({"barmanObjectStore": {"destinationPath": "s3://b/"}});
        }
        c
    }

    #[test]
    fn a_wal_archiver_beside_the_in_tree_store_is_refused_as_the_apiserver_relays_it() {
        let e = admit(&clusters(), &cluster(true, &[super::super::PLUGIN])).expect_err("refused");
        assert_eq!((e.code, e.reason), (422, "Invalid"));
        assert_eq!(
            e.message,
            r#"admission webhook "vcluster.cnpg.io" denied the request: Cluster.postgresql.cnpg.io "pg-inventory" is invalid: spec.plugins: Invalid value: ["barman-cloud.cloudnative-pg.io"]: Cannot enable a WAL archiver plugin when barmanObjectStore is configured"#
        );
        assert_eq!(
            e.details
                .as_ref()
                .and_then(|d| d.pointer("/causes/0/field")),
            Some(&json!("spec.plugins"))
        );
    }

    #[test]
    fn the_migrated_shape_passes_and_two_archivers_do_not() {
        assert!(admit(&clusters(), &cluster(false, &[super::super::PLUGIN])).is_ok());
        let e = admit(&clusters(), &cluster(false, &["a", "b"])).expect_err("refused");
        assert!(
            e.message
                .ends_with(r#"spec.plugins: Invalid value: ["a","b"]: Cannot enable more than one WAL archiver plugin"#),
            "{}",
            e.message
        );
    }
}
