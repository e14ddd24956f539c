//! Command-line interface: clap commands and what each runs.

mod logging;
mod sim;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use logging::default_log_path;

#[derive(Debug, Parser)]
#[command(
    name = "backstop",
    version,
    about = "A terminal dashboard for PostgreSQL backups on Kubernetes: CloudNativePG, the Barman Cloud plugin and Flux",
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
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the simulated cluster with a built-in scenario: no real cluster needed.
    Demo(sim::DemoArgs),
    /// The simulated Kubernetes API server: serve a scenario, list the built-in ones.
    #[command(subcommand)]
    Sim(sim::SimCommand),
}

/// Runs the command line; the exit code on success.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    let log_path = cli.log_file.clone().unwrap_or_else(default_log_path);
    // Logging is a convenience: if the file cannot be opened, say so and carry on.
    if let Err(e) = logging::init(&log_path, &cli.log_level) {
        eprintln!("backstop: not logging: {e:#}");
    }
    match cli.command {
        Command::Demo(args) => sim::demo(args),
        Command::Sim(cmd) => sim::run(cmd),
    }
}
