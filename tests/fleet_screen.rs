//! The fleet screen in a real terminal (tmux): `backstop demo --fleet` (three simulated
//! Kubernetes clusters served on loopback and one that never answers) and `backstop
//! --context a,b` over `backstop sim serve`'s fleet: rows worst first, Enter opens a
//! dashboard, Esc comes back, q quits with the terminal restored.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Tmux;

const WAIT: Duration = Duration::from_secs(30);

fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_backstop")
}

fn log_file(dir: &std::path::Path) -> String {
    format!("--log-file {}", dir.join("backstop.log").display())
}

/// The line of `screen` that holds `needle`.
fn row(screen: &str, needle: &str) -> usize {
    screen
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no {needle:?} on the screen:\n{screen}"))
}

#[test]
fn demo_fleet_rows_worst_first_enter_dives_and_esc_comes_back() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let t = Tmux::start(
        "fleet-demo",
        130,
        36,
        &[("BACKSTOP_CONNECT_TIMEOUT", "5")],
        &format!("{} {} demo --fleet", bin(), log_file(dir.path())),
    );
    t.wait_for("again every 30 s", WAIT);
    // The rows drawn whole (a capture can catch a frame half written).
    let screen = t.wait_for(" staging ", WAIT);
    // Worst first: the two critical sites, then the unreachable one, then the warning.
    let prod_us = row(&screen, "✖ critical prod-us");
    let prod_eu = row(&screen, "✖ critical prod-eu");
    let dr = row(&screen, "? unknown  dr-ap");
    // staging is a warning (in-tree backups); a loaded machine may time its read out,
    // which makes it unknown: either way it comes after the unreachable dr-ap.
    let staging = row(&screen, " staging ");
    assert!(prod_us.max(prod_eu) < dr && dr < staging, "{screen}");
    assert!(
        screen.contains("unreachable: http://127.0.0.1:"),
        "{screen}"
    );
    assert!(
        screen.contains("fleet of 4 contexts │ ✖ critical"),
        "{screen}"
    );
    // prod-us archives into prod-eu's buckets (FLE001), and its analytics Cluster fails.
    assert!(screen.contains("FLE001"), "{screen}");
    assert!(screen.contains("WAL FAILING"), "{screen}");
    assert!(screen.contains("in-tree barmanObject"), "{screen}");

    // The first row is selected: its dashboard opens, says how to come back, and Esc does.
    let first = if prod_eu < prod_us {
        "prod-eu"
    } else {
        "prod-us"
    };
    t.keys(&["Enter"]);
    let dash = t.wait_for("opened from the fleet screen: Esc goes back to it", WAIT);
    assert!(dash.contains(&format!(" {first} │ ns all")), "{dash}");
    t.wait_for("1 Plugin & operator", WAIT);
    t.keys(&["Escape"]);
    t.wait_for("Kubernetes clusters, worst first", WAIT);
    assert!(
        t.capture(false).contains("▸ ✖ critical"),
        "back on the fleet, the row opened is still selected"
    );

    // The site that never answers: its dashboard says so, and Esc still comes back.
    t.keys(&["j", "j", "Enter"]);
    let down = t.wait_for("│ ✖ unreachable", WAIT);
    assert!(down.contains("dr-ap │ ns all"), "{down}");
    t.wait_for("opened from the fleet screen", WAIT);
    t.keys(&["Escape"]);
    t.wait_for("Kubernetes clusters, worst first", WAIT);

    t.keys(&["q"]);
    let after = t.wait_for("backstop-exited-0", WAIT);
    assert!(
        !after.contains("Kubernetes clusters"),
        "the alternate screen is gone after quitting:\n{after}"
    );
}

/// `backstop sim serve` with a fleet, stopped when dropped.
struct Served {
    child: std::process::Child,
    kubeconfig: std::path::PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(dir: &std::path::Path) -> Served {
    let kubeconfig = dir.join("kubeconfig");
    let child = Command::new(bin())
        .arg("--log-file")
        .arg(dir.join("sim.log"))
        .args(["sim", "serve", "--listen", "127.0.0.1:0"])
        .args(["--scenario", "healthy", "--scenario", "legacy-fleet"])
        .arg("--write-kubeconfig")
        .arg(&kubeconfig)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting backstop sim serve");
    let end = Instant::now() + WAIT;
    while !kubeconfig.exists() {
        assert!(
            Instant::now() < end,
            "the fleet's kubeconfig was not written"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Served { child, kubeconfig }
}

#[test]
fn context_a_b_opens_the_fleet_and_q_in_a_dashboard_quits_backstop() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let served = serve(dir.path());
    let t = Tmux::start(
        "fleet-ctx",
        120,
        32,
        &[("BACKSTOP_CONNECT_TIMEOUT", "5")],
        &format!(
            "{} {} --kubeconfig {} --context backstop-sim-legacy-fleet,backstop-sim-healthy",
            bin(),
            log_file(dir.path()),
            served.kubeconfig.display()
        ),
    );
    t.wait_for("again every 30 s", WAIT);
    let screen = t.wait_for("✔ ok       backstop-sim-healthy", WAIT);
    assert!(screen.contains("fleet of 2 contexts"), "{screen}");
    assert!(
        row(&screen, "▲ warning  backstop-sim-legacy-fleet")
            < row(&screen, "✔ ok       backstop-sim-healthy"),
        "{screen}"
    );
    assert!(screen.contains("inventory/pg-inventory"), "{screen}");
    t.keys(&["G", "Enter"]);
    let dash = t.wait_for("opened from the fleet screen", WAIT);
    assert!(dash.contains("backstop-sim-healthy │"), "{dash}");
    t.keys(&["q"]);
    let after = t.wait_for("backstop-exited-0", WAIT);
    assert!(!after.contains("1 Plugin & operator"), "{after}");
    drop(served);
}
