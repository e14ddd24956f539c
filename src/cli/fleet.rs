//! `backstop check --context a,b,c` and `--all-contexts`: every Kubernetes cluster read and
//! judged as `check` judges one, the findings across them (FLE) added, one report with a
//! section per context (worst first) and one exit code.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::assess::Status;
use crate::checks::report::Report;
use crate::checks::report::{FailOn, Format};
use crate::fleet::{self, Judged, Which};
use crate::sanitize::{clean_line, untrusted};

/// What the fleet check prints, in JSON: the fleet's status, then each context with its
/// own report (the single-cluster contract) or why it could not be read.
#[derive(Serialize)]
struct FleetJson<'a> {
    status: &'static str,
    generated_at: String,
    contexts: Vec<ContextJson<'a>>,
}

#[derive(Serialize)]
struct ContextJson<'a> {
    context: &'a str,
    server: &'a str,
    reachable: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    report: &'a Report,
}

/// Reads and judges the fleet; the exit code.
pub fn run(
    which: Which,
    opts: fleet::Options,
    now: DateTime<Utc>,
    settings: crate::config::CheckSettings,
    format: Format,
    fail_on: FailOn,
) -> anyhow::Result<i32> {
    let names = fleet::names(&which, &opts).map_err(|e| anyhow::anyhow!("{e}"))?;
    if names.is_empty() {
        anyhow::bail!(
            "the kubeconfig has no contexts: `kubectl config get-contexts` lists them, --context a,b names them"
        );
    }
    let runtime = super::common::runtime()?;
    let reads = runtime.block_on(fleet::read_all(&names, &opts));
    // A credential plugin that never returned still holds a thread: do not wait for it.
    runtime.shutdown_background();
    let sites = fleet::judge(reads, now, &settings.thresholds, &settings.silence);
    let status = fleet::status(&sites);
    let reports: Vec<Report> = sites
        .iter()
        .map(|s| {
            Report::new(s.outcome.clone(), s.context.clone(), now, s.notes.clone())
                .with_stores(s.windows.clone())
                .with_drills(s.drills.clone())
        })
        .collect();
    let text = match format {
        Format::Json => json(&sites, &reports, status, now),
        Format::Markdown => markdown(&sites, &reports, status, now),
        Format::Text => text(
            &sites,
            &reports,
            status,
            now,
            crate::checks::report::colour(),
        ),
    };
    super::print_raw(text.trim_end())?;
    Ok(match (status, fail_on) {
        (Status::Warning, FailOn::Critical) => 0,
        (s, _) => s.exit_code(),
    })
}

fn json(sites: &[Judged], reports: &[Report], status: Status, now: DateTime<Utc>) -> String {
    let doc = FleetJson {
        status: status.as_str(),
        generated_at: now.to_rfc3339_opts(SecondsFormat::Secs, true),
        contexts: sites
            .iter()
            .zip(reports)
            .map(|(s, report)| ContextJson {
                context: &s.context,
                server: &s.server,
                reachable: s.unreachable.is_none(),
                error: s.unreachable.as_deref(),
                report,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"status\":\"unknown\",\"error\":\"{e}\"}}"))
}

/// One line per context: its status, its name (padded to `width`), then `detail`.
fn summary_line(s: &Judged, width: usize) -> String {
    format!(
        "{:<8}  {:<width$}  {}",
        s.status.as_str().to_uppercase(),
        s.context,
        s.summary()
    )
}

fn text(
    sites: &[Judged],
    reports: &[Report],
    status: Status,
    now: DateTime<Utc>,
    colour: bool,
) -> String {
    let bold = |s: &str| {
        if colour {
            format!("\x1b[1m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    };
    let mut out = format!(
        "backstop check · fleet of {} contexts · {}\nstatus: {}\n\n",
        sites.len(),
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        status.as_str().to_uppercase()
    );
    let width = sites
        .iter()
        .map(|s| s.context.chars().count())
        .max()
        .unwrap_or(0)
        .min(40);
    for s in sites {
        out.push_str(&format!(
            "  {}\n",
            untrusted(&clean_line(&summary_line(s, width)))
        ));
    }
    for r in reports {
        out.push_str(&format!("\n{}\n", bold(&"─".repeat(72))));
        out.push_str(&r.text(colour));
    }
    out
}

fn markdown(sites: &[Judged], reports: &[Report], status: Status, now: DateTime<Utc>) -> String {
    let cell = |s: &str| clean_line(s).replace('|', "\\|");
    let mut out = format!(
        "# Fleet backup health check: {}\n\n- **Generated**: {}\n- **Contexts**: {}\n\n| Status | Context | Summary |\n|---|---|---|\n",
        status.as_str().to_uppercase(),
        now.to_rfc3339_opts(SecondsFormat::Secs, true),
        sites.len()
    );
    for s in sites {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            s.status.as_str(),
            cell(&s.context),
            cell(&untrusted(&s.summary()))
        ));
    }
    for r in reports {
        // Each context's report one heading level down.
        let body = r.markdown().replace("\n#", "\n##");
        out.push_str(&format!("\n#{body}\n"));
    }
    crate::sanitize::clean(&out).into_owned()
}
