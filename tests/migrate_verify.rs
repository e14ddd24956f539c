//! `backstop migrate verify` against the simulator through the real kubectl, which crafts
//! each broken state, and against a real bucket: moto written by real PostgreSQL 15 and
//! barman-cloud, the scenario's ObjectStore pointed at it (`spec.objectStore`), psql run
//! through pods/exec for the WAL switch.

mod common;
#[path = "common/real.rs"]
mod real;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::Served;
use real::{KEY_ID, Moto, Pg, SECRET};

fn kubectl(s: &Served, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--cache-dir")
        .arg(s.dir.path().join("kube-cache"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut input = child.stdin.take().expect("stdin");
    if let Some(text) = stdin {
        input
            .write_all(text.as_bytes())
            .expect("writing to kubectl");
    }
    drop(input);
    let out = child.wait_with_output().expect("kubectl ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl {}: {stdout}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// Runs backstop; its exit code, stdout and stderr.
fn backstop(s: &Served, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("backstop runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The line of check `name` and the lines below it, up to the next check.
fn section<'a>(out: &'a str, name: &str) -> String {
    let mut lines = out
        .lines()
        .skip_while(|l| !(l.len() > 6 && !l.starts_with(' ') && l[6..].starts_with(name)));
    let mut v: Vec<&'a str> = lines.next().into_iter().collect();
    v.extend(lines.take_while(|l| l.starts_with(' ')));
    v.join("\n")
}

const PROMETHEUS_RULE_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: prometheusrules.monitoring.coreos.com
spec:
  group: monitoring.coreos.com
  names: {kind: PrometheusRule, listKind: PrometheusRuleList, plural: prometheusrules, singular: prometheusrule}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

#[test]
fn a_plugin_cluster_fails_naming_the_missing_sidecar_store_backup_and_double_archiving() {
    let s = Served::start("healthy");
    // As the healthy scenario is: everything but the bucket, which is fictional here.
    let (code, out, err) = backstop(
        &s,
        &["--read-only", "migrate", "verify", "orders/pg-orders"],
    );
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(section(&out, "plugin-entry").starts_with("PASS"), "{out}");
    assert!(
        section(&out, "sidecar").starts_with(
            "PASS  sidecar           all 3 instance pod(s) run the plugin-barman-cloud sidecar"
        ),
        "{out}"
    );
    assert!(
        section(&out, "wal-archived").starts_with("SKIP  wal-archived      the bucket could not be read from here: the API server is backstop's simulator"),
        "{out}"
    );
    assert!(section(&out, "plugin-backup").starts_with("SKIP"), "{out}");
    assert!(
        section(&out, "alerts").starts_with("SKIP  alerts            no PrometheusRule CRD"),
        "{out}"
    );

    // A pod the operator has not rolled yet: recreated without the sidecar.
    let pod = kubectl(
        &s,
        &["get", "pod", "-n", "orders", "pg-orders-3", "-o", "json"],
        None,
    );
    let mut pod: serde_json::Value = serde_json::from_str(&pod).expect("pod JSON");
    let init = pod["spec"]["initContainers"]
        .as_array_mut()
        .expect("init containers");
    init.retain(|c| c["name"] != "plugin-barman-cloud");
    for k in ["resourceVersion", "uid", "creationTimestamp"] {
        pod["metadata"].as_object_mut().expect("metadata").remove(k);
    }
    kubectl(
        &s,
        &[
            "delete",
            "pod",
            "-n",
            "orders",
            "pg-orders-3",
            "--wait=false",
        ],
        None,
    );
    kubectl(&s, &["create", "-f", "-"], Some(&pod.to_string()));
    // The ObjectStore gone, every Backup gone.
    kubectl(
        &s,
        &["delete", "objectstore", "-n", "orders", "pg-orders-s3"],
        None,
    );
    kubectl(
        &s,
        &[
            "patch",
            "scheduledbackup",
            "-n",
            "orders",
            "pg-orders-daily",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ],
        None,
    );
    kubectl(&s, &["delete", "backups", "-n", "orders", "--all"], None);
    let (code, out, err) = backstop(
        &s,
        &["--read-only", "migrate", "verify", "orders/pg-orders"],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    let entry = section(&out, "plugin-entry");
    assert!(entry.starts_with("FAIL"), "{out}");
    assert!(
        entry.contains("ObjectStore orders/pg-orders-s3 does not exist"),
        "{entry}"
    );
    let sidecar = section(&out, "sidecar");
    assert!(sidecar.starts_with("FAIL  sidecar           1 of 3 instance pod(s) lack a working plugin-barman-cloud sidecar"), "{sidecar}");
    assert!(
        sidecar.contains("pg-orders-3: no plugin-barman-cloud container: not rolled yet"),
        "{sidecar}"
    );
    assert!(
        sidecar.contains("pg-orders-1: plugin-barman-cloud running and ready"),
        "{sidecar}"
    );
    let backup = section(&out, "plugin-backup");
    assert!(
        backup.starts_with(
            "FAIL  plugin-backup     no completed plugin Backup of Cluster orders/pg-orders"
        ),
        "{backup}"
    );
    assert!(backup.contains("kubectl cnpg backup pg-orders -n orders --method plugin --plugin-name barman-cloud.cloudnative-pg.io"), "{backup}");

    // Double archiving: a plugin entry without isWALArchiver beside a barmanObjectStore.
    kubectl(
        &s,
        &[
            "patch",
            "cluster",
            "-n",
            "billing",
            "pg-billing",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/spec/plugins/0/isWALArchiver","value":false},
              {"op":"add","path":"/spec/backup","value":{"barmanObjectStore":{"destinationPath":"s3://legacy/billing","s3Credentials":{"inheritFromIAMRole":true}}}}]"#,
        ],
        None,
    );
    // And another Cluster archiving in-tree into analytics' store and server.
    let dest = kubectl(
        &s,
        &[
            "get",
            "objectstore",
            "-n",
            "analytics",
            "analytics-backup-store",
            "-o",
            "jsonpath={.spec.configuration.destinationPath}",
        ],
        None,
    );
    kubectl(
        &s,
        &[
            "patch",
            "cluster",
            "-n",
            "orders",
            "pg-orders",
            "--type",
            "json",
            "-p",
            // In-tree only: CloudNativePG's webhook refuses a WAL-archiver plugin beside it.
            &format!(
                r#"[{{"op":"remove","path":"/spec/plugins"}},{{"op":"add","path":"/spec/backup","value":{{"barmanObjectStore":{{"destinationPath":"{dest}/","serverName":"pg-analytics","s3Credentials":{{"inheritFromIAMRole":true}}}}}}}}]"#
            ),
        ],
        None,
    );
    let (code, out, err) = backstop(
        &s,
        &["--read-only", "migrate", "verify", "billing/pg-billing"],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    let double = section(&out, "double-archiving");
    assert!(double.starts_with("FAIL  double-archiving  every WAL is archived twice: by the plugin and by the in-tree barmanObjectStore"), "{double}");
    assert!(
        double.contains(
            "isWALArchiver: true on the plugin entry and remove spec.backup.barmanObjectStore"
        ),
        "{double}"
    );
    let entry = section(&out, "plugin-entry");
    assert!(
        entry.contains("isWALArchiver is not true")
            && entry.contains("spec.backup.barmanObjectStore is still set"),
        "{entry}"
    );
    let (code, out, err) = backstop(
        &s,
        &["--read-only", "migrate", "verify", "analytics/pg-analytics"],
    );
    assert_eq!(code, Some(2), "{out}{err}");
    let double = section(&out, "double-archiving");
    assert!(
        double.starts_with("FAIL  double-archiving  1 other archiver(s) write to"),
        "{double}"
    );
    assert!(
        double.contains("Cluster orders/pg-orders (in-tree barmanObjectStore)"),
        "{double}"
    );
}

#[test]
fn alerts_on_the_old_metrics_are_flagged_in_prometheus_rules_and_the_repositorys_dashboards() {
    let s = Served::start("healthy");
    kubectl(&s, &["apply", "-f", "-"], Some(PROMETHEUS_RULE_CRD));
    kubectl(
        &s,
        &["apply", "-f", "-"],
        Some(
            "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: cnpg-backup-alerts, namespace: orders}\nspec:\n  groups:\n  - name: cnpg-backups\n    rules:\n    - alert: CNPGBackupStale\n      expr: time() - cnpg_collector_last_available_backup_timestamp > 86400\n    - alert: CNPGDown\n      expr: cnpg_collector_up == 0\n",
        ),
    );
    let repo = s.dir.path().join("gitops");
    std::fs::create_dir_all(repo.join("dashboards")).expect("repo dirs");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    std::fs::write(
        repo.join("dashboards/cnpg.json"),
        "{\n  \"panels\": [\n    {\"title\": \"Last base backup\",\n     \"targets\": [{\"expr\": \"time() - cnpg_collector_last_available_backup_timestamp\"}]},\n    {\"targets\": [{\"expr\": \"cnpg_collector_first_recoverability_point\"}]}\n  ]\n}\n",
    )
    .expect("dashboard");
    // Not tracked: not what Flux or Grafana reads.
    std::fs::write(
        repo.join("scratch.yaml"),
        "expr: cnpg_collector_last_failed_backup_timestamp\n",
    )
    .expect("scratch");
    git(&["add", "dashboards/cnpg.json"]);
    let (code, out, err) = backstop(
        &s,
        &[
            "--read-only",
            "migrate",
            "verify",
            "orders/pg-orders",
            "--format",
            "json",
            "--repo",
            repo.to_str().expect("utf-8"),
        ],
    );
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON: {e}\n{out}{err}"));
    assert_eq!(code, Some(3), "the bucket is fictional: {out}");
    assert_eq!(v["exitCode"], 3);
    let alerts = v["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["check"] == "alerts")
        .expect("alerts check")
        .clone();
    assert_eq!(alerts["status"], "WARN", "{alerts}");
    let evidence: Vec<&str> = alerts["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e.as_str())
        .collect();
    assert_eq!(
        evidence,
        [
            "PrometheusRule orders/cnpg-backup-alerts, group cnpg-backups, alert CNPGBackupStale: cnpg_collector_last_available_backup_timestamp (use barman_cloud_cloudnative_pg_io_last_available_backup_timestamp)",
            "dashboards/cnpg.json:4: cnpg_collector_last_available_backup_timestamp (use barman_cloud_cloudnative_pg_io_last_available_backup_timestamp)",
            "dashboards/cnpg.json:5: cnpg_collector_first_recoverability_point (use barman_cloud_cloudnative_pg_io_first_recoverability_point)",
            "1 PrometheusRule(s) read",
            "1 tracked YAML/JSON file(s) of the repository read",
        ]
    );
    assert!(
        alerts["remedy"].as_str().is_some_and(
            |r| r.contains("https://cloudnative-pg.io/plugin-barman-cloud/docs/migration/")
        ),
        "{alerts}"
    );
}

/// The real archive: a base backup of a real PostgreSQL under server `pg-orders` (the
/// scenario's Cluster) and no WAL yet, so verify has to switch one and watch it arrive.
#[test]
fn a_migrated_cluster_passes_once_a_switched_wal_and_its_plugin_backup_are_in_the_real_bucket() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let moto = Moto::start(false);
    moto.create_bucket("backups");
    let mut pg = Pg::init(&dir.path().join("pg"));
    pg.start();
    pg.backup(&moto.endpoint(), "s3://backups/mig", "pg-orders");
    let listed = real::run(
        Command::new(real::tool("python3"))
            .args([
                "-c",
                "import sys, boto3; r = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').list_objects_v2(Bucket='backups', Prefix='mig/pg-orders/base/', Delimiter='/'); print(r['CommonPrefixes'][0]['Prefix'].split('/')[-2])",
                &moto.endpoint(),
            ])
            .envs(real::aws_env()),
    );
    let id = String::from_utf8_lossy(&listed.stdout).trim().to_string();
    assert_eq!(id.len(), 15, "a backup id: {id}");
    let scenario = dir.path().join("mig.yaml");
    std::fs::write(
        &scenario,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: mig}}\nspec:\n  base: healthy\n  objectStore:\n    endpointURL: {}\n    destinationPath: s3://backups/mig/\n    accessKeyId: {KEY_ID}\n    secretAccessKey: {SECRET}\n    region: us-east-1\n    stores: [orders/pg-orders-s3]\n  recovery:\n    postgres:\n      host: 127.0.0.1\n      port: {}\n      user: postgres\n",
            moto.endpoint(),
            pg.port
        ),
    )
    .expect("the scenario");
    let s = Served::start(scenario.to_str().expect("utf-8"));
    // The scenario's newest plugin Backup is the one barman-cloud took.
    let newest = kubectl(
        &s,
        &[
            "get",
            "backups",
            "-n",
            "orders",
            "-o",
            "jsonpath={.items[-1:].metadata.name}",
        ],
        None,
    );
    kubectl(
        &s,
        &[
            "patch",
            "backup",
            "-n",
            "orders",
            &newest,
            "--subresource=status",
            "--type",
            "merge",
            "-p",
            &format!(r#"{{"status":{{"backupId":"{id}","stoppedAt":"2099-01-01T00:00:00Z"}}}}"#),
        ],
        None,
    );
    // Read-only: no WAL since the sidecar started is a warning, not a switch.
    let (code, out, err) = backstop(
        &s,
        &["--read-only", "migrate", "verify", "orders/pg-orders"],
    );
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(section(&out, "wal-archived").starts_with("WARN  wal-archived      no WAL in the bucket written since the primary's sidecar started"), "{out}");
    let backup = section(&out, "plugin-backup");
    assert!(
        backup.starts_with(&format!(
            "PASS  plugin-backup     the first plugin backup is in the bucket ({id})"
        )),
        "{backup}"
    );
    assert!(
        backup.contains(&format!("base/{id}/backup.info: status DONE")),
        "{backup}"
    );

    // With --yes: verify switches a WAL in the primary (psql through pods/exec, here the
    // real server) and waits; the archiver (barman-cloud-wal-archive, as the sidecar runs
    // it) uploads what PostgreSQL finished.
    // Something to switch away from; only what PostgreSQL finishes from now on is archived.
    pg.sql("CREATE TABLE after_migration (i int); INSERT INTO after_migration VALUES (1)");
    let t0 = std::time::SystemTime::now();
    let mut archived = std::collections::BTreeSet::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args([
            "migrate",
            "verify",
            "orders/pg-orders",
            "--yes",
            "--timeout",
            "90s",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backstop runs");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while child.try_wait().expect("waiting").is_none() {
        assert!(std::time::Instant::now() < deadline, "verify did not end");
        let fresh: Vec<String> = pg
            .spooled()
            .iter()
            .filter(|p| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m >= t0)
            })
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter(|f| f.len() == 24 && !archived.contains(f))
            .collect();
        pg.archive(&moto.endpoint(), "s3://backups/mig", "pg-orders", |f| {
            fresh.iter().any(|x| x == f)
        });
        archived.extend(fresh);
        std::thread::sleep(Duration::from_millis(300));
    }
    let done = child.wait_with_output().expect("output");
    let (out, err) = (
        String::from_utf8_lossy(&done.stdout),
        String::from_utf8_lossy(&done.stderr),
    );
    assert_eq!(done.status.code(), Some(0), "{out}{err}");
    let wal = section(&out, "wal-archived");
    assert!(
        wal.starts_with("PASS  wal-archived      segment 0000000"),
        "{wal}"
    );
    assert!(
        wal.contains("(switched by verify) reached the bucket"),
        "{wal}"
    );
    assert!(
        out.contains("Done by verify: switched WAL in pg-orders-1: segment 0000000"),
        "{out}"
    );
    pg.stop();
}

#[test]
fn without_a_plugin_backup_verify_offers_one_and_takes_it_with_yes() {
    let s = Served::start("healthy");
    // The schedule paused, so that no scheduled backup comes in between.
    kubectl(
        &s,
        &[
            "patch",
            "scheduledbackup",
            "-n",
            "billing",
            "pg-billing-daily",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"suspend":true}}"#,
        ],
        None,
    );
    kubectl(&s, &["delete", "backups", "-n", "billing", "--all"], None);
    // No terminal, no --yes: offered and declined.
    let (code, out, err) = backstop(&s, &["migrate", "verify", "billing/pg-billing"]);
    assert_eq!(code, Some(2), "{out}{err}");
    assert!(
        err.contains("No completed plugin backup yet. Take one now (kubectl cnpg backup pg-billing -n billing --backup-name pg-billing-")
            && err.contains("no: not a terminal (pass --yes)"),
        "{err}"
    );
    assert!(
        out.contains("Done by verify: plugin backup declined"),
        "{out}"
    );
    let (code, out, err) = backstop(
        &s,
        &[
            "migrate",
            "verify",
            "billing/pg-billing",
            "--yes",
            "--timeout",
            "30s",
        ],
    );
    // Taken and completed; the fictional bucket cannot show it.
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(
        out.contains("Done by verify: took a plugin backup: Backup pg-billing-"),
        "{out}"
    );
    assert!(
        section(&out, "plugin-backup").starts_with("SKIP  plugin-backup     Backup pg-billing-"),
        "{out}"
    );
    let name = out
        .split("took a plugin backup: Backup ")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .expect("the Backup's name");
    let taken = kubectl(
        &s,
        &[
            "get",
            "backup",
            "-n",
            "billing",
            name,
            "-o",
            "jsonpath={.spec.method} {.status.phase}",
        ],
        None,
    );
    assert_eq!(taken.trim(), "plugin completed", "{taken}");
}
