//! The config file: `$XDG_CONFIG_HOME/backstop/config.yaml` (else
//! `~/.config/backstop/config.yaml`). Errors name the file, the line and the field.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub fn default_path() -> PathBuf {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("backstop").join("config.yaml")
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub check: CheckConfig,
    #[serde(default)]
    pub walker: WalkerConfig,
    /// Turns every action off, in every context.
    #[serde(default)]
    pub read_only: bool,
    /// Per kubeconfig context.
    #[serde(default)]
    pub contexts: BTreeMap<String, ContextConfig>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContextConfig {
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WalkerConfig {
    /// A checkout of the GitOps repository, for the trees' .gitignore checks.
    #[serde(default)]
    pub repo: Option<PathBuf>,
    /// Where `x` writes transcripts (default: $XDG_STATE_HOME/backstop/transcripts).
    #[serde(default)]
    pub transcripts: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckConfig {
    /// Finding codes never reported.
    #[serde(default)]
    pub silence: Vec<String>,
    /// Threshold name → value, as `--threshold NAME=VALUE` takes them.
    #[serde(default)]
    pub thresholds: BTreeMap<String, serde_yaml::Value>,
}

impl WalkerConfig {
    /// `~/` is the home directory and a relative path is relative to the config file, as
    /// a person writing the file expects.
    pub fn resolve(path: &Path, config: &Path) -> PathBuf {
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
}

/// Reads the config; a missing file is the defaults.
pub fn load(path: &Path) -> anyhow::Result<Config> {
    let text = match crate::files::read_text(path, crate::files::CONFIG_LIMIT) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => anyhow::bail!("cannot read the config file {}: {e}", path.display()),
    };
    if text.trim().is_empty() {
        return Ok(Config::default());
    }
    serde_yaml::from_str(&text).map_err(|e| {
        let at = e
            .location()
            .map(|l| format!("line {}: ", l.line()))
            .unwrap_or_default();
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        anyhow::anyhow!(
            "{}: {at}{msg} (see `backstop check --help` for the format)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walker_paths_resolve_from_home_and_from_the_file() {
        let cfg = Path::new("/etc/backstop/config.yaml");
        assert_eq!(
            WalkerConfig::resolve(Path::new("notes"), cfg),
            PathBuf::from("/etc/backstop/notes")
        );
        assert_eq!(
            WalkerConfig::resolve(Path::new("/srv/gitops"), cfg),
            PathBuf::from("/srv/gitops")
        );
        if let Some(home) = std::env::var_os("HOME") {
            assert_eq!(
                WalkerConfig::resolve(Path::new("~/incidents"), cfg),
                PathBuf::from(home).join("incidents")
            );
        }
    }

    #[test]
    fn a_typo_names_file_line_and_field() {
        let dir = tempfile_dir();
        let p = dir.join("config.yaml");
        std::fs::write(
            &p,
            "check:\n  silence: [BKP010]\n  treshold:\n    restarts: 5\n",
        )
        .expect("write");
        let e = load(&p).expect_err("typo").to_string();
        assert!(
            e.starts_with(&format!(
                "{}: line 3: check: unknown field `treshold`",
                p.display()
            )),
            "{e}"
        );
        std::fs::write(
            &p,
            "check:\n  silence: [BKP010]\n  thresholds:\n    restarts: 5\n",
        )
        .expect("write");
        let c = load(&p).expect("loads");
        assert_eq!(c.check.silence, ["BKP010"]);
        assert_eq!(
            load(&dir.join("absent.yaml")).expect("defaults"),
            Config::default()
        );
        let _ = std::fs::remove_dir_all(dir);
    }

    fn tempfile_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!("backstop-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }
}
