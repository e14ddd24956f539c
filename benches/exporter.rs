//! What the exporter costs: the simulator seeded at N Backups (default 10,000; the scale
//! benchmark's shape, `sim::seed::Scale`) served on loopback from this process, and the
//! release `backstop exporter` binary evaluating it every few seconds in a process of its
//! own. For each evaluation: its wall time (as the exporter measures it), the CPU time the
//! process spent since the previous one (utime+stime from /proc), its peak and current
//! resident memory (VmHWM, VmRSS), the /metrics page's size and series. The exporter's
//! log file says when an evaluation ends, so the benchmark does not scrape between
//! evaluations (a scrape costs the exporter CPU too).
//!
//! `cargo bench --bench exporter [-- N [EVALUATIONS [INTERVAL_SECS]]]` (defaults 10000, 6,
//! 10). One JSON line per evaluation on stdout, a summary on stderr.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

mod seeded;

struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// utime + stime in seconds (fields 14 and 15 of /proc/PID/stat, counted after the name).
fn cpu_secs(pid: u32) -> Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = text.rsplit_once(')').context("/proc/PID/stat")?.1;
    let f: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| -> Result<f64> { Ok(f.get(i - 3).context("a field")?.parse::<f64>()?) };
    Ok((get(14)? + get(15)?) / clk_tck())
}

/// (VmHWM, VmRSS) in MiB.
fn memory_mib(pid: u32) -> Result<(f64, f64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let kib: f64 = text
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .with_context(|| format!("{name} in /proc/{pid}/status"))?
            .parse()?;
        Ok((kib / 1024.0 * 10.0).round() / 10.0)
    };
    Ok((field("VmHWM:")?, field("VmRSS:")?))
}

fn get(addr: SocketAddr, path: &str) -> Result<String> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    write!(s, "GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n")?;
    let mut answer = String::new();
    s.read_to_string(&mut answer)?;
    Ok(answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default())
}

fn sample(page: &str, name: &str) -> Option<f64> {
    page.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

fn main() -> Result<()> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .filter_map(|a| a.parse().ok())
        .collect();
    let n = args.first().copied().unwrap_or(10_000);
    let evaluations = args.get(1).copied().unwrap_or(6);
    let interval = args.get(2).copied().unwrap_or(10);

    let seeded = seeded::Seeded::serve(n)?;
    let (objects, kubeconfig, dir) = (seeded.objects, &seeded.kubeconfig, seeded.dir.path());
    let log = dir.join("exporter.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--log-file")
        .arg(&log)
        .args(["exporter", "--listen", "127.0.0.1:0", "--interval"])
        .arg(format!("{interval}s"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("starting the exporter")?;
    let stdout = child.stdout.take().context("stdout")?;
    let exporter = Exporter(child);
    let pid = exporter.0.id();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line)?;
    let addr: SocketAddr = line
        .strip_prefix("backstop exporter: serving http://")
        .and_then(|r| r.split('/').next())
        .context("the serving line")?
        .parse()?;

    let mut cpu_before = cpu_secs(pid)?;
    let mut rows = Vec::new();
    let deadline =
        Instant::now() + Duration::from_secs((interval as u64 + 120) * evaluations as u64);
    for i in 1..=evaluations {
        // The log says when evaluation i ended.
        loop {
            let done = std::fs::read_to_string(&log)
                .unwrap_or_default()
                .matches("exporter: evaluation complete")
                .count();
            if done >= i {
                break;
            }
            if Instant::now() > deadline {
                bail!("evaluation {i} did not complete in time");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let cpu = cpu_secs(pid)?;
        let (hwm, rss) = memory_mib(pid)?;
        let page = get(addr, "/metrics")?;
        let series = page.lines().filter(|l| !l.starts_with('#')).count();
        let row = serde_json::json!({
            "backups": n,
            "evaluation": i,
            "wall_s": sample(&page, "backstop_evaluation_duration_seconds"),
            "cpu_s": ((cpu - cpu_before) * 100.0).round() / 100.0,
            "peak_rss_mib": hwm,
            "rss_mib": rss,
            "metrics_bytes": page.len(),
            "series": series,
            "findings_critical": sample(&page, "backstop_findings{severity=\"critical\"}"),
        });
        // The scrape just made is counted in the next evaluation's CPU: a Prometheus would
        // make one too.
        cpu_before = cpu_secs(pid)?;
        println!("{row}");
        rows.push(row);
    }
    drop(exporter);
    drop(seeded);
    let first = &rows[0];
    let last = &rows[rows.len() - 1];
    eprintln!(
        "{n} Backups ({} objects), {evaluations} evaluations every {interval}s: wall {}..{} s, peak RSS {} MiB after the first, {} MiB after the last, /metrics {} bytes, {} series",
        objects,
        first["wall_s"],
        last["wall_s"],
        first["peak_rss_mib"],
        last["peak_rss_mib"],
        last["metrics_bytes"],
        last["series"]
    );
    Ok(())
}
