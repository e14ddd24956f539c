//! The archiver of a Cluster's primary, read live the way `kubectl cnpg status` and the
//! CloudNativePG Headlamp plugin read it: through the API server's `pods/proxy`
//! subresource, so no port-forward and no Prometheus is needed.
//!
//! - the instance manager's status: `GET .../pods/{http|https}:{pod}:8000/proxy/pg/status`
//!   (https when the postgres container runs with `--status-port-tls`);
//! - the exporter: `GET .../pods/{http|https}:{pod}:9187/proxy/metrics` (https with
//!   `--metrics-port-tls`, i.e. `spec.monitoring.tls.enabled`);
//! - the WAL volume (`pg-wal`, else `pgdata`): the kubelet's `/stats/summary` through
//!   `nodes/proxy` on the pod's node.
//!
//! Each read is bounded in time and in bytes, and a refusal (RBAC, a NetworkPolicy, a pod
//! that is not ready) is kept as the reason that part is unknown.

pub mod prom;
pub mod status;
pub mod summary;

use std::time::Duration;

use chrono::Utc;
use futures::AsyncReadExt;

use serde_json::Value;

use crate::model::archiver::{ArchiverReading, BackupEnd};

/// The instance manager's status port and path (CloudNativePG `pkg/management/url`).
pub const STATUS_PORT: u16 = 8000;
pub const STATUS_PATH: &str = "/pg/status";
/// The PostgreSQL exporter's port and path.
pub const METRICS_PORT: u16 = 9187;
pub const METRICS_PATH: &str = "/metrics";

/// How long one proxied read may take: a NetworkPolicy that drops the API server's packets
/// shows as a timeout, which must not hold the whole check.
const READ_TIMEOUT: Duration = Duration::from_secs(5);
const STATUS_MAX: u64 = 256 * 1024;
/// Exporter pages grow with custom queries; the archiver's samples are a few lines of it.
const METRICS_MAX: u64 = 4 * 1024 * 1024;
/// A node with many pods writes a large summary.
const SUMMARY_MAX: u64 = 8 * 1024 * 1024;

/// Where to read a primary, from its Pod as the operator wrote it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Target {
    pub namespace: String,
    pub pod: String,
    pub node: Option<String>,
    pub status_https: bool,
    pub metrics_https: bool,
    /// The claim holding pg_wal and whether it is a separate WAL volume.
    pub pvc: Option<(String, bool)>,
}

/// The target of a Pod object: the postgres container's flags give the schemes, the
/// `pg-wal` (else `pgdata`) volume the claim.
pub fn target_of(pod: &Value) -> Target {
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).map(str::to_string);
    let command: Vec<&str> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("name").and_then(Value::as_str) == Some("postgres"))
        .filter_map(|c| c.get("command").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let claim = |volume: &str| {
        pod.pointer("/spec/volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|v| v.get("name").and_then(Value::as_str) == Some(volume))
            .and_then(|v| v.pointer("/persistentVolumeClaim/claimName"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    Target {
        namespace: s("/metadata/namespace").unwrap_or_default(),
        pod: s("/metadata/name").unwrap_or_default(),
        node: s("/spec/nodeName").filter(|n| !n.is_empty()),
        status_https: command.contains(&"--status-port-tls"),
        metrics_https: command.contains(&"--metrics-port-tls"),
        pvc: claim("pg-wal")
            .map(|c| (c, true))
            .or_else(|| claim("pgdata").map(|c| (c, false))),
    }
}

/// The `pods/proxy` path kubectl and client-go's `ProxyGet` use.
pub fn proxy_path(ns: &str, pod: &str, https: bool, port: u16, path: &str) -> String {
    let scheme = if https { "https" } else { "http" };
    format!("/api/v1/namespaces/{ns}/pods/{scheme}:{pod}:{port}/proxy{path}")
}

/// One reading of a Cluster's primary pod; `newest_backup` is the newest completed Backup
/// to compare with the archiver, when there is one.
pub async fn read(
    client: &kube::Client,
    namespace: &str,
    cluster: &str,
    pod: &str,
    newest_backup: Option<&str>,
) -> ArchiverReading {
    let taken_at = Utc::now();
    let pod_path = format!("/api/v1/namespaces/{namespace}/pods/{pod}");
    let target = match get_text(client, &pod_path, STATUS_MAX).await {
        Ok(body) => serde_json::from_str::<Value>(&body)
            .map(|v| target_of(&v))
            .map_err(|e| format!("reading Pod {namespace}/{pod}: not JSON ({e})")),
        Err(e) => Err(format!("reading Pod {namespace}/{pod}: {e}")),
    };
    let backup = async {
        match newest_backup {
            Some(name) => backup_end(client, namespace, name).await,
            None => None,
        }
    };
    let Ok(t) = target else {
        let why = target.err().unwrap_or_default();
        return ArchiverReading {
            namespace: namespace.into(),
            cluster: cluster.into(),
            pod: pod.into(),
            taken_at,
            status: Err(why.clone()),
            metrics: Err(why.clone()),
            volume: Err(why),
            newest_backup: backup.await,
        };
    };
    let status = async {
        let path = proxy_path(namespace, pod, t.status_https, STATUS_PORT, STATUS_PATH);
        get_text(client, &path, STATUS_MAX)
            .await
            .and_then(|b| status::parse_status(&b))
            .map_err(|e| format!("GET {path}: {e}"))
    };
    let metrics = async {
        let path = proxy_path(namespace, pod, t.metrics_https, METRICS_PORT, METRICS_PATH);
        get_text(client, &path, METRICS_MAX)
            .await
            .and_then(|b| prom::archiver_metrics(&b))
            .map_err(|e| format!("GET {path}: {e}"))
    };
    let volume = async {
        let Some((pvc, wal_only)) = &t.pvc else {
            return Err(format!(
                "Pod {namespace}/{pod} mounts no pg-wal or pgdata PersistentVolumeClaim"
            ));
        };
        let Some(node) = &t.node else {
            return Err(format!("Pod {namespace}/{pod} is not scheduled on a node"));
        };
        let path = format!("/api/v1/nodes/{node}/proxy/stats/summary");
        get_text(client, &path, SUMMARY_MAX)
            .await
            .and_then(|b| summary::pvc_usage(&b, namespace, pvc, *wal_only))
            .map_err(|e| format!("GET {path}: {e}"))
    };
    let (status, metrics, volume, newest_backup) = tokio::join!(status, metrics, volume, backup);
    // nodes/proxy is often not granted where pods/proxy is: a separate WAL volume can still
    // be measured by the exporter, and the kubelet's refusal is kept beside it.
    let volume = match (volume, &metrics, &t.pvc) {
        (Err(why), Ok(m), Some((pvc, wal_only))) => summary::from_exporter(m, pvc, *wal_only)
            .map(|mut u| {
                u.source = format!("{} (the kubelet: {why})", u.source);
                u
            })
            .ok_or(why),
        (v, _, _) => v,
    };
    ArchiverReading {
        namespace: namespace.into(),
        cluster: cluster.into(),
        pod: pod.into(),
        taken_at,
        status,
        metrics,
        volume,
        newest_backup,
    }
}

/// A completed Backup's `status.endWal`, read from the object (the watched rows keep no
/// WAL names). None when it cannot be read or has none.
async fn backup_end(client: &kube::Client, ns: &str, name: &str) -> Option<BackupEnd> {
    let path = format!("/apis/postgresql.cnpg.io/v1/namespaces/{ns}/backups/{name}");
    let body = get_text(client, &path, STATUS_MAX).await.ok()?;
    let v: Value = serde_json::from_str(&body).ok()?;
    let end_wal = v.pointer("/status/endWal").and_then(Value::as_str)?;
    Some(BackupEnd {
        name: name.to_string(),
        end_wal: end_wal.to_string(),
        stopped: v
            .pointer("/status/stoppedAt")
            .and_then(Value::as_str)
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
    })
}

/// GET a path through the API server, at most `max` bytes within the read timeout. The
/// error is what the API server or the proxied port said, with its code.
async fn get_text(client: &kube::Client, path: &str, max: u64) -> Result<String, String> {
    let req = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| format!("building the request: {e}"))?;
    let read = async {
        let stream = client.request_stream(req).await.map_err(describe)?;
        let mut buf = Vec::new();
        stream
            .take(max + 1)
            .read_to_end(&mut buf)
            .await
            .map_err(|e| format!("reading the answer: {e}"))?;
        if buf.len() as u64 > max {
            return Err(format!("the answer is larger than {max} bytes: not read"));
        }
        String::from_utf8(buf).map_err(|_| "the answer is not UTF-8".to_string())
    };
    match tokio::time::timeout(READ_TIMEOUT, read).await {
        Ok(r) => r.map_err(|e| crate::redact::redact(&e).into_owned()),
        Err(_) => Err(format!(
            "no answer within {}s (a NetworkPolicy dropping the API server's traffic to the pod?)",
            READ_TIMEOUT.as_secs()
        )),
    }
}

/// The API server's or the pod's answer to a failed read, cut to a line a report can hold:
/// a proxied error page can be anything the pod sends.
fn describe(e: kube::Error) -> String {
    const MAX: usize = 400;
    let text = match e {
        kube::Error::Api(s) => {
            let message: String = s.message.trim().chars().take(MAX).collect();
            match s.reason.as_str() {
                "" => format!("{message} ({})", s.code),
                reason => format!("{message} ({} {reason})", s.code),
            }
        }
        other => other.to_string().chars().take(MAX).collect(),
    };
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_target_follows_the_postgres_containers_flags_and_volumes() {
        let pod = json!({
            "metadata": {"namespace": "orders", "name": "pg-orders-1"},
            "spec": {
                "nodeName": "worker-1",
                "containers": [{"name": "postgres", "command": ["/controller/manager", "instance", "run", "--status-port-tls", "--metrics-port-tls", "--log-level=info"]}],
                "volumes": [
                    {"name": "pgdata", "persistentVolumeClaim": {"claimName": "pg-orders-1"}},
                    {"name": "pg-wal", "persistentVolumeClaim": {"claimName": "pg-orders-1-wal"}}
                ]
            }
        });
        let t = target_of(&pod);
        assert!(t.status_https && t.metrics_https);
        assert_eq!(t.pvc, Some(("pg-orders-1-wal".into(), true)));
        assert_eq!(t.node.as_deref(), Some("worker-1"));
        assert_eq!(
            proxy_path(
                "orders",
                "pg-orders-1",
                t.status_https,
                STATUS_PORT,
                STATUS_PATH
            ),
            "/api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status"
        );
        let plain = json!({"metadata": {"namespace": "o", "name": "p"}, "spec": {
            "containers": [{"name": "postgres", "command": ["/controller/manager", "instance", "run"]}],
            "volumes": [{"name": "pgdata", "persistentVolumeClaim": {"claimName": "p"}}]}});
        let t = target_of(&plain);
        assert!(!t.status_https && !t.metrics_https && t.node.is_none());
        assert_eq!(t.pvc, Some(("p".into(), false)));
    }
}
