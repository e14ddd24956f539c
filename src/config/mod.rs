//! The config file (`$XDG_CONFIG_HOME/backstop/config.yaml`, else
//! `~/.config/backstop/config.yaml`, or `--config FILE`), read once per run into one
//! [`Settings`] that `check`, `trees walk` and the dashboard all take their part of.
//!
//! Every key is documented in one place, `config.example.yaml` at the root of the
//! repository, embedded as [`EXAMPLE`] and printed by `backstop config example`.
//!
//! A file that does not parse, or holds a key backstop does not know, is refused whole:
//! serde stops at that first error, with its line. A file that parses is judged value by
//! value and every bad value is reported at once, each with the file, its line and its key.

mod file;
pub(crate) mod thresholds;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::assess::{Thresholds, catalog};

/// The documented config file: every key, each with a comment, at its default.
pub(crate) const EXAMPLE: &str = include_str!("../../config.example.yaml");

/// `$XDG_CONFIG_HOME/backstop/config.yaml`, else `~/.config/backstop/config.yaml`.
pub(crate) fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("backstop").join("config.yaml")
}

/// Everything the config file sets, with paths resolved and values checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Settings {
    pub(crate) check: CheckSettings,
    pub(crate) walker: WalkerSettings,
    pub(crate) dashboard: DashboardSettings,
    pub(crate) alertmanager: AlertmanagerSettings,
    /// What is odd but does not stop anything (a walker repo that is not a folder), each a
    /// sentence naming the file and the key: the dashboard shows them in its footer.
    pub(crate) warnings: Vec<String>,
}

/// The health rules' settings: `backstop check`, the dashboard and `trees walk` share them.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CheckSettings {
    pub(crate) thresholds: Thresholds,
    /// Finding codes never reported, as the catalog spells them.
    pub(crate) silence: Vec<String>,
}

/// The troubleshooting walker's settings; paths already resolved (`~/`, relative to the file).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct WalkerSettings {
    /// A checkout of the GitOps repository, for the trees' .gitignore checks.
    pub(crate) repo: Option<PathBuf>,
    /// Where `x` writes transcripts; `None` is the state directory's `transcripts/`.
    pub(crate) transcripts: Option<PathBuf>,
}

/// The dashboard's settings.
/// Where firing alerts are read, beside the findings of `check` and the dashboard.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AlertmanagerSettings {
    /// Alertmanager's base URL, checked when the file is read.
    pub(crate) url: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct DashboardSettings {
    /// A built-in theme name or a theme file (resolved like the walker's paths); `--theme`
    /// wins over it, and it over NO_COLOR.
    pub(crate) theme: Option<String>,
    /// Actions off everywhere.
    pub(crate) read_only: bool,
    /// The kubeconfig contexts where actions are off.
    pub(crate) read_only_contexts: Vec<String>,
}

/// Why the config file cannot be used: every problem found, each a sentence that names
/// the file (and the line and key where known), one per line when shown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConfigError {
    pub(crate) problems: Vec<String>,
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for ConfigError {}

/// Where a user finds the format, quoted at the end of a syntax error.
const FORMAT_HINT: &str = "see `backstop config example` for the format";

impl Settings {
    /// Reads the config at `path`; a missing file is the defaults.
    pub(crate) fn load(path: &Path) -> Result<Settings, ConfigError> {
        match crate::files::read_text(path, crate::files::CONFIG_LIMIT) {
            Ok(text) => Settings::parse(path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(ConfigError {
                problems: vec![format!(
                    "cannot read the config file {}: {e}",
                    path.display()
                )],
            }),
        }
    }

    /// The settings of `text`, read from `path` (which names it in errors and anchors its
    /// relative paths).
    pub(crate) fn parse(path: &Path, text: &str) -> Result<Settings, ConfigError> {
        let raw = file::parse(text).map_err(|e| ConfigError {
            problems: vec![syntax_problem(path, &e)],
        })?;
        // (line, sentence): said in the file's order, whatever order serde gave them in.
        let mut problems: Vec<(Option<usize>, String)> = Vec::new();
        let mut thresholds = Thresholds::default();
        for (name, value) in &raw.check.thresholds {
            let line = line_of(text, "thresholds", name);
            let value = match value {
                serde_yaml::Value::String(s) => s.clone(),
                serde_yaml::Value::Number(n) => n.to_string(),
                other => {
                    problems.push((
                        line,
                        format!(
                            "check.thresholds.{name}: expected a value like 26h or 3, found {}",
                            yaml_kind(other)
                        ),
                    ));
                    continue;
                }
            };
            if let Err(e) = thresholds::set(&mut thresholds, name, &value) {
                problems.push((line, format!("check.thresholds: {e}")));
            }
        }
        let mut silence = Vec::new();
        for code in &raw.check.silence {
            match catalog::find(code.trim()) {
                Some(known) => silence.push(known.code.to_string()),
                None => problems.push((
                    line_of(text, "silence", code.trim()),
                    format!(
                        "check.silence: '{code}' is not a finding code ({}; docs/FINDINGS.md says what each means)",
                        catalog::ranges()
                    ),
                )),
            }
        }
        let alertmanager_url = match raw
            .alertmanager
            .url
            .as_deref()
            .map(crate::alerts::alertmanager::check_url)
        {
            Some(Err(e)) => {
                problems.push((
                    line_of(text, "alertmanager", "url"),
                    format!("alertmanager.url: {e}"),
                ));
                None
            }
            Some(Ok(u)) => Some(u),
            None => None,
        };
        if !problems.is_empty() {
            problems.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
            return Err(ConfigError {
                problems: problems
                    .into_iter()
                    .map(|(line, what)| located(path, line, &what))
                    .collect(),
            });
        }

        let resolve = |p: &Path| resolve(p, path);
        let walker = WalkerSettings {
            repo: raw.walker.repo.as_deref().map(resolve),
            transcripts: raw.walker.transcripts.as_deref().map(resolve),
        };
        let mut warnings = Vec::new();
        if let Some(repo) = &walker.repo
            && !repo.is_dir()
        {
            warnings.push(located(
                path,
                line_of(text, "walker", "repo"),
                &format!(
                    "walker.repo: {} is not a folder, so the trees' git checks cannot run",
                    repo.display()
                ),
            ));
        }
        let dashboard = DashboardSettings {
            theme: raw.theme.map(|t| theme_path(t, path)),
            read_only: raw.read_only,
            read_only_contexts: raw
                .contexts
                .into_iter()
                .filter(|(_, c)| c.read_only)
                .map(|(name, _)| name)
                .collect(),
        };
        Ok(Settings {
            check: CheckSettings {
                thresholds,
                silence,
            },
            walker,
            dashboard,
            alertmanager: AlertmanagerSettings {
                url: alertmanager_url,
            },
            warnings,
        })
    }
}

impl CheckSettings {
    /// Adds the command line's `--threshold NAME=VALUE` and `--silence CODE` to the file's:
    /// a flag overrides the file. Every bad flag is reported, not only the first.
    pub(crate) fn override_with(
        &mut self,
        thresholds: &[String],
        silence: &[String],
    ) -> Result<(), ConfigError> {
        let mut problems = Vec::new();
        for t in thresholds {
            match t.split_once('=') {
                Some((name, value)) => {
                    if let Err(e) = thresholds::set(&mut self.thresholds, name.trim(), value.trim())
                    {
                        problems.push(format!("--threshold: {e}"));
                    }
                }
                None => problems.push(format!(
                    "--threshold {t}: write it as NAME=VALUE, e.g. backup-max-age=30h"
                )),
            }
        }
        for code in silence {
            match catalog::find(code.trim()) {
                Some(known) => self.silence.push(known.code.to_string()),
                None => problems.push(format!(
                    "cannot silence '{code}': not a finding code ({}; docs/FINDINGS.md says what each means)",
                    catalog::ranges()
                )),
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ConfigError { problems })
        }
    }
}

/// `~/` is the home directory and a relative path is relative to the config file, as a
/// person writing the file expects.
fn resolve(path: &Path, config: &Path) -> PathBuf {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    match (path.strip_prefix("~"), home) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ if path.is_relative() => config
            .parent()
            .map(|dir| dir.join(path))
            .unwrap_or_else(|| path.to_path_buf()),
        _ => path.to_path_buf(),
    }
}

/// A theme written as a file is resolved like any path of the file; a bare word is a
/// built-in theme's name and stays as it is (the theme loader says if it is not one).
fn theme_path(theme: String, config: &Path) -> String {
    let file = theme.contains(['/', '\\'])
        || theme.ends_with(".yaml")
        || theme.ends_with(".yml")
        || theme.starts_with('~');
    if file {
        resolve(Path::new(&theme), config)
            .to_string_lossy()
            .into_owned()
    } else {
        theme
    }
}

/// serde_yaml's message, with its position turned into `line N:` after the file name.
fn syntax_problem(path: &Path, e: &serde_yaml::Error) -> String {
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    let line = e.location().map(|l| l.line());
    located(path, line, &format!("{msg} ({FORMAT_HINT})"))
}

fn located(path: &Path, line: Option<usize>, what: &str) -> String {
    match line {
        Some(n) => format!("{}: line {n}: {what}", path.display()),
        None => format!("{}: {what}", path.display()),
    }
}

/// What a YAML value is, for "expected …, found a list".
fn yaml_kind(v: &serde_yaml::Value) -> &'static str {
    match v {
        serde_yaml::Value::Null => "nothing",
        serde_yaml::Value::Bool(_) => "true or false",
        serde_yaml::Value::Sequence(_) => "a list",
        serde_yaml::Value::Mapping(_) => "a mapping",
        serde_yaml::Value::Tagged(_) => "a tagged value",
        serde_yaml::Value::String(_) | serde_yaml::Value::Number(_) => "a scalar",
    }
}

/// The line (1-based) of the first mention of `needle` at or after the line of `key:`.
/// serde keeps no position for a value it accepted, so a value judged afterwards is found
/// again in the text; comments are not searched.
fn line_of(text: &str, key: &str, needle: &str) -> Option<usize> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| match l.find('#') {
            Some(at) if at == 0 || l[..at].ends_with(char::is_whitespace) => &l[..at],
            _ => l,
        })
        .collect();
    let start = lines.iter().position(|l| {
        l.trim_start()
            .trim_start_matches(['"', '\''])
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start_matches(['"', '\'']).starts_with(':'))
    })?;
    lines
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, l)| l.contains(needle))
        .map(|(i, _)| i + 1)
}
