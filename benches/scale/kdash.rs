//! kdash against the same cluster, for comparison, in tmux 120x40: time until its Pods tab
//! counts every pod, memory, idle CPU.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::case::Case;
use crate::helpers::{find_in_path, home, ms, poll_until, shell_quote};
use crate::procfs::{CpuWindow, find_process, proc_alive, proc_mem};
use crate::tmux::Session;

/// Kubernetes poll of kdash (`--poll-rate`, its default) and its tick (`--tick-rate`, default).
const KDASH_POLL_MS: u64 = 5000;
const KDASH_TICK_MS: u64 = 250;

fn kdash_binary(quick: bool) -> Result<PathBuf> {
    let cargo_bin = home().map(|h| h.join(".cargo/bin/kdash"));
    if let Some(p) = cargo_bin.as_ref().filter(|p| p.is_file()) {
        return Ok(p.clone());
    }
    if let Some(p) = find_in_path("kdash") {
        return Ok(p);
    }
    if quick {
        bail!("kdash is not installed (~/.cargo/bin/kdash or on PATH)");
    }
    eprintln!("scale: kdash not found: trying `cargo install kdash --locked` once");
    let status = Command::new("cargo")
        .args(["install", "kdash", "--locked"])
        .stdin(Stdio::null())
        .status()
        .context("running cargo install kdash")?;
    if !status.success() {
        bail!("kdash is not installed and `cargo install kdash --locked` failed ({status})");
    }
    cargo_bin
        .filter(|p| p.is_file())
        .or_else(|| find_in_path("kdash"))
        .context("kdash is still not found after cargo install")
}

/// How kdash is run, for the JSON.
const KDASH_NOTES: &str = "kdash --tick-rate 250 --poll-rate 5000 (its defaults), no keys pressed: it opens on its Pods tab over all namespaces, \
whose title counts the pods ('Pods [N]'); populated = that count equals every pod of the cluster. \
At start it probes CLIs: `kubectl version -o json` (which calls the API server), docker, docker-compose / docker compose, podman, containerd, helm, kind. \
No flag turns them off; they are disabled here through its config file (KDASH_CONFIG: cli_info.disable_defaults, all eight). \
Not switchable: once at start, API discovery for its dynamic resources, a list of 22 other kinds, and utilization metrics \
(a list of every pod for allocations, metrics.k8s.io node and pod metrics: 404 here); every poll (5 s): namespaces, nodes \
and every pod again (a full list, no watch); a kubeconfig reload every ~60 s.";

pub fn bench_kdash(case: &Case) -> Result<Value> {
    let mut out = serde_json::Map::new();
    // A failure half-way keeps the figures measured so far, with the error.
    if let Err(e) = kdash_phases(case, &mut out) {
        out.insert("error".into(), json!(format!("{e:#}")));
    }
    Ok(Value::Object(out))
}

fn kdash_phases(case: &Case, out: &mut serde_json::Map<String, Value>) -> Result<()> {
    let (tmux, plan, dir) = (case.tmux, case.plan, case.dir);
    let bin = kdash_binary(case.opts.quick)?;
    let version = Command::new(&bin)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let home = dir.join("kdash-home");
    let config_dir = home.join(".config");
    std::fs::create_dir_all(&config_dir)
        .with_context(|| format!("creating {}", config_dir.display()))?;
    let config = dir.join("kdash.yaml");
    std::fs::write(
        &config,
        "cli_info:\n  hide_missing_binaries: true\n  disable_defaults:\n    - kubectl client\n    - kubectl server\n    - docker\n    - docker-compose\n    - podman\n    - containerd\n    - helm\n    - kind\n",
    )
    .with_context(|| format!("writing {}", config.display()))?;
    let env = [
        ("KUBECONFIG", case.kubeconfig.display().to_string()),
        ("TERM", "xterm-256color".to_string()),
        ("KDASH_CONFIG", config.display().to_string()),
        ("XDG_CONFIG_HOME", config_dir.display().to_string()),
    ];
    let command = format!(
        "cd {} && exec {} --tick-rate {KDASH_TICK_MS} --poll-rate {KDASH_POLL_MS}",
        shell_quote(&home.display().to_string()),
        shell_quote(&bin.display().to_string())
    );
    let wanted = format!("Pods [{}]", case.expected_pods);
    let spawn = Instant::now();
    tmux.start("kdash", 120, 40, &env, &command)?;
    let _session = Session {
        tmux,
        name: "kdash",
    };
    let pid = poll_until(Duration::from_secs(10), Duration::from_millis(10), || {
        let pane = tmux.pane_pid("kdash")?;
        if let Some(p) = find_process(pane, "kdash") {
            return Ok(Some(p));
        }
        tmux.ended_error("kdash", "kdash")?;
        Ok(None)
    })?
    .context("no kdash process in its tmux pane within 10 s")?;
    out.insert("version".into(), json!(version));
    out.insert("pid".into(), json!(pid));
    out.insert("how".into(), json!(KDASH_NOTES));
    let mut last_screen = String::new();
    let deadline = case.within_budget(
        plan.kdash_deadline,
        Duration::from_secs(5),
        plan.idle_window + Duration::from_secs(1),
    );
    let populated = poll_until(deadline, Duration::from_millis(25), || {
        // Seen when the capture returns (tmux included), as for backstop's first screen.
        let screen = tmux.capture("kdash")?;
        if screen.contains(&wanted) {
            return Ok(Some(spawn.elapsed()));
        }
        last_screen = screen;
        tmux.check_alive("kdash", "kdash", pid)?;
        Ok(None)
    })?;
    match populated {
        Some(d) => {
            out.insert("populated_ms".into(), json!(ms(d)));
        }
        None => {
            // The tab line ("Pods [N]") or the table's title ("Pods (ns: all) [N]").
            let tabs = last_screen
                .lines()
                .find(|l| l.contains("Pods ["))
                .or_else(|| last_screen.lines().find(|l| l.contains("Pods (")))
                .map(|l| l.trim().to_string());
            out.insert("populated_ms".into(), Value::Null);
            out.insert(
                "note".into(),
                json!(format!(
                    "not populated after {:.0} s (no '{wanted}' on screen; its Pods line: {})",
                    deadline.as_secs_f64(),
                    tabs.unwrap_or_else(|| "none".into())
                )),
            );
        }
    }
    // Idle: at least one whole poll period, so that one re-list falls in the window.
    let cpu = CpuWindow::start(pid)?;
    std::thread::sleep(plan.idle_window);
    tmux.check_alive("kdash", "kdash", pid)?;
    out.insert("idle_cpu_pct".into(), json!(cpu.pct()?));
    out.insert(
        "idle_window_s".into(),
        json!(plan.idle_window.as_secs_f64()),
    );
    let mem = proc_mem(pid)?;
    out.insert("peak_rss_mb".into(), json!(mem.hwm_mb));
    out.insert("rss_mb".into(), json!(mem.rss_mb));
    tmux.keys("kdash", &["q"])?;
    let exited = poll_until(Duration::from_secs(5), Duration::from_millis(20), || {
        Ok((!proc_alive(pid)).then_some(()))
    })?
    .is_some();
    out.insert("quit_exited".into(), json!(exited));
    Ok(())
}
