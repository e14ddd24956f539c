//! `backstop gitops lint PATH`: the guide's lesson 1 and 4 as a command, reported the way
//! `backstop check` reports, with its exit codes.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

use super::check::Format;
use crate::assess::{Outcome, Severity};
use crate::checks::report::{Report, Title};
use crate::gitops::Repo;

#[derive(Debug, Subcommand)]
pub enum GitopsCommand {
    /// Lint a GitOps checkout: files Flux needs that Git leaves out (.gitignore, untracked), broad ignore patterns, missing paths, and the operator → plugin → backup dependsOn, health checks and timeouts.
    Lint(LintArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, ValueEnum)]
pub enum MinSeverity {
    Info,
    Warning,
    Critical,
}

#[derive(Debug, Args)]
#[command(after_long_help = concat!(
    "Exit codes: 0 ok, 1 warning, 2 critical, 3 unknown (PATH is not a git checkout, or git ",
    "could not be run).\n\n",
    "Git decides what is ignored (git check-ignore), so nested .gitignore files, ",
    ".git/info/exclude and core.excludesFile count as they do for a commit. Every Flux ",
    "Kustomization whose sourceRef is a GitRepository is taken to read this checkout."
))]
pub struct LintArgs {
    /// The checkout (any directory inside it).
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Output: text for a terminal, JSON (the report contract of `backstop check`), Markdown for a ticket.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// The lowest severity to report.
    #[arg(long, value_enum, default_value = "info")]
    pub min_severity: MinSeverity,
}

pub fn run(cmd: GitopsCommand) -> anyhow::Result<i32> {
    match cmd {
        GitopsCommand::Lint(args) => lint(args),
    }
}

fn lint(args: LintArgs) -> anyhow::Result<i32> {
    let now = chrono::Utc::now();
    let (outcome, source, notes) = match Repo::open(&args.path) {
        Ok(repo) => {
            let mut notes = repo.index().notes.clone();
            let n = repo.index().fluxes.len();
            notes.insert(
                0,
                format!(
                    "{} YAML documents, {n} Flux Kustomization(s), {} kustomization file(s)",
                    repo.index().docs.len(),
                    repo.index().kustomize.len()
                ),
            );
            (repo.lint(), repo.root().display().to_string(), notes)
        }
        Err(e) => {
            let mut o = Outcome::default();
            o.unknown("gitops", e.to_string());
            (o, args.path.display().to_string(), vec![])
        }
    };
    let mut outcome = outcome;
    let floor = match args.min_severity {
        MinSeverity::Info => Severity::Info,
        MinSeverity::Warning => Severity::Warning,
        MinSeverity::Critical => Severity::Critical,
    };
    outcome.findings.retain(|f| f.severity >= floor);
    let report = Report::new(outcome, source, now, notes).titled(Title::GitopsLint);
    let text = report.render(args.format);
    super::print_raw(text.trim_end())?;
    Ok(report.status.exit_code())
}
