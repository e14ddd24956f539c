//! `backstop check`: every finding, from a live cluster or saved manifests, as text, JSON
//! or Markdown, with monitoring-plugin exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::{Args, ValueEnum};

use super::ConnectArgs;
use super::config;
use super::report::Report;
use crate::assess::{self, Outcome, Status, Thresholds, catalog};
use crate::checks::{self, Reach};
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::model::kubefmt::parse_duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Warning,
    Critical,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (nothing could be checked).\n\n",
    "Config file: $XDG_CONFIG_HOME/backstop/config.yaml (~/.config/backstop/config.yaml):\n",
    "  check:\n",
    "    silence: [BKP010]\n",
    "    thresholds:\n",
    "      backup-max-age: 26h      # BKP002\n",
    "      backup-slow: 30m         # BKP003\n",
    "      pending-stuck: 10m       # BKP004\n",
    "      running-stuck: 6h        # BKP004\n",
    "      restarts: 3              # PLG006\n",
    "      cert-expiry: 14d         # PLG009 (d for days is accepted here)\n",
    "      min-throughput: 10       # BKP011, MB/s\n",
    "  walker:                      # the dashboard's troubleshooting walker\n",
    "    repo: ~/src/platform-gitops   # a GitOps checkout, for the .gitignore checks\n",
    "    transcripts: ~/incidents      # where x writes transcripts\n",
    "  read_only: false             # true turns the dashboard's actions off everywhere\n",
    "  contexts:\n",
    "    prod-eu: {read_only: true}    # or in one kubeconfig context\n",
    "Command-line flags add to and override the file."
))]
pub struct CheckArgs {
    /// Output: text for a terminal, JSON (the contract of FINDINGS.md), Markdown for a ticket.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Evaluate saved manifests (a `kubectl get -A -o yaml` dump, multi-document files, a folder) instead of a live cluster: no network probes.
    #[arg(long, value_name = "FILE|DIR")]
    pub dump: Option<PathBuf>,
    /// Evaluate as of this instant (RFC3339), for postmortems and reproducible reports.
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// The lowest severity that makes the exit code non-zero.
    #[arg(long, value_enum, default_value = "warning")]
    pub fail_on: FailOn,
    /// Codes never to report, comma-separated (adds to the config file's).
    #[arg(long, value_delimiter = ',', value_name = "CODE,...")]
    pub silence: Vec<String>,
    /// Override a threshold, e.g. backup-max-age=30h (repeatable).
    #[arg(long = "threshold", value_name = "NAME=VALUE")]
    pub thresholds: Vec<String>,
    /// The config file to read.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

fn days_or_duration(v: &str) -> Result<Duration, String> {
    match v.strip_suffix('d').and_then(|n| n.parse::<f64>().ok()) {
        Some(days) => Ok(Duration::from_secs_f64(days * 86_400.0)),
        None => parse_duration(v),
    }
}

/// Applies one `name=value` threshold.
pub fn set_threshold(th: &mut Thresholds, name: &str, value: &str) -> Result<(), String> {
    let bad = |e: String| format!("threshold {name}={value}: {e}");
    match name {
        "backup-max-age" => th.backup_max_age = days_or_duration(value).map_err(bad)?,
        "backup-slow" => th.backup_slow = days_or_duration(value).map_err(bad)?,
        "pending-stuck" => th.pending_stuck = days_or_duration(value).map_err(bad)?,
        "running-stuck" => th.running_stuck = days_or_duration(value).map_err(bad)?,
        "cert-expiry" => th.cert_expiry = days_or_duration(value).map_err(bad)?,
        "restarts" => {
            th.restarts = value
                .parse()
                .map_err(|_| bad("a whole number is needed".into()))?
        }
        "min-throughput" => {
            th.min_throughput_mb_s = value
                .parse()
                .map_err(|_| bad("a number of MB/s is needed".into()))?
        }
        other => {
            return Err(format!(
                "unknown threshold '{other}': use backup-max-age, backup-slow, pending-stuck, running-stuck, restarts, cert-expiry or min-throughput"
            ));
        }
    }
    Ok(())
}

/// The thresholds and silenced codes of the config file (the defaults when it is absent):
/// `backstop check` and the dashboard read the same ones.
pub fn from_config(path: &std::path::Path) -> anyhow::Result<(Thresholds, Vec<String>)> {
    let cfg = config::load(path)?;
    let mut th = Thresholds::default();
    for (name, value) in &cfg.check.thresholds {
        let v = match value {
            serde_yaml::Value::String(s) => s.clone(),
            serde_yaml::Value::Number(n) => n.to_string(),
            other => anyhow::bail!(
                "{}: check.thresholds.{name}: expected a value like 26h or 3, found {other:?}",
                path.display()
            ),
        };
        set_threshold(&mut th, name, &v)
            .map_err(|e| anyhow::anyhow!("{}: check.thresholds: {e}", path.display()))?;
    }
    let mut silence = Vec::new();
    for code in &cfg.check.silence {
        let known = catalog::find(code.trim()).with_context(|| {
            format!(
                "{}: check.silence: '{code}' is not a finding code (PLG001…BKP011)",
                path.display()
            )
        })?;
        silence.push(known.code.to_string());
    }
    Ok((th, silence))
}

/// Runs the check; the exit code.
pub fn run(args: CheckArgs, connect_args: ConnectArgs) -> anyhow::Result<i32> {
    let config_path = args.config.clone().unwrap_or_else(config::default_path);
    let (mut th, config_silence) = from_config(&config_path)?;
    for t in &args.thresholds {
        let (name, value) = t.split_once('=').with_context(|| {
            format!("--threshold {t}: write it as NAME=VALUE, e.g. backup-max-age=30h")
        })?;
        set_threshold(&mut th, name.trim(), value.trim())
            .map_err(|e| anyhow::anyhow!("--threshold: {e}"))?;
    }
    let mut silence = config_silence;
    for code in &args.silence {
        let known = catalog::find(code.trim()).with_context(|| {
            format!("cannot silence '{code}': not a finding code (PLG001…BKP011, see FINDINGS)")
        })?;
        silence.push(known.code.to_string());
    }
    let now = match &args.now {
        Some(s) => DateTime::parse_from_rfc3339(s)
            .with_context(|| {
                format!("--now '{s}' is not an RFC3339 time, e.g. 2026-11-24T06:00:00Z")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let result = runtime.block_on(async {
        match &args.dump {
            Some(dump) => {
                let spec = dump
                    .to_str()
                    .with_context(|| format!("{} is not a UTF-8 path", dump.display()))?;
                let facts =
                    checks::facts_from_dump(spec, now, connect_args.namespace.as_deref()).await?;
                anyhow::Ok((
                    assess::assess(&facts, now, &th),
                    dump.display().to_string(),
                    std::iter::once("saved manifests: no network probes".to_string())
                        .chain(checks::malformed(&facts))
                        .collect(),
                ))
            }
            None => Ok(live(connect_args, now, &th).await),
        }
    });
    // A credential plugin that never returned still holds a thread: do not wait for it.
    runtime.shutdown_background();
    let (outcome, source, notes) = result?;
    let mut outcome = outcome;
    outcome
        .findings
        .retain(|f| !silence.iter().any(|s| s == f.code));
    let report = Report::new(outcome, source, now, notes);
    // Each format is safe as it comes: JSON escaped by serde, text and Markdown with every
    // outside string cleaned by the report (the text's colours are its own).
    let text = match args.format {
        Format::Json => report.json(),
        Format::Markdown => report.markdown(),
        Format::Text => {
            let colour = std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            report.text(colour)
        }
    };
    super::print_raw(text.trim_end())?;
    Ok(match (report.status, args.fail_on) {
        (Status::Warning, FailOn::Critical) => 0,
        (s, _) => s.exit_code(),
    })
}

async fn live(
    connect_args: ConnectArgs,
    now: DateTime<Utc>,
    th: &Thresholds,
) -> (Outcome, String, Vec<String>) {
    let opts = ConnectOptions {
        kubeconfig: connect_args.kubeconfig,
        context: connect_args.context,
        namespace: connect_args.namespace,
    };
    let (client, target) = match connect_bounded(&opts).await {
        Ok(c) => c,
        Err(e) => {
            let mut o = Outcome::default();
            o.unknown("cluster", e.to_string());
            return (o, e.target, vec![]);
        }
    };
    let version =
        match tokio::time::timeout(Duration::from_secs(10), client.apiserver_version()).await {
            Ok(Ok(v)) => v.git_version,
            Ok(Err(e)) => {
                let mut o = Outcome::default();
                o.unknown("cluster", format!("{} is unreachable: {e}", target.server));
                return (o, target.context, vec![]);
            }
            Err(_) => {
                let mut o = Outcome::default();
                o.unknown(
                    "cluster",
                    format!("{} did not answer within 10s", target.server),
                );
                return (o, target.context, vec![]);
            }
        };
    // A simulated cluster's endpoints are fictional: probing them would only fail.
    let simulated = version.contains("backstop-sim");
    let facts = checks::collect(
        &client,
        target.namespace.as_deref(),
        Reach {
            logs: true,
            network: !simulated,
        },
    )
    .await;
    let mut notes = if simulated {
        vec!["a simulated cluster: endpoints are fictional, network probes skipped".to_string()]
    } else {
        vec![]
    };
    notes.extend(checks::malformed(&facts));
    (assess::assess(&facts, now, th), target.context, notes)
}
