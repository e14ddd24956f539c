//! `backstop alerts rules`: the backup alerts as a PrometheusRule (or a plain rule file),
//! written with the config's thresholds; `backstop alerts audit`: which alerts in the
//! cluster watch each Cluster's backups, reported as `check` reports.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::check::Format;
use super::{ConfigArgs, ConnectArgs};
use crate::alerts::rules::{self, Output, RuleThresholds};
use crate::assess::alerting::{self, Aspect, Audit};
use crate::assess::{Outcome, Thresholds};
use crate::checks::report::{Firing, Report, Title};
use crate::checks::{self, Reach};
use crate::config::Settings;
use crate::model::kubefmt::parse_duration;

#[derive(Debug, Subcommand)]
pub enum AlertsCommand {
    /// Print Prometheus alerting rules for backups that work for plugin clusters: `backstop alerts rules | kubectl apply -f -`.
    Rules(RulesArgs),
    /// Audit the cluster's PrometheusRules: which Clusters no alert watches for backup age, failure or WAL archiving, alerts on metrics frozen for plugin Clusters, and Clusters nothing scrapes.
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (the cluster could not be read).\n\n",
    "PrometheusRules, PodMonitors and ServiceMonitors are read in every namespace (in -n's when ",
    "that is refused); the Clusters in -n's namespace, else in all. Without any PrometheusRule ",
    "coverage is not audited: alerts may live in a rule file or a hosted ruler."
))]
pub struct AuditArgs {
    /// Output: text for a terminal, JSON (the report contract of `backstop check`), Markdown for a ticket.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Audit saved manifests instead of a live cluster.
    #[arg(long, value_name = "FILE|DIR")]
    pub dump: Option<PathBuf>,
    /// Evaluate as of this instant (RFC3339).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// Alertmanager's URL: its firing alerts are shown beside the findings (default: the config's alertmanager.url).
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
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

pub fn run(cmd: AlertsCommand, connect: ConnectArgs, before: &ConfigArgs) -> anyhow::Result<i32> {
    match cmd {
        AlertsCommand::Rules(mut args) => {
            let config = std::mem::take(&mut args.config).or(before);
            rules_cmd(args, connect.namespace, &config)
        }
        AlertsCommand::Audit(mut args) => {
            let config = std::mem::take(&mut args.config).or(before);
            audit_cmd(args, connect, &config)
        }
    }
}

fn mark(by: Option<&Vec<String>>) -> String {
    match by {
        Some(v) if !v.is_empty() => format!("✓ {}", v.join(", ")),
        _ => "✗ none".to_string(),
    }
}

/// Each audited Cluster's coverage, one line per Cluster, as the report's notes.
pub(crate) fn coverage_lines(a: &Audit) -> Vec<String> {
    let mut out = a.notes.clone();
    for c in &a.clusters {
        let how = if c.plugin { "plugin" } else { "in-tree" };
        let mut line = format!("Cluster {}/{} ({how}):", c.namespace, c.name);
        if a.rules_audited {
            for aspect in Aspect::ALL {
                line.push_str(&format!(" {} {};", aspect.word(), mark(c.by.get(&aspect))));
            }
        }
        match &c.scraped_by {
            Some(by) if by.is_empty() => line.push_str(" scraped by ✗ nothing"),
            Some(by) => line.push_str(&format!(" scraped by {}", by.join(", "))),
            None => line.push_str(" scraping not known (no PodMonitor API)"),
        }
        out.push(line);
    }
    out
}

fn audit_cmd(args: AuditArgs, connect: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    let alertmanager = args
        .alertmanager
        .clone()
        .or(Settings::load(config)?.alertmanager.url);
    let now = super::common::now(args.now.as_deref())?;
    let runtime = super::common::runtime()?;
    let reach = Reach {
        logs: false,
        network: false,
        bucket: false,
        archiver: false,
    };
    let result = runtime.block_on(async {
        match &args.dump {
            Some(dump) => {
                let spec = dump
                    .to_str()
                    .with_context(|| format!("{} is not a UTF-8 path", dump.display()))?;
                let facts =
                    checks::facts_from_dump(spec, now, connect.namespace.as_deref()).await?;
                anyhow::Ok((facts, dump.display().to_string()))
            }
            None => {
                let (client, _, context) = super::common::connect(&connect).await?;
                let facts = checks::collect(&client, connect.namespace.as_deref(), reach).await;
                Ok((facts, context))
            }
        }
    });
    let firing = alertmanager.map(|url| runtime.block_on(Firing::read(&url)));
    runtime.shutdown_background();
    let (facts, source) = result?;
    let audit = alerting::audit(&facts);
    let outcome: Outcome = alerting::rules(&facts, now, &Thresholds::default());
    let report = Report::new(outcome, source, now, coverage_lines(&audit))
        .titled(Title::AlertsAudit)
        .with_firing(firing);
    let text = report.render(args.format);
    super::print_raw(text.trim_end())?;
    Ok(report.status.exit_code())
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
