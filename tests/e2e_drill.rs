//! A restore drill from the real binary in a real terminal against a served simulator:
//! ending the dashboard while a drill runs, by `q` or by a signal, deletes the drill's
//! namespace first, as kubectl then sees.

mod common;

use std::time::Duration;

use common::{Served, Tmux};

const WAIT: Duration = Duration::from_secs(20);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_backstop")
}

/// The drill namespaces kubectl lists.
fn drill_namespaces(served: &Served) -> String {
    let out = std::process::Command::new("kubectl")
        .args([
            "--kubeconfig",
            &served.kubeconfig.display().to_string(),
            "get",
            "namespaces",
            "-o",
            "name",
        ])
        .output()
        .expect("kubectl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("backstop-drill-"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The dashboard on `served`, a drill of orders/pg-orders confirmed and under way.
fn drill_under_way(name: &str, served: &Served, dir: &std::path::Path) -> Tmux {
    let state = dir.join("state").display().to_string();
    let log = dir.join("backstop.log").display().to_string();
    let t = Tmux::start(
        name,
        100,
        30,
        &[
            ("XDG_STATE_HOME", &state),
            ("XDG_CONFIG_HOME", &state),
            ("BACKSTOP_LOG_FILE", &log),
        ],
        &format!(
            "cd {} && {} --kubeconfig {}",
            dir.display(),
            bin(),
            served.kubeconfig.display()
        ),
    );
    t.wait_for("4 Flux", WAIT);
    t.keys(&["3", "/", "orders/pg-orders", "Enter"]);
    t.wait_for("/orders/pg-orders", WAIT);
    t.keys(&["D"]);
    let dialog = t.wait_for("✔ you may", WAIT);
    assert!(
        dialog.contains("Confirm: restore drill of orders/pg-orders")
            && dialog.contains("It creates namespace backstop-drill-pg-orders-"),
        "{dialog}"
    );
    t.keys(&["y"]);
    t.wait_for("created Cluster backstop-drill-pg-orders-", WAIT);
    assert!(
        !drill_namespaces(served).is_empty(),
        "the drill's namespace exists"
    );
    t
}

#[test]
fn quitting_during_a_drill_deletes_its_namespace_first() {
    let served = Served::start("healthy");
    let dir = tempfile::tempdir().expect("temp dir");
    let t = drill_under_way("drillq", &served, dir.path());
    // Esc hides the drill's view; q in the panes quits, once the teardown is done.
    t.keys(&["Escape", "q"]);
    t.wait_for("backstop-exited-0", WAIT);
    assert_eq!(drill_namespaces(&served), "", "nothing left behind");
    let report = std::fs::read_dir(dir.path())
        .expect("the folder")
        .filter_map(Result::ok)
        .find(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("restore-drill-orders-pg-orders-")
        })
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .expect("the drill's report is written");
    assert!(
        report.contains("stopped by the person running it"),
        "{report}"
    );
}

#[test]
fn a_signal_during_a_drill_deletes_its_namespace_first() {
    let served = Served::start("healthy");
    let dir = tempfile::tempdir().expect("temp dir");
    let t = drill_under_way("drillsig", &served, dir.path());
    let shell = t.pane_pid();
    let status = std::process::Command::new("pkill")
        .args(["-TERM", "-P", &shell.to_string(), "backstop"])
        .status()
        .expect("pkill");
    assert!(status.success());
    t.wait_for("backstop-exited-0", WAIT);
    assert_eq!(
        t.display("#{alternate_on}"),
        "0",
        "the terminal is given back"
    );
    assert_eq!(drill_namespaces(&served), "", "nothing left behind");
}
