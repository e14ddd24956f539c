//! Taking a bundle, as `backstop report` and the dashboard's `B` both do: the cluster read
//! and checked as `backstop check` reads and checks it, the report rendered as it prints
//! it, then everything written.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::{Manifest, Progress, Rendered, Source, logs::Bounds};
use crate::assess::{self, Thresholds};
use crate::checks;
use crate::checks::report::Report;

/// What to take, and how the check judges.
#[derive(Debug, Clone)]
pub struct Take {
    pub source: Source,
    pub thresholds: Thresholds,
    pub silence: Vec<String>,
    pub bounds: Bounds,
    /// The walk's transcript, when the dashboard has one.
    pub transcript: Option<String>,
    pub out: PathBuf,
}

/// Reads, checks and writes the bundle; what its manifest says.
pub async fn take(
    client: &kube::Client,
    t: &Take,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Manifest> {
    progress(Progress::Checking);
    let now = Utc::now();
    let read = checks::site::read(
        client,
        &t.source.server,
        t.source.namespace.as_deref(),
        true,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}: no bundle was written"))?;
    let rendered = render(&read.facts, t, now, read.simulated)?;
    super::write(
        client,
        &t.source,
        now,
        &read.facts,
        rendered,
        t.bounds,
        &t.out,
        progress,
    )
    .await
}

/// The check of the facts, as `backstop check` reports it, and the ground truth.
fn render(
    facts: &crate::model::facts::Facts,
    t: &Take,
    now: DateTime<Utc>,
    simulated: bool,
) -> anyhow::Result<Rendered> {
    let note = simulated
        .then(|| "a simulated cluster: endpoints are fictional, network probes skipped".into());
    let (report, expect) = check(
        facts,
        &t.source.context,
        now,
        &t.thresholds,
        &t.silence,
        note,
    );
    Ok(Rendered {
        check_json: report.json(),
        check_md: report.markdown(),
        ground_json: super::scenario::ground(facts)?,
        transcript: t.transcript.clone(),
        expect,
    })
}

/// The check's report on `facts` (the silenced codes left out), and its codes, sorted.
pub fn check(
    facts: &crate::model::facts::Facts,
    source: &str,
    now: DateTime<Utc>,
    thresholds: &Thresholds,
    silence: &[String],
    note: Option<String>,
) -> (Report, Vec<String>) {
    let mut outcome = assess::assess(facts, now, thresholds);
    outcome
        .findings
        .retain(|f| !silence.iter().any(|s| s == f.code));
    let mut expect: Vec<String> = outcome
        .findings
        .iter()
        .map(|f| f.code.to_string())
        .collect();
    expect.sort();
    expect.dedup();
    let mut notes: Vec<String> = note.into_iter().collect();
    notes.extend(checks::malformed(facts));
    let report = Report::new(outcome, source.to_string(), now, notes)
        .with_stores(assess::bucket::windows(facts))
        .with_drills(assess::restore::drill_reports(facts, now));
    (report, expect)
}

/// `backstop-CONTEXT-TIME.tar.gz` in `dir`, the context reduced to what a file name holds.
pub fn default_output(dir: &Path, context: &str, now: DateTime<Utc>) -> PathBuf {
    let safe: String = context
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    dir.join(format!(
        "backstop-{safe}-{}.tar.gz",
        now.format("%Y%m%dT%H%M%SZ")
    ))
}
