use super::*;

const CLUSTER: &str = r#"# pg-ledger: the ledger's database. Owner: payments team.
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg-ledger
  namespace: ledger
spec:
  instances: 3   # three zones
  # Backups go to the ledger bucket.
  backup:
    retentionPolicy: "30d"
    barmanObjectStore:
      destinationPath: s3://ledger-backups/prod
      serverName: pg-ledger-v2
      s3Credentials:
        accessKeyId:
          name: ledger-s3
          key: ACCESS_KEY_ID
        secretAccessKey:
          name: ledger-s3
          key: ACCESS_SECRET_KEY
      wal:
        compression: gzip
  externalClusters:
    - name: origin
      barmanObjectStore:
        destinationPath: s3://old-ledger/prod
        s3Credentials:
          inheritFromIAMRole: true
  storage:
    size: 20Gi
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: untouched
"#;

fn edit() -> (String, String) {
    let ext = vec![(
        "origin".to_string(),
        "pg-ledger-origin-store".to_string(),
        "origin".to_string(),
    )];
    let ch = ClusterEdit {
        store: "pg-ledger-store",
        server: Some("pg-ledger-v2"),
        externals: &ext,
    };
    let out = proven_edit(
        CLUSTER,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect("edits")
    .expect("changed");
    (CLUSTER.to_string(), out)
}

#[test]
fn the_cluster_file_changes_only_where_the_migration_says_and_keeps_its_comments() {
    let (_, out) = edit();
    assert!(out.starts_with("# pg-ledger: the ledger's database. Owner: payments team.\n"));
    assert!(
        out.contains(
            "  instances: 3   # three zones\n  # Backups go to the ledger bucket.\n  plugins:\n"
        ),
        "{out}"
    );
    assert!(!out.contains("barmanObjectStore"), "{out}");
    assert!(!out.contains("retentionPolicy"), "{out}");
    assert!(out.contains("    - name: barman-cloud.cloudnative-pg.io\n      isWALArchiver: true\n      parameters:\n        barmanObjectName: pg-ledger-store\n        serverName: pg-ledger-v2\n"), "{out}");
    assert!(
        out.contains(
            "    - name: origin\n      plugin:\n        name: barman-cloud.cloudnative-pg.io\n"
        ),
        "{out}"
    );
    assert!(out.ends_with("  storage:\n    size: 20Gi\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: untouched\n"), "{out}");
}

#[test]
fn a_backup_section_with_snapshots_keeps_them_and_a_plugins_list_grows() {
    let text = "kind: Cluster\nspec:\n  plugins:\n  - name: other.example.com\n  backup:\n    volumeSnapshot:\n      className: csi\n    barmanObjectStore:\n      destinationPath: s3://b\n";
    let ch = ClusterEdit {
        store: "s",
        server: None,
        externals: &[],
    };
    let out = proven_edit(
        text,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect("edits")
    .expect("changed");
    assert_eq!(
        out,
        "kind: Cluster\nspec:\n  plugins:\n  - name: other.example.com\n  - name: barman-cloud.cloudnative-pg.io\n    isWALArchiver: true\n    parameters:\n      barmanObjectName: s\n  backup:\n    volumeSnapshot:\n      className: csi\n"
    );
}

#[test]
fn a_document_without_the_in_tree_section_is_left_alone_and_flow_style_is_refused() {
    let ch = ClusterEdit {
        store: "s",
        server: None,
        externals: &[],
    };
    let plain = "kind: Cluster\nspec:\n  instances: 1\n";
    assert_eq!(
        proven_edit(
            plain,
            0,
            |t, d| cluster(t, d, &ch),
            |doc| expected_cluster(doc, &ch)
        ),
        Ok(None)
    );
    let flow = "kind: Cluster\nspec:\n  backup: {barmanObjectStore: {destinationPath: s3://b}}\n";
    let e = proven_edit(
        flow,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect_err("refused");
    assert!(e.contains("inline"), "{e}");
}

#[test]
fn a_schedule_moves_to_the_plugin_in_place() {
    let text = "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: pg-nightly\nspec:\n  schedule: \"0 0 2 * * *\"  # 02:00\n  method: barmanObjectStore # legacy\n  cluster:\n    name: pg\n";
    let out = proven_edit(text, 0, scheduled, |d| {
        Some(manifest::migrated_scheduled(d))
    })
    .expect("edits")
    .expect("changed");
    assert_eq!(
        out,
        "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: pg-nightly\nspec:\n  schedule: \"0 0 2 * * *\"  # 02:00\n  method: plugin # legacy\n  cluster:\n    name: pg\n  pluginConfiguration:\n    name: barman-cloud.cloudnative-pg.io\n"
    );
    let snap = "kind: ScheduledBackup\nspec:\n  method: volumeSnapshot\n";
    assert_eq!(
        proven_edit(snap, 0, scheduled, |d| Some(manifest::migrated_scheduled(
            d
        ))),
        Ok(None)
    );
}

#[test]
fn items_are_appended_to_a_list_or_the_list_is_made() {
    let k = "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cluster.yaml # the database\nnamespace: ledger\n";
    let item = json!("objectstore-pg-ledger-store.yaml");
    let out = proven_edit(
        k,
        0,
        |t, d| append_item(t, d, &["resources"], &item),
        |d| expected_append(d, &["resources"], &item),
    )
    .expect("edits")
    .expect("changed");
    assert_eq!(
        out,
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cluster.yaml # the database\n  - objectstore-pg-ledger-store.yaml\nnamespace: ledger\n"
    );

    let flux = "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: databases\nspec:\n  interval: 10m\n  path: ./apps/databases\n";
    let dep = json!({"name": "barman-cloud-plugin"});
    let out = proven_edit(
        flux,
        0,
        |t, d| append_item(t, d, &["spec", "dependsOn"], &dep),
        |d| expected_append(d, &["spec", "dependsOn"], &dep),
    )
    .expect("edits")
    .expect("changed");
    assert!(
        out.ends_with("  path: ./apps/databases\n  dependsOn:\n    - name: barman-cloud-plugin\n"),
        "{out}"
    );

    let flow = "resources: [a.yaml]\n";
    assert!(
        proven_edit(
            flow,
            0,
            |t, d| append_item(t, d, &["resources"], &item),
            |d| expected_append(d, &["resources"], &item)
        )
        .is_err()
    );
}

#[test]
fn an_overlay_patch_loses_its_whole_backup_section_with_the_defaulted_target() {
    let text = "---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-reports\nspec:\n  backup:\n    barmanObjectStore:\n      destinationPath: s3://b/reports/\n      wal:\n        compression: gzip\n    retentionPolicy: 14d\n    target: prefer-standby\n";
    let ch = ClusterEdit {
        store: "pg-reports-store",
        server: None,
        externals: &[],
    };
    let out = proven_edit(
        text,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect("edits")
    .expect("changed");
    assert_eq!(
        out,
        "---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-reports\nspec:\n  plugins:\n    - name: barman-cloud.cloudnative-pg.io\n      isWALArchiver: true\n      parameters:\n        barmanObjectName: pg-reports-store\n"
    );
    // A chosen target stays, with the section.
    let kept = text.replace("prefer-standby", "primary");
    let out = proven_edit(
        &kept,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect("edits")
    .expect("changed");
    assert!(out.contains("  backup:\n    target: primary\n"), "{out}");
}

#[test]
fn an_external_source_written_in_key_order_keeps_its_dash() {
    let text = "kind: Cluster\nspec:\n  externalClusters:\n  - barmanObjectStore:\n      destinationPath: s3://old/\n      serverName: pg-origin\n    name: origin\n  instances: 1\n";
    let ext = vec![(
        "origin".to_string(),
        "pg-origin-store".to_string(),
        "pg-origin".to_string(),
    )];
    let ch = ClusterEdit {
        store: "unused",
        server: None,
        externals: &ext,
    };
    let out = proven_edit(
        text,
        0,
        |t, d| cluster(t, d, &ch),
        |doc| expected_cluster(doc, &ch),
    )
    .expect("edits")
    .expect("changed");
    assert_eq!(
        out,
        "kind: Cluster\nspec:\n  externalClusters:\n  - plugin:\n      name: barman-cloud.cloudnative-pg.io\n      parameters:\n        barmanObjectName: pg-origin-store\n        serverName: pg-origin\n    name: origin\n  instances: 1\n"
    );
}
