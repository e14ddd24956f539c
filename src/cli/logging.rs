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

/// kube's client module logs whole response bodies when one fails to parse (at WARN: one
/// malformed Secret put every Secret's data of a SecretList in the file) and at DEBUG and
/// TRACE. Its events are never written, whatever the level asked for.
const BODY_LOGGING_TARGET: &str = "kube_client::client";

/// Every line written to the log file passes the redactor and the sanitiser: a credential
/// in an error message or an escape sequence in a name stays out of the file too.
struct Redacting(std::fs::File);

impl std::io::Write for Redacting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let redacted = crate::redact::redact(&text);
        self.0
            .write_all(crate::sanitize::clean(&redacted).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

pub fn init(path: &Path, level: &str) -> anyhow::Result<()> {
    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;

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
    let no_bodies =
        tracing_subscriber::filter::filter_fn(|meta| meta.target() != BODY_LOGGING_TARGET);
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::sync::Mutex::new(Redacting(file)))
        .with_ansi(false)
        .with_filter(filter)
        .with_filter(no_bodies);
    tracing_subscriber::registry()
        .with(layer)
        .try_init()
        .map_err(|e| anyhow::anyhow!("{e}"))
}
