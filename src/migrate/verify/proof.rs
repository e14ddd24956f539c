//! The checks of what runs and what is in the bucket (the sidecar, the WAL, the first
//! plugin backup) and of the alerts, judged purely from what was read.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::checks::{s, shown};
use super::{Check, Status};
use crate::migrate::alerts::{self, Hit, RulesSeen};
use crate::model::bucket::BucketFacts;
use crate::model::domain::{PLUGIN_NAME, SIDECAR};

/// The sidecar of one pod: declared (a native sidecar, an init container with
/// restartPolicy Always, or a plain container) and its status.
fn sidecar_of(pod: &Value) -> Option<(bool, Option<&Value>)> {
    let declared_init = crate::model::kubefmt::containers(pod, "/spec/initContainers")
        .iter()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(SIDECAR));
    let declared = declared_init.or_else(|| {
        crate::model::kubefmt::containers(pod, "/spec/containers")
            .iter()
            .find(|c| c.get("name").and_then(Value::as_str) == Some(SIDECAR))
    })?;
    let native = declared_init.is_some()
        && declared.get("restartPolicy").and_then(Value::as_str) == Some("Always");
    let status = ["/status/initContainerStatuses", "/status/containerStatuses"]
        .iter()
        .filter_map(|p| pod.pointer(p).and_then(Value::as_array))
        .flatten()
        .find(|c| c.get("name").and_then(Value::as_str) == Some(SIDECAR));
    Some((native || declared_init.is_none(), status))
}

/// When the sidecar of `pod` started running.
pub fn sidecar_started(pod: &Value) -> Option<DateTime<Utc>> {
    let (_, st) = sidecar_of(pod)?;
    s(st?, "/state/running/startedAt")?
        .parse::<DateTime<Utc>>()
        .ok()
}

/// 2. The sidecar injected, running and ready in every instance pod.
pub fn sidecar(cluster_name: &str, pods: &[Value]) -> Check {
    if pods.is_empty() {
        return Check::new(
            "sidecar",
            Status::Fail,
            format!("no instance pod of Cluster {cluster_name} was found"),
        )
        .remedy("`kubectl get pods -l cnpg.io/cluster=NAME` should list the instances: is the Cluster running?");
    }
    let mut bad = Vec::new();
    let mut good = Vec::new();
    for p in pods {
        let name = shown(s(p, "/metadata/name").unwrap_or_default());
        match sidecar_of(p) {
            None => bad.push(format!("{name}: no {SIDECAR} container: not rolled yet")),
            Some((false, _)) => bad.push(format!(
                "{name}: {SIDECAR} is an init container without restartPolicy Always: it would block the pod's start"
            )),
            Some((true, None)) => bad.push(format!("{name}: {SIDECAR} declared, no status yet")),
            Some((true, Some(st))) => {
                let ready = st.get("ready").and_then(Value::as_bool) == Some(true);
                let running = st.pointer("/state/running").is_some();
                if ready && running {
                    good.push(format!("{name}: {SIDECAR} running and ready"));
                } else {
                    let why = s(st, "/state/waiting/reason")
                        .or(s(st, "/state/terminated/reason"))
                        .unwrap_or(if running { "running, not ready" } else { "not running" });
                    bad.push(format!("{name}: {SIDECAR} {}", shown(why)));
                }
            }
        }
    }
    let mut c = if bad.is_empty() {
        Check::new(
            "sidecar",
            Status::Pass,
            format!(
                "all {} instance pod(s) run the {SIDECAR} sidecar",
                pods.len()
            ),
        )
    } else {
        Check::new(
            "sidecar",
            Status::Fail,
            format!("{} of {} instance pod(s) lack a working {SIDECAR} sidecar", bad.len(), pods.len()),
        )
        .remedy("CloudNativePG rolls the instances after the Cluster change, the primary last; a pod not rolled yet gets the sidecar then. If one stays without it, read the plugin's log (`kubectl logs -n cnpg-system deploy/barman-cloud`) and the Cluster's events; a sidecar that crashes: `kubectl logs POD -c plugin-barman-cloud`")
    };
    c.evidence = bad.into_iter().chain(good).collect();
    c
}

/// The ContinuousArchiving condition: (status, reason/message).
pub fn archiving_condition(cluster: &Value) -> Option<(bool, String)> {
    let c = cluster
        .pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some("ContinuousArchiving"))?;
    Some((
        c.get("status").and_then(Value::as_str) == Some("True"),
        format!(
            "{}: {}",
            shown(s(c, "/reason").unwrap_or("no reason")),
            shown(s(c, "/message").unwrap_or("no message"))
        ),
    ))
}

/// What reading the bucket gave.
#[derive(Debug, Clone, Copy)]
pub enum Bucket<'a> {
    /// Not read, or not readable from here, and why.
    NotRead(&'a str),
    Read(&'a BucketFacts),
}

/// The primary's sidecar start: after it, a WAL in the bucket came through the plugin.
pub fn primary_sidecar_start(cluster: &Value, pods: &[Value]) -> Option<DateTime<Utc>> {
    let primary = s(cluster, "/status/currentPrimary")?;
    pods.iter()
        .find(|p| s(p, "/metadata/name") == Some(primary))
        .and_then(sidecar_started)
}

/// WAL archived through the plugin (check 3). `switched`: the segment a switch closed,
/// when verify asked for one, and whether it reached the bucket in time.
pub fn wal(
    cluster: &Value,
    pods: &[Value],
    bucket: Bucket<'_>,
    switched: Option<(&str, bool)>,
) -> Check {
    let mut c = Check::new("wal-archived", Status::Pass, "");
    let cond = archiving_condition(cluster);
    match &cond {
        Some((true, why)) => c = c.with(format!("ContinuousArchiving True ({why})")),
        Some((false, why)) => {
            return Check::new(
                "wal-archived",
                Status::Fail,
                "the Cluster reports WAL archiving failing",
            )
            .with(format!("ContinuousArchiving False ({why})"))
            .remedy("read the sidecar's log on the primary (`kubectl logs PRIMARY -c plugin-barman-cloud`): credentials, the endpoint, or \"Expected empty archive\" (another server's WAL at the destination)");
        }
        None => c = c.with("no ContinuousArchiving condition yet"),
    }
    let since = primary_sidecar_start(cluster, pods);
    let facts = match bucket {
        Bucket::NotRead(why) => {
            c.status = Status::Skip;
            c.summary = format!("the bucket could not be read from here: {why}");
            return c;
        }
        Bucket::Read(f) => f,
    };
    if let Some((seg, arrived)) = switched {
        if arrived {
            c.summary = format!(
                "segment {} (switched by verify) reached the bucket",
                shown(seg)
            );
            return c.with(format!(
                "newest WAL in the bucket: {}",
                shown(facts.newest_wal.as_deref().unwrap_or("-"))
            ));
        }
        c.status = Status::Fail;
        c.summary = format!(
            "segment {} (switched by verify) did not reach the bucket in time",
            shown(seg)
        );
        return c
            .with(format!(
                "newest WAL in the bucket: {}",
                shown(facts.newest_wal.as_deref().unwrap_or("none"))
            ))
            .remedy("read the sidecar's log on the primary (`kubectl logs PRIMARY -c plugin-barman-cloud`) and pg_stat_archiver (`SELECT * FROM pg_stat_archiver`)");
    }
    match (facts.newest_wal.as_deref(), facts.newest_wal_at, since) {
        (Some(w), Some(at), Some(started)) if at > started => {
            c.summary = format!("a fresh WAL is in the bucket: {}", shown(w));
            c.with(format!(
                "written {}, after the primary's sidecar started ({})",
                crate::model::kubefmt::ts(at),
                crate::model::kubefmt::ts(started)
            ))
        }
        (newest, at, started) => {
            c.status = Status::Warn;
            c.summary = "no WAL in the bucket written since the primary's sidecar started".into();
            c.with(format!(
                "newest WAL: {}{}; sidecar started: {}",
                shown(newest.unwrap_or("none")),
                at.map(|t| format!(" written {}", crate::model::kubefmt::ts(t)))
                    .unwrap_or_default(),
                started
                    .map(crate::model::kubefmt::ts)
                    .unwrap_or_else(|| "unknown".into())
            ))
            .remedy("switch a WAL and watch it arrive: run verify without --read-only (it offers it), or `kubectl exec PRIMARY -c postgres -- psql -c 'SELECT pg_walfile_name(pg_switch_wal())'`")
        }
    }
}

/// The Cluster's completed plugin Backups, newest first.
pub fn completed_plugin_backups<'a>(cluster_name: &str, backups: &'a [Value]) -> Vec<&'a Value> {
    let mut v: Vec<&Value> = backups
        .iter()
        .filter(|b| s(b, "/spec/cluster/name") == Some(cluster_name))
        .filter(|b| s(b, "/spec/method").or(s(b, "/status/method")) == Some("plugin"))
        .filter(|b| s(b, "/status/phase") == Some("completed"))
        .collect();
    v.sort_by(|a, b| {
        s(b, "/status/stoppedAt")
            .cmp(&s(a, "/status/stoppedAt"))
            .then(s(b, "/metadata/name").cmp(&s(a, "/metadata/name")))
    });
    v
}

/// The first plugin backup (check 4): completed, and its backupId in the bucket with
/// status DONE. `taken`: what verify's own backup came to, when it took one.
pub fn plugin_backup(
    cluster: &Value,
    backups: &[Value],
    bucket: Bucket<'_>,
    taken: Option<&Result<String, String>>,
) -> Check {
    let name = s(cluster, "/metadata/name").unwrap_or_default();
    let ns = s(cluster, "/metadata/namespace").unwrap_or_default();
    let done = completed_plugin_backups(name, backups);
    let Some(newest) = done.first() else {
        let mut c = Check::new(
            "plugin-backup",
            Status::Fail,
            format!("no completed plugin Backup of Cluster {ns}/{name}"),
        );
        if let Some(Err(e)) = taken {
            c = c.with(format!("the backup verify took: {}", shown(e)));
        }
        return c.remedy(format!(
            "take one: `kubectl cnpg backup {name} -n {ns} --method plugin --plugin-name {PLUGIN_NAME}` (or run verify without --read-only, which offers it), then verify again"
        ));
    };
    let bname = shown(s(newest, "/metadata/name").unwrap_or_default());
    let Some(id) = s(newest, "/status/backupId") else {
        return Check::new(
            "plugin-backup",
            Status::Fail,
            format!("Backup {bname} is completed but names no backupId"),
        )
        .remedy("read the Backup's status (`kubectl get backup -o yaml`)");
    };
    let c = Check::new("plugin-backup", Status::Pass, "").with(format!(
        "Backup {bname}: method plugin, completed, backupId {}",
        shown(id)
    ));
    let facts = match bucket {
        Bucket::NotRead(why) => {
            let mut c = c;
            c.status = Status::Skip;
            c.summary =
                format!("Backup {bname} completed; the bucket could not be read to see it: {why}");
            return c;
        }
        Bucket::Read(f) => f,
    };
    match facts.backups.iter().find(|b| b.id == id) {
        Some(b) if b.done() => {
            let mut c = c.with(format!("base/{}/backup.info: status DONE", shown(id)));
            c.summary = format!("the first plugin backup is in the bucket ({})", shown(id));
            c
        }
        Some(b) => {
            let mut c = c.with(format!(
                "base/{}/backup.info: status {}{}",
                shown(id),
                shown(if b.status.is_empty() {
                    "unreadable"
                } else {
                    &b.status
                }),
                b.error
                    .as_deref()
                    .map(|e| format!(" ({})", shown(e)))
                    .unwrap_or_default()
            ));
            c.status = Status::Fail;
            c.summary = format!("backup {} is in the bucket but not DONE", shown(id));
            c.remedy("take another plugin backup and read the sidecar's log on the instance that took it")
        }
        None => {
            let mut c = c.with(format!(
                "the bucket holds {} base backup(s) under base/, none {}",
                facts.backups.len(),
                shown(id)
            ));
            c.status = Status::Fail;
            c.summary = format!(
                "Backup {bname} says completed, but base/{} is not in the bucket",
                shown(id)
            );
            c.remedy("check that the ObjectStore's destinationPath and the plugin entry's serverName are where you look; take another plugin backup")
        }
    }
}

/// 5. Alerts and dashboards on the deprecated backup metrics.
pub fn alerts(rules: &RulesSeen, repo: Option<&Result<(usize, Vec<Hit>), String>>) -> Check {
    let mut hits: Vec<&Hit> = Vec::new();
    let mut evidence = Vec::new();
    let mut skipped = Vec::new();
    match rules {
        RulesSeen::NoCrd => skipped.push("no PrometheusRule CRD".to_string()),
        RulesSeen::Unreadable(why) => skipped.push(shown(why)),
        RulesSeen::Read(n, h) => {
            evidence.push(format!("{n} PrometheusRule(s) read"));
            hits.extend(h);
        }
    }
    match repo {
        None => {}
        Some(Ok((n, h))) => {
            evidence.push(format!(
                "{n} tracked YAML/JSON file(s) of the repository read"
            ));
            hits.extend(h);
        }
        Some(Err(why)) => skipped.push(shown(why)),
    }
    let status = if !hits.is_empty() {
        Status::Warn
    } else if evidence.is_empty() {
        Status::Skip
    } else {
        Status::Pass
    };
    let summary = match status {
        Status::Warn => format!(
            "{} use(s) of the deprecated cnpg_collector_* backup metrics: they stop updating on plugin Clusters",
            hits.len()
        ),
        Status::Skip => skipped.join("; "),
        _ => "nothing reads the deprecated cnpg_collector_* backup metrics".into(),
    };
    let mut c = Check::new("alerts", status, summary);
    c.evidence = hits
        .iter()
        .map(|h| h.describe())
        .chain(evidence)
        .chain(if status == Status::Skip {
            vec![]
        } else {
            skipped
        })
        .collect();
    if status == Status::Warn {
        c = c.remedy(format!(
            "replace each with the plugin's metric named beside it (exposed by the instance's exporter; {})",
            alerts::DOCS
        ));
    }
    c
}
