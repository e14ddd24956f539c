//! Answering a tree's checks from a cluster's facts, pure. Checks that mirror a finding are
//! answered by the health rules themselves, so the walker and `backstop check` never
//! disagree; the others read the facts directly. A walk started from an object looks at
//! that object and what it relates to.

use chrono::{DateTime, Utc};

use super::model::{Check, LogSource};
use crate::assess::{Facts, Finding, Outcome as Assessed};
use crate::model::kubefmt::parse_duration;
use crate::model::rows::{ClusterRow, condition};
use crate::model::{Kind, ObjectRef};
use crate::model::{KindState, SyncState};

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
    pub fn branch(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unknown => "unknown",
            Verdict::Error => "error",
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
        let all: Vec<&ClusterRow> = self
            .facts
            .snapshot
            .clusters
            .rows
            .iter()
            .map(|c| c.as_ref())
            .collect();
        let Some(ctx) = self.context else { return all };
        let s = &self.facts.snapshot;
        let names: Vec<(String, String)> = match ctx.kind {
            Kind::Cluster => vec![(ctx.namespace.clone(), ctx.name.clone())],
            Kind::Backup => s
                .backups
                .rows
                .iter()
                .filter(|b| b.namespace == ctx.namespace && b.name == ctx.name)
                .map(|b| (b.namespace.clone(), b.cluster.clone()))
                .collect(),
            Kind::ScheduledBackup => s
                .scheduled
                .rows
                .iter()
                .filter(|b| b.namespace == ctx.namespace && b.name == ctx.name)
                .map(|b| (b.namespace.clone(), b.cluster.clone()))
                .collect(),
            Kind::ObjectStore => all
                .iter()
                .filter(|c| {
                    c.namespace == ctx.namespace
                        && c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
                            == Some(ctx.name.as_str())
                })
                .map(|c| (c.namespace.clone(), c.name.clone()))
                .collect(),
            Kind::Pod => s
                .pods
                .rows
                .iter()
                .filter(|p| p.namespace == ctx.namespace && p.name == ctx.name)
                .filter_map(|p| {
                    Some((
                        p.namespace.clone(),
                        p.labels.get("cnpg.io/cluster")?.clone(),
                    ))
                })
                .collect(),
            _ => return all,
        };
        if names.is_empty() {
            return all;
        }
        all.into_iter()
            .filter(|c| {
                names
                    .iter()
                    .any(|(ns, n)| *ns == c.namespace && *n == c.name)
            })
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
            Kind::Cluster => has(&o.namespace, &o.name),
            Kind::Backup => s.backups.rows.iter().any(|b| {
                b.namespace == o.namespace && b.name == o.name && has(&b.namespace, &b.cluster)
            }),
            Kind::ScheduledBackup => s.scheduled.rows.iter().any(|b| {
                b.namespace == o.namespace && b.name == o.name && has(&b.namespace, &b.cluster)
            }),
            Kind::ObjectStore => clusters.iter().any(|c| {
                c.namespace == o.namespace
                    && c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
                        == Some(o.name.as_str())
            }),
            // The plugin, the operator and Flux serve every cluster.
            _ => true,
        }
    }
}

fn unreadable<R>(label: &str, state: &KindState<R>) -> Option<Answer> {
    match &state.sync {
        SyncState::Live => None,
        SyncState::Stale { .. } if !state.rows.is_empty() => None,
        SyncState::NotInstalled { what } => {
            Some(answer(Verdict::Unknown, format!("{label}: {what}"), vec![]))
        }
        SyncState::Forbidden { verb, resource } => Some(answer(
            Verdict::Unknown,
            format!("{label}: forbidden: may not {verb} {resource}"),
            vec![],
        )),
        SyncState::Syncing => Some(answer(
            Verdict::Unknown,
            format!("{label}: not read yet"),
            vec![],
        )),
        SyncState::Stale { reason, .. } | SyncState::Error(reason) => Some(answer(
            Verdict::Unknown,
            format!("{label}: {reason}"),
            vec![],
        )),
    }
}

/// Pass when none of `codes` is found about the walk's objects; the findings are the evidence.
fn no_finding(env: &Env, codes: &[&str], ok: &str) -> Answer {
    let found: Vec<&Finding> = env
        .assessed
        .findings
        .iter()
        .filter(|f| codes.contains(&f.code) && env.in_scope(f))
        .collect();
    if found.is_empty() {
        let areas: Vec<&str> = codes
            .iter()
            .map(|c| crate::assess::catalog::area(c).0)
            .collect();
        let blind: Vec<String> = env
            .assessed
            .unknown
            .iter()
            .filter(|u| areas.contains(&u.area))
            .map(|u| format!("{}: {}", u.area, u.reason))
            .collect();
        if !blind.is_empty() {
            return answer(Verdict::Unknown, "could not read what this needs", blind);
        }
        return answer(Verdict::Pass, ok, vec![]);
    }
    let mut evidence = Vec::new();
    for f in &found {
        evidence.push(format!("{} {}", f.code, f.summary));
        evidence.extend(f.evidence.iter().take(4).map(|e| format!("  {e}")));
    }
    answer(
        Verdict::Fail,
        found
            .iter()
            .map(|f| f.summary.as_str())
            .next()
            .unwrap_or("")
            .to_string(),
        evidence,
    )
}

/// Pass when one of `codes` is found (the check asks "is it this?").
fn has_finding(env: &Env, codes: &[&str], no: &str) -> Answer {
    let a = no_finding(env, codes, no);
    match a.verdict {
        Verdict::Fail => Answer {
            verdict: Verdict::Pass,
            ..a
        },
        Verdict::Pass => Answer {
            verdict: Verdict::Fail,
            ..a
        },
        _ => a,
    }
}

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

type Conditions = Vec<(String, Vec<crate::model::rows::Condition>)>;

/// The conditions of the rows `pick` keeps, by `namespace/name`, and the kind's state.
fn conditions_of<'a, R>(
    state: &'a KindState<R>,
    pick: &dyn Fn(&str, &str) -> bool,
    parts: impl Fn(&R) -> (&String, &String, &Vec<crate::model::rows::Condition>),
) -> (Conditions, &'a SyncState) {
    let rows = state
        .rows
        .iter()
        .map(|r| parts(r))
        .filter(|(ns, name, _)| pick(ns, name))
        .map(|(ns, name, conds)| (format!("{ns}/{name}"), conds.clone()))
        .collect();
    (rows, &state.sync)
}

pub fn evaluate(check: &Check, env: &Env) -> Answer {
    let f = env.facts;
    let s = &f.snapshot;
    match check {
        Check::PluginRegistered {} => no_finding(
            env,
            &["PLG002", "PLG003"],
            "the plugin's Service is registered in the operator's namespace",
        ),
        Check::PluginPodsReady {} => no_finding(env, &["PLG004"], "the plugin pods are ready"),
        Check::PluginOomKilled {} => {
            has_finding(env, &["PLG005"], "no plugin container was OOMKilled")
        }
        Check::OperatorReady {} => {
            no_finding(env, &["PLG007"], "the CNPG operator has a ready replica")
        }
        Check::ApiServed { resource } => {
            let state = match resource.as_str() {
                "clusters.postgresql.cnpg.io" => &s.clusters.sync,
                "backups.postgresql.cnpg.io" => &s.backups.sync,
                "objectstores.barmancloud.cnpg.io" => &s.object_stores.sync,
                "kustomizations.kustomize.toolkit.fluxcd.io" => &s.kustomizations.sync,
                "gitrepositories.source.toolkit.fluxcd.io" => &s.git_repos.sync,
                _ => &f.certificates.sync,
            };
            match state {
                SyncState::NotInstalled { what } => answer(
                    Verdict::Fail,
                    what.clone(),
                    vec![format!("{resource}: not served")],
                ),
                SyncState::Live | SyncState::Stale { .. } => {
                    answer(Verdict::Pass, format!("{resource} is served"), vec![])
                }
                SyncState::Forbidden { .. } => answer(
                    Verdict::Pass,
                    format!("{resource} is served (but may not be listed)"),
                    vec![],
                ),
                SyncState::Syncing => answer(
                    Verdict::Unknown,
                    format!("{resource}: not read yet"),
                    vec![],
                ),
                SyncState::Error(e) => answer(Verdict::Unknown, format!("{resource}: {e}"), vec![]),
            }
        }
        Check::KustomizationsReady { name } => {
            if let Some(a) = unreadable("kustomizations", &s.kustomizations) {
                return a;
            }
            let bad: Vec<String> = s
                .kustomizations
                .rows
                .iter()
                .filter(|k| name.as_ref().is_none_or(|n| *n == k.name))
                .filter(|k| k.suspended || !k.ready().is_some_and(|c| c.is_true()))
                .map(|k| match k.ready() {
                    _ if k.suspended => format!(
                        "Kustomization {}/{} spec.suspend: true",
                        k.namespace, k.name
                    ),
                    Some(c) => format!(
                        "Kustomization {}/{} Ready={} {}: {}",
                        k.namespace, k.name, c.status, c.reason, c.message
                    ),
                    None => format!(
                        "Kustomization {}/{}: no Ready condition yet",
                        k.namespace, k.name
                    ),
                })
                .collect();
            if bad.is_empty() {
                answer(Verdict::Pass, "the Kustomizations are Ready", vec![])
            } else {
                answer(
                    Verdict::Fail,
                    format!("{} Kustomization(s) not Ready", bad.len()),
                    bad,
                )
            }
        }
        Check::KustomizationDependenciesReady { name } => {
            if let Some(a) = unreadable("kustomizations", &s.kustomizations) {
                return a;
            }
            let mut bad = Vec::new();
            for k in s
                .kustomizations
                .rows
                .iter()
                .filter(|k| name.as_ref().is_none_or(|n| *n == k.name))
            {
                for (ns, dep) in &k.depends_on {
                    let d = s
                        .kustomizations
                        .rows
                        .iter()
                        .find(|d| &d.namespace == ns && &d.name == dep);
                    match d.and_then(|d| d.ready()) {
                        Some(c) if c.is_true() => {}
                        Some(c) => bad.push(format!(
                            "{}/{} depends on {ns}/{dep}: Ready={} {}: {}",
                            k.namespace, k.name, c.status, c.reason, c.message
                        )),
                        None => bad.push(format!(
                            "{}/{} depends on {ns}/{dep}: not found or not reconciled",
                            k.namespace, k.name
                        )),
                    }
                }
            }
            if bad.is_empty() {
                answer(Verdict::Pass, "every dependency is Ready", vec![])
            } else {
                answer(Verdict::Fail, "a dependency is not Ready", bad)
            }
        }
        Check::SourcesReady {} => {
            if let Some(a) = unreadable("gitrepositories", &s.git_repos) {
                return a;
            }
            let bad: Vec<String> = s
                .git_repos
                .rows
                .iter()
                .filter(|g| g.suspended || !g.ready().is_some_and(|c| c.is_true()))
                .map(|g| {
                    format!(
                        "GitRepository {}/{} Ready={}",
                        g.namespace,
                        g.name,
                        g.ready()
                            .map(|c| format!("{} {}: {}", c.status, c.reason, c.message))
                            .unwrap_or_else(|| "unknown".into())
                    )
                })
                .collect();
            if bad.is_empty() {
                answer(Verdict::Pass, "the sources are Ready", vec![])
            } else {
                answer(Verdict::Fail, "a source is not Ready", bad)
            }
        }
        Check::RevisionsApplied {} => {
            if let Some(a) = unreadable("kustomizations", &s.kustomizations) {
                return a;
            }
            let bad: Vec<String> = s
                .kustomizations
                .rows
                .iter()
                .filter(|k| k.attempted.is_some() && k.attempted != k.applied)
                .map(|k| {
                    format!(
                        "Kustomization {}/{} lastAttemptedRevision {} ≠ lastAppliedRevision {}",
                        k.namespace,
                        k.name,
                        k.attempted.as_deref().unwrap_or("-"),
                        k.applied.as_deref().unwrap_or("-")
                    )
                })
                .collect();
            if bad.is_empty() {
                answer(
                    Verdict::Pass,
                    "every Kustomization applied its newest revision",
                    vec![],
                )
            } else {
                answer(Verdict::Fail, "the newest revision did not apply", bad)
            }
        }
        Check::ManifestsApplied {} => no_finding(
            env,
            &["FLX009", "OBJ001"],
            "every object the backup setup names exists",
        ),
        Check::ClusterPluginConfigured {} => no_finding(
            env,
            &["BKP006", "BKP010"],
            "the Cluster's plugin entry is complete",
        ),
        Check::ObjectstoreExists {} => no_finding(
            env,
            &["OBJ001"],
            "every ObjectStore a Cluster names exists in its namespace",
        ),
        Check::CredentialsPresent {} => no_finding(
            env,
            &["OBJ002"],
            "every Secret and key the ObjectStores reference exists",
        ),
        Check::EndpointReachable {} => {
            if !f.probed {
                return answer(
                    Verdict::Unknown,
                    "no network probe ran (saved manifests, or a simulated cluster)",
                    vec![],
                );
            }
            no_finding(
                env,
                &["OBJ005"],
                "every endpoint resolves and accepts connections",
            )
        }
        Check::ArchivingOk {} => {
            if let Some(a) = unreadable("clusters", &s.clusters) {
                return a;
            }
            let mut bad = Vec::new();
            let mut unknown = Vec::new();
            for c in env.clusters() {
                match c.archiving() {
                    Some(a) if a.is_true() => {}
                    Some(a) => bad.push(format!(
                        "Cluster {}/{} ContinuousArchiving={} {}: {}",
                        c.namespace, c.name, a.status, a.reason, a.message
                    )),
                    None => unknown.push(format!(
                        "Cluster {}/{}: no ContinuousArchiving condition",
                        c.namespace, c.name
                    )),
                }
            }
            if !bad.is_empty() {
                answer(Verdict::Fail, "WAL archiving is failing", bad)
            } else if !unknown.is_empty() {
                answer(Verdict::Unknown, "archiving has not reported yet", unknown)
            } else {
                answer(Verdict::Pass, "WAL archiving works", vec![])
            }
        }
        Check::LatestBackupOk {} => no_finding(
            env,
            &["BKP001"],
            "the newest backup of each Cluster completed",
        ),
        Check::BackupRecent { max_age } => {
            let max = match duration(max_age) {
                Ok(d) => d,
                Err(a) => return a,
            };
            if let Some(a) = unreadable("backups", &s.backups) {
                return a;
            }
            let mut bad = Vec::new();
            for c in env
                .clusters()
                .into_iter()
                .filter(|c| c.plugin.is_some() || c.legacy_barman)
            {
                let window = s
                    .object_stores
                    .rows
                    .iter()
                    .filter(|o| {
                        o.namespace == c.namespace
                            && c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
                                == Some(o.name.as_str())
                    })
                    .flat_map(|o| {
                        o.servers
                            .iter()
                            .filter(|w| w.server == c.server_name())
                            .filter_map(|w| w.last_success)
                    })
                    .max();
                let from_backups = s
                    .backups
                    .rows
                    .iter()
                    .filter(|b| {
                        b.namespace == c.namespace && b.cluster == c.name && b.phase == "completed"
                    })
                    .filter_map(|b| b.stopped)
                    .max();
                match window.max(from_backups) {
                    Some(t) if env.now - t <= max => {}
                    Some(t) => bad.push(format!(
                        "Cluster {}/{}: last successful backup {t} ({} ago)",
                        c.namespace,
                        c.name,
                        crate::model::kubefmt::human_duration(env.now - t)
                    )),
                    None => bad.push(format!(
                        "Cluster {}/{}: no successful backup",
                        c.namespace, c.name
                    )),
                }
            }
            if bad.is_empty() {
                answer(
                    Verdict::Pass,
                    format!("every Cluster has a backup younger than {max_age}"),
                    vec![],
                )
            } else {
                answer(
                    Verdict::Fail,
                    format!("a Cluster has no backup younger than {max_age}"),
                    bad,
                )
            }
        }
        Check::BackupsFast { max_duration } => {
            let max = match duration(max_duration) {
                Ok(d) => d,
                Err(a) => return a,
            };
            if let Some(a) = unreadable("backups", &s.backups) {
                return a;
            }
            let clusters = env.clusters();
            let slow: Vec<String> = s
                .backups
                .rows
                .iter()
                .filter(|b| {
                    clusters
                        .iter()
                        .any(|c| c.namespace == b.namespace && c.name == b.cluster)
                })
                .filter(|b| b.phase == "completed" && b.duration().is_some_and(|d| d > max))
                .map(|b| {
                    format!(
                        "Backup {}/{} took {}",
                        b.namespace,
                        b.name,
                        b.duration()
                            .map(crate::model::kubefmt::human_duration)
                            .unwrap_or_default()
                    )
                })
                .collect();
            if slow.is_empty() {
                answer(
                    Verdict::Pass,
                    format!("no backup took longer than {max_duration}"),
                    vec![],
                )
            } else {
                answer(
                    Verdict::Fail,
                    format!("{} backup(s) took longer than {max_duration}", slow.len()),
                    slow,
                )
            }
        }
        Check::BackupsNotStuck {} => no_finding(env, &["BKP004"], "no backup is stuck"),
        Check::SchedulesOk {} => no_finding(
            env,
            &["BKP007", "BKP008"],
            "every ScheduledBackup runs, with the plugin method",
        ),
        Check::Condition {
            kind,
            kind_of_condition,
            status,
            reason,
            name,
            namespace,
        } => {
            let pick = |ns: &str, n: &str| {
                name.as_ref().is_none_or(|x| x == n) && namespace.as_ref().is_none_or(|x| x == ns)
            };
            let (rows, state) = match kind.as_str() {
                "Cluster" => conditions_of(&s.clusters, &pick, |r| {
                    (&r.namespace, &r.name, &r.conditions)
                }),
                "Kustomization" => conditions_of(&s.kustomizations, &pick, |r| {
                    (&r.namespace, &r.name, &r.conditions)
                }),
                "GitRepository" => conditions_of(&s.git_repos, &pick, |r| {
                    (&r.namespace, &r.name, &r.conditions)
                }),
                "Deployment" => conditions_of(&f.deployments, &pick, |r| {
                    (&r.namespace, &r.name, &r.conditions)
                }),
                _ => conditions_of(&f.certificates, &pick, |r| {
                    (&r.namespace, &r.name, &r.conditions)
                }),
            };
            if !matches!(state, SyncState::Live | SyncState::Stale { .. }) {
                return answer(
                    Verdict::Unknown,
                    format!("{kind}: {}", state.word()),
                    vec![],
                );
            }
            if rows.is_empty() {
                return answer(Verdict::Unknown, format!("no {kind} matches"), vec![]);
            }
            let mut bad = Vec::new();
            for (id, conds) in &rows {
                match condition(conds, kind_of_condition) {
                    Some(c)
                        if &c.status == status
                            && reason.as_ref().is_none_or(|r| *r == c.reason) => {}
                    Some(c) => bad.push(format!(
                        "{kind} {id} {}={} {}: {}",
                        c.kind, c.status, c.reason, c.message
                    )),
                    None => bad.push(format!("{kind} {id}: no {kind_of_condition} condition")),
                }
            }
            if bad.is_empty() {
                answer(
                    Verdict::Pass,
                    format!("{kind_of_condition}={status} on every matching {kind}"),
                    vec![],
                )
            } else {
                answer(
                    Verdict::Fail,
                    format!("{kind_of_condition} is not {status}"),
                    bad,
                )
            }
        }
        Check::EventSeen {
            reason,
            kind,
            within,
        } => {
            let w = match duration(within) {
                Ok(d) => d,
                Err(a) => return a,
            };
            if let Some(a) = unreadable("events", &f.events) {
                return a;
            }
            let seen: Vec<String> = f
                .events
                .rows
                .iter()
                .filter(|e| {
                    e.reason == *reason && kind.as_ref().is_none_or(|k| *k == e.involved_kind)
                })
                .filter(|e| e.last_seen.is_some_and(|t| env.now - t <= w))
                .map(|e| {
                    format!(
                        "event {} {} on {} {}/{}: {}",
                        e.kind,
                        e.reason,
                        e.involved_kind,
                        e.involved_namespace,
                        e.involved_name,
                        e.message
                    )
                })
                .collect();
            if seen.is_empty() {
                answer(
                    Verdict::Fail,
                    format!("no {reason} event within {within}"),
                    vec![],
                )
            } else {
                answer(Verdict::Pass, format!("{reason} seen"), seen)
            }
        }
        Check::LogMatches { pattern, container } => {
            let want = pattern.to_lowercase();
            let clusters = env.clusters();
            let relevant = |ns: &str, pod: &str, c: &str| match container {
                LogSource::Plugin => c != crate::model::domain::SIDECAR,
                LogSource::Sidecar => {
                    c == crate::model::domain::SIDECAR
                        && s.pods.rows.iter().any(|p| {
                            p.namespace == ns
                                && p.name == pod
                                && p.labels.get("cnpg.io/cluster").is_some_and(|cl| {
                                    clusters.iter().any(|c| c.namespace == ns && c.name == *cl)
                                })
                        })
                }
            };
            let tails: Vec<_> = f
                .logs
                .iter()
                .filter(|t| relevant(&t.namespace, &t.pod, &t.container))
                .collect();
            if tails.is_empty() {
                return answer(Verdict::Unknown, "no such log was read", vec![]);
            }
            let mut hits = Vec::new();
            let mut failed = Vec::new();
            for t in tails {
                match &t.lines {
                    Ok(lines) => hits.extend(
                        lines
                            .iter()
                            .filter(|l| l.to_lowercase().contains(&want))
                            .take(3)
                            .map(|l| {
                                format!("log {}/{} ({}): {l}", t.namespace, t.pod, t.container)
                            }),
                    ),
                    Err(e) => failed.push(format!(
                        "log {}/{} ({}): {e}",
                        t.namespace, t.pod, t.container
                    )),
                }
            }
            if !hits.is_empty() {
                answer(Verdict::Pass, format!("the logs say '{pattern}'"), hits)
            } else if !failed.is_empty() {
                answer(Verdict::Unknown, "a log could not be read", failed)
            } else {
                answer(
                    Verdict::Fail,
                    format!("no recent line says '{pattern}'"),
                    vec![],
                )
            }
        }
        Check::Finding { code } => {
            has_finding(env, &[code.as_str()], &format!("no {code} finding"))
        }
        Check::GitIgnored { path } | Check::GitTracked { path } => {
            let Some(git) = env.git else {
                return answer(
                    Verdict::Unknown,
                    "no GitOps checkout configured: pass --repo PATH to check the repository",
                    vec![],
                );
            };
            let (asked, result) = match check {
                Check::GitIgnored { .. } => ("ignored by .gitignore", git.ignored(path)),
                _ => ("tracked", git.tracked(path)),
            };
            match result {
                Ok(true) => answer(Verdict::Pass, format!("{path} is {asked}"), vec![]),
                Ok(false) => answer(Verdict::Fail, format!("{path} is not {asked}"), vec![]),
                Err(e) => answer(Verdict::Error, e, vec![]),
            }
        }
    }
}
