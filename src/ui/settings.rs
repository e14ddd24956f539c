//! What the dashboard runs with and where it is connected.

use std::path::PathBuf;

use crate::assess::Thresholds;

/// What the header says about where we are connected.
#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
    /// The demo runs the simulator in-process: `:ctx` does not apply.
    pub demo: bool,
}

/// What the dashboard runs with, from the command line and the config file.
#[derive(Default)]
pub struct Settings {
    pub thresholds: Thresholds,
    /// Codes the config file silences: not shown, as `backstop check` does not report them.
    pub silence: Vec<String>,
    /// Troubleshooting trees: built in, then the user's.
    pub trees: Vec<crate::trees::load::Tree>,
    /// The GitOps checkout the trees' git checks read, if configured.
    pub git: Option<crate::trees::git::Checkout>,
    /// Where transcripts are written.
    pub transcripts: PathBuf,
    /// Actions are off everywhere (`--read-only`, or the config file's `read_only`).
    pub read_only_everywhere: bool,
    /// Contexts where actions are off.
    pub read_only_contexts: Vec<String>,
    /// Actions are off here: everywhere, or in this context.
    pub read_only: bool,
    /// Where restore plans and drill reports are written (empty: the working folder).
    pub restore_files: PathBuf,
    /// How long a drill waits for a healthy primary (None: 30 minutes).
    pub drill_timeout: Option<std::time::Duration>,
    /// Opened from the fleet screen: Esc at the panes goes back to it.
    pub from_fleet: bool,
}
