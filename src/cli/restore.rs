//! `backstop restore`: plan a restore (the recovery Cluster for the source's shape, its
//! target judged against the proven window), run a drill, and find the drills earlier runs
//! left behind.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{ConfigArgs, ConnectArgs};
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::config::Settings;
use crate::restore::drill::{self, DrillOptions, scratch};
use crate::restore::{self, Ask, Target};
use anyhow::{Context, bail};
use chrono::Utc;
use clap::{Args, Subcommand};

#[derive(Debug, Subcommand)]
pub enum RestoreCommand {
    /// Plan a restore: the recovery Cluster for the source's shape (plugin or in-tree), its target checked against the recovery window the bucket proves, the kubectl commands, and a file for Git.
    #[command(
        after_long_help = "Exit codes: 0 planned, 2 refused (the reasons are printed), 3 the cluster or a flag could not be read."
    )]
    Plan(PlanArgs),
    /// Run a restore drill: restore into a scratch namespace, follow it to a healthy primary, verify, measure RTO and RPO, tear it all down, write a report and record the result on the source Cluster.
    #[command(
        after_long_help = "Exit codes: 0 passed, 2 failed or refused, 3 the cluster or a flag could not be read. Off with --read-only."
    )]
    Drill(DrillArgs),
    /// The scratch namespaces earlier drills left behind; --clean deletes them.
    Drills(DrillsArgs),
}

/// Where the restore ends.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// `latest` (every archived WAL), or a time with its timezone (2026-12-04T09:30:00Z, 2026-12-04T10:30:00+01:00).
    #[arg(long, value_name = "latest|TIME", conflicts_with = "backup")]
    pub to: Option<String>,
    /// Restore to the end of this base backup: its ID (e.g. 20261124T060000) or its Backup object's name; backupID with targetImmediate.
    #[arg(long, value_name = "ID")]
    pub backup: Option<String>,
    /// Start from this base backup (ID or Backup name) instead of the newest one before the target (e.g. to skip a bad one).
    #[arg(long, value_name = "ID")]
    pub from_backup: Option<String>,
}

impl TargetArgs {
    fn parse(&self) -> anyhow::Result<(Target, Option<String>)> {
        let target = match (&self.to, &self.backup) {
            (_, Some(id)) => Target::Backup(
                restore::parse_backup_id(id).map_err(|e| anyhow::anyhow!("--backup: {e}"))?,
            ),
            (Some(to), None) => restore::parse_to(to).map_err(|e| anyhow::anyhow!("--to: {e}"))?,
            (None, None) => Target::Latest,
        };
        let from = self
            .from_backup
            .as_deref()
            .map(restore::parse_backup_id)
            .transpose()
            .map_err(|e| anyhow::anyhow!("--from-backup: {e}"))?;
        Ok((target, from))
    }
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The source Cluster: NAME (in --namespace or the context's namespace) or NAMESPACE/NAME.
    pub cluster: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// The recovery Cluster (default: NAME-restore beside the source).
    #[arg(long, value_name = "NAMESPACE/NAME")]
    pub into: Option<String>,
    /// Archive the restored cluster to the same store under this new server name (default: no archiving).
    #[arg(long, value_name = "SERVER")]
    pub archive_as: Option<String>,
    /// Instances of the recovery Cluster (default: as many as the source).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i64).range(1..=99))]
    pub instances: Option<i64>,
    /// Write the manifests to this file (for `kubectl apply -f` or a Git repository).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print only the manifests (for `| kubectl apply -f -`).
    #[arg(long)]
    pub yaml: bool,
    /// Judge the target as of this instant (RFC3339).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
}

#[derive(Debug, Args)]
pub struct DrillArgs {
    /// The source Cluster: NAME or NAMESPACE/NAME.
    pub cluster: String,
    #[command(flatten)]
    pub target: TargetArgs,
    /// How long to wait for a healthy primary.
    #[arg(long, value_name = "DURATION", default_value = "30m", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Verify with this SQL, run by psql in the restored primary (ON_ERROR_STOP: any error fails the drill).
    #[arg(long, value_name = "SQL-FILE")]
    pub verify: Option<PathBuf>,
    /// The database the verification runs in (default: the source's initdb database, else postgres).
    #[arg(long, value_name = "NAME", requires = "verify")]
    pub database: Option<String>,
    /// Keep the scratch namespace afterwards, for a look (it still expires).
    #[arg(long)]
    pub keep: bool,
    /// Where to write the Markdown report (default: restore-drill-NAMESPACE-NAME-TIME.md here).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Do not ask: run (for cron and CI).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Delete this Cluster's drill namespaces left by earlier runs first, without asking (expired ones always are).
    #[arg(long)]
    pub clean_stale: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Args)]
pub struct DrillsArgs {
    /// Delete them (each is a namespace labelled as a backstop drill).
    #[arg(long)]
    pub clean: bool,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::model::kubefmt::parse_duration(s)
}

pub fn run(
    cmd: RestoreCommand,
    connect: ConnectArgs,
    config: &ConfigArgs,
    read_only: bool,
) -> anyhow::Result<i32> {
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        match cmd {
            RestoreCommand::Plan(args) => plan_cmd(args, connect).await,
            RestoreCommand::Drill(mut args) => {
                let path = std::mem::take(&mut args.config).or(config);
                let settings = Settings::load(&path)?;
                drill_cmd(args, connect, settings, read_only).await
            }
            RestoreCommand::Drills(args) => drills_cmd(args, connect, read_only).await,
        }
    });
    runtime.shutdown_background();
    result
}

fn into_of(text: &str) -> anyhow::Result<(String, String)> {
    match text.split_once('/') {
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() => {
            Ok((ns.to_string(), name.to_string()))
        }
        _ => bail!("--into '{text}': write NAMESPACE/NAME"),
    }
}

async fn plan_cmd(args: PlanArgs, connect: ConnectArgs) -> anyhow::Result<i32> {
    let (target, from_backup) = args.target.parse()?;
    let now = super::common::now(args.now.as_deref())?;
    let mut ask = Ask::new(target);
    ask.from_backup = from_backup;
    ask.into = args.into.as_deref().map(into_of).transpose()?;
    ask.archive_as = args.archive_as.clone();
    ask.instances = args.instances;
    let (client, ns, name, _) = super::common::connect_to(&connect, &args.cluster).await?;
    let gathered = restore::gather(&client, &ns, &name)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let plan = match restore::plan(&gathered.source(), ask, now) {
        Ok(p) => p,
        Err(refused) => {
            super::print(&refused.text())?;
            return Ok(2);
        }
    };
    if args.yaml {
        super::print(plan.yaml().trim_end())?;
        return Ok(0);
    }
    let file = match &args.output {
        Some(path) => {
            crate::files::write_atomically(path, &plan.yaml())
                .with_context(|| format!("writing the plan to {}", path.display()))?;
            path.display().to_string()
        }
        None => format!("restore-{}.yaml", plan.into.1),
    };
    super::print(&plan.text(&file))?;
    match &args.output {
        Some(path) => super::print(&format!("\nWritten to {}.", path.display()))?,
        None => {
            super::print("\n--- the manifests (write them to a file with -o FILE) ---")?;
            super::print(plan.yaml().trim_end())?;
        }
    }
    Ok(0)
}

fn ask_yes(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).is_ok()
        && matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}

async fn drill_cmd(
    args: DrillArgs,
    connect: ConnectArgs,
    settings: Settings,
    read_only: bool,
) -> anyhow::Result<i32> {
    let (target, from_backup) = args.target.parse()?;
    let sql = match &args.verify {
        Some(path) => Some(
            crate::files::read_text(path, crate::files::SQL_LIMIT)
                .with_context(|| format!("reading the verification SQL {}", path.display()))?,
        ),
        None => None,
    };
    let (client, ns, name, context) = super::common::connect_to(&connect, &args.cluster).await?;
    if super::common::read_only(read_only, &settings, &context) {
        super::eprint(
            "backstop: a drill creates and deletes objects: refused in read-only mode (--read-only or read_only in the config file).",
        );
        return Ok(3);
    }
    let now = Utc::now();
    let leftovers = scratch::leftovers(&client, Some((&ns, &name)))
        .await
        .unwrap_or_else(|e| {
            super::eprint(&format!("backstop: {e}"));
            vec![]
        });
    // Past its expiry a drill's namespace is litter whatever left it (a crash, a killed
    // cron job): it goes without asking. One still within its time may be another person's
    // drill running now: it is only offered.
    let (expired, live): (Vec<_>, Vec<_>) = leftovers
        .into_iter()
        .partition(|l| l.expires.is_some_and(|e| e < now));
    for l in &expired {
        super::print(&format!("Deleting an expired drill: {}", l.describe(now)))?;
        if let Err(e) = scratch::delete(&client, &l.namespace, Duration::from_secs(120)).await {
            super::eprint(&format!("backstop: {e}"));
        }
    }
    if !live.is_empty() {
        super::print(&format!(
            "Earlier drills of {ns}/{name} left {} namespace(s) not yet expired:\n{}",
            live.len(),
            live.iter()
                .map(|l| format!("  {}", l.describe(now)))
                .collect::<Vec<_>>()
                .join("\n")
        ))?;
        let clean = args.clean_stale
            || (std::io::stdin().is_terminal() && !args.yes && ask_yes("Delete them first?"));
        if clean {
            for l in &live {
                match scratch::delete(&client, &l.namespace, Duration::from_secs(120)).await {
                    Ok(()) => super::print(&format!("deleted {}", l.namespace))?,
                    Err(e) => super::eprint(&format!("backstop: {e}")),
                }
            }
        } else {
            super::print(
                "Left alone (they do not block this drill; they are deleted once expired): `backstop restore drills --clean` deletes them now.",
            )?;
        }
    }
    let gathered = restore::gather(&client, &ns, &name)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let suffix = (now.timestamp_subsec_nanos() ^ std::process::id().rotate_left(11)) & 0xff_ffff;
    let ask = drill::ask(&ns, &name, target, from_backup, now, suffix);
    let plan = match restore::plan(&gathered.source(), ask, now) {
        Ok(p) => p,
        Err(refused) => {
            super::print(&refused.text())?;
            return Ok(2);
        }
    };
    super::print(&format!(
        "Drill: restore {ns}/{name} to {} into namespace {} (Cluster {}), then delete it.",
        plan.ask.target.describe(),
        plan.into.0,
        plan.into.1
    ))?;
    for l in plan.window.describe() {
        super::print(&l)?;
    }
    for w in &plan.warnings {
        super::print(&format!("WARNING: {w}"))?;
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            super::eprint(
                "backstop: a drill creates objects in the cluster: pass --yes to run it without a prompt.",
            );
            return Ok(3);
        }
        if !ask_yes("Run the drill?") {
            super::print("Not run.")?;
            return Ok(0);
        }
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let printer = tokio::spawn(async move {
        while let Some(line) = rx.recv().await {
            let _ = super::print(&line);
        }
    });
    let opts = DrillOptions {
        timeout: args.timeout,
        keep: args.keep,
        annotate: true,
        thresholds: settings.check.thresholds.clone(),
        verify: sql.map(|sql| {
            let db = args.database.clone().unwrap_or_else(|| {
                gathered
                    .cluster
                    .pointer("/spec/bootstrap/initdb/database")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("postgres")
                    .to_string()
            });
            (sql, db)
        }),
        ..DrillOptions::default()
    };
    let cancel = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let record = drill::run(&client, &plan, &opts, &tx, cancel).await;
    drop(tx);
    let _ = printer.await;
    let report = drill::report::markdown(&record);
    let path = args.report.clone().unwrap_or_else(|| {
        PathBuf::from(format!(
            "restore-drill-{ns}-{name}-{}.md",
            record.started.format("%Y%m%dT%H%M%SZ")
        ))
    });
    write_report(&path, &report)?;
    let rto = record
        .rto()
        .map(crate::model::kubefmt::span)
        .unwrap_or_else(|| "not reached".into());
    let rpo = record
        .rpo()
        .map(crate::model::kubefmt::span)
        .unwrap_or_else(|| "not measured".into());
    super::print(&format!(
        "\nDrill {}: RTO {rto}, RPO {rpo}. Report: {}{}",
        match &record.verdict {
            drill::Verdict::Passed => "PASSED".to_string(),
            v => format!("FAILED ({})", v.reason()),
        },
        path.display(),
        record
            .next_step()
            .map(|n| format!("\nNext: {n}"))
            .unwrap_or_default(),
    ))?;
    Ok(if record.passed() { 0 } else { 2 })
}

fn write_report(path: &Path, text: &str) -> anyhow::Result<()> {
    crate::files::write_atomically(path, text)
        .with_context(|| format!("writing the drill report to {}", path.display()))
}

async fn drills_cmd(
    args: DrillsArgs,
    connect: ConnectArgs,
    read_only: bool,
) -> anyhow::Result<i32> {
    let opts = ConnectOptions {
        kubeconfig: connect.kubeconfig,
        context: connect.context,
        namespace: None,
    };
    let (client, _) = connect_bounded(&opts)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {} ({})", e.target, e.what, e.hint))?;
    let found = scratch::leftovers(&client, None)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let now = Utc::now();
    if found.is_empty() {
        super::print("No drill namespaces.")?;
        return Ok(0);
    }
    for l in &found {
        super::print(&l.describe(now))?;
    }
    if args.clean {
        if read_only {
            super::eprint("backstop: deleting is refused in read-only mode.");
            return Ok(3);
        }
        for l in &found {
            scratch::delete(&client, &l.namespace, Duration::from_secs(120))
                .await
                .map_err(|e| anyhow::anyhow!(e))?;
            super::print(&format!("deleted {}", l.namespace))?;
        }
    }
    Ok(0)
}
