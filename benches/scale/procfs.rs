//! What /proc says about a measured process (memory, CPU time, liveness, its descendants),
//! and about the machine, for the JSON.

use std::time::Instant;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use crate::helpers::round2;

#[derive(Debug, Clone, Copy)]
pub struct Mem {
    pub hwm_mb: f64,
    pub rss_mb: f64,
}

pub fn proc_mem(pid: u32) -> Result<Mem> {
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

pub fn proc_alive(pid: u32) -> bool {
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
pub fn find_process(pid: u32, name: &str) -> Option<u32> {
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
pub struct CpuWindow {
    pid: u32,
    cpu0: f64,
    pub t0: Instant,
}

impl CpuWindow {
    pub fn start(pid: u32) -> Result<CpuWindow> {
        Ok(CpuWindow {
            pid,
            cpu0: proc_cpu_secs(pid)?,
            t0: Instant::now(),
        })
    }
    pub fn pct(&self) -> Result<f64> {
        let cpu = proc_cpu_secs(self.pid)? - self.cpu0;
        let secs = self.t0.elapsed().as_secs_f64().max(1e-9);
        Ok(round2(100.0 * cpu / secs))
    }
}

pub fn machine() -> Value {
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
