//! The health report in three shapes: text for a terminal, JSON per the contract of
//! FINDINGS.md, Markdown for a daily report or a ticket.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::assess::catalog::area;
use crate::assess::{Finding, Outcome, Severity, Status, Unknown};

/// What `backstop check` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub generated_at: String,
    /// The context name, or the dump file.
    pub source: String,
    pub findings: Vec<Finding>,
    pub unknown: Vec<Unknown>,
    /// Said in text and Markdown, not part of the JSON contract.
    #[serde(skip)]
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(outcome: Outcome, source: String, at: DateTime<Utc>, notes: Vec<String>) -> Report {
        Report {
            status: Status::of(&outcome),
            generated_at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            source,
            findings: outcome.findings,
            unknown: outcome.unknown,
            notes,
        }
    }

    fn counts(&self) -> BTreeMap<Severity, usize> {
        let mut m = BTreeMap::new();
        for f in &self.findings {
            *m.entry(f.severity).or_insert(0) += 1;
        }
        m
    }

    fn count_line(&self) -> String {
        let c = self.counts();
        let part = |s: Severity| format!("{} {}", c.get(&s).copied().unwrap_or(0), s.as_str());
        format!(
            "{}, {}, {}",
            part(Severity::Critical),
            part(Severity::Warning),
            part(Severity::Info)
        )
    }

    /// Findings by area, areas in the catalog's order, worst first within each.
    fn by_area(&self) -> Vec<(&'static str, Vec<&Finding>)> {
        let mut areas: Vec<(&'static str, Vec<&Finding>)> = Vec::new();
        for title in [
            "Plugin and operator",
            "GitOps delivery",
            "ObjectStores and credentials",
            "Backups and WAL archiving",
        ] {
            let mut list: Vec<&Finding> = self
                .findings
                .iter()
                .filter(|f| area(f.code).1 == title)
                .collect();
            list.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then(a.code.cmp(b.code))
                    .then(a.object.cmp(&b.object))
            });
            if !list.is_empty() {
                areas.push((title, list));
            }
        }
        areas
    }

    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"status\":\"unknown\",\"error\":\"{e}\"}}"))
    }

    pub fn text(&self, colour: bool) -> String {
        let paint = |s: &str, code: &str| {
            if colour {
                format!("\x1b[{code}m{s}\x1b[0m")
            } else {
                s.to_string()
            }
        };
        let sev = |s: Severity| match s {
            Severity::Critical => paint("✖ critical", "1;31"),
            Severity::Warning => paint("▲ warning ", "33"),
            Severity::Info => paint("· info    ", "36"),
        };
        let status = match self.status {
            Status::Ok => paint("OK", "1;32"),
            Status::Warning => paint("WARNING", "1;33"),
            Status::Critical => paint("CRITICAL", "1;31"),
            Status::Unknown => paint("UNKNOWN", "1;35"),
        };
        let mut out = format!(
            "backstop check · {} · {}\nstatus: {status} ({})\n",
            self.source,
            self.generated_at,
            self.count_line()
        );
        for note in &self.notes {
            out.push_str(&format!("note: {note}\n"));
        }
        for (title, list) in self.by_area() {
            out.push_str(&format!("\n{}\n", paint(title, "1")));
            for f in list {
                let o = &f.object;
                let what = if o.namespace.is_empty() {
                    format!("{} {}", o.kind, o.name)
                } else {
                    format!("{} {}/{}", o.kind, o.namespace, o.name)
                };
                out.push_str(&format!(
                    "  {} {}  {what}\n      {}\n",
                    sev(f.severity),
                    paint(f.code, "1"),
                    f.summary
                ));
                for e in &f.evidence {
                    out.push_str(&format!("      │ {e}\n"));
                }
                if !f.remedy.is_empty() {
                    out.push_str(&format!("      → {}\n", f.remedy));
                }
            }
        }
        if !self.unknown.is_empty() {
            out.push_str(&format!("\n{}\n", paint("Could not check", "1")));
            for u in &self.unknown {
                out.push_str(&format!("  ? {}: {}\n", u.area, u.reason));
            }
        }
        if self.findings.is_empty() && self.unknown.is_empty() {
            out.push_str("\nNothing to report: every rule passed.\n");
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "# Backup health check: {}\n\n- **Source**: {}\n- **Generated**: {}\n- **Findings**: {}\n",
            self.status.as_str().to_uppercase(),
            self.source,
            self.generated_at,
            self.count_line()
        );
        for note in &self.notes {
            out.push_str(&format!("- **Note**: {note}\n"));
        }
        if !self.findings.is_empty() {
            out.push_str("\n| Severity | Code | Object | Summary |\n|---|---|---|---|\n");
            for (_, list) in self.by_area() {
                for f in list {
                    let o = &f.object;
                    let what = if o.namespace.is_empty() {
                        format!("{} {}", o.kind, o.name)
                    } else {
                        format!("{} {}/{}", o.kind, o.namespace, o.name)
                    };
                    out.push_str(&format!(
                        "| {} | {} | `{what}` | {} |\n",
                        f.severity.as_str(),
                        f.code,
                        f.summary.replace('|', "\\|")
                    ));
                }
            }
        }
        for (title, list) in self.by_area() {
            out.push_str(&format!("\n## {title}\n"));
            for f in list {
                let o = &f.object;
                let what = if o.namespace.is_empty() {
                    format!("{} {}", o.kind, o.name)
                } else {
                    format!("{} {}/{}", o.kind, o.namespace, o.name)
                };
                out.push_str(&format!(
                    "\n### {} · {} · `{what}`\n\n{}\n",
                    f.code,
                    f.severity.as_str(),
                    f.summary
                ));
                if !f.evidence.is_empty() {
                    out.push_str("\nEvidence:\n\n```text\n");
                    for e in &f.evidence {
                        out.push_str(e);
                        out.push('\n');
                    }
                    out.push_str("```\n");
                }
                if !f.remedy.is_empty() {
                    out.push_str(&format!("\nRemedy:\n\n```sh\n{}\n```\n", f.remedy));
                }
            }
        }
        if !self.unknown.is_empty() {
            out.push_str("\n## Could not check\n\n");
            for u in &self.unknown {
                out.push_str(&format!("- **{}**: {}\n", u.area, u.reason));
            }
        }
        if self.findings.is_empty() && self.unknown.is_empty() {
            out.push_str("\nEvery rule passed.\n");
        }
        out
    }
}
