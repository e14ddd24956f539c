//! FLX014: a Kustomization whose health check fails only because CloudNativePG Clusters are
//! rolling their instances after the plugin or the operator changed. A new plugin version
//! changes the `plugin-barman-cloud` sidecar image the operator injects, a new operator its
//! bootstrap image: the operator then replaces every instance pod, one at a time, and a
//! Kustomization that health-checks the Cluster times out meanwhile. That is a wait, not a
//! Flux failure; anything else the health check names, a Cluster in any other phase, an
//! instance pod that cannot run, or a roll past its time budget stays FLX004.

use chrono::{DateTime, Duration, Utc};

use super::helm::BACKUP_CHARTS;
use crate::assess::read::{FAILING, cond_line, plugin_services, selects};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Severity};
use crate::model::domain::{CLUSTER_LABEL, OPERATOR_APP, OPERATOR_LABEL, SIDECAR};
use crate::model::kubefmt::{human_duration, ts};
use crate::model::rows::{ClusterRow, Condition, KustomizationRow, PodRow, condition};

/// The Cluster phases CloudNativePG sets while it replaces or restarts instances
/// (api/v1/cluster_types.go): a roll in progress, each ending in "Cluster in healthy state".
/// "Waiting for user action" (a supervised primary update) is left out: it never ends by
/// itself.
const ROLLING_PHASES: &[&str] = &[
    "Upgrading cluster",
    "Waiting for the instances to become active",
    "Switchover in progress",
    "Primary instance is being restarted in-place",
    "Primary instance is being restarted without a switchover",
    "Online upgrade in progress",
];

/// The init container CloudNativePG copies its instance manager with: the operator's image.
const BOOTSTRAP: &str = "bootstrap-controller";

/// How long one instance may take to be replaced (pod recreated, PostgreSQL up, the
/// switchover for the primary) before the roll is no longer just a roll.
const PER_INSTANCE: i64 = 10;

/// How recent a plugin or operator change must be to explain a roll.
const RECENT_HOURS: i64 = 2;

/// The roll FLX014 reports, or why a health check failure is not (only) one.
pub(super) struct Roll {
    evidence: Vec<String>,
    clusters: Vec<String>,
    /// When the slowest Cluster should be done, if its roll start is known.
    deadline: Option<DateTime<Utc>>,
    cause: &'static str,
}

/// Whether every object a health check message names is a CloudNativePG Cluster rolling
/// after a plugin or operator change. The status kustomize-controller quotes ('InProgress'
/// on a timeout, 'Failed' when a `healthCheckExprs` entry calls Ready=False failed) is not
/// trusted either way: the Cluster's own phase decides. Err carries notes for FLX004's evidence (a roll past
/// its budget), empty when the objects are simply something else.
pub(super) fn judge(
    f: &Facts,
    objects: &[String],
    now: DateTime<Utc>,
) -> Result<Roll, Vec<String>> {
    if objects.is_empty() {
        return Err(vec![]);
    }
    let global = recent_changes(f, now);
    let mut roll = Roll {
        evidence: vec![],
        clusters: vec![],
        deadline: None,
        cause: "after a plugin or operator change",
    };
    let mut plugin = false;
    let mut operator = false;
    for o in objects {
        let Some(c) = cluster_named(f, o) else {
            return Err(vec![]);
        };
        let (ns, name) = (&c.namespace, &c.name);
        if !ROLLING_PHASES.contains(&c.phase.as_str()) {
            return Err(vec![]);
        }
        let pods: Vec<&PodRow> = f
            .snapshot
            .pods
            .in_namespace(ns)
            .iter()
            .map(|p| p.as_ref())
            .filter(|p| p.labels.get(CLUSTER_LABEL) == Some(name))
            .collect();
        if pods.iter().any(|p| FAILING.contains(&p.status.as_str())) {
            return Err(vec![]);
        }
        let ready = condition(&c.conditions, "Ready").filter(|r| r.status == "False");
        let since = ready.and_then(|r| r.since);
        let instances = c.instances.unwrap_or(1).max(1);
        let budget = Duration::minutes(PER_INSTANCE * instances);
        if let Some(since) = since
            && now - since > budget
        {
            return Err(vec![format!(
                "Cluster {ns}/{name} has been in phase '{}' since {} ({}), longer than a roll of {instances} instance(s) takes ({}): more than a roll",
                c.phase,
                ts(since),
                human_duration(now - since),
                human_duration(budget)
            )]);
        }
        let mut seen = cluster_evidence(c, ready, &pods);
        let images = differing_images(&pods);
        let reason = c.phase_reason.as_deref().unwrap_or_default();
        let replaced = !images.is_empty()
            || reason.starts_with("Restarting instance")
            || reason.contains("needs to be restarted")
            || pods
                .iter()
                .any(|p| since.zip(p.created).is_some_and(|(s, t)| t >= s));
        let sidecar = images.iter().any(|(c, _)| c == SIDECAR) || reason.contains(SIDECAR);
        let bootstrap = images.iter().any(|(c, _)| c == BOOTSTRAP)
            || reason.contains("old bootstrap container image");
        plugin |= sidecar || global.plugin;
        operator |= bootstrap || global.operator;
        if !replaced || !(sidecar || bootstrap || !global.evidence.is_empty()) {
            return Err(vec![]);
        }
        seen.extend(images.into_iter().map(|(_, line)| line));
        roll.evidence.extend(seen);
        roll.clusters.push(format!("{ns}/{name}"));
        if let Some(since) = since {
            let end = since + budget;
            roll.deadline = Some(roll.deadline.map_or(end, |d| d.max(end)));
        }
    }
    roll.evidence.extend(global.evidence);
    roll.cause = match (plugin, operator) {
        (true, false) => "after the plugin's upgrade",
        (false, true) => "after the operator's upgrade",
        _ => "after a plugin or operator change",
    };
    Ok(roll)
}

/// The CloudNativePG Cluster a health-check entry names: `Cluster/<ns>/<name> status: '…'`.
fn cluster_named<'a>(f: &'a Facts, object: &str) -> Option<&'a ClusterRow> {
    let id = object.split_whitespace().next()?;
    let parts: Vec<&str> = id.split('/').collect();
    let [kind, ns, name] = parts.as_slice() else {
        return None;
    };
    if *kind != Kind::Cluster.name() {
        return None;
    }
    f.snapshot
        .clusters
        .rows
        .iter()
        .map(|c| c.as_ref())
        .find(|c| c.namespace == *ns && c.name == *name)
}

/// The Cluster's phase, why, how many instances are ready, and its pods.
fn cluster_evidence(c: &ClusterRow, ready: Option<&Condition>, pods: &[&PodRow]) -> Vec<String> {
    let (ns, name) = (&c.namespace, &c.name);
    let mut ev = vec![format!("Cluster {ns}/{name} status.phase: {}", c.phase)];
    if let Some(reason) = &c.phase_reason {
        ev.push(format!("Cluster {ns}/{name} status.phaseReason: {reason}"));
    }
    let count = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    ev.push(format!(
        "Cluster {ns}/{name} instances ready: {}/{}",
        count(c.ready_instances),
        count(c.instances)
    ));
    if let Some(r) = ready {
        let since = r
            .since
            .map(|t| format!(" (since {})", ts(t)))
            .unwrap_or_default();
        ev.push(format!("Cluster {ns}/{name} {}{since}", cond_line(r)));
    }
    for p in pods.iter().filter(|p| !p.is_ready()) {
        ev.push(format!(
            "Pod {ns}/{} READY {}/{} STATUS: {}",
            p.name, p.ready.0, p.ready.1, p.status
        ));
    }
    ev
}

/// Containers whose image differs between a Cluster's instance pods: the roll half done.
/// (container, evidence line).
fn differing_images(pods: &[&PodRow]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for container in [SIDECAR, BOOTSTRAP, "postgres"] {
        let mut images: Vec<(&str, &str)> = pods
            .iter()
            .filter_map(|p| Some((p.name.as_str(), p.image_of(container)?)))
            .collect();
        images.sort();
        let first = images.first().map(|(_, i)| *i);
        if images.iter().any(|(_, i)| Some(*i) != first) {
            let list = images
                .iter()
                .map(|(p, i)| format!("{p} {i}"))
                .collect::<Vec<_>>()
                .join(", ");
            out.push((
                container.to_string(),
                format!("instance pods run different {container} images: {list}"),
            ));
        }
    }
    out
}

/// Plugin or operator changes within the last hours: a backup chart's HelmRelease that
/// upgraded, or the plugin's or the operator's pods that started.
struct Changes {
    evidence: Vec<String>,
    plugin: bool,
    operator: bool,
}

fn recent_changes(f: &Facts, now: DateTime<Utc>) -> Changes {
    let recent = |t: Option<DateTime<Utc>>| {
        t.is_some_and(|t| now - t <= Duration::hours(RECENT_HOURS) && t <= now)
    };
    let mut ch = Changes {
        evidence: vec![],
        plugin: false,
        operator: false,
    };
    for r in f.snapshot.helm_releases.rows.iter() {
        if !BACKUP_CHARTS.contains(&r.chart.as_str()) {
            continue;
        }
        let Some(ready) = r.ready().filter(|c| {
            c.is_true() && matches!(c.reason.as_str(), "UpgradeSucceeded" | "InstallSucceeded")
        }) else {
            continue;
        };
        if !recent(ready.since) {
            continue;
        }
        let plugin = r.chart == "plugin-barman-cloud";
        ch.plugin |= plugin;
        ch.operator |= !plugin;
        ch.evidence.push(format!(
            "HelmRelease {}/{} {} (at {})",
            r.namespace,
            r.name,
            cond_line(ready),
            ready.since.map(ts).unwrap_or_default()
        ));
    }
    let pods = &f.snapshot.pods.rows;
    let services = plugin_services(f);
    for p in pods.iter().filter(|p| recent(p.created)) {
        let plugin = services
            .iter()
            .any(|s| s.namespace == p.namespace && selects(&s.selector, &p.labels));
        let operator = p.labels.get(OPERATOR_LABEL).map(String::as_str) == Some(OPERATOR_APP);
        if !(plugin || operator) {
            continue;
        }
        ch.plugin |= plugin;
        ch.operator |= operator;
        let image = p.images.first().map(|(_, i)| i.as_str()).unwrap_or("?");
        ch.evidence.push(format!(
            "{} pod {}/{} started {}: {image}",
            if plugin { "plugin" } else { "operator" },
            p.namespace,
            p.name,
            p.created.map(ts).unwrap_or_default()
        ));
    }
    ch
}

/// The FLX014 finding for a Kustomization, after the `evidence` its health check gave.
pub(super) fn finding(k: &KustomizationRow, mut evidence: Vec<String>, roll: Roll) -> Finding {
    let (ns, name) = (k.namespace.as_str(), k.name.as_str());
    evidence.extend(roll.evidence);
    let which = roll.clusters.join(", ");
    let by = roll
        .deadline
        .map(|d| format!("by {}", ts(d)))
        .unwrap_or_else(|| format!("within {PER_INSTANCE} minutes per instance"));
    let look = roll
        .clusters
        .first()
        .and_then(|c| c.split_once('/'))
        .map(|(cns, cname)| {
            format!("kubectl cnpg status {cname} -n {cns}; kubectl -n {cns} get pods -l {CLUSTER_LABEL}={cname}")
        })
        .unwrap_or_default();
    Finding::new(
        "FLX014",
        Severity::Warning,
        ObjectRef::new(Kind::Kustomization, ns, name),
        format!(
            "Kustomization {ns}/{name} waits for CloudNativePG Cluster {which} to finish rolling its instances {}: not a Flux failure",
            roll.cause
        ),
        evidence,
        format!(
            "Wait for the roll: the operator replaces one instance at a time and the health check passes once the last one is ready (flux reconcile kustomization {name} -n {ns} checks again at once). If the Cluster is not in 'Cluster in healthy state' {by}, look at the Cluster, not at Flux: {look}"
        ),
    )
}
