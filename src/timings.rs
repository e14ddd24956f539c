//! Opt-in timings for the benchmarks: with `BACKSTOP_TIMINGS=FILE` set, the dashboard
//! appends one JSON line per moment worth measuring (start, each watcher's initial list,
//! each frame with its render time and the newest resourceVersion it shows). Without it,
//! every call here is a load of an empty cell.

use std::io::{LineWriter, Write};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use serde_json::{Value, json};

pub const ENV: &str = "BACKSTOP_TIMINGS";

struct Sink {
    start: Instant,
    out: Mutex<LineWriter<std::fs::File>>,
}

static SINK: OnceLock<Option<Sink>> = OnceLock::new();

/// Opens the file named by `BACKSTOP_TIMINGS`, if set, and records `start`. Called first
/// thing in `main`, so times count from (almost) the process's exec.
pub fn init_from_env() -> anyhow::Result<()> {
    let start = Instant::now();
    let mut error = None;
    SINK.get_or_init(|| {
        let path = std::env::var_os(ENV)?;
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
        {
            Ok(f) => Some(Sink {
                start,
                out: Mutex::new(LineWriter::new(f)),
            }),
            Err(e) => {
                error = Some(anyhow::anyhow!(
                    "opening the timings file {} ({ENV}): {e}",
                    std::path::Path::new(&path).display()
                ));
                None
            }
        }
    });
    if let Some(e) = error {
        return Err(e);
    }
    record("start", json!({"pid": std::process::id()}));
    Ok(())
}

pub fn enabled() -> bool {
    matches!(SINK.get(), Some(Some(_)))
}

/// Microseconds since the Unix epoch: comparable with another process's clock on the
/// same machine (the benchmark's writes).
pub fn wall_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

/// Appends `{"ev": event, "t_us": since start, "wall_us": .., ...fields}`. A failed
/// write is dropped: timings never disturb the dashboard.
pub fn record(event: &str, fields: Value) {
    let Some(Some(sink)) = SINK.get() else { return };
    let mut line = json!({
        "ev": event,
        "t_us": sink.start.elapsed().as_micros() as u64,
        "wall_us": wall_us(),
    });
    if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    if let Ok(mut out) = sink.out.lock() {
        let _ = writeln!(out, "{line}");
    }
}
