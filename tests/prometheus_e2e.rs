//! The exporter as Prometheus meets it: `backstop exporter` serves a simulated cluster, a
//! real Prometheus (Debian's package) scrapes it and evaluates the rules `backstop alerts
//! rules` generates, and the series and a firing alert are read back through Prometheus's
//! own HTTP API.

mod common;
#[path = "common/prometheus.rs"]
mod prometheus;
#[path = "common/real.rs"]
mod real;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{Served, output_text};
use prometheus::{Prometheus, http_get};
use real::wait_for;
use serde_json::Value;

/// `backstop exporter` on a free loopback port, killed when dropped.
struct Exporter {
    addr: SocketAddr,
    child: Child,
}

impl Exporter {
    fn start(served: &Served) -> Exporter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(&served.kubeconfig)
            .arg("--log-file")
            .arg(served.dir.path().join("exporter.log"))
            .args(["exporter", "--listen", "127.0.0.1:0", "--interval", "2s"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting backstop exporter");
        // The one line it prints once listening names the address.
        let mut line = String::new();
        let stdout = child.stdout.take().expect("piped stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the exporter's first line");
        let addr = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in the exporter's first line: {line:?}"));
        Exporter { addr, child }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn label<'a>(series: &'a Value, name: &str) -> &'a str {
    series
        .pointer(&format!("/metric/{name}"))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// The rules with their `for:` cut to zero, so the test does not wait out a real hold
/// period; `promtool test rules` (tests/alerts_rules.rs) checks the periods themselves.
fn without_hold_periods(rules: &str) -> String {
    rules
        .lines()
        .map(|l| {
            if l.trim_start().starts_with("for:") {
                let indent = &l[..l.len() - l.trim_start().len()];
                format!("{indent}for: 0s")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn prometheus_scrapes_the_exporter_and_the_generated_rules_fire() {
    // gitignore-trap: pg-analytics names an ObjectStore Git never delivered, so its Backups
    // fail, its last good one is two days old and its archiver fails.
    let served = Served::start("gitignore-trap");
    let dir = served.dir.path();
    let rules = served.backstop(dir, &["alerts", "rules", "--plain"]);
    assert!(rules.status.success(), "{}", output_text(&rules));
    let rules_path = dir.join("backstop-rules.yml");
    std::fs::write(
        &rules_path,
        without_hold_periods(&String::from_utf8_lossy(&rules.stdout)),
    )
    .expect("writing the rules");

    let exporter = Exporter::start(&served);
    let (status, _) = http_get(exporter.addr, "/healthz").expect("the exporter answers");
    assert!(status == 200 || status == 503, "healthz: {status}");

    let prom = Prometheus::start(dir, &[exporter.addr], &[rules_path]);

    // The rules loaded and evaluate without error.
    wait_for("the rules to be evaluated", Duration::from_secs(60), || {
        let groups = prom.rules();
        !groups.is_empty()
            && groups.iter().all(|g| {
                g["rules"]
                    .as_array()
                    .is_some_and(|rs| rs.iter().all(|r| r["health"].as_str() == Some("ok")))
            })
    });

    // The series: every Cluster in the inventory, the critical finding on pg-analytics.
    wait_for(
        "the exporter's series in Prometheus",
        Duration::from_secs(60),
        || prom.query("backstop_cluster_info").len() == 3,
    );
    let info = prom.query("backstop_cluster_info");
    let mut clusters: Vec<String> = info
        .iter()
        .map(|s| format!("{}/{}", label(s, "namespace"), label(s, "cluster")))
        .collect();
    clusters.sort();
    assert_eq!(
        clusters,
        [
            "analytics/pg-analytics",
            "billing/pg-billing",
            "orders/pg-orders"
        ]
    );
    let obj001 = prom.query(r#"backstop_finding{code="OBJ001"}"#);
    assert_eq!(obj001.len(), 1, "{obj001:?}");
    assert_eq!(label(&obj001[0], "name"), "pg-analytics");
    assert_eq!(label(&obj001[0], "severity"), "critical");
    let last_good = prom.query("backstop_cluster_last_good_backup_timestamp_seconds");
    assert_eq!(last_good.len(), 3, "{last_good:?}");
    assert_eq!(
        prom.query(r#"backstop_kind_readable{kind="Backup"}"#)[0]["value"][1],
        "1"
    );

    // The alert for a Cluster with no good backup fires through the inventory join.
    wait_for(
        "the no-backup alert to fire",
        Duration::from_secs(60),
        || {
            prom.alerts().iter().any(|a| {
                a["state"].as_str() == Some("firing")
                    && a.pointer("/labels/cluster").and_then(Value::as_str) == Some("pg-analytics")
            })
        },
    );
    let firing: Vec<String> = prom
        .alerts()
        .iter()
        .filter(|a| a["state"].as_str() == Some("firing"))
        .map(|a| {
            format!(
                "{} {}",
                a.pointer("/labels/alertname")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                a.pointer("/labels/cluster")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        })
        .collect();
    // Healthy Clusters do not alert on backups.
    assert!(
        !firing
            .iter()
            .any(|f| f.ends_with(" pg-billing") || f.ends_with(" pg-orders")),
        "{firing:?}"
    );
}
