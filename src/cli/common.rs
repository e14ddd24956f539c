//! What the commands share: the async runtime they run on, `--now`, the connection and the
//! object a command names, and whether writes are off.

use anyhow::Context;
use chrono::{DateTime, Utc};

pub(super) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// `--now`, or the clock: reports and walks of a dump are judged as of a chosen instant.
pub(super) fn now(arg: Option<&str>) -> anyhow::Result<DateTime<Utc>> {
    match arg {
        Some(s) => Ok(DateTime::parse_from_rfc3339(s)
            .with_context(|| {
                format!("--now '{s}' is not an RFC3339 time, e.g. 2026-11-24T06:00:00Z")
            })?
            .with_timezone(&Utc)),
        None => Ok(Utc::now()),
    }
}

/// The client and where it is connected, or why not as one sentence.
pub(super) async fn connect_target(
    connect: &super::ConnectArgs,
) -> anyhow::Result<(kube::Client, crate::cluster::connect::Target)> {
    let opts = crate::cluster::connect::ConnectOptions {
        kubeconfig: connect.kubeconfig.clone(),
        context: connect.context.clone(),
        namespace: connect.namespace.clone(),
    };
    crate::cluster::connect::connect_bounded(&opts)
        .await
        .map_err(|e| anyhow::anyhow!("{}: {} ({})", e.target, e.what, e.hint))
}

/// The client, the namespace a bare NAME is in (`--namespace`, else the context's, else
/// `default`) and the context's name.
pub(super) async fn connect(
    connect: &super::ConnectArgs,
) -> anyhow::Result<(kube::Client, String, String)> {
    let (client, target) = connect_target(connect).await?;
    let ns = connect
        .namespace
        .clone()
        .or(target.namespace)
        .unwrap_or_else(|| "default".into());
    Ok((client, ns, target.context))
}

/// `NAME` (in `default_ns`) or `NAMESPACE/NAME` of a Cluster.
pub(super) fn cluster_ref(text: &str, default_ns: &str) -> anyhow::Result<(String, String)> {
    let (ns, name) = text.split_once('/').unwrap_or((default_ns, text));
    if ns.is_empty() || name.is_empty() || name.contains('/') {
        anyhow::bail!("'{text}' is not a Cluster: write NAME or NAMESPACE/NAME");
    }
    Ok((ns.to_string(), name.to_string()))
}

/// The client, the Cluster's namespace and name, and the context's name.
pub(super) async fn connect_to(
    args: &super::ConnectArgs,
    cluster: &str,
) -> anyhow::Result<(kube::Client, String, String, String)> {
    let (client, default_ns, context) = connect(args).await?;
    let (ns, name) = cluster_ref(cluster, &default_ns)?;
    Ok((client, ns, name, context))
}

/// Writes are off: `--read-only`, `read_only: true`, or the context listed read-only.
pub(super) fn read_only(flag: bool, settings: &crate::config::Settings, context: &str) -> bool {
    flag || settings.dashboard.read_only
        || settings
            .dashboard
            .read_only_contexts
            .iter()
            .any(|c| c == context)
}
