//! OBJ001, OBJ003-OBJ005, and what is unknown when the stores or Clusters cannot be read.

use super::*;

#[test]
fn healthy_facts_give_nothing() {
    let out = run(&healthy());
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert!(out.unknown.is_empty(), "{:?}", out.unknown);
}

#[test]
fn obj001_a_named_store_missing_from_the_cluster_namespace() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![store("backups", "pg-orders-s3", vec![])]);
    let out = run(&f);
    let x = one(&out, "OBJ001");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        (
            x.object.kind.name(),
            x.object.namespace.as_str(),
            x.object.name.as_str()
        ),
        ("Cluster", "orders", "pg-orders")
    );
    assert!(x.summary.contains("pg-orders-s3"));
    assert!(
        x.evidence
            .iter()
            .any(|e| e == "ObjectStore orders/pg-orders-s3: not found")
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("exists in namespace backups"))
    );
}

#[test]
fn obj001_near_miss_the_store_is_there() {
    assert!(!codes(&run(&healthy())).contains(&"OBJ001"));
}

#[test]
fn obj003_server_name_mismatch() {
    let mut f = healthy();
    let mut c = cluster("orders", "pg-orders", "pg-orders-s3");
    if let Some(p) = c.plugin.as_mut() {
        p.server_name = Some("pg-orders-v2".into());
    }
    f.snapshot.clusters = live(vec![c]);
    let out = run(&f);
    let x = one(&out, "OBJ003");
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(x.object.name, "pg-orders-s3");
    assert!(x.summary.contains("pg-orders-v2"));
    assert!(x.evidence.iter().any(|e| {
        e.contains("entries pg-orders (lastSuccessfulBackupTime 2026-11-24T02:00:00Z)")
    }));
}

#[test]
fn obj003_near_miss_the_cluster_name_is_the_server_name() {
    assert!(!codes(&run(&healthy())).contains(&"OBJ003"));
}

#[test]
fn obj004_failure_newer_than_success() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![store(
        "orders",
        "pg-orders-s3",
        vec![window("pg-orders", Some(ago(28, 0)), Some(ago(4, 0)))],
    )]);
    let out = run(&f);
    let x = one(&out, "OBJ004");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        x.evidence,
        vec![
            "ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow[pg-orders]: lastFailedBackupTime 2026-11-24T02:00:00Z, lastSuccessfulBackupTime 2026-11-23T02:00:00Z"
        ]
    );
    assert!(
        x.remedy
            .contains("kubectl cnpg backup pg-orders -n orders --method=plugin")
    );
}

#[test]
fn obj004_near_miss_failure_older_than_success() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![store(
        "orders",
        "pg-orders-s3",
        vec![window("pg-orders", Some(ago(4, 0)), Some(ago(28, 0)))],
    )]);
    assert!(!codes(&run(&f)).contains(&"OBJ004"));
}

#[test]
fn obj005_a_probe_failed() {
    let mut f = healthy();
    f.probed = true;
    f.endpoints = vec![probe(Err("does not resolve: no such host".into()))];
    let out = run(&f);
    let x = one(&out, "OBJ005");
    assert_eq!(x.object.name, "pg-orders-s3");
    assert_eq!(
        x.evidence,
        vec!["endpoint minio.storage:9000: does not resolve: no such host"]
    );
}

#[test]
fn obj005_near_miss_not_probed_or_probe_ok() {
    let mut f = healthy();
    f.probed = false;
    f.endpoints = vec![probe(Err("refuses connections".into()))];
    let out = run(&f);
    assert!(out.findings.is_empty() && out.unknown.is_empty());
    f.probed = true;
    f.endpoints = vec![probe(Ok(()))];
    assert!(!codes(&run(&f)).contains(&"OBJ005"));
}

#[test]
fn unknown_when_clusters_cannot_be_read() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![]);
    f.snapshot.clusters = state(SyncState::Error(
        "the server is currently unable to handle the request".into(),
    ));
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "clusters.postgresql.cnpg.io: the server is currently unable to handle the request"
    );
}

#[test]
fn unknown_when_object_stores_cannot_be_read() {
    let mut f = healthy();
    f.snapshot.object_stores = state(SyncState::Syncing);
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "objectstores.barmancloud.cnpg.io: not read yet"
    );
    f.snapshot.object_stores = state(SyncState::NotInstalled {
        what: Kind::ObjectStore.absent().into(),
    });
    let out = run(&f);
    assert!(out.findings.is_empty(), "absence is PLG002's finding");
    assert_eq!(
        out.unknown[0].reason,
        "objectstores.barmancloud.cnpg.io: the Barman Cloud plugin is not installed (no objectstores.barmancloud.cnpg.io)"
    );
}

#[test]
fn nothing_to_say_without_the_crd_and_without_users() {
    let mut f = healthy();
    f.snapshot.clusters = live(vec![ClusterRow {
        namespace: "orders".into(),
        name: "pg".into(),
        ..Default::default()
    }]);
    f.snapshot.object_stores = state(SyncState::NotInstalled {
        what: Kind::ObjectStore.absent().into(),
    });
    let out = run(&f);
    assert!(out.findings.is_empty() && out.unknown.is_empty());
}
