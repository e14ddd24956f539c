//! `backstop restore` against the simulator, through the binary and the real kubectl: every
//! plan the planner writes for a built-in Cluster is accepted by the CRD schemas the
//! simulator enforces, targets outside the window are refused with the reason, and a drill
//! is refused in read-only mode and leaves nothing behind.

mod common;

use std::process::{Command, Output, Stdio};

use backstop::sim::scenario;
use common::{Served, fixture};

fn backstop(s: &Served, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args(args)
        .current_dir(s.dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("backstop runs")
}

fn kubectl(s: &Served, args: &[&str], stdin: Option<&str>) -> Output {
    s.kubectl(args, stdin.unwrap_or(""))
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The Clusters of the scenario that archive somewhere (plugin or in-tree).
fn archiving_clusters(s: &Served) -> Vec<(String, String)> {
    let out = kubectl(
        s,
        &[
            "get",
            "clusters.postgresql.cnpg.io",
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name} {.spec.plugins[*].name}{.spec.backup.barmanObjectStore.destinationPath}{\"\\n\"}{end}",
        ],
        None,
    );
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (id, rest) = l.split_once(' ')?;
            let (ns, name) = id.split_once('/')?;
            (!rest.trim().is_empty()).then(|| (ns.to_string(), name.to_string()))
        })
        .collect()
}

#[test]
fn every_plan_for_every_builtin_cluster_passes_the_crd_schema() {
    let mut planned = 0;
    for name in scenario::builtin_names() {
        let s = Served::start(name);
        let clusters = archiving_clusters(&s);
        assert!(!clusters.is_empty(), "{name} has archiving Clusters");
        // kubectl create sends core kinds as protobuf, which the simulator does not read.
        let made = kubectl(
            &s,
            &["apply", "-f", "-"],
            Some("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: restore-scratch\n"),
        );
        assert!(made.status.success(), "{}", text(&made));
        for (ns, cluster) in clusters {
            let id = format!("{ns}/{cluster}");
            for extra in [
                vec![],
                vec!["--into", "restore-scratch/copy", "--archive-as", "copy-r1"],
            ] {
                let mut args = vec!["restore", "plan", id.as_str(), "--yaml"];
                args.extend(extra.iter().copied());
                let out = backstop(&s, &args);
                // A refusal is a finding about the scenario, not about the manifest: say
                // which and move on; a plan must apply.
                if out.status.code() == Some(2) {
                    assert!(text(&out).starts_with("Refused: "), "{}", text(&out));
                    continue;
                }
                assert!(out.status.success(), "{name} {args:?}: {}", text(&out));
                let yaml = String::from_utf8_lossy(&out.stdout).into_owned();
                let applied = kubectl(
                    &s,
                    &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
                    Some(&yaml),
                );
                assert!(
                    applied.status.success(),
                    "{name}: the plan for {id} {extra:?} is refused by the API server:\n{}\n{yaml}",
                    text(&applied)
                );
                planned += 1;
            }
        }
    }
    assert!(planned >= 8, "only {planned} plans were checked");
}

#[test]
fn targets_outside_the_window_are_refused_with_the_reason_and_times_need_a_timezone() {
    let s = Served::start("healthy");
    let out = backstop(
        &s,
        &[
            "restore",
            "plan",
            "orders/pg-orders",
            "--to",
            "2020-01-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let said = text(&out);
    assert!(
        said.contains("before the first recoverability point"),
        "{said}"
    );
    let out = backstop(
        &s,
        &[
            "restore",
            "plan",
            "orders/pg-orders",
            "--to",
            "2099-01-01T00:00:00Z",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("is in the future"), "{}", text(&out));
    let out = backstop(
        &s,
        &[
            "restore",
            "plan",
            "orders/pg-orders",
            "--to",
            "2026-12-01 10:00",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("has no timezone"), "{}", text(&out));
    let out = backstop(&s, &["restore", "plan", "orders/pg-nowhere"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("Cluster orders/pg-nowhere not found"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_plan_written_for_git_is_the_manifest_with_its_reasons_as_comments() {
    let s = Served::start("healthy");
    let file = s.dir.path().join("restore.yaml");
    let path = file.to_string_lossy().into_owned();
    let out = backstop(
        &s,
        &[
            "restore",
            "plan",
            "billing/pg-billing",
            "--into",
            "dr/pg-billing",
            "-o",
            &path,
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let said = text(&out);
    assert!(said.contains(&format!("kubectl apply -f {path}")), "{said}");
    assert!(
        said.contains("kubectl create namespace dr --dry-run=client -o yaml | kubectl apply -f -"),
        "{said}"
    );
    let yaml = std::fs::read_to_string(&file).expect("the plan file");
    assert!(
        yaml.starts_with("# Restore of Cluster billing/pg-billing into dr/pg-billing"),
        "{yaml}"
    );
    assert!(
        yaml.contains("kind: ObjectStore") && yaml.contains("kind: Cluster"),
        "{yaml}"
    );
    assert!(
        !yaml.contains("retentionPolicy:"),
        "the copy never runs retention: {yaml}"
    );
}

#[test]
fn a_drill_is_refused_in_read_only_mode_and_creates_nothing() {
    let s = Served::start("healthy");
    let out = backstop(
        &s,
        &[
            "--read-only",
            "restore",
            "drill",
            "orders/pg-orders",
            "--yes",
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("refused in read-only mode"),
        "{}",
        text(&out)
    );
    let ns = kubectl(&s, &["get", "namespaces", "-o", "name"], None);
    assert!(
        !String::from_utf8_lossy(&ns.stdout).contains("backstop-drill"),
        "{}",
        text(&ns)
    );
    let config = s.dir.path().join("config.yaml");
    std::fs::write(&config, "read_only: true\n").expect("config");
    let out = backstop(
        &s,
        &[
            "restore",
            "drill",
            "orders/pg-orders",
            "--yes",
            "--config",
            &config.to_string_lossy(),
        ],
    );
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let _ = fixture;
}

fn drill_namespaces(s: &Served) -> Vec<String> {
    let out = kubectl(s, &["get", "namespaces", "-o", "name"], None);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("backstop-drill-"))
        .map(str::to_string)
        .collect()
}

fn leftover(s: &Served, name: &str, expires: &str) {
    let yaml = format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n  labels:\n    app.kubernetes.io/managed-by: backstop\n    backstop.dev/drill-of-namespace: orders\n    backstop.dev/drill-of-cluster: pg-orders\n  annotations:\n    backstop.dev/expires-at: \"{expires}\"\n"
    );
    let out = kubectl(s, &["apply", "-f", "-"], Some(&yaml));
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn an_expired_drill_is_deleted_a_live_one_only_offered_and_a_drill_leaves_nothing_behind() {
    let s = Served::start("healthy");
    leftover(
        &s,
        "backstop-drill-pg-orders-00dead",
        "2026-01-01T00:00:00Z",
    );
    leftover(
        &s,
        "backstop-drill-pg-orders-00beef",
        "2099-01-01T00:00:00Z",
    );
    let report = s.dir.path().join("drill.md");
    let out = backstop(
        &s,
        &[
            "restore",
            "drill",
            "orders/pg-orders",
            "--yes",
            "--timeout",
            "3s",
            "--report",
            &report.to_string_lossy(),
        ],
    );
    let said = text(&out);
    assert!(
        said.contains("Deleting an expired drill: backstop-drill-pg-orders-00dead"),
        "{said}"
    );
    assert!(
        said.contains("backstop-drill-pg-orders-00beef (drill of orders/pg-orders"),
        "{said}"
    );
    assert!(said.contains("Left alone"), "{said}");
    assert!(
        said.contains("created Cluster backstop-drill-pg-orders-"),
        "{said}"
    );
    assert!(said.contains("is gone"), "{said}");
    // Only the live leftover remains: the drill's own namespace went with its teardown.
    assert_eq!(
        drill_namespaces(&s),
        vec!["namespace/backstop-drill-pg-orders-00beef".to_string()]
    );
    let md = std::fs::read_to_string(&report).expect("the report");
    assert!(
        md.starts_with("# Restore drill of Cluster orders/pg-orders: "),
        "{md}"
    );
    for heading in [
        "## Change Summary",
        "## Root Cause",
        "## Solution Applied",
        "## Validation",
        "## Prevention",
    ] {
        assert!(md.contains(heading), "{heading} in {md}");
    }
    let ann = kubectl(
        &s,
        &[
            "get",
            "cluster",
            "pg-orders",
            "-n",
            "orders",
            "-o",
            "jsonpath={.metadata.annotations.backstop\\.dev/last-drill}",
        ],
        None,
    );
    let recorded: serde_json::Value =
        serde_json::from_slice(&ann.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&ann)));
    assert_eq!(recorded["target"], "latest");
    assert!(
        recorded["result"] == "passed" || recorded["result"] == "failed",
        "{recorded}"
    );
    let out = backstop(&s, &["restore", "drills", "--clean"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(drill_namespaces(&s).is_empty(), "{}", text(&out));
}

#[test]
fn ctrl_c_during_a_drill_tears_it_down_and_records_it_as_interrupted() {
    use std::io::{BufRead, BufReader};
    let s = Served::start("healthy");
    let report = s.dir.path().join("drill.md");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args([
            "restore",
            "drill",
            "orders/pg-orders",
            "--yes",
            "--timeout",
            "10m",
            "--to",
            "latest",
        ])
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backstop runs");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    // Read until the recovery Cluster exists: the drill is under way.
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("a line");
        let started = line.contains("created Cluster backstop-drill-");
        seen.push(line);
        if started {
            break;
        }
    }
    assert!(
        seen.iter().any(|l| l.contains("created Cluster")),
        "{seen:?}"
    );
    assert!(
        !drill_namespaces(&s).is_empty(),
        "the drill's namespace exists while it runs"
    );
    // SAFETY: a signal to our own child process, whose pid we hold.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().expect("backstop ends");
    assert_eq!(status.code(), Some(2), "{rest:?}");
    let said = rest.join("\n");
    assert!(said.contains("stopped by the person running it"), "{said}");
    assert!(said.contains("is gone"), "{said}");
    assert!(drill_namespaces(&s).is_empty(), "{said}");
    let md = std::fs::read_to_string(&report).expect("the report");
    assert!(
        md.contains("FAILED: interrupted before it finished"),
        "{md}"
    );
}

#[test]
fn a_drill_of_each_healthy_cluster_passes_with_rto_and_rpo_and_leaves_nothing() {
    let s = Served::start("healthy");
    let clusters = archiving_clusters(&s);
    assert_eq!(clusters.len(), 3, "{clusters:?}");
    for (ns, name) in clusters {
        let id = format!("{ns}/{name}");
        let out = backstop(&s, &["restore", "drill", &id, "--yes", "--timeout", "60s"]);
        let said = text(&out);
        assert_eq!(out.status.code(), Some(0), "{id}: {said}");
        assert!(said.contains("Drill PASSED: RTO "), "{said}");
        assert!(!said.contains("RPO not measured"), "{said}");
        assert!(said.contains("healthy: timeline "), "{said}");
        assert!(drill_namespaces(&s).is_empty(), "{id}: {said}");
        let ann = kubectl(
            &s,
            &[
                "get",
                "cluster",
                &name,
                "-n",
                &ns,
                "-o",
                "jsonpath={.metadata.annotations.backstop\\.dev/last-drill}",
            ],
            None,
        );
        let recorded: serde_json::Value = serde_json::from_slice(&ann.stdout).expect("JSON");
        assert_eq!(recorded["result"], "passed", "{recorded}");
        assert!(
            recorded["rtoSeconds"].is_i64() && recorded["rpoSeconds"].is_i64(),
            "{recorded}"
        );
    }
    // check reads what the drills recorded.
    let out = backstop(&s, &["check", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let drills = report["drills"].as_array().expect("the drills section");
    assert_eq!(drills.len(), 3, "{report}");
    assert!(drills.iter().all(|d| d["result"] == "passed"), "{report}");
}
