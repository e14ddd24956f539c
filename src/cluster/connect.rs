//! Connecting like kubectl: KUBECONFIG or ~/.kube/config, --kubeconfig, --context, and
//! in-cluster config inside a pod. Failures say which endpoint, what failed, what to check.

use std::path::PathBuf;

use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::kubeconfig;

#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// None: all namespaces.
    pub namespace: Option<String>,
}

/// Where backstop is connected: shown in the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
}

/// A connection that could not be set up, with what to check.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectError {
    pub target: String,
    pub what: String,
    pub hint: String,
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.target, self.what, self.hint)
    }
}

impl std::error::Error for ConnectError {}

fn unreadable(e: kubeconfig::Unreadable, hint: &str) -> ConnectError {
    ConnectError {
        target: e.path.display().to_string(),
        what: format!("cannot read the kubeconfig: {}", e.reason),
        hint: hint.into(),
    }
}

fn read_kubeconfig(opts: &ConnectOptions) -> Result<Option<(Kubeconfig, String)>, ConnectError> {
    if let Some(path) = &opts.kubeconfig {
        return kubeconfig::read_file(path)
            .map(|k| Some((k, path.display().to_string())))
            .map_err(|e| unreadable(e, "check the path given with --kubeconfig"));
    }
    let from_env = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty());
    let default = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube/config"));
    let (paths, origin): (Vec<PathBuf>, String) = match (&from_env, default) {
        (Some(v), _) => (
            std::env::split_paths(v).collect(),
            format!("KUBECONFIG={}", v.to_string_lossy()),
        ),
        (None, Some(p)) if p.exists() => {
            let origin = p.display().to_string();
            (vec![p], origin)
        }
        _ => return Ok(None),
    };
    match kubeconfig::read_merged(&paths) {
        Ok(Some(k)) => Ok(Some((k, origin))),
        Ok(None) => Err(ConnectError {
            target: origin,
            what: "none of the files it names exists".into(),
            hint: "point KUBECONFIG at kubeconfig files, or pass --kubeconfig".into(),
        }),
        Err(e) => Err(unreadable(
            e,
            "check the file (kubectl config view) or pass --kubeconfig",
        )),
    }
}

/// Every context of the kubeconfig kubectl would read, in its order: what `--all-contexts`
/// means.
pub fn contexts(opts: &ConnectOptions) -> Result<Vec<String>, ConnectError> {
    match read_kubeconfig(opts)? {
        Some((kc, _)) => Ok(kc.contexts.into_iter().map(|c| c.name).collect()),
        None => Err(ConnectError {
            target: "the kubeconfig".into(),
            what: "no kubeconfig found: there are no contexts to read".into(),
            hint: "set KUBECONFIG, create ~/.kube/config, or pass --kubeconfig".into(),
        }),
    }
}

/// Builds a client the way kubectl would choose its cluster.
pub async fn connect(opts: &ConnectOptions) -> Result<(Client, Target), ConnectError> {
    let (config, context) = match read_kubeconfig(opts)? {
        Some((kc, origin)) => {
            let context = opts
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            if let Some(wanted) = &opts.context
                && !kc.contexts.iter().any(|c| &c.name == wanted)
            {
                let known: Vec<&str> = kc.contexts.iter().map(|c| c.name.as_str()).collect();
                return Err(ConnectError {
                    target: origin,
                    what: format!("no context named '{wanted}'"),
                    hint: format!("the contexts are: {}", known.join(", ")),
                });
            }
            let options = KubeConfigOptions {
                context: opts.context.clone(),
                ..Default::default()
            };
            let config = Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| ConnectError {
                    target: format!("context {context} in {origin}"),
                    what: e.to_string(),
                    hint: "check the context's cluster and user (kubectl config view --minify)"
                        .into(),
                })?;
            (config, context)
        }
        None => {
            let config = Config::incluster().map_err(|e| ConnectError {
                target: "in-cluster configuration".into(),
                what: format!("no kubeconfig found and not running in a pod ({e})"),
                hint: "set KUBECONFIG, create ~/.kube/config, or pass --kubeconfig; `backstop demo` needs no cluster".into(),
            })?;
            (config, "in-cluster".to_string())
        }
    };
    let server = config.cluster_url.to_string();
    let mut config = config;
    // kube retries 429/503/504 up to 15 times with delays growing to minutes: an API group
    // answering 503 for ever read as "syncing" for ever. The watchers retry with their own
    // backoff and say what failed meanwhile; a one-shot read reports the answer it got.
    config.default_retry = false;
    let client = Client::try_from(config).map_err(|e| ConnectError {
        target: server.clone(),
        what: format!("cannot build a client: {e}"),
        hint: "check the TLS settings and credentials of the context".into(),
    })?;
    Ok((
        client,
        Target {
            context,
            server: server.trim_end_matches('/').to_string(),
            namespace: opts.namespace.clone(),
        },
    ))
}

/// How long connecting may take before it counts as failed. An exec credential plugin (an
/// SSO login waiting for a browser) runs while the client is built, and may never return.
/// Whether the API server is backstop's simulator (its version says so): its object
/// stores' endpoints are fictional unless on loopback, so nothing beyond is dialled.
pub async fn is_simulator(client: &Client) -> bool {
    client
        .apiserver_version()
        .await
        .map(|v| v.git_version.contains("backstop-sim"))
        .unwrap_or(false)
}

pub fn connect_timeout() -> std::time::Duration {
    let secs = std::env::var("BACKSTOP_CONNECT_TIMEOUT")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(20);
    std::time::Duration::from_secs(secs)
}

/// [`connect`], bounded by [`connect_timeout`]. Building the client runs a credential
/// plugin synchronously, so it runs on a thread of its own: a plugin that never returns
/// costs that thread, never the caller, which can still quit.
pub async fn connect_bounded(opts: &ConnectOptions) -> Result<(Client, Target), ConnectError> {
    let limit = connect_timeout();
    let handle = tokio::runtime::Handle::current();
    let owned = opts.clone();
    let task = tokio::task::spawn_blocking(move || handle.block_on(connect(&owned)));
    match tokio::time::timeout(limit, task).await {
        Ok(Ok(result)) => result,
        Ok(Err(e)) => Err(ConnectError {
            target: opts
                .context
                .clone()
                .unwrap_or_else(|| "the current context".into()),
            what: format!("connecting failed: {e}"),
            hint: "run backstop again; if it repeats, report it with the log file".into(),
        }),
        Err(_) => {
            end_credential_plugins();
            Err(ConnectError {
                target: opts
                    .context
                    .clone()
                    .unwrap_or_else(|| "the current context".into()),
                what: format!("no connection within {} s", limit.as_secs()),
                hint: "an exec credential plugin (an SSO login) may be waiting for you: run `kubectl get ns` to log in, then start backstop again (BACKSTOP_CONNECT_TIMEOUT=SECONDS waits longer)".into(),
            })
        }
    }
}

/// Stops the processes backstop started and still waits on: after a connect timeout, the
/// credential plugin, which would otherwise outlive backstop as an orphan.
pub fn end_credential_plugins() {
    #[cfg(target_os = "linux")]
    {
        let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
            return;
        };
        for task in tasks.flatten() {
            let Ok(children) = std::fs::read_to_string(task.path().join("children")) else {
                continue;
            };
            for pid in children
                .split_whitespace()
                .filter_map(|p| p.parse::<i32>().ok())
            {
                // SAFETY: a signal to a process this process started; no memory is touched.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
    }
}
