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
        "Every metric and how to deploy it: the guide \"The exporter: backstop in the cluster, scraped by Prometheus\"."
    )
)]
pub struct ExporterCommand {
    #[command(subcommand)]
    pub command: Option<ExporterSub>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum ExporterSub {
    /// Print the Kubernetes objects that run the exporter (ServiceAccount, read-only RBAC, Deployment, Service, ServiceMonitor or PodMonitor) as one YAML stream for kubectl apply -f -.
    Manifests(ManifestsArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MonitorArg {
    Servicemonitor,
    Podmonitor,
    None,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "Secrets: the exporter may only `get` the Secrets named, one Role per namespace with ",
    "resourceNames, never list them. By default they are the ones the cluster's ObjectStores ",
    "and in-tree Clusters name (and the plugin's TLS Secrets), read now from the current ",
    "context; --secret names them instead, without reading the cluster. Render again when a ",
    "store's Secret changes."
))]
pub struct ManifestsArgs {
    /// The namespace the exporter runs in (create it first).
    #[arg(long, value_name = "NAME", default_value = "backstop")]
    pub namespace: String,
    /// The exporter's image, built from the Dockerfile and pushed where the cluster pulls from.
    #[arg(long, value_name = "IMAGE", default_value = concat!("backstop:", env!("CARGO_PKG_VERSION")))]
    pub image: String,
    /// How Prometheus (the Prometheus Operator) finds it.
    #[arg(long, value_enum, default_value = "servicemonitor")]
    pub monitor: MonitorArg,
    /// The evaluation interval, also the scrape interval.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = parse_duration)]
    pub interval: Duration,
    /// Read the Secrets to name from the cluster (the default).
    #[arg(long, conflicts_with = "secrets")]
    pub from_cluster: bool,
    /// A Secret the exporter may get, NAMESPACE/NAME (repeatable); the cluster is not read.
    #[arg(long = "secret", value_name = "NAMESPACE/NAME")]
    pub secrets: Vec<String>,
}

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
        Some(ExporterSub::Manifests(args)) => manifests(args, connect),
    }
}

fn manifests(args: ManifestsArgs, connect: ConnectArgs) -> anyhow::Result<i32> {
    use crate::exporter::manifests::{Monitor, Spec, render};
    let secrets = if args.secrets.is_empty() {
        let runtime = super::common::runtime()?;
        let result = runtime.block_on(async {
            let (client, _, _) = super::common::connect(&connect).await?;
            // The exporter these manifests run reads every namespace; `--namespace` here is
            // where it runs, not a scope.
            exporter::secrets_in(&client, None).await
        });
        runtime.shutdown_background();
        result?
    } else {
        args.secrets
            .iter()
            .map(|s| match s.split_once('/') {
                Some((ns, name)) if !ns.is_empty() && !name.is_empty() && !name.contains('/') => {
                    Ok((ns.to_string(), name.to_string()))
                }
                _ => Err(anyhow::anyhow!("--secret '{s}' is not NAMESPACE/NAME")),
            })
            .collect::<anyhow::Result<_>>()?
    };
    let spec = Spec {
        namespace: args.namespace,
        image: args.image,
        monitor: match args.monitor {
            MonitorArg::Servicemonitor => Monitor::ServiceMonitor,
            MonitorArg::Podmonitor => Monitor::PodMonitor,
            MonitorArg::None => Monitor::None,
        },
        interval: args.interval,
        secrets,
    };
    super::print(render(&spec)?.trim_end())?;
    Ok(0)
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
