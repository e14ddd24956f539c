//! Small helpers shared by the phases: times and figures, percentiles, polling, reading
//! figures back out of JSON, and finding programs.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde_json::{Value, json};

pub fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

pub fn ms(d: Duration) -> f64 {
    round2(d.as_secs_f64() * 1000.0)
}

pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Nearest-rank percentile of unsorted values; None when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    Some(v[rank.clamp(1, v.len()) - 1])
}

pub fn stats_ms(values_ms: &[f64]) -> Value {
    let r = |x: Option<f64>| x.map(round2);
    json!({
        "n": values_ms.len(),
        "p50": r(percentile(values_ms, 50.0)),
        "p95": r(percentile(values_ms, 95.0)),
        "max": r(values_ms.iter().copied().reduce(f64::max)),
    })
}

/// Calls `check` every `every` until it gives Some or `limit` has passed (then None).
pub fn poll_until<T>(
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
pub fn part(f: impl FnOnce() -> Result<Value>) -> Value {
    match f() {
        Ok(v) => v,
        Err(e) => json!({"error": format!("{e:#}")}),
    }
}

pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

pub fn home() -> Option<PathBuf> {
    std::env::var_os("HOME").map(PathBuf::from)
}

pub fn u(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

pub fn num(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}
