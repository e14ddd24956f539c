//! No credential leaves backstop. `tests/fixtures/secret-markers.yaml` plants marker values
//! in Secret data (base64), stringData, the last-applied annotation, a Secret that does not
//! parse, sidecar log lines in every credential shape the redactor knows, and an event. Every
//! output path runs over it: `check` in three formats from a dump and live, `trees walk`,
//! the dashboard's screens in tmux, a walk's transcript, and the log file at trace level.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{Served, Tmux, fixture};

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_backstop")
}

/// Every planted value ends in SECRETVALUE; the Secret's data also travels base64-encoded.
const MARKERS: &[&str] = &[
    "SECRETVALUE",
    "TUtEQVRBMVNFQ1JFVFZBTFVF",
    "TUtEQVRBMlNFQ1JFVFZBTFVF",
    "TUtCUk9LRU40U0VDUkVUVkFMVUU",
];

fn assert_no_marker(what: &str, text: &str) {
    for m in MARKERS {
        if let Some(at) = text.find(m) {
            let from = text[..at]
                .char_indices()
                .rev()
                .nth(120)
                .map_or(0, |(i, _)| i);
            panic!("{what} leaks {m}: …{}…", &text[from..(at + m.len())]);
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// Runs the binary with a trace-level log file; its stdout and stderr together.
fn run(args: &[&str], log: &Path) -> String {
    let out = Command::new(bin())
        .args(args)
        .args(["--log-level", "trace", "--log-file"])
        .arg(log)
        .output()
        .expect("the binary runs");
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn check_and_trees_walk_quote_evidence_without_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("backstop.log");
    let dump = fixture("secret-markers.yaml");
    let served = Served::start(&dump);
    let kubeconfig = served.kubeconfig.display().to_string();
    let mut redacted = 0;
    for format in ["text", "json", "markdown"] {
        for source in [
            ["--dump", dump.as_str()],
            ["--kubeconfig", kubeconfig.as_str()],
        ] {
            let out = run(&["check", "--format", format, source[0], source[1]], &log);
            assert_no_marker(&format!("check --format {format} {}", source[0]), &out);
            // The log lines are quoted, masked: the check did see them.
            assert!(out.contains("SignatureDoesNotMatch"), "{out}");
            redacted += out.matches("[redacted]").count();
        }
    }
    assert!(
        redacted >= 6 * 4,
        "every format masks the planted log values"
    );
    for tree in ["objectstore-connection", "backup-failing"] {
        let out = run(&["trees", "walk", tree, "--dump", &dump], &log);
        assert_no_marker(&format!("trees walk {tree}"), &out);
    }
    let logged = read(&log);
    assert!(logged.contains("TRACE"), "the log is at trace level");
    assert_no_marker("the log file", &logged);
}

#[test]
fn the_dashboard_its_transcript_and_its_log_show_no_credentials() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = dir.path().join("backstop.log");
    let state = dir.path().join("state");
    let state_s = state.display().to_string();
    let t = Tmux::start(
        "secrets",
        160,
        48,
        &[("XDG_STATE_HOME", &state_s), ("XDG_CONFIG_HOME", &state_s)],
        &format!(
            "{} demo --scenario {} --log-level trace --log-file {}",
            bin(),
            fixture("secret-markers.yaml"),
            log.display()
        ),
    );
    let wait = Duration::from_secs(20);
    // The findings, once the rules have run.
    let mut screens = vec![t.wait_for("findings ✖", wait)];
    // Then the ObjectStore whose credentials are refused, with its evidence.
    t.keys(&["f"]);
    screens.push(t.wait_for("OBJ006", wait));
    t.keys(&["j", "j", "Enter"]);
    screens.push(t.wait_for("values are read only to list the bucket, never shown", wait));
    t.keys(&["e"]);
    screens.push(t.wait_for("ConnectionFailed", wait));
    t.keys(&["Escape", "y"]);
    screens.push(t.wait_for("kind: ObjectStore", wait));
    // A walk from it, exported.
    t.keys(&["Escape", "W"]);
    // Autopilot starts once the walk's first check has run on fresh facts.
    screens.push(t.wait_for("◀ proposed", wait));
    t.keys(&["a"]);
    screens.push(t.wait_for("Diagnosis", wait));
    t.keys(&["x"]);
    screens.push(t.wait_for("transcript saved to", wait));
    // The sidecar log of the failed backup's instance.
    t.keys(&["Escape", "3", "/", "20261124020000", "Enter", "l"]);
    screens.push(t.wait_for("Executing barman-cloud-wal-archive", wait));
    for (i, s) in screens.iter().enumerate() {
        assert_no_marker(&format!("screen {i}"), s);
    }
    assert!(
        screens.iter().any(|s| s.contains("Bearer [redacted]")),
        "the masked evidence is on screen"
    );
    let md = common::only_transcript(&state);
    assert!(md.contains("[redacted]"), "{md}");
    assert_no_marker("the transcript", &md);
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", wait);
    let logged = read(&log);
    assert!(logged.contains("TRACE"), "the log is at trace level");
    assert_no_marker("the log file", &logged);
}
