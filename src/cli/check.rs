//! `backstop check`: every finding, from a live cluster or saved manifests, as text, JSON
//! or Markdown, with monitoring-plugin exit codes.

use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use clap::Args;

use super::{ConfigArgs, ConnectArgs};
use crate::assess::{self, Outcome, Status, Thresholds};
use crate::checks;
use crate::checks::report::Report;
pub use crate::checks::report::{FailOn, Format};
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::config::{CheckSettings, Settings};

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (nothing could be checked, or the ",
    "config file or a flag is wrong).\n\n",
    "Config file: $XDG_CONFIG_HOME/backstop/config.yaml (~/.config/backstop/config.yaml), or ",
    "--config FILE: its check.silence and check.thresholds take what --silence and --threshold ",
    "take, and the flags add to and override them. `backstop config example` prints every key ",
    "with its default and what it does."
))]
pub struct CheckArgs {
    /// Output: text for a terminal, JSON (the contract of FINDINGS.md), Markdown for a ticket.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Evaluate saved manifests (a `kubectl get -A -o yaml` dump, multi-document files, a folder, a bundle `backstop report` wrote) instead of a live cluster: no network probes.
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
    /// Override a threshold, e.g. backup-max-age=30h (repeatable; the names and their defaults: `backstop config example`).
    #[arg(long = "threshold", value_name = "NAME=VALUE")]
    pub thresholds: Vec<String>,
    /// Alertmanager's URL: its firing alerts are shown beside the findings (default: the config's alertmanager.url).
    #[arg(long, value_name = "URL")]
    pub alertmanager: Option<String>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// Runs the check; the exit code.
pub fn run(args: CheckArgs, connect_args: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    let all = Settings::load(config)?;
    let alertmanager = args.alertmanager.clone().or(all.alertmanager.url);
    let mut settings = all.check;
    settings.override_with(&args.thresholds, &args.silence)?;
    let CheckSettings {
        thresholds: th,
        silence,
    } = settings;
    let now = super::common::now(args.now.as_deref())?;
    if let Some(which) =
        crate::fleet::Which::from_flags(connect_args.context.as_deref(), connect_args.all_contexts)
    {
        if args.dump.is_some() {
            anyhow::bail!(
                "--dump reads one set of saved manifests: leave out --context a,b / --all-contexts"
            );
        }
        let opts = crate::fleet::Options {
            kubeconfig: connect_args.kubeconfig,
            namespace: connect_args.namespace,
        };
        return super::fleet::run(
            which,
            opts,
            now,
            CheckSettings {
                thresholds: th,
                silence,
            },
            args.format,
            args.fail_on,
        );
    }
    let runtime = super::common::runtime()?;
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
                    assess::bucket::windows(&facts),
                    assess::restore::drill_reports(&facts, now),
                ))
            }
            None => Ok(live(connect_args, now, &th).await),
        }
    });
    let firing =
        alertmanager.map(|url| runtime.block_on(crate::checks::report::Firing::read(&url)));
    // A credential plugin that never returned still holds a thread: do not wait for it.
    runtime.shutdown_background();
    let (outcome, source, notes, stores, drills) = result?;
    let mut outcome = outcome;
    outcome
        .findings
        .retain(|f| !silence.iter().any(|s| s == f.code));
    let report = Report::new(outcome, source, now, notes)
        .with_stores(stores)
        .with_drills(drills)
        .with_firing(firing);
    let text = report.render(args.format);
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
) -> (
    Outcome,
    String,
    Vec<String>,
    Vec<assess::bucket::WindowReport>,
    Vec<assess::restore::DrillReport>,
) {
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
            return (o, e.target, vec![], vec![], vec![]);
        }
    };
    let checks::site::Read { facts, simulated } = match checks::site::read(
        &client,
        &target.server,
        target.namespace.as_deref(),
        true,
    )
    .await
    {
        Ok(read) => read,
        Err(e) => {
            let mut o = Outcome::default();
            o.unknown("cluster", e);
            return (o, target.context, vec![], vec![], vec![]);
        }
    };
    let mut notes = if simulated {
        vec!["a simulated cluster: endpoints are fictional, network probes skipped".to_string()]
    } else {
        vec![]
    };
    notes.extend(checks::malformed(&facts));
    (
        assess::assess(&facts, now, th),
        target.context,
        notes,
        assess::bucket::windows(&facts),
        assess::restore::drill_reports(&facts, now),
    )
}
