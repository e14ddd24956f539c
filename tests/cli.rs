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

/// backstop with a config folder of its own (`XDG_CONFIG_HOME`), holding `default` as its
/// default config file when given: a test never reads the user's config. (exit code,
/// stdout, stderr)
fn with_config_home(
    home: &std::path::Path,
    default: Option<&str>,
    args: &[&str],
) -> (i32, String, String) {
    if let Some(text) = default {
        std::fs::create_dir_all(home.join("backstop")).expect("config folder");
        std::fs::write(home.join("backstop/config.yaml"), text).expect("default config");
    }
    let out = backstop()
        .args(args)
        .env("XDG_CONFIG_HOME", home)
        .env("XDG_STATE_HOME", home.join("state"))
        .env_remove("BACKSTOP_THEME")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_example_prints_every_key_with_a_comment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, out, _) = with_config_home(dir.path(), None, &["config", "example"]);
    assert_eq!(code, 0);
    for key in [
        "check:",
        "silence:",
        "thresholds:",
        "backup-max-age:",
        "backup-slow:",
        "pending-stuck:",
        "running-stuck:",
        "restarts:",
        "cert-expiry:",
        "min-throughput:",
        "walker:",
        "repo:",
        "transcripts:",
        "theme:",
        "read_only:",
        "contexts:",
    ] {
        let line = out
            .lines()
            .find(|l| l.trim_start().starts_with(key))
            .unwrap_or_else(|| panic!("{key} in the example: {out}"));
        let at = out.find(line).expect("the line");
        // Each key is explained on its line or in the comment just above it.
        let before = out[..at].lines().last().unwrap_or("");
        assert!(
            line.contains(" # ") || before.trim_start().starts_with('#') || key == "check:",
            "{key} has no comment: {line}"
        );
    }
    // `check --help` points at it rather than carrying the format.
    let (_, help, _) = with_config_home(dir.path(), None, &["check", "--help"]);
    assert!(help.contains("backstop config example"), "{help}");
    assert!(!help.contains("transcripts"), "{help}");
}

#[test]
fn the_dashboard_reads_the_config_given_with_config_and_only_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    // The default file is broken too: it must not be the one read.
    let default = Some("nonsense: [\n");
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "read_only: true\ncheck:\n  tresholds:\n    backup-max-age: 30h\n",
    )
    .expect("config");
    let bad = bad.display().to_string();
    for args in [
        vec!["demo", "--config", &bad],
        vec!["--config", &bad, "demo"],
        vec!["--config", &bad],
    ] {
        let (code, _, err) = with_config_home(&home, default, &args);
        assert_eq!(code, 3, "{args:?}: {err}");
        assert!(
            err.contains(&format!("{bad}: line 3: check: unknown field `tresholds`"))
                && err.contains("did not start")
                && !err.contains("home/backstop/config.yaml"),
            "{args:?}: {err}"
        );
    }

    // Every bad value is named, each with its line, in one go.
    let values = dir.path().join("values.yaml");
    std::fs::write(
        &values,
        "check:\n  silence: [BKP010, NOPE01]\n  thresholds:\n    backup-max-age: soon\n    restarts: 1.5\n",
    )
    .expect("config");
    let values = values.display().to_string();
    let (code, _, err) = with_config_home(&home, default, &["demo", "--config", &values]);
    assert_eq!(code, 3, "{err}");
    for said in [
        format!("{values}: line 2: check.silence: 'NOPE01' is not a finding code"),
        format!("{values}: line 4: check.thresholds: threshold backup-max-age=soon"),
        format!("{values}: line 5: check.thresholds: threshold restarts=1.5"),
    ] {
        assert!(err.contains(&said), "{said}: {err}");
    }

    // A good file given with --config is read instead of the broken default: the dashboard
    // gets as far as asking for a terminal.
    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "check:\n  silence: [BKP010]\n").expect("config");
    let (code, _, err) = with_config_home(
        &home,
        default,
        &["demo", "--config", &good.display().to_string()],
    );
    assert_eq!(code, 3);
    assert!(
        err.contains("needs a terminal") && !err.contains("did not start"),
        "{err}"
    );
}

#[test]
fn trees_walk_reads_the_config_given_with_config() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = format!(
        "{}/src/sim/scenarios/slow-backups.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let walk = |config: Option<&std::path::Path>| {
        let mut args = vec![
            "trees".to_string(),
            "walk".into(),
            "backup-failing".into(),
            "--dump".into(),
            dump.clone(),
            "--now".into(),
            "2026-11-24T06:00:00Z".into(),
        ];
        if let Some(c) = config {
            args.extend(["--config".into(), c.display().to_string()]);
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        with_config_home(&dir.path().join("home"), None, &args)
    };
    // A backup started 7 h ago is stuck by the default limit (6 h)...
    let (code, out, _) = walk(None);
    assert_eq!(code, 0);
    assert!(out.contains("Diagnosis [backup-hung]"), "{out}");
    // ...and not under the config's 8 h, as the dashboard's walker would judge it.
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        "check:\n  thresholds:\n    running-stuck: 8h\nwalker:\n  repo: /nonexistent/gitops\n",
    )
    .expect("config");
    let (code, out, err) = walk(Some(&config));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("pass → no backup is stuck") && !out.contains("[backup-hung]"),
        "{out}"
    );
    assert!(
        err.contains("line 5: walker.repo: /nonexistent/gitops is not a folder"),
        "{err}"
    );
    // A config that does not hold stops the walk, as it stops `check`.
    std::fs::write(&config, "walker:\n  repos: ~/src\n").expect("config");
    let (code, _, err) = walk(Some(&config));
    assert_eq!(code, 3);
    assert!(
        err.contains(&format!(
            "{}: line 2: walker: unknown field `repos`",
            config.display()
        )),
        "{err}"
    );
}
