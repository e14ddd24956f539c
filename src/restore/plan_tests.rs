use super::*;
use crate::assess::testing::{ago, live, now, store, window};

fn source_cluster() -> Value {
    json!({
        "metadata": {"name": "pg-orders", "namespace": "orders"},
        "spec": {"instances": 3,
                 "plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
                              "parameters": {"barmanObjectName": "orders-store"}}]},
        "status": {"image": "ghcr.io/cloudnative-pg/postgresql:17.2"},
    })
}

fn store_object(limit: &str) -> Value {
    json!({"metadata": {"name": "orders-store", "namespace": "orders"},
           "spec": {"retentionPolicy": "30d",
                    "configuration": {"destinationPath": "s3://backups/orders/",
                        "s3Credentials": {"accessKeyId": {"name": "creds", "key": "ACCESS_KEY_ID"},
                                          "secretAccessKey": {"name": "creds", "key": "ACCESS_SECRET_KEY"}}},
                    "instanceSidecarConfiguration": {"resources": {"limits": {"memory": limit}}}}})
}

fn facts() -> Facts {
    let mut f = Facts::default();
    f.snapshot.object_stores = live(vec![store(
        "orders",
        "orders-store",
        vec![
            window("pg-orders", Some(ago(6, 0)), None),
            window("pg-orders-old", Some(ago(48, 0)), None),
        ],
    )]);
    f.snapshot.backups = live(vec![crate::model::rows::BackupRow {
        namespace: "orders".into(),
        name: "pg-orders-daily-1".into(),
        cluster: "pg-orders".into(),
        phase: "completed".into(),
        stopped: Some(ago(6, 0)),
        backup_id: Some("20261124T000000".into()),
        ..Default::default()
    }]);
    f
}

#[test]
fn a_plan_into_the_same_namespace_warns_about_a_small_sidecar_and_says_it_does_not_archive() {
    let (cluster, store, facts) = (source_cluster(), store_object("256Mi"), facts());
    let src = Source {
        cluster: &cluster,
        store: Some(&store),
        facts: &facts,
    };
    let p = plan(&src, Ask::new(Target::Latest), now()).expect("a plan");
    assert_eq!(
        p.into,
        ("orders".to_string(), "pg-orders-restore".to_string())
    );
    assert_eq!(p.objects.len(), 1, "the store is read where it is");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("limits the plugin sidecar to 256 MiB")),
        "{:?}",
        p.warnings
    );
    let text = p.text("restore.yaml");
    assert!(text.contains("does not archive"), "{text}");
    assert!(text.contains("kubectl apply -f restore.yaml"), "{text}");
    let yaml = p.yaml();
    assert!(
        yaml.starts_with(
            "# Restore of Cluster orders/pg-orders into orders/pg-orders-restore, to latest."
        ),
        "{yaml}"
    );
    assert!(yaml.contains("serverName: pg-orders\n"), "{yaml}");
    assert!(
        yaml.contains("imageName: ghcr.io/cloudnative-pg/postgresql:17.2"),
        "{yaml}"
    );
}

#[test]
fn a_plan_into_another_namespace_copies_the_store_and_names_the_secrets() {
    let (cluster, store, facts) = (source_cluster(), store_object("2Gi"), facts());
    let src = Source {
        cluster: &cluster,
        store: Some(&store),
        facts: &facts,
    };
    let mut ask = Ask::new(Target::Latest);
    ask.into = Some(("scratch".into(), "pg-orders".into()));
    let p = plan(&src, ask, now()).expect("a plan");
    assert_eq!(p.objects.len(), 2);
    assert_eq!(p.objects[0]["kind"], "ObjectStore");
    assert_eq!(p.objects[0]["metadata"]["namespace"], "scratch");
    assert_eq!(
        p.secrets,
        vec![(
            "creds".to_string(),
            vec!["ACCESS_KEY_ID".to_string(), "ACCESS_SECRET_KEY".to_string()]
        )]
    );
    let cmds = p.commands("f.yaml");
    assert_eq!(
        cmds[0],
        "kubectl create namespace scratch --dry-run=client -o yaml | kubectl apply -f -"
    );
    assert!(
        cmds[1].starts_with("kubectl get secret creds -n orders -o json | jq"),
        "{cmds:?}"
    );
}

#[test]
fn plans_that_would_write_the_sources_archive_or_replace_it_are_refused() {
    let (cluster, store, facts) = (source_cluster(), store_object("1Gi"), facts());
    let src = Source {
        cluster: &cluster,
        store: Some(&store),
        facts: &facts,
    };
    let mut same_server = Ask::new(Target::Latest);
    same_server.archive_as = Some("pg-orders".into());
    let r = plan(&src, same_server, now()).expect_err("refused");
    assert!(r.reasons[0].contains("Expected empty archive"), "{r:?}");
    let mut used = Ask::new(Target::Latest);
    used.archive_as = Some("pg-orders-old".into());
    let r = plan(&src, used, now()).expect_err("refused");
    assert!(r.reasons[0].contains("already holds backups"), "{r:?}");
    let mut itself = Ask::new(Target::Latest);
    itself.into = Some(("orders".into(), "pg-orders".into()));
    let r = plan(&src, itself, now()).expect_err("refused");
    assert!(r.reasons[0].contains("itself"), "{r:?}");
    let mut fine = Ask::new(Target::Latest);
    fine.archive_as = Some("pg-orders-r1".into());
    let p = plan(&src, fine, now()).expect("a new server name is fine");
    assert_eq!(
        p.objects[0]["spec"]["plugins"][0]["parameters"]["serverName"],
        "pg-orders-r1"
    );
    let missing = Source {
        cluster: &cluster,
        store: None,
        facts: &facts,
    };
    let r = plan(&missing, Ask::new(Target::Latest), now()).expect_err("refused");
    assert!(r.text().contains("could not be read"), "{}", r.text());
}

#[test]
fn a_backup_named_by_its_object_is_planned_by_its_base_backup_id() {
    let (cluster, store, facts) = (source_cluster(), store_object("1Gi"), facts());
    let src = Source {
        cluster: &cluster,
        store: Some(&store),
        facts: &facts,
    };
    let p = plan(
        &src,
        Ask::new(Target::Backup("pg-orders-daily-1".into())),
        now(),
    )
    .expect("a plan");
    assert_eq!(
        p.objects[0]["spec"]["bootstrap"]["recovery"]["recoveryTarget"],
        json!({"backupID": "20261124T000000", "targetImmediate": true})
    );
    assert!(
        p.notes
            .iter()
            .any(|n| n == "Backup pg-orders-daily-1 is base backup 20261124T000000."),
        "{:?}",
        p.notes
    );
}
