//! A fleet: `backstop sim serve` with several scenarios (one kubeconfig, a context per
//! simulated Kubernetes cluster, one context that never answers), read by the real kubectl
//! and by `backstop check --all-contexts` / `--context a,b`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::output_text;
use serde_json::Value;

/// `backstop sim serve` with a fleet, stopped when dropped.
struct Fleet {
    child: Child,
    dir: tempfile::TempDir,
}

impl Fleet {
    fn start(scenarios: &[&str], unreachable: &[&str]) -> Fleet {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let kubeconfig = dir.path().join("kubeconfig");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_backstop"));
        cmd.arg("--log-file")
            .arg(dir.path().join("sim.log"))
            .args([
                "sim",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--write-kubeconfig",
            ])
            .arg(&kubeconfig);
        for s in scenarios {
            cmd.args(["--scenario", s]);
        }
        for u in unreachable {
            cmd.args(["--unreachable", u]);
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting backstop sim serve");
        let end = Instant::now() + Duration::from_secs(60);
        while !kubeconfig.exists() {
            assert!(
                Instant::now() < end,
                "the fleet's kubeconfig was not written"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Fleet { child, dir }
    }

    fn kubeconfig(&self) -> std::path::PathBuf {
        self.dir.path().join("kubeconfig")
    }

    fn backstop(&self, args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(self.kubeconfig())
            .arg("--log-file")
            .arg(self.dir.path().join("backstop.log"))
            .args(args)
            .env("BACKSTOP_CONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .output()
            .expect("backstop runs")
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn kubectl(kubeconfig: &Path, context: &str, args: &[&str]) -> std::process::Output {
    Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["--context", context])
        .args(args)
        .output()
        .expect("kubectl runs")
}

fn codes(report: &Value) -> Vec<String> {
    let mut c: Vec<String> = report["findings"]
        .as_array()
        .map(|fs| {
            fs.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    c.sort();
    c.dedup();
    c
}

#[test]
fn one_check_reads_every_context_says_the_unreachable_one_and_finds_the_shared_archive() {
    // healthy and gitignore-trap are two copies of one production cluster: the same
    // pg-billing and pg-orders archiving to the same buckets under the same server names.
    let fleet = Fleet::start(
        &["healthy", "gitignore-trap", "legacy-fleet"],
        &["site-down"],
    );

    // Each context is a Kubernetes cluster of its own, to kubectl too.
    let out = kubectl(
        &fleet.kubeconfig(),
        "backstop-sim-legacy-fleet",
        &["get", "clusters.postgresql.cnpg.io", "-A", "-o", "name"],
    );
    assert!(out.status.success(), "{}", output_text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("pg-inventory"));

    let out = fleet.backstop(&["--all-contexts", "check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", output_text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("the fleet's JSON");
    assert_eq!(doc["status"], "critical");
    let contexts = doc["contexts"].as_array().expect("contexts");
    let names: Vec<&str> = contexts
        .iter()
        .filter_map(|c| c["context"].as_str())
        .collect();
    // Worst first: the critical ones by name, then the unreachable, then the warning.
    assert_eq!(
        names,
        [
            "backstop-sim-gitignore-trap",
            "backstop-sim-healthy",
            "site-down",
            "backstop-sim-legacy-fleet"
        ]
    );
    let by_name = |n: &str| {
        contexts
            .iter()
            .find(|c| c["context"] == n)
            .unwrap_or_else(|| panic!("{n} reported"))
    };
    let down = by_name("site-down");
    assert_eq!(down["reachable"], false);
    assert_eq!(down["report"]["status"], "unknown");
    assert!(
        down["error"]
            .as_str()
            .is_some_and(|e| e.contains("unreachable")),
        "{down}"
    );

    let healthy = &by_name("backstop-sim-healthy")["report"];
    let trap = &by_name("backstop-sim-gitignore-trap")["report"];
    assert_eq!(codes(healthy), ["FLE001"], "healthy alone has nothing else");
    assert!(codes(trap).contains(&"FLE001".to_string()));
    let fle: Vec<&Value> = healthy["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "FLE001")
        .collect();
    let billing = fle
        .iter()
        .find(|f| f["object"]["name"] == "pg-billing")
        .expect("pg-billing's shared archive");
    assert_eq!(billing["severity"], "critical");
    let summary = billing["summary"].as_str().unwrap_or("");
    assert!(
        summary.contains("in context backstop-sim-gitignore-trap"),
        "{summary}"
    );
    assert!(
        billing["remedy"].as_str().is_some_and(|r| r.contains(
            "kubectl --context backstop-sim-healthy patch cluster pg-billing -n billing"
        )),
        "{billing}"
    );
    // legacy-fleet's Clusters write elsewhere: nothing shared.
    assert!(
        !codes(&by_name("backstop-sim-legacy-fleet")["report"]).contains(&"FLE001".to_string())
    );

    // The text leads with one line per context, worst first, the unreachable one saying why.
    let out = fleet.backstop(&["--all-contexts", "check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let head: Vec<&str> = text.lines().take(8).collect();
    assert!(
        head[0].starts_with("backstop check · fleet of 4 contexts · "),
        "{text}"
    );
    assert_eq!(head[1], "status: CRITICAL");
    assert!(
        head.iter().any(|l| l.trim_start().starts_with("UNKNOWN")
            && l.contains("site-down")
            && l.contains("unreachable")),
        "{text}"
    );
}

#[test]
fn a_named_subset_is_read_alone_and_a_bad_name_is_said() {
    let fleet = Fleet::start(&["healthy", "legacy-fleet"], &[]);
    let out = fleet.backstop(&[
        "--context",
        "backstop-sim-healthy,backstop-sim-legacy-fleet",
        "check",
        "--format",
        "json",
        "--fail-on",
        "critical",
    ]);
    // legacy-fleet's findings are warnings; --fail-on critical lets them pass.
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(doc["status"], "warning");
    assert_eq!(doc["contexts"].as_array().map(Vec::len), Some(2));

    let out = fleet.backstop(&["--context", "backstop-sim-healthy,nowhere", "check"]);
    let text = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(
        text.contains("nowhere") && text.contains("no context named 'nowhere'"),
        "{text}"
    );

    // The fleet screen needs a terminal, and says where a fleet is read without one.
    let out = fleet.backstop(&["--all-contexts"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        output_text(&out).contains("`backstop check --context a,b` (or --all-contexts)"),
        "{}",
        output_text(&out)
    );

    let out = fleet.backstop(&["--all-contexts", "check", "--dump", "x.yaml"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(output_text(&out).contains("--dump reads one set of saved manifests"));
}
