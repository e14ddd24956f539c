//! `backstop alerts rules`: the backup alerts as a PrometheusRule (or a plain rule file),
//! written with the config's thresholds.

use std::path::Path;

use clap::{Args, Subcommand};

use super::ConfigArgs;
use crate::alerts::rules::{self, Output, RuleThresholds};
use crate::config::Settings;
use crate::model::kubefmt::parse_duration;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Print Prometheus alerting rules for backups that work for plugin clusters: `backstop alerts rules | kubectl apply -f -`.
    Rules(RulesArgs),
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "The rules read backstop's exporter (`backstop exporter`), the Barman Cloud plugin's ",
    "barman_cloud_cloudnative_pg_io_* metrics and CloudNativePG's cnpg_pg_stat_archiver_*; never ",
    "the cnpg_collector_* backup metrics, which read 0 or freeze once a Cluster backs up through ",
    "the plugin. The PrometheusRule goes in the namespace given by -n (else kubectl's default).\n\n",
    "Thresholds: the config's check.thresholds (backup-max-age, drill-max-age), overridden by ",
    "--threshold, which also takes wal-archive-lag (default 1h) and exporter-stale (default 15m)."
))]
pub struct RulesArgs {
    /// The PrometheusRule's name.
    #[arg(long, default_value = "backstop-backups", value_name = "NAME")]
    pub name: String,
    /// Labels for the PrometheusRule, so your Prometheus's ruleSelector picks it up (e.g. release=kube-prometheus-stack).
    #[arg(long, value_name = "K=V,...")]
    pub labels: Option<String>,
    /// A plain rule file for Prometheus's `rule_files:` instead of a PrometheusRule.
    #[arg(long)]
    pub plain: bool,
    /// Override a threshold, e.g. backup-max-age=30h or wal-archive-lag=30m (repeatable).
    #[arg(long = "threshold", value_name = "NAME=VALUE")]
    pub thresholds: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

pub fn run(
    cmd: AlertsCommand,
    namespace: Option<String>,
    before: &ConfigArgs,
) -> anyhow::Result<i32> {
    match cmd {
        AlertsCommand::Rules(mut args) => {
            let config = std::mem::take(&mut args.config).or(before);
            rules_cmd(args, namespace, &config)
        }
    }
}

/// The thresholds: the file's, then the flags; the rules' own names are taken here, the
/// others by the config's parser, so a name `check` takes this takes too.
fn thresholds(config: &Path, flags: &[String]) -> anyhow::Result<RuleThresholds> {
    let mut settings = Settings::load(config)?.check;
    let mut own = Vec::new();
    let mut shared = Vec::new();
    for t in flags {
        match t.split_once('=') {
            Some((n, v)) if RuleThresholds::NAMES.contains(&n.trim()) => {
                own.push((n.trim().to_string(), v.trim().to_string()))
            }
            _ => shared.push(t.clone()),
        }
    }
    settings.override_with(&shared, &[])?;
    let mut th = RuleThresholds::from(&settings.thresholds);
    for (name, value) in own {
        let d = parse_duration(&value)
            .map_err(|e| anyhow::anyhow!("--threshold {name}={value}: {e}"))?;
        if d.as_secs() == 0 {
            anyhow::bail!("--threshold {name}={value}: must be at least a second");
        }
        match name.as_str() {
            "wal-archive-lag" => th.wal_archive_lag = d,
            _ => th.exporter_stale = d,
        }
    }
    Ok(th)
}

fn rules_cmd(args: RulesArgs, namespace: Option<String>, config: &Path) -> anyhow::Result<i32> {
    let th = thresholds(config, &args.thresholds)?;
    let labels = match &args.labels {
        Some(l) => rules::parse_labels(l).map_err(|e| anyhow::anyhow!("--labels: {e}"))?,
        None => vec![],
    };
    if args.plain && !labels.is_empty() {
        anyhow::bail!(
            "--labels: a plain rule file has no metadata; label the rules in your Prometheus config instead"
        );
    }
    if !rules::valid_name(&args.name) {
        anyhow::bail!(
            "--name '{}': not a Kubernetes object name (lowercase letters, digits, '-' and '.')",
            args.name
        );
    }
    if let Some(ns) = &namespace
        && (!rules::valid_name(ns) || ns.contains('.') || ns.len() > 63)
    {
        anyhow::bail!("--namespace '{ns}': not a Kubernetes namespace name");
    }
    let out = Output {
        plain: args.plain,
        name: args.name,
        namespace,
        labels,
    };
    super::print_raw(rules::render(&th, &out)?.trim_end())?;
    Ok(0)
}
