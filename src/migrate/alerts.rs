//! Alerts and dashboards still built on the in-core backup metrics. CloudNativePG deprecated
//! `cnpg_collector_last_failed_backup_timestamp`, `cnpg_collector_last_available_backup_timestamp`
//! and `cnpg_collector_first_recoverability_point` in 1.26: they stop updating once a
//! Cluster backs up through a plugin (they read 0 or freeze), so an alert on them either
//! fires for ever or never again. The Barman Cloud plugin exposes the same three under the
//! `barman_cloud_cloudnative_pg_io_` prefix. The other `cnpg_collector_*` metrics are not
//! about backups and keep working: they are not flagged.

use std::path::{Path, PathBuf};

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde::Serialize;
use serde_json::Value;

/// Each deprecated metric and the plugin's metric that replaces it: one table, the alert
/// audit's.
pub use crate::assess::alerting::promql::DEPRECATED;

/// Where the metric names and their replacements are documented.
pub const DOCS: &str = "https://cloudnative-pg.io/plugin-barman-cloud/docs/migration/";

/// The most files of a checkout read, and the largest one.
const MAX_FILES: usize = 20_000;
const MAX_FILE: u64 = 4 * 1024 * 1024;

/// One use of a deprecated metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    /// `PrometheusRule ns/name, group G, alert A` or `path:line`.
    pub place: String,
    pub metric: &'static str,
    pub replacement: &'static str,
}

impl Hit {
    pub fn describe(&self) -> String {
        format!("{}: {} (use {})", self.place, self.metric, self.replacement)
    }
}

/// The deprecated metrics a text names, each once, in the table's order. A name is
/// matched whole: `cnpg_collector_first_recoverability_point_total` is another metric.
pub fn metrics_in(text: &str) -> Vec<(&'static str, &'static str)> {
    crate::assess::alerting::promql::deprecated_in(text)
}

fn text(v: &Value, key: &str) -> String {
    let s = v.get(key).and_then(Value::as_str).unwrap_or_default();
    crate::sanitize::bounded(&crate::sanitize::clean(s), 120).into_owned()
}

/// The uses in one PrometheusRule as the API serves it: each rule's `expr`, named by its
/// group and its alert (or recording rule).
pub fn in_rule(rule: &Value) -> Vec<Hit> {
    let ns = rule
        .pointer("/metadata/namespace")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = rule
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let mut out = Vec::new();
    let groups = rule
        .pointer("/spec/groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    for g in groups {
        let rules = g
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for r in rules {
            let expr = match r.get("expr") {
                Some(Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => continue,
            };
            let what = if r.get("alert").is_some() {
                format!("alert {}", text(r, "alert"))
            } else {
                format!("record {}", text(r, "record"))
            };
            for (metric, replacement) in metrics_in(&expr) {
                out.push(Hit {
                    place: format!(
                        "PrometheusRule {}/{}, group {}, {what}",
                        crate::sanitize::clean(ns),
                        crate::sanitize::clean(name),
                        text(g, "name")
                    ),
                    metric,
                    replacement,
                });
            }
        }
    }
    out
}

/// The uses in one file's text, by line: `file:line`.
pub fn in_file(shown: &str, content: &str) -> Vec<Hit> {
    let mut out = Vec::new();
    for (i, line) in content.lines().enumerate() {
        for (metric, replacement) in metrics_in(line) {
            out.push(Hit {
                place: format!("{shown}:{}", i + 1),
                metric,
                replacement,
            });
        }
    }
    out
}

/// What looking at the cluster's PrometheusRules found.
#[derive(Debug, Clone, PartialEq)]
pub enum RulesSeen {
    /// The kind is not served: no Prometheus Operator here.
    NoCrd,
    /// They could not be listed, and why.
    Unreadable(String),
    /// How many were read, and the uses found.
    Read(usize, Vec<Hit>),
}

fn prometheus_rules() -> ApiResource {
    ApiResource {
        group: "monitoring.coreos.com".into(),
        version: "v1".into(),
        api_version: "monitoring.coreos.com/v1".into(),
        kind: "PrometheusRule".into(),
        plural: "prometheusrules".into(),
    }
}

/// Every PrometheusRule the user can list (all namespaces; else the Cluster's own).
pub async fn in_cluster(client: &kube::Client, fallback_ns: &str) -> RulesSeen {
    let ar = prometheus_rules();
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let listed = match tokio::time::timeout(
        std::time::Duration::from_secs(20),
        all.list(&ListParams::default()),
    )
    .await
    {
        Ok(Ok(l)) => Ok(l),
        Ok(Err(kube::Error::Api(s))) if s.code == 403 => {
            let one: Api<DynamicObject> = Api::namespaced_with(client.clone(), fallback_ns, &ar);
            one.list(&ListParams::default()).await
        }
        Ok(Err(e)) => Err(e),
        Err(_) => return RulesSeen::Unreadable("listing PrometheusRules timed out".into()),
    };
    match listed {
        Ok(l) => {
            let hits = l
                .items
                .iter()
                .filter_map(|o| serde_json::to_value(o).ok())
                .flat_map(|v| in_rule(&v))
                .collect();
            RulesSeen::Read(l.items.len(), hits)
        }
        Err(kube::Error::Api(s)) if s.code == 404 => RulesSeen::NoCrd,
        Err(kube::Error::Api(s)) => RulesSeen::Unreadable(format!(
            "listing PrometheusRules: {} ({})",
            crate::sanitize::untrusted(&s.message),
            s.code
        )),
        Err(e) => RulesSeen::Unreadable(format!("listing PrometheusRules: {e}")),
    }
}

/// The files git tracks in `repo` that a monitoring stack reads: YAML and JSON (Grafana
/// dashboards are JSON).
fn tracked(repo: &Path) -> Result<(PathBuf, Vec<PathBuf>), String> {
    let checkout = crate::gitops::Checkout::discover(repo).map_err(|e| e.to_string())?;
    let files = checkout
        .tracked_all()
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|p| {
            let l = p.to_string_lossy().to_ascii_lowercase();
            [".yaml", ".yml", ".json", ".jsonnet", ".libsonnet"]
                .iter()
                .any(|e| l.ends_with(e))
        })
        .take(MAX_FILES)
        .collect();
    Ok((checkout.root, files))
}

/// The uses in the tracked YAML and JSON files of a GitOps checkout, by `file:line`.
pub fn in_repo(repo: &Path) -> Result<(usize, Vec<Hit>), String> {
    let (root, files) = tracked(repo)?;
    let mut hits = Vec::new();
    for rel in &files {
        let path = root.join(rel);
        // Dashboards and manifests are small; a large tracked file is data, not config.
        if std::fs::metadata(&path).map_or(true, |m| m.len() > MAX_FILE) {
            continue;
        }
        let Ok(content) = crate::files::read_text(&path, crate::files::DUMP_LIMIT) else {
            continue;
        };
        let shown = crate::sanitize::clean(&rel.display().to_string()).into_owned();
        hits.extend(in_file(&shown, &content));
    }
    Ok((files.len(), hits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_rule_on_the_old_metric_is_named_by_group_and_alert_with_its_replacement() {
        let rule = json!({
            "metadata": {"namespace": "monitoring", "name": "cnpg-backup-alerts"},
            "spec": {"groups": [{"name": "cnpg-backups", "rules": [
                {"alert": "CNPGBackupTooOld",
                 "expr": "time() - cnpg_collector_last_available_backup_timestamp > 86400"},
                {"alert": "CNPGUp", "expr": "cnpg_collector_up == 0"},
                {"record": "cnpg:recover", "expr": "cnpg_collector_first_recoverability_point"}
            ]}]}
        });
        let hits = in_rule(&rule);
        assert_eq!(hits.len(), 2, "{hits:?}");
        assert_eq!(
            hits[0].describe(),
            "PrometheusRule monitoring/cnpg-backup-alerts, group cnpg-backups, alert CNPGBackupTooOld: cnpg_collector_last_available_backup_timestamp (use barman_cloud_cloudnative_pg_io_last_available_backup_timestamp)"
        );
        assert!(hits[1].place.ends_with("record cnpg:recover"));
        assert_eq!(
            hits[1].replacement,
            "barman_cloud_cloudnative_pg_io_first_recoverability_point"
        );
    }

    #[test]
    fn only_whole_names_of_the_three_backup_metrics_count() {
        assert!(metrics_in("cnpg_collector_pg_wal_archive_status{value=\"ready\"}").is_empty());
        assert!(metrics_in("cnpg_collector_last_failed_backup_timestamp_x").is_empty());
        assert!(metrics_in("x_cnpg_collector_last_failed_backup_timestamp").is_empty());
        assert_eq!(
            metrics_in("max(cnpg_collector_last_failed_backup_timestamp{job=\"x\"})").len(),
            1
        );
        let dash = "{\n  \"targets\": [\n    {\"expr\": \"cnpg_collector_first_recoverability_point\"}\n  ]\n}";
        let hits = in_file("dashboards/cnpg.json", dash);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].place, "dashboards/cnpg.json:3");
    }
}
