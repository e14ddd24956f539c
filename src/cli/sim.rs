//! `backstop sim serve|list`, and the arguments of `backstop demo`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::sim::{self, Sim, scenario};

#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve a scenario over HTTP for kubectl, backstop, tests and training rooms.
    Serve(ServeArgs),
    /// List the built-in scenarios.
    List,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A built-in scenario name (see `backstop sim list`), a YAML file, or a folder of them.
    #[arg(long, default_value = "healthy", value_name = "NAME|FILE|DIR")]
    pub scenario: String,
    /// Address to listen on; port 0 picks a free one.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Write a kubeconfig that points at the simulator to this file.
    #[arg(long, value_name = "FILE")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Serve the healthy scenario at scale: N more Backups and N Pods over 50 namespaces,
    /// 100 of each other kind (the benchmark's cluster).
    #[arg(long, value_name = "N", conflicts_with = "scenario")]
    pub scale: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A built-in scenario name (see `backstop sim list`), a YAML file, or a folder of them.
    #[arg(long, default_value = "healthy", value_name = "NAME|FILE|DIR")]
    pub scenario: String,
    /// Practise: open the tree chooser in training mode (proposals hidden until you choose,
    /// a score at the diagnosis).
    #[arg(long)]
    pub training: bool,
    /// The healthy scenario at scale: N more Backups and N Pods over 50 namespaces, 100 of
    /// each other kind.
    #[arg(long, value_name = "N", conflicts_with = "scenario")]
    pub scale: Option<usize>,
    #[command(flatten)]
    pub config: super::ConfigArgs,
}

impl DemoArgs {
    pub fn sim(&self) -> anyhow::Result<std::sync::Arc<Sim>> {
        simulated(&self.scenario, self.scale)
    }
}

/// The scenario's cluster, or the healthy one seeded at scale.
pub fn simulated(scenario: &str, scale: Option<usize>) -> anyhow::Result<std::sync::Arc<Sim>> {
    match scale {
        None => Sim::from_scenario(scenario),
        Some(n) => {
            let sc = sim::seed::scenario(&sim::seed::Scale::of(n), chrono::Utc::now())?;
            Sim::new(&sc).with_context(|| format!("building the cluster at scale {n}"))
        }
    }
}

pub fn run(cmd: SimCommand) -> anyhow::Result<i32> {
    match cmd {
        SimCommand::List => {
            list()?;
            Ok(0)
        }
        SimCommand::Serve(args) => {
            let sim = simulated(&args.scenario, args.scale)?;
            serve(sim, args.listen, args.write_kubeconfig)
        }
    }
}

fn list() -> anyhow::Result<()> {
    let now = chrono::Utc::now();
    for name in scenario::builtin_names() {
        match scenario::load(name, now) {
            Ok(sc) => {
                let first = sc.description.lines().next().unwrap_or("");
                super::print(&format!("{name:<26} {first}"))?;
            }
            // A built-in scenario that does not load is a bug; show it rather than hide it.
            Err(e) => super::print(&format!("{name:<26} (does not load: {e})"))?,
        }
    }
    Ok(())
}

fn serve(
    sim: std::sync::Arc<Sim>,
    addr: SocketAddr,
    kubeconfig: Option<PathBuf>,
) -> anyhow::Result<i32> {
    let runtime = super::common::runtime()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("listening on {addr}"))?;
        let local = listener
            .local_addr()
            .context("reading the address listened on")?;
        let name = sim.info.name.clone();
        if let Some(path) = &kubeconfig {
            crate::files::write_atomically(
                path,
                &sim::kubeconfig(local, &format!("backstop-sim-{name}")),
            )
            .with_context(|| format!("writing the kubeconfig {}", path.display()))?;
        }
        tracing::info!(%local, scenario = %name, "simulator listening");
        super::print(&format!(
            "backstop simulator: scenario '{name}' ({} objects) on http://{local}",
            sim.store.count()
        ))?;
        if let Some(path) = &kubeconfig {
            super::print(&format!(
                "kubeconfig: {}  (export KUBECONFIG={} to use it with kubectl or backstop)",
                path.display(),
                path.display()
            ))?;
        }
        super::print("Press Ctrl-C to stop.")?;
        // Serving an empty cluster is allowed (a blank training room), but a truncated dump
        // served by mistake must not pass for a cluster without CloudNativePG.
        if sim.info.objects == 0 {
            super::eprint(&format!(
                "backstop: scenario '{name}' is empty: it holds no Kubernetes object, so the cluster served has none"
            ));
        }
        sim.serve(listener, shutdown_signal()).await.map(|_| 0)
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        // If the handler cannot be installed, only SIGTERM stops the server.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
