use super::*;

fn plugin_cluster() -> Value {
    json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-orders", "namespace": "orders"},
        "spec": {
            "instances": 3,
            "imageName": "ghcr.io/cloudnative-pg/postgresql:16.4",
            "postgresql": {"parameters": {"max_connections": "300"}},
            "storage": {"size": "20Gi", "storageClass": "fast"},
            "bootstrap": {"initdb": {"database": "orders", "owner": "orders"}},
            "plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
                         "parameters": {"barmanObjectName": "orders-store", "serverName": "pg-orders-v2"}}],
        },
        "status": {"image": "ghcr.io/cloudnative-pg/postgresql:16.4"},
    })
}

#[test]
fn the_plugin_shape_reads_from_the_store_under_the_sources_server_name_and_never_archives() {
    let src = plugin_cluster();
    let shape = Shape::of(&src).expect("a plugin cluster");
    assert_eq!(
        shape,
        Shape::Plugin {
            store: "orders-store".into(),
            server: "pg-orders-v2".into()
        }
    );
    let target = Target::Backup("20261123T060000".into());
    let c = cluster(&Recovery {
        source: &src,
        shape: &shape,
        namespace: "orders",
        name: "pg-orders-restore",
        target: &target,
        from_backup: None,
        instances: 1,
        archive_as: None,
        labels: Map::new(),
        annotations: Map::new(),
    });
    let recovery = &c["spec"]["bootstrap"]["recovery"];
    assert_eq!(recovery["source"], "origin");
    assert_eq!(
        recovery.get("backup"),
        None,
        "never a name reference to a plugin Backup"
    );
    assert_eq!(
        recovery["recoveryTarget"],
        json!({"backupID": "20261123T060000", "targetImmediate": true})
    );
    assert_eq!(recovery["database"], "orders");
    assert_eq!(
        c["spec"]["externalClusters"][0],
        json!({"name": "origin", "plugin": {"name": "barman-cloud.cloudnative-pg.io",
               "parameters": {"barmanObjectName": "orders-store", "serverName": "pg-orders-v2"}}})
    );
    assert_eq!(
        c["spec"].get("plugins"),
        None,
        "no archiving: the source's archive is never written"
    );
    assert_eq!(
        c["spec"]["imageName"],
        "ghcr.io/cloudnative-pg/postgresql:16.4"
    );
    assert_eq!(
        c["spec"]["postgresql"]["parameters"]["max_connections"],
        "300"
    );
    assert_eq!(c["spec"]["storage"]["size"], "20Gi");
    assert_eq!(c["spec"]["instances"], 1);
}

#[test]
fn the_in_tree_shape_copies_the_store_configuration_with_the_sources_server_name() {
    let src = json!({
        "metadata": {"name": "pg-legacy", "namespace": "billing"},
        "spec": {"instances": 2, "backup": {"barmanObjectStore": {
            "destinationPath": "s3://backups/billing/", "endpointURL": "https://s3.example",
            "s3Credentials": {"accessKeyId": {"name": "aws", "key": "ID"},
                              "secretAccessKey": {"name": "aws", "key": "SECRET"}}}}},
    });
    let shape = Shape::of(&src).expect("in-tree");
    assert_eq!(
        shape,
        Shape::InTree {
            server: "pg-legacy".into()
        }
    );
    let target =
        Target::Time(chrono::DateTime::parse_from_rfc3339("2026-11-24T07:00:00+01:00").expect("t"));
    let c = cluster(&Recovery {
        source: &src,
        shape: &shape,
        namespace: "billing",
        name: "pg-legacy-restore",
        target: &target,
        from_backup: None,
        instances: 2,
        archive_as: Some("pg-legacy-restore"),
        labels: Map::new(),
        annotations: Map::new(),
    });
    let origin = &c["spec"]["externalClusters"][0]["barmanObjectStore"];
    assert_eq!(origin["serverName"], "pg-legacy");
    assert_eq!(origin["destinationPath"], "s3://backups/billing/");
    assert_eq!(
        c["spec"]["bootstrap"]["recovery"]["recoveryTarget"]["targetTime"],
        "2026-11-24T07:00:00+01:00",
        "the offset is kept: a time without one reads as UTC"
    );
    assert_eq!(
        c["spec"]["backup"]["barmanObjectStore"]["serverName"],
        "pg-legacy-restore"
    );
    assert_eq!(
        secret_refs(&src["spec"]["backup"]["barmanObjectStore"]),
        vec![(
            "aws".to_string(),
            vec!["ID".to_string(), "SECRET".to_string()]
        )]
    );
}

#[test]
fn a_cluster_that_archives_nowhere_cannot_be_restored_from_a_store() {
    let err = Shape::of(&json!({"metadata": {"name": "pg-x"}, "spec": {"instances": 1}}))
        .expect_err("no store");
    assert!(err.contains("archives to no barman-cloud store"), "{err}");
}

#[test]
fn a_store_copy_drops_retention_and_gives_the_restore_sidecar_memory() {
    let store = json!({"metadata": {"name": "orders-store", "namespace": "orders", "uid": "u"},
        "spec": {"retentionPolicy": "30d",
                 "configuration": {"destinationPath": "s3://b/"},
                 "instanceSidecarConfiguration": {"resources": {"limits": {"memory": "128Mi", "cpu": "1"}}}}});
    let copy = store_copy(&store, "backstop-drill-x", &Map::new());
    assert_eq!(
        copy["metadata"],
        json!({"name": "orders-store", "namespace": "backstop-drill-x"})
    );
    assert_eq!(copy["spec"].get("retentionPolicy"), None);
    let res = &copy["spec"]["instanceSidecarConfiguration"]["resources"];
    assert_eq!(res["limits"], json!({"memory": "1Gi", "cpu": "1"}));
    assert_eq!(res["requests"]["memory"], "256Mi");
    let big = json!({"metadata": {"name": "s"}, "spec": {"instanceSidecarConfiguration":
        {"resources": {"limits": {"memory": "4Gi"}}}}});
    assert_eq!(
        store_copy(&big, "x", &Map::new())["spec"]["instanceSidecarConfiguration"]["resources"]["limits"]
            ["memory"],
        "4Gi",
        "a larger limit is kept"
    );
    assert_eq!(quantity_bytes(&json!("512Mi")), Some(512 * 1024 * 1024));
    assert_eq!(quantity_bytes(&json!("1G")), Some(1_000_000_000));
    assert_eq!(quantity_bytes(&json!("lots")), None);
}
