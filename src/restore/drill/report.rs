//! The drill report, in the change-documentation shape the migration guide asks for
//! (Change Summary, Root Cause, Solution Applied, Validation, Prevention), with the evidence.
//! Every string from the cluster is cleaned and redacted before Markdown sees it.

use super::record::{DrillRecord, Verdict};
use crate::model::kubefmt::{span, ts};
use crate::sanitize::{clean_line, code_fence};

fn md(s: &str) -> String {
    // Cleaned of control characters and credentials; Markdown's own characters in names
    // and messages are escaped so a message cannot restructure the report.
    let s = clean_line(&crate::redact::redact(s)).into_owned();
    s.replace('\\', "\\\\")
        .replace('`', "\\`")
        .replace('*', "\\*")
        .replace('_', "\\_")
        .replace('[', "\\[")
        .replace('<', "&lt;")
}

/// Lines in a code fence none of them can close.
fn fenced(lines: &[String]) -> String {
    let fence = code_fence(lines.iter().map(String::as_str));
    format!("{fence}\n{}\n{fence}", lines.join("\n"))
}

fn cleaned<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    lines
        .into_iter()
        .map(|l| clean_line(&crate::redact::redact(l)).into_owned())
        .collect()
}

pub fn markdown(r: &DrillRecord) -> String {
    let mut o: Vec<String> = Vec::new();
    let (sns, sname) = (md(&r.source.0), md(&r.source.1));
    let result = match &r.verdict {
        Verdict::Passed => "PASSED".to_string(),
        other => format!("FAILED: {}", md(&other.reason())),
    };
    o.push(format!(
        "# Restore drill of Cluster {sns}/{sname}: {result}"
    ));
    o.push(String::new());
    o.push("## Change Summary".into());
    o.push(String::new());
    o.push(format!("- **Date**: {}", r.started.format("%Y-%m-%d")));
    o.push(format!(
        "- **Component**: CloudNativePG restore ({})",
        md(&r.shape)
    ));
    o.push("- **Type**: Validation (restore drill)".into());
    o.push(format!(
        "- **Impact**: Low: a scratch namespace ({}), deleted afterwards; the source Cluster only gains an annotation",
        md(&r.namespace)
    ));
    o.push(format!("- **Target**: {}", md(&r.target)));
    o.push(format!(
        "- **Started**: {}; **finished**: {} ({})",
        ts(r.started),
        ts(r.finished),
        span(r.finished - r.started)
    ));
    o.push(format!(
        "- **RTO** (time to a healthy primary): {}",
        r.rto().map(span).unwrap_or_else(|| "not reached".into())
    ));
    o.push(format!(
        "- **RPO** (newest archived WAL at the start, {}, minus the last replayed transaction, {}): {}",
        r.newest_archived().map(ts).unwrap_or_else(|| "unknown".into()),
        r.restored_to().map(ts).unwrap_or_else(|| "unknown".into()),
        r.rpo().map(span).unwrap_or_else(|| "not measured".into())
    ));
    o.push(String::new());
    o.push("## Root Cause".into());
    o.push(String::new());
    o.push(format!(
        "A backup is only as good as the last restore that worked. This drill restores Cluster {sns}/{sname} from its object store into a scratch namespace and checks the result, so that the recovery window below is proven by a restore, not only by status fields."
    ));
    o.push(String::new());
    if let Some(w) = &r.window {
        o.extend(
            w.describe()
                .iter()
                .map(|l| format!("    {}", clean_line(l))),
        );
        o.push(String::new());
    }
    for w in &r.warnings {
        o.push(format!("- Warning: {}", md(w)));
    }
    o.push("## Solution Applied".into());
    o.push(String::new());
    for (at, what) in &r.steps {
        o.push(format!("1. {} {}", at.format("%H:%M:%S"), md(what)));
    }
    o.push(String::new());
    o.push("The recovery Cluster as applied:".into());
    o.push(String::new());
    o.push(fenced(&cleaned(r.plan_yaml.lines())));
    o.push(String::new());
    o.push("## Validation".into());
    o.push(String::new());
    o.push(format!("- **Result**: {result}"));
    if let Some(c) = &r.course {
        o.push(format!(
            "- **Phase**: {} (ready instances: {})",
            if c.phase.is_empty() {
                "none yet".to_string()
            } else {
                md(&c.phase)
            },
            c.ready
        ));
    }
    o.push(format!(
        "- **Timeline**: {}",
        r.replay
            .timeline
            .map(|t| t.to_string())
            .or_else(|| r
                .course
                .as_ref()
                .and_then(|c| c.timeline)
                .map(|t| t.to_string()))
            .unwrap_or_else(|| "unknown".into())
    ));
    o.push(format!(
        "- **Last replayed transaction**: {}",
        r.replay
            .last_transaction
            .map(ts)
            .unwrap_or_else(|| "not in the log (an idle database replays none)".into())
    ));
    if let Some(stop) = &r.replay.stopped_at {
        o.push(format!("- **Stopped by its target**: {}", md(stop)));
    }
    o.push(format!(
        "- **WAL restored from the archive**: {} segment(s){}",
        r.replay.restored_wal,
        r.replay
            .last_restored
            .as_deref()
            .map(|w| format!(", the last {}", md(w)))
            .unwrap_or_default()
    ));
    match &r.verify {
        Some(Ok(out)) => {
            o.push("- **Verification query**: succeeded".into());
            o.push(String::new());
            o.push(fenced(&cleaned(out.lines().map(str::trim_end))));
        }
        Some(Err(e)) => o.push(format!("- **Verification query**: failed: {}", md(e))),
        None => {}
    }
    for f in &r.findings {
        o.push(format!("- **{}**: {}", f.code, md(&f.summary)));
        if !f.remedy.is_empty() {
            o.push(format!("  - What to do: {}", md(&f.remedy)));
        }
    }
    o.push(format!("- **Teardown**: {}", md(&r.teardown)));
    if !r.log.is_empty() {
        o.push(String::new());
        o.push("The recovery pod's log (the last lines):".into());
        o.push(String::new());
        o.push(fenced(&cleaned(r.log.iter().map(String::as_str))));
    }
    o.push(String::new());
    o.push("## Prevention".into());
    o.push(String::new());
    match &r.verdict {
        Verdict::Passed => o.push(
            "- Run this drill on a schedule (`backstop restore drill` from cron or CI); `backstop check` reports a Cluster whose last passing drill is older than `drill-max-age`."
                .into(),
        ),
        _ => {
            o.push("- Fix the cause above before relying on these backups, then run the drill again.".into());
            if let Some(next) = r.next_step() {
                o.push(format!("- Next: {}", md(&next)));
            }
            o.push(
                "- Walk the restore-failure tree on the next attempt (`backstop trees walk restore-failing`), or keep the scratch namespace for a look with `--keep`."
                    .into(),
            );
        }
    }
    o.push(format!(
        "- The result is recorded on Cluster {sns}/{sname} as the `backstop.dev/last-drill` annotation."
    ));
    o.join("\n") + "\n"
}
