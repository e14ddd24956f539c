//! On-demand reads against the simulator: YAML fresh and without managedFields, events by
//! object, and a followed log arriving in chunks.

mod common;

use std::time::Duration;

use backstop::cluster::fetch::{self, LogChunk};
use backstop::model::Kind;
use backstop::sim::Sim;
use common::fixture;
use kube::api::{Api, DynamicObject, Patch, PatchParams};

fn client() -> (std::sync::Arc<Sim>, kube::Client) {
    let sim = Sim::from_scenario(&fixture("mini.yaml")).expect("mini loads");
    let client = kube::Client::new(sim.router(), "default");
    (sim, client)
}

#[tokio::test]
async fn yaml_is_fresh_and_leaves_out_managed_fields() {
    let (_sim, client) = client();
    let backups: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "demo",
        &backstop::cluster::fetch::resource_of(Kind::Backup),
    );
    backups
        .patch(
            "pg-backup-1",
            &PatchParams {
                field_manager: Some("backstop-test".into()),
                ..Default::default()
            },
            &Patch::Merge(serde_json::json!({"metadata": {"labels": {"checked": "now"}}})),
        )
        .await
        .expect("patch");
    assert!(
        backups
            .get("pg-backup-1")
            .await
            .expect("get")
            .metadata
            .managed_fields
            .is_some(),
        "the API recorded a manager"
    );
    let yaml = fetch::yaml(client, Kind::Backup, "demo", "pg-backup-1")
        .await
        .expect("yaml");
    assert!(
        yaml.contains("checked: now"),
        "fetched fresh, not from the rows: {yaml}"
    );
    assert!(!yaml.contains("managedFields"), "{yaml}");
    assert!(yaml.contains("phase: completed"));
}

#[tokio::test]
async fn a_missing_object_says_so() {
    let (_sim, client) = client();
    let err = fetch::yaml(client, Kind::Backup, "demo", "gone")
        .await
        .expect_err("not found");
    assert_eq!(err, "getting Backup demo/gone: not found (deleted since?)");
}

#[tokio::test]
async fn events_of_one_object() {
    let (_sim, client) = client();
    let events = fetch::events(client.clone(), Kind::Pod, "demo", "web-0")
        .await
        .expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (events[0].reason.as_str(), events[0].source.as_str()),
        ("Pulled", "kubelet")
    );
    assert!(
        fetch::events(client, Kind::Pod, "demo", "pg-1")
            .await
            .expect("events")
            .is_empty()
    );
}

#[tokio::test]
async fn a_followed_log_arrives_in_chunks_and_keeps_coming() {
    let (_sim, client) = client();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let task = tokio::spawn(fetch::follow_logs(
        client,
        "demo".into(),
        "pg-1".into(),
        "plugin-barman-cloud".into(),
        10,
        tx,
    ));
    let mut lines = Vec::new();
    while lines.len() < 5 {
        match tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("lines keep coming")
        {
            Some(LogChunk::Lines(l)) => lines.extend(l),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(lines[0].contains("sidecar started"), "{lines:?}");
    assert!(lines[1..].iter().all(|l| l.contains("Archived WAL file")));
    task.abort();
}
