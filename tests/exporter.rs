//! `backstop exporter`, the real binary, against the simulator and against a cluster that
//! is not there: the series a Prometheus would scrape, /healthz, and SIGTERM.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Served;

/// The exporter, killed on drop if a test failed before stopping it.
struct Exporter {
    child: Child,
    addr: SocketAddr,
    first_line: String,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    fn start(kubeconfig: &Path, log: &Path, extra: &[&str]) -> Exporter {
        let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
            .arg("--kubeconfig")
            .arg(kubeconfig)
            .arg("--log-file")
            .arg(log)
            .args(["exporter", "--listen", "127.0.0.1:0"])
            .args(extra)
            .env("BACKSTOP_CONNECT_TIMEOUT", "5")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("backstop runs");
        let stdout = child.stdout.take().expect("stdout piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let first_line = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the exporter says where it serves within 30s");
        let addr = first_line
            .strip_prefix("backstop exporter: serving http://")
            .and_then(|rest| rest.split('/').next())
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("an address in {first_line:?}"));
        Exporter {
            child,
            addr,
            first_line,
        }
    }

    /// (status code, body) of a GET.
    fn get(&self, path: &str) -> (u16, String) {
        let mut s = TcpStream::connect(self.addr).expect("the exporter accepts");
        s.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("a read timeout");
        write!(s, "GET {path} HTTP/1.0\r\nHost: exporter\r\n\r\n").expect("request sent");
        let mut answer = String::new();
        s.read_to_string(&mut answer).expect("an answer");
        let (head, body) = answer.split_once("\r\n\r\n").expect("head and body");
        let code = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("a status in {head}"));
        (code, body.to_string())
    }

    /// Polls `path` until `ok` holds for the body, with a deadline; the last answer.
    fn until(&self, path: &str, within: Duration, ok: impl Fn(u16, &str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let (code, body) = self.get(path);
            if ok(code, &body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never became what was awaited within {within:?}: {code}\n{body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM, then the exit status within a deadline.
    fn terminate(&mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: kill(2) on our own child's pid, which we have not reaped yet.
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "SIGTERM sent");
        let deadline = Instant::now() + within;
        loop {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the exporter did not exit within {within:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn series<'a>(page: &'a str, name: &str) -> Vec<&'a str> {
    page.lines()
        .filter(|l| {
            l.strip_prefix(name)
                .is_some_and(|r| r.starts_with('{') || r.starts_with(' '))
        })
        .collect()
}

#[test]
fn a_scenarios_findings_inventory_and_backups_are_served_and_sigterm_exits_0() {
    let served = Served::start("objectstore-credentials");
    let mut ex = Exporter::start(
        &served.kubeconfig,
        &served.dir.path().join("exporter.log"),
        &["--interval", "60s"],
    );
    assert!(
        ex.first_line.trim_end().ends_with("(context sim)"),
        "{}",
        ex.first_line
    );
    let page = ex.until("/metrics", Duration::from_secs(60), |_, b| {
        b.contains("\nbackstop_evaluation_timestamp_seconds ")
    });

    // Exactly the scenario's codes, the critical one on the Cluster it is about.
    let codes: std::collections::BTreeSet<&str> = series(&page, "backstop_finding")
        .iter()
        .filter_map(|l| l.split("code=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(
        codes,
        std::collections::BTreeSet::from([
            "ARC003", "BKP001", "BKP002", "BKP005", "OBJ002", "OBJ004", "OBJ006", "RST010"
        ]),
        "{page}"
    );
    assert!(
        page.contains(
            "backstop_finding{code=\"BKP002\",severity=\"critical\",namespace=\"orders\",kind=\"Cluster\",name=\"pg-orders\"} 1\n"
        ),
        "{page}"
    );
    assert!(
        series(&page, "backstop_findings").contains(&"backstop_findings{severity=\"critical\"} 7"),
        "{page}"
    );

    // The inventory: every Cluster the API serves, each with its last good backup.
    let listed = served.kubectl(
        &[
            "get",
            "clusters.postgresql.cnpg.io",
            "-A",
            "-o",
            "jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}{\"\\n\"}{end}",
        ],
        "",
    );
    assert!(listed.status.success(), "{}", common::output_text(&listed));
    let clusters: Vec<String> = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(clusters.len(), 3, "{clusters:?}");
    for c in &clusters {
        let (ns, name) = c.split_once('/').expect("ns/name");
        let id = format!("namespace=\"{ns}\",cluster=\"{name}\"");
        assert!(
            series(&page, "backstop_cluster_info")
                .iter()
                .any(|l| l.starts_with(&format!("backstop_cluster_info{{{id},method=\"plugin\""))),
            "{c} in the inventory: {page}"
        );
        assert!(
            series(&page, "backstop_cluster_last_good_backup_timestamp_seconds")
                .iter()
                .any(|l| l.contains(&id)),
            "{c}'s last good backup: {page}"
        );
    }
    // pg-orders' last good backup is more than a day old: BKP002's critical.
    let age: f64 = series(&page, "backstop_cluster_last_good_backup_age_seconds")
        .iter()
        .find(|l| l.contains("cluster=\"pg-orders\""))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .expect("pg-orders' age");
    assert!(age > 86_400.0, "{age}");
    for kind in ["Backup", "Cluster", "ObjectStore", "Pod", "ScheduledBackup"] {
        assert!(
            page.contains(&format!("backstop_kind_readable{{kind=\"{kind}\"}} 1\n")),
            "{kind}: {page}"
        );
    }
    assert!(
        page.contains("backstop_evaluation_failures_total 0\n"),
        "{page}"
    );

    let (code, body) = ex.get("/healthz");
    assert_eq!(code, 200, "{body}");
    assert!(body.starts_with("ok: last evaluation completed"), "{body}");
    let (code, body) = ex.get("/");
    assert_eq!(code, 200);
    assert!(
        body.contains("/metrics") && body.contains("/healthz"),
        "{body}"
    );

    let status = ex.terminate(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn an_unreachable_cluster_keeps_the_exporter_serving_and_healthz_says_why() {
    let dir = tempfile::tempdir().expect("temp dir");
    // A port nothing listens on: bound, read, released.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port");
    let kubeconfig = dir.path().join("kubeconfig");
    backstop::files::write_atomically(&kubeconfig, &backstop::sim::kubeconfig(closed, "gone"))
        .expect("kubeconfig written");
    let mut ex = Exporter::start(
        &kubeconfig,
        &dir.path().join("exporter.log"),
        &["--interval", "1s"],
    );
    let page = ex.until("/metrics", Duration::from_secs(30), |_, b| {
        !b.contains("backstop_evaluation_failures_total 0\n")
            && b.contains("backstop_evaluation_failures_total ")
    });
    assert!(series(&page, "backstop_cluster_info").is_empty(), "{page}");
    assert!(series(&page, "backstop_finding").is_empty(), "{page}");
    let kinds = series(&page, "backstop_kind_readable");
    assert!(!kinds.is_empty(), "{page}");
    assert!(kinds.iter().all(|l| l.ends_with(" 0")), "{page}");

    // After three intervals without a complete evaluation, /healthz says why.
    let body = ex.until("/healthz", Duration::from_secs(30), |code, _| code == 503);
    assert!(
        body.contains("no evaluation completed since the start")
            && body.contains("the last evaluation failed: the API server is unreachable"),
        "{body}"
    );

    let status = ex.terminate(Duration::from_secs(10));
    assert_eq!(status.code(), Some(0), "{status:?}");
}

#[test]
fn manifests_name_only_the_secrets_the_stores_use_and_the_api_server_accepts_them() {
    let served = Served::start("objectstore-credentials");
    let cwd = served.dir.path();
    let out = served.backstop(cwd, &["exporter", "manifests", "--interval", "2m"]);
    assert!(out.status.success(), "{}", common::output_text(&out));
    let yaml = String::from_utf8_lossy(&out.stdout).to_string();
    let docs: Vec<serde_json::Value> = serde_yaml::Deserializer::from_str(&yaml)
        .map(|d| serde::Deserialize::deserialize(d).expect("a YAML document"))
        .collect();
    let kinds: Vec<&str> = docs.iter().filter_map(|d| d["kind"].as_str()).collect();
    for k in [
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "ServiceMonitor",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }

    // One Role per namespace, naming exactly the Secrets the ObjectStores and the plugin's
    // Service name there.
    let roles: std::collections::BTreeMap<String, Vec<String>> = docs
        .iter()
        .filter(|d| d["kind"] == "Role")
        .map(|d| {
            let names = d["rules"][0]["resourceNames"]
                .as_array()
                .expect("resourceNames")
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            (
                d["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                names,
            )
        })
        .collect();
    let expected: std::collections::BTreeMap<String, Vec<String>> = [
        ("analytics", vec!["analytics-minio-creds", "nas01-minio-ca"]),
        ("billing", vec!["billing-azure-creds"]),
        (
            "cnpg-system",
            vec!["barman-cloud-client-tls", "barman-cloud-server-tls"],
        ),
        ("orders", vec!["pg-orders-s3-creds"]),
    ]
    .into_iter()
    .map(|(ns, names)| {
        (
            ns.to_string(),
            names.into_iter().map(str::to_string).collect(),
        )
    })
    .collect();
    assert_eq!(roles, expected);

    // Nothing lists, watches or reads a Secret not named.
    for d in &docs {
        for r in d["rules"].as_array().into_iter().flatten() {
            let resources: Vec<&str> = r["resources"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            if resources.iter().any(|x| *x == "secrets" || *x == "*") {
                assert_eq!(r["verbs"], serde_json::json!(["get"]), "{r}");
                assert!(
                    r["resourceNames"].as_array().is_some_and(|n| !n.is_empty()),
                    "{r}"
                );
            }
            let verbs: Vec<&str> = r["verbs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|x| x.as_str())
                .collect();
            assert!(
                verbs.iter().all(|v| ["get", "list", "watch"].contains(v)),
                "read-only: {r}"
            );
        }
    }
    let container = &docs
        .iter()
        .find(|d| d["kind"] == "Deployment")
        .expect("a Deployment")["spec"]["template"]["spec"]["containers"][0];
    assert!(
        container["args"]
            .as_array()
            .expect("args")
            .windows(2)
            .any(|w| w[0] == "--interval" && w[1] == "120s"),
        "{container}"
    );

    // The API server takes them all: the namespace first, then the CRD a cluster with the
    // Prometheus Operator has.
    let ns = served.kubectl(
        &["apply", "-f", "-"],
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: backstop\n",
    );
    assert!(ns.status.success(), "{}", common::output_text(&ns));
    let crd = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/sim/crds/monitoring.coreos.com_servicemonitors.yaml"
    ))
    .expect("the ServiceMonitor CRD");
    let applied = served.kubectl(&["apply", "-f", "-"], &crd);
    assert!(
        applied.status.success(),
        "{}",
        common::output_text(&applied)
    );
    let dry = served.kubectl(&["apply", "--dry-run=server", "-f", "-"], &yaml);
    let text = common::output_text(&dry);
    assert!(dry.status.success(), "{text}");
    assert!(
        text.contains(
            "servicemonitor.monitoring.coreos.com/backstop-exporter created (server dry run)"
        ),
        "{text}"
    );
    assert_eq!(
        text.matches("(server dry run)").count(),
        docs.len(),
        "{text}"
    );

    // Named by hand, the cluster is not needed.
    let by_hand = served.backstop(
        cwd,
        &[
            "exporter",
            "manifests",
            "--monitor",
            "podmonitor",
            "--secret",
            "orders/only-this",
        ],
    );
    let text = String::from_utf8_lossy(&by_hand.stdout);
    assert!(
        by_hand.status.success(),
        "{}",
        common::output_text(&by_hand)
    );
    assert!(
        text.contains("- only-this\n") && !text.contains("pg-orders-s3-creds"),
        "{text}"
    );
    assert!(text.contains("kind: PodMonitor\n"), "{text}");
}
