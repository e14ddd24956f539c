//! `backstop trees list|lint|walk`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};

use super::{ConfigArgs, ConnectArgs};
use crate::assess;
use crate::checks::{self, Reach};
use crate::cluster::connect::{ConnectOptions, connect_bounded};
use crate::config::Settings;
use crate::trees::eval::{Env, GitRepo};
use crate::trees::git::Checkout;
use crate::trees::load::{Tree, parse, render};
use crate::trees::walk::{End, autopilot};

#[derive(Debug, Subcommand)]
pub enum TreesCommand {
    /// The trees that are loaded: built in, and yours from $XDG_CONFIG_HOME/backstop/trees/.
    List,
    /// Validate tree files: YAML, checks and parameters, branches, reachability, cycles.
    Lint {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Walk a tree on autopilot against the cluster (or saved manifests) and print the path.
    Walk(WalkArgs),
}

#[derive(Debug, Args)]
pub struct WalkArgs {
    /// The tree's name (see `backstop trees list`).
    pub tree: String,
    /// Saved manifests instead of a live cluster (anything `backstop check --dump` reads).
    #[arg(long, value_name = "FILE|DIR")]
    pub dump: Option<PathBuf>,
    /// Evaluate as of this instant (RFC3339).
    #[arg(long, value_name = "RFC3339")]
    pub now: Option<String>,
    /// A checkout of the GitOps repository, for the .gitignore checks (default: the config's walker.repo).
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    #[command(flatten)]
    pub config: ConfigArgs,
}

/// The user's trees: beside the default config file, whichever file `--config` names (the
/// trees belong to the user, not to one config file).
pub fn user_dir() -> PathBuf {
    crate::config::default_path().with_file_name("trees")
}

/// Built-in trees, then the user's; a user file that fails lint is reported, not loaded.
pub fn load_all() -> (Vec<Tree>, Vec<String>) {
    let mut trees = crate::trees::builtin();
    let mut problems = Vec::new();
    let dir = user_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|r| {
            r.filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    for f in files {
        let origin = f.display().to_string();
        match crate::files::read_text(&f, crate::files::TREE_LIMIT) {
            Ok(text) => match parse(&origin, &text) {
                Ok(t) if trees.iter().any(|b| b.name == t.name) => problems.push(format!(
                    "{origin}: a tree named '{}' is already loaded",
                    t.name
                )),
                Ok(t) => trees.push(t),
                Err(e) => problems.push(render(&origin, &e)),
            },
            Err(e) => problems.push(format!("{origin}: cannot read: {e}")),
        }
    }
    (trees, problems)
}

pub fn run(
    cmd: TreesCommand,
    connect_args: ConnectArgs,
    config_before: &ConfigArgs,
) -> anyhow::Result<i32> {
    match cmd {
        TreesCommand::List => {
            let (trees, problems) = load_all();
            for t in &trees {
                super::print(&format!(
                    "{:<30} {:<45} {:>2} nodes, {:>2} leaves  {}",
                    t.name,
                    t.title,
                    t.nodes.len(),
                    t.leaves(),
                    t.origin
                ))?;
            }
            for p in &problems {
                super::eprint(p);
            }
            Ok(if problems.is_empty() { 0 } else { 1 })
        }
        TreesCommand::Lint { files } => {
            let mut bad = 0;
            for f in files {
                let origin = f.display().to_string();
                let text = crate::files::read_text(&f, crate::files::TREE_LIMIT)
                    .with_context(|| format!("cannot read {origin}"))?;
                match parse(&origin, &text) {
                    Ok(t) => super::print(&format!(
                        "{origin}: ok: tree {}, {} nodes, {} leaves",
                        t.name,
                        t.nodes.len(),
                        t.leaves()
                    ))?,
                    Err(e) => {
                        bad += 1;
                        super::print(&render(&origin, &e))?;
                    }
                }
            }
            Ok(if bad == 0 { 0 } else { 1 })
        }
        TreesCommand::Walk(mut args) => {
            let config = std::mem::take(&mut args.config).or(config_before);
            walk(args, connect_args, &config)
        }
    }
}

/// Walks with the config's thresholds and GitOps checkout, as the dashboard's walker does.
fn walk(args: WalkArgs, connect_args: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    let settings = Settings::load(config)?;
    for warning in &settings.warnings {
        super::eprint(&format!("backstop: {warning}"));
    }
    let (trees, _) = load_all();
    let names: Vec<&str> = trees.iter().map(|t| t.name.as_str()).collect();
    let tree = trees
        .iter()
        .find(|t| t.name == args.tree)
        .with_context(|| {
            format!(
                "no tree named '{}': the trees are {}",
                args.tree,
                names.join(", ")
            )
        })?;
    let now = super::common::now(args.now.as_deref())?;
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        match &args.dump {
            Some(d) => {
                checks::facts_from_dump(
                    d.to_str().context("the dump path is not UTF-8")?,
                    now,
                    connect_args.namespace.as_deref(),
                )
                .await
            }
            None => {
                let opts = ConnectOptions {
                    kubeconfig: connect_args.kubeconfig,
                    context: connect_args.context,
                    namespace: connect_args.namespace,
                };
                let (client, target) = connect_bounded(&opts)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(checks::collect(
                    &client,
                    target.namespace.as_deref(),
                    Reach {
                        logs: true,
                        network: true,
                        bucket: false,
                        archiver: false,
                    },
                )
                .await)
            }
        }
    });
    // A credential plugin that never returned still holds a thread: do not wait for it.
    runtime.shutdown_background();
    let facts = result?;
    let assessed = assess::assess(&facts, now, &settings.check.thresholds);
    let checkout = args
        .repo
        .or(settings.walker.repo)
        .map(|root| Checkout { root });
    let env = Env {
        facts: &facts,
        assessed: &assessed,
        context: None,
        now,
        git: checkout.as_ref().map(|c| c as &dyn GitRepo),
    };
    let (steps, end) = autopilot(tree, &env);
    let mut out = format!("# {}\n", tree.title);
    for (i, s) in steps.iter().enumerate() {
        let node = tree.node(&s.node);
        out.push_str(&format!(
            "\n{}. {} [{}]\n   check: {}\n   {} → {}\n",
            i + 1,
            node.map(|n| n.title.as_str()).unwrap_or(""),
            s.node,
            node.and_then(|n| n.check.as_ref())
                .map(|c| c.describe())
                .unwrap_or_default(),
            s.answer.verdict.branch(),
            s.answer.summary
        ));
        for e in &s.answer.evidence {
            out.push_str(&format!("   │ {}\n", crate::redact::redact(e)));
        }
    }
    match &end {
        End::Leaf(id) => {
            if let Some(leaf) = tree.node(id).and_then(|n| n.leaf.as_ref()) {
                out.push_str(&format!("\nDiagnosis [{id}]: {}\n", leaf.diagnosis));
                if let Some(code) = &leaf.finding {
                    out.push_str(&format!("Finding: {code}\n"));
                }
                for c in &leaf.remedy.commands {
                    // A remedy line that is a comment explains; it is not a command to run.
                    let prompt = if c.trim_start().starts_with('#') { "  " } else { "  $ " };
                    out.push_str(&format!("{prompt}{c}\n"));
                }
                for r in &leaf.references {
                    out.push_str(&format!("  see: {r}\n"));
                }
            }
        }
        End::Ask(id) => out.push_str(&format!("\nStopped at [{id}]: the evidence does not decide; an engineer must choose the branch.\n")),
    }
    super::print(out.trim_end())?;
    Ok(0)
}
