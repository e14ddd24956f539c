//! Saved manifests as facts: `check --dump` loads them into the simulator in-process and
//! reads them as it reads a live cluster. The one place outside the commands that starts
//! the simulator.

use chrono::{DateTime, Utc};

use super::{Reach, collect};
use crate::assess::Facts;
use crate::sim::Sim;

/// Facts of a scenario (built-in name, file or folder) as of `now`, through the simulator
/// in-process: what `check --dump` evaluates, with the scenario's logs but no network.
pub async fn facts_from_scenario(spec: &str, now: DateTime<Utc>) -> anyhow::Result<Facts> {
    facts_from_dump(spec, now, None).await
}

/// [`facts_from_scenario`] seen from one namespace, as `-n` scopes a live check. A dump
/// with no object at all is an error, not an empty cluster: a truncated
/// `kubectl get -A -o yaml > dump.yaml` in cron must not page someone for "CloudNativePG is
/// not installed".
pub async fn facts_from_dump(
    spec: &str,
    now: DateTime<Utc>,
    namespace: Option<&str>,
) -> anyhow::Result<Facts> {
    let sc = crate::sim::scenario::load(spec, now)?;
    if sc.objects.is_empty() {
        anyhow::bail!(
            "{spec} is empty: it holds no Kubernetes object (an interrupted `kubectl get -A -o yaml`?); nothing was checked"
        );
    }
    let sim = Sim::new(&sc)?;
    let client = kube::Client::new(sim.router(), "default");
    Ok(collect(
        &client,
        namespace,
        Reach {
            logs: true,
            network: false,
            bucket: true,
            // Saved manifests hold no live archiver; a scenario that simulates one does.
            archiver: !sc.archivers.is_empty(),
        },
    )
    .await)
}
