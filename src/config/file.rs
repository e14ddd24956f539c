//! The config file as written: every key it accepts, and nothing else (an unknown key is an
//! error, so a typo beside `read_only: true` never passes unnoticed).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct File {
    #[serde(default)]
    pub(super) check: CheckFile,
    #[serde(default)]
    pub(super) walker: WalkerFile,
    /// The dashboard's theme: a built-in name or a theme file.
    #[serde(default)]
    pub(super) theme: Option<String>,
    /// Turns every action off, in every context.
    #[serde(default)]
    pub(super) read_only: bool,
    /// Per kubeconfig context.
    #[serde(default)]
    pub(super) contexts: BTreeMap<String, ContextFile>,
    #[serde(default)]
    pub(super) alertmanager: AlertmanagerFile,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct AlertmanagerFile {
    #[serde(default)]
    pub(super) url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct ContextFile {
    #[serde(default)]
    pub(super) read_only: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct WalkerFile {
    #[serde(default)]
    pub(super) repo: Option<PathBuf>,
    #[serde(default)]
    pub(super) transcripts: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(super) struct CheckFile {
    #[serde(default)]
    pub(super) silence: Vec<String>,
    /// Kept as written: each value is judged by the same parser as `--threshold`, and every
    /// bad one is reported, not only the first.
    #[serde(default)]
    pub(super) thresholds: BTreeMap<String, serde_yaml::Value>,
}

/// The file's content; a file of only comments or blank lines is the defaults.
pub(super) fn parse(text: &str) -> Result<File, serde_yaml::Error> {
    let meaningful = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#') && l.trim() != "---");
    if !meaningful {
        return Ok(File::default());
    }
    serde_yaml::from_str(text)
}
