//! Many Kubernetes clusters read at once: each kubeconfig context connected and gathered as
//! `backstop check` reads one, a few at a time, an unreachable one costing at most its
//! connect timeout and never holding up the others; then each judged, and the rules across
//! them (`assess::fleet`) added to the site whose object they are about.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use futures::StreamExt;

use crate::assess::bucket::WindowReport;
use crate::assess::restore::DrillReport;
use crate::assess::summary::{self, ClusterSummary};
use crate::assess::{self, Outcome, Severity, Status, Thresholds};
use crate::checks;
use crate::cluster::connect::{ConnectError, ConnectOptions, connect_bounded, contexts};
use crate::model::facts::Facts;

/// Contexts read at once: each read already runs its own reads in parallel.
const AT_ONCE: usize = 4;

/// Which contexts, from the command line.
#[derive(Debug, Clone, PartialEq)]
pub enum Which {
    /// `--context a,b,c`, in that order.
    These(Vec<String>),
    /// `--all-contexts`: every context of the kubeconfig.
    All,
}

impl Which {
    /// The fleet a `--context` value and `--all-contexts` ask for; None for one context.
    pub fn from_flags(context: Option<&str>, all: bool) -> Option<Which> {
        if all {
            return Some(Which::All);
        }
        let names: Vec<String> = context?
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_string)
            .collect();
        (names.len() > 1).then_some(Which::These(names))
    }
}

/// Where a fleet is read from.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub kubeconfig: Option<PathBuf>,
    pub namespace: Option<String>,
}

/// One context as read: its facts, or why it could not be read.
pub struct Read {
    pub context: String,
    /// The API server's address, when the context names one.
    pub server: String,
    pub facts: Result<(Facts, bool), String>,
}

/// The context names to read, deduplicated in their order.
pub fn names(which: &Which, opts: &Options) -> Result<Vec<String>, ConnectError> {
    let mut names = match which {
        Which::These(n) => n.clone(),
        Which::All => contexts(&ConnectOptions {
            kubeconfig: opts.kubeconfig.clone(),
            context: None,
            namespace: None,
        })?,
    };
    let mut seen = std::collections::BTreeSet::new();
    names.retain(|n| seen.insert(n.clone()));
    Ok(names)
}

/// Reads every context, at most a few at a time; the results in the order given.
pub async fn read_all(names: &[String], opts: &Options) -> Vec<Read> {
    futures::stream::iter(names.iter().cloned())
        .map(|context| read_one(context, opts))
        .buffered(AT_ONCE)
        .collect()
        .await
}

async fn read_one(context: String, opts: &Options) -> Read {
    let connect = ConnectOptions {
        kubeconfig: opts.kubeconfig.clone(),
        context: Some(context.clone()),
        namespace: opts.namespace.clone(),
    };
    match connect_bounded(&connect).await {
        Err(e) => Read {
            context,
            server: String::new(),
            facts: Err(format!("{}: {}", e.what, e.hint)),
        },
        Ok((client, target)) => {
            let facts =
                checks::site::read(&client, &target.server, target.namespace.as_deref(), true)
                    .await
                    .map(|r| (r.facts, r.simulated));
            Read {
                context,
                server: target.server,
                facts,
            }
        }
    }
}

/// One context judged: what its report and its row say.
#[derive(Debug, Clone)]
pub struct Judged {
    pub context: String,
    pub server: String,
    /// Why the context could not be read; None when it was.
    pub unreachable: Option<String>,
    pub outcome: Outcome,
    pub status: Status,
    pub notes: Vec<String>,
    pub windows: Vec<WindowReport>,
    pub drills: Vec<DrillReport>,
    pub clusters: Vec<ClusterSummary>,
}

impl Judged {
    /// What the context holds, in a line: why it could not be read, else its counts and
    /// worst finding.
    pub fn summary(&self) -> String {
        let count = |sev: Severity| {
            self.outcome
                .findings
                .iter()
                .filter(|f| f.severity == sev)
                .count()
        };
        match (&self.unreachable, self.outcome.findings.first()) {
            (Some(why), _) => format!("unreachable: {why}"),
            (None, Some(f)) if f.severity != Severity::Info => format!(
                "{} critical, {} warning; worst {} {}: {}",
                count(Severity::Critical),
                count(Severity::Warning),
                f.code,
                f.object.display(),
                f.summary
            ),
            (None, _) => format!(
                "{} Cluster{}, nothing to report",
                self.clusters.len(),
                if self.clusters.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Judges every context read (the silenced codes left out), adds the findings across them,
/// and orders the sites worst first (then by name). The facts are dropped here: what stays
/// is what a report or a row shows.
pub fn judge(
    reads: Vec<Read>,
    now: DateTime<Utc>,
    th: &Thresholds,
    silence: &[String],
) -> Vec<Judged> {
    let across = {
        let sites: Vec<assess::fleet::Site> = reads
            .iter()
            .filter_map(|r| {
                r.facts.as_ref().ok().map(|(facts, _)| assess::fleet::Site {
                    context: &r.context,
                    facts,
                })
            })
            .collect();
        let found = assess::fleet::rules(&sites);
        // Back from the index among readable sites to the context's name.
        found
            .into_iter()
            .map(|(i, f)| (sites[i].context.to_string(), f))
            .collect::<Vec<_>>()
    };
    let mut judged: Vec<Judged> = reads
        .into_iter()
        .map(|r| match r.facts {
            Err(why) => {
                let mut outcome = Outcome::default();
                outcome.unknown("cluster", why.clone());
                Judged {
                    status: Status::of(&outcome),
                    context: r.context,
                    server: r.server,
                    unreachable: Some(why),
                    outcome,
                    notes: Vec::new(),
                    windows: Vec::new(),
                    drills: Vec::new(),
                    clusters: Vec::new(),
                }
            }
            Ok((facts, simulated)) => {
                let mut outcome = assess::assess(&facts, now, th);
                outcome.findings.extend(
                    across
                        .iter()
                        .filter(|(c, _)| *c == r.context)
                        .map(|(_, f)| f.clone()),
                );
                outcome
                    .findings
                    .retain(|f| !silence.iter().any(|s| s == f.code));
                outcome
                    .findings
                    .sort_by_key(|f| std::cmp::Reverse(f.severity));
                let mut notes = if simulated {
                    vec![
                        "a simulated cluster: endpoints are fictional, network probes skipped"
                            .to_string(),
                    ]
                } else {
                    Vec::new()
                };
                notes.extend(checks::malformed(&facts));
                Judged {
                    status: Status::of(&outcome),
                    context: r.context,
                    server: r.server,
                    unreachable: None,
                    outcome,
                    notes,
                    windows: assess::bucket::windows(&facts),
                    drills: assess::restore::drill_reports(&facts, now),
                    clusters: summary::clusters(&facts),
                }
            }
        })
        .collect();
    judged.sort_by(|a, b| {
        b.status
            .rank()
            .cmp(&a.status.rank())
            .then_with(|| a.context.cmp(&b.context))
    });
    judged
}

/// The fleet's one status: the worst of its sites (critical, then unknown, then warning).
pub fn status(sites: &[Judged]) -> Status {
    sites
        .iter()
        .map(|s| s.status)
        .max_by_key(|s| s.rank())
        .unwrap_or(Status::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_is_several_contexts_or_all_of_them() {
        assert_eq!(Which::from_flags(None, false), None);
        assert_eq!(Which::from_flags(Some("prod"), false), None);
        assert_eq!(Which::from_flags(Some("prod,"), false), None);
        assert_eq!(
            Which::from_flags(Some("eu, us ,,ap"), false),
            Some(Which::These(vec!["eu".into(), "us".into(), "ap".into()]))
        );
        assert_eq!(Which::from_flags(None, true), Some(Which::All));
    }

    #[test]
    fn names_are_read_once_each_in_their_order() {
        let which = Which::These(vec!["b".into(), "a".into(), "b".into()]);
        assert_eq!(
            names(&which, &Options::default()).map_err(|e| e.to_string()),
            Ok(vec!["b".to_string(), "a".to_string()])
        );
    }
}
