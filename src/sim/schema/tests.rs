use super::*;
use crate::sim::registry::from_crd;
use std::sync::Arc;

fn backup_type() -> ResourceType {
    let crd: Value =
        serde_yaml::from_str(include_str!("../crds/postgresql.cnpg.io_backups.yaml")).unwrap();
    from_crd(&crd).unwrap()
}

fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "required": ["cluster"],
                "properties": {
                    "cluster": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                    "method": {"type": "string", "enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
                    "online": {"type": "boolean"},
                    "instances": {"type": "integer", "minimum": 1},
                    "port": {"x-kubernetes-int-or-string": true},
                    "retention": {"type": "string", "pattern": "^[1-9][0-9]*[dwm]$"},
                    "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                    "plugins": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
                }
            },
            "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
        }
    })
}

fn run(mut obj: Value, strict: bool) -> (Value, Result<(), ApiError>) {
    let r = validate(&backup_type(), &schema(), &mut obj, None, strict);
    (obj, r)
}

fn causes(e: &ApiError) -> Vec<(String, String)> {
    e.details.as_ref().unwrap()["causes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["field"].as_str().unwrap().to_string(),
                c["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn enum_and_required_read_like_the_apiserver() {
    let (_, r) = run(
        json!({"metadata": {"name": "b"}, "spec": {"method": "foo"}}),
        false,
    );
    let e = r.unwrap_err();
    assert_eq!(e.code, 422);
    assert_eq!(
        causes(&e),
        vec![
            (
                "spec.method".into(),
                r#"Unsupported value: "foo": supported values: "barmanObjectStore", "volumeSnapshot", "plugin""#.into()
            ),
            ("spec.cluster".into(), "Required value".into()),
        ]
    );
    assert_eq!(
        e.message,
        r#"Backup.postgresql.cnpg.io "b" is invalid: [spec.method: Unsupported value: "foo": supported values: "barmanObjectStore", "volumeSnapshot", "plugin", spec.cluster: Required value]"#
    );
}

#[test]
fn types_bounds_patterns_and_items() {
    let (_, r) = run(
        json!({"spec": {"cluster": {"name": "pg"}, "online": "yes", "instances": 0,
            "port": true, "parameters": {"a": 1},
            "plugins": [{"isWALArchiver": true}]}}),
        false,
    );
    let got = causes(&r.unwrap_err());
    let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        vec![
            "spec.instances",
            "spec.online",
            "spec.parameters.a",
            "spec.plugins[0].name",
            "spec.port",
        ]
    );
    assert_eq!(
        got[1].1,
        r#"Invalid value: "string": spec.online in body must be of type boolean: "string""#
    );
    assert_eq!(
        got[0].1,
        "Invalid value: 0: spec.instances in body should be greater than or equal to 1"
    );
}

#[test]
fn unknown_fields_are_pruned_or_strictly_rejected() {
    let obj = json!({"spec": {"cluster": {"name": "pg", "extra": 1}, "bogus": true,
        "free": {"anything": {"goes": 1}}}, "other": 1});
    let (pruned, r) = run(obj.clone(), false);
    assert!(r.is_ok());
    assert_eq!(
        pruned,
        json!({"spec": {"cluster": {"name": "pg"}, "free": {"anything": {"goes": 1}}}})
    );
    let (_, r) = run(obj, true);
    let e = r.unwrap_err();
    assert_eq!(e.code, 400);
    assert!(e.message.contains("strict decoding error"), "{}", e.message);
    assert!(
        e.message.contains(r#"unknown field "spec.bogus""#),
        "{}",
        e.message
    );
    assert!(
        e.message.contains(r#"unknown field "spec.cluster.extra""#),
        "{}",
        e.message
    );
}

#[test]
fn a_null_field_counts_as_absent() {
    let (obj, r) = run(
        json!({"spec": {"cluster": {"name": "pg"}, "online": null}, "status": null}),
        false,
    );
    assert!(r.is_ok(), "{r:?}");
    assert_eq!(obj, json!({"spec": {"cluster": {"name": "pg"}}}));
    let (_, r) = run(json!({"spec": {"cluster": null}}), false);
    assert_eq!(
        causes(&r.unwrap_err()),
        vec![("spec.cluster".to_string(), "Required value".to_string())]
    );
}

#[test]
fn defaults_fill_absent_fields() {
    let mut s = schema();
    s["properties"]["spec"]["properties"]["method"]["default"] = json!("barmanObjectStore");
    let mut obj = json!({"spec": {"cluster": {"name": "pg"}}});
    validate(&backup_type(), &s, &mut obj, None, false).unwrap();
    assert_eq!(obj["spec"]["method"], "barmanObjectStore");
}

#[test]
fn a_status_write_checks_status_only() {
    let mut obj = json!({"spec": {}, "status": {"phase": 3}});
    let e = validate(&backup_type(), &schema(), &mut obj, Some("status"), false).unwrap_err();
    assert_eq!(causes(&e)[0].0, "status.phase");
    let mut ok = json!({"spec": {}, "status": {"phase": "completed"}});
    assert!(validate(&backup_type(), &schema(), &mut ok, Some("status"), false).is_ok());
}

fn known(file: &str) -> (Value, ResourceType) {
    let text = std::fs::read_to_string(format!(
        "{}/src/sim/crds/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let crd: Value = serde_yaml::from_str(&text).unwrap();
    let t = from_crd(&crd).unwrap();
    (crd, t)
}

fn write(t: &ResourceType, old: Option<&Value>, mut obj: Value) -> Result<Value, ApiError> {
    check_update(t, old, &mut obj, Part::Main, false).map(|()| obj)
}

fn store(configuration: Value) -> Value {
    json!({"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
        "metadata": {"name": "s3-store", "namespace": "orders"},
        "spec": {"configuration": configuration}})
}

#[test]
fn a_pattern_is_enforced_with_the_apiservers_words() {
    let (_, t) = known("barmancloud.cnpg.io_objectstores.yaml");
    let mut obj = store(json!({"destinationPath": "s3://b/p"}));
    obj["spec"]["retentionPolicy"] = json!("30 days");
    let e = write(&t, None, obj.clone()).unwrap_err();
    assert_eq!(e.code, 422);
    assert_eq!(
        e.message,
        r#"ObjectStore.barmancloud.cnpg.io "s3-store" is invalid: spec.retentionPolicy: Invalid value: "30 days": spec.retentionPolicy in body should match '^[1-9][0-9]*[dwm]$'"#
    );
    obj["spec"]["retentionPolicy"] = json!("30d");
    assert!(write(&t, None, obj).is_ok());
}

#[test]
fn flux_durations_follow_their_pattern() {
    let (_, t) = known("kustomize.toolkit.fluxcd.io_kustomizations.yaml");
    let ks = |interval: &str| {
        json!({"metadata": {"name": "apps"}, "spec": {"interval": interval, "prune": true,
            "sourceRef": {"kind": "GitRepository", "name": "flux-system"}}})
    };
    for good in ["10m", "1h30m", "1.5h", "500ms"] {
        assert!(write(&t, None, ks(good)).is_ok(), "{good}");
    }
    for bad in ["10", "10min", "1d", "-1m"] {
        let e = write(&t, None, ks(bad)).unwrap_err();
        assert!(
            e.message
                .contains(r"spec.interval in body should match '^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$'"),
            "{bad}: {}",
            e.message
        );
    }
}

#[test]
fn an_objectstore_naming_its_server_is_forbidden_as_upstream_words_it() {
    let (_, t) = known("barmancloud.cnpg.io_objectstores.yaml");
    let e = write(
        &t,
        None,
        store(json!({"destinationPath": "s3://b/p", "serverName": "pg-orders"})),
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        r#"ObjectStore.barmancloud.cnpg.io "s3-store" is invalid: spec.configuration.serverName: Forbidden: use the 'serverName' plugin parameter in the Cluster resource"#
    );
    assert_eq!(
        e.details.unwrap()["causes"][0],
        json!({"reason": "FieldValueForbidden", "field": "spec.configuration.serverName",
            "message": "Forbidden: use the 'serverName' plugin parameter in the Cluster resource"})
    );
    let mut args = store(json!({"destinationPath": "s3://b/p"}));
    args["spec"]["instanceSidecarConfiguration"] =
        json!({"additionalContainerArgs": ["--log-level=debug"]});
    let e = write(&t, None, args).unwrap_err();
    assert!(
        e.message.ends_with("spec.instanceSidecarConfiguration.additionalContainerArgs: Forbidden: do not set --log-level in additionalContainerArgs; use spec.instanceSidecarConfiguration.logLevel"),
        "{}",
        e.message
    );
}

#[test]
fn structural_errors_hold_the_rules_back_as_the_apiserver_does() {
    let (_, t) = known("barmancloud.cnpg.io_objectstores.yaml");
    let e = write(&t, None, store(json!({"serverName": "pg"}))).unwrap_err();
    assert_eq!(
        e.message,
        r#"ObjectStore.barmancloud.cnpg.io "s3-store" is invalid: [spec.configuration.destinationPath: Required value, <nil>: Invalid value: "null": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation]"#
    );
}

#[test]
fn a_helmrelease_needs_exactly_one_of_chart_and_chartref() {
    let (_, t) = known("helm.toolkit.fluxcd.io_helmreleases.yaml");
    let chart = json!({"spec": {"chart": "plugin-barman-cloud",
        "sourceRef": {"kind": "HelmRepository", "name": "cnpg"}}});
    let chart_ref = json!({"kind": "OCIRepository", "name": "plugin-barman-cloud"});
    let hr = |spec: Value| json!({"metadata": {"name": "plugin-barman-cloud", "namespace": "cnpg-system"}, "spec": spec});
    let want = r#"HelmRelease.helm.toolkit.fluxcd.io "plugin-barman-cloud" is invalid: spec: Invalid value: "object": either chart or chartRef must be set"#;
    let both = hr(json!({"interval": "10m", "chart": chart, "chartRef": chart_ref}));
    assert_eq!(write(&t, None, both).unwrap_err().message, want);
    let neither = hr(json!({"interval": "10m"}));
    assert_eq!(write(&t, None, neither).unwrap_err().message, want);
    assert!(
        write(
            &t,
            None,
            hr(json!({"interval": "10m", "chartRef": chart_ref}))
        )
        .is_ok()
    );
    assert!(write(&t, None, hr(json!({"interval": "10m", "chart": chart}))).is_ok());
    let retry = hr(json!({"interval": "10m", "chartRef": chart_ref,
        "install": {"strategy": {"name": "RemediateOnFailure", "retryInterval": "1m"}}}));
    assert!(
        write(&t, None, retry).unwrap_err().message.ends_with(
            r#"spec.install.strategy: Invalid value: "object": .retryInterval cannot be set when .name is 'RemediateOnFailure'"#
        )
    );
}

#[test]
fn transition_rules_run_on_updates_only_and_unchanged_values_ratchet() {
    let (_, t) = known("postgresql.cnpg.io_backups.yaml");
    let backup = |cluster: &str| json!({"metadata": {"name": "manual-1"}, "spec": {"cluster": {"name": cluster}, "method": "plugin"}});
    let old = write(&t, None, backup("pg-orders")).unwrap();
    let e = write(&t, Some(&old), backup("pg-billing")).unwrap_err();
    assert_eq!(
        e.message,
        r#"Backup.postgresql.cnpg.io "manual-1" is invalid: spec: Invalid value: "object": BackupSpec is immutable once set"#
    );
    assert!(write(&t, Some(&old), backup("pg-orders")).is_ok());
    let (_, t) = known("postgresql.cnpg.io_scheduledbackups.yaml");
    let sb = |cluster: &str| json!({"metadata": {"name": "daily"}, "spec": {"cluster": {"name": cluster}, "schedule": "0 0 0 * * *"}});
    let old = write(&t, None, sb("pg-orders")).unwrap();
    let e = write(&t, Some(&old), sb("pg-billing")).unwrap_err();
    assert!(
        e.message.ends_with(r#"spec.cluster: Invalid value: "object": cluster reference is immutable after creation"#),
        "{}",
        e.message
    );
    // An ObjectStore stored with serverName (before the rule existed) can still be
    // updated elsewhere: the unchanged configuration is not judged again.
    let (_, t) = known("barmancloud.cnpg.io_objectstores.yaml");
    let legacy = store(json!({"destinationPath": "s3://b/p", "serverName": "pg"}));
    let mut updated = legacy.clone();
    updated["spec"]["retentionPolicy"] = json!("30d");
    assert!(write(&t, Some(&legacy), updated.clone()).is_ok());
    assert!(write(&t, None, updated).is_err());
}

#[test]
fn every_shipped_crd_compiles() {
    let dir = format!("{}/src/sim/crds", env!("CARGO_MANIFEST_DIR"));
    let mut rules = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let crd: Value = serde_yaml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(
            check_crd(&crd).is_ok(),
            "{}: {:?}",
            path.display(),
            check_crd(&crd)
        );
        rules += serde_json::to_string(&crd)
            .unwrap()
            .matches("\"rule\"")
            .count();
    }
    assert_eq!(rules, 13, "rules shipped in the CRDs");
}

#[test]
fn a_crd_with_a_broken_pattern_or_an_unsupported_rule_does_not_load() {
    let (mut crd, _) = known("barmancloud.cnpg.io_objectstores.yaml");
    let spec = "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties";
    crd.pointer_mut(&format!("{spec}/retentionPolicy")).unwrap()["pattern"] = json!("^([0-9]+$");
    crd.pointer_mut(&format!("{spec}/configuration")).unwrap()["x-kubernetes-validations"] =
        json!([{"rule": "self.destinationPath.matches('^s3://')", "message": "s3 only"}]);
    let e = check_crd(&crd).unwrap_err();
    assert_eq!(e.code, 422);
    assert!(
        e.message.starts_with(r#"CustomResourceDefinition.apiextensions.k8s.io "objectstores.barmancloud.cnpg.io" is invalid: ["#),
        "{}",
        e.message
    );
    assert!(
        e.message.contains(r#"spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[retentionPolicy].pattern: Invalid value: "^([0-9]+$": must be a valid regular expression, but isn't"#),
        "{}",
        e.message
    );
    assert!(
        e.message.contains(r#"spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[configuration].x-kubernetes-validations[0].rule: Invalid value: "self.destinationPath.matches('^s3://')": compilation failed: method 'matches'"#),
        "{}",
        e.message
    );
    // Written through the API, such a CRD is refused the same way.
    let crd_type = crate::sim::registry::Registry::with_builtins()
        .by_kind("apiextensions.k8s.io", "CustomResourceDefinition")
        .map(|t| (**t).clone())
        .unwrap();
    assert_eq!(
        check(&crd_type, &mut crd, Part::Main, true)
            .unwrap_err()
            .message,
        e.message
    );
}

#[test]
fn a_kind_is_compiled_once_per_load() {
    let (_, t) = known("kustomize.toolkit.fluxcd.io_kustomizations.yaml");
    let schema = t.schema.clone().unwrap();
    let a = compiled::cached(&schema).unwrap();
    let b = compiled::cached(&t.clone().schema.unwrap()).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    let (_, reloaded) = known("kustomize.toolkit.fluxcd.io_kustomizations.yaml");
    let c = compiled::cached(&reloaded.schema.unwrap()).unwrap();
    assert!(!Arc::ptr_eq(&a, &c));
}

#[test]
fn message_expressions_reasons_and_evaluation_errors_read_like_the_apiserver() {
    let schema = json!({"type": "object", "properties": {"spec": {
    "type": "object",
    "properties": {"name": {"type": "string"}, "sts": {"type": "object",
        "properties": {"provider": {"type": "string"}}}},
    "x-kubernetes-validations": [
        {"rule": "self.name.startsWith('pg-')", "messageExpression": "'name ' + self.name + ' must start with pg-'"},
        {"rule": "has(self.sts)", "reason": "FieldValueRequired", "fieldPath": ".sts", "message": "sts is needed"},
        {"rule": "self.provider == 'aws'"},
    ]}}});
    let mut obj = json!({"metadata": {"name": "b"}, "spec": {"name": "orders"}});
    let e = validate(&backup_type(), &schema, &mut obj, None, false).unwrap_err();
    assert_eq!(
        causes(&e),
        vec![
            (
                "spec".to_string(),
                r#"Invalid value: "object": name orders must start with pg-"#.to_string()
            ),
            ("spec.sts".into(), "Required value: sts is needed".into()),
            (
                "spec".into(),
                r#"Invalid value: "object": no such key: provider evaluating rule: self.provider == 'aws'"#.into()
            ),
        ]
    );
}
