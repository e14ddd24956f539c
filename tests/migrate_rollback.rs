//! `backstop migrate rollback` against the simulator, checked with the real kubectl: the
//! saved in-tree spec comes back, Flux is suspended first, a test backup is taken; refused
//! in read-only mode and without a terminal unless --yes; a file for another Cluster is an
//! error naming the file and the line.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::Served;

fn kubectl(s: &Served, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--cache-dir")
        .arg(s.dir.path().join("kube-cache"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl {}: {stdout}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

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

/// The pre-migration file as `backstop migrate plan` writes it: the Cluster as it was
/// before (in-tree barmanObjectStore, no plugin), then its ScheduledBackup.
fn save_legacy(s: &Served, dir: &Path) {
    let live = kubectl(
        s,
        &["get", "cluster", "-n", "orders", "pg-orders", "-o", "json"],
    );
    let mut c: serde_json::Value = serde_json::from_str(&live).expect("Cluster JSON");
    c.as_object_mut().expect("object").remove("status");
    let meta = c["metadata"].as_object_mut().expect("metadata");
    for k in [
        "resourceVersion",
        "uid",
        "generation",
        "creationTimestamp",
        "managedFields",
    ] {
        meta.remove(k);
    }
    let spec = c["spec"].as_object_mut().expect("spec");
    spec.remove("plugins");
    spec.insert(
        "backup".into(),
        serde_json::json!({
            "retentionPolicy": "30d",
            "barmanObjectStore": {
                "destinationPath": "s3://acme-prod-pg-backups/orders/",
                "s3Credentials": {
                    "accessKeyId": {"name": "pg-orders-s3-creds", "key": "ACCESS_KEY_ID"},
                    "secretAccessKey": {"name": "pg-orders-s3-creds", "key": "ACCESS_SECRET_KEY"}
                },
                "wal": {"compression": "gzip"}
            }
        }),
    );
    let cluster = serde_yaml::to_string(&c).expect("YAML");
    let file = dir.join("orders").join("pg-orders.pre-migration.yaml");
    std::fs::create_dir_all(file.parent().expect("parent")).expect("backup dir");
    std::fs::write(
        &file,
        format!(
            "# Saved by backstop migrate plan at 2026-12-04T09:00:00Z from context sim\n# Managed by Flux Kustomization flux-system/apps-postgresql\n---\n{cluster}---\napiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: pg-orders-daily\n  namespace: orders\nspec:\n  schedule: '0 0 2 * * *'\n  backupOwnerReference: self\n  method: barmanObjectStore\n  cluster:\n    name: pg-orders\n"
        ),
    )
    .expect("the saved file");
}

#[test]
fn refused_in_read_only_mode_and_without_a_terminal_unless_yes_and_a_wrong_file_is_named() {
    let s = Served::start("healthy");
    let dir = s.dir.path().join("saved");
    save_legacy(&s, &dir);
    let from = dir.to_str().expect("utf-8");
    let (code, out, err) = backstop(
        &s,
        &[
            "--read-only",
            "migrate",
            "rollback",
            "orders/pg-orders",
            "--from",
            from,
            "--yes",
        ],
    );
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(err.contains("refused in read-only mode"), "{err}");
    // Read-only for this context in the config file.
    let config = s.dir.path().join("config.yaml");
    std::fs::write(&config, "contexts:\n  sim:\n    read_only: true\n").expect("config");
    let (code, _, err) = backstop(
        &s,
        &[
            "migrate",
            "rollback",
            "orders/pg-orders",
            "--from",
            from,
            "--yes",
            "--config",
            config.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("refused in read-only mode"), "{err}");
    let (code, _, err) = backstop(
        &s,
        &["migrate", "rollback", "orders/pg-orders", "--from", from],
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains("pass --yes to run it without a terminal"),
        "{err}"
    );
    // The saved file of another Cluster, put where this one's belongs.
    let file = dir.join("orders").join("pg-orders.pre-migration.yaml");
    let text = std::fs::read_to_string(&file).expect("saved file");
    std::fs::write(
        &file,
        text.replacen("name: pg-orders\n", "name: pg-other\n", 1),
    )
    .expect("rewritten");
    let (code, _, err) = backstop(
        &s,
        &[
            "migrate",
            "rollback",
            "orders/pg-orders",
            "--from",
            from,
            "--yes",
        ],
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(
        err.contains(&format!(
            "{}:4: the Cluster is pg-other, not pg-orders: this file is for another cluster",
            file.display()
        )),
        "{err}"
    );
    // Nothing was changed.
    let plugins = kubectl(
        &s,
        &[
            "get",
            "cluster",
            "-n",
            "orders",
            "pg-orders",
            "-o",
            "jsonpath={.spec.plugins[0].name}",
        ],
    );
    assert_eq!(plugins, "barman-cloud.cloudnative-pg.io");
}

#[test]
fn the_saved_in_tree_spec_comes_back_with_flux_suspended_and_a_test_backup() {
    let s = Served::start("healthy");
    let dir = s.dir.path().join("saved");
    save_legacy(&s, &dir);
    let (code, out, err) = backstop(
        &s,
        &[
            "migrate",
            "rollback",
            "orders/pg-orders",
            "--from",
            dir.to_str().expect("utf-8"),
            "--yes",
            "--timeout",
            "10s",
        ],
    );
    // The simulator does not roll the pods: the sidecar stays, a warning.
    assert!(matches!(code, Some(0) | Some(1)), "{out}{err}");
    assert!(out.contains("step 1/4: suspend Flux: done — Kustomization flux-system/apps-postgresql suspended (flux suspend kustomization apps-postgresql -n flux-system)"), "{out}");
    assert!(out.contains("Cluster orders/pg-orders: barman-cloud.cloudnative-pg.io (ObjectStore pg-orders-s3, server pg-orders) -> in-tree barmanObjectStore (s3://acme-prod-pg-backups/orders/, server pg-orders)"), "{out}");
    assert!(
        out.contains("spec.plugins: goes") && out.contains("spec.backup: comes back"),
        "{out}"
    );
    assert!(
        out.contains("ScheduledBackup pg-orders-daily: method plugin -> barmanObjectStore"),
        "{out}"
    );
    assert!(out.contains("step 2/4: restore the saved spec: done — Cluster orders/pg-orders spec restored; ScheduledBackup pg-orders-daily restored"), "{out}");
    assert!(
        out.contains("step 3/4: wait for the Cluster: ") && out.contains("healthy"),
        "{out}"
    );
    assert!(
        out.contains("step 4/4: test backup: done — Backup pg-orders-rollback-test-"),
        "{out}"
    );
    assert!(
        out.contains("`flux resume kustomization apps-postgresql -n flux-system`"),
        "{out}"
    );
    // As kubectl sees it.
    let spec = kubectl(
        &s,
        &["get", "cluster", "-n", "orders", "pg-orders", "-o", "json"],
    );
    let c: serde_json::Value = serde_json::from_str(&spec).expect("JSON");
    assert_eq!(
        c.pointer("/spec/backup/barmanObjectStore/destinationPath"),
        Some(&serde_json::json!("s3://acme-prod-pg-backups/orders/"))
    );
    assert_eq!(
        c.pointer("/spec/backup/retentionPolicy"),
        Some(&serde_json::json!("30d"))
    );
    assert!(
        c.pointer("/spec/plugins")
            .is_none_or(|p| p.as_array().is_some_and(|a| a.is_empty())),
        "{spec}"
    );
    let suspended = kubectl(
        &s,
        &[
            "get",
            "kustomization",
            "-n",
            "flux-system",
            "apps-postgresql",
            "-o",
            "jsonpath={.spec.suspend}",
        ],
    );
    assert_eq!(suspended, "true");
    let method = kubectl(
        &s,
        &[
            "get",
            "scheduledbackup",
            "-n",
            "orders",
            "pg-orders-daily",
            "-o",
            "jsonpath={.spec.method}",
        ],
    );
    assert_eq!(method, "barmanObjectStore");
    let backups = kubectl(
        &s,
        &[
            "get",
            "backups",
            "-n",
            "orders",
            "-o",
            "jsonpath={range .items[*]}{.metadata.name} {.spec.method} {.status.phase}{\"\\n\"}{end}",
        ],
    );
    let test: Vec<&str> = backups
        .lines()
        .filter(|l| l.starts_with("pg-orders-rollback-test-"))
        .collect();
    assert_eq!(test.len(), 1, "{backups}");
    assert!(
        test[0].ends_with(" barmanObjectStore completed"),
        "{backups}"
    );
}

/// At a terminal each step is asked: y does it, q stops there, and the account says what
/// was done and what was not.
#[test]
fn at_a_terminal_each_step_is_asked_and_q_stops_with_an_account() {
    let s = Served::start("healthy");
    let dir = s.dir.path().join("saved");
    save_legacy(&s, &dir);
    let command = format!(
        "{} --kubeconfig {} --log-file {} migrate rollback orders/pg-orders --from {}",
        env!("CARGO_BIN_EXE_backstop"),
        s.kubeconfig.display(),
        s.dir.path().join("backstop.log").display(),
        dir.display()
    );
    let t = common::Tmux::start("rollback-q", 220, 60, &[], &command);
    let within = std::time::Duration::from_secs(30);
    t.wait_for("Do step 1/4: suspend Flux? [y/n/q]", within);
    t.keys(&["y", "Enter"]);
    t.wait_for("Do step 2/4: restore the saved spec? [y/n/q]", within);
    t.keys(&["q", "Enter"]);
    let screen = t.wait_for("backstop-exited-", within);
    assert!(screen.contains("backstop-exited-1"), "{screen}");
    assert!(screen.contains("step 1/4: suspend Flux: done"), "{screen}");
    assert!(
        screen.contains("step 2/4: restore the saved spec: stopped — Cluster orders/pg-orders left as it is (migrated)"),
        "{screen}"
    );
    assert!(
        screen.contains("step 3/4: wait for the Cluster: stopped — not run"),
        "{screen}"
    );
    assert!(
        screen.contains("step 4/4: test backup: stopped — not run"),
        "{screen}"
    );
    let plugins = kubectl(
        &s,
        &[
            "get",
            "cluster",
            "-n",
            "orders",
            "pg-orders",
            "-o",
            "jsonpath={.spec.plugins[0].name}",
        ],
    );
    assert_eq!(plugins, "barman-cloud.cloudnative-pg.io");
    let suspended = kubectl(
        &s,
        &[
            "get",
            "kustomization",
            "-n",
            "flux-system",
            "apps-postgresql",
            "-o",
            "jsonpath={.spec.suspend}",
        ],
    );
    assert_eq!(suspended, "true");
    drop(t);

    // Ctrl-C at a prompt stops the same way; Flux, already suspended, is not asked about.
    let t = common::Tmux::start("rollback-c", 220, 60, &[], &command);
    t.wait_for("Do step 2/4: restore the saved spec? [y/n/q]", within);
    t.keys(&["C-c"]);
    let screen = t.wait_for("backstop-exited-", within);
    assert!(screen.contains("backstop-exited-1"), "{screen}");
    assert!(
        screen.contains("step 1/4: suspend Flux: done — Kustomization flux-system/apps-postgresql was already suspended"),
        "{screen}"
    );
    assert!(
        screen.contains("step 2/4: restore the saved spec: stopped"),
        "{screen}"
    );
    assert!(
        screen.contains("step 4/4: test backup: stopped — not run"),
        "{screen}"
    );
}
