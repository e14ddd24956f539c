//! The health report in three shapes: text for a terminal, JSON per the contract of
//! FINDINGS.md, Markdown for a daily report or a ticket.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::assess::bucket::WindowReport;
use crate::assess::catalog::{AREAS, area};
use crate::assess::restore::DrillReport;
use crate::assess::{Finding, Outcome, Severity, Status, Unknown};
use crate::sanitize::{self, clean_line, untrusted};

/// The shape a report is printed in: text for a terminal, JSON (the contract of
/// FINDINGS.md), Markdown for a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Text,
    Json,
    Markdown,
}

/// The lowest severity that makes the exit code non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailOn {
    Warning,
    Critical,
}

/// Whether standard output takes colours: a terminal, with NO_COLOR unset or empty.
pub fn colour() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// What `backstop check` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub status: Status,
    pub generated_at: String,
    /// The context name, or the dump file.
    pub source: String,
    pub findings: Vec<Finding>,
    pub unknown: Vec<Unknown>,
    /// Each object store read: the proven recovery window beside the status field's claim.
    /// Present only when a store was read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<WindowReport>,
    /// Each Cluster that backs up, with the age and result of its last restore drill.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drills: Vec<DrillReport>,
    /// What Alertmanager says is firing, when one is configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alertmanager: Option<Firing>,
    /// Said in text and Markdown, not part of the JSON contract.
    #[serde(skip)]
    pub notes: Vec<String>,
    /// What ran: the text header's command and the Markdown title (not in the JSON).
    #[serde(skip)]
    pub title: Title,
}

/// The alerts firing in Alertmanager, beside the findings.
#[derive(Debug, Clone, Serialize)]
pub struct Firing {
    /// Alertmanager's URL, without credentials.
    pub url: String,
    pub firing: Vec<crate::model::alerting::FiringAlert>,
    /// Why the alerts could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Firing {
    /// What Alertmanager says is firing; a failed read is kept as the error to show.
    pub async fn read(url: &str) -> Firing {
        let shown = crate::alerts::alertmanager::shown(url);
        match crate::alerts::alertmanager::firing(url, std::time::Duration::from_secs(10)).await {
            Ok(firing) => Firing {
                url: shown,
                firing,
                error: None,
            },
            Err(e) => Firing {
                url: shown,
                firing: vec![],
                error: Some(e),
            },
        }
    }

    /// One line per alert (the Cluster first when its labels name one), or the error.
    fn lines(&self) -> Vec<String> {
        if let Some(e) = &self.error {
            return vec![format!("not read: {e}")];
        }
        if self.firing.is_empty() {
            return vec!["none firing".to_string()];
        }
        self.firing
            .iter()
            .map(|a| {
                let on = match (a.namespace.as_str(), a.cluster.as_str()) {
                    ("", _) => String::new(),
                    (ns, "") => format!("namespace {ns}: "),
                    (ns, c) => format!("Cluster {ns}/{c}: "),
                };
                let sev = if a.severity.is_empty() { "" } else { " " };
                format!(
                    "{on}{}{sev}{} since {}{}{}",
                    a.name,
                    if a.severity.is_empty() {
                        String::new()
                    } else {
                        format!("({})", a.severity)
                    },
                    a.starts_at,
                    if a.summary.is_empty() { "" } else { " — " },
                    a.summary
                )
            })
            .collect()
    }
}

/// The command a report comes from, as its header names it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Title {
    #[default]
    Check,
    GitopsLint,
    AlertsAudit,
}

impl Title {
    fn command(self) -> &'static str {
        match self {
            Title::Check => "backstop check",
            Title::GitopsLint => "backstop gitops lint",
            Title::AlertsAudit => "backstop alerts audit",
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Title::Check => "Backup health check",
            Title::GitopsLint => "GitOps checkout lint",
            Title::AlertsAudit => "Alert coverage audit",
        }
    }
}

impl Report {
    pub fn new(outcome: Outcome, source: String, at: DateTime<Utc>, notes: Vec<String>) -> Report {
        Report {
            status: Status::of(&outcome),
            generated_at: at.to_rfc3339_opts(SecondsFormat::Secs, true),
            source,
            findings: outcome.findings,
            unknown: outcome.unknown,
            stores: Vec::new(),
            drills: Vec::new(),
            alertmanager: None,
            notes,
            title: Title::Check,
        }
    }

    /// Says which command made it.
    pub fn titled(mut self, title: Title) -> Report {
        self.title = title;
        self
    }

    /// The stores read, each with its proven window beside the status field's claim.
    pub fn with_stores(mut self, stores: Vec<WindowReport>) -> Report {
        self.stores = stores;
        self
    }

    /// The alerts firing in Alertmanager.
    pub fn with_firing(mut self, firing: Option<Firing>) -> Report {
        self.alertmanager = firing;
        self
    }

    /// Each Cluster's last restore drill.
    pub fn with_drills(mut self, drills: Vec<DrillReport>) -> Report {
        self.drills = drills;
        self
    }

    /// One line per store read, then the claim and any disagreement: the same words in text
    /// and Markdown.
    fn window_lines(&self) -> Vec<(String, Vec<String>)> {
        self.stores
            .iter()
            .map(|w| {
                let head = format!("{} server {}: {}", w.object.display(), w.server, w.line);
                let mut sub = Vec::new();
                if w.claimed_from.is_some() || w.claimed_last_backup.is_some() {
                    sub.push(format!(
                        "status claims: first recoverability point {}, last successful backup {}{}",
                        w.claimed_from.as_deref().unwrap_or("none"),
                        w.claimed_last_backup.as_deref().unwrap_or("none"),
                        if w.disagreements.is_empty() {
                            " (agrees with the bucket)"
                        } else {
                            " (DISAGREES with the bucket)"
                        }
                    ));
                }
                sub.extend(w.disagreements.iter().cloned());
                (head, sub)
            })
            .collect()
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
        for &(_, _, title) in AREAS {
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

    /// The report in the format asked for; text in colour when stdout takes it. Each is
    /// safe as it comes: JSON escaped by serde, text and Markdown with every outside string
    /// cleaned (the text's colours are its own).
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Json => self.json(),
            Format::Markdown => self.markdown(),
            Format::Text => self.text(colour()),
        }
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
            "{} · {} · {}\nstatus: {status} ({})\n",
            self.title.command(),
            clean_line(&self.source),
            self.generated_at,
            self.count_line()
        );
        for note in &self.notes {
            out.push_str(&format!("note: {}\n", untrusted(note)));
        }
        if !self.stores.is_empty() {
            out.push_str(&format!("\n{}\n", paint("Recovery windows", "1")));
            for (head, sub) in self.window_lines() {
                out.push_str(&format!("  {}\n", untrusted(&head)));
                for l in sub {
                    out.push_str(&format!("      │ {}\n", untrusted(&l)));
                }
            }
        }
        if !self.drills.is_empty() {
            out.push_str(&format!("\n{}\n", paint("Restore drills", "1")));
            for d in &self.drills {
                out.push_str(&format!(
                    "  {}: {}\n",
                    clean_line(&d.object.display()),
                    untrusted(&d.line)
                ));
            }
        }
        if let Some(f) = &self.alertmanager {
            let head = format!("Firing alerts (Alertmanager {})", clean_line(&f.url));
            out.push_str(&format!("\n{}\n", paint(&head, "1")));
            for l in f.lines() {
                out.push_str(&format!("  {}\n", clean_line(&untrusted(&l))));
            }
        }
        for (title, list) in self.by_area() {
            out.push_str(&format!("\n{}\n", paint(title, "1")));
            for f in list {
                out.push_str(&format!(
                    "  {} {}  {}\n      {}\n",
                    sev(f.severity),
                    paint(f.code, "1"),
                    clean_line(&what(f)),
                    untrusted(&f.summary)
                ));
                for e in &f.evidence {
                    out.push_str(&format!("      │ {}\n", untrusted(e)));
                }
                if !f.remedy.is_empty() {
                    // A remedy of several lines (a YAML block to add) stays under its arrow.
                    let remedy = untrusted(&f.remedy).replace('\n', "\n        ");
                    out.push_str(&format!("      → {remedy}\n"));
                }
            }
        }
        if !self.unknown.is_empty() {
            out.push_str(&format!("\n{}\n", paint("Could not check", "1")));
            for u in &self.unknown {
                out.push_str(&format!("  ? {}: {}\n", u.area, untrusted(&u.reason)));
            }
        }
        if self.findings.is_empty() && self.unknown.is_empty() {
            out.push_str("\nNothing to report: every rule passed.\n");
        }
        out
    }

    /// Markdown for a ticket: the whole document passes the sanitiser (it has no colours of
    /// its own), table cells stay on one line, and code fences outlast what they hold.
    pub fn markdown(&self) -> String {
        sanitize::clean(&self.compose_markdown()).into_owned()
    }

    fn compose_markdown(&self) -> String {
        let cell = |s: &str| clean_line(s).replace('|', "\\|");
        let mut out = format!(
            "# {}: {}\n\n- **Source**: {}\n- **Generated**: {}\n- **Findings**: {}\n",
            self.title.heading(),
            self.status.as_str().to_uppercase(),
            clean_line(&self.source),
            self.generated_at,
            self.count_line()
        );
        for note in &self.notes {
            out.push_str(&format!("- **Note**: {}\n", clean_line(&untrusted(note))));
        }
        if !self.findings.is_empty() {
            out.push_str("\n| Severity | Code | Object | Summary |\n|---|---|---|---|\n");
            for (_, list) in self.by_area() {
                for f in list {
                    out.push_str(&format!(
                        "| {} | {} | {} | {} |\n",
                        f.severity.as_str(),
                        f.code,
                        inline_code(&cell(&what(f))),
                        cell(&untrusted(&f.summary))
                    ));
                }
            }
        }
        if !self.stores.is_empty() {
            out.push_str("\n## Recovery windows\n\n");
            for (head, sub) in self.window_lines() {
                out.push_str(&format!("- {}\n", clean_line(&untrusted(&head))));
                for l in sub {
                    out.push_str(&format!("  - {}\n", clean_line(&untrusted(&l))));
                }
            }
        }
        if !self.drills.is_empty() {
            out.push_str("\n## Restore drills\n\n");
            for d in &self.drills {
                out.push_str(&format!(
                    "- {}: {}\n",
                    inline_code(&clean_line(&d.object.display())),
                    clean_line(&untrusted(&d.line))
                ));
            }
        }
        if let Some(f) = &self.alertmanager {
            out.push_str(&format!(
                "\n## Firing alerts\n\nAlertmanager {}\n\n",
                inline_code(&clean_line(&f.url))
            ));
            for l in f.lines() {
                out.push_str(&format!("- {}\n", clean_line(&untrusted(&l))));
            }
        }
        for (title, list) in self.by_area() {
            out.push_str(&format!("\n## {title}\n"));
            for f in list {
                out.push_str(&format!(
                    "\n### {} · {} · {}\n\n{}\n",
                    f.code,
                    f.severity.as_str(),
                    inline_code(&clean_line(&what(f))),
                    untrusted(&f.summary)
                ));
                if !f.evidence.is_empty() {
                    let lines: Vec<String> = f.evidence.iter().map(|e| untrusted(e)).collect();
                    let fence = sanitize::code_fence(lines.iter().map(String::as_str));
                    out.push_str(&format!("\nEvidence:\n\n{fence}text\n"));
                    for l in &lines {
                        out.push_str(l);
                        out.push('\n');
                    }
                    out.push_str(&fence);
                    out.push('\n');
                }
                if !f.remedy.is_empty() {
                    let remedy = untrusted(&f.remedy);
                    let fence = sanitize::code_fence(remedy.lines());
                    out.push_str(&format!("\nRemedy:\n\n{fence}sh\n{remedy}\n{fence}\n"));
                }
            }
        }
        if !self.unknown.is_empty() {
            out.push_str("\n## Could not check\n\n");
            for u in &self.unknown {
                out.push_str(&format!(
                    "- **{}**: {}\n",
                    u.area,
                    clean_line(&untrusted(&u.reason))
                ));
            }
        }
        if self.findings.is_empty() && self.unknown.is_empty() {
            out.push_str("\nEvery rule passed.\n");
        }
        out
    }
}

/// The object a finding is about, as `Kind namespace/name`.
fn what(f: &Finding) -> String {
    let o = &f.object;
    if o.namespace.is_empty() {
        format!("{} {}", o.kind, o.name)
    } else {
        format!("{} {}/{}", o.kind, o.namespace, o.name)
    }
}

/// `s` as Markdown inline code, with a delimiter longer than any backtick run inside.
fn inline_code(s: &str) -> String {
    let tick = "`".repeat(sanitize::backtick_run(s) + 1);
    // A space keeps a backtick at either end from joining the delimiter; Markdown drops it.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{tick}{pad}{s}{pad}{tick}")
}
