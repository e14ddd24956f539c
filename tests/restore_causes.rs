//! Each cause of a failing restore, planted in the simulator's recovery (which plays
//! CloudNativePG and the Barman Cloud plugin), ends the restore-failing tree at its own
//! leaf when walked on autopilot against the live cluster, through the real binary.

mod common;

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Served, eventually};
use serde_json::{Value, json};

fn run(mut cmd: Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    if let Some(mut w) = child.stdin.take() {
        let _ = w.write_all(stdin.unwrap_or("").as_bytes());
    }
    child.wait_with_output().expect("the command ends")
}

fn kubectl(s: &Served, args: &[&str], stdin: Option<&str>) -> String {
    let mut cmd = Command::new("kubectl");
    cmd.arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--cache-dir")
        .arg(s.dir.path().join("kube-cache"))
        .args(args);
    let out = run(cmd, stdin);
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn walk(s: &Served) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
    cmd.arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args(["trees", "walk", "restore-failing"]);
    let out = run(cmd, None);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A recovery Cluster in orders restoring pg-orders' archive from `store` under `server`.
fn restoring(name: &str, store: &str, server: &str, target: Value, extra: Value) -> Value {
    let mut c = json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": name, "namespace": "orders"},
        "spec": {
            "instances": 1,
            "bootstrap": {"recovery": {"source": "origin", "recoveryTarget": target}},
            "externalClusters": [{"name": "origin", "plugin": {
                "name": "barman-cloud.cloudnative-pg.io",
                "parameters": {"barmanObjectName": store, "serverName": server}}}],
        },
    });
    if let (Some(spec), Some(more)) = (c["spec"].as_object_mut(), extra.as_object()) {
        for (k, v) in more {
            spec.insert(k.clone(), v.clone());
        }
    }
    c
}

/// pg-orders' ObjectStore under another name, changed by `change`.
fn store_like(s: &Served, name: &str, change: impl Fn(&mut Value)) -> Value {
    let mut o: Value = serde_json::from_str(&kubectl(
        s,
        &[
            "get",
            "objectstore",
            "pg-orders-s3",
            "-n",
            "orders",
            "-o",
            "json",
        ],
        None,
    ))
    .expect("the ObjectStore as JSON");
    o["metadata"] = json!({"name": name, "namespace": "orders"});
    if let Some(st) = o.as_object_mut() {
        st.remove("status");
    }
    change(&mut o);
    o
}

/// The good backup before the scenario's corrupt newest one.
const GOOD: &str = "20261123T020010";

fn ends_at(objects: &[Value], leaf: &str) {
    let s = Served::start("restore-drill");
    for o in objects {
        kubectl(&s, &["apply", "-f", "-"], Some(&o.to_string()));
    }
    let said = eventually(
        &format!("the walk to end at {leaf}"),
        Duration::from_secs(60),
        || {
            let out = walk(&s);
            out.contains(&format!("Diagnosis [{leaf}]")).then_some(out)
        },
    );
    assert!(said.contains("Finding: RST"), "{said}");
}

#[test]
fn an_archive_under_the_sources_server_name_is_expected_empty_archive() {
    let archives = json!({"plugins": [{"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
        "parameters": {"barmanObjectName": "pg-orders-s3", "serverName": "pg-orders"}}]});
    ends_at(
        &[restoring(
            "again",
            "pg-orders-s3",
            "pg-orders",
            json!({"backupID": GOOD}),
            archives,
        )],
        "archive-not-empty",
    );
}

#[test]
fn a_plugin_backup_named_in_backup_name_is_its_leaf() {
    let c = json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"name": "byname", "namespace": "orders"},
        "spec": {"instances": 1, "bootstrap": {"recovery": {"backup": {"name": "pg-orders-daily-20261123020000"}}}}});
    ends_at(&[c], "backup-by-name");
}

#[test]
fn a_server_name_the_store_does_not_hold_is_a_source_it_cannot_read() {
    ends_at(
        &[restoring(
            "nobody",
            "pg-orders-s3",
            "nobody",
            json!({"backupID": GOOD}),
            json!({}),
        )],
        "source-wrong",
    );
}

#[test]
fn missing_credentials_are_a_source_it_cannot_read() {
    let store = |s: &Served| {
        store_like(s, "nocreds", |o| {
            o["spec"]["configuration"]["s3Credentials"] = json!({
                "accessKeyId": {"name": "gone", "key": "ACCESS_KEY_ID"},
                "secretAccessKey": {"name": "gone", "key": "ACCESS_SECRET_KEY"}});
        })
    };
    let s = Served::start("restore-drill");
    let objects = [
        store(&s),
        restoring(
            "nocreds",
            "nocreds",
            "pg-orders",
            json!({"backupID": GOOD}),
            json!({}),
        ),
    ];
    drop(s);
    ends_at(&objects, "source-wrong");
}

#[test]
fn a_target_after_the_archive_never_converges() {
    ends_at(
        &[restoring(
            "future",
            "pg-orders-s3",
            "pg-orders",
            json!({"targetTime": "2099-01-01T00:00:00Z"}),
            json!({}),
        )],
        "target-beyond-archive",
    );
}

#[test]
fn a_restore_sidecar_sized_for_archiving_is_oomkilled() {
    let s = Served::start("restore-drill");
    let small = store_like(&s, "small", |o| {
        o["spec"]["instanceSidecarConfiguration"] =
            json!({"resources": {"limits": {"memory": "128Mi"}}});
    });
    drop(s);
    ends_at(
        &[
            small,
            restoring(
                "small",
                "small",
                "pg-orders",
                json!({"backupID": GOOD}),
                json!({}),
            ),
        ],
        "sidecar-oom",
    );
}

#[test]
fn a_base_backup_that_does_not_restore_is_retried_until_it_is_named() {
    ends_at(
        &[restoring(
            "latest",
            "pg-orders-s3",
            "pg-orders",
            json!({}),
            json!({}),
        )],
        "bad-backup",
    );
}
