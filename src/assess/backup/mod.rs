//! Backups and WAL archiving (BKP001-BKP011): did the newest backup work, is there a recent
//! enough one, is anything slow or stuck, is WAL archiving healthy, and are the Cluster and
//! its ScheduledBackups configured so that backups can happen at all.

use chrono::{DateTime, Utc};

use super::objectstore::{backup_now, delta, span, ts, unreadable};
use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::PLUGIN_NAME;
use crate::model::rows::{BackupRow, ClusterRow};

const AREA: &str = "backup";

/// BKP003 looks at this many of a cluster's newest backups: enough for a week of dailies,
/// few enough that a long history of slow runs is not repeated back.
const RECENT: usize = 7;

/// Phases in which a backup is under way (the plugin path never sets `running`).
const IN_FLIGHT: [&str; 3] = ["started", "running", "finalizing"];

/// Phases in which a backup ended without producing one.
const FAILED: [&str; 3] = ["failed", "walArchivingFailing", "invalid backup definition"];

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let mut readable = |state: Option<String>| match state {
        Some(reason) => {
            out.unknown(AREA, reason);
            false
        }
        None => true,
    };
    let clusters_ok = readable(unreadable(&s.clusters, "clusters"));
    let backups_ok = readable(unreadable(&s.backups, "backups"));
    let scheduled_ok = readable(unreadable(&s.scheduled, "scheduledbackups"));

    let by_cluster = if backups_ok {
        ByCluster::new(&s.backups.rows)
    } else {
        ByCluster::default()
    };
    if backups_ok {
        newest_failed(f, &by_cluster, clusters_ok, &mut out);
        slow(f, &by_cluster, th, &mut out);
        stuck(f, now, th, &mut out);
    }
    if clusters_ok {
        for c in s.clusters.rows.iter() {
            too_old(f, c, &by_cluster, now, th, backups_ok, &mut out);
            archiving(c, &mut out);
            incomplete_plugin(c, &mut out);
            legacy(c, &mut out);
            unconfigured(f, c, &mut out);
        }
    }
    if scheduled_ok {
        suspended(f, &mut out);
        if clusters_ok {
            wrong_method(f, &mut out);
        }
    }
    // BKP011 (throughput under th.min_throughput_mb_s) needs a backup's size, and no fact
    // carries one: Backup status has none, and the plugin reports none. It never fires
    // rather than guess.
    out
}

fn cluster_of<'a>(f: &'a Facts, ns: &str, name: &str) -> Option<&'a ClusterRow> {
    f.snapshot
        .clusters
        .in_namespace(ns)
        .iter()
        .map(|c| c.as_ref())
        .find(|c| c.name == name)
}

/// The events about one Backup, as evidence (the plugin's failure event is of type Normal,
/// so every reason is kept).
fn backup_events(f: &Facts, b: &BackupRow) -> Vec<String> {
    let mut list: Vec<_> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.involved_kind == "Backup"
                && e.involved_namespace == b.namespace
                && e.involved_name == b.name
        })
        .collect();
    list.sort_by_key(|e| e.last_seen);
    list.iter()
        .rev()
        .take(3)
        .map(|e| format!("event {} ({}): {}", e.reason, e.kind, e.message))
        .collect()
}

/// Where a cluster's backup tool writes its log: the plugin's sidecar, or postgres in-tree.
fn log_command(ns: &str, pod: &str, c: Option<&ClusterRow>) -> String {
    let container = match c {
        Some(c) if c.plugin.is_none() && c.legacy_barman => "postgres",
        _ => "plugin-barman-cloud",
    };
    format!("kubectl -n {ns} logs {pod} -c {container}")
}

/// The command that takes a backup now with the method the cluster is configured for.
fn take_backup(ns: &str, cluster: &str, c: Option<&ClusterRow>) -> String {
    match c {
        Some(c) if c.plugin.is_none() && c.legacy_barman => {
            format!("kubectl cnpg backup {cluster} -n {ns} --method=barmanObjectStore")
        }
        _ => backup_now(ns, cluster),
    }
}

/// BKP001: the newest Backup of each cluster.
fn newest_failed(f: &Facts, by_cluster: &ByCluster, clusters_ok: bool, out: &mut Outcome) {
    let newest = by_cluster
        .iter()
        .filter_map(|(ns, cluster, list)| Some((ns, cluster, *list.first()?)));
    for (ns, cluster, b) in newest {
        let c = cluster_of(f, ns, cluster);
        // Backups left behind by a deleted cluster are history, not an incident.
        if (clusters_ok && c.is_none()) || !FAILED.contains(&b.phase.as_str()) {
            continue;
        }
        let mut evidence = vec![format!("Backup {ns}/{} status.phase: {}", b.name, b.phase)];
        if let Some(e) = &b.error {
            evidence.push(format!("Backup {ns}/{} status.error: {e}", b.name));
        }
        if let Some(t) = b.started {
            evidence.push(format!(
                "Backup {ns}/{} status.startedAt: {}",
                b.name,
                ts(t)
            ));
        }
        evidence.extend(backup_events(f, b));
        let pod = b
            .pod
            .clone()
            .or_else(|| c.and_then(|c| c.primary.clone()))
            .unwrap_or_else(|| "POD".into());
        let hint = b.error.as_deref().map(error_hint).unwrap_or_default();
        out.push(Finding {
            code: "BKP001",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Backup, ns, &b.name),
            summary: format!("The newest backup of Cluster {ns}/{cluster}, {}, {}", b.name, b.phase),
            evidence,
            remedy: format!(
                "{hint}Inspect it: `kubectl -n {ns} describe backup {}` and the backup log `{}`; after fixing the \
                 cause take a backup now: `{}`.",
                b.name,
                log_command(ns, &pod, c),
                take_backup(ns, cluster, c)
            ),
        });
    }
}

/// What the prerequisite errors of DOMAIN 2.7 and 1.8 point at.
fn error_hint(error: &str) -> &'static str {
    if error.contains("requested plugin is not available") {
        "The operator does not see the plugin: see the PLG findings (plugin namespace, Service, pods). "
    } else if error.contains("no barmanObjectStore section defined") {
        "The backup asked for the in-tree method on a plugin cluster: use method plugin (BKP008). "
    } else if error.contains("has no plugin configured") {
        "The Cluster has no plugin entry, or its pods have not rolled out with the sidecar yet. "
    } else if error.contains("Expected empty archive") {
        "The WAL archive check found an existing archive under this server name: use a new serverName, or the \
         cnpg.io/skipEmptyWalArchiveCheck annotation after a deliberate restore. "
    } else if error.contains("not found") && error.contains("objectstores") {
        "The ObjectStore the Cluster names does not exist (OBJ001). "
    } else {
        ""
    }
}

/// BKP002: no successful backup within th.backup_max_age.
fn too_old(
    f: &Facts,
    c: &ClusterRow,
    by_cluster: &ByCluster,
    now: DateTime<Utc>,
    th: &Thresholds,
    backups_ok: bool,
    out: &mut Outcome,
) {
    if c.plugin.is_none() && !c.legacy_barman {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let stores_ok = unreadable(&f.snapshot.object_stores, "objectstores").is_none();
    let server = c.server_name();
    let window = c
        .plugin
        .as_ref()
        .and_then(|p| p.object_store.as_deref())
        .filter(|_| stores_ok)
        .and_then(|store| {
            let o = f
                .snapshot
                .object_stores
                .rows
                .iter()
                .find(|o| &o.namespace == ns && o.name == store)?;
            let t = o
                .servers
                .iter()
                .find(|w| w.server == server)?
                .last_success?;
            Some((store, t))
        });
    let backups = by_cluster.of(ns, name);
    let completed = backups
        .iter()
        .filter(|b| b.phase == "completed")
        .filter_map(|b| Some((*b, b.stopped.or(b.when())?)))
        .max_by_key(|(_, t)| *t);
    let (last, mut evidence) = match (window, completed) {
        (Some((store, t)), _) => (
            Some(t),
            vec![format!(
                "ObjectStore {ns}/{store} status.serverRecoveryWindow[{server}].lastSuccessfulBackupTime: {} ({} ago)",
                ts(t),
                span(now - t)
            )],
        ),
        // Only the Backup objects can tell, and they could not be read.
        (None, _) if !backups_ok => return,
        (None, Some((b, t))) => (
            Some(t),
            vec![format!(
                "newest completed Backup {ns}/{} status.stoppedAt: {} ({} ago)",
                b.name,
                ts(t),
                span(now - t)
            )],
        ),
        (None, None) => (
            None,
            vec![format!(
                "Cluster {ns}/{name}: no recovery window and no completed Backup"
            )],
        ),
    };
    let limit = delta(th.backup_max_age);
    match last {
        Some(t) if now - t <= limit => return,
        // A new cluster has not had its first scheduled backup yet.
        None if c.created.is_some_and(|born| now - born <= limit) => return,
        _ => {}
    }
    let running = backups.iter().find(|b| {
        IN_FLIGHT.contains(&b.phase.as_str())
            && last.is_none_or(|t| b.when().is_some_and(|w| w > t))
    });
    if let Some(b) = running {
        evidence.push(format!(
            "Backup {ns}/{} status.phase: {} since {}",
            b.name,
            b.phase,
            b.when().map(ts).unwrap_or_else(|| "unknown".into())
        ));
    }
    if let Some(b) = backups
        .first()
        .filter(|b| b.phase != "completed" && !IN_FLIGHT.contains(&b.phase.as_str()))
    {
        let phase = if b.phase.is_empty() {
            "(none yet)"
        } else {
            b.phase.as_str()
        };
        evidence.push(format!(
            "newest Backup {ns}/{} status.phase: {phase}",
            b.name
        ));
    }
    let age = match last {
        Some(t) => format!("the last successful backup is {} old", span(now - t)),
        None => "no successful backup at all".to_string(),
    };
    let pod = backups
        .first()
        .and_then(|b| b.pod.clone())
        .or_else(|| c.primary.clone())
        .unwrap_or_else(|| "POD".into());
    let (severity, remedy) = match running {
        Some(b) => (
            Severity::Warning,
            format!(
                "Backup {} is under way: follow it with `kubectl -n {ns} get backup {} -w` and `{}` (BKP004 fires \
                 if it is stuck).",
                b.name,
                b.name,
                log_command(ns, b.pod.as_deref().unwrap_or(&pod), Some(c))
            ),
        ),
        None => (
            Severity::Critical,
            format!(
                "Find why backups stopped: `kubectl -n {ns} get backups.postgresql.cnpg.io --sort-by=.metadata.creationTimestamp`, \
                 `kubectl -n {ns} describe backup <newest>`, `{}`; check the ScheduledBackup \
                 (`kubectl -n {ns} get scheduledbackups.postgresql.cnpg.io`). Take a backup now: `{}`.",
                log_command(ns, &pod, Some(c)),
                take_backup(ns, name, Some(c))
            ),
        ),
    };
    out.push(Finding {
        code: "BKP002",
        severity,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: {age} (limit {})", span(limit)),
        evidence,
        remedy,
    });
}

/// BKP003: recent completed backups that took longer than th.backup_slow.
fn slow(f: &Facts, by_cluster: &ByCluster, th: &Thresholds, out: &mut Outcome) {
    let limit = delta(th.backup_slow);
    for (ns, cluster, list) in by_cluster.iter() {
        for b in list.iter().take(RECENT) {
            let Some(took) = b
                .duration()
                .filter(|d| b.phase == "completed" && *d > limit)
            else {
                continue;
            };
            let store = cluster_of(f, ns, cluster)
                .and_then(|c| c.plugin.as_ref())
                .and_then(|p| p.object_store.clone())
                .unwrap_or_else(|| "STORE".into());
            out.push(Finding {
                code: "BKP003",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::Backup, ns, &b.name),
                summary: format!("Backup {ns}/{} of Cluster {cluster} took {} (limit {})", b.name, span(took), span(limit)),
                evidence: vec![
                    format!("Backup {ns}/{} status.startedAt: {}", b.name, b.started.map(ts).unwrap_or_default()),
                    format!("Backup {ns}/{} status.stoppedAt: {}", b.name, b.stopped.map(ts).unwrap_or_default()),
                ],
                remedy: format!(
                    "Upload in more parallel jobs (default 2): `kubectl -n {ns} patch objectstore {store} --type=merge \
                     -p '{{\"spec\":{{\"configuration\":{{\"data\":{{\"jobs\":4}}}}}}}}'`; consider a faster compression \
                     (data.compression snappy or lz4), backing up from a standby (target prefer-standby), and the network \
                     bandwidth to the store. Watch that the next backup still ends before the following one starts."
                ),
            });
        }
    }
}

/// BKP004: pending, or under way, for too long.
fn stuck(f: &Facts, now: DateTime<Utc>, th: &Thresholds, out: &mut Outcome) {
    for b in f.snapshot.backups.rows.iter() {
        let ns = &b.namespace;
        let Some(since) = b.when() else { continue };
        let age = now - since;
        let pending = b.phase.is_empty() || b.phase == "pending";
        let limit = if pending {
            delta(th.pending_stuck)
        } else if IN_FLIGHT.contains(&b.phase.as_str()) {
            delta(th.running_stuck)
        } else {
            continue;
        };
        if age <= limit {
            continue;
        }
        let phase = if b.phase.is_empty() {
            "(none: not picked up by the operator)"
        } else {
            b.phase.as_str()
        };
        let field = if b.started.is_some() {
            "status.startedAt"
        } else {
            "metadata.creationTimestamp"
        };
        let mut evidence = vec![
            format!("Backup {ns}/{} status.phase: {phase}", b.name),
            format!(
                "Backup {ns}/{} {field}: {} ({} ago)",
                b.name,
                ts(since),
                span(age)
            ),
        ];
        if let Some(p) = &b.pod {
            evidence.push(format!(
                "Backup {ns}/{} status.instanceID.podName: {p}",
                b.name
            ));
        }
        evidence.extend(backup_events(f, b));
        let c = cluster_of(f, ns, &b.cluster);
        let remedy = if pending {
            format!(
                "The operator cannot start it: `kubectl -n {ns} describe backup {}` (events FindingPod, BackupPending \
                 say which pod is not ready); check the Cluster's pods (`kubectl -n {ns} get pods -l cnpg.io/cluster={}`) \
                 and that the CNPG operator runs.",
                b.name, b.cluster
            )
        } else {
            let pod = b
                .pod
                .clone()
                .or_else(|| c.and_then(|c| c.primary.clone()))
                .unwrap_or_else(|| "POD".into());
            format!(
                "See whether it still makes progress: `{}`. If the instance restarted, the backup will never finish: \
                 delete it (`kubectl -n {ns} delete backup {}`) and take a new one: `{}`.",
                log_command(ns, &pod, c),
                b.name,
                take_backup(ns, &b.cluster, c)
            )
        };
        out.push(Finding {
            code: "BKP004",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Backup, ns, &b.name),
            summary: format!(
                "Backup {ns}/{} of Cluster {} has been {phase} for {} (limit {})",
                b.name,
                b.cluster,
                span(age),
                span(limit)
            ),
            evidence,
            remedy,
        });
    }
}

/// BKP005: the ContinuousArchiving condition is False.
fn archiving(c: &ClusterRow, out: &mut Outcome) {
    let Some(cond) = c.archiving().filter(|a| a.status == "False") else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    let since = cond
        .since
        .map(|t| format!(" since {}", ts(t)))
        .unwrap_or_default();
    let primary = c.primary.clone().unwrap_or_else(|| "PRIMARY".into());
    out.push(Finding {
        code: "BKP005",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: WAL archiving is failing"),
        evidence: vec![format!(
            "Cluster {ns}/{name} condition ContinuousArchiving=False ({}){since}: {}",
            cond.reason, cond.message
        )],
        remedy: format!(
            "WAL files pile up on the primary until archiving works again, and point-in-time recovery stops at the \
             last archived one. Read the archiver's error: `{}`, and `kubectl cnpg status {name} -n {ns}`; fix the \
             store or credentials (see the OBJ findings). PostgreSQL retries by itself once the cause is gone.",
            log_command(ns, &primary, Some(c))
        ),
    });
}

/// BKP006: a plugin entry that cannot archive or back up.
fn incomplete_plugin(c: &ClusterRow, out: &mut Outcome) {
    let Some(p) = &c.plugin else { return };
    let (ns, name) = (&c.namespace, &c.name);
    let at = format!("Cluster {ns}/{name} spec.plugins[{PLUGIN_NAME}]");
    let mut evidence = Vec::new();
    if p.object_store.is_none() {
        evidence.push(format!("{at}.parameters.barmanObjectName: not set"));
    }
    if !p.enabled {
        evidence.push(format!("{at}.enabled: false"));
    }
    // With the in-tree configuration the in-tree archiver archives, and isWALArchiver may
    // not be combined with it: that is BKP009's case, not an incomplete entry.
    if !p.wal_archiver && !c.legacy_barman {
        evidence.push(format!(
            "{at}.isWALArchiver: not true (no WAL archiver: no point-in-time recovery)"
        ));
    }
    if evidence.is_empty() {
        return;
    }
    let mut params = format!(
        "\"barmanObjectName\":\"{}\"",
        p.object_store.as_deref().unwrap_or("STORE")
    );
    if let Some(s) = &p.server_name {
        params.push_str(&format!(",\"serverName\":\"{s}\""));
    }
    out.push(Finding {
        code: "BKP006",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: the Barman Cloud plugin entry is incomplete"),
        evidence,
        remedy: format!(
            "Complete the entry (in Git if Flux manages the Cluster): `kubectl -n {ns} patch cluster {name} --type=merge \
             -p '{{\"spec\":{{\"plugins\":[{{\"name\":\"{PLUGIN_NAME}\",\"enabled\":true,\"isWALArchiver\":true,\"parameters\":{{{params}}}}}]}}}}'` \
             (a merge patch replaces spec.plugins: keep any other plugin entries)."
        ),
    });
}

/// BKP009: the deprecated in-tree configuration.
fn legacy(c: &ClusterRow, out: &mut Outcome) {
    if !c.legacy_barman {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let mut evidence = vec![format!(
        "Cluster {ns}/{name} spec.backup.barmanObjectStore: set"
    )];
    if c.plugin.is_some() {
        evidence.push(format!(
            "Cluster {ns}/{name} spec.plugins[{PLUGIN_NAME}]: also present"
        ));
    }
    out.push(Finding {
        code: "BKP009",
        severity: Severity::Warning,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name} still uses the in-tree spec.backup.barmanObjectStore (deprecated since CNPG 1.26)"),
        evidence,
        remedy: format!(
            "Migrate to the Barman Cloud plugin in one change: (1) create an ObjectStore in {ns} whose \
             spec.configuration is a copy of spec.backup.barmanObjectStore without serverName, and whose \
             retentionPolicy is spec.backup.retentionPolicy; (2) in the Cluster remove spec.backup.barmanObjectStore \
             and retentionPolicy and add spec.plugins: [{{name: {PLUGIN_NAME}, isWALArchiver: true, parameters: \
             {{barmanObjectName: <store>, serverName: <old serverName, if set>}}}}] (the pods roll to get the \
             sidecar); (3) set method: plugin and pluginConfiguration.name: {PLUGIN_NAME} on its ScheduledBackups; \
             (4) do the same for externalClusters[].barmanObjectStore; (5) rename cnpg_collector_* backup metrics in \
             alerts to barman_cloud_cloudnative_pg_io_*. Existing backups stay readable."
        ),
    });
}

/// BKP010: nothing configured. Volume snapshot backups are configured in spec.backup,
/// which the facts do not carry, so their Backups and ScheduledBackups stand in for it.
fn unconfigured(f: &Facts, c: &ClusterRow, out: &mut Outcome) {
    if c.plugin.is_some() || c.legacy_barman {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let snapshots = f
        .snapshot
        .backups
        .rows
        .iter()
        .any(|b| &b.namespace == ns && &b.cluster == name && b.method == "volumeSnapshot")
        || f.snapshot.scheduled.rows.iter().any(|s| {
            &s.namespace == ns
                && &s.cluster == name
                && s.method.as_deref() == Some("volumeSnapshot")
        });
    if snapshots {
        return;
    }
    out.push(Finding {
        code: "BKP010",
        severity: Severity::Info,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name} has no backup configured"),
        evidence: vec![
            format!("Cluster {ns}/{name} spec.plugins: no {PLUGIN_NAME} entry"),
            format!("Cluster {ns}/{name} spec.backup.barmanObjectStore: not set"),
        ],
        remedy: format!(
            "If this database matters, create an ObjectStore in {ns} and add to the Cluster spec.plugins: \
             [{{name: {PLUGIN_NAME}, isWALArchiver: true, parameters: {{barmanObjectName: <store>}}}}], then a \
             ScheduledBackup with method: plugin."
        ),
    });
}

/// BKP007: a suspended ScheduledBackup.
fn suspended(f: &Facts, out: &mut Outcome) {
    for sb in f.snapshot.scheduled.rows.iter().filter(|s| s.suspended) {
        let (ns, name) = (&sb.namespace, &sb.name);
        let mut evidence = vec![format!("ScheduledBackup {ns}/{name} spec.suspend: true")];
        if let Some(t) = sb.last {
            evidence.push(format!(
                "ScheduledBackup {ns}/{name} status.lastScheduleTime: {}",
                ts(t)
            ));
        }
        out.push(Finding {
            code: "BKP007",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::ScheduledBackup, ns, name),
            summary: format!("ScheduledBackup {ns}/{name} (Cluster {}) is suspended", sb.cluster),
            evidence,
            remedy: format!(
                "Resume it (in Git if Flux manages it): `kubectl -n {ns} patch scheduledbackup {name} --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'`"
            ),
        });
    }
}

/// BKP008: the in-tree method, written or defaulted, on a plugin-only cluster.
fn wrong_method(f: &Facts, out: &mut Outcome) {
    for sb in f.snapshot.scheduled.rows.iter() {
        let (ns, name) = (&sb.namespace, &sb.name);
        let Some(c) = cluster_of(f, ns, &sb.cluster) else {
            continue;
        };
        if c.plugin.is_none() || c.legacy_barman {
            continue;
        }
        let method = match sb.method.as_deref() {
            None => "not set (defaults to barmanObjectStore)",
            Some("barmanObjectStore") => "barmanObjectStore",
            Some(_) => continue,
        };
        let mut evidence = vec![
            format!("ScheduledBackup {ns}/{name} spec.method: {method}"),
            format!(
                "Cluster {ns}/{} spec.plugins[{PLUGIN_NAME}]: present; spec.backup.barmanObjectStore: not set",
                c.name
            ),
        ];
        if let Some(b) = f.snapshot.backups.in_namespace(ns).iter().find(|b| {
            b.scheduled_by.as_deref() == Some(name.as_str())
                && b.error
                    .as_deref()
                    .is_some_and(|e| e.contains("no barmanObjectStore section"))
        }) {
            evidence.push(format!(
                "Backup {ns}/{} status.error: {}",
                b.name,
                b.error.as_deref().unwrap_or_default()
            ));
        }
        out.push(Finding {
            code: "BKP008",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ScheduledBackup, ns, name),
            summary: format!("ScheduledBackup {ns}/{name} uses the in-tree method on plugin Cluster {}: its backups fail", c.name),
            evidence,
            remedy: format!(
                "Switch it to the plugin (in Git if Flux manages it): `kubectl -n {ns} patch scheduledbackup {name} --type=merge -p \
                 '{{\"spec\":{{\"method\":\"plugin\",\"pluginConfiguration\":{{\"name\":\"{PLUGIN_NAME}\"}}}}}}'`"
            ),
        });
    }
}

#[cfg(test)]
mod tests {

    use chrono::{DateTime, TimeDelta, Utc};

    use super::super::{Facts, Finding, Outcome, Severity, Thresholds};
    use super::rules;
    use crate::assess::testing::{live, state};
    use crate::model::rows::{
        BackupRow, ClusterRow, Condition, EventRow, ObjectStoreRow, PluginRef, ScheduledBackupRow,
        ServerWindow,
    };
    use crate::model::{KindState, SyncState};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .expect("a valid time")
            .with_timezone(&Utc)
    }

    fn ago(hours: i64, minutes: i64) -> DateTime<Utc> {
        now() - TimeDelta::hours(hours) - TimeDelta::minutes(minutes)
    }

    fn cluster() -> ClusterRow {
        ClusterRow {
            namespace: "orders".into(),
            name: "pg-orders".into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some("pg-orders-s3".into()),
                server_name: None,
            }),
            primary: Some("pg-orders-1".into()),
            conditions: vec![Condition {
                kind: "ContinuousArchiving".into(),
                status: "True".into(),
                reason: "ContinuousArchivingSuccess".into(),
                message: "Continuous archiving is working".into(),
                since: Some(ago(24 * 30, 0)),
            }],
            created: Some(ago(24 * 200, 0)),
            ..Default::default()
        }
    }

    fn store(last_success: Option<DateTime<Utc>>) -> ObjectStoreRow {
        ObjectStoreRow {
            namespace: "orders".into(),
            name: "pg-orders-s3".into(),
            servers: vec![ServerWindow {
                server: "pg-orders".into(),
                last_success,
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// A backup created `hours` ago that took `minutes` (None: not finished).
    fn backup(name: &str, phase: &str, created: DateTime<Utc>, minutes: Option<i64>) -> BackupRow {
        BackupRow {
            namespace: "orders".into(),
            name: name.into(),
            cluster: "pg-orders".into(),
            method: "plugin".into(),
            phase: phase.into(),
            started: (phase != "pending").then_some(created + TimeDelta::seconds(5)),
            stopped: minutes.map(|m| created + TimeDelta::seconds(5) + TimeDelta::minutes(m)),
            created: Some(created),
            pod: Some("pg-orders-2".into()),
            scheduled_by: Some("pg-orders-daily".into()),
            ..Default::default()
        }
    }

    fn scheduled(method: Option<&str>, suspended: bool) -> ScheduledBackupRow {
        ScheduledBackupRow {
            namespace: "orders".into(),
            name: "pg-orders-daily".into(),
            cluster: "pg-orders".into(),
            schedule: "0 0 2 * * *".into(),
            suspended,
            method: method.map(str::to_string),
            last: Some(ago(4, 0)),
            ..Default::default()
        }
    }

    fn healthy() -> Facts {
        let mut f = Facts::default();
        f.snapshot.clusters = live(vec![cluster()]);
        f.snapshot.object_stores = live(vec![store(Some(ago(3, 55)))]);
        f.snapshot.backups = live(vec![
            backup(
                "pg-orders-daily-20261123020000",
                "completed",
                ago(28, 0),
                Some(4),
            ),
            backup(
                "pg-orders-daily-20261124020000",
                "completed",
                ago(4, 0),
                Some(4),
            ),
        ]);
        f.snapshot.scheduled = live(vec![scheduled(Some("plugin"), false)]);
        f.events = live(vec![]);
        f
    }

    fn run(f: &Facts) -> Outcome {
        rules(f, now(), &Thresholds::default())
    }

    fn codes(out: &Outcome) -> Vec<&'static str> {
        out.findings.iter().map(|x| x.code).collect()
    }

    fn only<'a>(out: &'a Outcome, code: &str) -> &'a Finding {
        let found: Vec<&Finding> = out.findings.iter().filter(|x| x.code == code).collect();
        assert_eq!(found.len(), 1, "one {code} expected in {:#?}", out.findings);
        found[0]
    }

    fn subject(x: &Finding) -> (&str, &str, &str) {
        (x.object.kind.name(), &x.object.namespace, &x.object.name)
    }

    #[test]
    fn healthy_facts_give_nothing() {
        let out = run(&healthy());
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert!(out.unknown.is_empty());
    }

    #[test]
    fn bkp001_the_newest_backup_failed() {
        let mut f = healthy();
        let mut failed = backup("pg-orders-daily-20261124020000", "failed", ago(4, 0), None);
        failed.error = Some("rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4".into());
        f.snapshot.backups = live(vec![
            backup(
                "pg-orders-daily-20261123020000",
                "completed",
                ago(28, 0),
                Some(4),
            ),
            failed,
        ]);
        f.events = live(vec![EventRow {
            involved_kind: "Backup".into(),
            involved_namespace: "orders".into(),
            involved_name: "pg-orders-daily-20261124020000".into(),
            kind: "Normal".into(),
            reason: "Failed".into(),
            message: "Backup failed".into(),
            last_seen: Some(ago(4, 0)),
            ..Default::default()
        }]);
        let out = run(&f);
        let x = only(&out, "BKP001");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(
            subject(x),
            ("Backup", "orders", "pg-orders-daily-20261124020000")
        );
        assert!(x.evidence.contains(&"Backup orders/pg-orders-daily-20261124020000 status.error: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4".to_string()));
        assert!(
            x.evidence
                .contains(&"event Failed (Normal): Backup failed".to_string())
        );
        assert!(
            x.remedy
                .contains("kubectl -n orders describe backup pg-orders-daily-20261124020000")
        );
        assert!(
            x.remedy
                .contains("kubectl -n orders logs pg-orders-2 -c plugin-barman-cloud")
        );
        assert!(x.remedy.contains("kubectl cnpg backup pg-orders -n orders --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io"));
    }

    #[test]
    fn bkp001_near_miss_a_failure_followed_by_a_newer_success() {
        let mut f = healthy();
        f.snapshot.backups = live(vec![
            backup("pg-orders-daily-20261123020000", "failed", ago(28, 0), None),
            backup("pg-orders-20261124020000", "completed", ago(4, 0), Some(4)),
        ]);
        assert!(!codes(&run(&f)).contains(&"BKP001"));
    }

    fn aged(hours: i64) -> Facts {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![store(Some(ago(hours, 0)))]);
        f.snapshot.backups = live(vec![backup(
            "pg-orders-daily-old",
            "completed",
            ago(hours, 5),
            Some(5),
        )]);
        f
    }

    #[test]
    fn bkp002_no_backup_for_27_hours() {
        let out = run(&aged(27));
        let x = only(&out, "BKP002");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(subject(x), ("Cluster", "orders", "pg-orders"));
        assert_eq!(
            x.summary,
            "Cluster orders/pg-orders: the last successful backup is 27h old (limit 26h)"
        );
        assert_eq!(
            x.evidence[0],
            "ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow[pg-orders].lastSuccessfulBackupTime: 2026-11-23T03:00:00Z (27h ago)"
        );
        assert!(
            x.remedy
                .contains("kubectl cnpg backup pg-orders -n orders --method=plugin")
        );
    }

    #[test]
    fn bkp002_near_miss_25_hours() {
        assert!(run(&aged(25)).findings.is_empty());
    }

    #[test]
    fn bkp002_warning_while_a_newer_backup_runs() {
        let mut f = aged(27);
        let mut rows: Vec<BackupRow> = f
            .snapshot
            .backups
            .rows
            .iter()
            .map(|b| (**b).clone())
            .collect();
        rows.push(backup("pg-orders-daily-now", "started", ago(1, 0), None));
        f.snapshot.backups = live(rows);
        let out = run(&f);
        let x = only(&out, "BKP002");
        assert_eq!(x.severity, Severity::Warning);
        assert!(
            x.evidence
                .iter()
                .any(|e| e.contains("pg-orders-daily-now status.phase: started since"))
        );
    }

    #[test]
    fn bkp002_falls_back_to_backup_objects_without_a_window() {
        let mut f = aged(30);
        f.snapshot.object_stores = live(vec![]);
        let out = run(&f);
        let x = only(&out, "BKP002");
        assert_eq!(
            x.evidence[0],
            "newest completed Backup orders/pg-orders-daily-old status.stoppedAt: 2026-11-23T00:00:05Z (29h59m ago)"
        );
        // The same from Backup objects alone, recent enough.
        let mut f = aged(2);
        f.snapshot.object_stores = live(vec![]);
        assert!(!codes(&run(&f)).contains(&"BKP002"));
    }

    #[test]
    fn bkp002_never_backed_up_but_a_new_cluster_gets_time() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![]);
        f.snapshot.backups = live(vec![]);
        let out = run(&f);
        assert_eq!(
            only(&out, "BKP002").summary,
            "Cluster orders/pg-orders: no successful backup at all (limit 26h)"
        );
        let mut young = cluster();
        young.created = Some(ago(2, 0));
        f.snapshot.clusters = live(vec![young]);
        assert!(!codes(&run(&f)).contains(&"BKP002"));
    }

    #[test]
    fn bkp003_a_slow_completed_backup() {
        let mut f = healthy();
        f.snapshot.backups = live(vec![
            backup(
                "pg-orders-daily-20261123020000",
                "completed",
                ago(28, 0),
                Some(29),
            ),
            backup(
                "pg-orders-daily-20261124020000",
                "completed",
                ago(4, 0),
                Some(31),
            ),
        ]);
        let out = run(&f);
        let x = only(&out, "BKP003");
        assert_eq!(x.severity, Severity::Warning);
        assert_eq!(
            subject(x),
            ("Backup", "orders", "pg-orders-daily-20261124020000")
        );
        assert_eq!(
            x.summary,
            "Backup orders/pg-orders-daily-20261124020000 of Cluster pg-orders took 31m (limit 30m)"
        );
        assert_eq!(
            x.evidence,
            vec![
                "Backup orders/pg-orders-daily-20261124020000 status.startedAt: 2026-11-24T02:00:05Z",
                "Backup orders/pg-orders-daily-20261124020000 status.stoppedAt: 2026-11-24T02:31:05Z"
            ]
        );
    }

    #[test]
    fn bkp003_near_miss_old_history_is_not_repeated() {
        let mut f = healthy();
        let mut rows: Vec<BackupRow> = (1..=7)
            .map(|d| backup(&format!("quick-{d}"), "completed", ago(24 * d, 0), Some(5)))
            .collect();
        rows.push(backup(
            "slow-long-ago",
            "completed",
            ago(24 * 8, 0),
            Some(90),
        ));
        f.snapshot.backups = live(rows);
        assert!(!codes(&run(&f)).contains(&"BKP003"));
    }

    #[test]
    fn bkp004_pending_for_11_minutes_and_started_for_7_hours() {
        let mut f = healthy();
        let mut rows: Vec<BackupRow> = f
            .snapshot
            .backups
            .rows
            .iter()
            .map(|b| (**b).clone())
            .collect();
        rows.push(backup("pending-11m", "pending", ago(0, 11), None));
        rows.push(backup("started-7h", "started", ago(7, 0), None));
        f.snapshot.backups = live(rows);
        let out = run(&f);
        let stuck: Vec<&str> = out
            .findings
            .iter()
            .filter(|x| x.code == "BKP004")
            .map(|x| x.object.name.as_str())
            .collect();
        assert_eq!(stuck, vec!["pending-11m", "started-7h"]);
        assert!(out.findings.iter().all(|x| x.severity == Severity::Warning));
        let started = out
            .findings
            .iter()
            .find(|x| x.object.name == "started-7h")
            .expect("a finding");
        assert!(
            started
                .remedy
                .contains("kubectl -n orders logs pg-orders-2 -c plugin-barman-cloud")
        );
    }

    #[test]
    fn bkp004_near_miss_pending_9_minutes_and_started_5_hours() {
        let mut f = healthy();
        let mut rows: Vec<BackupRow> = f
            .snapshot
            .backups
            .rows
            .iter()
            .map(|b| (**b).clone())
            .collect();
        rows.push(backup("pending-9m", "pending", ago(0, 9), None));
        rows.push(backup("started-5h", "started", ago(5, 0), None));
        f.snapshot.backups = live(rows);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn bkp005_archiving_false() {
        let mut f = healthy();
        let mut c = cluster();
        c.conditions[0] = Condition {
            kind: "ContinuousArchiving".into(),
            status: "False".into(),
            reason: "ContinuousArchivingFailing".into(),
            message: "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-wal-archive: exit status 4".into(),
            since: Some(ago(8, 18)),
        };
        f.snapshot.clusters = live(vec![c]);
        let out = run(&f);
        let x = only(&out, "BKP005");
        assert_eq!(
            (x.severity, subject(x)),
            (Severity::Critical, ("Cluster", "orders", "pg-orders"))
        );
        assert_eq!(
            x.evidence,
            vec![
                "Cluster orders/pg-orders condition ContinuousArchiving=False (ContinuousArchivingFailing) since 2026-11-23T21:42:00Z: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-wal-archive: exit status 4"
            ]
        );
        assert!(
            x.remedy
                .contains("kubectl -n orders logs pg-orders-1 -c plugin-barman-cloud")
        );
    }

    #[test]
    fn bkp005_near_miss_archiving_true() {
        assert!(!codes(&run(&healthy())).contains(&"BKP005"));
    }

    fn with_plugin(edit: impl Fn(&mut PluginRef)) -> Facts {
        let mut f = healthy();
        let mut c = cluster();
        if let Some(p) = c.plugin.as_mut() {
            edit(p);
        }
        f.snapshot.clusters = live(vec![c]);
        f
    }

    #[test]
    fn bkp006_incomplete_plugin_entries() {
        for (edit, needle) in [
            (
                Box::new(|p: &mut PluginRef| p.object_store = None) as Box<dyn Fn(&mut PluginRef)>,
                "barmanObjectName: not set",
            ),
            (
                Box::new(|p: &mut PluginRef| p.enabled = false),
                "enabled: false",
            ),
            (
                Box::new(|p: &mut PluginRef| p.wal_archiver = false),
                "isWALArchiver: not true",
            ),
        ] {
            let out = run(&with_plugin(edit));
            let x = only(&out, "BKP006");
            assert_eq!(
                (x.severity, subject(x)),
                (Severity::Critical, ("Cluster", "orders", "pg-orders"))
            );
            assert!(
                x.evidence.iter().any(|e| e.contains(needle)),
                "{needle}: {:?}",
                x.evidence
            );
            assert!(
                x.remedy
                    .contains("kubectl -n orders patch cluster pg-orders --type=merge")
            );
        }
    }

    #[test]
    fn bkp006_near_miss_complete_entry_or_in_tree_archiver() {
        assert!(!codes(&run(&healthy())).contains(&"BKP006"));
        let mut f = with_plugin(|p| p.wal_archiver = false);
        let mut c = f.snapshot.clusters.rows[0].as_ref().clone();
        c.legacy_barman = true;
        f.snapshot.clusters = live(vec![c]);
        assert!(!codes(&run(&f)).contains(&"BKP006"));
    }

    #[test]
    fn bkp007_suspended_scheduled_backup() {
        let mut f = healthy();
        f.snapshot.scheduled = live(vec![scheduled(Some("plugin"), true)]);
        let out = run(&f);
        let x = only(&out, "BKP007");
        assert_eq!(
            (x.severity, subject(x)),
            (
                Severity::Warning,
                ("ScheduledBackup", "orders", "pg-orders-daily")
            )
        );
        assert!(x.remedy.contains(r#"kubectl -n orders patch scheduledbackup pg-orders-daily --type=merge -p '{"spec":{"suspend":false}}'"#));
    }

    #[test]
    fn bkp007_near_miss_not_suspended() {
        assert!(!codes(&run(&healthy())).contains(&"BKP007"));
    }

    #[test]
    fn bkp008_default_method_on_a_plugin_cluster() {
        for method in [None, Some("barmanObjectStore")] {
            let mut f = healthy();
            f.snapshot.scheduled = live(vec![scheduled(method, false)]);
            let out = run(&f);
            let x = only(&out, "BKP008");
            assert_eq!(
                (x.severity, subject(x)),
                (
                    Severity::Critical,
                    ("ScheduledBackup", "orders", "pg-orders-daily")
                )
            );
            assert!(x.remedy.contains(
                r#"kubectl -n orders patch scheduledbackup pg-orders-daily --type=merge -p '{"spec":{"method":"plugin","pluginConfiguration":{"name":"barman-cloud.cloudnative-pg.io"}}}'"#
            ));
        }
    }

    #[test]
    fn bkp008_near_miss_method_plugin_or_an_in_tree_cluster() {
        assert!(!codes(&run(&healthy())).contains(&"BKP008"));
        let mut f = healthy();
        f.snapshot.scheduled = live(vec![scheduled(None, false)]);
        f.snapshot.clusters = live(vec![ClusterRow {
            plugin: None,
            legacy_barman: true,
            ..cluster()
        }]);
        assert!(!codes(&run(&f)).contains(&"BKP008"));
    }

    #[test]
    fn bkp009_in_tree_configuration() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            plugin: None,
            legacy_barman: true,
            ..cluster()
        }]);
        let out = run(&f);
        let x = only(&out, "BKP009");
        assert_eq!(
            (x.severity, subject(x)),
            (Severity::Warning, ("Cluster", "orders", "pg-orders"))
        );
        assert!(x.remedy.contains("isWALArchiver: true"));
        assert!(x.remedy.contains("method: plugin"));
    }

    #[test]
    fn bkp009_near_miss_plugin_only() {
        assert!(!codes(&run(&healthy())).contains(&"BKP009"));
    }

    #[test]
    fn bkp010_nothing_configured() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            plugin: None,
            ..cluster()
        }]);
        f.snapshot.backups = live(vec![]);
        f.snapshot.scheduled = live(vec![]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["BKP010"]);
        assert_eq!(out.findings[0].severity, Severity::Info);
    }

    #[test]
    fn bkp010_near_miss_volume_snapshots_or_plugin() {
        assert!(!codes(&run(&healthy())).contains(&"BKP010"));
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            plugin: None,
            ..cluster()
        }]);
        f.snapshot.backups = live(vec![]);
        f.snapshot.scheduled = live(vec![scheduled(Some("volumeSnapshot"), false)]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn bkp011_never_fires_without_a_size() {
        let mut f = healthy();
        f.snapshot.backups = live(vec![backup("slow", "completed", ago(4, 0), Some(300))]);
        assert!(!codes(&run(&f)).contains(&"BKP011"));
    }

    #[test]
    fn unknown_when_clusters_are_forbidden() {
        let mut f = healthy();
        let mut c = cluster();
        c.conditions[0].status = "False".into();
        f.snapshot.clusters = KindState {
            sync: SyncState::Forbidden {
                verb: "list".into(),
                resource: "clusters".into(),
            },
            ..live(vec![c])
        };
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert_eq!(
            (out.unknown[0].area, out.unknown[0].reason.as_str()),
            ("backup", "clusters: forbidden (list)")
        );
    }

    #[test]
    fn unknown_when_backups_cannot_be_read() {
        let mut f = healthy();
        f.snapshot.backups = state(SyncState::Error("connection refused".into()));
        f.snapshot.object_stores = live(vec![]);
        let out = run(&f);
        assert!(
            out.findings.is_empty(),
            "no BKP002 without a window or Backups: {:#?}",
            out.findings
        );
        assert_eq!(out.unknown[0].reason, "backups: connection refused");
    }

    #[test]
    fn unknown_when_scheduled_backups_are_not_listed_yet() {
        let mut f = healthy();
        f.snapshot.scheduled = state(SyncState::Syncing);
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(out.unknown[0].reason, "scheduledbackups: not listed yet");
    }

    #[tokio::test]
    async fn builtin_scenarios_give_exactly_their_expected_bkp_codes() -> anyhow::Result<()> {
        let now = DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")?.with_timezone(&Utc);
        for name in crate::sim::scenario::builtin_names() {
            let f = crate::checks::facts_from_scenario(name, now).await?;
            let out = rules(&f, now, &Thresholds::default());
            let got: std::collections::BTreeSet<&str> =
                out.findings.iter().map(|x| x.code).collect();
            let scenario = crate::sim::scenario::load(name, now)?;
            let want: std::collections::BTreeSet<&str> = scenario
                .expect
                .iter()
                .map(String::as_str)
                .filter(|c| c.starts_with("BKP"))
                .collect();
            assert_eq!(got, want, "scenario {name}: {:#?}", out.findings);
            assert!(out.unknown.is_empty(), "scenario {name}: {:?}", out.unknown);
        }
        Ok(())
    }
}
