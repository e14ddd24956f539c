//! `backstop alerts rules` checked by Prometheus's own `promtool`: the file loads
//! (`check rules`) and every alert fires on the bad series and stays silent on the good ones
//! (`test rules`), including a plugin Cluster whose deprecated `cnpg_collector_*` metric reads
//! 0 or froze, and a Cluster with no backup at all (the inventory join).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

const PROMTOOL: &str = "/usr/bin/promtool";

fn promtool(args: &[&str], dir: &Path) -> String {
    assert!(
        Path::new(PROMTOOL).exists(),
        "{PROMTOOL} is missing: `.ci/run` installs it (Debian's prometheus package)"
    );
    let out = Command::new(PROMTOOL)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?} failed:\n{text}");
    text
}

fn backstop(args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "backstop {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The rules as generated, by alert name: (summary, description) templates.
fn templates(plain: &str) -> BTreeMap<String, (String, String)> {
    let y: serde_yaml::Value = serde_yaml::from_str(plain).unwrap();
    y["groups"][0]["rules"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["alert"].as_str().unwrap().to_string(),
                (
                    r["annotations"]["summary"].as_str().unwrap().to_string(),
                    r["annotations"]["description"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                ),
            )
        })
        .collect()
}

/// `{{ $labels.x }}` replaced by the label's value, as Prometheus renders it.
fn render(template: &str, labels: &BTreeMap<&str, &str>) -> String {
    let mut out = template.to_string();
    for (k, v) in labels {
        out = out.replace(&format!("{{{{ $labels.{k} }}}}"), v);
    }
    assert!(!out.contains("{{"), "an unrendered template: {out}");
    out
}

struct Case {
    alert: &'static str,
    at: &'static str,
    fires: Vec<Vec<(&'static str, &'static str)>>,
}

fn expected(t: &BTreeMap<String, (String, String)>, case: &Case, severity: &str) -> Value {
    let alerts: Vec<Value> = case
        .fires
        .iter()
        .map(|labels| {
            let mut l: BTreeMap<&str, &str> = labels.iter().copied().collect();
            l.insert("severity", severity);
            let (summary, description) = &t[case.alert];
            let description = render(description, &l);
            if let Some(c) = l.get("cluster") {
                assert!(description.contains(c), "{description}");
            }
            json!({
                "exp_labels": l,
                "exp_annotations": {"summary": render(summary, &l), "description": description},
            })
        })
        .collect();
    json!({"eval_time": case.at, "alertname": case.alert, "exp_alerts": alerts})
}

fn info(cluster: &str, method: &str) -> String {
    let store = if method == "none" { "" } else { "store" };
    let server = if method == "none" { "" } else { cluster };
    format!(
        "backstop_cluster_info{{job=\"backstop\",namespace=\"db\",cluster=\"{cluster}\",method=\"{method}\",object_store=\"{store}\",server_name=\"{server}\"}}"
    )
}

fn bs(metric: &str, cluster: &str) -> String {
    format!("{metric}{{job=\"backstop\",namespace=\"db\",cluster=\"{cluster}\"}}")
}

fn inst(metric: &str, pod: &str) -> String {
    let cluster = pod.rsplit_once('-').unwrap().0;
    format!("{metric}{{job=\"db/{cluster}\",namespace=\"db\",pod=\"{pod}\"}}")
}

const AVAIL: &str = "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp";
const FAILED: &str = "barman_cloud_cloudnative_pg_io_last_failed_backup_timestamp";

fn cluster_labels(c: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![("namespace", "db"), ("cluster", c)]
}

fn info_labels(c: &'static str, method: &'static str) -> Vec<(&'static str, &'static str)> {
    let (store, server) = if method == "none" {
        ("", "")
    } else {
        ("store", c)
    };
    vec![
        ("job", "backstop"),
        ("namespace", "db"),
        ("cluster", c),
        ("method", method),
        ("object_store", store),
        ("server_name", server),
    ]
    .into_iter()
    // An empty label is no label in Prometheus.
    .filter(|(_, v)| !v.is_empty())
    .collect()
}

#[test]
fn the_generated_rules_load_and_each_alert_fires_only_on_bad_series() {
    let dir = tempfile::tempdir().unwrap();
    // The default file loads as it is printed.
    std::fs::write(
        dir.path().join("default.yaml"),
        backstop(&["alerts", "rules", "--plain"]),
    )
    .unwrap();
    let checked = promtool(&["check", "rules", "default.yaml"], dir.path());
    assert!(checked.contains("SUCCESS"), "{checked}");

    // A short drill age, so the overdue drill fires within a test's length.
    let plain = backstop(&[
        "alerts",
        "rules",
        "--plain",
        "--threshold",
        "drill-max-age=2h",
    ]);
    std::fs::write(dir.path().join("rules.yaml"), &plain).unwrap();
    let t = templates(&plain);
    let mut tests = Vec::new();
    let mut group = |series: Vec<(String, &str)>, cases: Vec<(Case, &str)>| {
        tests.push(json!({
            "interval": "1m",
            "input_series": series.into_iter().map(|(s, v)| json!({"series": s, "values": v})).collect::<Vec<_>>(),
            "alert_rule_test": cases.iter().map(|(c, sev)| expected(&t, c, sev)).collect::<Vec<_>>(),
        }));
    };

    // No backup at all: the inventory join fires for `pg` only; `ok` has one from its
    // Backups, `plug` from the plugin; `off` backs up nowhere (its own, info alert).
    group(
        vec![
            (info("pg", "plugin"), "1x120"),
            (info("ok", "plugin"), "1x120"),
            (
                bs("backstop_cluster_last_good_backup_timestamp_seconds", "ok"),
                "60x120",
            ),
            (info("plug", "plugin"), "1x120"),
            (inst(AVAIL, "plug-1"), "60x120"),
            (
                inst("cnpg_collector_last_available_backup_timestamp", "pg-1"),
                "0x120",
            ),
            (info("off", "none"), "1x120"),
        ],
        vec![
            (
                Case {
                    alert: "BackstopBackupMissing",
                    at: "30m",
                    fires: vec![],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopBackupMissing",
                    at: "61m",
                    fires: vec![info_labels("pg", "plugin")],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopBackupTooOld",
                    at: "61m",
                    fires: vec![],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopBackupNotConfigured",
                    at: "61m",
                    fires: vec![info_labels("off", "none")],
                },
                "info",
            ),
        ],
    );

    // Too old (26h): `stale` by backstop's reading, `pluginstale` by the plugin's. `fresh`
    // backs up every minute through the plugin while the deprecated metric froze a day
    // ago; `zero`'s plugin metric reads 0 (no recovery window yet) while its Backups are
    // fresh: neither fires.
    group(
        vec![
            (
                bs(
                    "backstop_cluster_last_good_backup_timestamp_seconds",
                    "stale",
                ),
                "60x1700",
            ),
            (inst(AVAIL, "pluginstale-1"), "60x1700"),
            (inst(AVAIL, "pluginstale-2"), "60x1700"),
            (inst(AVAIL, "fresh-1"), "60+60x1700"),
            (
                inst("cnpg_collector_last_available_backup_timestamp", "fresh-1"),
                "60x1700",
            ),
            (inst(AVAIL, "zero-1"), "0x1700"),
            (
                inst("cnpg_collector_last_available_backup_timestamp", "zero-1"),
                "0x1700",
            ),
            (
                bs(
                    "backstop_cluster_last_good_backup_timestamp_seconds",
                    "zero",
                ),
                "60+60x1700",
            ),
        ],
        vec![
            (
                Case {
                    alert: "BackstopBackupTooOld",
                    at: "1500m",
                    fires: vec![],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopBackupTooOld",
                    at: "1700m",
                    fires: vec![cluster_labels("pluginstale"), cluster_labels("stale")],
                },
                "critical",
            ),
        ],
    );

    // A failed backup: newer than the last available one (`bad`), or the only one
    // (`first`); an old failure before a good backup (`good`) is silent. backstop's BKP001
    // has its own alert and is not repeated by the catch-all one.
    group(
        vec![
            (inst(FAILED, "bad-1"), "600x20"),
            (inst(AVAIL, "bad-1"), "60x20"),
            (inst(FAILED, "first-1"), "600x20"),
            (inst(AVAIL, "first-1"), "0x20"),
            (inst(FAILED, "good-1"), "60x20"),
            (inst(AVAIL, "good-1"), "600x20"),
            (
                "backstop_finding{job=\"backstop\",code=\"BKP001\",severity=\"critical\",namespace=\"db\",kind=\"Backup\",name=\"pg-1204\"}".into(),
                "1x20",
            ),
            (
                "backstop_finding{job=\"backstop\",code=\"OBJ001\",severity=\"critical\",namespace=\"db\",kind=\"ObjectStore\",name=\"store\"}".into(),
                "1x20",
            ),
            (
                "backstop_finding{job=\"backstop\",code=\"BKP003\",severity=\"warning\",namespace=\"db\",kind=\"Backup\",name=\"pg-1203\"}".into(),
                "1x20",
            ),
        ],
        vec![
            (Case { alert: "BackstopBackupFailed", at: "3m", fires: vec![] }, "critical"),
            (
                Case {
                    alert: "BackstopBackupFailed",
                    at: "10m",
                    fires: vec![cluster_labels("bad"), cluster_labels("first")],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopNewestBackupFailed",
                    at: "10m",
                    fires: vec![vec![
                        ("job", "backstop"),
                        ("code", "BKP001"),
                        ("namespace", "db"),
                        ("kind", "Backup"),
                        ("name", "pg-1204"),
                    ]],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopCriticalFinding",
                    at: "15m",
                    fires: vec![vec![
                        ("job", "backstop"),
                        ("code", "OBJ001"),
                        ("namespace", "db"),
                        ("kind", "ObjectStore"),
                        ("name", "store"),
                    ]],
                },
                "critical",
            ),
        ],
    );

    // WAL: a failure after the last success on a primary (`arc`) or by backstop's reading
    // (`bsarc`); an archiver that never failed (`arcok`, -1) is silent. The lag: the
    // instance's own reading wins over backstop's (`fine`); `never` archived nothing yet.
    group(
        vec![
            (
                inst("cnpg_pg_stat_archiver_last_failed_time", "arc-1"),
                "600x30",
            ),
            (
                inst("cnpg_pg_stat_archiver_last_archived_time", "arc-1"),
                "60x30",
            ),
            (
                inst("cnpg_pg_stat_archiver_last_failed_time", "arcok-1"),
                "-1x30",
            ),
            (
                inst("cnpg_pg_stat_archiver_last_archived_time", "arcok-1"),
                "600x30",
            ),
            (
                bs("backstop_cluster_wal_archiving_failing", "bsarc"),
                "1x30",
            ),
            (bs("backstop_cluster_wal_archiving_failing", "bsok"), "0x30"),
            (
                inst("cnpg_pg_stat_archiver_seconds_since_last_archival", "lag-1"),
                "7200x30",
            ),
            (
                inst(
                    "cnpg_pg_stat_archiver_seconds_since_last_archival",
                    "fine-1",
                ),
                "30x30",
            ),
            (
                bs("backstop_cluster_wal_archive_lag_seconds", "fine"),
                "7200x30",
            ),
            (
                bs("backstop_cluster_wal_archive_lag_seconds", "bslag"),
                "7200x30",
            ),
            (
                inst(
                    "cnpg_pg_stat_archiver_seconds_since_last_archival",
                    "never-1",
                ),
                "-1x30",
            ),
        ],
        vec![
            (
                Case {
                    alert: "BackstopWALArchivingFailing",
                    at: "10m",
                    fires: vec![cluster_labels("arc"), cluster_labels("bsarc")],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopWALArchiveLagging",
                    at: "10m",
                    fires: vec![],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopWALArchiveLagging",
                    at: "20m",
                    fires: vec![cluster_labels("bslag"), cluster_labels("lag")],
                },
                "warning",
            ),
        ],
    );

    // The proofs: the window, the drills.
    group(
        vec![
            (
                bs("backstop_cluster_recovery_window_proven", "unproven"),
                "0x200",
            ),
            (
                bs("backstop_cluster_recovery_window_proven", "proven"),
                "1x200",
            ),
            (
                bs("backstop_cluster_last_drill_success", "drillbad"),
                "0x200",
            ),
            (
                bs("backstop_cluster_last_drill_success", "drillok"),
                "1x200",
            ),
            (
                bs("backstop_cluster_last_drill_timestamp_seconds", "drillold"),
                "60x200",
            ),
            (
                bs("backstop_cluster_last_drill_timestamp_seconds", "drillnew"),
                "60+60x200",
            ),
        ],
        vec![
            (
                Case {
                    alert: "BackstopRecoveryWindowNotProven",
                    at: "61m",
                    fires: vec![
                        [("job", "backstop")]
                            .into_iter()
                            .chain(cluster_labels("unproven"))
                            .collect(),
                    ],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopDrillFailed",
                    at: "6m",
                    fires: vec![
                        [("job", "backstop")]
                            .into_iter()
                            .chain(cluster_labels("drillbad"))
                            .collect(),
                    ],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopDrillOverdue",
                    at: "150m",
                    fires: vec![],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopDrillOverdue",
                    at: "185m",
                    fires: vec![
                        [("job", "backstop")]
                            .into_iter()
                            .chain(cluster_labels("drillold"))
                            .collect(),
                    ],
                },
                "warning",
            ),
        ],
    );

    // backstop itself: not scraped at all.
    group(
        vec![(bs("backstop_cluster_info", "pg"), "stale")],
        vec![
            (
                Case {
                    alert: "BackstopExporterAbsent",
                    at: "5m",
                    fires: vec![],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopExporterAbsent",
                    at: "11m",
                    fires: vec![vec![]],
                },
                "critical",
            ),
        ],
    );
    // Scraped, but its evaluations stopped (`stuck`), or a kind it cannot read.
    group(
        vec![
            (
                "backstop_evaluation_timestamp_seconds{job=\"backstop\",instance=\"stuck:9963\"}"
                    .into(),
                "60x40",
            ),
            (
                "backstop_evaluation_timestamp_seconds{job=\"backstop\",instance=\"live:9963\"}"
                    .into(),
                "0+60x40",
            ),
            (
                "backstop_kind_readable{job=\"backstop\",kind=\"PrometheusRule\"}".into(),
                "0x40",
            ),
            (
                "backstop_kind_readable{job=\"backstop\",kind=\"Backup\"}".into(),
                "1x40",
            ),
        ],
        vec![
            (
                Case {
                    alert: "BackstopExporterStale",
                    at: "20m",
                    fires: vec![],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopExporterStale",
                    at: "25m",
                    fires: vec![vec![("job", "backstop"), ("instance", "stuck:9963")]],
                },
                "warning",
            ),
            (
                Case {
                    alert: "BackstopExporterAbsent",
                    at: "25m",
                    fires: vec![],
                },
                "critical",
            ),
            (
                Case {
                    alert: "BackstopKindUnreadable",
                    at: "16m",
                    fires: vec![vec![("job", "backstop"), ("kind", "PrometheusRule")]],
                },
                "warning",
            ),
        ],
    );

    // Every alert the file defines is tested here.
    let tested: std::collections::BTreeSet<String> = tests
        .iter()
        .flat_map(|g| g["alert_rule_test"].as_array().unwrap().clone())
        .filter(|c| !c["exp_alerts"].as_array().unwrap().is_empty())
        .map(|c| c["alertname"].as_str().unwrap().to_string())
        .collect();
    let defined: std::collections::BTreeSet<String> = t.keys().cloned().collect();
    assert_eq!(tested, defined, "an alert without a firing test");

    let file = json!({"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests});
    std::fs::write(
        dir.path().join("tests.yaml"),
        serde_yaml::to_string(&file).unwrap(),
    )
    .unwrap();
    let out = promtool(&["test", "rules", "tests.yaml"], dir.path());
    assert!(out.contains("SUCCESS"), "{out}");
}

#[test]
fn a_prometheus_rule_for_the_operator_names_its_namespace_and_selector_labels() {
    let y = backstop(&[
        "-n",
        "monitoring",
        "alerts",
        "rules",
        "--labels",
        "release=kube-prometheus-stack",
    ]);
    let v: serde_yaml::Value = serde_yaml::from_str(&y).unwrap();
    assert_eq!(v["apiVersion"], "monitoring.coreos.com/v1");
    assert_eq!(v["kind"], "PrometheusRule");
    assert_eq!(v["metadata"]["name"], "backstop-backups");
    assert_eq!(v["metadata"]["namespace"], "monitoring");
    assert_eq!(v["metadata"]["labels"]["release"], "kube-prometheus-stack");
    assert!(!y.contains("cnpg_collector_"), "{y}");
}
