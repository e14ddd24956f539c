//! Answering a tree's checks from a cluster's facts, pure. Checks that mirror a finding are
//! answered by the health rules themselves (`findings`), so the walker and `backstop check`
//! never disagree; the others read the facts directly, one file per family. A walk started
//! from an object looks at that object and what it relates to (`Env::clusters`).

mod backup;
mod findings;
mod flux;
mod generic;
mod helm;
mod logs;
mod restore;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::model::{Branch, Check};
use crate::assess::{Facts, Finding, Outcome as Assessed};
use crate::model::kubefmt::parse_duration;
use crate::model::relate::{clusters_using, store_of};
use crate::model::rows::ClusterRow;
use crate::model::{Kind, KindState, ObjectRef};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// The data to answer is not there (forbidden, not read, not configured).
    Unknown,
    /// The check itself went wrong.
    Error,
}

impl Verdict {
    /// The branch of a node this verdict takes.
    pub fn branch(self) -> Branch {
        match self {
            Verdict::Pass => Branch::Pass,
            Verdict::Fail => Branch::Fail,
            Verdict::Unknown => Branch::Unknown,
            Verdict::Error => Branch::Error,
        }
    }
}

/// A check's answer, with what it saw.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub verdict: Verdict,
    /// One line: why this verdict.
    pub summary: String,
    /// Verbatim evidence: fields, conditions, events, log lines, findings.
    pub evidence: Vec<String>,
}

fn answer(verdict: Verdict, summary: impl Into<String>, evidence: Vec<String>) -> Answer {
    Answer {
        verdict,
        summary: summary.into(),
        evidence,
    }
}

/// A GitOps checkout, for the `.gitignore` checks.
pub trait GitRepo {
    fn ignored(&self, path: &str) -> Result<bool, String>;
    fn tracked(&self, path: &str) -> Result<bool, String>;
    /// What `backstop gitops lint` finds in the checkout.
    fn lint(&self) -> Result<Vec<Finding>, String> {
        Err("this checkout cannot be linted".into())
    }
}

/// What checks are answered against.
pub struct Env<'a> {
    pub facts: &'a Facts,
    pub assessed: &'a Assessed,
    /// The object the walk is about, if it started from one.
    pub context: Option<&'a ObjectRef>,
    pub now: DateTime<Utc>,
    pub git: Option<&'a dyn GitRepo>,
}

impl Env<'_> {
    /// The Clusters the walk is about: the context's, or all.
    fn clusters(&self) -> Vec<&ClusterRow> {
        let s = &self.facts.snapshot;
        let all: Vec<&ClusterRow> = s.clusters.rows.iter().map(|c| c.as_ref()).collect();
        let Some(ctx) = self.context else { return all };
        let (ns, name) = (ctx.namespace.as_str(), ctx.name.as_str());
        let names: Vec<&str> = match ctx.kind {
            Kind::Cluster => vec![name],
            Kind::Backup => s
                .backups
                .in_namespace(ns)
                .iter()
                .filter(|b| b.name == name)
                .map(|b| b.cluster.as_str())
                .collect(),
            Kind::ScheduledBackup => s
                .scheduled
                .in_namespace(ns)
                .iter()
                .filter(|b| b.name == name)
                .map(|b| b.cluster.as_str())
                .collect(),
            Kind::ObjectStore => clusters_using(&s.clusters.rows, ns, name)
                .map(|c| c.name.as_str())
                .collect(),
            Kind::Pod => s
                .pods
                .in_namespace(ns)
                .iter()
                .filter(|p| p.name == name)
                .filter_map(|p| p.labels.get(crate::model::domain::CLUSTER_LABEL))
                .map(String::as_str)
                .collect(),
            _ => return all,
        };
        if names.is_empty() {
            return all;
        }
        all.into_iter()
            .filter(|c| c.namespace == ns && names.contains(&c.name.as_str()))
            .collect()
    }

    /// Whether a finding is about what the walk is about.
    fn in_scope(&self, f: &Finding) -> bool {
        if self.context.is_none() {
            return true;
        }
        let clusters = self.clusters();
        let has =
            |ns: &str, name: &str| clusters.iter().any(|c| c.namespace == ns && c.name == name);
        let o = &f.object;
        let s = &self.facts.snapshot;
        match o.kind {
            Kind::HelmRelease | Kind::OCIRepository | Kind::HelmRepository => {
                helm::finding_about(self, o)
            }
            Kind::Cluster => has(&o.namespace, &o.name),
            Kind::Backup => s
                .backups
                .in_namespace(&o.namespace)
                .iter()
                .any(|b| b.name == o.name && has(&b.namespace, &b.cluster)),
            Kind::ScheduledBackup => s
                .scheduled
                .in_namespace(&o.namespace)
                .iter()
                .any(|b| b.name == o.name && has(&b.namespace, &b.cluster)),
            Kind::ObjectStore => clusters
                .iter()
                .any(|c| c.namespace == o.namespace && store_of(c) == Some(o.name.as_str())),
            // The plugin, the operator and Flux serve every cluster.
            _ => true,
        }
    }
}

/// A duration a check is written with, or the Error answer saying it is not one.
fn duration(text: &str) -> Result<chrono::Duration, Answer> {
    parse_duration(text)
        .ok()
        .and_then(|d| chrono::Duration::from_std(d).ok())
        .ok_or_else(|| {
            answer(
                Verdict::Error,
                format!("'{text}' is not a duration"),
                vec![],
            )
        })
}

/// The rows of a kind a check reads, or the Unknown answer saying why they cannot be read
/// (in model::state's words, naming `what`).
fn readable<'a, R>(state: &'a KindState<R>, what: &str) -> Result<&'a [Arc<R>], Answer> {
    state
        .rows_or_why(what)
        .map_err(|why| answer(Verdict::Unknown, why, vec![]))
}

/// The shape most checks over one kind share: Unknown when `what` cannot be read; else
/// Pass when `bad` lists nothing in the rows, or Fail with what it listed as the evidence
/// and `fail(how many)` as the summary.
fn none_bad<R>(
    state: &KindState<R>,
    what: &str,
    bad: impl FnOnce(&[Arc<R>]) -> Vec<String>,
    pass: impl Into<String>,
    fail: impl FnOnce(usize) -> String,
) -> Answer {
    let bad = match readable(state, what) {
        Ok(rows) => bad(rows),
        Err(unknown) => return unknown,
    };
    if bad.is_empty() {
        answer(Verdict::Pass, pass, vec![])
    } else {
        answer(Verdict::Fail, fail(bad.len()), bad)
    }
}

/// Answers one check; each family of checks lives in its own file.
pub fn evaluate(check: &Check, env: &Env) -> Answer {
    match check {
        Check::PluginRegistered {} => findings::plugin_registered(env),
        Check::PluginPodsReady {} => findings::plugin_pods_ready(env),
        Check::PluginOomKilled {} => findings::plugin_oom_killed(env),
        Check::OperatorReady {} => findings::operator_ready(env),
        Check::ManifestsApplied {} => findings::manifests_applied(env),
        Check::ClusterPluginConfigured {} => findings::cluster_plugin_configured(env),
        Check::ObjectstoreExists {} => findings::objectstore_exists(env),
        Check::CredentialsPresent {} => findings::credentials_present(env),
        Check::EndpointReachable {} => findings::endpoint_reachable(env),
        Check::LatestBackupOk {} => findings::latest_backup_ok(env),
        Check::BackupsNotStuck {} => findings::backups_not_stuck(env),
        Check::SchedulesOk {} => findings::schedules_ok(env),
        Check::RestoreInProgress {} => restore::in_progress(env),
        Check::Finding { code } => findings::finding(env, code),
        Check::KustomizationsReady { name } => flux::kustomizations_ready(env, name.as_deref()),
        Check::KustomizationDependenciesReady { name } => {
            flux::dependencies_ready(env, name.as_deref())
        }
        Check::SourcesReady {} => flux::sources_ready(env),
        Check::RevisionsApplied {} => flux::revisions_applied(env),
        Check::HelmreleasesReady { name } => helm::ready(env, name.as_deref()),
        Check::HelmreleaseSuspended { name } => helm::suspended(env, name.as_deref()),
        Check::HelmChartSourceReady { name } => helm::source_ready(env, name.as_deref()),
        Check::HelmreleaseReason { reasons, name } => helm::reason(env, reasons, name.as_deref()),
        Check::HelmRetriesExhausted { name } => helm::retries_exhausted(env, name.as_deref()),
        Check::HelmChartVersionApplied { name } => helm::version_applied(env, name.as_deref()),
        Check::ArchivingOk {} => backup::archiving_ok(env),
        Check::BackupRecent { max_age } => backup::recent(env, max_age),
        Check::BackupsFast { max_duration } => backup::fast(env, max_duration),
        Check::LogMatches { pattern, container } => logs::matches(env, pattern, *container),
        Check::ApiServed { resource } => generic::api_served(env, resource),
        Check::Condition {
            kind,
            kind_of_condition,
            status,
            reason,
            name,
            namespace,
        } => generic::condition(
            env,
            &generic::Wanted {
                kind,
                condition: kind_of_condition,
                status,
                reason: reason.as_deref(),
                name: name.as_deref(),
                namespace: namespace.as_deref(),
            },
        ),
        Check::EventSeen {
            reason,
            kind,
            within,
        } => generic::event_seen(env, reason, kind.as_deref(), within),
        Check::GitIgnored { path } => generic::git(env, path, generic::Asked::Ignored),
        Check::GitTracked { path } => generic::git(env, path, generic::Asked::Tracked),
        Check::GitopsLintClean {} => generic::gitops_lint(env),
    }
}
