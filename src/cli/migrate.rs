//! `backstop migrate`: verify a Cluster's move to the Barman Cloud plugin, and roll it back.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::{ConfigArgs, ConnectArgs};
use crate::config::Settings;
use crate::migrate::rollback::confirm::{self, Answer, Confirm};
use crate::migrate::rollback::{self, saved};
use crate::migrate::verify;

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Plan the move from spec.backup.barmanObjectStore to the Barman Cloud plugin: gates, the ObjectStore, the Cluster's one change, its schedules; a copy saved first; kubectl commands, a script, or the edit in your GitOps checkout.
    #[command(
        after_long_help = "Exit codes: 0 planned (gates passed or only warned), 2 not ready (a gate failed), 3 the cluster or a flag could not be read."
    )]
    Plan(super::migrate_plan::PlanArgs),
    /// Prove a Cluster's migration to the Barman Cloud plugin worked: the plugin entry and its ObjectStore, no double archiving, the sidecar in every instance, a fresh WAL and the first plugin backup in the bucket, alerts on the deprecated metrics.
    #[command(
        after_long_help = "Exit codes: 0 every check passed, 1 warnings only, 2 a check failed, 3 cannot tell (a check could not be made from here, or the Cluster could not be read). Without --read-only it offers to switch a WAL and to take the first plugin backup, each confirmed (or --yes)."
    )]
    Verify(VerifyArgs),
    /// Roll a migrated Cluster back to its saved in-tree spec (the user's guide's Emergency Rollback Procedure): suspend Flux, restore the saved Cluster and ScheduledBackups, wait for the Cluster, take a test backup; each step confirmed.
    #[command(
        after_long_help = "Exit codes: 0 every step done, 1 done with warnings or a step skipped or stopped, 2 a step failed, 3 refused (read-only, no terminal without --yes) or the saved file could not be read. Off with --read-only."
    )]
    Rollback(RollbackArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The Cluster: NAME (in --namespace or the context's namespace) or NAMESPACE/NAME.
    pub cluster: String,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// A GitOps checkout: its tracked YAML/JSON files (Grafana dashboards too) are searched for the deprecated cnpg_collector_* backup metrics.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// Where `backstop migrate plan` saved the pre-migration files (for where the old backups are).
    #[arg(long = "from", value_name = "DIR", default_value = saved::DEFAULT_DIR)]
    pub from: PathBuf,
    /// How long to wait for a switched WAL or the first plugin backup.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Do not ask: switch the WAL and take the backup when needed.
    #[arg(long, short = 'y')]
    pub yes: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The Cluster: NAME or NAMESPACE/NAME.
    pub cluster: String,
    /// Where `backstop migrate plan` saved the pre-migration files (DIR/NAMESPACE/CLUSTER.pre-migration.yaml).
    #[arg(long = "from", value_name = "DIR", default_value = saved::DEFAULT_DIR)]
    pub from: PathBuf,
    /// Do not ask before each step (for scripts; required without a terminal).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// How long to wait for a healthy Cluster, and for the test backup.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = parse_duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub config: ConfigArgs,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::model::kubefmt::parse_duration(s)
}

/// An answer from the terminal: y, n or q; Ctrl-C while asked is q.
async fn from_terminal(question: String, stop: Arc<AtomicBool>) -> Answer {
    eprint!("{question} [y/n/q] ");
    let read = tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => Answer::Quit,
            Ok(_) => confirm::parse(&line),
        }
    });
    tokio::select! {
        a = read => a.unwrap_or(Answer::Quit),
        _ = tokio::signal::ctrl_c() => {
            stop.store(true, Ordering::SeqCst);
            super::eprint("");
            Answer::Quit
        }
    }
}

/// Who answers: --yes, the terminal, or nobody (no terminal, no --yes: every write
/// declined).
enum Asker {
    Yes,
    Tty(Arc<AtomicBool>),
    Never,
}

impl Confirm for Asker {
    fn ask(&mut self, question: &str) -> impl std::future::Future<Output = Answer> + Send {
        let q = crate::sanitize::untrusted(question);
        let who = match self {
            Asker::Yes => None,
            Asker::Tty(stop) => Some(Some(stop.clone())),
            Asker::Never => Some(None),
        };
        async move {
            match who {
                None => Answer::Yes,
                Some(Some(stop)) => from_terminal(q, stop).await,
                Some(None) => {
                    super::eprint(&format!("{q} no: not a terminal (pass --yes)"));
                    Answer::No
                }
            }
        }
    }
}

pub fn run(
    cmd: MigrateCommand,
    connect: ConnectArgs,
    config: &ConfigArgs,
    read_only: bool,
) -> anyhow::Result<i32> {
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        match cmd {
            MigrateCommand::Plan(args) => super::migrate_plan::plan_cmd(args, connect).await,
            MigrateCommand::Verify(mut args) => {
                let path = std::mem::take(&mut args.config).or(config);
                let settings = Settings::load(&path)?;
                verify_cmd(args, connect, settings, read_only).await
            }
            MigrateCommand::Rollback(mut args) => {
                let path = std::mem::take(&mut args.config).or(config);
                let settings = Settings::load(&path)?;
                rollback_cmd(args, connect, settings, read_only).await
            }
        }
    });
    runtime.shutdown_background();
    result
}

async fn verify_cmd(
    args: VerifyArgs,
    connect: ConnectArgs,
    settings: Settings,
    read_only: bool,
) -> anyhow::Result<i32> {
    let (client, ns, name, context) = super::common::connect_to(&connect, &args.cluster).await?;
    let opts = verify::Options {
        read_only: super::common::read_only(read_only, &settings, &context),
        timeout: args.timeout,
        repo: args.repo.clone(),
        backup_dir: args.from.clone(),
        ..verify::Options::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let mut asker = if args.yes {
        Asker::Yes
    } else if std::io::stdin().is_terminal() {
        Asker::Tty(stop.clone())
    } else {
        Asker::Never
    };
    let progress = |line: String| super::eprint(&line);
    let work = verify::verify(&client, &ns, &name, &opts, &mut asker, &progress);
    let outcome = tokio::select! {
        v = work => v,
        _ = tokio::signal::ctrl_c() => {
            super::eprint(&format!(
                "backstop: stopped (Ctrl-C); a backup verify requested keeps going: `kubectl get backups -n {ns}`"
            ));
            return Ok(3);
        }
    };
    let v = match outcome {
        Ok(v) => v,
        Err(e) => {
            super::eprint(&format!("backstop: {e}"));
            return Ok(3);
        }
    };
    match args.format {
        Format::Json => super::print_raw(&verify::report::json(&v))?,
        Format::Text => super::print(&verify::report::text(&v))?,
    }
    Ok(v.exit_code())
}

async fn rollback_cmd(
    args: RollbackArgs,
    connect: ConnectArgs,
    settings: Settings,
    read_only: bool,
) -> anyhow::Result<i32> {
    let (client, ns, name, context) = super::common::connect_to(&connect, &args.cluster).await?;
    if super::common::read_only(read_only, &settings, &context) {
        super::eprint(
            "backstop: a rollback replaces the Cluster's spec: refused in read-only mode (--read-only, or read_only in the config file, globally or for this context).",
        );
        return Ok(3);
    }
    if !args.yes && !std::io::stdin().is_terminal() {
        super::eprint(
            "backstop: a rollback changes the cluster and asks before each step: pass --yes to run it without a terminal.",
        );
        return Ok(3);
    }
    let saved = match saved::read(&args.from, &ns, &name) {
        Ok(s) => s,
        Err(e) => {
            super::eprint(&format!("backstop: {e}"));
            return Ok(3);
        }
    };
    super::print(&format!(
        "Rollback of Cluster {ns}/{name} from {}{}",
        saved.file,
        if saved.header.is_empty() {
            String::new()
        } else {
            format!("\n  {}", saved.header.join("\n  "))
        }
    ))?;
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                super::eprint("backstop: stopping after the step under way (Ctrl-C)");
            }
        })
    };
    let mut asker = if args.yes {
        Asker::Yes
    } else {
        Asker::Tty(stop.clone())
    };
    let opts = rollback::Options {
        timeout: args.timeout,
        ..rollback::Options::default()
    };
    let progress = |line: String| {
        let _ = super::print(&line);
    };
    let account = rollback::rollback(&client, &saved, &opts, &mut asker, &progress, &stop).await;
    watcher.abort();
    super::print(&format!("\n{}", account.text()))?;
    Ok(account.exit_code())
}
