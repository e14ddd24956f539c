//! The logs of a bundle: the containers the rules read (the plugin, every instance's
//! plugin-barman-cloud sidecar, a restore's recovery pods), the CloudNativePG operator and
//! the Flux controllers; each a bounded tail, with its timestamps (a reloaded bundle
//! anchors its clock on them), through the one redactor.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};

use crate::model::snapshot::Snapshot;

/// Logs read at once.
const AT_ONCE: usize = 4;
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// How much of each log.
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    /// Lines from the end.
    pub lines: i64,
    /// Bytes from the end.
    pub bytes: i64,
    /// Only what the last this-many seconds wrote.
    pub since_seconds: Option<i64>,
}

impl Default for Bounds {
    fn default() -> Bounds {
        Bounds {
            lines: 2000,
            bytes: 1024 * 1024,
            since_seconds: None,
        }
    }
}

/// One container's log as read.
#[derive(Debug, Clone)]
pub struct Log {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub lines: Result<Vec<String>, String>,
    /// The tail stopped at a bound: older lines exist that the bundle does not hold.
    pub cut: bool,
}

impl Log {
    /// Where the log goes in the bundle.
    pub fn path(&self) -> String {
        format!(
            "logs/{}/{}/{}.log",
            self.namespace, self.pod, self.container
        )
    }
}

/// The containers to read: (namespace, pod, container), each once.
pub fn targets(s: &Snapshot) -> Vec<(String, String, String)> {
    let mut out = crate::checks::log_targets(s);
    for p in s.pods.rows.iter() {
        let operator =
            p.labels.get("app.kubernetes.io/name").map(String::as_str) == Some("cloudnative-pg");
        let flux = p.namespace == "flux-system"
            || p.labels
                .get("app.kubernetes.io/part-of")
                .map(String::as_str)
                == Some("flux");
        if !(operator || flux) {
            continue;
        }
        for (container, _) in &p.images {
            let t = (p.namespace.clone(), p.name.clone(), container.clone());
            if !out.contains(&t) {
                out.push(t);
            }
        }
    }
    out
}

/// Reads every target, a few at a time, handing each log to `done` as it ends (to be
/// written and dropped: the logs of a large cluster are never all held at once).
pub async fn read(
    client: &kube::Client,
    targets: Vec<(String, String, String)>,
    bounds: Bounds,
    mut done: impl FnMut(Log),
) {
    let mut reads = futures::stream::iter(targets)
        .map(|(namespace, pod, container)| {
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            async move {
                let params = LogParams {
                    container: Some(container.clone()),
                    tail_lines: Some(bounds.lines),
                    limit_bytes: Some(bounds.bytes),
                    since_seconds: bounds.since_seconds,
                    timestamps: true,
                    ..Default::default()
                };
                let (lines, cut) =
                    match tokio::time::timeout(READ_TIMEOUT, api.logs(&pod, &params)).await {
                        Ok(Ok(text)) => {
                            let lines: Vec<String> = text
                                .lines()
                                .map(|l| crate::redact::redact(l).into_owned())
                                .collect();
                            let cut = lines.len() as i64 >= bounds.lines
                                || text.len() as i64 >= bounds.bytes;
                            (Ok(lines), cut)
                        }
                        Ok(Err(kube::Error::Api(s))) => {
                            (Err(format!("{} ({})", s.message, s.code)), false)
                        }
                        Ok(Err(e)) => (Err(e.to_string()), false),
                        Err(_) => (Err("reading the log timed out".to_string()), false),
                    };
                Log {
                    namespace,
                    pod,
                    container,
                    lines,
                    cut,
                }
            }
        })
        .buffer_unordered(AT_ONCE);
    while let Some(log) = reads.next().await {
        done(log);
    }
}
