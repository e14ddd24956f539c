//! `backstop` and `backstop demo`: the dashboard on a cluster or on the simulator.

use std::path::PathBuf;

use super::ConnectArgs;
use super::sim::DemoArgs;
use crate::cluster::connect::ConnectOptions;
use crate::config::Settings;
use crate::trees::load::Tree;
use crate::ui::app::Location;
use crate::ui::fleet::run::{Fleet, run as run_fleet};
use crate::ui::run::{Options, Source, run};
use crate::ui::theme::Theme;

/// How the dashboard looks and what it may do, from the command line.
pub struct Look<'a> {
    /// The config file to read.
    pub config: PathBuf,
    /// `--theme` (or BACKSTOP_THEME).
    pub theme: Option<&'a str>,
    /// `--read-only`.
    pub read_only: bool,
}

/// The config file, read once. One that does not parse, names a key backstop does not
/// know or holds a bad value stops the dashboard before the terminal is taken: running
/// with defaults would silently drop a `read_only: true` beside a typo.
fn settings(path: &std::path::Path) -> anyhow::Result<Settings> {
    Settings::load(path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nbackstop did not start: fix the config file, or move it aside to run with the defaults"
        )
    })
}

/// What the dashboard runs with: the settings, the command line over them, the trees. What
/// makes it start degraded (a theme that did not load, tree files left out, the config's
/// warnings) is all said, in the footer's first message.
fn options(
    settings: Settings,
    look: &Look,
    no_color: Option<&str>,
    (trees, tree_problems): (Vec<Tree>, Vec<String>),
) -> Options {
    let requested = look.theme.map(str::to_string).or(settings.dashboard.theme);
    // A theme asked for by name wins over NO_COLOR, as no-color.org asks of command-line
    // options and configuration files.
    let no_color = if requested.is_some() { None } else { no_color };
    let (theme, theme_error) = Theme::resolve(requested.as_deref(), no_color);
    let mut problems: Vec<String> = theme_error
        .map(|e| format!("default theme used: {e}"))
        .into_iter()
        .collect();
    problems.extend(settings.warnings);
    if !tree_problems.is_empty() {
        problems.push(format!(
            "{} tree file(s) not loaded: {} (see `backstop trees list`)",
            tree_problems.len(),
            tree_problems.join("; ")
        ));
    }
    let walker = settings.walker;
    Options {
        theme,
        problems,
        thresholds: settings.check.thresholds,
        silence: settings.check.silence,
        trees,
        git: walker.repo.map(|root| crate::trees::git::Checkout { root }),
        transcripts: walker
            .transcripts
            .unwrap_or_else(|| super::logging::state_dir().join("transcripts")),
        training: false,
        read_only: look.read_only || settings.dashboard.read_only,
        read_only_contexts: settings.dashboard.read_only_contexts,
        actions_log: super::logging::state_dir().join("actions.log"),
        alertmanager: settings.alertmanager.url,
        from_fleet: false,
    }
}

/// The options of this run: the config file, the environment's NO_COLOR, the trees on disk.
fn load(look: &Look) -> anyhow::Result<Options> {
    let settings = settings(&look.config)?;
    let no_color = std::env::var("NO_COLOR").ok();
    Ok(options(
        settings,
        look,
        no_color.as_deref(),
        super::trees::load_all(),
    ))
}

pub fn live(connect: ConnectArgs, look: Look) -> anyhow::Result<i32> {
    if let Some(which) =
        crate::fleet::Which::from_flags(connect.context.as_deref(), connect.all_contexts)
    {
        let opts = crate::fleet::Options {
            kubeconfig: connect.kubeconfig,
            namespace: connect.namespace,
        };
        let names = crate::fleet::names(&which, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
        return fleet_screen(names, opts, look);
    }
    let opts = ConnectOptions {
        kubeconfig: connect.kubeconfig,
        context: connect.context,
        namespace: connect.namespace,
    };
    let options = load(&look)?;
    let rt = super::common::runtime()?;
    let result = rt.block_on(run(Source::Kube(opts), options));
    // Quit while a credential plugin still ran: it must not outlive backstop, and the
    // thread waiting on it must not hold the exit.
    crate::cluster::connect::end_credential_plugins();
    rt.shutdown_background();
    result.map(|_| 0)
}

/// The fleet screen over `names`; each dashboard opened from it reads the config again.
fn fleet_screen(
    names: Vec<String>,
    opts: crate::fleet::Options,
    look: Look,
) -> anyhow::Result<i32> {
    if names.is_empty() {
        anyhow::bail!(
            "the kubeconfig has no contexts: `kubectl config get-contexts` lists them, --context a,b names them"
        );
    }
    let fleet = fleet_of(names, opts, load(&look)?);
    let rt = super::common::runtime()?;
    let result = rt.block_on(run_fleet(fleet, || load(&look)));
    crate::cluster::connect::end_credential_plugins();
    rt.shutdown_background();
    result.map(|_| 0)
}

/// The fleet to show, judged with the config's thresholds and silenced codes.
fn fleet_of(names: Vec<String>, opts: crate::fleet::Options, first: Options) -> Fleet {
    Fleet {
        names,
        opts,
        thresholds: first.thresholds,
        silence: first.silence,
        theme: first.theme,
        problems: first.problems,
    }
}

/// `demo --fleet`: simulated Kubernetes clusters served on loopback in this process, one
/// that never answers, and the fleet screen over them, as over real ones.
fn demo_fleet(namespace: Option<String>, look: Look) -> anyhow::Result<i32> {
    let first = load(&look)?;
    let rt = super::common::runtime()?;
    let result = rt.block_on(async {
        let served = super::sim::start_demo_fleet().await?;
        let names = super::sim::demo_fleet_contexts();
        let opts = crate::fleet::Options {
            kubeconfig: Some(served.kubeconfig.clone()),
            namespace,
        };
        let result = run_fleet(fleet_of(names, opts, first), || load(&look)).await;
        drop(served);
        result
    });
    rt.shutdown_background();
    result.map(|_| 0)
}

/// The simulator runs in-process: the dashboard's client talks to its router directly.
pub fn demo(args: DemoArgs, namespace: Option<String>, look: Look) -> anyhow::Result<i32> {
    if args.fleet {
        return demo_fleet(namespace, look);
    }
    // The config first: a bad one is said before a large scenario is built.
    let mut options = load(&look)?;
    options.training = args.training;
    let sim = args.sim()?;
    let rt = super::common::runtime()?;
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    fn look(theme: Option<&str>) -> Look<'_> {
        Look {
            config: PathBuf::from("/etc/backstop/config.yaml"),
            theme,
            read_only: false,
        }
    }

    fn settings(text: &str) -> Settings {
        Settings::parse(Path::new("/etc/backstop/config.yaml"), text).expect("loads")
    }

    #[test]
    fn everything_that_degrades_the_start_is_said_not_only_the_first() {
        let o = options(
            settings("walker:\n  repo: /nonexistent/gitops\n"),
            &look(Some("no-such-theme")),
            None,
            (
                Vec::new(),
                vec!["a.yaml: bad".into(), "b.yaml: worse".into()],
            ),
        );
        assert_eq!(o.problems.len(), 3, "{:?}", o.problems);
        assert!(o.problems[0].starts_with("default theme used: "));
        assert!(o.problems[1].contains("walker.repo: /nonexistent/gitops is not a folder"));
        assert_eq!(
            o.problems[2],
            "2 tree file(s) not loaded: a.yaml: bad; b.yaml: worse (see `backstop trees list`)"
        );
        let clean = options(settings(""), &look(None), None, (Vec::new(), Vec::new()));
        assert!(clean.problems.is_empty(), "{:?}", clean.problems);
    }

    #[test]
    fn the_flag_beats_the_file_and_the_file_beats_no_color() {
        let file = || settings("theme: light\ncontexts:\n  prod: {read_only: true}\n");
        let theme = |look: &Look, no_color| {
            options(file(), look, no_color, (Vec::new(), Vec::new()))
                .theme
                .name
        };
        assert_eq!(theme(&look(None), Some("1")), "light");
        assert_eq!(
            theme(&look(Some("high-contrast")), Some("1")),
            "high-contrast"
        );
        let plain = options(
            settings(""),
            &look(None),
            Some("1"),
            (Vec::new(), Vec::new()),
        );
        assert_eq!(plain.theme.name, "no-color");

        let o = options(file(), &look(None), None, (Vec::new(), Vec::new()));
        assert_eq!(
            (o.read_only, o.read_only_contexts),
            (false, vec!["prod".to_string()])
        );
        let o = options(
            settings("read_only: true\n"),
            &look(None),
            None,
            (Vec::new(), Vec::new()),
        );
        assert!(o.read_only);
    }
}
