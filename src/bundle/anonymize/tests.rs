//! The anonymizer on a bundle built from the shapes `kubectl get -o yaml` prints for a
//! CloudNativePG installation with the Barman Cloud plugin.

use super::replace::Replacer;
use super::*;

const MANIFEST: &str = r#"{"format":"backstop-bundle/v1","taken_at":"2026-12-04T20:00:00Z",
"context":"prod-eu-1","server":"https://api.prod-eu-1.acme.internal:6443","namespace":null,
"backstop_version":"0.1.0","since_seconds":7200,"objects":{"Pod":2,"Cluster":3},
"logs":[{"pod":"orders/pg-orders-1","container":"plugin-barman-cloud","lines":3,"cut":false},
{"pod":"cnpg-system/barman-cloud-fttg7fqgd5-zrklv","container":"barman-cloud","lines":1,"cut":false}],
"unread":[{"what":"Secrets in billing","why":"forbidden: User \"ci\" cannot list secrets in namespace \"billing\""}],
"cut":["logs of orders/pg-orders-2: 200 lines"]}"#;

const SCENARIO: &str = r#"apiVersion: sim.backstop.dev/v1
kind: Scenario
metadata:
  name: prod-eu-1-incident
spec:
  description: Taken from prod-eu-1 while pg-orders stopped archiving to s3://acme-prod-pg-backups/orders/.
  clock:
    anchor: '2026-12-04T20:00:00Z'
  expect: [ARC001]
  archivers:
  - cluster: orders/pg-orders
    readyWalFiles: 3
    lastFailedWAL: 0000000300000036000000E5
    lastFailedWALTime: '2026-12-04T19:58:00Z'
    walVolume: {capacity: 40Gi, used: 12Gi}
"#;

const NAMESPACES: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: orders}
- apiVersion: v1
  kind: Namespace
  metadata: {name: billing}
- apiVersion: v1
  kind: Namespace
  metadata: {name: backup}
- apiVersion: v1
  kind: Namespace
  metadata: {name: cnpg-system}
- apiVersion: v1
  kind: Namespace
  metadata: {name: flux-system}
"#;

const CLUSTERS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: postgresql.cnpg.io/v1
  kind: Cluster
  metadata:
    annotations:
      kubectl.kubernetes.io/last-applied-configuration: '{"metadata":{"name":"pg-orders","namespace":"orders"},"spec":{"note":"owned by team-acme-payments"}}'
      backstop.dev/last-passed-drill: '2026-11-17T03:12:40Z'
    labels:
      kustomize.toolkit.fluxcd.io/name: apps-postgresql
      kustomize.toolkit.fluxcd.io/namespace: flux-system
    name: pg-orders
    namespace: orders
  spec:
    bootstrap:
      initdb: {database: orders, owner: orders_app}
    instances: 3
    plugins:
    - enabled: true
      isWALArchiver: true
      name: barman-cloud.cloudnative-pg.io
      parameters:
        barmanObjectName: pg-orders-s3
  status:
    currentPrimary: pg-orders-1
    instanceNames: [pg-orders-1, pg-orders-2, pg-orders-3]
    instancesReportedState:
      pg-orders-1: {ip: 10.244.1.60, isPrimary: true, timeLineID: 3}
      pg-orders-2: {ip: 10.244.2.61, isPrimary: false, timeLineID: 3}
    writeService: pg-orders-rw
- apiVersion: postgresql.cnpg.io/v1
  kind: Cluster
  metadata:
    name: pg-billing
    namespace: billing
  spec:
    instances: 2
    plugins:
    - name: barman-cloud.cloudnative-pg.io
      isWALArchiver: true
      parameters:
        barmanObjectName: billing-azure-store
        serverName: pg-billing-v2
- apiVersion: postgresql.cnpg.io/v1
  kind: Cluster
  metadata:
    name: pg-vault
    namespace: backup
  spec:
    instances: 1
    backup:
      retentionPolicy: 30d
      barmanObjectStore:
        destinationPath: gs://acme-vault-archive/backup/
        googleCredentials:
          applicationCredentials: {name: pg-vault-gcs, key: credentials.json}
    externalClusters:
    - name: origin
      barmanObjectStore:
        destinationPath: s3://dr-origin-archive/pg-vault/
        endpointURL: https://objects.dr-site.example.org
"#;

const STORES: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: barmancloud.cnpg.io/v1
  kind: ObjectStore
  metadata:
    name: pg-orders-s3
    namespace: orders
  spec:
    configuration:
      destinationPath: s3://acme-prod-pg-backups/orders/
      s3Credentials:
        accessKeyId: {key: ACCESS_KEY_ID, name: pg-orders-s3-creds}
        secretAccessKey: {key: ACCESS_SECRET_KEY, name: pg-orders-s3-creds}
    retentionPolicy: 30d
  status:
    serverRecoveryWindow:
      pg-orders:
        firstRecoverabilityPoint: '2026-10-25T02:01:37Z'
- apiVersion: barmancloud.cnpg.io/v1
  kind: ObjectStore
  metadata:
    name: billing-azure-store
    namespace: billing
  spec:
    configuration:
      destinationPath: https://acmeprodpgbackups.blob.core.windows.net/billing
      azureCredentials:
        storageAccount: {key: AZURE_STORAGE_ACCOUNT, name: billing-azure-creds}
- apiVersion: barmancloud.cnpg.io/v1
  kind: ObjectStore
  metadata:
    name: analytics-minio
    namespace: billing
  spec:
    configuration:
      destinationPath: s3://ledger-archive/
      endpointURL: https://s3.nas01.acme.internal:9000
"#;

const BACKUPS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: postgresql.cnpg.io/v1
  kind: Backup
  metadata:
    labels:
      cnpg.io/cluster: pg-orders
      cnpg.io/scheduled-backup: pg-orders-daily
    name: pg-orders-daily-20261124020000
    namespace: orders
    ownerReferences:
    - apiVersion: postgresql.cnpg.io/v1
      kind: ScheduledBackup
      name: pg-orders-daily
      uid: 49485fd1-9ceb-4348-a59f-64c38bad61c9
  spec:
    cluster: {name: pg-orders}
    method: plugin
    pluginConfiguration: {name: barman-cloud.cloudnative-pg.io}
  status:
    phase: completed
    destinationPath: s3://acme-prod-pg-backups/orders/
    serverName: pg-orders
    instanceID: {podName: pg-orders-2}
"#;

const PODS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata:
    labels: {cnpg.io/cluster: pg-orders, cnpg.io/instanceName: pg-orders-1}
    name: pg-orders-1
    namespace: orders
    ownerReferences:
    - {apiVersion: postgresql.cnpg.io/v1, kind: Cluster, name: pg-orders, controller: true}
  spec:
    nodeName: k8s-prod-worker-1
    containers:
    - name: postgres
    - name: plugin-barman-cloud
- apiVersion: v1
  kind: Pod
  metadata:
    name: barman-cloud-fttg7fqgd5-zrklv
    namespace: cnpg-system
    ownerReferences:
    - {apiVersion: apps/v1, kind: ReplicaSet, name: barman-cloud-fttg7fqgd5, controller: true}
  spec:
    nodeName: k8s-prod-worker-2
    containers:
    - name: barman-cloud
"#;

const SECRETS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Secret
  metadata: {name: pg-orders-s3-creds, namespace: orders}
  type: Opaque
  data: {ACCESS_KEY_ID: '', ACCESS_SECRET_KEY: '', REGION: ''}
"#;

const EVENTS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Event
  metadata: {name: pg-orders-daily-20261124020000.50ce1c831c93b052, namespace: orders}
  involvedObject: {apiVersion: postgresql.cnpg.io/v1, kind: Backup, name: pg-orders-daily-20261124020000, namespace: orders}
  reason: Completed
  message: Backup has been completed for cluster pg-orders
  source: {component: local-webserver, host: pg-orders-2}
  type: Normal
"#;

const CRDS: &str = r#"apiVersion: v1
kind: List
items:
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata: {name: objectstores.barmancloud.cnpg.io}
  spec: {group: barmancloud.cnpg.io}
"#;

const PLUGIN_LOG: &str = "2026-12-04T19:58:00.000000000Z {\"level\":\"info\",\"msg\":\"Executing barman-cloud-wal-archive\",\"logging_pod\":\"pg-orders-1\",\"options\":[\"--cloud-provider\",\"aws-s3\",\"s3://acme-prod-pg-backups/orders/\",\"pg-orders\"]}
2026-12-04T19:58:01.000000000Z {\"level\":\"error\",\"msg\":\"dial tcp: lookup s3.nas01.acme.internal on k8s-prod-worker-1: no such host\",\"logging_pod\":\"pg-orders-1\"}
2026-12-04T19:58:02.000000000Z {\"level\":\"info\",\"msg\":\"table preorders is large\",\"logging_pod\":\"pg-orders-1\"}
2026-12-04T19:58:03.000000000Z {\"level\":\"info\",\"msg\":\"Executing barman-cloud-backup\",\"options\":[\"--endpoint-url\",\"https://minio.corp-lan.local:9000\",\"s3://orphan-vault/pg/\"]}
";

const OPERATOR_LOG: &str = "2026-12-04T19:58:00.000000000Z {\"level\":\"info\",\"msg\":\"Registered plugin\",\"namespace\":\"cnpg-system\",\"name\":\"barman-cloud\",\"pluginName\":\"barman-cloud.cloudnative-pg.io\"}
";

const GROUND: &str = r#"{"buckets":[{"store":"orders/pg-orders-s3","destination":"s3://acme-prod-pg-backups/orders/pg-orders","base_backups":["20261124T020005"]}],
"archivers":{"orders/pg-orders":{"pod":"pg-orders-1","lastArchivedWAL":"0000000300000036000000E4"}}}"#;

const TRANSCRIPT: &str = "# Walk: WAL archiving of orders/pg-orders\n\n- The bucket s3://acme-prod-pg-backups/orders/ answered from s3.nas01.acme.internal.\n";

fn bundle() -> Vec<Entry> {
    [
        ("manifest.json", MANIFEST),
        ("scenario.yaml", SCENARIO),
        ("objects/namespaces/0001.yaml", NAMESPACES),
        ("objects/clusters.postgresql.cnpg.io/0001.yaml", CLUSTERS),
        ("objects/objectstores.barmancloud.cnpg.io/0001.yaml", STORES),
        ("objects/backups.postgresql.cnpg.io/0001.yaml", BACKUPS),
        ("objects/pods/0001.yaml", PODS),
        ("objects/secrets/0001.yaml", SECRETS),
        ("objects/events/0001.yaml", EVENTS),
        (
            "objects/customresourcedefinitions.apiextensions.k8s.io/0001.yaml",
            CRDS,
        ),
        (
            "logs/orders/pg-orders-1/plugin-barman-cloud.log",
            PLUGIN_LOG,
        ),
        (
            "logs/cnpg-system/barman-cloud-fttg7fqgd5-zrklv/barman-cloud.log",
            OPERATOR_LOG,
        ),
        (
            "check.json",
            r#"{"findings":[{"object":"orders/pg-orders"}]}"#,
        ),
        ("check.md", "# pg-orders in orders\n"),
        ("ground.json", GROUND),
        ("transcript.md", TRANSCRIPT),
    ]
    .into_iter()
    .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
    .collect()
}

fn run() -> Anonymized {
    match anonymize(&bundle()) {
        Ok(a) => a,
        Err(e) => panic!("the bundle is rejected: {e:#}"),
    }
}

fn entry<'a>(a: &'a Anonymized, path: &str) -> &'a str {
    let Some((_, bytes)) = a.entries.iter().find(|(p, _)| p == path) else {
        let paths: Vec<&String> = a.entries.iter().map(|(p, _)| p).collect();
        panic!("no entry {path} among {paths:?}");
    };
    std::str::from_utf8(bytes).expect("UTF-8")
}

fn items_of(a: &Anonymized, path: &str) -> Vec<Value> {
    let doc: Value = serde_yaml::from_str(entry(a, path)).expect("re-parses as YAML");
    assert_eq!(doc["kind"].as_str(), Some("List"), "{path}");
    doc["items"].as_sequence().expect("items").clone()
}

/// Whether `word` occurs in `text` on boundaries (not inside a longer word).
fn occurs(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].bytes().last();
        let after = text[i + word.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

#[test]
fn no_original_survives_anywhere() {
    let a = run();
    // Distinctive originals: not even as a part of a longer word.
    let distinctive = [
        "pg-orders",
        "pg-billing",
        "pg-vault",
        "billing-azure",
        "analytics-minio",
        "acme",
        "acmeprodpgbackups",
        "ledger-archive",
        "k8s-prod-worker",
        "prod-eu-1",
        "nas01",
        // Named only in a log: a store that could not be read still leaves its
        // destination on barman-cloud's command lines.
        "orphan-vault",
        // A replica cluster's source, under externalClusters.
        "dr-origin-archive",
        "dr-site",
        "corp-lan",
    ];
    // Namespaces are common words: on boundaries (`preorders` is not `orders`).
    let words = ["orders", "billing"];
    for (path, bytes) in &a.entries {
        let text = String::from_utf8_lossy(bytes);
        for o in distinctive {
            assert!(!text.contains(o), "{o} is still in {path}:\n{text}");
            assert!(!path.contains(o), "{o} is still in the path {path}");
        }
        for w in words {
            assert!(!occurs(&text, w), "{w} is still in {path}:\n{text}");
            assert!(!occurs(path, w), "{w} is still in the path {path}");
        }
    }
    assert!(entry(&a, "logs/ns-3/cluster-2-1/plugin-barman-cloud.log").contains("preorders"));
}

#[test]
fn the_mapping_is_by_category_and_sorted() {
    let a = run();
    let clusters = items_of(&a, "objects/clusters.postgresql.cnpg.io/0001.yaml");
    let names: Vec<(&str, &str)> = clusters
        .iter()
        .map(|c| {
            (
                c["metadata"]["namespace"].as_str().unwrap_or(""),
                c["metadata"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    // backup, billing, orders → ns-1..3 sorted; pg-billing, pg-orders, pg-vault likewise.
    assert_eq!(
        names,
        [
            ("ns-3", "cluster-2"),
            ("ns-2", "cluster-1"),
            ("ns-1", "cluster-3")
        ]
    );
    let stores = items_of(&a, "objects/objectstores.barmancloud.cnpg.io/0001.yaml");
    let store = |i: usize, f: &str| {
        stores[i]["spec"]["configuration"][f]
            .as_str()
            .map(str::to_string)
    };
    assert_eq!(stores[0]["metadata"]["name"].as_str(), Some("store-3"));
    assert_eq!(
        store(0, "destinationPath").as_deref(),
        Some("s3://bucket-1/ns-3/")
    );
    assert_eq!(
        store(1, "destinationPath").as_deref(),
        Some("https://account-1.blob.core.windows.net/ns-2"),
        "Azure stays recognisable: only the account and container change"
    );
    assert_eq!(
        store(2, "destinationPath").as_deref(),
        Some("s3://bucket-4/")
    );
    assert_eq!(
        store(2, "endpointURL").as_deref(),
        Some("https://host-6.example.invalid:9000")
    );
    assert_eq!(a.replaced.get("namespace"), Some(&3));
    assert_eq!(a.replaced.get("cluster"), Some(&3));
    assert_eq!(a.replaced.get("store"), Some(&3));
    assert_eq!(a.replaced.get("account"), Some(&1));
    assert_eq!(a.replaced.get("context"), Some(&1));
}

#[test]
fn the_same_original_gets_the_same_pseudonym_everywhere() {
    let a = run();
    // pg-orders is cluster-2 in ns-3: its derived names follow it.
    let pods = items_of(&a, "objects/pods/0001.yaml");
    assert_eq!(pods[0]["metadata"]["name"].as_str(), Some("cluster-2-1"));
    assert_eq!(
        pods[0]["metadata"]["labels"]["cnpg.io/cluster"].as_str(),
        Some("cluster-2")
    );
    assert_eq!(
        pods[0]["metadata"]["ownerReferences"][0]["name"].as_str(),
        Some("cluster-2")
    );
    let node = pods[0]["spec"]["nodeName"].as_str().unwrap_or("");
    assert!(
        node.starts_with("host-") && node.ends_with(".example.invalid"),
        "{node}"
    );

    let backups = items_of(&a, "objects/backups.postgresql.cnpg.io/0001.yaml");
    let b = &backups[0];
    assert_eq!(
        b["metadata"]["name"].as_str(),
        Some("cluster-2-daily-20261124020000")
    );
    assert_eq!(
        b["metadata"]["ownerReferences"][0]["name"].as_str(),
        Some("cluster-2-daily")
    );
    assert_eq!(b["spec"]["cluster"]["name"].as_str(), Some("cluster-2"));
    assert_eq!(
        b["status"]["instanceID"]["podName"].as_str(),
        Some("cluster-2-2")
    );

    let clusters = items_of(&a, "objects/clusters.postgresql.cnpg.io/0001.yaml");
    let c = &clusters[0];
    assert_eq!(
        c["spec"]["plugins"][0]["parameters"]["barmanObjectName"].as_str(),
        Some("store-3")
    );
    assert_eq!(c["status"]["writeService"].as_str(), Some("cluster-2-rw"));
    assert!(
        c["status"]["instancesReportedState"]["cluster-2-1"].is_mapping(),
        "status maps keyed by instance follow their instances: {:?}",
        c["status"]["instancesReportedState"]
    );
    assert_eq!(
        clusters[1]["spec"]["plugins"][0]["parameters"]["serverName"].as_str(),
        Some("cluster-1-v2")
    );

    let log = entry(&a, "logs/ns-3/cluster-2-1/plugin-barman-cloud.log");
    assert!(log.contains(r#""logging_pod":"cluster-2-1""#), "{log}");
    assert!(
        log.contains(r#""s3://bucket-1/ns-3/","cluster-2""#),
        "{log}"
    );
    assert!(log.contains(&format!("on {node}:")), "{log}");

    let scenario: Value = serde_yaml::from_str(entry(&a, "scenario.yaml")).expect("YAML");
    assert_eq!(
        scenario["spec"]["archivers"][0]["cluster"].as_str(),
        Some("ns-3/cluster-2")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(entry(&a, "manifest.json")).expect("JSON");
    assert_eq!(manifest["logs"][0]["pod"], "ns-3/cluster-2-1");
    assert_eq!(manifest["context"], "context-1");
    assert_eq!(manifest["server"], "https://host-1.example.invalid:6443");
    let ground: serde_json::Value = serde_json::from_str(entry(&a, "ground.json")).expect("JSON");
    assert_eq!(
        ground["buckets"][0]["destination"],
        "s3://bucket-1/ns-3/cluster-2"
    );
    assert!(
        ground["archivers"]["ns-3/cluster-2"].is_object(),
        "{ground}"
    );
    assert!(entry(&a, "transcript.md").contains("archiving of ns-3/cluster-2"));
}

#[test]
fn what_every_installation_has_is_kept() {
    let a = run();
    let pods = items_of(&a, "objects/pods/0001.yaml");
    let p = &pods[1];
    assert_eq!(
        p["metadata"]["name"].as_str(),
        Some("barman-cloud-fttg7fqgd5-zrklv")
    );
    assert_eq!(p["metadata"]["namespace"].as_str(), Some("cnpg-system"));
    assert_eq!(
        pods[0]["spec"]["containers"][1]["name"].as_str(),
        Some("plugin-barman-cloud")
    );
    assert!(
        entry(
            &a,
            "logs/cnpg-system/barman-cloud-fttg7fqgd5-zrklv/barman-cloud.log"
        )
        .contains(r#""pluginName":"barman-cloud.cloudnative-pg.io""#)
    );
    let clusters = items_of(&a, "objects/clusters.postgresql.cnpg.io/0001.yaml");
    let c = &clusters[0];
    assert_eq!(
        c["spec"]["plugins"][0]["name"].as_str(),
        Some("barman-cloud.cloudnative-pg.io")
    );
    assert_eq!(
        c["metadata"]["labels"]["kustomize.toolkit.fluxcd.io/namespace"].as_str(),
        Some("flux-system")
    );
    let crds = items_of(
        &a,
        "objects/customresourcedefinitions.apiextensions.k8s.io/0001.yaml",
    );
    assert_eq!(
        crds[0]["metadata"]["name"].as_str(),
        Some("objectstores.barmancloud.cnpg.io")
    );
    let ns = items_of(&a, "objects/namespaces/0001.yaml");
    let names: Vec<&str> = ns
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .collect();
    assert_eq!(
        names,
        ["ns-3", "ns-2", "ns-1", "cnpg-system", "flux-system"]
    );
    let secrets = items_of(&a, "objects/secrets/0001.yaml");
    assert_eq!(
        secrets[0]["metadata"]["name"].as_str(),
        Some("store-3-creds")
    );
    let keys: Vec<&str> = secrets[0]["data"]
        .as_mapping()
        .expect("data")
        .keys()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(keys, ["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "REGION"]);
}

#[test]
fn keys_stay_even_when_a_namespace_is_named_like_one() {
    let a = run();
    let clusters = items_of(&a, "objects/clusters.postgresql.cnpg.io/0001.yaml");
    let vault = &clusters[2];
    assert_eq!(
        vault["metadata"]["namespace"].as_str(),
        Some("ns-1"),
        "namespace backup"
    );
    let store = &vault["spec"]["backup"]["barmanObjectStore"];
    assert_eq!(
        store["destinationPath"].as_str(),
        Some("gs://bucket-2/ns-1/")
    );
    assert_eq!(
        vault["spec"]["backup"]["retentionPolicy"].as_str(),
        Some("30d")
    );
    assert_eq!(
        store["googleCredentials"]["applicationCredentials"]["name"].as_str(),
        Some("cluster-3-gcs")
    );
    // The last-applied copy is dropped, the other annotations follow.
    let annotations = clusters[0]["metadata"]["annotations"]
        .as_mapping()
        .expect("annotations");
    assert_eq!(annotations.len(), 1);
    assert!(annotations.contains_key("backstop.dev/last-passed-drill"));
}

#[test]
fn every_object_entry_re_parses_as_a_list_of_as_many_items() {
    let before = bundle();
    let a = run();
    for (path, bytes) in before.iter().filter(|(p, _)| p.starts_with("objects/")) {
        let original: Value = serde_yaml::from_slice(bytes).expect("fixture YAML");
        let n = original["items"].as_sequence().map_or(0, Vec::len);
        assert_eq!(items_of(&a, path).len(), n, "{path}");
    }
    assert!(
        !a.entries
            .iter()
            .any(|(p, _)| p == "check.json" || p == "check.md")
    );
    assert_eq!(a.entries.len(), before.len() - 2);
}

#[test]
fn the_same_input_gives_the_same_output_whatever_the_order() {
    let first = run();
    let mut reversed = bundle();
    reversed.reverse();
    let second = anonymize(&reversed).expect("anonymized");
    let sorted = |a: &Anonymized| {
        let mut e = a.entries.clone();
        e.sort();
        e
    };
    assert_eq!(sorted(&first), sorted(&second));
    assert_eq!(first.replaced, second.replaced);
}

#[test]
fn a_broken_entry_is_named_with_its_line() {
    let mut b = bundle();
    b.push((
        "objects/pods/0002.yaml".to_string(),
        b"apiVersion: v1\nkind: List\nitems:\n- metadata: {name: [unclosed\n".to_vec(),
    ));
    let err = match anonymize(&b) {
        Ok(_) => panic!("a broken entry was accepted"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.starts_with("objects/pods/0002.yaml: not valid YAML at line"),
        "{err}"
    );
    let mut b = bundle();
    b.push(("ground.json".to_string(), b"{\"buckets\": [".to_vec()));
    let err = anonymize(&b)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.starts_with("ground.json: not valid JSON at line 1"),
        "{err}"
    );
}

#[test]
fn replacement_is_longest_first_on_boundaries_and_never_twice() {
    let r = Replacer::new([
        (
            "barman-cloud.cloudnative-pg.io",
            "barman-cloud.cloudnative-pg.io",
        ),
        ("orders", "ns-1"),
        ("pg-orders", "cluster-1"),
        ("cluster", "ns-2"),
        ("cloud", "ns-3"),
    ]);
    assert_eq!(
        r.apply("pg-orders-1 orders/pg-orders preorders orders_app cluster"),
        "cluster-1-1 ns-1/cluster-1 preorders ns-1_app ns-2"
    );
    assert_eq!(
        r.apply("plugin barman-cloud.cloudnative-pg.io on cloud"),
        "plugin barman-cloud.cloudnative-pg.io on ns-3"
    );
    assert_eq!(r.apply("é orders ü"), "é ns-1 ü");
    assert_eq!(r.apply(""), "");
}
