//! What an incident bundle costs: the simulator seeded at N Backups (default 50,000; the
//! scale benchmark's shape, `sim::seed::Scale`) served on loopback from this process, and
//! the release `backstop report` writing its bundle in a process of its own. Printed: the
//! wall time, the child's peak resident memory (its VmHWM, read until it exits), the
//! bundle's size and its objects; then the same for `check --dump BUNDLE` reading it back.
//!
//! `cargo bench --bench report [-- N]`. One JSON line on stdout, a summary on stderr.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

mod seeded;

/// Runs `cmd` to its end, reading its peak resident memory (VmHWM, MiB) as it goes: the
/// last reading before it exits is its peak. (getrusage of the children would count this
/// process's own memory, which the child shares until it execs.)
fn run_measured(cmd: &mut Command) -> Result<(std::process::Output, f64)> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .context("starting backstop")?;
    let pid = child.id();
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let watcher = {
        let peak = peak.clone();
        std::thread::spawn(move || {
            while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
                if let Some(kib) = status
                    .lines()
                    .find_map(|l| l.strip_prefix("VmHWM:"))
                    .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                {
                    peak.fetch_max(kib, std::sync::atomic::Ordering::Relaxed);
                }
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
        })
    };
    let out = child.wait_with_output().context("waiting for backstop")?;
    let _ = watcher.join();
    Ok((
        out,
        peak.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1024.0,
    ))
}

fn main() -> Result<()> {
    let n = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find_map(|a| a.parse().ok())
        .unwrap_or(50_000usize);

    let seeded = seeded::Seeded::serve(n)?;
    let (objects, kubeconfig, dir) = (seeded.objects, &seeded.kubeconfig, seeded.dir.path());
    let bundle = dir.join("bench.tar.gz");
    let began = Instant::now();
    let (out, peak) = run_measured(
        Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--log-file")
            .arg(dir.join("report.log"))
            .arg("report")
            .arg("-o")
            .arg(&bundle),
    )?;
    let wall = began.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!(
            "backstop report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let size = std::fs::metadata(&bundle)?.len() as f64 / (1024.0 * 1024.0);

    let began = Instant::now();
    let (back, reload_peak) = run_measured(
        Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--log-file")
            .arg(dir.join("dump.log"))
            .args(["check", "--format", "json", "--dump"])
            .arg(&bundle),
    )?;
    let reload = began.elapsed().as_secs_f64();
    let status = serde_json::from_slice::<serde_json::Value>(&back.stdout)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
        .unwrap_or_else(|| "no report".into());
    eprintln!("{}", String::from_utf8_lossy(&out.stderr).trim_end());

    println!(
        "{}",
        serde_json::json!({
            "backups": n, "objects": objects, "report_wall_s": wall,
            "report_peak_rss_mib": peak, "bundle_mib": size,
            "check_dump_wall_s": reload, "check_dump_peak_rss_mib": reload_peak,
            "check_dump_status": status,
        })
    );
    eprintln!(
        "{n} Backups ({objects} objects): report {wall:.1}s, peak RSS {peak:.0} MiB, bundle {size:.1} MiB; check --dump of it {reload:.1}s, peak RSS {reload_peak:.0} MiB ({status})"
    );
    Ok(())
}
