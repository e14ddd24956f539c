//! The scale benchmark: backstop against its own simulated cluster with N Backups and N Pods
//! (1k, 10k, 50k), and kubectl and kdash against the same cluster for comparison.
//!
//! ```text
//! cargo bench --bench scale                      # sizes 1000, 10000, 50000, long phases (~20-30 min)
//! cargo bench --bench scale -- --quick           # 10000 only, short phases, under a minute
//! cargo bench --bench scale -- --sizes 1000,10000
//! cargo bench --bench scale -- --skip kdash,kubectl,logs
//! ```
//!
//! One JSON line per size on stdout, a short summary on stderr. The protocol is
//! shared/TESTING-NOTES.md §4. Everything started here (the simulator, a private tmux server
//! `tmux -L backstop-bench-<pid>`, temporary folders) is stopped or removed on every way out,
//! Ctrl-C and SIGTERM included.
//!
//! Per size, in this order (each on the same simulator):
//! 1. backstop in tmux 120x40 with `BACKSTOP_TIMINGS`: first frame, populated, memory after a
//!    settle window, CPU and event-to-screen latency at 0/10/100/1000 watch events a second
//!    (writes straight into the simulator's store), render times, a relist after
//!    `store.compact()`, then the log view of the plugin pod at 1000 lines a second.
//! 2. kubectl `get backups -A -o json` and `get pods -A` (warm discovery cache), peak RSS
//!    by wait4. Quick runs it while backstop sits in its settle and idle windows (backstop
//!    gets no event meanwhile), to keep within the minute; the full run after backstop.
//! 3. kdash in tmux 120x40: time until its Pods tab counts every pod, memory, idle CPU.
//!
//! Quick runs also have a budget (`QUICK_BUDGET`): a slow app shortens the log window (not
//! below 6 s) and kdash's deadline; the JSON says how long each window really was.

mod app;
mod case;
mod cleanup;
mod cluster;
mod helpers;
mod kdash;
mod kubectl;
mod measure;
mod procfs;
mod report;
mod timings;
mod tmux;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::json;

use crate::case::run_case;
use crate::cleanup::{emergency_cleanup, install_signal_handler};
use crate::measure::{HELPER_ARG, helper_main};
use crate::report::summary;

#[derive(Debug, Clone)]
struct Opts {
    quick: bool,
    sizes: Vec<usize>,
    skip_kdash: bool,
    skip_kubectl: bool,
    skip_logs: bool,
}

fn parse_args() -> Result<Opts> {
    let mut opts = Opts {
        quick: false,
        sizes: Vec::new(),
        skip_kdash: false,
        skip_kubectl: false,
        skip_logs: false,
    };
    let mut sizes: Option<Vec<usize>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let mut value = |what: &str| -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .with_context(|| format!("{name} needs a value ({what})")),
            }
        };
        match name.as_str() {
            "--quick" => opts.quick = true,
            "--sizes" => {
                let list = value("a comma-separated list such as 1000,10000")?;
                let parsed = list
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| {
                        s.trim()
                            .replace('_', "")
                            .parse::<usize>()
                            .with_context(|| format!("--sizes: '{s}' is not a number"))
                    })
                    .collect::<Result<Vec<_>>>()?;
                if parsed.is_empty() {
                    bail!("--sizes: no size given");
                }
                sizes = Some(parsed);
            }
            "--skip" => {
                for part in value("kdash, kubectl and/or logs")?.split(',') {
                    match part.trim() {
                        "kdash" => opts.skip_kdash = true,
                        "kubectl" => opts.skip_kubectl = true,
                        "logs" | "log" => opts.skip_logs = true,
                        "" => {}
                        other => bail!("--skip: unknown part '{other}' (kdash, kubectl, logs)"),
                    }
                }
            }
            // cargo adds `--bench`; anything else we do not know is ignored as well.
            "--bench" => {}
            other => eprintln!("scale: ignoring the argument {other:?}"),
        }
    }
    opts.sizes = sizes.unwrap_or_else(|| {
        if opts.quick {
            vec![10_000]
        } else {
            vec![1_000, 10_000, 50_000]
        }
    });
    Ok(opts)
}

#[derive(Debug, Clone)]
struct Plan {
    /// After populated, before reading the peak RSS.
    settle: Duration,
    /// The rate-0 (idle) window.
    idle_window: Duration,
    /// Each window with watch events.
    cpu_window: Duration,
    rates: [u32; 4],
    log_window: Duration,
    kubectl_runs: usize,
    kdash_deadline: Duration,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                settle: Duration::from_secs(3),
                // At least one whole poll period of kdash (5 s), whose idle CPU is
                // measured over the same length.
                idle_window: Duration::from_secs(5),
                cpu_window: Duration::from_secs(3),
                rates: [0, 10, 100, 1000],
                log_window: Duration::from_secs(12),
                kubectl_runs: 1,
                kdash_deadline: Duration::from_secs(20),
            }
        } else {
            Plan {
                settle: Duration::from_secs(20),
                idle_window: Duration::from_secs(30),
                cpu_window: Duration::from_secs(30),
                rates: [0, 10, 100, 1000],
                log_window: Duration::from_secs(300),
                kubectl_runs: 3,
                kdash_deadline: Duration::from_secs(60),
            }
        }
    }

    /// How long backstop may take to show every row: generous, the unoptimised app is slow.
    fn populated_deadline(&self, n: usize) -> Duration {
        Duration::from_secs(30) + Duration::from_millis(2 * n as u64)
    }
}

/// What a quick run may take, start to end (`cargo bench` adds about half a second).
const QUICK_BUDGET: Duration = Duration::from_secs(56);

fn run() -> Result<()> {
    let opts = parse_args()?;
    let plan = Plan::new(opts.quick);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("scale-sim")
        .build()
        .context("starting the tokio runtime")?;
    install_signal_handler(&rt);
    let started = Instant::now();
    eprintln!(
        "scale: sizes {:?}{}",
        opts.sizes,
        if opts.quick { " (quick)" } else { "" }
    );
    let mut failed = BTreeMap::new();
    for &n in &opts.sizes {
        // Quick: each size within a minute (cargo's start included).
        let deadline = opts.quick.then(|| Instant::now() + QUICK_BUDGET);
        let line = match run_case(&rt, &opts, &plan, n, deadline) {
            Ok(line) => line,
            Err(e) => {
                failed.insert(n, format!("{e:#}"));
                json!({"bench": "scale", "n": n, "error": format!("{e:#}")})
            }
        };
        println!("{line}");
        eprintln!("{}", summary(&line));
    }
    eprintln!("scale: done in {:.1} s", started.elapsed().as_secs_f64());
    if !failed.is_empty() {
        bail!("sizes that failed: {failed:?}");
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(HELPER_ARG) {
        std::process::exit(helper_main(&args[2..]));
    }
    let code = match run() {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("scale: {e:#}");
            1
        }
    };
    // A last sweep, should anything have escaped its guard.
    emergency_cleanup();
    std::process::exit(code);
}
