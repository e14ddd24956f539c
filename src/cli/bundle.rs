//! `backstop report`: an incident bundle of the current context, with progress on stderr;
//! `backstop report anonymize`: the same bundle with every name, namespace, bucket and host
//! rewritten, its check run again on what is left so the report cannot quote an original.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};

use super::ConnectArgs;
use crate::bundle::{Progress, Source, logs::Bounds, take};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ReportCommand {
    #[command(subcommand)]
    pub action: Option<ReportAction>,
    #[command(flatten)]
    pub take: TakeArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportAction {
    /// Rewrite a bundle's names, namespaces, buckets and hosts consistently, to share it.
    Anonymize {
        /// The bundle `backstop report` wrote.
        #[arg(value_name = "BUNDLE.tar.gz")]
        input: PathBuf,
        /// Where to write the anonymized bundle (default: INPUT with `-anonymized`).
        #[arg(short, long, value_name = "FILE.tar.gz")]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct TakeArgs {
    /// Where to write the bundle (default: backstop-CONTEXT-TIME.tar.gz here).
    #[arg(short, long, value_name = "FILE.tar.gz")]
    pub output: Option<PathBuf>,
    /// Only the logs of the last DURATION (e.g. 2h, 30m); default: the last --log-lines lines.
    #[arg(long, value_name = "DURATION")]
    pub since: Option<String>,
    /// Lines from the end of each log, at most.
    #[arg(long, value_name = "N", default_value_t = 2000)]
    pub log_lines: i64,
    #[command(flatten)]
    pub config: super::ConfigArgs,
}

pub fn run(cmd: ReportCommand, connect: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    match cmd.action {
        Some(ReportAction::Anonymize { input, output }) => anonymize(&input, output, config),
        None => take(cmd.take, connect, config),
    }
}

/// Counters on stderr: rewritten in place on a terminal, a line per stage elsewhere.
struct Counters {
    tty: bool,
    last_stage: &'static str,
}

impl Counters {
    fn new() -> Counters {
        Counters {
            tty: std::io::stderr().is_terminal(),
            last_stage: "",
        }
    }

    fn show(&mut self, p: &Progress) {
        let (stage, line) = match p {
            Progress::Objects { kind, so_far } => {
                ("objects", format!("objects: {so_far} {kind} written"))
            }
            Progress::Logs { done, of } => ("logs", format!("logs: {done} of {of} read")),
            Progress::Checking => (
                "checking",
                "reading the cluster and running the checks…".to_string(),
            ),
            Progress::Finishing => ("finishing", "finishing the archive…".to_string()),
        };
        if self.tty {
            super::eprint_in_place(&line);
        } else if stage != self.last_stage {
            super::eprint(&format!("backstop report: {line}"));
        }
        self.last_stage = stage;
    }

    fn done(&self) {
        if self.tty {
            super::eprint_in_place("");
        }
    }
}

fn take(args: TakeArgs, connect: ConnectArgs, config: &Path) -> anyhow::Result<i32> {
    let all = crate::config::Settings::load(config)?;
    let transcripts = all
        .walker
        .transcripts
        .clone()
        .unwrap_or_else(|| super::logging::state_dir().join("transcripts"));
    let settings = all.check;
    let since_seconds = args
        .since
        .as_deref()
        .map(|s| {
            crate::model::kubefmt::parse_duration(s)
                .map(|d| d.as_secs() as i64)
                .map_err(|e| anyhow::anyhow!("--since '{s}': {e} (e.g. 2h, 30m)"))
        })
        .transpose()?;
    if args.log_lines < 1 {
        anyhow::bail!("--log-lines must be at least 1");
    }
    let bounds = Bounds {
        lines: args.log_lines,
        since_seconds,
        ..Bounds::default()
    };
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        let (client, target) = super::common::connect_target(&connect).await?;
        let out = args
            .output
            .clone()
            .unwrap_or_else(|| take::default_output(Path::new("."), &target.context, Utc::now()));
        let t = take::Take {
            source: Source {
                context: target.context.clone(),
                server: target.server.clone(),
                namespace: target.namespace.clone(),
            },
            thresholds: settings.thresholds.clone(),
            silence: settings.silence.clone(),
            bounds,
            transcript: last_transcript(&transcripts),
            out: out.clone(),
        };
        let mut counters = Counters::new();
        let manifest = take::take(&client, &t, |p| counters.show(&p))
            .await
            .with_context(|| {
                format!(
                    "writing the bundle {}: nothing was left there",
                    out.display()
                )
            });
        counters.done();
        anyhow::Ok((out, manifest?))
    });
    runtime.shutdown_background();
    let (out, manifest) = result?;
    let objects: usize = manifest.objects.values().sum();
    let mut said = format!(
        "backstop report: {} written: {objects} objects of {} kinds, {} logs",
        out.display(),
        manifest.objects.len(),
        manifest.logs.len()
    );
    if !manifest.not_installed.is_empty() {
        said.push_str(&format!(
            "\n  not installed here: {}",
            manifest.not_installed.join(", ")
        ));
    }
    for u in &manifest.unread {
        said.push_str(&format!("\n  not read: {}: {}", u.what, u.why));
    }
    for c in &manifest.cut {
        said.push_str(&format!("\n  cut: {c}"));
    }
    super::eprint(&said);
    Ok(0)
}

/// How old the last walk's transcript may be to go into a bundle: older, it is another
/// incident's.
const TRANSCRIPT_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The newest walk transcript in `dir`, written in the last day, if any.
fn last_transcript(dir: &Path) -> Option<String> {
    let newest = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "md"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .filter(|(at, _)| at.elapsed().is_ok_and(|age| age < TRANSCRIPT_AGE))
        .max_by_key(|(at, _)| *at)?
        .1;
    match crate::files::read_text(&newest, crate::files::MANIFEST_LIMIT) {
        // Redacted and cleaned, not cut: the file limit bounds it.
        Ok(text) => Some(crate::sanitize::clean(&crate::redact::redact(&text)).into_owned()),
        Err(e) => {
            tracing::warn!(path = %newest.display(), error = %e, "the last transcript is not in the bundle");
            None
        }
    }
}

/// Reads a bundle, rewrites it (`bundle::anonymize`), runs the check again on the rewritten
/// objects (so the report holds only pseudonyms) and writes the result whole or not at all.
fn anonymize(input: &Path, output: Option<PathBuf>, config: &Path) -> anyhow::Result<i32> {
    let settings = crate::config::Settings::load(config)?.check;
    let out = output.unwrap_or_else(|| anonymized_name(input));
    if out == input {
        anyhow::bail!(
            "the anonymized bundle would replace {}: give another -o",
            input.display()
        );
    }
    let entries = crate::archive::read_tar_gz(input, crate::archive::READ_LIMITS)?;
    if !entries.iter().any(|(n, _)| n == "manifest.json") {
        anyhow::bail!(
            "{} has no manifest.json: it is not a bundle `backstop report` wrote",
            input.display()
        );
    }
    let done = crate::bundle::anonymize::anonymize(&entries)
        .with_context(|| format!("anonymizing {}", input.display()))?;
    drop(entries);

    // The rewritten objects, checked as a bundle is: through a file beside the output.
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let scratch = dir.join(format!(".backstop-anonymize-{}.tar.gz", std::process::id()));
    let write = |path: &Path, extra: &[(&str, &[u8])]| -> anyhow::Result<()> {
        let mut tar = crate::archive::TarGzWriter::create(path, 0)?;
        for (name, bytes) in &done.entries {
            tar.add(name, bytes)?;
        }
        for (name, bytes) in extra {
            tar.add(name, bytes)?;
        }
        tar.finish()?;
        Ok(())
    };
    write(&scratch, &[])?;
    let now = Utc::now();
    let checked = (|| {
        let spec = scratch.to_str().context("the scratch path is not UTF-8")?;
        let runtime = super::common::runtime()?;
        let facts = runtime.block_on(crate::checks::facts_from_dump(spec, now, None))?;
        runtime.shutdown_background();
        anyhow::Ok(take::check(
            &facts,
            "anonymized bundle",
            now,
            &settings.thresholds,
            &settings.silence,
            Some("saved manifests: no network probes".into()),
        ))
    })();
    let _ = std::fs::remove_file(&scratch);
    let (report, _) = checked.context("checking the anonymized objects")?;
    write(
        &out,
        &[
            ("check.json", report.json().as_bytes()),
            ("check.md", report.markdown().as_bytes()),
        ],
    )
    .with_context(|| format!("writing {}: nothing was left there", out.display()))?;
    let replaced: Vec<String> = done
        .replaced
        .iter()
        .map(|(what, n)| format!("{n} {what}"))
        .collect();
    super::eprint(&format!(
        "backstop report: {} written: replaced {}",
        out.display(),
        if replaced.is_empty() {
            "nothing".to_string()
        } else {
            replaced.join(", ")
        }
    ));
    Ok(0)
}

/// `incident.tar.gz` -> `incident-anonymized.tar.gz`, beside it.
fn anonymized_name(input: &Path) -> PathBuf {
    let name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("bundle.tar.gz");
    let stem = name
        .strip_suffix(".tar.gz")
        .or_else(|| name.strip_suffix(".tgz"))
        .unwrap_or(name);
    input.with_file_name(format!("{stem}-anonymized.tar.gz"))
}
