//! Command-line interface: clap commands and what each runs.

mod alerts;
mod bundle;
mod check;
mod common;
mod config;
mod dashboard;
mod exporter;
mod fleet;
mod gitops;
mod logging;
mod migrate;
mod migrate_plan;
mod restore;
mod sim;
mod trees;

/// What `demo --fleet` serves, for the screenshots.
pub use sim::{InProcessFleet, demo_fleet_contexts, start_demo_fleet};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

pub use logging::default_log_path;

#[derive(Debug, Parser)]
#[command(
    name = "backstop",
    version,
    about = "A terminal dashboard for PostgreSQL backups on Kubernetes: CloudNativePG, the Barman Cloud plugin and Flux",
    long_about = "A terminal dashboard for PostgreSQL backups on Kubernetes: CloudNativePG, the Barman Cloud plugin and Flux.\n\n\
        Without a command, opens the dashboard on the current kubeconfig context. `backstop demo` opens it on a built-in simulated cluster.",
    after_help = concat!(
        "Logs go to a file, never to the screen: --log-file, default ",
        "$XDG_STATE_HOME/backstop/backstop.log (~/.local/state/backstop/backstop.log)."
    )
)]
pub struct Cli {
    /// Where to write the log.
    #[arg(long, global = true, value_name = "FILE", env = "BACKSTOP_LOG_FILE")]
    pub log_file: Option<PathBuf>,
    /// How much to log: error, warn, info, debug or trace (or a tracing filter).
    #[arg(
        long,
        global = true,
        value_name = "LEVEL",
        default_value = "info",
        env = "BACKSTOP_LOG_LEVEL"
    )]
    pub log_level: String,
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Colour theme: dark, light, high-contrast, terminal16, or a YAML file; also `theme:` in the config file (either wins over NO_COLOR).
    #[arg(long, global = true, value_name = "NAME|FILE", env = "BACKSTOP_THEME")]
    pub theme: Option<String>,
    /// Turn every action off (reconcile, suspend, restart, back up now, restore drills, migration verify's writes and rollbacks); also `read_only: true` in the config file, globally or per context.
    #[arg(long, global = true)]
    pub read_only: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which cluster, as kubectl chooses it.
#[derive(Debug, Args, Clone, Default)]
pub struct ConnectArgs {
    /// The kubeconfig file (default: $KUBECONFIG, else ~/.kube/config; in a pod, its service account).
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context (default: the current one); several, comma-separated, make a fleet (`check` reports them all).
    #[arg(long, global = true, value_name = "NAME[,NAME...]")]
    pub context: Option<String>,
    /// Every context of the kubeconfig, as a fleet (`check` reports them all with one exit code).
    #[arg(long, global = true, conflicts_with = "context")]
    pub all_contexts: bool,
    /// Watch one namespace (default: all namespaces).
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
}

/// Which config file to read; a command that reads one flattens this in, and one given
/// before the command (`backstop --config FILE demo`) counts too.
#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArgs {
    /// The config file (default: $XDG_CONFIG_HOME/backstop/config.yaml, else ~/.config/backstop/config.yaml); `backstop config example` shows every key.
    #[arg(long = "config", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

impl ConfigArgs {
    /// The file to read: this command's `--config`, else the one before the command, else
    /// the default path.
    fn or(self, before: &ConfigArgs) -> PathBuf {
        self.file
            .or_else(|| before.file.clone())
            .unwrap_or_else(crate::config::default_path)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Troubleshooting trees: list them, lint a file, walk one on autopilot.
    #[command(subcommand)]
    Trees(trees::TreesCommand),
    /// The health check: every finding with its code, for the daily routine, cron and monitoring.
    Check(check::CheckArgs),
    /// Open the dashboard on a built-in simulated cluster: no real cluster needed.
    Demo(sim::DemoArgs),
    /// The simulated Kubernetes API server: serve a scenario, list the built-in ones.
    #[command(subcommand)]
    Sim(sim::SimCommand),
    /// Restores: plan one against the proven recovery window, run a drill, find old drills.
    #[command(subcommand)]
    Restore(restore::RestoreCommand),
    /// The move from the in-tree barmanObjectStore to the Barman Cloud plugin: plan it, verify it, roll it back.
    #[command(subcommand)]
    Migrate(migrate::MigrateCommand),
    /// The config file: print an example that lists every key.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// A GitOps checkout: lint what Flux would apply from it.
    #[command(subcommand)]
    Gitops(gitops::GitopsCommand),
    /// Serve the health rules as Prometheus metrics; `manifests` renders what runs it in a cluster.
    Exporter(exporter::ExporterCommand),
    /// Alerts on backups: Prometheus rules that work for plugin clusters, and an audit of the cluster's.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// An incident bundle: objects, events, logs, the check and the ground truth in one
    /// .tar.gz that `check --dump` and `demo --scenario` open again; `anonymize` to share it.
    Report(bundle::ReportCommand),
}

/// Writes command output to stdout, through the sanitiser: names, messages and trees
/// printed here came from outside. A reader that stopped reading (`| head`) is not an
/// error: the output simply ends there.
pub fn print(text: &str) -> anyhow::Result<()> {
    print_raw(&crate::sanitize::clean(text))
}

/// Writes text that is safe as it is: JSON (serde escapes control characters) or a report
/// whose outside parts were each cleaned and that carries colours of our own.
pub fn print_raw(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::Error::new(e).context("writing to standard output"))
        }
        _ => Ok(()),
    }
}

/// Rewrites the current stderr line in place (progress on a terminal), sanitised; `""`
/// clears it.
pub fn eprint_in_place(text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{}", crate::sanitize::clean_line(text));
    let _ = err.flush();
}

/// Writes a message to stderr, through the redactor and the sanitiser: an error can quote
/// a file's content or an object's name.
pub fn eprint(text: &str) {
    eprintln!("{}", crate::sanitize::untrusted(text));
}

/// Runs the command line; the exit code on success.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let log_path = cli.log_file.clone().unwrap_or_else(default_log_path);
    // Logging is a convenience: if the file cannot be opened, say so and carry on.
    if let Err(e) = logging::init(&log_path, &cli.log_level) {
        eprint(&format!("backstop: not logging: {e:#}"));
    }
    let look = |config: ConfigArgs| dashboard::Look {
        config: config.or(&cli.config),
        theme: cli.theme.as_deref(),
        read_only: cli.read_only,
    };
    match cli.command {
        None => dashboard::live(cli.connect, look(ConfigArgs::default())),
        Some(Command::Demo(mut args)) => {
            let config = std::mem::take(&mut args.config);
            dashboard::demo(args, cli.connect.namespace, look(config))
        }
        Some(Command::Sim(cmd)) => sim::run(cmd),
        Some(Command::Check(mut args)) => {
            let config = std::mem::take(&mut args.config).or(&cli.config);
            check::run(args, cli.connect, &config)
        }
        Some(Command::Trees(cmd)) => trees::run(cmd, cli.connect, &cli.config),
        Some(Command::Config(cmd)) => config::run(cmd),
        Some(Command::Gitops(cmd)) => gitops::run(cmd),
        Some(Command::Exporter(cmd)) => exporter::run(cmd, cli.connect, &cli.config),
        Some(Command::Alerts(cmd)) => alerts::run(cmd, cli.connect, &cli.config),
        Some(Command::Report(mut cmd)) => {
            let config = std::mem::take(&mut cmd.take.config).or(&cli.config);
            bundle::run(cmd, cli.connect, &config)
        }
        Some(Command::Restore(cmd)) => restore::run(cmd, cli.connect, &cli.config, cli.read_only),
        Some(Command::Migrate(cmd)) => migrate::run(cmd, cli.connect, &cli.config, cli.read_only),
    }
}
