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

mod cleanup;
mod cluster;
mod helpers;
mod measure;
mod procfs;
mod timings;
mod tmux;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use backstop::sim::seed::{self, Scale};
use backstop::sim::{self, Sim};

use crate::cleanup::{TempDir, emergency_cleanup, install_signal_handler};
use crate::cluster::{Churn, Sent, Served, latencies};
use crate::helpers::{
    find_in_path, home, ms, num, part, percentile, poll_until, round2, shell_quote, stats_ms, u,
    wall_us,
};
use crate::measure::{HELPER_ARG, Measured, helper_main, measure};
use crate::procfs::{CpuWindow, find_process, machine, proc_alive, proc_mem};
use crate::timings::{Timings, is, is_populated, kind_is};
use crate::tmux::{Session, Tmux};

// ---------------------------------------------------------------------------------------
// Options and the length of each phase

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

/// Kubernetes poll of kdash (`--poll-rate`, its default) and its tick (`--tick-rate`, default).
const KDASH_POLL_MS: u64 = 5000;
const KDASH_TICK_MS: u64 = 250;

// ---------------------------------------------------------------------------------------
// One size

struct Case<'a> {
    n: usize,
    /// Quick runs: when everything must be done (the run has a minute).
    deadline: Option<Instant>,
    plan: &'a Plan,
    opts: &'a Opts,
    served: &'a Served,
    tmux: &'a Tmux,
    dir: &'a Path,
    kubeconfig: PathBuf,
    context: String,
    expected_pods: usize,
}

impl Case<'_> {
    /// `want`, or less (not below `min`) when the time left before the deadline, less
    /// `reserve` for what comes after, is shorter.
    fn within_budget(&self, want: Duration, min: Duration, reserve: Duration) -> Duration {
        match self.deadline {
            None => want,
            Some(end) => end
                .saturating_duration_since(Instant::now())
                .saturating_sub(reserve)
                .clamp(min, want.max(min)),
        }
    }
}

fn context_name(n: usize) -> String {
    if n >= 1000 && n.is_multiple_of(1000) {
        format!("bench-{}k", n / 1000)
    } else {
        format!("bench-{n}")
    }
}

fn run_case(
    rt: &tokio::runtime::Runtime,
    opts: &Opts,
    plan: &Plan,
    n: usize,
    deadline: Option<Instant>,
) -> Result<Value> {
    let t = Instant::now();
    let mut scale = Scale::of(n);
    scale.log_lines_per_second = 1000.0;
    let sim = {
        let mut sc = seed::scenario(&scale, chrono::Utc::now())
            .with_context(|| format!("seeding the cluster at scale {n}"))?;
        // The healthy scenario's timeline runs a Backup through its phases 40 s after the
        // start and every 6 minutes: writes the idle window must not see. Off.
        sc.timeline.clear();
        Sim::new(&sc).with_context(|| format!("building the simulator at scale {n}"))?
    };
    let seed_s = round2(t.elapsed().as_secs_f64());
    let objects = sim.store.count();
    let pod_t = sim
        .store
        .read()
        .registry
        .by_kind("", "Pod")
        .cloned()
        .context("the simulator serves no Pods")?;
    let expected_pods = sim
        .store
        .list(&pod_t, None, &Default::default(), &Default::default())
        .0
        .len();

    let dir = TempDir::new("backstop-bench-")?;
    let served = Served::start(rt, sim)?;
    let context = context_name(n);
    let kubeconfig = dir.path.join("kubeconfig");
    sim::write_atomically(&kubeconfig, &sim::kubeconfig(served.addr, &context))
        .context("writing the kubeconfig")?;
    let tmux = Tmux::new(&dir.path)?;
    let case = Case {
        n,
        deadline,
        plan,
        opts,
        served: &served,
        tmux: &tmux,
        dir: &dir.path,
        kubeconfig,
        context,
        expected_pods,
    };

    eprintln!(
        "scale: n={n}: {objects} objects ({expected_pods} pods) seeded in {seed_s} s, simulator on {}",
        served.addr
    );
    // Quick runs kubectl during backstop's settle and idle windows (see `bench_backstop`).
    let mut kubectl = None;
    let backstop = part(|| bench_backstop(&case, &mut kubectl));
    let kubectl = match kubectl {
        _ if opts.skip_kubectl => json!({"skipped": true}),
        Some(k) => k,
        None => part(|| bench_kubectl(&case)),
    };
    let kdash = if opts.skip_kdash {
        json!({"skipped": true})
    } else {
        part(|| bench_kdash(&case))
    };
    drop(tmux);
    drop(served);
    drop(dir);

    let targets = targets(n, &backstop);
    let ratios = ratios(&backstop, &kubectl, &kdash);
    Ok(json!({
        "bench": "scale",
        "n": n,
        "quick": opts.quick,
        "objects": objects,
        "pods_total": expected_pods,
        "seed_s": seed_s,
        "machine": machine(),
        "plan": {
            "settle_s": plan.settle.as_secs_f64(),
            "idle_window_s": plan.idle_window.as_secs_f64(),
            "cpu_window_s": plan.cpu_window.as_secs_f64(),
            "log_window_s": if opts.skip_logs { Value::Null } else { json!(plan.log_window.as_secs_f64()) },
            "kubectl_runs": plan.kubectl_runs,
        },
        "backstop": backstop,
        "kubectl": kubectl,
        "kdash": kdash,
        "targets": targets,
        "ratios": ratios,
    }))
}

// ---------------------------------------------------------------------------------------
// backstop

/// backstop's figures. In quick mode, also kubectl's (into `kubectl`), measured during
/// backstop's settle and idle windows: kubectl at 10k takes ~15 s, too long to run after.
fn bench_backstop(case: &Case, kubectl: &mut Option<Value>) -> Result<Value> {
    let mut out = serde_json::Map::new();
    // A failure half-way keeps the figures measured so far, with the error.
    if let Err(e) = backstop_phases(case, kubectl, &mut out) {
        out.insert("error".into(), json!(format!("{e:#}")));
    }
    Ok(Value::Object(out))
}

fn backstop_phases(
    case: &Case,
    kubectl: &mut Option<Value>,
    out: &mut serde_json::Map<String, Value>,
) -> Result<()> {
    let bin = env!("CARGO_BIN_EXE_backstop");
    let (dir, tmux, n, plan) = (case.dir, case.tmux, case.n, case.plan);
    let timings_path = dir.join("timings.jsonl");
    let state = dir.join("state");
    let config = dir.join("config");
    for d in [&state, &config] {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    let env = [
        ("KUBECONFIG", case.kubeconfig.display().to_string()),
        ("TERM", "xterm-256color".to_string()),
        ("XDG_STATE_HOME", state.display().to_string()),
        ("XDG_CONFIG_HOME", config.display().to_string()),
        ("BACKSTOP_TIMINGS", timings_path.display().to_string()),
        (
            "BACKSTOP_LOG_FILE",
            dir.join("backstop.log").display().to_string(),
        ),
    ];
    let mut timings = Timings::new(timings_path);

    // 1. First frame, on screen and in the timings.
    let spawn_wall = wall_us();
    let spawn = Instant::now();
    tmux.start(
        "bench",
        120,
        40,
        &env,
        &format!("exec {}", shell_quote(bin)),
    )?;
    let _session = Session {
        tmux,
        name: "bench",
    };
    let mut tries = 0u32;
    let screen = poll_until(Duration::from_secs(30), Duration::from_millis(10), || {
        // Seen when the capture returns (the figure, tmux included); the pane was
        // captured somewhere after `began`, a lower bound.
        let began = spawn.elapsed();
        let screen = tmux.capture("bench")?;
        if screen
            .lines()
            .next()
            .is_some_and(|l| l.contains(&case.context))
        {
            return Ok(Some((spawn.elapsed(), began)));
        }
        tries += 1;
        if tries.is_multiple_of(25) {
            tmux.ended_error("bench", "backstop")?;
        }
        Ok(None)
    })?
    .with_context(|| {
        format!(
            "backstop's header never showed the context {} within 30 s",
            case.context
        )
    })?;
    out.insert("first_frame_screen_ms".into(), json!(ms(screen.0)));
    out.insert("first_frame_screen_lower_ms".into(), json!(ms(screen.1)));
    let first = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
        timings.poll()?;
        Ok(timings.frames_from(0).next().cloned())
    })?
    .with_context(|| "backstop drew on screen but recorded no frame in its timings")?;
    let pid = timings
        .events
        .iter()
        .find(|e| is(e, "start"))
        .map(|e| u(e, "pid") as u32)
        .context("no start event in the timings")?;
    out.insert("pid".into(), json!(pid));
    out.insert(
        "first_frame_ms".into(),
        json!(round2(u(&first, "t_us") as f64 / 1000.0)),
    );
    out.insert(
        "first_frame_wall_ms".into(),
        json!(round2(
            u(&first, "wall_us").saturating_sub(spawn_wall) as f64 / 1000.0
        )),
    );

    // 2. Populated: live, and every Backup and Pod counted.
    let populated = poll_until(
        plan.populated_deadline(n),
        Duration::from_millis(20),
        || {
            timings.poll()?;
            if let Some(i) = timings
                .events
                .iter()
                .position(|e| is(e, "frame") && is_populated(e, n))
            {
                return Ok(Some(i));
            }
            tmux.check_alive("bench", "backstop", pid)?;
            Ok(None)
        },
    )?;
    let init_done = |t: &Timings, kind: &str| {
        t.events
            .iter()
            .find(|e| is(e, "init_done") && kind_is(e, kind))
            .map(|e| round2(u(e, "t_us") as f64 / 1000.0))
    };
    out.insert(
        "init_done_ms".into(),
        json!({"Backups": init_done(&timings, "Backups"), "Pods": init_done(&timings, "Pods")}),
    );
    let Some(populated) = populated else {
        let last = timings.last_frame().cloned();
        out.insert("populated_ms".into(), Value::Null);
        out.insert(
            "note".into(),
            json!(format!(
                "not populated after {:?}; last frame: {}",
                plan.populated_deadline(n),
                last.map_or("none".into(), |f| f.to_string())
            )),
        );
        return Ok(());
    };
    let pf = timings.events[populated].clone();
    out.insert(
        "populated_ms".into(),
        json!(round2(u(&pf, "t_us") as f64 / 1000.0)),
    );
    out.insert(
        "populated_wall_ms".into(),
        json!(round2(
            u(&pf, "wall_us").saturating_sub(spawn_wall) as f64 / 1000.0
        )),
    );
    out.insert(
        "rows".into(),
        json!({"backups": u(&pf, "backups"), "pods": u(&pf, "pods")}),
    );

    // 3. Memory after a settle window, and 4a. the idle window (rate 0). In quick mode
    // kubectl runs meanwhile: it only reads from the simulator, so backstop gets no event
    // and stays idle; the windows with events start once kubectl is done.
    let mut churn = Churn::new(case.served.sim.clone())?;
    let mut rates = Vec::new();
    let concurrent = case.opts.quick && !case.opts.skip_kubectl;
    std::thread::scope(|scope| -> Result<()> {
        let kubectl_run = concurrent.then(|| {
            scope.spawn(|| {
                let mut v = part(|| bench_kubectl(case));
                if let Some(o) = v.as_object_mut() {
                    o.insert(
                        "concurrent_with".into(),
                        json!("backstop's settle and idle windows"),
                    );
                }
                v
            })
        });
        let settle_start = Instant::now();
        let settle_end = settle_start + plan.settle;
        while Instant::now() < settle_end {
            timings.poll()?;
            std::thread::sleep(
                Duration::from_millis(100)
                    .min(settle_end.saturating_duration_since(Instant::now())),
            );
        }
        out.insert(
            "settle_s".into(),
            json!(round2(settle_start.elapsed().as_secs_f64())),
        );
        tmux.check_alive("bench", "backstop", pid)?;
        let mem = proc_mem(pid)?;
        out.insert("peak_rss_mb".into(), json!(mem.hwm_mb));
        out.insert("rss_mb".into(), json!(mem.rss_mb));

        timings.poll()?;
        let from = timings.events.len();
        rates.push(part(|| {
            churn_window(&mut churn, &mut timings, from, pid, 0, plan.idle_window)
        }));
        if let Some(h) = kubectl_run {
            let waited = Instant::now();
            while !h.is_finished() {
                timings.poll()?;
                std::thread::sleep(Duration::from_millis(50));
            }
            out.insert(
                "kubectl_wait_s".into(),
                json!(round2(waited.elapsed().as_secs_f64())),
            );
            *kubectl = Some(
                h.join()
                    .unwrap_or_else(|_| json!({"error": "the kubectl thread panicked"})),
            );
        }
        Ok(())
    })?;
    tmux.check_alive("bench", "backstop", pid)?;

    // 4b. CPU and event-to-screen latency at each rate of watch events.
    for &rate in plan.rates.iter().filter(|&&r| r > 0) {
        timings.poll()?;
        let from = timings.events.len();
        rates.push(part(|| {
            churn_window(&mut churn, &mut timings, from, pid, rate, plan.cpu_window)
        }));
        tmux.check_alive("bench", "backstop", pid)?;
    }
    let idle = rates
        .first()
        .and_then(|r| r.get("cpu_pct"))
        .cloned()
        .unwrap_or(Value::Null);
    out.insert("idle_cpu_pct".into(), idle);
    out.insert("churn".into(), Value::Array(rates));

    // 5. Render and draw times of the frames since populated, and the data refreshes.
    timings.poll()?;
    let span = &timings.events[populated..];
    let frames: Vec<&Value> = span.iter().filter(|e| is(e, "frame")).collect();
    let render: Vec<f64> = frames
        .iter()
        .map(|f| u(f, "render_us") as f64 / 1000.0)
        .collect();
    let draw: Vec<f64> = frames
        .iter()
        .map(|f| u(f, "draw_us") as f64 / 1000.0)
        .collect();
    out.insert("render_ms".into(), stats_ms(&render));
    out.insert("draw_ms".into(), stats_ms(&draw));
    // Refreshes over the same span: after populated, before the relist.
    let refresh = |cause: &str| -> Vec<f64> {
        span.iter()
            .filter(|e| is(e, "refresh") && e.get("cause").and_then(Value::as_str) == Some(cause))
            .map(|e| u(e, "us") as f64 / 1000.0)
            .collect()
    };
    out.insert(
        "refresh_ms".into(),
        json!({"data": stats_ms(&refresh("data")), "clock": stats_ms(&refresh("clock"))}),
    );

    // 6. Relist after a compaction.
    out.insert("relist".into(), part(|| relist(case, &mut timings, pid)));
    tmux.check_alive("bench", "backstop", pid)?;

    // 7. The log view of the plugin pod at 1000 lines a second.
    if !case.opts.skip_logs {
        out.insert(
            "log".into(),
            part(|| {
                // Quick runs keep within their minute: the window shrinks (to 6 s at least)
                // when the app was slow so far, leaving time for kdash.
                let reserve = if case.opts.skip_kdash {
                    Duration::from_secs(1)
                } else {
                    plan.idle_window + Duration::from_secs(5)
                };
                let window = case.within_budget(plan.log_window, Duration::from_secs(6), reserve);
                log_view(case, &mut timings, pid, window)
            }),
        );
    } else {
        out.insert("log".into(), json!({"skipped": true}));
    }

    // Quit; the session is killed anyway when `_session` drops.
    let quit = Instant::now();
    tmux.keys("bench", &["Escape"])?;
    tmux.keys("bench", &["q"])?;
    let exited = poll_until(Duration::from_secs(10), Duration::from_millis(20), || {
        Ok((!proc_alive(pid)).then_some(()))
    })?
    .is_some();
    out.insert(
        "quit".into(),
        json!({"exited": exited, "ms": if exited { json!(ms(quit.elapsed())) } else { Value::Null }}),
    );
    timings.poll()?;
    out.insert("timing_events".into(), json!(timings.events.len()));
    Ok(())
}

fn churn_window(
    churn: &mut Churn,
    timings: &mut Timings,
    from: usize,
    pid: u32,
    rate: u32,
    window: Duration,
) -> Result<Value> {
    let w0 = wall_us();
    let rv0 = churn.sim.store.resource_version();
    let cpu = CpuWindow::start(pid)?;
    let t0 = cpu.t0;
    let mut sent: Vec<Sent> = Vec::new();
    let mut noop = 0usize;
    if rate > 0 {
        let every = Duration::from_secs_f64(1.0 / rate as f64);
        let mut i: u32 = 0;
        loop {
            let due = t0 + every * i;
            if due >= t0 + window {
                break;
            }
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            match churn.write()? {
                Some(s) => sent.push(s),
                None => noop += 1,
            }
            i += 1;
        }
    }
    let end = t0 + window;
    while Instant::now() < end {
        // Reading the file as we go keeps the final read short.
        timings.poll()?;
        std::thread::sleep(
            Duration::from_millis(50).min(end.saturating_duration_since(Instant::now())),
        );
    }
    let cpu_pct = cpu.pct()?;
    let elapsed = t0.elapsed().as_secs_f64();
    let w1 = wall_us();
    let store_writes = churn.sim.store.resource_version().saturating_sub(rv0);
    // Let the last writes reach the screen (or give up after 5 s).
    let last_rv = sent.iter().map(|s| s.rv).max().unwrap_or(0);
    poll_until(Duration::from_secs(5), Duration::from_millis(20), || {
        timings.poll()?;
        Ok(timings
            .frames_from(from)
            .any(|f| u(f, "rv") >= last_rv)
            .then_some(()))
    })?;
    let frames: Vec<(u64, u64)> = timings
        .frames_from(from)
        .map(|f| (u(f, "wall_us"), u(f, "rv")))
        .collect();
    let in_window = frames.iter().filter(|(w, _)| *w >= w0 && *w <= w1).count();
    let (lat, unseen) = latencies(&sent, &frames);
    let refresh: Vec<f64> = timings.events[from.min(timings.events.len())..]
        .iter()
        .filter(|e| {
            is(e, "refresh")
                && e.get("cause").and_then(Value::as_str) == Some("data")
                && u(e, "wall_us") <= w1
        })
        .map(|e| u(e, "us") as f64 / 1000.0)
        .collect();
    // Writes no frame showed (within the 5 s grace) count as infinitely late: a percentile
    // that falls on them is null.
    let mut all = lat.clone();
    all.extend(std::iter::repeat_n(f64::INFINITY, unseen));
    let finite = |x: Option<f64>| x.filter(|x| x.is_finite()).map(round2);
    let latency = json!({
        "n": lat.len(),
        "unseen": unseen,
        "p50": finite(percentile(&all, 50.0)),
        "p95": finite(percentile(&all, 95.0)),
        "max": finite(lat.iter().copied().reduce(f64::max)),
    });
    Ok(json!({
        "rate": rate,
        "window_s": round2(elapsed),
        "sent": sent.len(),
        "noop_writes": noop,
        // Writes to the store by anyone else during the window (should be 0).
        "other_writes": store_writes.saturating_sub(sent.len() as u64),
        "sent_per_s": round2(sent.len() as f64 / elapsed),
        "cpu_pct": cpu_pct,
        "fps": round2(in_window as f64 / elapsed),
        "data_refreshes": refresh.len(),
        "refresh_ms_p95": percentile(&refresh, 95.0).map(round2),
        "latency_ms": latency,
    }))
}

fn relist(case: &Case, timings: &mut Timings, pid: u32) -> Result<Value> {
    timings.poll()?;
    let from = timings.events.len();
    let before = proc_mem(pid)?;
    let w0 = wall_us();
    let t0 = Instant::now();
    case.served.sim.store.compact();
    let mut peak_rss = before.rss_mb;
    let done = |t: &Timings, kind: &str| {
        t.events[from..]
            .iter()
            .find(|e| is(e, "init_done") && kind_is(e, kind))
            .map(|e| u(e, "wall_us"))
    };
    let relisted = poll_until(Duration::from_secs(120), Duration::from_millis(20), || {
        timings.poll()?;
        peak_rss = peak_rss.max(proc_mem(pid)?.rss_mb);
        Ok(match (done(timings, "Backups"), done(timings, "Pods")) {
            (Some(b), Some(p)) => Some((b, p)),
            _ => None,
        })
    })?;
    let Some((b, p)) = relisted else {
        bail!("no new init_done for both Backups and Pods within 120 s of the compaction");
    };
    let relist_ms = round2(b.max(p).saturating_sub(w0) as f64 / 1000.0);
    // And until a frame shows every row again.
    let from_done = from;
    let repopulated = poll_until(Duration::from_secs(60), Duration::from_millis(20), || {
        timings.poll()?;
        peak_rss = peak_rss.max(proc_mem(pid)?.rss_mb);
        Ok(timings
            .frames_from(from_done)
            .find(|f| u(f, "wall_us") >= b.max(p) && is_populated(f, case.n))
            .map(|f| u(f, "wall_us")))
    })?;
    let after = proc_mem(pid)?;
    let starts = timings.events[from..]
        .iter()
        .filter(|e| is(e, "init_start"))
        .count();
    Ok(json!({
        "relist_ms": relist_ms,
        "backups_ms": round2(b.saturating_sub(w0) as f64 / 1000.0),
        "pods_ms": round2(p.saturating_sub(w0) as f64 / 1000.0),
        "repopulated_ms": repopulated.map(|w| round2(w.saturating_sub(w0) as f64 / 1000.0)),
        "relist_peak_rss_mb": round2(peak_rss),
        "rss_before_mb": before.rss_mb,
        "hwm_before_mb": before.hwm_mb,
        "rss_after_mb": after.rss_mb,
        "hwm_after_mb": after.hwm_mb,
        "init_starts": starts,
        "elapsed_ms": ms(t0.elapsed()),
    }))
}

/// The log view of the plugin pod, whose log writes 1000 lines a second, for `window`.
fn log_view(case: &Case, timings: &mut Timings, pid: u32, window: Duration) -> Result<Value> {
    let tmux = case.tmux;
    timings.poll()?;
    let from = timings.events.len();
    let pressed = Instant::now();
    // At start the first pane (Plugin & operator) is focused on the plugin pod.
    tmux.keys("bench", &["l"])?;
    let first = poll_until(Duration::from_secs(20), Duration::from_millis(20), || {
        timings.poll()?;
        if timings.frames_from(from).any(|f| u(f, "log_lines") > 0) {
            return Ok(Some(pressed.elapsed()));
        }
        tmux.check_alive("bench", "backstop", pid)?;
        Ok(None)
    })?
    .context("no frame with log lines within 20 s of pressing l")?;
    let screen = tmux.capture("bench").unwrap_or_default();
    let title = screen.lines().find_map(|l| {
        let at = l.find("Logs of")?;
        let rest = &l[at..];
        Some(rest[..rest.find(']').map_or(rest.len(), |i| i + 1)].to_string())
    });
    let start = proc_mem(pid)?;
    let cpu = CpuWindow::start(pid)?;
    let frames_from = timings.events.len();
    let mut samples = vec![start.rss_mb];
    let t0 = Instant::now();
    let mut next = t0;
    while t0.elapsed() < window {
        next += Duration::from_secs(1);
        while Instant::now() < next {
            timings.poll()?;
            std::thread::sleep(
                Duration::from_millis(100).min(next.saturating_duration_since(Instant::now())),
            );
        }
        tmux.check_alive("bench", "backstop", pid)?;
        samples.push(proc_mem(pid)?.rss_mb);
    }
    let window_s = t0.elapsed().as_secs_f64();
    let cpu_pct = cpu.pct()?;
    timings.poll()?;
    let end = proc_mem(pid)?;
    let frames = timings.frames_from(frames_from).count();
    let lines = timings.last_frame().map(|f| u(f, "log_lines")).unwrap_or(0);
    let max = samples.iter().copied().fold(start.rss_mb, f64::max);
    let last = samples.last().copied().unwrap_or(start.rss_mb);
    Ok(json!({
        "first_lines_ms": ms(first),
        "title": title,
        "window_s": round2(window_s),
        "start_rss_mb": start.rss_mb,
        "end_rss_mb": last,
        "max_rss_mb": round2(max),
        "growth_mb": round2(last - start.rss_mb),
        "hwm_end_mb": end.hwm_mb,
        "lines_held": lines,
        "cpu_pct": cpu_pct,
        "fps": round2(frames as f64 / window_s),
        "rss_samples_mb": samples,
    }))
}

// ---------------------------------------------------------------------------------------
// kubectl

/// A kubectl run that long is not repeated.
const KUBECTL_LONG_MS: f64 = 30_000.0;

fn bench_kubectl(case: &Case) -> Result<Value> {
    let kubectl = find_in_path("kubectl").context("kubectl is not on PATH")?;
    let cache = case.dir.join("kubectl-cache");
    let stderr_path = case.dir.join("kubectl.stderr");
    let limit = Duration::from_secs(600);
    let run = |args: &[&str]| -> Result<Measured> {
        let mut all: Vec<std::ffi::OsString> = vec![
            "--kubeconfig".into(),
            case.kubeconfig.clone().into(),
            "--cache-dir".into(),
            cache.clone().into(),
        ];
        all.extend(args.iter().map(Into::into));
        let m = measure(&kubectl, &all, &stderr_path, limit)?;
        if m.status != 0 {
            let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            bail!(
                "kubectl {} exited with {}: {}",
                args.join(" "),
                m.status,
                err.trim().chars().take(500).collect::<String>()
            );
        }
        Ok(m)
    };
    // Warm the discovery cache first, as a user's would be.
    run(&["get", "namespaces", "-o", "name"])?;
    let mut out = serde_json::Map::new();
    out.insert("discovery_cache".into(), json!("warm"));
    for (name, args) in [
        ("backups_json", &["get", "backups", "-A", "-o", "json"][..]),
        ("pods", &["get", "pods", "-A"][..]),
    ] {
        let r = part(|| {
            // The median of `kubectl_runs`, or a single run when one takes over 30 s (at 50k
            // `get backups -o json` takes minutes: three would add ~5 min to the full run).
            let mut runs = vec![run(args)?];
            while runs.len() < case.plan.kubectl_runs
                && runs.iter().all(|m| m.wall_ms <= KUBECTL_LONG_MS)
            {
                runs.push(run(args)?);
            }
            runs.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
            let median = &runs[runs.len() / 2];
            Ok(json!({
                "ms": median.wall_ms,
                "peak_rss_mb": median.max_rss_mb,
                "max_peak_rss_mb": runs.iter().map(|m| m.max_rss_mb).fold(0.0, f64::max),
                "runs_ms": runs.iter().map(|m| m.wall_ms).collect::<Vec<_>>(),
            }))
        });
        out.insert(name.into(), r);
    }
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------------------
// kdash

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

fn bench_kdash(case: &Case) -> Result<Value> {
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

// ---------------------------------------------------------------------------------------
// Targets and ratios

fn targets(n: usize, b: &Value) -> Value {
    let lt = |x: Option<f64>, limit: f64| x.map(|x| x < limit);
    let populated_limit = match n {
        10_000 => Some(1000.0),
        50_000 => Some(4000.0),
        _ => None,
    };
    let rss_limit = match n {
        10_000 => Some(60.0),
        50_000 => Some(200.0),
        _ => None,
    };
    let churn_at = |rate: u64, pointer: &str| {
        b.get("churn")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|r| u(r, "rate") == rate))
            .and_then(|r| num(r, pointer))
    };
    json!({
        "first_frame_lt_50ms": lt(num(b, "/first_frame_ms"), 50.0),
        "populated": populated_limit.and_then(|l| lt(num(b, "/populated_ms"), l)),
        "populated_limit_ms": populated_limit,
        "peak_rss": rss_limit.and_then(|l| lt(num(b, "/peak_rss_mb"), l)),
        "peak_rss_limit_mb": rss_limit,
        "idle_cpu_lt_0_5pct": lt(num(b, "/idle_cpu_pct"), 0.5),
        "render_p95_lt_4ms": lt(num(b, "/render_ms/p95"), 4.0),
        // Writes that no frame showed (within 5 s) fail it too.
        "event_to_screen_p95_lt_100ms_at_10_per_s": match churn_at(10, "/latency_ms/unseen") {
            Some(unseen) if unseen > 0.0 && churn_at(10, "/latency_ms/p95").is_none() => Some(false),
            _ => lt(churn_at(10, "/latency_ms/p95"), 100.0),
        },
        "log_memory_flat_lt_5mb": num(b, "/log/growth_mb").map(|g| g.abs() < 5.0),
    })
}

fn ratios(b: &Value, kubectl: &Value, kdash: &Value) -> Value {
    let div = |a: Option<f64>, c: Option<f64>| match (a, c) {
        (Some(a), Some(c)) if c > 0.0 => Some(round2(a / c)),
        _ => None,
    };
    let populated = num(b, "/populated_ms");
    json!({
        "kubectl_backups_json_ms_per_backstop_populated": div(num(kubectl, "/backups_json/ms"), populated),
        "kubectl_pods_ms_per_backstop_populated": div(num(kubectl, "/pods/ms"), populated),
        "kubectl_peak_rss_per_backstop_peak_rss": div(
            [num(kubectl, "/backups_json/peak_rss_mb"), num(kubectl, "/pods/peak_rss_mb")]
                .into_iter().flatten().reduce(f64::max),
            num(b, "/peak_rss_mb")),
        // Both measured from the spawn of the tmux session.
        "kdash_populated_per_backstop_populated": div(num(kdash, "/populated_ms"), num(b, "/populated_wall_ms")),
        "kdash_rss_per_backstop_rss": div(num(kdash, "/peak_rss_mb"), num(b, "/peak_rss_mb")),
        "kdash_idle_cpu_per_backstop_idle_cpu": div(num(kdash, "/idle_cpu_pct"), num(b, "/idle_cpu_pct")),
    })
}

// ---------------------------------------------------------------------------------------
// Summary and main

fn fmt(v: Option<f64>) -> String {
    v.map_or("-".into(), |x| format!("{x}"))
}

fn summary(line: &Value) -> String {
    let b = &line["backstop"];
    let mut s = format!(
        "n={} objects={}\n  backstop: first frame {} ms (screen {} ms), populated {} ms, peak RSS {} MB, idle CPU {} %, render p95 {} ms",
        line["n"],
        line["objects"],
        fmt(num(b, "/first_frame_ms")),
        fmt(num(b, "/first_frame_screen_ms")),
        fmt(num(b, "/populated_ms")),
        fmt(num(b, "/peak_rss_mb")),
        fmt(num(b, "/idle_cpu_pct")),
        fmt(num(b, "/render_ms/p95")),
    );
    if let Some(e) = b.get("error") {
        s.push_str(&format!("\n  backstop error: {e}"));
    }
    for r in b
        .get("churn")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        s.push_str(&format!(
            "\n    {:>4} ev/s: sent {} CPU {} % fps {} latency p50 {} p95 {} ms (unseen {})",
            u(r, "rate"),
            u(r, "sent"),
            fmt(num(r, "/cpu_pct")),
            fmt(num(r, "/fps")),
            fmt(num(r, "/latency_ms/p50")),
            fmt(num(r, "/latency_ms/p95")),
            fmt(num(r, "/latency_ms/unseen")),
        ));
    }
    s.push_str(&format!(
        "\n    relist {} ms (peak RSS {} MB); log view: RSS {} -> {} MB over {} s, {} lines held",
        fmt(num(b, "/relist/relist_ms")),
        fmt(num(b, "/relist/relist_peak_rss_mb")),
        fmt(num(b, "/log/start_rss_mb")),
        fmt(num(b, "/log/end_rss_mb")),
        fmt(num(b, "/log/window_s")),
        fmt(num(b, "/log/lines_held")),
    ));
    let k = &line["kubectl"];
    let d = &line["kdash"];
    for (what, v) in [("kubectl", k), ("kdash", d)] {
        if v.get("skipped").is_some() {
            s.push_str(&format!("\n  {what}: skipped"));
        } else if let Some(e) = v.get("error") {
            s.push_str(&format!("\n  {what} error: {e}"));
        } else if what == "kubectl" {
            s.push_str(&format!(
                "\n  kubectl: backups -o json {} ms {} MB, pods {} ms {} MB",
                fmt(num(v, "/backups_json/ms")),
                fmt(num(v, "/backups_json/peak_rss_mb")),
                fmt(num(v, "/pods/ms")),
                fmt(num(v, "/pods/peak_rss_mb")),
            ));
        } else {
            s.push_str(&format!(
                "\n  kdash: populated {} ms, peak RSS {} MB, idle CPU {} %{}",
                fmt(num(v, "/populated_ms")),
                fmt(num(v, "/peak_rss_mb")),
                fmt(num(v, "/idle_cpu_pct")),
                v.get("note")
                    .and_then(Value::as_str)
                    .map(|n| format!(" ({n})"))
                    .unwrap_or_default(),
            ));
        }
    }
    s.push_str(&format!("\n  targets: {}", line["targets"]));
    s
}

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
