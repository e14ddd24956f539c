//! What the commands share: the async runtime they run on, and `--now`.

use anyhow::Context;
use chrono::{DateTime, Utc};

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `--now`, or the clock: reports and walks of a dump are judged as of a chosen instant.
pub(super) fn now(arg: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    match arg {
        Some(s) => Ok(DateTime::parse_from_rfc3339(s)
            .with_context(|| {
                format!("--now '{s}' is not an RFC3339 time, e.g. 2026-11-24T06:00:00Z")
            })?
            .with_timezone(&Utc)),
        None => Ok(Utc::now()),
    }
}
