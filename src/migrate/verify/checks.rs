//! The checks, judged purely from what was read: the Cluster and its ObjectStore as the API
//! serves them, every other Cluster's archive destination, the instance pods, the Backups,
//! and what reading the bucket proved.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Check, Status};
use crate::migrate::alerts::{self, Hit, RulesSeen};
use crate::model::bucket::BucketFacts;
use crate::model::domain::{PLUGIN_NAME, SIDECAR};

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Text from the cluster, fit for a line.
fn shown(t: &str) -> String {
    crate::sanitize::bounded(&crate::sanitize::clean(&crate::redact::redact(t)), 200).into_owned()
}

/// A destination as barman-cloud resolves it: a trailing slash changes nothing.
pub fn same_place(a: &str, b: &str) -> bool {
    a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The Cluster's Barman Cloud plugin entry.
pub fn plugin_entry(cluster: &Value) -> Option<&Value> {
    cluster
        .pointer("/spec/plugins")
        .and_then(Value::as_array)?
        .iter()
        .find(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN_NAME))
}

/// The ObjectStore the entry names and the server name it writes as (the Cluster's name
/// unless `serverName` says otherwise).
pub fn store_and_server(cluster: &Value) -> Option<(String, String)> {
    let p = plugin_entry(cluster)?;
    let store = s(p, "/parameters/barmanObjectName")?;
    let server = s(p, "/parameters/serverName")
        .or(s(cluster, "/metadata/name"))
        .unwrap_or_default();
    Some((store.to_string(), server.to_string()))
}

/// Where a Cluster archives: `(who, destinationPath, serverName)`, for the collision check.
#[derive(Debug, Clone, PartialEq)]
pub struct Archive {
    pub who: String,
    pub destination: String,
    pub server: String,
}

/// Where each Cluster archives, by its plugin entry's ObjectStore (in its namespace) and by
/// an in-tree barmanObjectStore; a Cluster with both appears twice.
pub fn archives(clusters: &[Value], stores: &[Value]) -> Vec<Archive> {
    let mut out = Vec::new();
    for c in clusters {
        let ns = s(c, "/metadata/namespace").unwrap_or_default();
        let name = s(c, "/metadata/name").unwrap_or_default();
        if let Some((store, server)) = store_and_server(c)
            && let Some(dest) = stores
                .iter()
                .find(|o| {
                    s(o, "/metadata/namespace") == Some(ns)
                        && s(o, "/metadata/name") == Some(&store)
                })
                .and_then(|o| s(o, "/spec/configuration/destinationPath"))
        {
            out.push(Archive {
                who: format!("Cluster {ns}/{name} (ObjectStore {store})"),
                destination: dest.to_string(),
                server,
            });
        }
        if let Some(dest) = s(c, "/spec/backup/barmanObjectStore/destinationPath") {
            out.push(Archive {
                who: format!("Cluster {ns}/{name} (in-tree barmanObjectStore)"),
                destination: dest.to_string(),
                server: s(c, "/spec/backup/barmanObjectStore/serverName")
                    .unwrap_or(name)
                    .to_string(),
            });
        }
    }
    out
}

/// 1a. The plugin entry, its ObjectStore, and the in-tree configuration gone.
pub fn entry(cluster: &Value, store: Option<&Value>) -> Check {
    let ns = s(cluster, "/metadata/namespace").unwrap_or_default();
    let name = s(cluster, "/metadata/name").unwrap_or_default();
    let in_tree = cluster.pointer("/spec/backup/barmanObjectStore").is_some();
    let Some(p) = plugin_entry(cluster) else {
        let c = Check::new(
            "plugin-entry",
            Status::Fail,
            format!("Cluster {ns}/{name} has no {PLUGIN_NAME} entry in spec.plugins"),
        );
        return if in_tree {
            c.with("spec.backup.barmanObjectStore is still set: the Cluster is not migrated")
                .remedy("apply the migration: `backstop migrate plan` writes the ObjectStore and the Cluster change")
        } else {
            c.with("nor spec.backup.barmanObjectStore: the Cluster archives nowhere")
                .remedy("add the plugin entry naming an ObjectStore (plugin-barman-cloud docs, \"Migrating from Built-in CloudNativePG Backup\")")
        };
    };
    let mut problems = Vec::new();
    let mut evidence = Vec::new();
    if p.get("enabled").and_then(Value::as_bool) == Some(false) {
        problems.push("the entry is disabled (enabled: false)".to_string());
    }
    if p.get("isWALArchiver").and_then(Value::as_bool) != Some(true) {
        problems.push("isWALArchiver is not true".to_string());
    } else {
        evidence.push("isWALArchiver: true".to_string());
    }
    match (s(p, "/parameters/barmanObjectName"), store) {
        (None, _) => problems.push("parameters.barmanObjectName is not set".into()),
        (Some(o), None) => problems.push(format!("ObjectStore {ns}/{} does not exist", shown(o))),
        (Some(o), Some(st)) => evidence.push(format!(
            "ObjectStore {ns}/{} exists (destinationPath {})",
            shown(o),
            shown(s(st, "/spec/configuration/destinationPath").unwrap_or("not set"))
        )),
    }
    if in_tree {
        problems.push("spec.backup.barmanObjectStore is still set".into());
    } else {
        evidence.push("spec.backup.barmanObjectStore is gone".into());
    }
    if problems.is_empty() {
        let mut c = Check::new(
            "plugin-entry",
            Status::Pass,
            format!("Cluster {ns}/{name} archives through {PLUGIN_NAME}"),
        );
        c.evidence = evidence;
        return c;
    }
    let mut c = Check::new(
        "plugin-entry",
        Status::Fail,
        format!("Cluster {ns}/{name}'s plugin entry is not a complete migration"),
    );
    c.evidence = problems.iter().chain(&evidence).cloned().collect();
    c.remedy(format!(
        "the migrated Cluster needs spec.plugins: [{{name: {PLUGIN_NAME}, isWALArchiver: true, parameters: {{barmanObjectName: <an ObjectStore in {ns}>}}}}] and no spec.backup.barmanObjectStore; create the ObjectStore before the Cluster change"
    ))
}

/// 1b. Every WAL archived twice, or into another Cluster's folder.
pub fn double_archiving(cluster: &Value, store: Option<&Value>, all: &[Archive]) -> Check {
    let ns = s(cluster, "/metadata/namespace").unwrap_or_default();
    let name = s(cluster, "/metadata/name").unwrap_or_default();
    let in_tree = cluster.pointer("/spec/backup/barmanObjectStore").is_some();
    let entry = plugin_entry(cluster);
    let archiver = entry
        .and_then(|p| p.get("isWALArchiver"))
        .and_then(Value::as_bool)
        == Some(true);
    if entry.is_some() && in_tree && !archiver {
        return Check::new(
            "double-archiving",
            Status::Fail,
            "every WAL is archived twice: by the plugin and by the in-tree barmanObjectStore",
        )
        .with(format!("Cluster {ns}/{name} has a {PLUGIN_NAME} entry without isWALArchiver and still sets spec.backup.barmanObjectStore"))
        .with("CloudNativePG calls every plugin able to archive WAL, and without a plugin marked isWALArchiver it archives in-tree as well")
        .remedy("finish the migration in one change: set isWALArchiver: true on the plugin entry and remove spec.backup.barmanObjectStore (spec.backup entirely when it becomes empty)");
    }
    let Some((store_name, server)) = store_and_server(cluster) else {
        return Check::new(
            "double-archiving",
            Status::Skip,
            "no ObjectStore named: nothing to compare",
        );
    };
    let Some(dest) = store.and_then(|o| s(o, "/spec/configuration/destinationPath")) else {
        return Check::new(
            "double-archiving",
            Status::Skip,
            format!(
                "ObjectStore {ns}/{} is not readable: its destination is unknown",
                shown(&store_name)
            ),
        );
    };
    let me = format!("Cluster {ns}/{name} ");
    let clash: Vec<&Archive> = all
        .iter()
        .filter(|a| !a.who.starts_with(&me))
        .filter(|a| same_place(&a.destination, dest) && a.server == server)
        .collect();
    if clash.is_empty() {
        return Check::new(
            "double-archiving",
            Status::Pass,
            format!(
                "only this Cluster archives to {}, server {}",
                shown(dest),
                shown(&server)
            ),
        )
        .with(format!(
            "{} other archive destination(s) compared",
            all.len().saturating_sub(1)
        ));
    }
    let mut c = Check::new(
        "double-archiving",
        Status::Fail,
        format!(
            "{} other archiver(s) write to {}, server {}: their WAL and backups collide",
            clash.len(),
            shown(dest),
            shown(&server)
        ),
    );
    for a in clash {
        c = c.with(shown(&a.who));
    }
    c.remedy("give each Cluster its own serverName (the plugin entry's parameters.serverName) or its own destinationPath; barman-cloud refuses to archive into a folder that holds another server's WAL (\"Expected empty archive\")")
}

/// Where the backups taken before the migration are: `(destinationPath, serverName, how
/// it is known)`.
pub type OldLocation = (String, String, String);

/// 1c. Continuity with the backups taken before the migration.
pub fn continuity(cluster: &Value, store: Option<&Value>, old: Option<&OldLocation>) -> Check {
    let (Some((_, server)), Some(dest)) = (
        store_and_server(cluster),
        store.and_then(|o| s(o, "/spec/configuration/destinationPath")),
    ) else {
        return Check::new(
            "continuity",
            Status::Skip,
            "the ObjectStore's destination is unknown",
        );
    };
    let Some((old_dest, old_server, from)) = old else {
        return Check::new(
            "continuity",
            Status::Pass,
            format!(
                "the plugin archives to {}, server {}; where the in-tree backups were is not known",
                shown(dest),
                shown(&server)
            ),
        )
        .with("no pre-migration file and no in-tree Backup naming its destination");
    };
    if same_place(old_dest, dest) && *old_server == server {
        Check::new(
            "continuity",
            Status::Pass,
            format!(
                "the plugin writes where the in-tree backups are ({}, server {}): one recovery window spans the migration",
                shown(dest),
                shown(&server)
            ),
        )
        .with(format!("old location from {from}"))
    } else {
        Check::new(
            "continuity",
            Status::Warn,
            format!(
                "the plugin writes to {}, server {}; the backups from before the migration are in {}, server {}",
                shown(dest),
                shown(&server),
                shown(old_dest),
                shown(old_server)
            ),
        )
        .with(format!("old location from {from}"))
        .remedy("a point-in-time recovery to before the migration goes through the old location (an externalClusters entry on it): keep it, and its credentials, until the new location's window covers your retention")
    }
}

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
