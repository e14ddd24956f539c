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
    /// A built-in scenario name (see `backstop sim list`), a YAML file, a folder of them, or a bundle `backstop report` wrote; repeat it to serve a fleet: one simulated Kubernetes cluster per scenario, each on its own port.
    #[arg(long, default_value = "healthy", value_name = "NAME|FILE|DIR")]
    pub scenario: Vec<String>,
    /// Address to listen on; port 0 picks a free one. A fleet's next clusters take the next ports (each a free one with port 0).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: SocketAddr,
    /// Write a kubeconfig that points at the simulator to this file: with a fleet, one context per cluster (backstop-sim-SCENARIO), the first current.
    #[arg(long, value_name = "FILE")]
    pub write_kubeconfig: Option<PathBuf>,
    /// Add to the kubeconfig a context named NAME whose API server never answers (a loopback port nothing listens on): a site that is down, for fleet drills.
    #[arg(long, value_name = "NAME", requires = "write_kubeconfig")]
    pub unreachable: Vec<String>,
    /// Serve the healthy scenario at scale: N more Backups and N Pods over 50 namespaces,
    /// 100 of each other kind (the benchmark's cluster).
    #[arg(long, value_name = "N", conflicts_with = "scenario")]
    pub scale: Option<usize>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// A built-in scenario name (see `backstop sim list`), a YAML file, a folder of them, or a bundle `backstop report` wrote (a real incident to practise on).
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
    /// A fleet: the fleet screen over three simulated Kubernetes clusters (prod-eu: healthy;
    /// prod-us: a copy of it whose ObjectStore never reached Git, archiving into prod-eu's
    /// buckets; staging: still on the in-tree barmanObjectStore) and one that never answers (dr-ap).
    #[arg(long, conflicts_with_all = ["scenario", "scale", "training"])]
    pub fleet: bool,
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
            if args.scenario.len() > 1 || !args.unreachable.is_empty() {
                if args.scale.is_some() {
                    anyhow::bail!(
                        "--scale serves one cluster: leave out the extra --scenario and --unreachable"
                    );
                }
                let sims = args
                    .scenario
                    .iter()
                    .map(|sc| simulated(sc, None))
                    .collect::<anyhow::Result<Vec<_>>>()?;
                return serve_fleet(sims, args.listen, args.write_kubeconfig, &args.unreachable);
            }
            let scenario = args
                .scenario
                .first()
                .map(String::as_str)
                .unwrap_or("healthy");
            let sim = simulated(scenario, args.scale)?;
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

/// A kubeconfig context name for a scenario: `backstop-sim-` and the name's letters, digits
/// and dashes (a scenario file names itself), made unique with `-2`, `-3`.
pub fn context_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for n in names {
        let clean: String = n
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .take(48)
            .collect();
        let base = format!("backstop-sim-{clean}");
        let mut name = base.clone();
        let mut i = 2;
        while out.contains(&name) {
            name = format!("{base}-{i}");
            i += 1;
        }
        out.push(name);
    }
    out
}

/// A loopback address nothing listens on: the port of a listener just closed.
pub fn unreachable_address() -> anyhow::Result<SocketAddr> {
    let l =
        std::net::TcpListener::bind(("127.0.0.1", 0)).context("finding a closed loopback port")?;
    l.local_addr().context("reading a closed loopback port")
}

/// Binds one listener per simulator: `first` for the first, the next ports after it (or a
/// free one each when its port is 0).
pub async fn bind_fleet(
    count: usize,
    first: SocketAddr,
) -> anyhow::Result<Vec<tokio::net::TcpListener>> {
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        let mut addr = first;
        if first.port() != 0 {
            let port = u16::try_from(usize::from(first.port()) + i)
                .context("the fleet's ports run past 65535: choose a lower --listen port")?;
            addr.set_port(port);
        }
        out.push(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("listening on {addr}"))?,
        );
    }
    Ok(out)
}

fn serve_fleet(
    sims: Vec<std::sync::Arc<Sim>>,
    first: SocketAddr,
    kubeconfig: Option<PathBuf>,
    unreachable: &[String],
) -> anyhow::Result<i32> {
    let runtime = super::common::runtime()?;
    runtime.block_on(async move {
        let listeners = bind_fleet(sims.len(), first).await?;
        let names: Vec<String> = sims.iter().map(|s| s.info.name.clone()).collect();
        let contexts = context_names(&names);
        let mut sites = Vec::new();
        for (context, l) in contexts.iter().zip(&listeners) {
            sites.push((
                context.clone(),
                l.local_addr().context("reading the address listened on")?,
            ));
        }
        let mut down = Vec::new();
        for name in unreachable {
            if sites.iter().any(|(c, _)| c == name) {
                anyhow::bail!(
                    "--unreachable {name}: a simulated cluster already has that context name"
                );
            }
            down.push((name.clone(), unreachable_address()?));
        }
        if let Some(path) = &kubeconfig {
            let all: Vec<(String, SocketAddr)> = sites.iter().chain(&down).cloned().collect();
            crate::files::write_atomically(path, &sim::kubeconfig_many(&all))
                .with_context(|| format!("writing the kubeconfig {}", path.display()))?;
        }
        super::print(&format!(
            "backstop simulator: a fleet of {} simulated Kubernetes clusters",
            sims.len()
        ))?;
        for ((context, addr), s) in sites.iter().zip(&sims) {
            super::print(&format!(
                "  context {context}: scenario '{}' ({} objects) on http://{addr}",
                s.info.name,
                s.store.count()
            ))?;
        }
        for (context, addr) in &down {
            super::print(&format!(
                "  context {context}: unreachable (http://{addr}: nothing listens)"
            ))?;
        }
        if let Some(path) = &kubeconfig {
            super::print(&format!(
                "kubeconfig: {}  (backstop --kubeconfig {} --all-contexts check)",
                path.display(),
                path.display()
            ))?;
        }
        super::print("Press Ctrl-C to stop.")?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = tokio::task::JoinSet::new();
        for (s, l) in sims.into_iter().zip(listeners) {
            let mut stop = stop_rx.clone();
            tasks.spawn(s.serve(l, async move {
                let _ = stop.changed().await;
            }));
        }
        shutdown_signal().await;
        let _ = stop_tx.send(true);
        while let Some(done) = tasks.join_next().await {
            done.context("a simulated cluster's server stopped")??;
        }
        Ok(0)
    })
}

/// `demo --fleet`'s Kubernetes clusters: (context, scenario).
pub const DEMO_FLEET: &[(&str, &str)] = &[
    ("prod-eu", "healthy"),
    ("prod-us", "gitignore-trap"),
    ("staging", "legacy-fleet"),
];
/// `demo --fleet`'s site that never answers.
pub const DEMO_DOWN: &str = "dr-ap";

/// `demo --fleet`'s contexts, in their order: the simulated ones, then the one that is down.
pub fn demo_fleet_contexts() -> Vec<String> {
    DEMO_FLEET
        .iter()
        .map(|(context, _)| context.to_string())
        .chain([DEMO_DOWN.to_string()])
        .collect()
}

/// A fleet of simulators served in this process on loopback, behind a kubeconfig file of
/// its own (one context each, and one that never answers), so the fleet screen reads it as
/// it reads real clusters. Stopped, and the file removed, when dropped.
pub struct InProcessFleet {
    pub kubeconfig: PathBuf,
    stop: tokio::sync::watch::Sender<bool>,
}

impl Drop for InProcessFleet {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        let _ = std::fs::remove_file(&self.kubeconfig);
    }
}

/// Starts `DEMO_FLEET` on the current runtime.
pub async fn start_demo_fleet() -> anyhow::Result<InProcessFleet> {
    let listeners = bind_fleet(DEMO_FLEET.len(), ([127, 0, 0, 1], 0).into()).await?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let mut sites = Vec::new();
    for ((context, scenario), listener) in DEMO_FLEET.iter().zip(listeners) {
        let sim = simulated(scenario, None)?;
        sites.push((
            context.to_string(),
            listener
                .local_addr()
                .context("reading the address listened on")?,
        ));
        let mut stop = stop_rx.clone();
        tokio::spawn(sim.serve(listener, async move {
            let _ = stop.changed().await;
        }));
    }
    sites.push((DEMO_DOWN.to_string(), unreachable_address()?));
    let kubeconfig = std::env::temp_dir().join(format!(
        "backstop-demo-fleet-{}.kubeconfig",
        std::process::id()
    ));
    crate::files::write_atomically(&kubeconfig, &sim::kubeconfig_many(&sites)).with_context(
        || {
            format!(
                "writing the demo fleet's kubeconfig {}",
                kubeconfig.display()
            )
        },
    )?;
    Ok(InProcessFleet { kubeconfig, stop })
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
