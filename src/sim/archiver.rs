//! The instance pods' `pods/proxy` answers and the kubelet's stats summary behind
//! `nodes/proxy`, from the scenario's `spec.archivers`: what a primary's instance manager
//! (`/pg/status` on 8000), its exporter (`/metrics` on 9187) and its node's kubelet say.
//! A Cluster without an entry answers as a healthy one does: nothing waiting, its newest
//! backup's end WAL archived a minute ago, its volumes a tenth full.

use std::sync::Arc;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::Sim;
use super::faults::forbidden_error;
use super::scenario::ArchiverSpec;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;

/// Bytes of a WAL segment (PostgreSQL's default, CloudNativePG's too).
const SEGMENT: u64 = 16 * 1024 * 1024;
const STATUS_PORT: &str = "8000";
const METRICS_PORT: &str = "9187";

/// The scenario's archivers and when the simulator started (growth counts from there).
#[derive(Debug, Clone, Default)]
pub struct Archivers {
    specs: Vec<ArchiverSpec>,
    started: DateTime<Utc>,
    /// The scenario's clock minus the wall clock: a screenshot or test that loads a
    /// scenario for a frozen instant gets archiver times on that clock, as the objects are.
    offset: chrono::Duration,
}

impl Archivers {
    /// `clock`: the instant the scenario was loaded for (None: the wall clock).
    pub fn new(specs: Vec<ArchiverSpec>, clock: Option<DateTime<Utc>>) -> Self {
        let wall = Utc::now();
        let started = clock.unwrap_or(wall);
        Archivers {
            specs,
            started,
            offset: started - wall,
        }
    }

    /// Now, on the scenario's clock.
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    fn of(&self, ns: &str, cluster: &str) -> Option<&ArchiverSpec> {
        self.specs
            .iter()
            .find(|a| a.cluster.split_once('/') == Some((ns, cluster)))
    }

    fn hours(&self, now: DateTime<Utc>) -> f64 {
        (now - self.started).num_milliseconds().max(0) as f64 / 3_600_000.0
    }
}

/// A Kubernetes quantity in bytes (`10Gi`, `500M`, `1073741824`).
pub fn quantity(q: &str) -> Option<u64> {
    let q = q.trim();
    let split = q.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(q.len());
    let (n, unit) = q.split_at(split);
    let n: f64 = n.parse().ok()?;
    let mul = match unit {
        "" => 1.0,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        _ => return None,
    };
    (n >= 0.0).then_some((n * mul) as u64)
}

fn text(code: StatusCode, content_type: &str, body: String) -> Response {
    (
        code,
        [(header::CONTENT_TYPE, content_type.to_string())],
        body,
    )
        .into_response()
}

fn str_at<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p).and_then(Value::as_str)
}

fn kind(
    sim: &Sim,
    group: &str,
    kind: &str,
) -> Result<Arc<super::registry::ResourceType>, ApiError> {
    sim.store
        .read()
        .registry
        .by_kind(group, kind)
        .cloned()
        .ok_or_else(ApiError::no_route)
}

/// `GET /api/v1/namespaces/{ns}/pods/{[scheme:]name[:port]}/proxy{path}`.
pub fn pod_proxy(sim: &Sim, ns: &str, target: &str, path: &str) -> Result<Response, ApiError> {
    let parts: Vec<&str> = target.split(':').collect();
    let (name, port) = match parts.as_slice() {
        [name] => (*name, ""),
        [s, name, port] if matches!(*s, "http" | "https") => (*name, *port),
        [s, name] if matches!(*s, "http" | "https") => (*name, ""),
        [name, port] => (*name, *port),
        _ => return Err(ApiError::bad_request("invalid pod proxy target")),
    };
    if sim.faults.forbids("", "pods/proxy", "get", Some(ns)) {
        let mut e = forbidden_error("", "pods/proxy", "get", Some(ns), Some(name));
        e.message = e.message.replacen("pods/proxy \"", "pods \"", 1);
        return Err(e);
    }
    let pods_t = kind(sim, "", "Pod")?;
    let pod = sim.store.get(&pods_t, ns, name)?;
    let ip = str_at(&pod, "/status/podIP").unwrap_or("");
    if ip.is_empty() || str_at(&pod, "/status/phase") != Some("Running") {
        return Err(ApiError::new(400, "BadRequest", "address not allowed"));
    }
    let cluster = str_at(&pod, "/metadata/labels/cnpg.io~1cluster").unwrap_or("");
    let spec = sim.archivers.of(ns, cluster);
    let unreachable = |why: &str| {
        ApiError::new(
            503,
            "ServiceUnavailable",
            format!("error trying to reach service: dial tcp {ip}:{port}: {why}"),
        )
    };
    if cluster.is_empty() || !matches!(port, STATUS_PORT | METRICS_PORT) {
        return Err(unreachable("connect: connection refused"));
    }
    match spec.and_then(|s| s.unreachable.as_deref()) {
        Some("timeout") => return Err(unreachable("i/o timeout")),
        Some(_) => return Err(unreachable("connect: connection refused")),
        None => {}
    }
    let now = sim.archivers.now();
    let primary = str_at(&pod, "/metadata/labels/cnpg.io~1instanceRole") == Some("primary");
    let state = State::of(sim, spec, ns, cluster, now);
    match (port, path) {
        (STATUS_PORT, "/pg/status") => Ok(text(
            StatusCode::OK,
            "application/json",
            state.status(&pod, primary).to_string(),
        )),
        (METRICS_PORT, "/metrics") => Ok(text(
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            state.metrics(primary, now),
        )),
        // Go's ServeMux answer for a path it has no handler for.
        _ => Ok(text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "404 page not found\n".into(),
        )),
    }
}

/// What a Cluster's archiver is at `now`.
struct State {
    ready: u64,
    archived: Option<(String, String)>,
    failed: Option<(String, String)>,
    wal_volume: Option<(u64, u64)>,
    volume_size: Option<u64>,
}

impl State {
    fn of(
        sim: &Sim,
        spec: Option<&ArchiverSpec>,
        ns: &str,
        cluster: &str,
        now: DateTime<Utc>,
    ) -> State {
        let hours = sim.archivers.hours(now);
        let cl = kind(sim, "postgresql.cnpg.io", "Cluster")
            .ok()
            .and_then(|t| sim.store.get(&t, ns, cluster).ok());
        let wal_size = cl
            .as_deref()
            .and_then(|c| str_at(c, "/spec/walStorage/size"))
            .and_then(quantity);
        let data_size = cl
            .as_deref()
            .and_then(|c| str_at(c, "/spec/storage/size"))
            .and_then(quantity);
        let Some(s) = spec else {
            let capacity = wal_size.or(data_size).unwrap_or(10 * 1024 * 1024 * 1024);
            let stamp =
                (now - chrono::Duration::seconds(60)).to_rfc3339_opts(SecondsFormat::Micros, true);
            return State {
                ready: 0,
                archived: Some((newest_end_wal(sim, ns, cluster), stamp)),
                failed: None,
                wal_volume: Some((capacity / 10, capacity)),
                volume_size: wal_size,
            };
        };
        let volume = s.wal_volume.as_ref().and_then(|v| {
            let capacity = v
                .capacity
                .as_deref()
                .and_then(quantity)
                .or(wal_size)
                .or(data_size)?;
            let grown = v.growth_per_hour.as_deref().and_then(quantity).unwrap_or(0) as f64 * hours;
            let used = (quantity(&v.used)? as f64 + grown).min(capacity as f64) as u64;
            Some((used, capacity))
        });
        let pair = |w: &Option<String>, t: &Option<String>| {
            w.clone().map(|w| (w, t.clone().unwrap_or_default()))
        };
        State {
            ready: s.ready_wal_files + (s.ready_wal_files_per_hour * hours) as u64,
            archived: pair(&s.last_archived_wal, &s.last_archived_wal_time),
            failed: pair(&s.last_failed_wal, &s.last_failed_wal_time),
            wal_volume: volume,
            volume_size: wal_size,
        }
    }

    /// The instance manager's `PostgresqlStatus` as it serialises it (omitempty fields
    /// left out when empty; `pod` is null in the instance's own answer).
    fn status(&self, pod: &Value, primary: bool) -> Value {
        let wal = self
            .archived
            .as_ref()
            .map(|(w, _)| w.clone())
            .unwrap_or_else(|| "000000010000000000000001".into());
        let tl = u64::from_str_radix(wal.get(..8).unwrap_or("1"), 16).unwrap_or(1);
        let current = next_wal(&wal, self.ready + 1);
        let mut v = json!({
            "currentLsn": lsn_of(&current),
            "systemID": "7441868231234567890",
            "isPrimary": primary,
            "replayPaused": false,
            "pendingRestart": false,
            "pendingRestartForDecrease": false,
            "isWalReceiverActive": !primary,
            "isPgRewindRunning": false,
            "mightBeUnavailable": false,
            "node": str_at(pod, "/spec/nodeName").unwrap_or(""),
            "pod": null,
            "currentWAL": current,
            "timeLineID": tl,
            "executableHash": "4f7c0e5b9a1d3c2e8f6a7b0c9d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e",
            "instanceManagerVersion": "1.28.0",
            "instanceArch": "amd64",
            "isInstanceManagerUpgrading": false,
            "sessionID": str_at(pod, "/metadata/uid").unwrap_or(""),
            "isPodReady": false,
        });
        if !primary {
            return v;
        }
        let never = "-infinity".to_string();
        let at = |p: &Option<(String, String)>| {
            p.as_ref().map(|(_, t)| t.clone()).unwrap_or(never.clone())
        };
        let archiving = match (&self.archived, &self.failed) {
            (Some((_, a)), Some((_, f))) => a > f,
            (Some(_), None) => true,
            _ => false,
        };
        if let Some(m) = v.as_object_mut() {
            m.insert("isArchivingWAL".into(), json!(archiving));
            if let Some((w, _)) = &self.archived {
                m.insert("lastArchivedWAL".into(), json!(w));
            }
            m.insert("lastArchivedWALTime".into(), json!(at(&self.archived)));
            if let Some((w, _)) = &self.failed {
                m.insert("lastFailedWAL".into(), json!(w));
            }
            m.insert("lastFailedWALTime".into(), json!(at(&self.failed)));
            if self.ready > 0 {
                m.insert("readyWalFiles".into(), json!(self.ready));
            }
        }
        v
    }

    /// The exporter's archiver lines: CloudNativePG's collector and its default
    /// `pg_stat_archiver` query (on a primary only, as its predicate says).
    fn metrics(&self, primary: bool, now: DateTime<Utc>) -> String {
        let count = self.ready + 8;
        let size = match self.volume_size {
            Some(v) => v.to_string(),
            None => "NaN".into(),
        };
        let mut out = format!(
            "# HELP cnpg_collector_pg_wal Total size in bytes of WAL segments in the '/var/lib/postgresql/data/pgdata/pg_wal' directory  computed as (wal_segment_size * count)\n\
# TYPE cnpg_collector_pg_wal gauge\n\
cnpg_collector_pg_wal{{value=\"count\"}} {count}\n\
cnpg_collector_pg_wal{{value=\"size\"}} {}\n\
cnpg_collector_pg_wal{{value=\"volume_size\"}} {size}\n\
# HELP cnpg_collector_pg_wal_archive_status Number of WAL segments in the '/var/lib/postgresql/data/pgdata/pg_wal/archive_status' directory (ready, done)\n\
# TYPE cnpg_collector_pg_wal_archive_status gauge\n\
cnpg_collector_pg_wal_archive_status{{value=\"done\"}} 8\n\
cnpg_collector_pg_wal_archive_status{{value=\"ready\"}} {}\n",
            count * SEGMENT,
            self.ready
        );
        if !primary {
            return out;
        }
        let epoch = |p: &Option<(String, String)>| {
            p.as_ref()
                .and_then(|(_, t)| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        let since = |t: Option<DateTime<Utc>>| {
            t.map(|t| (now - t).num_milliseconds() as f64 / 1000.0)
                .unwrap_or(-1.0)
        };
        let (a, f) = (epoch(&self.archived), epoch(&self.failed));
        let lsn = |p: &Option<(String, String)>| {
            p.as_ref()
                .and_then(|(w, _)| w.get(8..24))
                .and_then(|h| i64::from_str_radix(h, 16).ok())
                .unwrap_or(-1)
        };
        let archived_count = a.map_or(0, |_| lsn(&self.archived).max(0) as u64 % 100_000);
        let failed_count = if f.is_some() { 3 + self.ready } else { 0 };
        for (name, kind, value) in [
            ("archived_count", "counter", archived_count.to_string()),
            ("failed_count", "counter", failed_count.to_string()),
            (
                "last_archived_time",
                "gauge",
                a.map_or(-1, |t| t.timestamp()).to_string(),
            ),
            (
                "last_archived_wal_start_lsn",
                "gauge",
                lsn(&self.archived).to_string(),
            ),
            (
                "last_failed_time",
                "gauge",
                f.map_or(-1, |t| t.timestamp()).to_string(),
            ),
            (
                "last_failed_wal_start_lsn",
                "gauge",
                lsn(&self.failed).to_string(),
            ),
            ("seconds_since_last_archival", "gauge", since(a).to_string()),
            ("seconds_since_last_failure", "gauge", since(f).to_string()),
        ] {
            out.push_str(&format!(
                "# TYPE cnpg_pg_stat_archiver_{name} {kind}\ncnpg_pg_stat_archiver_{name} {value}\n"
            ));
        }
        out
    }
}

/// The WAL `n` segments after `wal` on its timeline.
fn next_wal(wal: &str, n: u64) -> String {
    let tl = wal.get(..8).unwrap_or("00000001");
    let log = u64::from_str_radix(wal.get(8..16).unwrap_or("0"), 16).unwrap_or(0);
    let seg = u64::from_str_radix(wal.get(16..24).unwrap_or("0"), 16).unwrap_or(0);
    let pos = log * 256 + seg + n;
    format!("{tl}{:08X}{:08X}", pos / 256, pos % 256)
}

/// The LSN at the start of a WAL file, as PostgreSQL prints it.
fn lsn_of(wal: &str) -> String {
    let log = u64::from_str_radix(wal.get(8..16).unwrap_or("0"), 16).unwrap_or(0);
    let seg = u64::from_str_radix(wal.get(16..24).unwrap_or("0"), 16).unwrap_or(0);
    format!("{log:X}/{:X}", seg * SEGMENT)
}

/// The newest completed Backup's `status.endWal` of a Cluster: what a healthy archiver has
/// archived by now.
fn newest_end_wal(sim: &Sim, ns: &str, cluster: &str) -> String {
    let Ok(t) = kind(sim, "postgresql.cnpg.io", "Backup") else {
        return "000000010000000000000001".into();
    };
    let (items, _) = sim.store.list(
        &t,
        Some(ns),
        &LabelSelector::default(),
        &FieldSelector::default(),
    );
    items
        .iter()
        .filter(|b| str_at(b, "/spec/cluster/name") == Some(cluster))
        .filter(|b| str_at(b, "/status/phase") == Some("completed"))
        .filter_map(|b| {
            Some((
                str_at(b, "/status/stoppedAt")?,
                str_at(b, "/status/endWal")?,
            ))
        })
        .max()
        .map(|(_, w)| w.to_string())
        .unwrap_or_else(|| "000000010000000000000001".into())
}

/// `GET /api/v1/nodes/{node}/proxy/stats/summary`: the kubelet's volume stats of the
/// instance pods scheduled there.
pub fn node_proxy(sim: &Sim, node: &str, path: &str) -> Result<Response, ApiError> {
    if sim.faults.forbids("", "nodes/proxy", "get", None) {
        let mut e = forbidden_error("", "nodes/proxy", "get", None, Some(node));
        e.message = e.message.replacen("nodes/proxy \"", "nodes \"", 1);
        return Err(e);
    }
    let pods_t = kind(sim, "", "Pod")?;
    let (pods, _) = sim.store.list(
        &pods_t,
        None,
        &LabelSelector::default(),
        &FieldSelector::default(),
    );
    let here: Vec<_> = pods
        .iter()
        .filter(|p| str_at(p, "/spec/nodeName") == Some(node))
        .collect();
    if here.is_empty() {
        return Err(ApiError::new(
            404,
            "NotFound",
            format!("nodes \"{node}\" not found"),
        ));
    }
    if path != "/stats/summary" {
        return Ok(text(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "404 page not found\n".into(),
        ));
    }
    let now = sim.archivers.now();
    let stamp = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = Vec::new();
    for p in here {
        let ns = str_at(p, "/metadata/namespace").unwrap_or("");
        let Some(cluster) = str_at(p, "/metadata/labels/cnpg.io~1cluster") else {
            continue;
        };
        let state = State::of(sim, sim.archivers.of(ns, cluster), ns, cluster, now);
        let has_wal = p
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .is_some_and(|vs| {
                vs.iter()
                    .any(|v| v.get("name").and_then(Value::as_str) == Some("pg-wal"))
            });
        let mut volumes = Vec::new();
        for v in p
            .pointer("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(claim)) = (
                v.get("name").and_then(Value::as_str),
                v.pointer("/persistentVolumeClaim/claimName")
                    .and_then(Value::as_str),
            ) else {
                continue;
            };
            let holds_wal = name == "pg-wal" || (name == "pgdata" && !has_wal);
            let (used, capacity) = match (holds_wal, state.wal_volume) {
                (true, Some(u)) => u,
                _ => (1024 * 1024 * 1024, 10 * 1024 * 1024 * 1024),
            };
            volumes.push(json!({
                "time": stamp, "availableBytes": capacity.saturating_sub(used),
                "capacityBytes": capacity, "usedBytes": used,
                "inodesFree": 650_000, "inodes": 655_360, "inodesUsed": 5_360,
                "name": name, "pvcRef": {"name": claim, "namespace": ns},
            }));
        }
        out.push(json!({
            "podRef": {"name": str_at(p, "/metadata/name"), "namespace": ns, "uid": str_at(p, "/metadata/uid")},
            "startTime": str_at(p, "/status/startTime"),
            "volume": volumes,
        }));
    }
    let body = json!({"node": {"nodeName": node, "startTime": stamp}, "pods": out});
    Ok(text(StatusCode::OK, "application/json", body.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, phase: &str, ip: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "db", "uid": format!("uid-{name}"),
                            "labels": {"cnpg.io/cluster": "pg", "cnpg.io/instanceRole": "primary"}},
               "spec": {"nodeName": "n1", "containers": [{"name": "postgres", "image": "postgres:17"}],
                        "volumes": [{"name": "pgdata", "persistentVolumeClaim": {"claimName": name}}]},
               "status": {"phase": phase, "podIP": ip}})
    }

    #[test]
    fn a_pod_not_running_has_no_address_and_a_running_one_answers_as_healthy() {
        let sc = super::super::scenario::Scenario {
            objects: vec![
                pod("pg-1", "Running", "10.0.0.7"),
                pod("pg-2", "Pending", ""),
            ],
            ..Default::default()
        };
        let sim = Sim::new(&sc).expect("sim");
        let e = pod_proxy(&sim, "db", "https:pg-2:8000", "/pg/status").expect_err("pending");
        assert_eq!((e.code, e.message.as_str()), (400, "address not allowed"));
        let e = pod_proxy(&sim, "db", "pg-1:5432", "/").expect_err("closed port");
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                503,
                "error trying to reach service: dial tcp 10.0.0.7:5432: connect: connection refused"
            )
        );
        let ok = pod_proxy(&sim, "db", "https:pg-1:8000", "/pg/status").expect("answers");
        assert_eq!(ok.status(), StatusCode::OK);
        let e = node_proxy(&sim, "n2", "/stats/summary").expect_err("no such node");
        assert_eq!(e.code, 404);
    }

    #[test]
    fn quantities_wal_names_and_lsns() {
        assert_eq!(quantity("10Gi"), Some(10 * 1024 * 1024 * 1024));
        assert_eq!(quantity("500M"), Some(500_000_000));
        assert_eq!(quantity("12"), Some(12));
        assert_eq!(quantity("-1Gi"), None);
        assert_eq!(quantity("3Qi"), None);
        assert_eq!(
            next_wal("0000000100000000000000FF", 1),
            "000000010000000100000000"
        );
        assert_eq!(lsn_of("000000010000000100000002"), "1/2000000");
    }
}
