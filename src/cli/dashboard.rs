//! `backstop` and `backstop demo`: the dashboard on a cluster or on the simulator.

use std::path::PathBuf;

use anyhow::Context;

use super::ConnectArgs;
use super::sim::DemoArgs;
use crate::cluster::connect::ConnectOptions;
use crate::ui::app::Location;
use crate::ui::run::{Options, Source, run};
use crate::ui::theme::Theme;

/// What the dashboard runs with. A config file that does not parse, or names a key
/// backstop does not know, stops it before the terminal is taken: running with defaults
/// would silently drop a `read_only: true` beside a typo.
fn options(theme: Option<&str>, read_only: bool) -> anyhow::Result<Options> {
    let config_path = super::config::default_path();
    let (thresholds, silence) = super::check::from_config(&config_path)
        .map_err(|e| anyhow::anyhow!("{e:#}\nbackstop did not start: fix the config file, or move it aside to run with the defaults"))?;
    let config = super::config::load(&config_path)?;
    // An explicit --theme wins over NO_COLOR, as no-color.org asks of command-line options.
    let no_color = if theme.is_some() {
        None
    } else {
        std::env::var("NO_COLOR").ok()
    };
    let (theme, error) = Theme::resolve(theme, no_color.as_deref());
    let walker = config.walker;
    let resolve = |p: PathBuf| super::config::WalkerConfig::resolve(&p, &config_path);
    let (trees, problems) = super::trees::load_all();
    let tree_error = (!problems.is_empty()).then(|| {
        format!(
            "{} tree file(s) not loaded: {} (see `backstop trees list`)",
            problems.len(),
            problems.join("; ")
        )
    });
    Ok(Options {
        theme,
        problems: error
            .map(|e| format!("default theme used: {e}"))
            .into_iter()
            .chain(tree_error)
            .collect(),
        thresholds,
        silence,
        trees,
        git: walker.repo.map(|root| crate::trees::git::Checkout {
            root: resolve(root),
        }),
        transcripts: walker
            .transcripts
            .map(resolve)
            .unwrap_or_else(|| super::logging::state_dir().join("transcripts")),
        training: false,
        read_only: read_only || config.read_only,
        read_only_contexts: config
            .contexts
            .iter()
            .filter(|(_, c)| c.read_only)
            .map(|(name, _)| name.clone())
            .collect(),
        actions_log: super::logging::state_dir().join("actions.log"),
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

pub fn live(connect: ConnectArgs, theme: Option<&str>, read_only: bool) -> anyhow::Result<i32> {
    let opts = ConnectOptions {
        kubeconfig: connect.kubeconfig,
        context: connect.context,
        namespace: connect.namespace,
    };
    let options = options(theme, read_only)?;
    let rt = runtime()?;
    let result = rt.block_on(run(Source::Kube(opts), options));
    // Quit while a credential plugin still ran: it must not outlive backstop, and the
    // thread waiting on it must not hold the exit.
    crate::cluster::connect::end_credential_plugins();
    rt.shutdown_background();
    result.map(|_| 0)
}

/// The simulator runs in-process: the dashboard's client talks to its router directly.
pub fn demo(
    args: DemoArgs,
    namespace: Option<String>,
    theme: Option<&str>,
    read_only: bool,
) -> anyhow::Result<i32> {
    let sim = args.sim()?;
    let mut options = options(theme, read_only)?;
    options.training = args.training;
    let rt = runtime()?;
    rt.block_on(async move {
        let timeline = sim.start_timeline();
        let client = kube::Client::new(sim.router(), "default");
        let location = Location {
            context: format!("demo: {}", sim.info.name),
            server: "the built-in simulated cluster".into(),
            namespace,
            demo: true,
        };
        let result = run(Source::Client { client, location }, options).await;
        timeline.abort();
        result
    })?;
    Ok(0)
}
