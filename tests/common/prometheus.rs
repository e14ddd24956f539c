//! A real Prometheus (Debian's `prometheus` package) on loopback: it scrapes the targets a
//! test gives, evaluates the rule files it is given every second, and answers its HTTP API.
//! Stopped (killed) when dropped. A missing binary fails the test: `.ci/run` installs it.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use super::real::{free_port, tool, wait_for};

pub struct Prometheus {
    pub addr: SocketAddr,
    pub dir: PathBuf,
    child: Child,
}

impl Prometheus {
    /// Starts Prometheus in `dir` scraping `targets` (job `backstop`, every second) and
    /// evaluating `rule_files` every second; returns once `/-/ready` answers 200.
    pub fn start(dir: &Path, targets: &[SocketAddr], rule_files: &[PathBuf]) -> Prometheus {
        let bin = tool("/usr/bin/prometheus");
        let port = free_port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let targets: Vec<String> = targets.iter().map(|t| format!("'{t}'")).collect();
        let rules: Vec<String> = rule_files
            .iter()
            .map(|r| format!("  - '{}'", r.display()))
            .collect();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n{}\n\
             scrape_configs:\n  - job_name: backstop\n    static_configs:\n      - targets: [{}]\n",
            if rules.is_empty() {
                "  []".to_string()
            } else {
                rules.join("\n")
            },
            targets.join(", ")
        );
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("writing prometheus.yml");
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("prometheus.log");
        let child = Command::new(bin)
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting prometheus");
        let p = Prometheus {
            addr,
            dir: dir.to_path_buf(),
            child,
        };
        wait_for("Prometheus to be ready", Duration::from_secs(60), || {
            http_get(addr, "/-/ready").is_some_and(|(status, _)| status == 200)
        });
        p
    }

    /// `GET /api/v1/query?query=EXPR`: the result vector (empty when nothing matches).
    pub fn query(&self, expr: &str) -> Vec<Value> {
        let q: String = form_urlencoded::byte_serialize(expr.as_bytes()).collect();
        self.api(&format!("/api/v1/query?query={q}"))
            .pointer("/data/result")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// `GET /api/v1/alerts`: the active alerts (pending and firing).
    pub fn alerts(&self) -> Vec<Value> {
        self.api("/api/v1/alerts")
            .pointer("/data/alerts")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// `GET /api/v1/rules`: the rule groups as loaded, with each rule's health and last error.
    pub fn rules(&self) -> Vec<Value> {
        self.api("/api/v1/rules")
            .pointer("/data/groups")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    /// `GET /api/v1/targets`: the scrape targets with their health and last error.
    pub fn targets(&self) -> Vec<Value> {
        self.api("/api/v1/targets")
            .pointer("/data/activeTargets")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    }

    fn api(&self, path: &str) -> Value {
        let (status, body) = http_get(self.addr, path)
            .unwrap_or_else(|| panic!("Prometheus did not answer {path}: {}", self.log()));
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"))
    }

    /// What Prometheus logged, for a failing assertion's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain HTTP/1.0 GET on loopback: the status code and the body, or None when nothing
/// answered. Enough for Prometheus's and the exporter's endpoints.
pub fn http_get(addr: SocketAddr, path: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}
