//! Where a restore reads from: RST003 (a plugin Backup named by `recovery.backup.name`)
//! and RST004 (a source entry, store or server the restore cannot read).

use super::signs::{self, said};
use super::spec::{Source, recovery_line};
use super::{Facts, Finding, Severity, finding};
use crate::model::domain::PLUGIN_NAME;
use crate::model::facts::LogTail;
use crate::model::relate::store_of;
use crate::model::rows::{BackupRow, ClusterRow};

/// The recovery through an ObjectStore with the backup pinned, as plugin-barman-cloud
/// documents it (docs "Recovery", `externalClusters[].plugin`).
fn plugin_recovery_yaml(store: &str, server: &str, backup_id: Option<&str>) -> String {
    let target = match backup_id {
        Some(id) => format!("      recoveryTarget:\n        backupID: {id}\n"),
        None => String::new(),
    };
    format!(
        "spec:\n  bootstrap:\n    recovery:\n      source: origin\n{target}  externalClusters:\n  - name: origin\n    plugin:\n      name: {PLUGIN_NAME}\n      parameters:\n        barmanObjectName: {store}\n        serverName: {server}\n"
    )
}

/// RST003: `bootstrap.recovery.backup.name` names a Backup taken by a plugin. CloudNativePG
/// restores a Backup named this way through its in-tree configuration
/// (`pkg/management/postgres/restore.go` `loadBackupFromReference`), which a plugin Backup
/// does not carry: it fails with "missing Azure credentials" or the like
/// (plugin-barman-cloud issue 510, cloudnative-pg issue 7989).
pub(super) fn plugin_backup_by_name(
    f: &Facts,
    c: &ClusterRow,
    tails: &[&LogTail],
) -> Option<Finding> {
    let r = c.recovery.as_ref()?;
    let wanted = r.backup_name.as_deref()?;
    let (ns, name) = (&c.namespace, &c.name);
    let b: &BackupRow = f
        .snapshot
        .backups
        .in_namespace(ns)
        .iter()
        .find(|b| b.name == wanted)?;
    if b.method != "plugin" {
        return None;
    }
    let source = f
        .snapshot
        .clusters
        .in_namespace(ns)
        .iter()
        .find(|s| s.name == b.cluster);
    let store = b
        .plugin_store
        .as_deref()
        .or_else(|| source.and_then(|s| store_of(s)))
        .unwrap_or("<the ObjectStore the backup went to>");
    let server = source.map_or(b.cluster.as_str(), |s| s.server_name());
    let mut evidence = vec![
        format!("Cluster {ns}/{name} spec.bootstrap.recovery.backup.name: {wanted}"),
        format!(
            "Backup {ns}/{wanted} spec.method: plugin (cluster {}, backupId {})",
            b.cluster,
            b.backup_id.as_deref().unwrap_or("unknown")
        ),
    ];
    evidence.extend(said(tails, signs::CREDENTIALS));
    Some(finding(
        "RST003",
        Severity::Critical,
        c,
        format!(
            "Cluster {ns}/{name} restores a plugin Backup by name ({wanted}): CloudNativePG cannot restore a plugin Backup that way"
        ),
        evidence,
        format!(
            "CloudNativePG restores a recovery.backup reference only for in-tree and volume snapshot backups; a plugin Backup goes through the ObjectStore with its backup ID pinned (plugin-barman-cloud issue 510). Delete the recovery Cluster and create it again with:\n{}kubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>\nGive the new Cluster a serverName of its own (or no plugins block) so that it does not archive into {server}'s archive.",
            plugin_recovery_yaml(store, server, b.backup_id.as_deref())
        ),
    ))
}

/// RST004: the restore cannot read its source: no such `externalClusters` entry, no
/// ObjectStore, a server the store does not hold (its status' recovery windows, or what the
/// bucket proved), credentials the store refuses (its logs).
pub(super) fn source_unreadable(f: &Facts, c: &ClusterRow, tails: &[&LogTail]) -> Option<Finding> {
    let src = Source::of(c)?;
    // A name reference does not read the source at all.
    if src.recovery.backup_name.is_some() {
        return None;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let mut why = Vec::new();
    let mut servers_held: Vec<String> = Vec::new();
    let origin = src.recovery.origin.as_ref();
    match (&src.recovery.source, origin) {
        (Some(s), None) => why.push(format!(
            "spec.bootstrap.recovery.source names {s}, but spec.externalClusters has no entry {s}"
        )),
        (None, _) => why.push("spec.bootstrap.recovery has neither source nor backup".into()),
        _ => {}
    }
    if let Some(p) = origin
        .and_then(|o| o.plugin.as_ref())
        .filter(|p| p.name == PLUGIN_NAME)
    {
        match &p.store {
            None => why.push(format!(
                "externalClusters[{}].plugin.parameters has no barmanObjectName",
                origin.map_or("", |o| o.name.as_str())
            )),
            Some(store) => {
                let stores = &f.snapshot.object_stores;
                let row = stores.in_namespace(ns).iter().find(|s| s.name == *store);
                match row {
                    None if stores.complete() => why.push(format!(
                        "ObjectStore {ns}/{store} does not exist: the plugin reads the recovery store from the Cluster's namespace"
                    )),
                    Some(row) if !row.servers.is_empty() => {
                        let server = src.server.clone().unwrap_or_default();
                        servers_held = row.servers.iter().map(|w| w.server.clone()).collect();
                        if !servers_held.contains(&server) {
                            why.push(format!(
                                "ObjectStore {ns}/{store} status.serverRecoveryWindow holds servers {} but not {server}{}",
                                servers_held.join(", "),
                                if p.server_name.is_none() {
                                    " (serverName is not set: the plugin reads under the new Cluster's own name)"
                                } else {
                                    ""
                                }
                            ));
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if let Some(facts) = src.proof(f, ns).and_then(|p| p.facts())
        && !facts.backups.iter().any(|b| b.status == "DONE")
    {
        why.push(format!(
            "the bucket holds no completed base backup under {}",
            src.describe()
        ));
    }
    let mut needles: Vec<&str> = signs::SOURCE_WRONG.to_vec();
    needles.extend(signs::CREDENTIALS);
    let logged = said(tails, &needles);
    if why.is_empty() && logged.is_empty() {
        return None;
    }
    let summary = match why.first() {
        Some(first) => {
            format!("The restore of Cluster {ns}/{name} cannot read its source: {first}")
        }
        None => format!(
            "The restore of Cluster {ns}/{name} cannot read {}: the store refuses the credentials or holds no backup there",
            src.describe()
        ),
    };
    let mut evidence = vec![recovery_line(c, &src)];
    evidence.extend(why);
    evidence.extend(logged);
    let store = src.store.unwrap_or("<store>");
    let server = match servers_held.as_slice() {
        [one] => one.clone(),
        _ => "<the source Cluster's server name>".to_string(),
    };
    Some(finding(
        "RST004",
        Severity::Critical,
        c,
        summary,
        evidence,
        format!(
            "Point the source at a server the store holds, with credentials it accepts. The servers and their windows: kubectl get objectstore {store} -n {ns} -o jsonpath='{{.status.serverRecoveryWindow}}'\nThe Secret keys the store needs, in this namespace: kubectl get objectstore {store} -n {ns} -o yaml (the credentials section), then kubectl get secret <name> -n {ns} -o jsonpath='{{.data}}' | jq 'keys'\nName the server explicitly: without serverName the plugin reads under the new Cluster's own name. Delete the recovery Cluster and create it again with:\n{}kubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>",
            plugin_recovery_yaml(store, &server, src.recovery.target.backup_id.as_deref())
        ),
    ))
}
