//! The audit on PrometheusRules as users write them: CloudNativePG's sample rules, the
//! cluster chart's, a home-ops rule on the frozen in-core metric, and backstop's own.

use std::sync::Arc;

use serde_json::json;

use super::*;
use crate::assess::testing::{cluster, codes, live, now, one};
use crate::model::alerting::{MonitorRow, PromRuleRow};
use crate::model::{KindState, SyncState};

fn rows<R: crate::model::rows::Row>(rows: Vec<R>) -> KindState<R> {
    let mut st = KindState::without_rows(SyncState::Live);
    st.rows = Arc::new(rows.into_iter().map(Arc::new).collect());
    st
}

fn rule(ns: &str, name: &str, rules: serde_json::Value) -> PromRuleRow {
    PromRuleRow::project(&json!({
        "metadata": {"namespace": ns, "name": name},
        "spec": {"groups": [{"name": "g", "rules": rules}]}
    }))
}

/// docs/src/samples/monitoring/prometheusrule.yaml of cloudnative-pg: the archiver alert
/// is its only backup-related one.
fn upstream_sample() -> PromRuleRow {
    rule(
        "monitoring",
        "cnpg-default-alerts",
        json!([
            {"alert": "LongRunningTransaction", "expr": "cnpg_backends_max_tx_duration_seconds > 300", "for": "1m"},
            {"alert": "LastFailedArchiveTime",
             "expr": "(cnpg_pg_stat_archiver_last_failed_time - cnpg_pg_stat_archiver_last_archived_time) > 1",
             "for": "1m"},
        ]),
    )
}

/// The cluster chart's rules: none about backups.
fn chart_rules() -> PromRuleRow {
    rule(
        "db",
        "pg-alert-rules",
        json!([
            {"alert": "CNPGClusterOffline", "expr": "(count(cnpg_collector_up{namespace=\"db\",pod=~\"pg-([1-9][0-9]*)$\"}) OR on() vector(0)) == 0"},
        ]),
    )
}

/// A home-ops rule on the in-core metric, as plugin users kept it.
fn frozen() -> PromRuleRow {
    rule(
        "monitoring",
        "cnpg-backup-alerts",
        json!([{"alert": "CNPGLastBackupTooOld",
                "expr": "time() - cnpg_collector_last_available_backup_timestamp > 30 * 3600"}]),
    )
}

fn facts(rules: Vec<PromRuleRow>, clusters: Vec<ClusterRow>) -> Facts {
    let mut f = Facts::default();
    f.snapshot.clusters = live(clusters);
    f.prometheus_rules = rows(rules);
    f.pod_monitors = KindState::without_rows(SyncState::NotInstalled {
        what: "PodMonitor".into(),
    });
    f.service_monitors = KindState::without_rows(SyncState::NotInstalled {
        what: "ServiceMonitor".into(),
    });
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

#[test]
fn the_upstream_sample_watches_only_wal_archiving() {
    let out = run(&facts(
        vec![upstream_sample(), chart_rules()],
        vec![cluster("db", "pg", "store")],
    ));
    let f = one(&out, "ALR001");
    assert_eq!(
        f.summary,
        "No alert watches the backup age or backup failure of Cluster db/pg"
    );
    assert!(
        f.evidence.iter().any(|e| e
            == "WAL archiving watched by monitoring/cnpg-default-alerts: LastFailedArchiveTime"),
        "{:?}",
        f.evidence
    );
    assert!(
        f.remedy.contains("backstop -n monitoring alerts rules"),
        "{}",
        f.remedy
    );
    assert_eq!(codes(&out), ["ALR001"]);
}

#[test]
fn an_alert_on_the_frozen_metric_does_not_watch_a_plugin_cluster() {
    let mut legacy = cluster("db", "old", "store");
    legacy.plugin = None;
    legacy.legacy_barman = true;
    let out = run(&facts(
        vec![frozen(), upstream_sample()],
        vec![cluster("db", "pg", "store"), legacy],
    ));
    let alr2 = one(&out, "ALR002");
    assert_eq!(alr2.object.name, "pg");
    assert_eq!(
        alr2.evidence,
        [
            "monitoring/cnpg-backup-alerts: CNPGLastBackupTooOld reads cnpg_collector_last_available_backup_timestamp (deprecated; 0 or frozen since the Cluster backs up through the plugin)"
        ]
    );
    assert!(alr2.remedy.contains("cnpg_collector_last_available_backup_timestamp → barman_cloud_cloudnative_pg_io_last_available_backup_timestamp"), "{}", alr2.remedy);
    // For the plugin Cluster its age is not watched; for the in-tree one it is.
    let age: Vec<_> = out.findings.iter().filter(|f| f.code == "ALR001").collect();
    assert_eq!(age.len(), 2);
    let pg = age.iter().find(|f| f.object.name == "pg").unwrap();
    assert!(pg.summary.contains("backup age"), "{}", pg.summary);
    let old = age.iter().find(|f| f.object.name == "old").unwrap();
    assert_eq!(
        old.summary,
        "No alert watches the backup failure of Cluster db/old"
    );
}

#[test]
fn backstops_own_rules_watch_everything_and_a_namespace_matcher_is_honoured() {
    let own = rule(
        "monitoring",
        "backstop-backups",
        json!([
            {"alert": "BackstopBackupTooOld", "expr": "time() - max by (namespace, cluster) (label_replace(barman_cloud_cloudnative_pg_io_last_available_backup_timestamp > 0, \"cluster\", \"$1\", \"pod\", \"(.+)-[0-9]+\") or backstop_cluster_last_good_backup_timestamp_seconds) > 93600"},
            {"alert": "BackstopNewestBackupFailed", "expr": "backstop_finding{code=\"BKP001\"} == 1"},
            {"alert": "BackstopWALArchivingFailing", "expr": "max by (namespace, cluster) (backstop_cluster_wal_archiving_failing == 1)"},
        ]),
    );
    let scoped = rule(
        "monitoring",
        "team-a",
        json!([
            {"record": "team:backup_ts", "expr": "max by (namespace, pod) (barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{namespace=~\"team-a|team-b\"})"},
            {"alert": "TeamBackupOld", "expr": "time() - team:backup_ts > 86400"},
            {"alert": "TeamFailed", "expr": "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp{namespace=\"team-a\"} > 0"},
        ]),
    );
    let f = facts(vec![own], vec![cluster("db", "pg", "store")]);
    assert!(run(&f).findings.is_empty(), "{:#?}", run(&f).findings);
    let out = run(&facts(
        vec![scoped],
        vec![cluster("team-b", "pg", "s"), cluster("team-c", "pg", "s")],
    ));
    let b = out
        .findings
        .iter()
        .find(|f| f.object.namespace == "team-b")
        .unwrap();
    assert_eq!(
        b.summary,
        "No alert watches the backup failure or WAL archiving of Cluster team-b/pg"
    );
    assert!(
        b.evidence
            .iter()
            .any(|e| e == "backup age watched by monitoring/team-a: TeamBackupOld"),
        "{:?}",
        b.evidence
    );
    let c = out
        .findings
        .iter()
        .find(|f| f.object.namespace == "team-c")
        .unwrap();
    assert!(
        c.summary
            .contains("backup age, backup failure or WAL archiving"),
        "{}",
        c.summary
    );
}

#[test]
fn without_any_prometheus_rule_coverage_is_not_audited() {
    let mut f = facts(vec![], vec![cluster("db", "pg", "store")]);
    assert!(run(&f).findings.is_empty());
    assert!(
        audit(&f).notes[0].starts_with("No PrometheusRule in the cluster"),
        "{:?}",
        audit(&f).notes
    );
    f.prometheus_rules = KindState::without_rows(SyncState::NotInstalled {
        what: "PrometheusRule".into(),
    });
    assert!(run(&f).findings.is_empty());
    assert!(!audit(&f).rules_audited);
}

fn pod_monitor(ns: &str, name: &str, cluster: &str) -> MonitorRow {
    MonitorRow::project(
        "PodMonitor",
        &json!({"metadata": {"namespace": ns, "name": name},
                "spec": {"selector": {"matchLabels": {"cnpg.io/cluster": cluster, "cnpg.io/podRole": "instance"}},
                         "podMetricsEndpoints": [{"port": "metrics"}]}}),
    )
}

#[test]
fn a_cluster_no_monitor_selects_is_not_scraped() {
    let mut f = facts(
        vec![],
        vec![
            cluster("db", "pg", "store"),
            cluster("db", "watched", "store"),
        ],
    );
    f.pod_monitors = rows(vec![
        pod_monitor("db", "watched", "watched"),
        pod_monitor("other", "pg", "pg"),
    ]);
    f.service_monitors = rows(vec![]);
    let out = run(&f);
    let alr3 = one(&out, "ALR003");
    assert_eq!(alr3.object.name, "pg");
    assert_eq!(
        alr3.summary,
        "No PodMonitor or ServiceMonitor scrapes Cluster db/pg"
    );
    assert!(
        alr3.remedy.contains("cnpg.io/cluster: pg"),
        "{}",
        alr3.remedy
    );
    // Without the monitors' API nothing is said: Prometheus may scrape by other means.
    f.pod_monitors = KindState::without_rows(SyncState::NotInstalled {
        what: "PodMonitor".into(),
    });
    f.service_monitors = KindState::without_rows(SyncState::NotInstalled {
        what: "ServiceMonitor".into(),
    });
    assert!(run(&f).findings.is_empty());
}
