//! The Prometheus alerting rules for backups, built on metrics that keep working once a
//! Cluster backs up through the Barman Cloud plugin: backstop's exporter
//! (`backstop_cluster_*`, `backstop_finding`), the plugin's
//! `barman_cloud_cloudnative_pg_io_*` and the instance's `cnpg_pg_stat_archiver_*`. Never the
//! deprecated `cnpg_collector_*` backup metrics: they read 0 or freeze on plugin clusters.
//!
//! CloudNativePG's instance metrics carry the target's `namespace` and `pod`, not the Cluster's
//! name (the operator's PodMonitor adds no relabelling); an instance pod is named
//! `<cluster>-<serial>`, so the rules derive `cluster` from `pod` to join them with backstop's
//! per-Cluster series. The exporter's series carry `namespace` and `cluster` themselves.

use std::time::Duration;

use serde::Serialize;

use crate::assess::Thresholds;

/// The plugin's metrics (plugin-barman-cloud `web/docs/observability.md`).
pub const PLUGIN_LAST_AVAILABLE: &str =
    "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";
pub const PLUGIN_LAST_FAILED: &str = "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp";

/// The group every rule is in.
pub const GROUP: &str = "backstop.backups";

/// Critical findings a dedicated alert already reports: not repeated by the catch-all one.
const COVERED_CODES: &str = "BKP001|BKP002|BKP005|ARC002";

/// The limits the rules are written with.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleThresholds {
    /// The newest good backup older than this fires (the config's `backup-max-age`).
    pub backup_max_age: Duration,
    /// The last drill older than this fires (the config's `drill-max-age`).
    pub drill_max_age: Duration,
    /// No WAL archived for this long fires (rules only: `wal-archive-lag`).
    pub wal_archive_lag: Duration,
    /// The exporter's last evaluation older than this fires (rules only: `exporter-stale`).
    pub exporter_stale: Duration,
}

impl RuleThresholds {
    /// The rules' own names, beside the config's `check.thresholds` ones.
    pub const NAMES: [&'static str; 2] = ["wal-archive-lag", "exporter-stale"];

    pub fn from(th: &Thresholds) -> Self {
        RuleThresholds {
            backup_max_age: th.backup_max_age,
            drill_max_age: th.drill_max_age,
            wal_archive_lag: Duration::from_secs(3600),
            exporter_stale: Duration::from_secs(15 * 60),
        }
    }
}

/// One alerting rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub alert: &'static str,
    pub expr: String,
    #[serde(rename = "for")]
    pub for_: String,
    pub labels: Labels,
    pub annotations: Annotations,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Labels {
    pub severity: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotations {
    pub summary: String,
    pub description: String,
}

/// A duration as PromQL and Prometheus's `for:` write it, in the largest whole unit.
pub fn prom_duration(d: Duration) -> String {
    let s = d.as_secs().max(1);
    if s.is_multiple_of(86_400) {
        format!("{}d", s / 86_400)
    } else if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// An instance metric per Cluster: `cluster` from the pod's name, the largest value of its
/// instances (the plugin's metrics are the same on every instance; the archiver's are
/// served by the primary only).
fn per_cluster(selector: &str) -> String {
    format!(
        "max by (namespace, cluster) (label_replace({selector}, \"cluster\", \"$1\", \"pod\", \"(.+)-[0-9]+\"))"
    )
}

const WHERE: &str = "{{ $labels.namespace }}/{{ $labels.cluster }}";

fn check_cmd() -> &'static str {
    "`backstop -n {{ $labels.namespace }} check`"
}

fn alert(
    name: &'static str,
    severity: &'static str,
    for_: Duration,
    expr: String,
    summary: String,
    description: String,
) -> Alert {
    Alert {
        alert: name,
        expr,
        for_: prom_duration(for_),
        labels: Labels { severity },
        annotations: Annotations {
            summary,
            description,
        },
    }
}

/// Every rule, in the order a reader meets the failures: no backup, an old one, a failed one,
/// WAL, the proofs, then backstop itself.
pub fn alerts(th: &RuleThresholds) -> Vec<Alert> {
    let min = |m: u64| Duration::from_secs(m * 60);
    let age = th.backup_max_age.as_secs();
    let plugin_good = per_cluster(&format!("{PLUGIN_LAST_AVAILABLE} > 0"));
    let plugin_failed = per_cluster(&format!("{PLUGIN_LAST_FAILED} > 0"));
    let plugin_available = per_cluster(PLUGIN_LAST_AVAILABLE);
    let archiver_lag = per_cluster("cnpg_pg_stat_archiver_seconds_since_last_archival >= 0");
    let lag = th.wal_archive_lag.as_secs();
    vec![
        alert(
            "BackstopBackupMissing",
            "critical",
            min(60),
            format!(
                "backstop_cluster_info{{method!=\"none\"}}\n  unless on (namespace, cluster) backstop_cluster_last_good_backup_timestamp_seconds\n  unless on (namespace, cluster) {plugin_good}"
            ),
            format!("Cluster {WHERE} has no good backup at all"),
            format!(
                "Cluster {WHERE} is configured to back up ({{{{ $labels.method }}}}) but neither its Backups nor the \
                 plugin show a completed backup: it cannot be restored. Run {} and walk the tree: \
                 `backstop -n {{{{ $labels.namespace }}}} trees walk backup-failing`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopBackupTooOld",
            "critical",
            min(10),
            format!(
                "time() - max by (namespace, cluster) (\n    label_replace({PLUGIN_LAST_AVAILABLE} > 0, \"cluster\", \"$1\", \"pod\", \"(.+)-[0-9]+\")\n  or\n    backstop_cluster_last_good_backup_timestamp_seconds\n) > {age}"
            ),
            format!(
                "The last good backup of Cluster {WHERE} is older than {}",
                prom_duration(th.backup_max_age)
            ),
            format!(
                "Cluster {WHERE} has had no completed backup for more than {} (its Backups and the plugin's \
                 last available backup agree). Run {} and walk `backstop -n {{{{ $labels.namespace }}}} trees walk \
                 backup-failing`.",
                prom_duration(th.backup_max_age),
                check_cmd()
            ),
        ),
        alert(
            "BackstopBackupFailed",
            "critical",
            min(5),
            format!("{plugin_failed}\n  > on (namespace, cluster)\n{plugin_available}"),
            format!("The last backup of Cluster {WHERE} failed"),
            format!(
                "The plugin reports a failed backup of Cluster {WHERE} newer than its last available one. Run {} \
                 and walk `backstop -n {{{{ $labels.namespace }}}} trees walk backup-failing`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopNewestBackupFailed",
            "critical",
            min(5),
            "backstop_finding{code=\"BKP001\"} == 1".into(),
            "Backup {{ $labels.namespace }}/{{ $labels.name }} failed".into(),
            format!(
                "The newest Backup, {{{{ $labels.namespace }}}}/{{{{ $labels.name }}}}, failed. Run {} to read \
                 why and walk `backstop -n {{{{ $labels.namespace }}}} trees walk backup-failing`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopWALArchivingFailing",
            "critical",
            min(5),
            format!(
                "{}\n  or\nmax by (namespace, cluster) (backstop_cluster_wal_archiving_failing == 1)",
                per_cluster(
                    "cnpg_pg_stat_archiver_last_failed_time > cnpg_pg_stat_archiver_last_archived_time"
                )
            ),
            format!("WAL archiving of Cluster {WHERE} is failing"),
            format!(
                "The primary of Cluster {WHERE} failed to archive a WAL file after its last success: the \
                 recovery window stops growing and pg_wal fills up. Run {} (the archiver findings quote \
                 the failing WAL) and walk `backstop -n {{{{ $labels.namespace }}}} trees walk \
                 objectstore-connection`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopWALArchiveLagging",
            "warning",
            min(15),
            format!(
                "{archiver_lag} > {lag}\n  or\n(max by (namespace, cluster) (backstop_cluster_wal_archive_lag_seconds) > {lag}\n  unless on (namespace, cluster) {archiver_lag})"
            ),
            format!(
                "No WAL of Cluster {WHERE} archived for {}",
                prom_duration(th.wal_archive_lag)
            ),
            format!(
                "The last WAL file of Cluster {WHERE} was archived more than {} ago. An idle database \
                 switches WAL rarely; a busy one that stops archiving loses its point-in-time recovery. \
                 Run {}.",
                prom_duration(th.wal_archive_lag),
                check_cmd()
            ),
        ),
        alert(
            "BackstopRecoveryWindowNotProven",
            "warning",
            min(60),
            "backstop_cluster_recovery_window_proven == 0".into(),
            format!("The recovery window of Cluster {WHERE} is not proven from its bucket"),
            format!(
                "backstop read the bucket of Cluster {WHERE} and could not prove a recovery window (a base \
                 backup followed by unbroken WAL). Run {} and walk `backstop -n {{{{ $labels.namespace }}}} \
                 trees walk restore-failing`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopDrillFailed",
            "warning",
            min(5),
            "backstop_cluster_last_drill_success == 0".into(),
            format!("The last restore drill of Cluster {WHERE} failed"),
            format!(
                "The last restore drill of Cluster {WHERE} did not pass. Run {} and drill again: \
                 `backstop -n {{{{ $labels.namespace }}}} restore drill {{{{ $labels.cluster }}}}`.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopDrillOverdue",
            "warning",
            min(60),
            format!(
                "time() - backstop_cluster_last_drill_timestamp_seconds > {}",
                th.drill_max_age.as_secs()
            ),
            format!(
                "Cluster {WHERE} has not been restore-drilled for {}",
                prom_duration(th.drill_max_age)
            ),
            format!(
                "The last restore drill of Cluster {WHERE} is older than {}. Drill it: `backstop -n \
                 {{{{ $labels.namespace }}}} restore drill {{{{ $labels.cluster }}}}`.",
                prom_duration(th.drill_max_age)
            ),
        ),
        alert(
            "BackstopCriticalFinding",
            "critical",
            min(10),
            format!("backstop_finding{{severity=\"critical\", code!~\"{COVERED_CODES}\"}} == 1"),
            "backstop reports {{ $labels.code }} on {{ $labels.kind }} {{ $labels.namespace }}/{{ $labels.name }}"
                .into(),
            format!(
                "backstop found a critical problem, {{{{ $labels.code }}}}, on {{{{ $labels.kind }}}} \
                 {{{{ $labels.namespace }}}}/{{{{ $labels.name }}}}. Run {} for the evidence and the remedy.",
                check_cmd()
            ),
        ),
        alert(
            "BackstopExporterAbsent",
            "critical",
            min(10),
            "absent(backstop_evaluation_timestamp_seconds)".into(),
            "backstop's exporter is not scraped".into(),
            "No backstop_evaluation_timestamp_seconds series: the exporter is down or Prometheus does \
             not scrape it, so no backup alert built on it can fire. Check its Deployment and its \
             ServiceMonitor (`backstop exporter manifests`)."
                .into(),
        ),
        alert(
            "BackstopExporterStale",
            "warning",
            min(5),
            format!(
                "time() - backstop_evaluation_timestamp_seconds > {}",
                th.exporter_stale.as_secs()
            ),
            format!(
                "backstop has not completed an evaluation for {}",
                prom_duration(th.exporter_stale)
            ),
            format!(
                "The exporter {{{{ $labels.instance }}}} is up but its last complete evaluation is older \
                 than {}: the Kubernetes API is unreachable or too slow for it. Read its log and \
                 backstop_evaluation_failures_total.",
                prom_duration(th.exporter_stale)
            ),
        ),
        alert(
            "BackstopKindUnreadable",
            "warning",
            min(15),
            "backstop_kind_readable == 0".into(),
            "backstop cannot read {{ $labels.kind }} objects".into(),
            "The exporter cannot list {{ $labels.kind }}: its ClusterRole lacks the permission or the \
             API is not served, so the findings about those objects are missing. Compare its \
             ClusterRole with `backstop exporter manifests`."
                .into(),
        ),
        alert(
            "BackstopBackupNotConfigured",
            "info",
            min(60),
            "backstop_cluster_info{method=\"none\"} == 1".into(),
            format!("Cluster {WHERE} has no backup configured"),
            format!(
                "Cluster {WHERE} has neither a plugin entry nor barmanObjectStore: it is never backed up. \
                 Run {} for the entry to add.",
                check_cmd()
            ),
        ),
    ]
}

/// What `backstop alerts rules` writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// A plain rule file for Prometheus's `rule_files:` instead of a PrometheusRule.
    pub plain: bool,
    pub name: String,
    pub namespace: Option<String>,
    /// The PrometheusRule's labels (what a Prometheus `ruleSelector` matches).
    pub labels: Vec<(String, String)>,
}

#[derive(Serialize)]
struct Group {
    name: &'static str,
    rules: Vec<Alert>,
}

#[derive(Serialize)]
struct Groups {
    groups: Vec<Group>,
}

#[derive(Serialize)]
struct Meta {
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    namespace: Option<String>,
    labels: std::collections::BTreeMap<String, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrometheusRule {
    api_version: &'static str,
    kind: &'static str,
    metadata: Meta,
    spec: Groups,
}

/// The rules as YAML: a PrometheusRule (monitoring.coreos.com/v1), or a plain rule file.
pub fn render(th: &RuleThresholds, out: &Output) -> anyhow::Result<String> {
    let groups = Groups {
        groups: vec![Group {
            name: GROUP,
            rules: alerts(th),
        }],
    };
    let yaml = if out.plain {
        serde_yaml::to_string(&groups)
    } else {
        let mut labels: std::collections::BTreeMap<String, String> = [(
            "app.kubernetes.io/managed-by".to_string(),
            "backstop".to_string(),
        )]
        .into();
        labels.extend(out.labels.iter().cloned());
        serde_yaml::to_string(&PrometheusRule {
            api_version: "monitoring.coreos.com/v1",
            kind: "PrometheusRule",
            metadata: Meta {
                name: out.name.clone(),
                namespace: out.namespace.clone(),
                labels,
            },
            spec: groups,
        })
    };
    yaml.map_err(|e| anyhow::anyhow!("writing the rules as YAML: {e}"))
}

/// `k=v,k2=v2` as Kubernetes label pairs, each key and value checked the way the API server
/// checks them, so `kubectl apply` does not refuse the file.
pub fn parse_labels(text: &str) -> Result<Vec<(String, String)>, String> {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 63
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    let mut out = Vec::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("label '{pair}': write it as key=value"))?;
        let (k, v) = (k.trim(), v.trim());
        let key_ok = match k.split_once('/') {
            // A key's prefix is a DNS subdomain, as an object's name is.
            Some((p, n)) => valid_name(p) && name_ok(n),
            None => name_ok(k),
        };
        if !key_ok {
            return Err(format!(
                "label key '{k}' is not a Kubernetes label key (an optional DNS prefix and '/', then up to 63 letters, digits, '-', '_' or '.')"
            ));
        }
        if !(v.is_empty() || name_ok(v)) {
            return Err(format!(
                "label value '{v}' of '{k}' is not a Kubernetes label value (up to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit)"
            ));
        }
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// A name the API server takes for an object (an RFC 1123 subdomain).
pub fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !p.starts_with('-')
                && !p.ends_with('-')
        })
}

#[cfg(test)]
mod tests;
