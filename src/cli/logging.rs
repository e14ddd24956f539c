//! The log file: tracing to a file, so nothing ever writes over the terminal UI.

use std::path::{Path, PathBuf};

use anyhow::Context;
use tracing_subscriber::EnvFilter;

/// `$XDG_STATE_HOME/backstop`, else `~/.local/state/backstop`: the log and transcripts.
pub fn state_dir() -> PathBuf {
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    state.join("backstop")
}

/// `$XDG_STATE_HOME/backstop/backstop.log`, else `~/.local/state/backstop/backstop.log`.
pub fn default_log_path() -> PathBuf {
    state_dir().join("backstop.log")
}

pub fn init(path: &Path, level: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the log file {}", path.display()))?;
    let filter = EnvFilter::try_new(level)
        .with_context(|| format!("--log-level '{level}' is not a level or a tracing filter"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))
}
