//! Children measured with wait4: wall time and peak RSS.
//!
//! ru_maxrss of a child counts the memory of the process that exec'd it: a child spawned
//! straight from this process (which holds the whole simulated cluster) would report our
//! own peak. So the measured command is spawned by a fresh, small copy of this binary
//! (`HELPER_ARG`), which waits for it with wait4 and writes the figures to a file.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::helpers::{ms, num, round2};

pub const HELPER_ARG: &str = "--scale-measure-child";

#[derive(Debug)]
pub struct Measured {
    pub wall_ms: f64,
    pub max_rss_mb: f64,
    pub status: i32,
}

/// Runs `prog args` through the helper: stdout to /dev/null, stderr to `stderr`.
pub fn measure(
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
pub fn helper_main(args: &[String]) -> i32 {
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
