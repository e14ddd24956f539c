//! The binary as a user runs it: help, version, `sim list`, `sim serve` with kubectl.

mod common;

use std::io::BufRead;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{eventually, fixture};

fn backstop() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_backstop"));
    c.env(
        "BACKSTOP_LOG_FILE",
        std::env::temp_dir().join("backstop-cli-test.log"),
    );
    c
}

#[test]
fn help_and_version() {
    let help = backstop().arg("--help").output().expect("runs");
    assert!(help.status.success());
    let text = String::from_utf8_lossy(&help.stdout);
    for word in ["demo", "sim", "--log-file", "--log-level", "backstop.log"] {
        assert!(text.contains(word), "--help mentions {word}: {text}");
    }
    let version = backstop().arg("--version").output().expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("backstop {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn sim_list_names_every_builtin_scenario() {
    let out = backstop().args(["sim", "list"]).output().expect("runs");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, backstop::sim::scenario::builtin_names());
    assert!(!text.contains("does not load"), "{text}");
}

#[test]
fn a_bad_scenario_is_a_clear_error_not_a_panic() {
    let out = backstop()
        .args([
            "sim",
            "serve",
            "--scenario",
            "nope",
            "--listen",
            "127.0.0.1:0",
        ])
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("backstop: no scenario named 'nope'"),
        "{err}"
    );
    assert!(!err.contains("panicked"));
}

#[test]
fn sim_serve_answers_kubectl_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kc");
    let mut child = backstop()
        .args([
            "sim",
            "serve",
            "--scenario",
            &fixture("mini.yaml"),
            "--listen",
            "127.0.0.1:0",
            "--write-kubeconfig",
        ])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut lines = Vec::new();
    let banner = eventually("the address on stdout", Duration::from_secs(10), || {
        while let Ok(l) = rx.try_recv() {
            lines.push(l);
        }
        lines
            .iter()
            .find(|l| l.contains("on http://127.0.0.1:"))
            .cloned()
    });
    assert!(
        banner.starts_with("backstop simulator: scenario 'mini'"),
        "{banner}"
    );
    assert!(
        kubeconfig.exists(),
        "the kubeconfig is written before the banner"
    );
    let get = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--cache-dir",
            dir.path().join("cache").to_str().expect("utf-8"),
            "get",
            "pods",
            "-n",
            "demo",
            "-o",
            "name",
        ])
        .output()
        .expect("kubectl runs");
    assert_eq!(
        String::from_utf8_lossy(&get.stdout),
        "pod/pg-1\npod/web-0\n"
    );

    // A watch that never ends by itself must not hold the shutdown up.
    let mut watch = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--cache-dir",
            dir.path().join("cache").to_str().expect("utf-8"),
            "get",
            "pods",
            "-n",
            "demo",
            "-w",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl -w starts");
    eventually("the watch to be open", Duration::from_secs(10), || {
        let stats = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .args(["get", "--raw", "/_sim/stats"])
            .output()
            .ok()?;
        String::from_utf8_lossy(&stats.stdout)
            .contains("\"watches\":1")
            .then_some(())
    });
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let status = eventually("the server to exit", Duration::from_secs(10), || {
        child.try_wait().expect("wait")
    });
    assert_eq!(status.code(), Some(0), "SIGTERM is a clean stop");
    let _ = watch.kill();
    let _ = watch.wait();
}

#[test]
fn output_into_a_closed_pipe_is_not_a_panic() {
    // `backstop check | head -1`: the reader goes away early.
    let mut child = backstop()
        .args([
            "check",
            "--now",
            "2026-11-24T06:00:00Z",
            "--dump",
            &format!(
                "{}/src/sim/scenarios/plugin-crashloop-oom.yaml",
                env!("CARGO_MANIFEST_DIR")
            ),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("ends");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(
        out.status.code(),
        Some(2),
        "the exit code still says critical"
    );
}

#[test]
fn a_failed_atomic_write_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    // The target is a folder with something in it: the final rename fails, as a full disk
    // or a read-only mount would make the write fail.
    let target = dir.path().join("walk.md");
    std::fs::create_dir_all(target.join("inside")).expect("a folder in the way");
    let err = backstop::files::write_atomically(&target, "the walk")
        .expect_err("cannot replace a folder");
    assert!(format!("{err:#}").contains("walk.md"), "{err:#}");
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .expect("reads")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        left,
        vec!["walk.md".to_string()],
        "only the folder that was there"
    );
}
