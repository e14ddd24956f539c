//! Cleanup on every way out, signals included. What the benchmark starts (private tmux
//! servers, temporary folders) is registered here, so that a signal, which runs no Drop,
//! still stops or removes it.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Mutex;

use anyhow::{Context, Result};

pub static TMUX_SOCKETS: Mutex<Vec<String>> = Mutex::new(Vec::new());
static TEMP_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Stops the private tmux server (and whatever runs in it) and removes its socket file,
/// which tmux leaves behind.
pub fn kill_tmux_server(socket: &str) {
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
pub fn emergency_cleanup() {
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

pub fn install_signal_handler(rt: &tokio::runtime::Runtime) {
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
pub struct TempDir {
    dir: Option<tempfile::TempDir>,
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(prefix: &str) -> Result<TempDir> {
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
