//! The checks of the configuration, judged purely from what was read: the Cluster and its
//! ObjectStore as the API serves them, and every other Cluster's archive destination.

use serde_json::Value;

use super::{Check, Status};
use crate::model::domain::PLUGIN_NAME;

pub(super) fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Text from the cluster, fit for a line.
pub(super) fn shown(t: &str) -> String {
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
