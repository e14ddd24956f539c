//! The alert audit (ALR): for each CNPG Cluster that backs up, whether an alert in the
//! cluster's PrometheusRules watches its backup age, its backup failures and its WAL
//! archiving (ALR001); alerts that watch a plugin Cluster through the `cnpg_collector_*`
//! backup metrics, which read 0 or freeze for it (ALR002); and a Cluster whose metrics no
//! PodMonitor or ServiceMonitor scrapes (ALR003).
//!
//! Alerts may live outside the cluster (a Prometheus rule file, a hosted ruler): without the
//! PrometheusRule API, or with no PrometheusRule at all, coverage is not audited and
//! `audit` says so in a note instead of a finding per Cluster.

pub mod promql;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::SyncState;
use crate::model::alerting::{MonitorRow, PromRule};
use crate::model::rows::ClusterRow;
use promql::{DEPRECATED, Matcher};

const PLUGIN_AVAILABLE: &str = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";
const PLUGIN_FAILED: &str = "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp";
const MONITORING_DOCS: &str = "https://cloudnative-pg.io/documentation/current/monitoring/";

/// What a backup alert watches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Aspect {
    Age,
    Failure,
    Archiving,
}

impl Aspect {
    pub const ALL: [Aspect; 3] = [Aspect::Age, Aspect::Failure, Aspect::Archiving];

    pub fn word(self) -> &'static str {
        match self {
            Aspect::Age => "backup age",
            Aspect::Failure => "backup failure",
            Aspect::Archiving => "WAL archiving",
        }
    }

    /// The metrics that watch it for a Cluster: the in-core backup metrics only for one
    /// that does not back up through the plugin.
    fn metrics(self, plugin: bool) -> Vec<&'static str> {
        let mut m = match self {
            Aspect::Age => vec![
                PLUGIN_AVAILABLE,
                "backstop_cluster_last_good_backup_timestamp_seconds",
                "backstop_cluster_last_good_backup_age_seconds",
            ],
            Aspect::Failure => vec![PLUGIN_FAILED, "backstop_finding"],
            Aspect::Archiving => vec![
                "cnpg_pg_stat_archiver_last_failed_time",
                "cnpg_pg_stat_archiver_failed_count",
                "cnpg_pg_stat_archiver_last_archived_time",
                "cnpg_pg_stat_archiver_seconds_since_last_archival",
                "cnpg_pg_stat_archiver_seconds_since_last_failure",
                "cnpg_pg_stat_archiver_archived_count",
                "backstop_cluster_wal_archiving_failing",
                "backstop_cluster_wal_archive_lag_seconds",
            ],
        };
        if !plugin {
            match self {
                Aspect::Age => m.push(DEPRECATED[1].0),
                Aspect::Failure => m.push(DEPRECATED[0].0),
                Aspect::Archiving => {}
            }
        }
        m
    }
}

/// One Cluster's alerting, as the audit found it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Coverage {
    pub namespace: String,
    pub name: String,
    pub plugin: bool,
    /// The alerts (`ns/rule: Alert`) watching each aspect.
    pub by: BTreeMap<Aspect, Vec<String>>,
    /// Alerts that watch it through a metric frozen or 0 for it, with that metric.
    pub frozen: Vec<(String, &'static str, &'static str)>,
    /// The monitors scraping its pods; None when they could not be read.
    pub scraped_by: Option<Vec<String>>,
}

impl Coverage {
    pub fn missing(&self) -> Vec<Aspect> {
        Aspect::ALL
            .into_iter()
            .filter(|a| self.by.get(a).is_none_or(Vec::is_empty))
            .collect()
    }
}

/// The audit of every Cluster that backs up.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Audit {
    /// Whether the rules were audited (PrometheusRules readable and at least one present).
    pub rules_audited: bool,
    pub rule_count: usize,
    pub clusters: Vec<Coverage>,
    /// What was not audited and why.
    pub notes: Vec<String>,
}

fn backs_up(c: &ClusterRow) -> bool {
    c.legacy_barman || c.plugin.as_ref().is_some_and(|p| p.enabled)
}

fn is_plugin(c: &ClusterRow) -> bool {
    c.plugin.as_ref().is_some_and(|p| p.enabled)
}

/// Whether a selector's matchers let a series of this Cluster through: only the labels that
/// name it (namespace, cluster, an instance pod; a finding's code) are judged.
fn selects(matchers: &Option<Vec<Matcher>>, c: &ClusterRow) -> bool {
    let Some(ms) = matchers else { return true };
    let pod = format!("{}-1", c.name);
    ms.iter().all(|m| match m.label.as_str() {
        "namespace" => m.accepts(&c.namespace),
        "cluster" => m.accepts(&c.name),
        "pod" => m.accepts(&pod),
        "code" => m.accepts("BKP001"),
        _ => true,
    })
}

/// Whether an expression watches this metric for this Cluster, directly or through a
/// recording rule that does.
fn watches(expr: &str, metric: &str, c: &ClusterRow, records: &[&PromRule]) -> bool {
    let direct = promql::selectors(expr, metric)
        .iter()
        .any(|m| selects(m, c));
    direct
        || records.iter().any(|r| {
            r.record
                .as_deref()
                .is_some_and(|name| promql::names(expr, name))
                && promql::selectors(&r.expr, metric)
                    .iter()
                    .any(|m| selects(m, c))
        })
}

fn monitor_name(m: &MonitorRow) -> String {
    format!("{} {}/{}", m.kind, m.namespace, m.name)
}

/// The monitors that scrape a Cluster's instance pods, or None when neither kind could be
/// read (no Prometheus Operator here: Prometheus may scrape by other means).
fn scrapers(f: &Facts, c: &ClusterRow) -> Option<Vec<String>> {
    let pods =
        f.snapshot.pods.rows.iter().filter(|p| {
            p.namespace == c.namespace && p.labels.get("cnpg.io/cluster") == Some(&c.name)
        });
    let mut labels: Vec<BTreeMap<String, String>> = pods.map(|p| p.labels.clone()).collect();
    if labels.is_empty() {
        // No pod seen (saved manifests without pods): the labels the operator gives them.
        labels.push(
            [
                ("cnpg.io/cluster", c.name.as_str()),
                ("cnpg.io/podRole", "instance"),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        );
    }
    // A ServiceMonitor selects Services: one made for a Cluster carries its label.
    let service: BTreeMap<String, String> =
        [("cnpg.io/cluster".to_string(), c.name.clone())].into();
    let pm_live = f.pod_monitors.sync == SyncState::Live;
    let sm_live = f.service_monitors.sync == SyncState::Live;
    if !pm_live && !sm_live {
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    if pm_live {
        out.extend(
            f.pod_monitors
                .rows
                .iter()
                .filter(|m| labels.iter().any(|l| m.selects(&c.namespace, l)))
                .map(|m| monitor_name(m)),
        );
    }
    if sm_live {
        out.extend(
            f.service_monitors
                .rows
                .iter()
                .filter(|m| m.selects(&c.namespace, &service))
                .map(|m| monitor_name(m)),
        );
    }
    Some(out)
}

pub fn audit(f: &Facts) -> Audit {
    let rules = &f.prometheus_rules;
    let mut notes = Vec::new();
    let rules_audited = match &rules.sync {
        SyncState::Live if rules.rows.is_empty() => {
            notes.push(
                "No PrometheusRule in the cluster: alert coverage not audited (alerts may live in a Prometheus \
                 rule file or elsewhere). `backstop alerts rules | kubectl apply -f -` adds backup alerts."
                    .to_string(),
            );
            false
        }
        SyncState::Live => true,
        SyncState::NotInstalled { .. } => {
            notes.push(
                "The PrometheusRule API is not served (no Prometheus Operator): alert coverage not audited \
                 (alerts may live in a Prometheus rule file or elsewhere)."
                    .to_string(),
            );
            false
        }
        other => {
            notes.push(format!(
                "PrometheusRules not read ({}): alert coverage not audited.",
                other.word()
            ));
            false
        }
    };
    let mut clusters = Vec::new();
    for c in f.snapshot.clusters.rows.iter().filter(|c| backs_up(c)) {
        let plugin = is_plugin(c);
        let mut cov = Coverage {
            namespace: c.namespace.clone(),
            name: c.name.clone(),
            plugin,
            scraped_by: scrapers(f, c),
            ..Default::default()
        };
        if rules_audited {
            for row in rules.rows.iter() {
                let records: Vec<&PromRule> =
                    row.rules.iter().filter(|r| r.record.is_some()).collect();
                for r in row.rules.iter() {
                    let Some(alert) = &r.alert else { continue };
                    let named = format!("{}/{}: {alert}", row.namespace, row.name);
                    for aspect in Aspect::ALL {
                        if aspect
                            .metrics(plugin)
                            .iter()
                            .any(|m| watches(&r.expr, m, c, &records))
                        {
                            cov.by.entry(aspect).or_default().push(named.clone());
                        }
                    }
                    if plugin {
                        for (old, new) in DEPRECATED {
                            if watches(&r.expr, old, c, &records) {
                                cov.frozen.push((named.clone(), old, new));
                            }
                        }
                    }
                }
            }
        }
        clusters.push(cov);
    }
    Audit {
        rules_audited,
        rule_count: rules.rows.len(),
        clusters,
        notes,
    }
}

/// `a`, `a or b`, `a, b or c`.
fn or_list(words: &[&str]) -> String {
    match words.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The audit as findings, for `backstop check`.
pub fn rules(f: &Facts, _now: DateTime<Utc>, _th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let a = audit(f);
    for c in &a.clusters {
        let obj = ObjectRef::new(Kind::Cluster, &c.namespace, &c.name);
        let (ns, name) = (&c.namespace, &c.name);
        let missing = c.missing();
        if a.rules_audited && !missing.is_empty() {
            let words = or_list(&missing.iter().map(|m| m.word()).collect::<Vec<_>>());
            let mut evidence = vec![format!(
                "{} PrometheusRule(s) read; no alert watches its {words}",
                a.rule_count
            )];
            for (aspect, by) in &c.by {
                evidence.push(format!("{} watched by {}", aspect.word(), by.join(", ")));
            }
            for (rule, old, _) in &c.frozen {
                evidence.push(format!(
                    "{rule} reads {old}, which does not update for a plugin Cluster: it does not count"
                ));
            }
            out.push(Finding::new(
                "ALR001",
                Severity::Warning,
                obj.clone(),
                format!("No alert watches the {words} of Cluster {ns}/{name}"),
                evidence,
                format!(
                    "Add backup alerts that work for this Cluster: `backstop -n monitoring alerts rules --labels \
                     <your Prometheus ruleSelector> | kubectl apply -f -` (they read backstop's exporter, the \
                     plugin's {PLUGIN_AVAILABLE} and cnpg_pg_stat_archiver_*). Then `backstop alerts audit` \
                     shows which alert watches what."
                ),
            ));
        }
        if !c.frozen.is_empty() {
            out.push(Finding::new(
                "ALR002",
                Severity::Warning,
                obj.clone(),
                format!(
                    "Alerts on Cluster {ns}/{name} read backup metrics that freeze for a plugin Cluster"
                ),
                c.frozen
                    .iter()
                    .map(|(rule, old, _)| {
                        format!("{rule} reads {old} (deprecated; 0 or frozen since the Cluster backs up through the plugin)")
                    })
                    .collect(),
                format!(
                    "In each alert, read the plugin's metric instead: {}. It reads 0 until the ObjectStore \
                     reports a recovery window, so filter `> 0`; `backstop alerts rules` writes such alerts. \
                     See https://cloudnative-pg.io/plugin-barman-cloud/docs/migration/",
                    c.frozen
                        .iter()
                        .map(|(_, old, new)| format!("{old} → {new}"))
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if c.scraped_by.as_ref().is_some_and(Vec::is_empty) {
            out.push(Finding::new(
                "ALR003",
                Severity::Warning,
                obj,
                format!("No PodMonitor or ServiceMonitor scrapes Cluster {ns}/{name}"),
                vec![format!(
                    "no PodMonitor selects its pods (cnpg.io/cluster={name}) in {ns}, and no ServiceMonitor selects a Service labelled so; spec.monitoring.enablePodMonitor would have created one"
                )],
                format!(
                    "Without its metrics no alert on its archiver or its plugin backups can fire. Create a \
                     PodMonitor in {ns} selecting `cnpg.io/cluster: {name}` on port `metrics` \
                     ({MONITORING_DOCS})."
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests;
