use super::*;
use serde_json::json;

fn obj(v: Value) -> DynamicObject {
    serde_json::from_value(v).expect("a valid object")
}

#[test]
fn pods_project_sidecars_restarts_and_status() {
    let pod = PodRow::project(&obj(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "barman-cloud-7d9", "namespace": "cnpg-system", "labels": {"app": "barman-cloud"}},
        "spec": {"containers": [{"name": "barman-cloud", "image": "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "barman-cloud", "ready": false, "restartCount": 7,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-24T05:58:00Z"}}}]}
    })));
    assert_eq!(pod.status, "CrashLoopBackOff");
    assert_eq!((pod.ready, pod.restarts), ((0, 1), 7));
    assert_eq!(pod.last_termination.as_deref(), Some("OOMKilled"));
    assert_eq!(
        image_tag(pod.image_of("barman-cloud").unwrap_or("")),
        "v0.14.0"
    );
}

#[test]
fn a_missing_status_is_unknown_not_healthy() {
    let b = BackupRow::project(&obj(
        json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
        "metadata": {"name": "b", "namespace": "db"}, "spec": {"cluster": {"name": "pg"}}}),
    ));
    assert_eq!(
        (b.phase.as_str(), b.method.as_str()),
        ("", "barmanObjectStore")
    );
    let c = ClusterRow::project(&obj(
        json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "db"}, "spec": {"plugins": [{"name": PLUGIN_NAME, "parameters": {"barmanObjectName": "store"}}]}}),
    ));
    assert!(c.archiving().is_none());
    assert_eq!(
        c.plugin.as_ref().map(|p| (p.enabled, p.wal_archiver)),
        Some((true, false))
    );
    assert_eq!(c.server_name(), "pg");
}

#[test]
fn object_stores_read_providers_windows_and_secret_refs() {
    let os = ObjectStoreRow::project(&obj(
        json!({"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
        "metadata": {"name": "minio", "namespace": "db"},
        "spec": {"retentionPolicy": "30d", "configuration": {"destinationPath": "s3://backups/pg", "endpointURL": "https://minio:9000",
            "endpointCA": {"name": "minio-ca", "key": "ca.crt"},
            "s3Credentials": {"accessKeyId": {"name": "minio-creds", "key": "ACCESS_KEY_ID"}, "secretAccessKey": {"name": "minio-creds", "key": "ACCESS_SECRET_KEY"}}}},
        "status": {"serverRecoveryWindow": {"pg": {"firstRecoverabilityPoint": "2026-10-25T02:00:00Z", "lastSuccessfulBackupTime": "2026-11-24T02:03:00Z"}}}}),
    ));
    assert_eq!(os.provider, "S3");
    assert_eq!(os.secret_refs.len(), 3);
    assert_eq!(os.servers[0].server, "pg");
    assert!(os.servers[0].last_failure.is_none());
}

#[test]
fn revisions_shorten() {
    assert_eq!(short_revision("main@sha1:363a6a8fe6a7f2c3"), "main@363a6a8");
    assert_eq!(short_revision("v1.2.3"), "v1.2.3");
}

#[test]
fn clusters_read_the_store_of_their_replica_and_recovery_sources_as_the_plugin_does() {
    let c = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-dr", "namespace": "orders"},
        "spec": {
            "instances": 1,
            "plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": false}],
            "replicaCluster": {"enabled": true, "source": "origin"},
            "bootstrap": {"recovery": {"source": "origin"}},
            "externalClusters": [
                {"name": "other", "plugin": {"name": "barman-cloud.cloudnative-pg.io",
                    "parameters": {"barmanObjectName": "wrong"}}},
                {"name": "origin", "plugin": {"name": "barman-cloud.cloudnative-pg.io",
                    "parameters": {"barmanObjectName": "origin-s3", "serverName": "pg-orders"}}}
            ]
        }
    })));
    assert_eq!(c.replica_source_store.as_deref(), Some("origin-s3"));
    assert_eq!(c.recovery_store.as_deref(), Some("origin-s3"));
    // Another plugin's entry is not the Barman Cloud plugin's store.
    let other = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-dr", "namespace": "orders"},
        "spec": {
            "bootstrap": {"recovery": {"source": "origin"}},
            "externalClusters": [{"name": "origin", "plugin": {"name": "other.example.io",
                "parameters": {"barmanObjectName": "origin-s3"}}}]
        }
    })));
    assert_eq!(other.recovery_store, None);
    assert_eq!(other.replica_source_store, None);
}

#[test]
fn store_access_keeps_references_only_for_plugin_and_in_tree_stores() {
    use crate::model::bucket::{Credentials, SecretKeyRef};
    let key = |name: &str, key: &str| {
        Some(SecretKeyRef {
            name: name.into(),
            key: key.into(),
        })
    };
    let store = ObjectStoreRow::project(&obj(json!({
        "apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
        "metadata": {"name": "minio", "namespace": "db"},
        "spec": {"configuration": {
            "destinationPath": "s3://backups/pg", "endpointURL": "https://minio.db.svc:9000",
            "endpointCA": {"name": "minio-ca", "key": "ca.crt"},
            "s3Credentials": {"accessKeyId": {"name": "minio-creds", "key": "ACCESS_KEY_ID"},
                "secretAccessKey": {"name": "minio-creds", "key": "ACCESS_SECRET_KEY"},
                "region": {"name": "minio-creds", "key": "REGION"}}}}
    })));
    assert_eq!(store.access.destination, "s3://backups/pg");
    assert_eq!(
        store.access.endpoint.as_deref(),
        Some("https://minio.db.svc:9000")
    );
    assert_eq!(store.access.endpoint_ca, key("minio-ca", "ca.crt"));
    assert_eq!(
        store.access.credentials,
        Credentials::S3 {
            access_key_id: key("minio-creds", "ACCESS_KEY_ID"),
            secret_access_key: key("minio-creds", "ACCESS_SECRET_KEY"),
            session_token: None,
            region: key("minio-creds", "REGION"),
            inherit_from_iam_role: false,
        }
    );
    let cluster = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "db"},
        "spec": {"backup": {"barmanObjectStore": {
            "destinationPath": "https://acct.blob.core.windows.net/cont/pg", "serverName": "pg-v2",
            "azureCredentials": {"inheritFromAzureAD": true}}}}
    })));
    let a = cluster.barman_store.expect("the in-tree store");
    assert_eq!(a.server_name.as_deref(), Some("pg-v2"));
    assert!(matches!(
        a.credentials,
        Credentials::Azure {
            inherit_from_azure_ad: true,
            ..
        }
    ));
}

#[test]
fn clusters_read_their_recovery_bootstrap_as_cloudnative_pg_does() {
    // The shape of cloudnative-pg docs/src/recovery.md ("Recovery from an object store"
    // with the plugin) and of a drill's recovery Cluster.
    let c = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-orders-drill", "namespace": "backstop-drill-pg-orders-a1b2c3"},
        "spec": {
            "instances": 1,
            "bootstrap": {"recovery": {"source": "origin",
                "recoveryTarget": {"backupID": "20261124T020000", "targetImmediate": true}}},
            "externalClusters": [{"name": "origin", "plugin": {"name": PLUGIN_NAME,
                "parameters": {"barmanObjectName": "minio", "serverName": "pg-orders"}}}]
        }
    })));
    let r = c.recovery.expect("a recovery bootstrap");
    assert_eq!(r.source.as_deref(), Some("origin"));
    assert_eq!(r.backup_name, None);
    assert_eq!(r.plugin_store(), Some("minio"));
    assert_eq!(r.server_name(&c.name).as_deref(), Some("pg-orders"));
    assert_eq!(r.target.describe(), "immediate, backup 20261124T020000");
    // The in-tree shape, and a name reference to a Backup.
    let c = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-restored", "namespace": "orders"},
        "spec": {
            "bootstrap": {"recovery": {"backup": {"name": "pg-orders-20261124020000"},
                "recoveryTarget": {"targetTime": "2026-11-24 05:00:00.000000+00"}}},
            "externalClusters": [{"name": "pg-orders", "barmanObjectStore": {
                "destinationPath": "s3://backups/orders/", "endpointURL": "https://minio:9000",
                "s3Credentials": {"accessKeyId": {"name": "creds", "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": "creds", "key": "ACCESS_SECRET_KEY"}}}}]
        }
    })));
    let r = c.recovery.expect("a recovery bootstrap");
    assert_eq!(r.backup_name.as_deref(), Some("pg-orders-20261124020000"));
    assert_eq!(r.origin, None, "no source, no entry");
    assert!(r.target.is_point_in_time());
    // Not a recovery: nothing.
    let plain = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "db"},
        "spec": {"bootstrap": {"initdb": {}}}
    })));
    assert_eq!(plain.recovery, None);
    assert_eq!((plain.last_drill, plain.last_passed_drill), (None, None));
}

#[test]
fn clusters_read_the_drill_annotations_leniently_and_clean() {
    let c = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg-orders", "namespace": "orders", "annotations": {
            "backstop.dev/last-drill": "{\"at\":\"2026-11-20T03:00:00Z\",\"result\":\"failed\",\"reason\":\"timed out\\u001b[31m after 30m\",\"rtoSeconds\":1800,\"target\":\"latest\",\"namespace\":\"backstop-drill-pg-orders-a1b2c3\"}",
            "backstop.dev/last-passed-drill": "2026-10-02T03:00:00Z"
        }},
        "spec": {}
    })));
    let d = c.last_drill.expect("the record");
    assert_eq!(d.result, "failed");
    assert!(
        !d.reason.as_deref().unwrap_or("").contains('\u{1b}'),
        "{:?}",
        d.reason
    );
    assert_eq!(d.rto_seconds, Some(1800));
    assert_eq!(
        c.last_passed_drill,
        crate::model::recovery::lenient_time("2026-10-02T03:00:00Z")
    );
    // backstop's own marks are not CloudNativePG switches.
    assert!(c.annotations.is_empty(), "{:?}", c.annotations);
    let odd = ClusterRow::project(&obj(json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "pg", "namespace": "db", "annotations": {
            "backstop.dev/last-drill": "ok", "backstop.dev/last-passed-drill": "last week"}},
        "spec": {}
    })));
    assert_eq!(
        odd.last_drill.and_then(|d| d.unreadable).as_deref(),
        Some("ok")
    );
    assert_eq!(odd.last_passed_drill, None);
}
