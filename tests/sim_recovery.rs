//! The simulated CloudNativePG recovery, driven with the real kubectl as a drill drives a
//! cluster: a recovery Cluster in a scratch namespace (the shapes backstop writes), then its
//! Job, pods, logs, events and phases are read back. Each failure appears when its cause is
//! present, with the texts the real components print; deleting the scratch namespace leaves
//! nothing behind.

mod common;
#[path = "common/real.rs"]
mod real;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Served, eventually};
use serde_json::Value;

const WAIT: Duration = Duration::from_secs(60);

fn kubectl_in(served: &Served, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .arg("--cache-dir")
        .arg(served.dir.path().join("kube-cache"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs: install kubectl 1.32 (the CI machine has it)");
    if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("kubectl ends")
}

fn ok(served: &Served, args: &[&str]) -> String {
    let out = kubectl_in(served, args, None);
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn apply(served: &Served, yaml: &str) {
    let out = kubectl_in(served, &["apply", "-f", "-"], Some(yaml));
    assert!(
        out.status.success(),
        "kubectl apply: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(served: &Served, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    serde_json::from_str(&ok(served, &all)).expect("JSON")
}

/// The object, or None while it does not exist.
fn get(served: &Served, kind: &str, ns: &str, name: &str) -> Option<Value> {
    let out = kubectl_in(served, &["get", kind, "-n", ns, name, "-o", "json"], None);
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).ok())
        .flatten()
}

fn logs(served: &Served, ns: &str, pod: &str, container: &str) -> String {
    let out = kubectl_in(served, &["logs", "-n", ns, pod, "-c", container], None);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A simulator on the healthy scenario with the given recovery settings (fast steps).
fn sim(recovery: &str) -> (Served, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("scenario.yaml");
    let step = if recovery.contains("step:") {
        ""
    } else {
        "    step: 20ms\n"
    };
    let text = format!(
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata:\n  name: recovery-test\nspec:\n  base: healthy\n  recovery:\n{step}{recovery}"
    );
    std::fs::write(&file, text).expect("scenario written");
    let served = Served::start(&file.display().to_string());
    (served, dir)
}

/// The scratch namespace, the copied store and Secret, and the recovery Cluster, as a
/// drill of orders/pg-orders writes them. `recovery` is the `bootstrap.recovery` extra
/// (indented under it), `spec` more of the Cluster's spec, `memory` the restore sidecar's.
fn drill(ns: &str, recovery: &str, spec: &str, memory: &str, keys: &[&str]) -> String {
    let data: String = keys.iter().map(|k| format!("  {k}: ZmFrZQ==\n")).collect();
    format!(
        r#"apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
  labels:
    app.kubernetes.io/managed-by: backstop
    backstop.dev/drill-of-namespace: orders
    backstop.dev/drill-of-cluster: pg-orders
  annotations:
    backstop.dev/expires-at: "2030-01-01T00:00:00Z"
---
apiVersion: v1
kind: Secret
metadata:
  name: pg-orders-s3-creds
  namespace: {ns}
data:
{data}---
apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: pg-orders-s3
  namespace: {ns}
spec:
  configuration:
    destinationPath: s3://acme-prod-pg-backups/orders/
    s3Credentials:
      accessKeyId: {{name: pg-orders-s3-creds, key: ACCESS_KEY_ID}}
      secretAccessKey: {{name: pg-orders-s3-creds, key: ACCESS_SECRET_KEY}}
      region: {{name: pg-orders-s3-creds, key: REGION}}
    wal:
      compression: gzip
  instanceSidecarConfiguration:
    resources:
      limits:
        memory: {memory}
---
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg-orders-drill
  namespace: {ns}
spec:
  instances: 1
  imageName: ghcr.io/cloudnative-pg/postgresql:17.6
  storage:
    size: 10Gi
  bootstrap:
    recovery:
      source: origin
{recovery}  externalClusters:
  - name: origin
    plugin:
      name: barman-cloud.cloudnative-pg.io
      parameters:
        barmanObjectName: pg-orders-s3
        serverName: pg-orders
{spec}"#
    )
}

const KEYS: &[&str] = &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "REGION"];
const NS: &str = "backstop-drill-pg-orders-a1b2c3";

fn phase(served: &Served, ns: &str, cluster: &str) -> String {
    get(served, "clusters.postgresql.cnpg.io", ns, cluster)
        .and_then(|c| {
            c.pointer("/status/phase")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default()
}

fn wait_phase(served: &Served, ns: &str, cluster: &str, want: &str) -> Value {
    eventually(&format!("{ns}/{cluster} in phase {want}"), WAIT, || {
        get(served, "clusters.postgresql.cnpg.io", ns, cluster)
            .filter(|c| c.pointer("/status/phase").and_then(Value::as_str) == Some(want))
    })
}

fn pods_of_job(served: &Served, ns: &str, job: &str) -> Vec<Value> {
    let list = json(
        served,
        &["get", "pods", "-n", ns, "-l", &format!("job-name={job}")],
    );
    list["items"].as_array().cloned().unwrap_or_default()
}

fn name_of(v: &Value) -> String {
    v.pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Waits until some container log of the namespace's pods holds `text`; returns that log.
fn wait_log(served: &Served, ns: &str, pod_prefix: &str, container: &str, text: &str) -> String {
    eventually(
        &format!("{text:?} in {container} of {pod_prefix}*"),
        WAIT,
        || {
            let list = json(served, &["get", "pods", "-n", ns]);
            list["items"].as_array()?.iter().find_map(|p| {
                let name = name_of(p);
                if !name.starts_with(pod_prefix) {
                    return None;
                }
                let log = logs(served, ns, &name, container);
                log.contains(text).then_some(log)
            })
        },
    )
}

fn events(served: &Served, ns: &str) -> Vec<(String, String, String, String)> {
    let list = json(served, &["get", "events", "-n", ns]);
    list["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|e| {
            let s = |p: &str| {
                e.pointer(p)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            (
                s("/type"),
                s("/reason"),
                s("/message"),
                s("/involvedObject/kind"),
            )
        })
        .collect()
}

#[test]
fn a_drill_from_the_latest_point_converges_through_the_full_recovery_job() {
    let (s, _dir) = sim("");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    let cluster = wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");
    let st = &cluster["status"];
    assert_eq!(st["readyInstances"], 1);
    assert_eq!(st["currentPrimary"], "pg-orders-drill-1");
    assert_eq!(st["timelineID"], 4, "the source is on timeline 3");
    let ready = st["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .find(|c| c["type"] == "Ready")
        .expect("Ready")
        .clone();
    assert_eq!(
        (ready["status"].as_str(), ready["reason"].as_str()),
        (Some("True"), Some("ClusterIsReady"))
    );

    let job = get(&s, "jobs", NS, "pg-orders-drill-1-full-recovery").expect("the recovery Job");
    let labels = &job["metadata"]["labels"];
    assert_eq!(labels["cnpg.io/cluster"], "pg-orders-drill");
    assert_eq!(labels["cnpg.io/jobRole"], "full-recovery");
    assert_eq!(labels["cnpg.io/instanceName"], "pg-orders-drill-1");
    assert_eq!(job["metadata"]["ownerReferences"][0]["kind"], "Cluster");
    assert_eq!(
        job["metadata"]["ownerReferences"][0]["uid"],
        cluster["metadata"]["uid"]
    );
    let conds = job["status"]["conditions"]
        .as_array()
        .expect("job conditions");
    assert!(
        conds
            .iter()
            .any(|c| c["type"] == "Complete" && c["status"] == "True"),
        "{conds:?}"
    );
    assert_eq!(job["status"]["succeeded"], 1);

    let pods = pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery");
    assert_eq!(pods.len(), 1);
    let pod = &pods[0];
    assert_eq!(pod["status"]["phase"], "Succeeded");
    let inits: Vec<&str> = pod["spec"]["initContainers"]
        .as_array()
        .expect("inits")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(inits, ["bootstrap-controller", "plugin-barman-cloud"]);
    assert_eq!(
        pod["spec"]["initContainers"][1]["restartPolicy"], "Always",
        "a native sidecar"
    );
    assert_eq!(pod["spec"]["containers"][0]["name"], "full-recovery");

    let main = logs(&s, NS, &name_of(pod), "full-recovery");
    for text in [
        r#""msg":"Restore through plugin detected, proceeding...""#,
        r#""logger":"postgres","msg":"record","logging_pod":"pg-orders-drill-1-full-recovery""#,
        r#""message":"restored log file \"0000000300000036000000A6\" from archive""#,
        r#""message":"selected new timeline ID: 4""#,
        r#""message":"last completed transaction was at log time "#,
        r#""message":"archive recovery complete""#,
        r#""msg":"restore command execution completed without errors""#,
    ] {
        assert!(main.contains(text), "{text} in\n{main}");
    }
    let side = logs(&s, NS, &name_of(pod), "plugin-barman-cloud");
    for text in [
        r#""msg":"Downloading backup catalog""#,
        r#""msg":"Target backup found""#,
        r#""msg":"Starting barman-cloud-restore""#,
        "INFO: Restoring from backup_id: 20261124T020005",
        r#""msg":"Restore completed""#,
        r#""msg":"Restoring WAL file""#,
    ] {
        assert!(side.contains(text), "{text} in\n{side}");
    }
    // Log timestamps run forward.
    let stamps: Vec<String> = main
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["ts"].as_str().map(str::to_string))
        .collect();
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]), "{stamps:?}");

    let instance = get(&s, "pods", NS, "pg-orders-drill-1").expect("the instance pod");
    assert_eq!(instance["status"]["phase"], "Running");
    let ready = instance["status"]["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    assert!(ready, "{instance}");
    let ev = events(&s, NS);
    assert!(
        ev.iter().any(|e| e.1 == "CreatingInstance"
            && e.2 == "Primary instance (from backup)"
            && e.3 == "Cluster"),
        "{ev:?}"
    );
    assert!(
        ev.iter()
            .any(|e| e.1 == "Completed" && e.2 == "Job completed" && e.3 == "Job"),
        "{ev:?}"
    );
}

#[test]
fn a_point_in_time_drill_stops_before_the_first_commit_after_the_target() {
    let (s, _dir) = sim("");
    let target = (chrono::Utc::now() - chrono::Duration::hours(30))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let rec = format!("      recoveryTarget:\n        targetTime: \"{target}\"\n");
    apply(&s, &drill(NS, &rec, "", "1Gi", KEYS));
    wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");
    let pod = name_of(&pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery")[0]);
    let main = logs(&s, NS, &pod, "full-recovery");
    assert!(
        main.contains("starting point-in-time recovery to "),
        "{main}"
    );
    assert!(
        main.contains("recovery stopping before commit of transaction "),
        "{main}"
    );
    // The base backup the catalog gives is the newest that ended before the target.
    let side = logs(&s, NS, &pod, "plugin-barman-cloud");
    assert!(
        !side.contains("Restoring from backup_id: 20261124T020005"),
        "{side}"
    );
}

#[test]
fn the_init_container_shape_bootstraps_in_the_instance_pod_without_a_job() {
    let (s, _dir) = sim("    shape: initContainer\n");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");
    assert!(get(&s, "jobs", NS, "pg-orders-drill-1-full-recovery").is_none());
    let pod = get(&s, "pods", NS, "pg-orders-drill-1").expect("the instance pod");
    let inits: Vec<&str> = pod["spec"]["initContainers"]
        .as_array()
        .expect("inits")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(
        inits,
        [
            "bootstrap-controller",
            "plugin-barman-cloud",
            "bootstrap-instance"
        ]
    );
    let log = logs(&s, NS, "pg-orders-drill-1", "bootstrap-instance");
    assert!(
        log.contains(r#""logging_pod":"pg-orders-drill-1""#),
        "{log}"
    );
    assert!(
        log.contains(r#""message":"selected new timeline ID: 4""#),
        "{log}"
    );
}

#[test]
fn archiving_into_the_sources_archive_fails_the_empty_archive_check() {
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    let archives = "  plugins:\n  - name: barman-cloud.cloudnative-pg.io\n    isWALArchiver: true\n    parameters:\n      barmanObjectName: pg-orders-s3\n      serverName: pg-orders\n";
    apply(&s, &drill(NS, "", archives, "1Gi", KEYS));
    let log = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "plugin-barman-cloud",
        "ERROR: WAL archive check failed for server pg-orders: Expected empty archive",
    );
    assert!(
        log.contains(r#""logger":"barman-cloud-check-wal-archive""#),
        "{log}"
    );
    let main = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "full-recovery",
        "Error while restoring a backup",
    );
    assert!(
        main.contains("unexpected failure invoking barman-cloud-wal-archive: exit status 1"),
        "{main}"
    );
    assert_eq!(phase(&s, NS, "pg-orders-drill"), "Setting up primary");
}

#[test]
fn a_target_after_the_end_of_the_archive_replays_everything_and_never_converges() {
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    let target = (chrono::Utc::now() + chrono::Duration::hours(2))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    let rec = format!("      recoveryTarget:\n        targetTime: \"{target}\"\n");
    apply(&s, &drill(NS, &rec, "", "1Gi", KEYS));
    let log = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "full-recovery",
        r#""error_severity":"FATAL","sql_state_code":"XX000","message":"recovery ended before configured recovery target was reached""#,
    );
    assert!(
        log.contains("last completed transaction was at log time"),
        "{log}"
    );
    let pod = eventually("the failed pod", WAIT, || {
        pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery")
            .into_iter()
            .find(|p| p["status"]["phase"] == "Failed")
    });
    assert_eq!(
        pod["status"]["containerStatuses"][0]["state"]["terminated"]["reason"],
        "Error"
    );
    assert_eq!(phase(&s, NS, "pg-orders-drill"), "Setting up primary");
}

#[test]
fn a_name_reference_to_a_plugin_backup_fails_for_want_of_credentials() {
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    apply(
        &s,
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-orders-restore\n  namespace: orders\nspec:\n  instances: 1\n  storage:\n    size: 10Gi\n  bootstrap:\n    recovery:\n      backup:\n        name: pg-orders-daily-20261124020000\n",
    );
    let log = wait_log(
        &s,
        "orders",
        "pg-orders-restore-1-full-recovery",
        "full-recovery",
        "restore error",
    );
    assert!(log.contains(r#""error":"while restoring cluster: ObjectStoreConfiguration invalid: no credentials defined""#), "{log}");
    let job = get(&s, "jobs", "orders", "pg-orders-restore-1-full-recovery").expect("job");
    let inits = job["spec"]["template"]["spec"]["initContainers"]
        .as_array()
        .expect("inits")
        .len();
    assert_eq!(inits, 1, "no plugin sidecar: the in-tree restore path runs");
}

#[test]
fn credentials_and_server_names_fail_as_barman_cloud_reports_them() {
    // A key missing from the copied Secret.
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    apply(&s, &drill(NS, "", "", "1Gi", &["ACCESS_KEY_ID", "REGION"]));
    let log = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "full-recovery",
        "Error while restoring a backup",
    );
    assert!(log.contains("rpc error: code = Unknown desc = missing key ACCESS_SECRET_KEY, inside secret pg-orders-s3-creds"), "{log}");
    drop(s);

    // The store refuses the credentials.
    let (s, _dir) = sim("    retryBackoff: 30s\n    rejectCredentials: true\n");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    let side = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "plugin-barman-cloud",
        "Barman cloud backup list exception",
    );
    assert!(side.contains("InvalidAccessKeyId"), "{side}");
    assert!(
        side.contains(r#""msg":"Can't extract backup id""#),
        "{side}"
    );
    drop(s);

    // A serverName the store does not hold.
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    let yaml = drill(NS, "", "", "1Gi", KEYS)
        .replace("serverName: pg-orders\n", "serverName: pg-orderz\n");
    apply(&s, &yaml);
    let log = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "full-recovery",
        "Error while restoring a backup",
    );
    assert!(
        log.contains("rpc error: code = Unknown desc = no target backup found"),
        "{log}"
    );
}

#[test]
fn a_restore_sidecar_below_the_restores_memory_is_oom_killed() {
    let (s, _dir) = sim("    retryBackoff: 30s\n    restoreMemory: 1Gi\n");
    apply(&s, &drill(NS, "", "", "256Mi", KEYS));
    let pod = eventually("an OOMKilled restore sidecar", WAIT, || {
        pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery")
            .into_iter()
            .find(|p| {
                p["status"]["initContainerStatuses"]
                    .as_array()
                    .is_some_and(|cs| {
                        cs.iter().any(|c| {
                            c["name"] == "plugin-barman-cloud"
                                && c["lastState"]["terminated"]["reason"] == "OOMKilled"
                                && c["restartCount"].as_u64().is_some_and(|n| n >= 1)
                        })
                    })
            })
    });
    let main = wait_log(
        &s,
        NS,
        &name_of(&pod),
        "full-recovery",
        "Error while restoring a backup",
    );
    assert!(
        main.contains("rpc error: code = Unavailable desc = error reading from server: EOF"),
        "{main}"
    );
}

#[test]
fn a_corrupt_newest_backup_is_retried_until_the_backoff_limit_and_a_pinned_older_one_restores() {
    let (s, _dir) =
        sim("    retryBackoff: 10ms\n    step: 5ms\n    corruptBackups: [20261124T020005]\n");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    let cluster = wait_phase(
        &s,
        NS,
        "pg-orders-drill",
        "Cluster is unrecoverable and needs manual intervention",
    );
    assert_eq!(
        cluster["status"]["phaseReason"],
        "Instance creation failed for the following jobs: pg-orders-drill-1-full-recovery. Check the job logs to investigate the cause of the failure."
    );
    let job = get(&s, "jobs", NS, "pg-orders-drill-1-full-recovery").expect("job");
    let failed = job["status"]["conditions"]
        .as_array()
        .expect("conditions")
        .iter()
        .find(|c| c["type"] == "Failed")
        .expect("Failed")
        .clone();
    assert_eq!(
        (failed["status"].as_str(), failed["reason"].as_str()),
        (Some("True"), Some("BackoffLimitExceeded"))
    );
    assert_eq!(
        failed["message"],
        "Job has reached the specified backoff limit"
    );
    assert_eq!(job["status"]["failed"], 7);
    assert_eq!(
        pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery").len(),
        7
    );
    let pod = name_of(&pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery")[0]);
    let log = logs(&s, NS, &pod, "full-recovery");
    assert!(
        log.contains(r#""message":"WAL ends before end of online backup""#),
        "{log}"
    );
    let ev = events(&s, NS);
    assert!(
        ev.iter()
            .any(|e| e.0 == "Warning" && e.1 == "BackoffLimitExceeded"),
        "{ev:?}"
    );

    // The drill again, pinned to the backup before.
    ok(&s, &["delete", "namespace", NS]);
    let rec =
        "      recoveryTarget:\n        backupID: 20261123T020010\n        targetImmediate: true\n";
    apply(
        &s,
        &drill("backstop-drill-pg-orders-d4e5f6", rec, "", "1Gi", KEYS),
    );
    wait_phase(
        &s,
        "backstop-drill-pg-orders-d4e5f6",
        "pg-orders-drill",
        "Cluster in healthy state",
    );
}

#[test]
fn a_stuck_bootstrap_in_the_init_container_shape_ends_unrecoverable() {
    let (s, _dir) = sim(
        "    shape: initContainer\n    retryBackoff: 10ms\n    step: 5ms\n    corruptBackups: [20261124T020005]\n",
    );
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    wait_phase(
        &s,
        NS,
        "pg-orders-drill",
        "Cluster is unrecoverable and needs manual intervention",
    );
    let pod = get(&s, "pods", NS, "pg-orders-drill-1").expect("pod");
    let boot = pod["status"]["initContainerStatuses"]
        .as_array()
        .expect("statuses")
        .iter()
        .find(|c| c["name"] == "bootstrap-instance")
        .expect("bootstrap-instance")
        .clone();
    assert_eq!(boot["state"]["waiting"]["reason"], "CrashLoopBackOff");
    assert_eq!(boot["restartCount"], 7);
    let previous = kubectl_in(
        &s,
        &[
            "logs",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "bootstrap-instance",
            "--previous",
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&previous.stdout).contains("WAL ends before end of online backup")
    );
    assert!(
        events(&s, NS)
            .iter()
            .any(|e| e.0 == "Warning" && e.1 == "BackOff")
    );
}

#[test]
fn deleting_the_scratch_namespace_mid_recovery_leaves_nothing_behind() {
    let (s, _dir) = sim("    step: 100ms\n");
    // A second drill started alongside is the clock: once it converged, the deleted one
    // would have made all its objects, had it gone on.
    let other = "backstop-drill-pg-orders-0f0f0f";
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    eventually("the recovery Job's pod", WAIT, || {
        (!pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery").is_empty()).then_some(())
    });
    apply(&s, &drill(other, "", "", "1Gi", KEYS));
    ok(&s, &["delete", "namespace", NS]);
    wait_phase(&s, other, "pg-orders-drill", "Cluster in healthy state");
    let left = ok(
        &s,
        &[
            "get",
            "all,pvc,events,clusters.postgresql.cnpg.io",
            "-n",
            NS,
            "-o",
            "name",
        ],
    );
    assert_eq!(left.trim(), "", "left in {NS}: {left}");
    assert!(get(&s, "namespace", "", NS).is_none());
    // kubectl delete of the other namespace leaves nothing either, recovery finished or not.
    ok(&s, &["delete", "namespace", other]);
    let all = ok(&s, &["get", "all", "-A"]);
    assert!(!all.contains(other) && !all.contains(NS), "{all}");
}

#[test]
fn the_restore_drill_scenario_fails_from_the_latest_point_and_restores_from_the_backup_before() {
    let s = Served::start("restore-drill");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    let log = wait_log(
        &s,
        NS,
        "pg-orders-drill-1-full-recovery",
        "full-recovery",
        r#""message":"WAL ends before end of online backup""#,
    );
    assert!(log.contains(r#""hint":"All WAL generated while online backup was taken must be available at recovery.""#), "{log}");
    assert_eq!(phase(&s, NS, "pg-orders-drill"), "Setting up primary");
    let pinned = "backstop-drill-pg-orders-d4e5f6";
    let rec =
        "      recoveryTarget:\n        backupID: 20261123T020010\n        targetImmediate: true\n";
    apply(&s, &drill(pinned, rec, "", "1Gi", KEYS));
    let cluster = wait_phase(&s, pinned, "pg-orders-drill", "Cluster in healthy state");
    assert_eq!(cluster["status"]["timelineID"], 4);
    let pod = name_of(&pods_of_job(&s, pinned, "pg-orders-drill-1-full-recovery")[0]);
    let main = logs(&s, pinned, &pod, "full-recovery");
    assert!(
        main.contains("recovery stopping after reaching consistency"),
        "{main}"
    );
    // The planted defect is the only one: the first drill is still retrying, not converged.
    assert_eq!(phase(&s, NS, "pg-orders-drill"), "Setting up primary");
}

#[test]
fn following_the_restore_log_streams_it_live_and_ends_with_the_container() {
    let (s, _dir) = sim("    step: 100ms\n");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    let pod = eventually("the restore container running", WAIT, || {
        pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery")
            .into_iter()
            .find(|p| p["status"]["containerStatuses"][0]["state"]["running"].is_object())
    });
    let out = kubectl_in(
        &s,
        &[
            "logs",
            "-f",
            "-n",
            NS,
            &name_of(&pod),
            "-c",
            "full-recovery",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(log.contains(r#""msg":"Starting webserver""#), "{log}");
    assert!(log.trim_end().ends_with(r#""msg":"restore command execution completed without errors","logging_pod":"pg-orders-drill-1-full-recovery"}"#), "{log}");
}

#[test]
fn a_name_reference_to_a_missing_backup_is_a_warning_event_and_a_failing_restore() {
    let (s, _dir) = sim("    retryBackoff: 30s\n");
    apply(
        &s,
        "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-orders-restore\n  namespace: orders\nspec:\n  instances: 1\n  storage:\n    size: 10Gi\n  bootstrap:\n    recovery:\n      backup:\n        name: pg-orders-gone\n",
    );
    let log = wait_log(
        &s,
        "orders",
        "pg-orders-restore-1-full-recovery",
        "full-recovery",
        "restore error",
    );
    assert!(
        log.contains(
            r#"while restoring cluster: backups.postgresql.cnpg.io \"pg-orders-gone\" not found"#
        ),
        "{log}"
    );
    let ev = events(&s, "orders");
    assert!(
        ev.iter().any(|e| e.0 == "Warning"
            && e.1 == "ErrorNoBackup"
            && e.2 == "Backup object \"orders/pg-orders-gone\" is missing"),
        "{ev:?}"
    );
}

/// A drill converged on a simulator whose scenario names a real PostgreSQL for exec.
/// The PostgreSQL comes last: it stops (its drop) before its folder goes.
fn with_postgres() -> (Served, tempfile::TempDir, tempfile::TempDir, real::Pg) {
    let pgdir = tempfile::tempdir().expect("temp dir");
    let mut pg = real::Pg::init(&pgdir.path().join("pg"));
    pg.start();
    pg.sql("CREATE TABLE orders (id int); INSERT INTO orders SELECT generate_series(1, 42)");
    let (s, dir) = sim(&format!(
        "    postgres:\n      host: 127.0.0.1\n      port: \"{}\"\n      user: postgres\n",
        pg.port
    ));
    (s, dir, pgdir, pg)
}

#[test]
fn verification_sql_runs_through_pods_exec_against_the_scenarios_postgres() {
    let (s, _dir, _pgdir, _pg) = with_postgres();
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");

    // kubectl exec, as an engineer checks by hand (websocket, v5.channel.k8s.io).
    let out = ok(
        &s,
        &[
            "exec",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "postgres",
            "--",
            "psql",
            "-U",
            "app",
            "-d",
            "app",
            "-At",
            "-c",
            "select count(*) from orders",
        ],
    );
    assert_eq!(out.trim(), "42");
    let bad = kubectl_in(
        &s,
        &[
            "exec",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "postgres",
            "--",
            "psql",
            "-At",
            "-c",
            "select * from nowhere",
        ],
        None,
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("relation \"nowhere\" does not exist"));

    // SQL on stdin, as `kubectl exec -i ... < verify.sql`.
    let piped = kubectl_in(
        &s,
        &[
            "exec",
            "-i",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "postgres",
            "--",
            "psql",
            "-At",
        ],
        Some("select sum(id) from orders;\n"),
    );
    assert_eq!(
        String::from_utf8_lossy(&piped.stdout).trim(),
        "903",
        "{}",
        String::from_utf8_lossy(&piped.stderr)
    );

    // kube's Api::exec, as backstop's drill runs a verification file: the SQL as psql's
    // -c (every statement's result printed, PostgreSQL 15+), the exit status in the Status.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let within = rt.block_on(async {
        tokio::time::timeout(WAIT, async {
            use k8s_openapi::api::core::v1::Pod;
            use kube::api::{Api, AttachParams};
            use tokio::io::AsyncReadExt;
            let kc = kube::config::Kubeconfig::read_from(&s.kubeconfig).expect("kubeconfig");
            let config = kube::Config::from_custom_kubeconfig(kc, &Default::default())
                .await
                .expect("config");
            let client = kube::Client::try_from(config).expect("client");
            let pods: Api<Pod> = Api::namespaced(client, NS);
            let ap = AttachParams::default()
                .container("postgres")
                .stdout(true)
                .stderr(true);
            let sql = "select sum(id) from orders;\nselect 'verified';\n";
            let mut proc = pods
                .exec(
                    "pg-orders-drill-1",
                    ["psql", "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
                    &ap,
                )
                .await
                .expect("exec starts");
            let mut out = String::new();
            proc.stdout()
                .expect("stdout")
                .read_to_string(&mut out)
                .await
                .expect("stdout read");
            let status = proc.take_status().expect("status").await.expect("a status");
            assert_eq!(status.status.as_deref(), Some("Success"), "{status:?}");
            assert_eq!(out, "903\nverified\n");

            let mut failing = pods
                .exec(
                    "pg-orders-drill-1",
                    ["psql", "-At", "-v", "ON_ERROR_STOP=1", "-c", "select 1/0"],
                    &ap,
                )
                .await
                .expect("exec starts");
            let mut err = String::new();
            failing
                .stderr()
                .expect("stderr")
                .read_to_string(&mut err)
                .await
                .expect("stderr read");
            let status = failing
                .take_status()
                .expect("status")
                .await
                .expect("a status");
            assert_eq!(
                status.reason.as_deref(),
                Some("NonZeroExitCode"),
                "{status:?}"
            );
            assert!(err.contains("division by zero"), "{err}");
        })
        .await
    });
    assert!(within.is_ok(), "kube's exec ended within {WAIT:?}");
}

#[test]
fn exec_without_a_scenario_postgres_or_with_another_command_is_a_clear_refusal() {
    let (s, _dir) = sim("");
    apply(&s, &drill(NS, "", "", "1Gi", KEYS));
    wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");
    let out = kubectl_in(
        &s,
        &[
            "exec",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "postgres",
            "--",
            "psql",
            "-c",
            "select 1",
        ],
        None,
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("names none in spec.recovery.postgres")
            || err.contains("this scenario names none"),
        "{err}"
    );
    let out = kubectl_in(
        &s,
        &[
            "exec",
            "-n",
            NS,
            "pg-orders-drill-1",
            "-c",
            "postgres",
            "--",
            "sh",
            "-c",
            "id",
        ],
        None,
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the simulator runs only psql through pods/exec"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_in_tree_source_restores_in_the_recovery_container_without_a_sidecar() {
    let (s, _dir) = sim("");
    let yaml = drill(NS, "", "", "1Gi", KEYS).replace(
        "    plugin:\n      name: barman-cloud.cloudnative-pg.io\n      parameters:\n        barmanObjectName: pg-orders-s3\n        serverName: pg-orders\n",
        "    barmanObjectStore:\n      destinationPath: s3://acme-prod-pg-backups/orders/\n      serverName: pg-orders\n      s3Credentials:\n        accessKeyId: {name: pg-orders-s3-creds, key: ACCESS_KEY_ID}\n        secretAccessKey: {name: pg-orders-s3-creds, key: ACCESS_SECRET_KEY}\n",
    );
    apply(&s, &yaml);
    wait_phase(&s, NS, "pg-orders-drill", "Cluster in healthy state");
    let pods = pods_of_job(&s, NS, "pg-orders-drill-1-full-recovery");
    let inits = pods[0]["spec"]["initContainers"]
        .as_array()
        .expect("inits")
        .len();
    assert_eq!(inits, 1, "only bootstrap-controller: no plugin sidecar");
    let main = logs(&s, NS, &name_of(&pods[0]), "full-recovery");
    assert!(!main.contains("Restore through plugin detected"), "{main}");
    assert!(main.contains(r#""msg":"Recovering from external cluster","logging_pod":"pg-orders-drill-1-full-recovery","sourceName":"pg-orders""#), "{main}");
    assert!(
        main.contains(r#""logger":"barman-cloud-restore""#),
        "{main}"
    );
    assert!(
        main.contains(r#""message":"selected new timeline ID: 4""#),
        "{main}"
    );
}
