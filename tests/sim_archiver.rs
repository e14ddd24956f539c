//! The archiver through the simulator's `pods/proxy` and `nodes/proxy`, read by the real
//! kubectl (`kubectl get --raw`, as an engineer checks it by hand) and by backstop's own
//! parsers: both see the scenario's data, and a refused read answers as the API server does.

mod common;

use std::process::{Command, Output, Stdio};

use backstop::ground::archiver::{prom, status, summary};
use common::{Served, fixture};

fn kubectl(served: &Served, args: &[&str]) -> Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .arg("--cache-dir")
        .arg(served.dir.path().join("kube-cache"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs: install kubectl 1.32 (the CI machine has it)")
}

fn raw(served: &Served, path: &str) -> String {
    let out = kubectl(served, &["get", "--raw", path]);
    assert!(
        out.status.success(),
        "kubectl get --raw {path}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(served: &Served, path: &str) -> String {
    let out = kubectl(served, &["get", "--raw", path]);
    assert!(!out.status.success(), "{path} should be refused");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn the_primarys_status_is_the_scenarios_through_pods_proxy() {
    let s = Served::start("objectstore-credentials");
    let body = raw(
        &s,
        "/api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status",
    );
    let v: serde_json::Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["isPrimary"], true);
    assert_eq!(v["isArchivingWAL"], false);
    assert_eq!(v["lastArchivedWAL"], "00000003000000360000005D");
    assert_eq!(v["lastFailedWAL"], "00000003000000360000005E");
    assert!(v["readyWalFiles"].as_u64().is_some_and(|n| n >= 140), "{v}");
    let parsed = status::parse_status(&body).expect("backstop reads what kubectl got");
    assert_eq!(
        parsed.last_failed_wal.as_deref(),
        Some("00000003000000360000005E")
    );
    assert!(parsed.last_failed_time > parsed.last_archived_time);

    // A replica answers too, without the archiver's fields.
    let replica = raw(
        &s,
        "/api/v1/namespaces/orders/pods/https:pg-orders-2:8000/proxy/pg/status",
    );
    let r = status::parse_status(&replica).expect("replica status");
    assert!(!r.is_primary && r.last_archived_wal.is_none(), "{replica}");
}

#[test]
fn the_exporter_and_the_kubelet_answer_through_the_proxies() {
    let s = Served::start("objectstore-credentials");
    let page = raw(
        &s,
        "/api/v1/namespaces/orders/pods/http:pg-orders-1:9187/proxy/metrics",
    );
    assert!(
        page.contains("# TYPE cnpg_collector_pg_wal_archive_status gauge"),
        "{page}"
    );
    let m = prom::archiver_metrics(&page).expect("the exporter's samples");
    assert!(m.wal_ready.is_some_and(|r| r >= 140.0), "{m:?}");
    assert_eq!(m.wal_volume_bytes, Some(40.0 * 1024.0 * 1024.0 * 1024.0));
    assert_eq!(
        m.last_failed_wal_start_lsn,
        Some(0x0036_0000_005E_i64 as f64)
    );

    let stats = raw(&s, "/api/v1/nodes/k8s-prod-worker-1/proxy/stats/summary");
    let u = summary::pvc_usage(&stats, "orders", "pg-orders-1-wal", true).expect("WAL volume");
    assert_eq!(u.capacity_bytes, 40 * 1024 * 1024 * 1024);
    assert!(u.used_bytes >= 3264 * 1024 * 1024, "{u:?}");
}

#[test]
fn refusals_answer_as_the_api_server_does() {
    let s = Served::start(&fixture("archiver.yaml"));
    let timeout = refused(
        &s,
        "/api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status",
    );
    assert!(
        timeout.contains("error trying to reach service: dial tcp")
            && timeout.contains(":8000: i/o timeout"),
        "{timeout}"
    );
    let forbidden = refused(
        &s,
        "/api/v1/namespaces/billing/pods/https:pg-billing-2:8000/proxy/pg/status",
    );
    assert!(
        forbidden.contains("Forbidden") && forbidden.contains("cannot get resource \"pods/proxy\""),
        "{forbidden}"
    );
    let closed = refused(
        &s,
        "/api/v1/namespaces/analytics/pods/pg-analytics-1:5432/proxy/",
    );
    assert!(closed.contains("connect: connection refused"), "{closed}");
    let missing = refused(
        &s,
        "/api/v1/namespaces/analytics/pods/https:pg-analytics-9:8000/proxy/pg/status",
    );
    assert!(
        missing.contains("NotFound") || missing.contains("not found"),
        "{missing}"
    );
}

/// `spec.objectStore` points the scenario's ObjectStores at a real S3 endpoint (here named
/// through a file, as a test that started moto on a random port would) and writes the
/// credentials Secret they reference.
#[test]
fn a_scenario_points_its_object_stores_at_a_real_endpoint() {
    let dir = tempfile::tempdir().expect("tmp");
    let endpoint = dir.path().join("endpoint");
    std::fs::write(&endpoint, "http://127.0.0.1:45123\n").expect("write");
    let scenario = dir.path().join("real-s3.yaml");
    std::fs::write(
        &scenario,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: real-s3}}\nspec:\n  base: healthy\n  objectStore:\n    endpointURL: ${{file:{}}}\n    destinationPath: s3://backstop-test/orders/\n    accessKeyId: testing\n    secretAccessKey: testing-secret\n    region: us-east-1\n    stores: [orders/pg-orders-s3]\n",
            endpoint.display()
        ),
    )
    .expect("write");
    let s = Served::start(scenario.to_str().expect("utf-8"));
    let conf = raw(
        &s,
        "/apis/barmancloud.cnpg.io/v1/namespaces/orders/objectstores/pg-orders-s3",
    );
    let v: serde_json::Value = serde_json::from_str(&conf).expect("JSON");
    let c = &v["spec"]["configuration"];
    assert_eq!(c["endpointURL"], "http://127.0.0.1:45123");
    assert_eq!(c["destinationPath"], "s3://backstop-test/orders/");
    assert_eq!(
        c["s3Credentials"]["secretAccessKey"]["name"],
        "pg-orders-s3-creds"
    );
    let out = kubectl(
        &s,
        &[
            "get",
            "secret",
            "pg-orders-s3-creds",
            "-n",
            "orders",
            "-o",
            "jsonpath={.data.ACCESS_SECRET_KEY} {.data.REGION}",
        ],
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "dGVzdGluZy1zZWNyZXQ= dXMtZWFzdC0x",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The other stores keep what their manifests say.
    let billing = raw(
        &s,
        "/apis/barmancloud.cnpg.io/v1/namespaces/billing/objectstores/billing-azure-store",
    );
    assert!(!billing.contains("127.0.0.1:45123"), "{billing}");
}

/// Where nodes/proxy is not granted, a separate WAL volume is measured by the exporter, and
/// the evidence says so with the kubelet's refusal; PGDATA cannot be, and stays unknown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_nodes_proxy_the_wal_volume_is_measured_by_the_exporter() {
    let dir = tempfile::tempdir().expect("tmp");
    let scenario = dir.path().join("no-nodes-proxy.yaml");
    std::fs::write(
        &scenario,
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {name: no-nodes-proxy}\nspec:\n  base: healthy\n  faults:\n    forbidden:\n    - {group: \"\", resource: nodes/proxy, verbs: [get]}\n",
    )
    .expect("write");
    let sim = backstop::sim::Sim::from_scenario(scenario.to_str().expect("utf-8")).expect("loads");
    let client = kube::Client::new(sim.router(), "default");
    let r =
        backstop::ground::archiver::read(&client, "orders", "pg-orders", "pg-orders-1", None).await;
    let v = r.volume.expect("measured by the exporter");
    assert_eq!(
        (v.pvc.as_str(), v.capacity_bytes),
        ("pg-orders-1-wal", 40 << 30)
    );
    assert!(
        v.source.starts_with("exporter: cnpg_collector_pg_wal size against volume_size")
            && v.source.contains("(the kubelet: GET /api/v1/nodes/k8s-prod-worker-1/proxy/stats/summary: nodes \"k8s-prod-worker-1\" is forbidden"),
        "{}",
        v.source
    );
    let a = backstop::ground::archiver::read(
        &client,
        "analytics",
        "pg-analytics",
        "pg-analytics-1",
        None,
    )
    .await;
    let why = a.volume.expect_err("PGDATA holds the database too");
    assert!(why.contains("(403 Forbidden)"), "{why}");
    assert!(a.status.is_ok() && a.metrics.is_ok());
}
