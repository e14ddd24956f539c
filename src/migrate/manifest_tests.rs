use super::*;

fn legacy_cluster() -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1",
        "kind": "Cluster",
        "metadata": {
            "name": "pg-ledger", "namespace": "ledger",
            "uid": "u-1", "resourceVersion": "42", "generation": 3,
            "creationTimestamp": "2026-01-01T00:00:00Z", "managedFields": [{"manager": "kubectl"}],
            "labels": {"app": "ledger", "kustomize.toolkit.fluxcd.io/name": "databases",
                       "kustomize.toolkit.fluxcd.io/namespace": "flux-system"},
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}
        },
        "spec": {
            "instances": 3,
            "primaryUpdateMethod": "switchover",
            "backup": {
                "retentionPolicy": "30d",
                "barmanObjectStore": {
                    "destinationPath": "s3://ledger-backups/prod",
                    "endpointURL": "https://s3.eu-west-1.amazonaws.com",
                    "serverName": "pg-ledger-v2",
                    "s3Credentials": {
                        "accessKeyId": {"name": "ledger-s3", "key": "ACCESS_KEY_ID"},
                        "secretAccessKey": {"name": "ledger-s3", "key": "ACCESS_SECRET_KEY"}
                    },
                    "wal": {"compression": "gzip"},
                    "data": {"jobs": 4}
                }
            },
            "externalClusters": [
                {"name": "replica-source", "connectionParameters": {"host": "x"}},
                {"name": "origin", "barmanObjectStore": {
                    "destinationPath": "s3://old-ledger/prod",
                    "s3Credentials": {"inheritFromIAMRole": true}
                }}
            ]
        },
        "status": {"phase": "Cluster in healthy state"}
    })
}

#[test]
fn the_in_tree_section_is_read_with_its_server_retention_and_external_sources() {
    let l = Legacy::of(&legacy_cluster()).expect("in-tree");
    assert_eq!(l.server, "pg-ledger-v2");
    assert!(l.server_written);
    assert_eq!(l.retention.as_deref(), Some("30d"));
    assert!(l.backup_keeps.is_empty());
    assert_eq!(l.external.len(), 1);
    assert_eq!(l.external[0].0, 1);
    assert_eq!(l.primary_update_method, "switchover");
    let mut plugin = legacy_cluster();
    plugin["spec"]
        .as_object_mut()
        .expect("spec")
        .remove("backup");
    assert!(Legacy::of(&plugin).is_none());
}

#[test]
fn the_object_store_is_the_section_without_server_name_and_with_the_retention() {
    let l = Legacy::of(&legacy_cluster()).expect("in-tree");
    let s = object_store(
        "pg-ledger-store",
        "ledger",
        &l.config,
        l.retention.as_deref(),
    );
    assert_eq!(s["spec"]["retentionPolicy"], "30d");
    assert!(s["spec"]["configuration"].get("serverName").is_none());
    assert_eq!(s["spec"]["configuration"]["data"]["jobs"], 4);
    assert_eq!(
        s["spec"]["configuration"]["s3Credentials"]["accessKeyId"]["name"],
        "ledger-s3"
    );
    assert_eq!(s["metadata"]["namespace"], "ledger");
}

#[test]
fn the_cluster_changes_in_one_patch_that_keeps_the_server_and_the_sources() {
    let c = legacy_cluster();
    let l = Legacy::of(&c).expect("in-tree");
    let ext = vec!["pg-ledger-origin-store".to_string()];
    let ch = ClusterChange {
        legacy: &l,
        store: "pg-ledger-store",
        external_stores: &ext,
    };
    let patch = cluster_patch(&ch);
    let mut live = c.clone();
    let ops: json_patch::Patch = serde_json::from_value(patch.clone()).expect("a JSON patch");
    json_patch::patch(&mut live, &ops).expect("applies");
    assert_eq!(live, migrated_cluster(&c, &ch));
    assert!(live["spec"].get("backup").is_none());
    assert_eq!(
        live["spec"]["plugins"],
        json!([{"name": PLUGIN_NAME, "isWALArchiver": true,
                "parameters": {"barmanObjectName": "pg-ledger-store", "serverName": "pg-ledger-v2"}}])
    );
    assert_eq!(
        live["spec"]["externalClusters"][1],
        json!({"name": "origin", "plugin": {"name": PLUGIN_NAME,
               "parameters": {"barmanObjectName": "pg-ledger-origin-store", "serverName": "origin"}}})
    );
    assert_eq!(
        live["spec"]["externalClusters"][0]["connectionParameters"]["host"],
        "x"
    );

    // Planned against one destination, applied to a Cluster changed since: refused whole.
    let mut changed = c.clone();
    changed["spec"]["backup"]["barmanObjectStore"]["destinationPath"] = json!("s3://elsewhere");
    let before = changed.clone();
    assert!(json_patch::patch(&mut changed, &ops).is_err());
    let _ = before;
}

#[test]
fn a_backup_section_with_more_in_it_keeps_the_rest() {
    let mut c = legacy_cluster();
    c["spec"]["backup"]["volumeSnapshot"] = json!({"className": "csi"});
    c["spec"]["plugins"] = json!([{"name": "other.example.com"}]);
    let l = Legacy::of(&c).expect("in-tree");
    assert_eq!(l.backup_keeps, vec!["volumeSnapshot".to_string()]);
    let ch = ClusterChange {
        legacy: &l,
        store: "s",
        external_stores: &[],
    };
    let mut live = c.clone();
    let ops: json_patch::Patch = serde_json::from_value(cluster_patch(&ch)).expect("patch");
    json_patch::patch(&mut live, &ops).expect("applies");
    assert_eq!(
        live["spec"]["backup"],
        json!({"volumeSnapshot": {"className": "csi"}})
    );
    assert_eq!(live["spec"]["plugins"][0]["name"], "other.example.com");
    assert_eq!(live["spec"]["plugins"][1]["name"], PLUGIN_NAME);
    // The external source kept its in-tree section: none was given a store.
    assert!(
        live["spec"]["externalClusters"][1]
            .get("barmanObjectStore")
            .is_some()
    );
}

#[test]
fn schedules_move_to_the_plugin_unless_they_take_snapshots() {
    let sb = json!({"spec": {"cluster": {"name": "pg"}, "schedule": "0 0 2 * * *"}});
    assert_eq!(
        migrated_scheduled(&sb)["spec"],
        json!({"cluster": {"name": "pg"}, "schedule": "0 0 2 * * *", "method": "plugin",
               "pluginConfiguration": {"name": PLUGIN_NAME}})
    );
    let snap = json!({"spec": {"method": "volumeSnapshot"}});
    assert!(scheduled_patch(&snap).is_none());
    assert_eq!(migrated_scheduled(&snap), snap);
}

#[test]
fn saved_copies_lose_server_fields_and_declared_ones_flux_labels() {
    let c = legacy_cluster();
    let s = saved(&c);
    assert!(s.get("status").is_none());
    for f in [
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
    ] {
        assert!(s["metadata"].get(f).is_none(), "{f}");
    }
    assert!(s["metadata"].get("annotations").is_none());
    assert_eq!(
        s["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/name"],
        "databases"
    );
    let d = declared(&c);
    assert_eq!(d["metadata"]["labels"], json!({"app": "ledger"}));
}

#[test]
fn the_defaulted_backup_target_does_not_keep_the_section() {
    let mut c = legacy_cluster();
    c["spec"]["backup"]["target"] = json!("prefer-standby");
    assert!(Legacy::of(&c).expect("in-tree").backup_keeps.is_empty());
    c["spec"]["backup"]["target"] = json!("primary");
    assert_eq!(
        Legacy::of(&c).expect("in-tree").backup_keeps,
        vec!["target".to_string()]
    );
}
