//! The simulator through the real kubectl over loopback: what an engineer types during an
//! incident must work against the demo cluster exactly as against a real one.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{Served, eventually, fixture};

fn kubectl(served: &Served, args: &[&str]) -> Output {
    let cache = served.dir.path().join("kube-cache");
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs: install kubectl 1.32 (the CI machine has it)")
}

/// Runs kubectl and returns its stdout, failing the test with stderr when it fails.
fn ok(served: &Served, args: &[&str]) -> String {
    let out = kubectl(served, args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl {} failed: {}{}",
        args.join(" "),
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn header(table: &str) -> Vec<String> {
    table
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

#[test]
fn get_pods_by_label_prints_ready_status_restarts() {
    let s = Served::start(&fixture("mini.yaml"));
    let out = ok(&s, &["get", "pods", "-n", "demo", "-l", "app=web"]);
    assert_eq!(header(&out), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]);
    let rows: Vec<&str> = out.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{out}");
    assert!(
        rows[0].starts_with("web-0") && rows[0].contains("1/1") && rows[0].contains("Running"),
        "{out}"
    );
    let all = ok(
        &s,
        &["get", "pods", "-n", "demo", "-l", "app in (web,postgres)"],
    );
    assert!(
        all.contains("pg-1") && all.contains("3/3") && all.contains("2 ("),
        "sidecars count and restarts show their age: {all}"
    );
}

#[test]
fn get_custom_kinds_across_namespaces_shows_printer_columns() {
    let s = Served::start(&fixture("mini.yaml"));
    let out = ok(&s, &["get", "backups.postgresql.cnpg.io", "-A"]);
    assert_eq!(
        header(&out),
        [
            "NAMESPACE",
            "NAME",
            "AGE",
            "CLUSTER",
            "METHOD",
            "PHASE",
            "ERROR"
        ]
    );
    assert!(
        out.lines()
            .any(|l| l.contains("pg-backup-1") && l.contains("plugin") && l.contains("completed")),
        "{out}"
    );
}

#[test]
fn describe_shows_events() {
    let s = Served::start(&fixture("mini.yaml"));
    let out = ok(&s, &["describe", "pod", "web-0", "-n", "demo"]);
    assert!(out.contains("Name:         web-0"), "{out}");
    let events = out.split("Events:").nth(1).unwrap_or("");
    assert!(
        events.contains("Pulled") && events.contains("already present on machine"),
        "{out}"
    );
}

#[test]
fn logs_tail_and_container_choice() {
    let s = Served::start(&fixture("mini.yaml"));
    assert_eq!(
        ok(&s, &["logs", "web-0", "-n", "demo", "--tail=1"]),
        "GET / 200\n"
    );
    let sidecar = ok(
        &s,
        &[
            "logs",
            "pg-1",
            "-n",
            "demo",
            "-c",
            "plugin-barman-cloud",
            "--tail=1",
        ],
    );
    assert_eq!(sidecar.lines().count(), 1, "{sidecar}");
    let prev = kubectl(&s, &["logs", "web-0", "-n", "demo", "--previous"]);
    assert!(!prev.status.success());
    assert!(
        String::from_utf8_lossy(&prev.stderr)
            .contains("previous terminated container \"app\" in pod \"web-0\" not found")
    );
}

#[test]
fn annotate_patch_create_delete() {
    let s = Served::start(&fixture("mini.yaml"));
    ok(
        &s,
        &[
            "annotate",
            "pod",
            "web-0",
            "-n",
            "demo",
            "example.com/note=hello",
            "--overwrite",
        ],
    );
    let note = ok(
        &s,
        &[
            "get",
            "pod",
            "web-0",
            "-n",
            "demo",
            "-o",
            "jsonpath={.metadata.annotations.example\\.com/note}",
        ],
    );
    assert_eq!(note, "hello");

    ok(
        &s,
        &[
            "patch",
            "backups.postgresql.cnpg.io",
            "pg-backup-1",
            "-n",
            "demo",
            "--type=merge",
            "-p",
            r#"{"metadata":{"labels":{"team":"db"}}}"#,
        ],
    );
    let label = ok(
        &s,
        &[
            "get",
            "backup",
            "pg-backup-1",
            "-n",
            "demo",
            "-o",
            "jsonpath={.metadata.labels.team}",
        ],
    );
    assert_eq!(label, "db");
    // The default patch type is strategic merge, which real servers refuse for custom resources.
    let refused = kubectl(
        &s,
        &[
            "patch",
            "backup",
            "pg-backup-1",
            "-n",
            "demo",
            "-p",
            r#"{"metadata":{"labels":{"x":"y"}}}"#,
        ],
    );
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not supported"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    let manifest = s.dir.path().join("backup.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: postgresql.cnpg.io/v1\nkind: Backup\nmetadata:\n  name: manual-1\n  namespace: demo\nspec:\n  cluster: {name: pg}\n  method: plugin\n  pluginConfiguration: {name: barman-cloud.cloudnative-pg.io}\n",
    )
    .expect("manifest written");
    let created = ok(&s, &["create", "-f", path(&manifest)]);
    assert_eq!(created.trim(), "backup.postgresql.cnpg.io/manual-1 created");
    let deleted = ok(&s, &["delete", "backup", "manual-1", "-n", "demo"]);
    assert_eq!(
        deleted.trim(),
        "backup.postgresql.cnpg.io \"manual-1\" deleted"
    );
    let gone = kubectl(&s, &["get", "backup", "manual-1", "-n", "demo"]);
    assert!(String::from_utf8_lossy(&gone.stderr).contains("NotFound"));
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temp paths are UTF-8")
}

#[test]
fn get_watch_sees_a_timeline_change() {
    let s = Served::start(&fixture("mini.yaml"));
    // The mini timeline labels web-0 one second in and creates a backup half a second later.
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .args([
            "--cache-dir",
            path(&s.dir.path().join("watch-cache")),
            "get",
            "backups",
            "-n",
            "demo",
            "-w",
            "--no-headers",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl get -w starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let found = eventually(
        "kubectl -w printing the timeline's backup",
        Duration::from_secs(20),
        || {
            while let Ok(l) = rx.try_recv() {
                lines.push(l);
            }
            lines
                .iter()
                .find(|l| l.starts_with("pg-2") && l.contains("started"))
                .cloned()
        },
    );
    assert!(found.contains("plugin"), "{found}");
    assert!(
        child.try_wait().expect("status").is_none(),
        "the watch stays open"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// `kubectl create namespace NAME` sends protobuf, which the simulator does not read: the
/// answer says so and what works, and what it says works.
#[test]
fn a_typed_create_is_told_what_to_do_instead() {
    let s = Served::start(&fixture("mini.yaml"));
    let out = kubectl(&s, &["create", "namespace", "typed"]);
    assert!(!out.status.success());
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(said.contains("UnsupportedMediaType"), "{said}");
    assert!(said.contains("--dry-run=client -o yaml"), "{said}");
    let yaml = ok(
        &s,
        &[
            "create",
            "namespace",
            "typed",
            "--dry-run=client",
            "-o",
            "yaml",
        ],
    );
    let file = s.dir.path().join("ns.yaml");
    std::fs::write(&file, yaml).expect("the manifest");
    ok(&s, &["apply", "-f", &file.to_string_lossy()]);
    assert!(ok(&s, &["get", "namespace", "typed"]).contains("Active"));
}
