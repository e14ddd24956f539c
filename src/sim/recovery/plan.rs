//! What a recovery will do, decided once when the recovery Cluster appears: where it
//! restores from, which base backup the catalog gives, how far the archive goes, and the
//! first thing that stops it, checked in the order the real restore meets them.

use std::sync::Arc;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use super::Settings;
use crate::sim::archiver::quantity;
use crate::sim::scenario::ArchiverSpec;
use crate::sim::store::Store;

pub const PLUGIN: &str = "barman-cloud.cloudnative-pg.io";

fn s<'a>(v: &'a Value, p: &str) -> Option<&'a str> {
    v.pointer(p)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

pub fn get(store: &Store, group: &str, plural: &str, ns: &str, name: &str) -> Option<Arc<Value>> {
    let t = store
        .read()
        .registry
        .get(&(group.to_string(), plural.to_string()))
        .cloned()?;
    store.get(&t, ns, name).ok()
}

pub fn list(store: &Store, group: &str, plural: &str, ns: Option<&str>) -> Vec<Arc<Value>> {
    let Some(t) = store
        .read()
        .registry
        .get(&(group.to_string(), plural.to_string()))
        .cloned()
    else {
        return Vec::new();
    };
    store
        .list(&t, ns, &Default::default(), &Default::default())
        .0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The `<cluster>-1-full-recovery` Job, then the instance pod.
    Job,
    /// The instance pod's `bootstrap-instance` init container (cloudnative-pg#11319).
    InitContainer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// `externalClusters[].plugin`: the plugin's restore sidecar does the work.
    Plugin,
    /// `externalClusters[].barmanObjectStore`: the instance manager does.
    InTree,
    /// `bootstrap.recovery.backup.name`.
    BackupRef,
}

#[derive(Debug, Clone, PartialEq)]
pub struct BackupEntry {
    pub id: String,
    pub name: Option<String>,
    pub begin_wal: String,
    pub end_wal: String,
    pub begin_lsn: Option<String>,
    pub end_lsn: Option<String>,
    pub started: DateTime<Utc>,
    pub stopped: DateTime<Utc>,
    pub timeline: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    Latest,
    /// The target as written, and the instant it means (no zone: UTC, as PostgreSQL reads it).
    Time(String, DateTime<Utc>),
    /// `targetImmediate`: stop as soon as the base backup is consistent.
    Immediate,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The configuration cannot be followed (a missing Backup, external cluster, store, or
    /// a plugin Backup named in `backup.name`): the error the restore command returns.
    Config(String),
    /// The store's credentials: a missing Secret or key.
    Secret(String),
    /// The object store refuses the credentials.
    Rejected,
    /// The catalog has no backup for the target (`no target backup found`, ...).
    NoBackup(String),
    /// The recovery Cluster would archive where WAL already is.
    EmptyArchive { server: String },
    /// The restore sidecar's memory limit is below what the restore needs.
    OomKilled,
    /// The base backup cannot reach consistency.
    Corrupt(String),
    /// The target lies after the last archived WAL.
    TargetBeyond,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    S3,
    Azure,
    Google,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub ns: String,
    pub cluster: String,
    pub uid: String,
    pub shape: Shape,
    pub via: Via,
    pub server: String,
    pub destination: String,
    pub provider: Provider,
    pub store_name: Option<String>,
    pub backup: Option<BackupEntry>,
    pub catalog: Vec<BackupEntry>,
    pub target: Target,
    /// `recoveryTarget.backupID`: the base backup to start from. Alone it only chooses the
    /// backup: PostgreSQL still replays to the end of the archive (cloudnative-pg
    /// `RecoveryTarget.BuildPostgresOptions` sets no target for it).
    pub pinned: Option<String>,
    /// The instant of the last archived WAL of the source server.
    pub archive_end: DateTime<Utc>,
    pub last_wal: Option<String>,
    pub source_timeline: u32,
    pub image: String,
    pub wal_storage: bool,
    pub sidecar_limit: Option<String>,
    pub failure: Option<Failure>,
    /// `backup.name` named a Backup that does not exist.
    pub missing_backup: Option<String>,
}

impl Plan {
    pub fn new_timeline(&self) -> u32 {
        self.source_timeline + 1
    }

    /// `17.6` from `ghcr.io/cloudnative-pg/postgresql:17.6-standard-bookworm`.
    pub fn pg_version(&self) -> String {
        let tag = self.image.rsplit(':').next().unwrap_or("");
        let v: String = tag
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if v.is_empty() { "18".into() } else { v }
    }

    /// The plugin's restore sidecar runs in the recovery pod.
    pub fn sidecar(&self) -> bool {
        self.via == Via::Plugin
    }
}

/// Parses a `targetTime` as CloudNativePG accepts it: RFC 3339, or PostgreSQL's
/// `YYYY-MM-DD HH:MM:SS[.ffffff][+ZZ[:ZZ]]`; without a zone it is UTC.
pub fn parse_target(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%#z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(t, f) {
            return Some(d.and_utc());
        }
    }
    None
}

fn time(v: &Value, p: &str) -> Option<DateTime<Utc>> {
    s(v, p)
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// Where a Cluster archives: (ObjectStore or inline configuration, serverName).
fn archive_of(store: &Store, cluster: &Value) -> Option<(Value, String)> {
    let ns = s(cluster, "/metadata/namespace").unwrap_or("");
    let name = s(cluster, "/metadata/name").unwrap_or("");
    let plugins = cluster.pointer("/spec/plugins").and_then(Value::as_array);
    for p in plugins.into_iter().flatten() {
        if s(p, "/name") != Some(PLUGIN) || p.get("enabled") == Some(&Value::Bool(false)) {
            continue;
        }
        let Some(obj) = s(p, "/parameters/barmanObjectName") else {
            continue;
        };
        let server = s(p, "/parameters/serverName").unwrap_or(name).to_string();
        let config = get(store, "barmancloud.cnpg.io", "objectstores", ns, obj)
            .and_then(|o| o.pointer("/spec/configuration").cloned())
            .unwrap_or(Value::Null);
        return Some((config, server));
    }
    let inline = cluster.pointer("/spec/backup/barmanObjectStore")?;
    let server = s(inline, "/serverName").unwrap_or(name).to_string();
    Some((inline.clone(), server))
}

fn same_place(a: &str, b: &str) -> bool {
    !a.is_empty() && a.trim_end_matches('/') == b.trim_end_matches('/')
}

/// The base backups the store holds for a server: every completed Backup of the Clusters
/// that archive there.
fn catalog(store: &Store, destination: &str, server: &str) -> (Vec<BackupEntry>, Vec<Arc<Value>>) {
    let writers: Vec<Arc<Value>> = list(store, "postgresql.cnpg.io", "clusters", None)
        .into_iter()
        .filter(|c| {
            archive_of(store, c).is_some_and(|(cfg, srv)| {
                srv == server && same_place(s(&cfg, "/destinationPath").unwrap_or(""), destination)
            })
        })
        .collect();
    let mut out: Vec<BackupEntry> = Vec::new();
    for c in &writers {
        let ns = s(c, "/metadata/namespace").unwrap_or("");
        let name = s(c, "/metadata/name").unwrap_or("");
        for b in list(store, "postgresql.cnpg.io", "backups", Some(ns)) {
            if s(&b, "/spec/cluster/name") != Some(name)
                || s(&b, "/status/phase") != Some("completed")
            {
                continue;
            }
            if let Some(entry) = entry_of(&b) {
                out.push(entry);
            }
        }
    }
    out.sort_by_key(|b| b.stopped);
    out.dedup_by(|a, b| a.id == b.id);
    (out, writers)
}

fn entry_of(b: &Value) -> Option<BackupEntry> {
    let id = s(b, "/status/backupId")?.to_string();
    let stopped = time(b, "/status/stoppedAt")?;
    Some(BackupEntry {
        id,
        name: s(b, "/status/backupName").map(str::to_string),
        begin_wal: s(b, "/status/beginWal")
            .unwrap_or("000000010000000000000002")
            .to_string(),
        end_wal: s(b, "/status/endWal")
            .unwrap_or("000000010000000000000002")
            .to_string(),
        begin_lsn: s(b, "/status/beginLSN").map(str::to_string),
        end_lsn: s(b, "/status/endLSN").map(str::to_string),
        started: time(b, "/status/startedAt").unwrap_or(stopped),
        stopped,
        timeline: s(b, "/status/pluginMetadata/timeline")
            .and_then(|t| t.parse().ok())
            .or_else(|| {
                s(b, "/status/beginWal").and_then(|w| u32::from_str_radix(w.get(..8)?, 16).ok())
            })
            .unwrap_or(1),
    })
}

fn provider(config: &Value) -> Provider {
    if config.get("azureCredentials").is_some() {
        Provider::Azure
    } else if config.get("googleCredentials").is_some() {
        Provider::Google
    } else {
        Provider::S3
    }
}

/// The first Secret reference of the store's credentials that does not resolve, as
/// barman-cloud's credential loader reports it.
fn secret_problem(store: &Store, ns: &str, config: &Value) -> Option<String> {
    let refs: Vec<&Value> = if let Some(s3) = config.get("s3Credentials") {
        if s3.get("inheritFromIAMRole") == Some(&Value::Bool(true)) {
            return None;
        }
        ["accessKeyId", "secretAccessKey", "sessionToken"]
            .iter()
            .filter_map(|k| s3.get(*k))
            .collect()
    } else if let Some(az) = config.get("azureCredentials") {
        if az.get("inheritFromAzureAD") == Some(&Value::Bool(true)) {
            return None;
        }
        [
            "connectionString",
            "storageAccount",
            "storageKey",
            "storageSasToken",
        ]
        .iter()
        .filter_map(|k| az.get(*k))
        .collect()
    } else if let Some(g) = config.get("googleCredentials") {
        g.get("applicationCredentials").into_iter().collect()
    } else {
        return Some("ObjectStoreConfiguration invalid: no credentials defined".into());
    };
    for r in refs {
        let (Some(name), Some(key)) = (s(r, "/name"), s(r, "/key")) else {
            continue;
        };
        let Some(secret) = get(store, "", "secrets", ns, name) else {
            return Some(format!(
                "while getting secret {name}: secrets \"{name}\" not found"
            ));
        };
        let has = |field: &str| secret.get(field).and_then(|d| d.get(key)).is_some();
        if !has("data") && !has("stringData") {
            return Some(format!("missing key {key}, inside secret {name}"));
        }
    }
    None
}

/// Whether WAL already lives at (destination, server), for a Cluster other than `me`.
fn holds_wal(store: &Store, destination: &str, server: &str, me: &Value) -> bool {
    let me_uid = s(me, "/metadata/uid");
    let others_archive = list(store, "postgresql.cnpg.io", "clusters", None)
        .iter()
        .filter(|c| s(c, "/metadata/uid") != me_uid)
        .any(|c| {
            archive_of(store, c).is_some_and(|(cfg, srv)| {
                srv == server && same_place(s(&cfg, "/destinationPath").unwrap_or(""), destination)
            })
        });
    let windows = list(store, "barmancloud.cnpg.io", "objectstores", None)
        .iter()
        .filter(|o| {
            same_place(
                s(o, "/spec/configuration/destinationPath").unwrap_or(""),
                destination,
            )
        })
        .any(|o| {
            o.pointer("/status/serverRecoveryWindow")
                .and_then(|w| w.get(server))
                .is_some()
        });
    others_archive || windows
}

/// Decides the recovery of `cluster` (a Cluster with `spec.bootstrap.recovery`).
pub fn plan(
    store: &Store,
    cluster: &Value,
    settings: &Settings,
    archivers: &[ArchiverSpec],
    now: DateTime<Utc>,
) -> Plan {
    let ns = s(cluster, "/metadata/namespace")
        .unwrap_or("default")
        .to_string();
    let name = s(cluster, "/metadata/name").unwrap_or("").to_string();
    let rec = cluster
        .pointer("/spec/bootstrap/recovery")
        .cloned()
        .unwrap_or(Value::Null);
    let immediate = rec
        .pointer("/recoveryTarget/targetImmediate")
        .and_then(Value::as_bool)
        == Some(true);
    let target = match s(&rec, "/recoveryTarget/targetTime") {
        _ if immediate => Target::Immediate,
        Some(t) => match parse_target(t) {
            Some(at) => Target::Time(t.to_string(), at),
            None => Target::Latest,
        },
        None => Target::Latest,
    };
    let pinned = s(&rec, "/recoveryTarget/backupID").map(str::to_string);
    let mut p = Plan {
        ns: ns.clone(),
        cluster: name.clone(),
        uid: s(cluster, "/metadata/uid").unwrap_or("").to_string(),
        shape: settings.shape,
        via: Via::Plugin,
        server: String::new(),
        destination: String::new(),
        provider: Provider::S3,
        store_name: None,
        backup: None,
        catalog: Vec::new(),
        target,
        pinned,
        archive_end: now,
        last_wal: None,
        source_timeline: 1,
        image: s(cluster, "/spec/imageName")
            .unwrap_or("ghcr.io/cloudnative-pg/postgresql:18.1-system-trixie")
            .to_string(),
        wal_storage: cluster.pointer("/spec/walStorage").is_some(),
        sidecar_limit: None,
        failure: None,
        missing_backup: None,
    };
    let fail = |p: &mut Plan, f: Failure| {
        if p.failure.is_none() {
            p.failure = Some(f);
        }
    };

    // Where the base backup and the WAL come from.
    let mut config = Value::Null;
    if let Some(backup_name) = s(&rec, "/backup/name") {
        p.via = Via::BackupRef;
        match get(store, "postgresql.cnpg.io", "backups", &ns, backup_name) {
            None => {
                p.missing_backup = Some(backup_name.to_string());
                fail(
                    &mut p,
                    Failure::Config(format!(
                        "backups.postgresql.cnpg.io \"{backup_name}\" not found"
                    )),
                )
            }
            Some(b) => {
                p.server = s(&b, "/status/serverName")
                    .or(s(&b, "/spec/cluster/name"))
                    .unwrap_or("")
                    .to_string();
                p.destination = s(&b, "/status/destinationPath").unwrap_or("").to_string();
                p.backup = entry_of(&b);
                let plugin = s(&b, "/spec/method") == Some("plugin")
                    || s(&b, "/status/method") == Some("plugin");
                // A plugin Backup carries no barman credentials in its status: the in-tree
                // restore path finds none (plugin-barman-cloud#510, cloudnative-pg#7989).
                if plugin {
                    fail(
                        &mut p,
                        Failure::Config(
                            "ObjectStoreConfiguration invalid: no credentials defined".into(),
                        ),
                    );
                }
            }
        }
    } else {
        let source = s(&rec, "/source").unwrap_or("");
        let ext = cluster
            .pointer("/spec/externalClusters")
            .and_then(Value::as_array)
            .and_then(|a| a.iter().find(|e| s(e, "/name") == Some(source)))
            .cloned();
        match ext {
            None => fail(
                &mut p,
                Failure::Config(format!("missing external cluster: {source}")),
            ),
            Some(e) if s(&e, "/plugin/name") == Some(PLUGIN) => {
                p.via = Via::Plugin;
                p.server = s(&e, "/plugin/parameters/serverName")
                    .unwrap_or(source)
                    .to_string();
                let obj = s(&e, "/plugin/parameters/barmanObjectName").unwrap_or("");
                p.store_name = Some(obj.to_string());
                match get(store, "barmancloud.cnpg.io", "objectstores", &ns, obj) {
                    None => fail(
                        &mut p,
                        Failure::Config(format!(
                            "objectstores.barmancloud.cnpg.io \"{obj}\" not found"
                        )),
                    ),
                    Some(o) => {
                        config = o
                            .pointer("/spec/configuration")
                            .cloned()
                            .unwrap_or(Value::Null);
                        p.sidecar_limit = s(
                            &o,
                            "/spec/instanceSidecarConfiguration/resources/limits/memory",
                        )
                        .map(str::to_string);
                    }
                }
            }
            Some(e) if e.get("barmanObjectStore").is_some() => {
                p.via = Via::InTree;
                config = e.get("barmanObjectStore").cloned().unwrap_or(Value::Null);
                p.server = s(&config, "/serverName").unwrap_or(source).to_string();
            }
            Some(_) => {
                p.via = Via::InTree;
                fail(
                    &mut p,
                    Failure::Config(format!(
                        "missing barman object store configuration for source: {source}"
                    )),
                );
            }
        }
        p.destination = s(&config, "/destinationPath").unwrap_or("").to_string();
    }
    p.provider = provider(&config);

    // The source's archive: its backups, its timeline, how far its WAL goes.
    let (entries, writers) = catalog(store, &p.destination, &p.server);
    p.catalog = entries;
    let writer = writers.first();
    p.source_timeline = writer
        .and_then(|c| c.pointer("/status/timelineID").and_then(Value::as_u64))
        .map(|t| t as u32)
        .or_else(|| p.catalog.iter().map(|b| b.timeline).max())
        .or_else(|| p.backup.as_ref().map(|b| b.timeline))
        .unwrap_or(1);
    let spec = writer.and_then(|c| {
        let key = format!(
            "{}/{}",
            s(c, "/metadata/namespace").unwrap_or(""),
            s(c, "/metadata/name").unwrap_or("")
        );
        archivers.iter().find(|a| a.cluster == key)
    });
    p.last_wal = spec.and_then(|a| a.last_archived_wal.clone());
    p.archive_end = match (
        writer,
        spec.and_then(|a| a.last_archived_wal_time.as_deref()),
    ) {
        (_, Some(t)) => parse_target(t).unwrap_or(now),
        // A healthy archiver without an entry archived a minute ago (as pods/proxy says).
        (Some(_), None) => now - chrono::Duration::seconds(60),
        (None, None) => p
            .catalog
            .last()
            .or(p.backup.as_ref())
            .map(|b| b.stopped)
            .unwrap_or(now),
    };

    // The checks, in the order the restore meets them.
    if p.failure.is_some() {
        return p;
    }
    if p.via != Via::BackupRef
        && let Some((target_cfg, server)) = archive_of(store, cluster)
        && cluster
            .pointer("/metadata/annotations/cnpg.io~1skipEmptyWalArchiveCheck")
            .and_then(Value::as_str)
            != Some("enabled")
        && holds_wal(
            store,
            s(&target_cfg, "/destinationPath").unwrap_or(""),
            &server,
            cluster,
        )
    {
        fail(&mut p, Failure::EmptyArchive { server });
    }
    if p.via != Via::BackupRef
        && let Some(problem) = secret_problem(store, &ns, &config)
    {
        fail(&mut p, Failure::Secret(problem));
    }
    if settings.reject_credentials {
        fail(&mut p, Failure::Rejected);
    }
    if p.via != Via::BackupRef {
        let target = p.target.clone();
        p.backup = match (&p.pinned.clone(), &target) {
            (Some(id), _) => match p.catalog.iter().find(|b| &b.id == id) {
                Some(b) => Some(b.clone()),
                None => {
                    fail(
                        &mut p,
                        Failure::NoBackup(format!("no backup found with ID {id}")),
                    );
                    None
                }
            },
            (None, Target::Time(_, at)) => {
                p.catalog.iter().rev().find(|b| b.stopped <= *at).cloned()
            }
            (None, Target::Latest | Target::Immediate) => p.catalog.last().cloned(),
        };
        if p.backup.is_none() {
            fail(&mut p, Failure::NoBackup("no target backup found".into()));
        }
    }
    if p.sidecar()
        && let (Some(need), Some(limit)) = (
            settings.restore_memory,
            p.sidecar_limit.as_deref().and_then(quantity),
        )
        && limit < need
    {
        fail(&mut p, Failure::OomKilled);
    }
    if let Some(id) = p.backup.as_ref().map(|b| b.id.clone())
        && settings.corrupt.contains(&id)
    {
        fail(&mut p, Failure::Corrupt(id));
    }
    if let Target::Time(_, at) = &p.target
        && *at > p.archive_end
    {
        fail(&mut p, Failure::TargetBeyond);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_times_are_read_as_cloudnative_pg_reads_them() {
        let utc = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .ok()
        };
        assert_eq!(
            parse_target("2026-11-24T05:30:00+01:00"),
            utc("2026-11-24T04:30:00Z")
        );
        assert_eq!(
            parse_target("2026-11-24 05:30:00.5+02"),
            utc("2026-11-24T03:30:00.5Z")
        );
        // Without a zone PostgreSQL reads the target in the server's zone, UTC on CNPG.
        assert_eq!(
            parse_target("2026-11-24 05:30:00"),
            utc("2026-11-24T05:30:00Z")
        );
        assert_eq!(parse_target("yesterday"), None);
    }
}
