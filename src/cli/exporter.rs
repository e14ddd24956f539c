//! `backstop exporter`: serve the health rules as Prometheus metrics; `backstop exporter
//! manifests`: the Kubernetes objects that run it.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{ConfigArgs, ConnectArgs};
use crate::cluster::connect::ConnectOptions;
use crate::config::Settings;
use crate::exporter::{self, Evaluator, Options};

#[derive(Debug, Args)]
#[command(
    args_conflicts_with_subcommands = true,
    after_long_help = concat!(
        "Serves /metrics (the last evaluation's series; a scrape never reads the cluster), ",
        "/healthz (200 while evaluations keep completing, 503 with the reason after 3 ",
        "intervals without one) and /. Stops on SIGTERM or SIGINT. The config file's ",
        "check.thresholds and check.silence apply as they do to `backstop check`. ",
        "The metrics and how to deploy: docs/EXPORTER.md."
    )
)]
pub struct ExporterCommand {
    #[command(subcommand)]
    pub command: Option<ExporterSub>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum ExporterSub {}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Where to listen (port 0: any free port, printed when listening).
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0:9963")]
    pub listen: SocketAddr,
    /// How often to evaluate, e.g. 60s or 5m.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration)]
    pub interval: Duration,
    /// How often to read the object stores themselves (listing a bucket costs requests); their last proofs are kept in between.
    #[arg(long, value_name = "DUR", default_value = "10m", value_parser = parse_duration)]
    pub bucket_interval: Duration,
    #[command(flatten)]
    pub config: ConfigArgs,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d = crate::model::kubefmt::parse_duration(s)?;
    if d < Duration::from_secs(1) {
        return Err(format!("'{s}' is shorter than a second"));
    }
    Ok(d)
}

pub fn run(cmd: ExporterCommand, connect: ConnectArgs, config: &ConfigArgs) -> anyhow::Result<i32> {
    match cmd.command {
        None => {
            let mut args = cmd.serve;
            let config = std::mem::take(&mut args.config).or(config);
            serve(args, connect, &config)
        }
    }
}

fn serve(args: ServeArgs, connect: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    let settings = Settings::load(config)?.check;
    let opts = Options {
        connect: ConnectOptions {
            kubeconfig: connect.kubeconfig,
            context: connect.context,
            namespace: connect.namespace,
        },
        interval: args.interval,
        bucket_interval: args.bucket_interval,
        thresholds: settings.thresholds,
        silence: settings.silence,
    };
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("listening on {}", args.listen))?;
        let addr = listener
            .local_addr()
            .context("reading the address listened on")?;
        let mut evaluator = Evaluator::new(opts);
        // Serving starts either way: a cluster not reachable yet is what the metrics and
        // /healthz report, and the loop keeps trying.
        if let Err(e) = evaluator.connect().await {
            tracing::warn!(reason = %e, "exporter: not connected yet");
        }
        super::print(&format!(
            "backstop exporter: serving http://{addr}/metrics (context {})",
            evaluator.context()
        ))?;
        exporter::serve(listener, evaluator, stop_signal()).await
    });
    // A credential plugin that never returned still holds a thread: do not wait for it.
    runtime.shutdown_background();
    result.map(|()| 0)
}

/// SIGTERM (a pod being stopped) or SIGINT.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "exporter: SIGTERM cannot be caught, only SIGINT");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
