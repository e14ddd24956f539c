//! The app's timings file (BACKSTOP_TIMINGS): the JSON lines backstop appends (start,
//! frame, init_done, refresh), read as the file grows.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::Value;

use crate::helpers::u;

pub struct Timings {
    path: PathBuf,
    file: Option<File>,
    pos: u64,
    partial: String,
    pub events: Vec<Value>,
}

pub fn is(v: &Value, ev: &str) -> bool {
    v.get("ev").and_then(Value::as_str) == Some(ev)
}

pub fn kind_is(v: &Value, kind: &str) -> bool {
    v.get("kind").and_then(Value::as_str) == Some(kind)
}

impl Timings {
    pub fn new(path: PathBuf) -> Timings {
        Timings {
            path,
            file: None,
            pos: 0,
            partial: String::new(),
            events: Vec::new(),
        }
    }

    /// Reads the lines appended since the last call.
    pub fn poll(&mut self) -> Result<()> {
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

    pub fn frames_from(&self, from: usize) -> impl Iterator<Item = &Value> {
        self.events[from.min(self.events.len())..]
            .iter()
            .filter(|e| is(e, "frame"))
    }

    pub fn last_frame(&self) -> Option<&Value> {
        self.events.iter().rev().find(|e| is(e, "frame"))
    }
}

/// The first frame showing every row of a cluster with `n` Backups and `n` Pods.
pub fn is_populated(frame: &Value, n: usize) -> bool {
    frame.get("live").and_then(Value::as_bool) == Some(true)
        && u(frame, "backups") >= n as u64
        && u(frame, "pods") >= n as u64
}
