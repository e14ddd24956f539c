//! The legacy-fleet scenario played through a migration with the real kubectl: the plugin's
//! Pre hook holding a Cluster whose ObjectStore is missing, the rollout that injects the
//! sidecar, the first plugin Backup, the webhook's refusal of a half-migrated Cluster, and
//! the rollback to in-tree archiving.

mod common;

use std::process::{Command, Output};
use std::time::Duration;

use common::{Served, eventually};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn kubectl(served: &Served, args: &[&str], stdin: Option<&str>) -> Output {
    served.kubectl(args, stdin.unwrap_or(""))
}

fn ok(served: &Served, args: &[&str], stdin: Option<&str>) -> String {
    let out = kubectl(served, args, stdin);
    assert!(
        out.status.success(),
        "kubectl {} failed: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn get(served: &Served, args: &[&str]) -> Value {
    let mut all = vec!["get"];
    all.extend(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&ok(served, &all, None)).expect("kubectl prints JSON")
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn pods(served: &Served) -> Vec<Value> {
    get(
        served,
        &[
            "pods",
            "-n",
            "inventory",
            "-l",
            "cnpg.io/cluster=pg-inventory",
        ],
    )["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn has_sidecar(pod: &Value) -> bool {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                s(c, "/name") == "plugin-barman-cloud" && s(c, "/restartPolicy") == "Always"
            })
        })
}

const OBJECT_STORE: &str = r#"
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: pg-inventory-store
  namespace: inventory
spec:
  configuration:
    destinationPath: s3://acme-prod-pg-legacy/inventory/
    endpointURL: https://s3.eu-central-1.amazonaws.com
    s3Credentials:
      accessKeyId: {name: pg-inventory-s3-creds, key: ACCESS_KEY_ID}
      secretAccessKey: {name: pg-inventory-s3-creds, key: ACCESS_SECRET_KEY}
      region: {name: pg-inventory-s3-creds, key: REGION}
    wal: {compression: gzip, maxParallel: 2}
    data: {compression: gzip, jobs: 2}
"#;

/// The Cluster as the plan writes it: the plugin entry, no spec.backup.
fn migrated(original: &Value) -> Value {
    let mut c = original.clone();
    if let Some(spec) = c["spec"].as_object_mut() {
        spec.remove("backup");
        spec.insert(
            "plugins".into(),
            json!([{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
                    "parameters": {"barmanObjectName": "pg-inventory-store", "serverName": "pg-inventory"}}]),
        );
    }
    c
}

fn backup(served: &Served, name: &str, method: &str) -> Value {
    let mut spec = json!({"cluster": {"name": "pg-inventory"}, "method": method});
    if method == "plugin" {
        spec["pluginConfiguration"] = json!({"name": "barman-cloud.cloudnative-pg.io"});
    }
    let b = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
                   "metadata": {"name": name, "namespace": "inventory"}, "spec": spec});
    ok(served, &["apply", "-f", "-"], Some(&b.to_string()));
    eventually(&format!("Backup {name} ends"), WAIT, || {
        let b = get(served, &["backup", "-n", "inventory", name]);
        matches!(s(&b, "/status/phase"), "completed" | "failed").then_some(b)
    })
}

fn migrate(served: &Served) -> Value {
    let original = get(served, &["cluster", "-n", "inventory", "pg-inventory"]);
    ok(
        served,
        &["replace", "-f", "-"],
        Some(&migrated(&original).to_string()),
    );
    ok(served, &["apply", "-f", "-"], Some(OBJECT_STORE));
    eventually(
        "the pods carry the sidecar and the Cluster is healthy",
        WAIT,
        || {
            let c = get(served, &["cluster", "-n", "inventory", "pg-inventory"]);
            let all = pods(served);
            (all.len() == 2
                && all.iter().all(has_sidecar)
                && s(&c, "/status/phase") == "Cluster in healthy state")
                .then_some(())
        },
    );
    original
}

#[test]
fn a_cluster_applied_before_its_object_store_waits_in_the_pre_hook() {
    let served = Served::start("legacy-fleet");
    let before: Vec<String> = pods(&served)
        .iter()
        .map(|p| s(p, "/metadata/uid").to_string())
        .collect();
    let original = get(&served, &["cluster", "-n", "inventory", "pg-inventory"]);
    ok(
        &served,
        &["replace", "-f", "-"],
        Some(&migrated(&original).to_string()),
    );
    let plugin = get(
        &served,
        &["pods", "-n", "cnpg-system", "-l", "app=barman-cloud"],
    );
    let plugin_pod = s(&plugin, "/items/0/metadata/name").to_string();
    eventually("the plugin requeues for the missing store", WAIT, || {
        let logs = ok(&served, &["logs", "-n", "cnpg-system", &plugin_pod], None);
        logs.contains(r#""msg":"barman object configuration not found, requeuing","name":"pg-inventory","namespace":"inventory","name":"pg-inventory-store","namespace":"inventory""#)
            .then_some(())
    });
    let op = get(
        &served,
        &[
            "pods",
            "-n",
            "cnpg-system",
            "-l",
            "app.kubernetes.io/name=cloudnative-pg",
        ],
    );
    let logs = ok(
        &served,
        &[
            "logs",
            "-n",
            "cnpg-system",
            s(&op, "/items/0/metadata/name"),
        ],
        None,
    );
    assert!(
        logs.contains("Pre-reconcile hook stopped the reconciliation loop")
            && logs.contains(r#""Cluster":{"name":"pg-inventory","namespace":"inventory"}"#),
        "{logs}"
    );
    let now: Vec<String> = pods(&served)
        .iter()
        .map(|p| s(p, "/metadata/uid").to_string())
        .collect();
    assert_eq!(before, now, "nothing rolls while the Pre hook requeues");
    // The store arrives: the rollout goes through.
    ok(&served, &["apply", "-f", "-"], Some(OBJECT_STORE));
    eventually("the rollout injects the sidecar", WAIT, || {
        let all = pods(&served);
        (all.len() == 2 && all.iter().all(has_sidecar)).then_some(())
    });
}

#[test]
fn a_migrated_cluster_archives_through_the_plugin_and_its_first_plugin_backup_completes() {
    let served = Served::start("legacy-fleet");
    let before: Vec<String> = pods(&served)
        .iter()
        .map(|p| s(p, "/metadata/uid").to_string())
        .collect();
    migrate(&served);
    let after = pods(&served);
    for p in &after {
        assert!(
            !before.contains(&s(p, "/metadata/uid").to_string()),
            "pod {} is new",
            s(p, "/metadata/name")
        );
        let side = p["spec"]["initContainers"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| s(c, "/name") == "plugin-barman-cloud"))
            .expect("the sidecar");
        assert_eq!(
            s(side, "/image"),
            "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0"
        );
    }
    let sidecar_log = ok(
        &served,
        &[
            "logs",
            "-n",
            "inventory",
            "pg-inventory-1",
            "-c",
            "plugin-barman-cloud",
        ],
        None,
    );
    assert!(
        sidecar_log.contains(
            r#""msg":"Starting barman cloud instance plugin","logging_pod":"pg-inventory-1""#
        ),
        "{sidecar_log}"
    );
    let c = get(&served, &["cluster", "-n", "inventory", "pg-inventory"]);
    let archiving = c["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|x| s(x, "/type") == "ContinuousArchiving"))
        .cloned()
        .expect("ContinuousArchiving");
    assert_eq!(s(&archiving, "/status"), "True");
    assert_eq!(
        s(&c, "/status/pluginStatus/0/name"),
        "barman-cloud.cloudnative-pg.io"
    );
    let events = ok(
        &served,
        &[
            "get",
            "events",
            "-n",
            "inventory",
            "--field-selector",
            "involvedObject.kind=Cluster",
        ],
        None,
    );
    assert!(
        events.contains("Upgrading instance pg-inventory-2"),
        "{events}"
    );
    let role = get(
        &served,
        &["role", "-n", "inventory", "pg-inventory-barman-cloud"],
    );
    assert_eq!(
        s(&role, "/rules/2/resourceNames/0"),
        "pg-inventory-s3-creds"
    );
    // The window continues from the in-tree backups in the same destination.
    let store = get(
        &served,
        &["objectstore", "-n", "inventory", "pg-inventory-store"],
    );
    assert_eq!(
        s(
            &store,
            "/status/serverRecoveryWindow/pg-inventory/firstRecoverabilityPoint"
        ),
        s(&c, "/status/firstRecoverabilityPoint")
    );
    // The ScheduledBackup switched to the plugin, and a plugin Backup completes.
    ok(
        &served,
        &[
            "patch",
            "scheduledbackup",
            "-n",
            "inventory",
            "pg-inventory-daily",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"method":"plugin","pluginConfiguration":{"name":"barman-cloud.cloudnative-pg.io"}}}"#,
        ],
        None,
    );
    // A new immediate ScheduledBackup with method plugin gets its first Backup at once.
    ok(
        &served,
        &["apply", "-f", "-"],
        Some(
            r#"{"apiVersion": "postgresql.cnpg.io/v1", "kind": "ScheduledBackup",
                "metadata": {"name": "pg-inventory-plugin-daily", "namespace": "inventory"},
                "spec": {"schedule": "0 0 1 * * *", "immediate": true, "backupOwnerReference": "self",
                         "cluster": {"name": "pg-inventory"}, "method": "plugin",
                         "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}"#,
        ),
    );
    let scheduled = eventually("the immediate plugin Backup completes", WAIT, || {
        let list = get(
            &served,
            &[
                "backups",
                "-n",
                "inventory",
                "-l",
                "cnpg.io/scheduled-backup=pg-inventory-plugin-daily",
            ],
        );
        list["items"]
            .as_array()
            .and_then(|l| l.first().cloned())
            .filter(|b| s(b, "/status/phase") == "completed")
    });
    assert_eq!(s(&scheduled, "/spec/method"), "plugin");
    assert_eq!(
        s(&scheduled, "/metadata/labels/cnpg.io~1immediateBackup"),
        "true"
    );
    assert!(
        s(&scheduled, "/status/backupName").starts_with("backup-"),
        "{scheduled}"
    );
    let b = backup(&served, "first-plugin-backup", "plugin");
    assert_eq!(s(&b, "/status/phase"), "completed", "{b}");
    // An in-tree Backup of the migrated Cluster fails as CloudNativePG's checkPrerequisites says.
    let b = backup(&served, "in-tree-after", "barmanObjectStore");
    assert_eq!(s(&b, "/status/phase"), "failed");
    assert_eq!(
        s(&b, "/status/error"),
        "cannot proceed with the backup as the cluster has no backup section"
    );
    let c = get(&served, &["cluster", "-n", "inventory", "pg-inventory"]);
    let last = c["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|x| s(x, "/type") == "LastBackupSucceeded"))
        .cloned()
        .expect("LastBackupSucceeded");
    assert_eq!(
        (
            s(&last, "/status"),
            s(&last, "/reason"),
            s(&last, "/message")
        ),
        (
            "False",
            "LastBackupFailed",
            "cannot proceed with the backup as the cluster has no backup section"
        )
    );
}

#[test]
fn the_webhook_refuses_a_wal_archiver_plugin_beside_the_in_tree_store() {
    let served = Served::start("legacy-fleet");
    let out = kubectl(
        &served,
        &[
            "patch",
            "cluster",
            "-n",
            "inventory",
            "pg-inventory",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"plugins":[{"name":"barman-cloud.cloudnative-pg.io","isWALArchiver":true,"parameters":{"barmanObjectName":"pg-inventory-store"}}]}}"#,
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"The Cluster "pg-inventory" is invalid: spec.plugins: Invalid value: ["barman-cloud.cloudnative-pg.io"]: Cannot enable a WAL archiver plugin when barmanObjectStore is configured"#),
        "{err}"
    );
    // kubectl apply reads the same details from the refusal.
    let mut c = get(&served, &["cluster", "-n", "inventory", "pg-inventory"]);
    c["spec"]["plugins"] = json!([{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
        "parameters": {"barmanObjectName": "pg-inventory-store"}}]);
    let out = kubectl(&served, &["apply", "-f", "-"], Some(&c.to_string()));
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(r#"The Cluster "pg-inventory" is invalid: spec.plugins: Invalid value: ["barman-cloud.cloudnative-pg.io"]: Cannot enable a WAL archiver plugin when barmanObjectStore is configured"#),
        "{err}"
    );
    assert!(pods(&served).iter().all(|p| !has_sidecar(p)));
}

#[test]
fn rolling_back_restores_in_tree_archiving_without_the_sidecar() {
    let served = Served::start("legacy-fleet");
    let original = migrate(&served);
    let mut back = original.clone();
    back["metadata"]
        .as_object_mut()
        .map(|m| m.remove("resourceVersion"));
    ok(&served, &["replace", "-f", "-"], Some(&back.to_string()));
    eventually("the pods are rolled back without the sidecar", WAIT, || {
        let c = get(&served, &["cluster", "-n", "inventory", "pg-inventory"]);
        let all = pods(&served);
        (all.len() == 2
            && all.iter().all(|p| !has_sidecar(p))
            && s(&c, "/status/phase") == "Cluster in healthy state")
            .then_some(())
    });
    let b = backup(&served, "after-rollback", "barmanObjectStore");
    assert_eq!(s(&b, "/status/phase"), "completed", "{b}");
    assert_eq!(
        (
            s(&b, "/status/destinationPath"),
            s(&b, "/status/serverName")
        ),
        ("s3://acme-prod-pg-legacy/inventory/", "pg-inventory")
    );
}

/// What Flux's kustomize-controller builds for a Kustomization path (fluxcd/pkg
/// `kustomize_generator.go` `scanManifests`): the path's kustomization.yaml when it has one;
/// otherwise every tracked YAML file below it, and every sub-folder holding a
/// kustomization.yaml built as a whole (its contents are not scanned again).
fn flux_build(
    served: &Served,
    repo: &std::path::Path,
    path: &str,
    tracked: &[String],
) -> Vec<String> {
    let root = repo.join(path);
    if root.join("kustomization.yaml").exists() {
        return vec![ok(
            served,
            &["kustomize", root.to_str().expect("utf-8")],
            None,
        )];
    }
    let mut out = Vec::new();
    let mut dirs = vec![root];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .expect("the folder reads")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                if p.join("kustomization.yaml").exists() {
                    out.push(ok(served, &["kustomize", p.to_str().expect("utf-8")], None));
                } else {
                    dirs.push(p);
                }
            } else if p.extension().is_some_and(|x| x == "yaml") {
                let rel = p
                    .strip_prefix(repo)
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                // The artifact holds what Git holds: an ignored file never reaches Flux.
                if tracked.contains(&rel) {
                    out.push(std::fs::read_to_string(&p).expect("the manifest reads"));
                }
            }
        }
    }
    out
}

#[test]
fn the_fleet_repository_builds_as_flux_builds_it_and_passes_the_servers_schemas() {
    let served = Served::start("legacy-fleet");
    let tmp = tempfile::tempdir().expect("a temp dir");
    let repo = common::gitops::legacy_fleet_checkout(tmp.path());
    let listed = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["ls-files"])
        .output()
        .expect("git runs");
    let tracked: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    // The trap: the file is on disk, ignored, never committed.
    let trapped = "apps/databases/inventory/scheduled-backup.yaml";
    assert!(repo.join(trapped).exists());
    assert!(!tracked.iter().any(|f| f == trapped), "{tracked:?}");
    assert!(tracked.iter().any(|f| f == ".gitignore"));
    let ignored = Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["check-ignore", "-v", trapped])
        .output()
        .expect("git runs");
    assert!(
        String::from_utf8_lossy(&ignored.stdout).contains("*backup*.yaml"),
        "{ignored:?}"
    );
    let mut kinds = Vec::new();
    for path in [
        "clusters/prod",
        "infrastructure/cnpg-operator",
        "infrastructure/barman-cloud-plugin",
        "apps/databases",
    ] {
        for built in flux_build(&served, &repo, path, &tracked) {
            let out = ok(
                &served,
                &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
                Some(&built),
            );
            kinds.extend(out.lines().map(str::to_string));
        }
    }
    let all = kinds.join("\n");
    for want in [
        "cluster.postgresql.cnpg.io/pg-inventory",
        "cluster.postgresql.cnpg.io/pg-ledger",
        "cluster.postgresql.cnpg.io/pg-reports",
        "scheduledbackup.postgresql.cnpg.io/pg-ledger-nightly",
        "prometheusrule.monitoring.coreos.com/cnpg-backup-alerts",
        "kustomization.kustomize.toolkit.fluxcd.io/databases",
        "deployment.apps/barman-cloud",
    ] {
        assert!(all.contains(want), "{want} in {all}");
    }
    // Flux never sees pg-inventory-daily: it exists in the cluster only because it was applied by hand.
    assert!(!all.contains("pg-inventory-daily"), "{all}");
}
