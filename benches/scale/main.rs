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

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, anyhow, bail};
use serde_json::{Value, json};

use backstop::sim::seed::{self, Scale};
use backstop::sim::store::{Part, WriteOpts};
use backstop::sim::{self, Sim};

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
// Cleanup on every way out, signals included

static TMUX_SOCKETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Stops the private tmux server (and whatever runs in it) and removes its socket file,
/// which tmux leaves behind.
fn kill_tmux_server(socket: &str) {
    let _ = Command::new("tmux")
        .args(["-L", socket, "kill-server"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let tmpdir = std::env::var_os("TMUX_TMPDIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/tmp"), PathBuf::from);
    // SAFETY: getuid has no preconditions and cannot fail.
    let uid = unsafe { libc::getuid() };
    let _ = std::fs::remove_file(tmpdir.join(format!("tmux-{uid}")).join(socket));
}

/// On a signal: what Drop would have done.
fn emergency_cleanup() {
    if let Ok(sockets) = TMUX_SOCKETS.lock() {
        for s in sockets.iter() {
            kill_tmux_server(s);
        }
    }
    if let Ok(dirs) = TEMP_DIRS.lock() {
        for d in dirs.iter() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

fn install_signal_handler(rt: &tokio::runtime::Runtime) {
    rt.spawn(async {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            eprintln!("scale: cannot install signal handlers: an interrupted run may leave tmux sessions behind");
            return;
        };
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        eprintln!("scale: interrupted: stopping what the benchmark started");
        emergency_cleanup();
        std::process::exit(130);
    });
}

/// A temporary folder, removed on drop and on a signal.
struct TempDir {
    dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

impl TempDir {
    fn new(prefix: &str) -> Result<TempDir> {
        let dir = tempfile::Builder::new()
            .prefix(prefix)
            .tempdir()
            .context("creating a temporary folder")?;
        let path = dir.path().to_path_buf();
        if let Ok(mut dirs) = TEMP_DIRS.lock() {
            dirs.push(path.clone());
        }
        Ok(TempDir {
            dir: Some(dir),
            path,
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Ok(mut dirs) = TEMP_DIRS.lock() {
            dirs.retain(|d| d != &self.path);
        }
        if let Some(d) = self.dir.take() {
            let _ = d.close();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers

fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

fn ms(d: Duration) -> f64 {
    round2(d.as_secs_f64() * 1000.0)
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Nearest-rank percentile of unsorted values; None when empty.
fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

fn stats_ms(values_ms: &[f64]) -> Value {
    let r = |x: Option<f64>| x.map(round2);
    json!({
        "n": values_ms.len(),
        "p50": r(percentile(values_ms, 50.0)),
        "p95": r(percentile(values_ms, 95.0)),
        "max": r(values_ms.iter().copied().reduce(f64::max)),
    })
}

/// Calls `check` every `every` until it gives Some or `limit` has passed (then None).
fn poll_until<T>(
    limit: Duration,
    every: Duration,
    mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<Option<T>> {
    let end = Instant::now() + limit;
    loop {
        if let Some(t) = check()? {
            return Ok(Some(t));
        }
        let now = Instant::now();
        if now >= end {
            return Ok(None);
        }
        std::thread::sleep(every.min(end - now));
    }
}

/// A part of the results: its figures, or `{"error": ...}` when it failed.
fn part(f: impl FnOnce() -> Result<Value>) -> Value {
    match f() {
        Ok(v) => v,
        Err(e) => json!({"error": format!("{e:#}")}),
    }
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

// ---------------------------------------------------------------------------------------
// /proc

#[derive(Debug, Clone, Copy)]
struct Mem {
    hwm_mb: f64,
    rss_mb: f64,
}

fn proc_mem(pid: u32) -> Result<Mem> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let line = text
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
        let kb: f64 = line
            .trim_start_matches(name)
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .with_context(|| format!("reading {line:?}"))?;
        Ok(kb / 1024.0)
    };
    Ok(Mem {
        hwm_mb: round2(field("VmHWM:")?),
        rss_mb: round2(field("VmRSS:")?),
    })
}

fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 { t as f64 } else { 100.0 }
}

/// utime + stime of a process, in seconds (fields 14 and 15 of /proc/PID/stat).
fn proc_cpu_secs(pid: u32) -> Result<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name may hold spaces and parentheses: fields count from after the last ')'.
    let after = text
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("unexpected /proc/{pid}/stat: {text:?}"))?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3 (state): utime is field 14, stime field 15.
    let get = |i: usize| -> Result<f64> {
        fields
            .get(i - 3)
            .with_context(|| format!("/proc/{pid}/stat has no field {i}"))?
            .parse::<f64>()
            .with_context(|| format!("/proc/{pid}/stat field {i}"))
    };
    Ok((get(14)? + get(15)?) / clk_tck())
}

fn proc_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(text) => text
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        Err(_) => false,
    }
}

fn proc_comm(pid: u32) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim().to_string())
}

/// `pid` itself when its command is `name`, else the first such descendant.
fn find_process(pid: u32, name: &str) -> Option<u32> {
    if proc_comm(pid).as_deref() == Some(name) {
        return Some(pid);
    }
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task")).ok()?;
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            if let Some(found) = find_process(child, name) {
                return Some(found);
            }
        }
    }
    None
}

/// CPU use of a process over a window: % of one core.
struct CpuWindow {
    pid: u32,
    cpu0: f64,
    t0: Instant,
}

impl CpuWindow {
    fn start(pid: u32) -> Result<CpuWindow> {
        Ok(CpuWindow {
            pid,
            cpu0: proc_cpu_secs(pid)?,
            t0: Instant::now(),
        })
    }
    fn pct(&self) -> Result<f64> {
        let cpu = proc_cpu_secs(self.pid)? - self.cpu0;
        let secs = self.t0.elapsed().as_secs_f64().max(1e-9);
        Ok(round2(100.0 * cpu / secs))
    }
}

fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_string());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let total_mb = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| {
            l.trim_start_matches("MemTotal:")
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map(|kb| (kb / 1024.0).round());
    json!({
        "nproc": std::thread::available_parallelism().map(|n| n.get()).ok(),
        "cpu": model,
        "mem_total_mb": total_mb,
    })
}

// ---------------------------------------------------------------------------------------
// Children measured with wait4: wall time and peak RSS
//
// ru_maxrss of a child counts the memory of the process that exec'd it: a child spawned
// straight from this process (which holds the whole simulated cluster) would report our
// own peak. So the measured command is spawned by a fresh, small copy of this binary
// (`HELPER_ARG`), which waits for it with wait4 and writes the figures to a file.

const HELPER_ARG: &str = "--scale-measure-child";

#[derive(Debug)]
struct Measured {
    wall_ms: f64,
    max_rss_mb: f64,
    status: i32,
}

/// Runs `prog args` through the helper: stdout to /dev/null, stderr to `stderr`.
fn measure(
    prog: &Path,
    args: &[std::ffi::OsString],
    stderr: &Path,
    limit: Duration,
) -> Result<Measured> {
    let exe = std::env::current_exe().context("finding the benchmark's own executable")?;
    let report = stderr.with_extension("report.json");
    let _ = std::fs::remove_file(&report);
    let err = File::create(stderr).with_context(|| format!("creating {}", stderr.display()))?;
    let status = Command::new(exe)
        .arg(HELPER_ARG)
        .arg(&report)
        .arg(limit.as_millis().to_string())
        .arg(prog)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err)
        .status()
        .with_context(|| format!("starting the helper that runs {}", prog.display()))?;
    let text = std::fs::read_to_string(&report).with_context(|| {
        format!(
            "the helper that runs {} wrote no report ({status})",
            prog.display()
        )
    })?;
    let v: Value = serde_json::from_str(&text).context("reading the helper's report")?;
    if let Some(e) = v.get("error").and_then(Value::as_str) {
        bail!("{e}");
    }
    Ok(Measured {
        wall_ms: num(&v, "/wall_ms").context("no wall_ms in the helper's report")?,
        max_rss_mb: num(&v, "/max_rss_mb").context("no max_rss_mb in the helper's report")?,
        status: v
            .get("status")
            .and_then(Value::as_i64)
            .context("no status in the helper's report")? as i32,
    })
}

/// SIGKILL when the parent (the benchmark) ends.
fn die_with_parent() {
    // SAFETY: plain prctl/getppid calls.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        if libc::getppid() == 1 {
            libc::_exit(1);
        }
    }
}

/// The helper's main: `HELPER_ARG REPORT LIMIT_MS PROG ARGS...`.
fn helper_main(args: &[String]) -> i32 {
    let result = (|| -> Result<Measured> {
        let [_report, limit, prog, rest @ ..] = args else {
            bail!("usage: {HELPER_ARG} REPORT LIMIT_MS PROG [ARGS...]");
        };
        let limit = Duration::from_millis(limit.parse().context("LIMIT_MS")?);
        // Neither the helper nor its child outlives the benchmark, killed or not.
        die_with_parent();
        let mut cmd = Command::new(prog);
        cmd.args(rest).stdout(Stdio::null());
        // SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        run_measured(&mut cmd, limit)
    })();
    let report = match &result {
        Ok(m) => json!({"wall_ms": m.wall_ms, "max_rss_mb": m.max_rss_mb, "status": m.status}),
        Err(e) => json!({"error": format!("{e:#}")}),
    };
    match args.first() {
        Some(path) => match std::fs::write(path, report.to_string()) {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("scale helper: writing {path}: {e}");
                1
            }
        },
        None => 2,
    }
}

/// Runs `cmd` to the end (killed after `limit`); its wall time and ru_maxrss.
fn run_measured(cmd: &mut Command, limit: Duration) -> Result<Measured> {
    let start = Instant::now();
    let child = cmd
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {cmd:?}"))?;
    let pid = child.id() as libc::pid_t;
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = done_rx.recv_timeout(limit) {
            // SAFETY: plain kill(2) of our own child, not yet reaped (we are blocked in wait4).
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    });
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; zeroed is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = loop {
        // SAFETY: valid pointers to locals; pid is our child.
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == -1 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
            continue;
        }
        break r;
    };
    let wall = start.elapsed();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    drop(child); // already reaped: dropping a Child does not wait
    if reaped != pid {
        bail!("waiting for {cmd:?}: {}", std::io::Error::last_os_error());
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    if wall >= limit && code != 0 {
        bail!("{cmd:?} did not finish within {limit:?}");
    }
    Ok(Measured {
        wall_ms: ms(wall),
        // Linux: kilobytes.
        max_rss_mb: round2(usage.ru_maxrss as f64 / 1024.0),
        status: code,
    })
}

// ---------------------------------------------------------------------------------------
// tmux on a private socket

struct Tmux {
    socket: String,
    conf: PathBuf,
}

impl Tmux {
    fn new(dir: &Path) -> Result<Tmux> {
        let socket = format!("backstop-bench-{}", std::process::id());
        let conf = dir.join("tmux.conf");
        // No user config; the pane keeps its text when the program ends (for error messages);
        // no status line: the program gets all 40 rows.
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g default-terminal xterm-256color\nset -g history-limit 50\nset -sg escape-time 0\n",
        )
        .with_context(|| format!("writing {}", conf.display()))?;
        if let Ok(mut s) = TMUX_SOCKETS.lock()
            && !s.contains(&socket)
        {
            s.push(socket.clone());
        }
        Ok(Tmux { socket, conf })
    }

    /// A tmux command with a clean environment: the server (started by the first command)
    /// passes its environment to the programs in its panes, and the caller's BACKSTOP_*,
    /// NO_COLOR, KUBECONFIG or TMUX must not leak into the measured programs.
    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.env_clear();
        for key in [
            "PATH",
            "HOME",
            "USER",
            "LOGNAME",
            "SHELL",
            "LANG",
            "LC_ALL",
            "LC_CTYPE",
            "TMUX_TMPDIR",
        ] {
            if let Some(v) = std::env::var_os(key) {
                c.env(key, v);
            }
        }
        c.arg("-L")
            .arg(&self.socket)
            .arg("-f")
            .arg(&self.conf)
            .stdin(Stdio::null());
        c
    }

    fn run(&self, args: &[&str]) -> Result<String> {
        let out = self
            .cmd()
            .args(args)
            .output()
            .with_context(|| format!("running tmux {}", args.join(" ")))?;
        if !out.status.success() {
            bail!(
                "tmux {} failed ({}): {}",
                args.join(" "),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// A detached session `name` of `w`x`h` running `command` (through `sh -c`).
    fn start(
        &self,
        name: &str,
        w: u16,
        h: u16,
        env: &[(&str, String)],
        command: &str,
    ) -> Result<()> {
        let (w, h) = (w.to_string(), h.to_string());
        let mut args: Vec<String> = ["new-session", "-d", "-s", name, "-x", &w, "-y", &h]
            .iter()
            .map(|s| s.to_string())
            .collect();
        for (k, v) in env {
            args.push("-e".into());
            args.push(format!("{k}={v}"));
        }
        args.push(command.into());
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(&refs).map(|_| ())
    }

    fn capture(&self, name: &str) -> Result<String> {
        self.run(&["capture-pane", "-p", "-t", name])
    }

    fn keys(&self, name: &str, keys: &[&str]) -> Result<()> {
        let mut args = vec!["send-keys", "-t", name];
        args.extend_from_slice(keys);
        self.run(&args).map(|_| ())
    }

    fn pane_pid(&self, name: &str) -> Result<u32> {
        let out = self.run(&["display-message", "-p", "-t", name, "#{pane_pid}"])?;
        out.trim()
            .parse()
            .with_context(|| format!("tmux pane_pid: {out:?}"))
    }

    /// Some(exit status) when the program in the pane has ended.
    fn pane_dead(&self, name: &str) -> Result<Option<String>> {
        let out = self.run(&[
            "display-message",
            "-p",
            "-t",
            name,
            "#{pane_dead} #{pane_dead_status}",
        ])?;
        let mut it = out.split_whitespace();
        Ok(match it.next() {
            Some("1") => Some(it.next().unwrap_or("?").to_string()),
            _ => None,
        })
    }

    /// An error naming what the pane shows, for when its program ended too soon.
    fn ended_error(&self, name: &str, what: &str) -> Result<()> {
        if let Some(status) = self.pane_dead(name)? {
            let screen = self.capture(name).unwrap_or_default();
            bail!(
                "{what} ended (status {status}) before it was measured; its screen:\n{}",
                screen.trim_end()
            );
        }
        Ok(())
    }

    /// Ok while `pid` runs; else an error with what the pane shows. Cheap (reads /proc):
    /// fit for tight polling loops, unlike a tmux call.
    fn check_alive(&self, name: &str, what: &str, pid: u32) -> Result<()> {
        if proc_alive(pid) {
            return Ok(());
        }
        self.ended_error(name, what)?;
        bail!("{what} (pid {pid}) is gone")
    }

    fn kill_session(&self, name: &str) {
        let _ = self
            .cmd()
            .args(["kill-session", "-t", name])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        kill_tmux_server(&self.socket);
        if let Ok(mut s) = TMUX_SOCKETS.lock() {
            s.retain(|x| x != &self.socket);
        }
    }
}

/// Kills a tmux session when dropped.
struct Session<'a> {
    tmux: &'a Tmux,
    name: &'a str,
}

impl Drop for Session<'_> {
    fn drop(&mut self) {
        self.tmux.kill_session(self.name);
    }
}

// ---------------------------------------------------------------------------------------
// The simulator, served on loopback from the harness's runtime

struct Served {
    sim: Arc<Sim>,
    addr: SocketAddr,
    rt: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<()>>>,
}

impl Served {
    fn start(rt: &tokio::runtime::Runtime, sim: Arc<Sim>) -> Result<Served> {
        let listener = rt
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .context("binding the simulator to 127.0.0.1")?;
        let addr = listener
            .local_addr()
            .context("the simulator's local address")?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = rt.spawn(sim.clone().serve(listener, async move {
            let _ = stopped.await;
        }));
        Ok(Served {
            sim,
            addr,
            rt: rt.handle().clone(),
            stop: Some(stop),
            task: Some(task),
        })
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // The server cuts open streams two seconds after the signal.
            let r = self
                .rt
                .block_on(async { tokio::time::timeout(Duration::from_secs(5), task).await });
            match r {
                Ok(Ok(Ok(()))) => {}
                Ok(Ok(Err(e))) => eprintln!("scale: the simulator ended with an error: {e:#}"),
                Ok(Err(e)) => eprintln!("scale: the simulator task failed: {e}"),
                Err(_) => eprintln!("scale: the simulator did not stop within 5 s"),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The app's timings file (BACKSTOP_TIMINGS)

struct Timings {
    path: PathBuf,
    file: Option<File>,
    pos: u64,
    partial: String,
    events: Vec<Value>,
}

fn u(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

fn is(v: &Value, ev: &str) -> bool {
    v.get("ev").and_then(Value::as_str) == Some(ev)
}

fn kind_is(v: &Value, kind: &str) -> bool {
    v.get("kind").and_then(Value::as_str) == Some(kind)
}

impl Timings {
    fn new(path: PathBuf) -> Timings {
        Timings {
            path,
            file: None,
            pos: 0,
            partial: String::new(),
            events: Vec::new(),
        }
    }

    /// Reads the lines appended since the last call.
    fn poll(&mut self) -> Result<()> {
        if self.file.is_none() {
            match File::open(&self.path) {
                Ok(f) => self.file = Some(f),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
                Err(e) => {
                    return Err(e).with_context(|| format!("opening {}", self.path.display()));
                }
            }
        }
        let Some(f) = self.file.as_mut() else {
            return Ok(());
        };
        f.seek(SeekFrom::Start(self.pos))
            .with_context(|| format!("seeking in {}", self.path.display()))?;
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", self.path.display()))?;
        self.pos += bytes.len() as u64;
        self.partial.push_str(&String::from_utf8_lossy(&bytes));
        while let Some(nl) = self.partial.find('\n') {
            let line: String = self.partial.drain(..=nl).collect();
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let v: Value = serde_json::from_str(line)
                .with_context(|| format!("a timings line that is not JSON: {line:?}"))?;
            self.events.push(v);
        }
        Ok(())
    }

    fn frames_from(&self, from: usize) -> impl Iterator<Item = &Value> {
        self.events[from.min(self.events.len())..]
            .iter()
            .filter(|e| is(e, "frame"))
    }

    fn last_frame(&self) -> Option<&Value> {
        self.events.iter().rev().find(|e| is(e, "frame"))
    }
}

/// The first frame showing every row of a cluster with `n` Backups and `n` Pods.
fn is_populated(frame: &Value, n: usize) -> bool {
    frame.get("live").and_then(Value::as_bool) == Some(true)
        && u(frame, "backups") >= n as u64
        && u(frame, "pods") >= n as u64
}

// ---------------------------------------------------------------------------------------
// Churn: writes straight into the simulator's store

struct Churn {
    sim: Arc<Sim>,
    backup_t: backstop::sim::registry::ResourceType,
    pod_t: backstop::sim::registry::ResourceType,
    backups: Vec<(String, String)>,
    pods: Vec<(String, String)>,
    rng: backstop::sim::seed::Rng,
    count: u64,
}

/// One write: its resourceVersion and when it was sent.
#[derive(Debug, Clone, Copy)]
struct Sent {
    rv: u64,
    wall_us: u64,
}

fn tenant_keys(sim: &Sim, t: &backstop::sim::registry::ResourceType) -> Vec<(String, String)> {
    let (items, _) = sim
        .store
        .list(t, None, &Default::default(), &Default::default());
    items
        .iter()
        .filter_map(|o| {
            let ns = o.pointer("/metadata/namespace")?.as_str()?;
            let name = o.pointer("/metadata/name")?.as_str()?;
            ns.starts_with("tenant-")
                .then(|| (ns.to_string(), name.to_string()))
        })
        .collect()
}

impl Churn {
    fn new(sim: Arc<Sim>) -> Result<Churn> {
        let (backup_t, pod_t) = {
            let inner = sim.store.read();
            let b = inner
                .registry
                .by_kind("postgresql.cnpg.io", "Backup")
                .map(|t| (**t).clone())
                .context("the simulator serves no Backups")?;
            let p = inner
                .registry
                .by_kind("", "Pod")
                .map(|t| (**t).clone())
                .context("the simulator serves no Pods")?;
            (b, p)
        };
        let backups = tenant_keys(&sim, &backup_t);
        let pods = tenant_keys(&sim, &pod_t);
        if backups.is_empty() || pods.is_empty() {
            bail!("no seeded Backups or Pods in tenant-* namespaces to modify");
        }
        Ok(Churn {
            sim,
            backup_t,
            pod_t,
            backups,
            pods,
            rng: backstop::sim::seed::Rng(0xbac5_70b0_c4ec_0001),
            count: 0,
        })
    }

    /// Modifies one object: a Backup's stoppedAt, or a Pod's restartCount, alternately.
    /// None when the store saw no change (no new resourceVersion).
    fn write(&mut self) -> Result<Option<Sent>> {
        self.count += 1;
        let before = self.sim.store.resource_version();
        let wall = wall_us();
        let opts = WriteOpts::internal();
        let new = if self.count % 2 == 1 {
            let (ns, name) = &self.backups[self.rng.below(self.backups.len() as u64) as usize];
            // Microsecond precision: two writes to one Backup in a burst still differ.
            let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            self.sim
                .store
                .update(&self.backup_t, ns, name, Part::Main, &opts, |old| {
                    let mut v = old.clone();
                    if let Some(status) = v.get_mut("status").and_then(Value::as_object_mut) {
                        status.insert("stoppedAt".into(), json!(stamp));
                    }
                    Ok(v)
                })
        } else {
            let (ns, name) = &self.pods[self.rng.below(self.pods.len() as u64) as usize];
            self.sim
                .store
                .update(&self.pod_t, ns, name, Part::Main, &opts, |old| {
                    let mut v = old.clone();
                    if let Some(c) = v.pointer_mut("/status/containerStatuses/0/restartCount") {
                        *c = json!(c.as_u64().unwrap_or(0) + 1);
                    }
                    Ok(v)
                })
        };
        let new = new.map_err(|e| anyhow!("writing to the simulator: {}", e.message))?;
        let rv = new
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            .and_then(|s| s.parse::<u64>().ok())
            .context("a written object without a resourceVersion")?;
        Ok((rv > before).then_some(Sent { rv, wall_us: wall }))
    }
}

/// Event-to-screen latencies (ms): for each write, the first frame (in time order) whose rv
/// covers it. Also how many writes no frame showed.
fn latencies(sent: &[Sent], frames: &[(u64, u64)]) -> (Vec<f64>, usize) {
    // frames: (wall_us, rv) in file order; prefix max of rv is monotonic, so binary search.
    let mut prefix = Vec::with_capacity(frames.len());
    let mut max = 0u64;
    for &(_, rv) in frames {
        max = max.max(rv);
        prefix.push(max);
    }
    let mut out = Vec::with_capacity(sent.len());
    let mut unseen = 0;
    for s in sent {
        let i = prefix.partition_point(|&m| m < s.rv);
        match frames.get(i) {
            Some(&(wall, _)) => out.push(wall.saturating_sub(s.wall_us) as f64 / 1000.0),
            None => unseen += 1,
        }
    }
    (out, unseen)
}

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

fn num(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

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
