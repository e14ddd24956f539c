//! What an incident bundle costs: the simulator seeded at N Backups (default 50,000; the
//! scale benchmark's shape, `sim::seed::Scale`) served on loopback from this process, and
//! the release `backstop report` writing its bundle in a process of its own. Printed: the
//! wall time, the child's peak resident memory (getrusage of the waited-for child), the
//! bundle's size and its objects; then the time `check --dump BUNDLE` takes to read it back.
//!
//! `cargo bench --bench report [-- N]`. One JSON line on stdout, a summary on stderr.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

use backstop::sim::{self, Sim, seed};

/// The largest resident set of the children waited for so far, in MiB.
fn children_peak_mib() -> f64 {
    // SAFETY: getrusage writes into the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a rusage.
    if unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) } != 0 {
        return f64::NAN;
    }
    ru.ru_maxrss as f64 / 1024.0
}

fn main() -> Result<()> {
    let n = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .find_map(|a| a.parse().ok())
        .unwrap_or(50_000usize);

    let t = Instant::now();
    let mut sc = seed::scenario(&seed::Scale::of(n), chrono::Utc::now())?;
    // No timeline writes: the bundle reads one still cluster.
    sc.timeline.clear();
    let sim = Sim::new(&sc)?;
    let objects = sim.store.count();
    eprintln!(
        "seeded {objects} objects ({n} Backups) in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = rt.spawn(sim.clone().serve(listener, async {
        let _ = stopped.await;
    }));

    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, sim::kubeconfig(addr, "bench"))?;
    let bundle = dir.path().join("bench.tar.gz");
    let began = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--log-file")
        .arg(dir.path().join("report.log"))
        .arg("report")
        .arg("-o")
        .arg(&bundle)
        .stdin(Stdio::null())
        .output()
        .context("running backstop report")?;
    let wall = began.elapsed().as_secs_f64();
    let peak = children_peak_mib();
    if !out.status.success() {
        bail!(
            "backstop report failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let size = std::fs::metadata(&bundle)?.len() as f64 / (1024.0 * 1024.0);

    let began = Instant::now();
    let back = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--log-file")
        .arg(dir.path().join("dump.log"))
        .args(["check", "--format", "json", "--dump"])
        .arg(&bundle)
        .stdin(Stdio::null())
        .output()
        .context("running backstop check --dump")?;
    let reload = began.elapsed().as_secs_f64();
    let reload_peak = children_peak_mib();
    let status = serde_json::from_slice::<serde_json::Value>(&back.stdout)
        .ok()
        .and_then(|v| v["status"].as_str().map(str::to_string))
        .unwrap_or_else(|| "no report".into());

    let _ = stop.send(());
    let _ = rt.block_on(served);
    println!(
        "{}",
        serde_json::json!({
            "backups": n, "objects": objects, "report_wall_s": wall,
            "report_peak_rss_mib": peak, "bundle_mib": size,
            "check_dump_wall_s": reload, "peak_rss_mib_after_check_dump": reload_peak,
            "check_dump_status": status,
        })
    );
    eprintln!(
        "{n} Backups ({objects} objects): report {wall:.1}s, peak RSS {peak:.0} MiB, bundle {size:.1} MiB; check --dump of it {reload:.1}s ({status})"
    );
    Ok(())
}
