//! What is configured so that backups cannot work: BKP006 (an incomplete plugin entry),
//! BKP007 (a suspended ScheduledBackup), BKP008 (the in-tree method on a plugin Cluster),
//! BKP009 (the deprecated in-tree configuration), BKP010 (nothing configured).

use super::cluster_of;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::PLUGIN_NAME;
use crate::model::kubefmt::ts;
use crate::model::relate::store_of;
use crate::model::rows::ClusterRow;

/// BKP006: a plugin entry that cannot archive or back up, or that archives without being
/// the Cluster's WAL archiver.
pub(super) fn incomplete_plugin(c: &ClusterRow, out: &mut Outcome) {
    let Some(p) = &c.plugin else { return };
    let (ns, name) = (&c.namespace, &c.name);
    let at = format!("Cluster {ns}/{name} spec.plugins[{PLUGIN_NAME}]");
    let mut evidence = Vec::new();
    let mut severity = Severity::Warning;
    if store_of(c).is_none() {
        if p.wal_archiver {
            severity = Severity::Critical;
            evidence.push(format!(
                "{at}.parameters.barmanObjectName: not set, while isWALArchiver is true (no sidecar archives this \
                 Cluster's WAL: every archive attempt fails)"
            ));
        } else if c.replica_source_store.is_some() {
            // A replica cluster's designated primary restores WAL from its source's store:
            // the plugin injects the sidecar for that alone. Nothing is missing.
        } else if let Some(source) = &c.recovery_store {
            evidence.push(format!(
                "{at}.parameters.barmanObjectName: not set; the entry only serves the recovery bootstrap from \
                 ObjectStore {ns}/{source} (spec.bootstrap.recovery.source): once restored, this Cluster archives no \
                 WAL and takes no backup through the plugin"
            ));
        } else {
            // The plugin's own check: no store for backups, recovery or a replica source.
            evidence.push(format!(
                "{at}.parameters.barmanObjectName: not set, and neither spec.bootstrap.recovery.source nor \
                 spec.replicaCluster.source names an external cluster with a Barman Cloud plugin store: the plugin \
                 skips this Cluster (it logs \"pluginConfiguration invalid, skipping lifecycle\"), so no sidecar is \
                 injected and nothing is archived or backed up"
            ));
        }
    }
    if !p.enabled {
        severity = Severity::Critical;
        evidence.push(format!("{at}.enabled: false"));
    }
    // With the in-tree configuration the in-tree archiver archives, and isWALArchiver may
    // not be combined with it: that is BKP009's case, not an incomplete entry. Without a
    // store the entry is not meant to archive, which the line above already says.
    if !p.wal_archiver && !c.legacy_barman && store_of(c).is_some() {
        evidence.push(format!(
            "{at}.isWALArchiver: not true (the sidecar still archives WAL, but if it goes missing from the primary \
             archive_command reports success without archiving, leaving a silent gap; the in-tree archiver is not \
             skipped; new replicas are not seeded from the plugin's backups)"
        ));
    }
    if evidence.is_empty() {
        return;
    }
    let mut params = format!(
        "\"barmanObjectName\":\"{}\"",
        store_of(c).unwrap_or("STORE")
    );
    if let Some(s) = &p.server_name {
        params.push_str(&format!(",\"serverName\":\"{s}\""));
    }
    let only_source = if c.recovery_store.is_some() && store_of(c).is_none() {
        "If this Cluster is a throwaway restore (a drill), leave it. Otherwise, to archive and back it up, "
    } else {
        ""
    };
    out.push(Finding {
        code: "BKP006",
        severity,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: the Barman Cloud plugin entry is incomplete"),
        evidence,
        remedy: format!(
            "{only_source}Complete the entry (in Git if Flux manages the Cluster): `kubectl -n {ns} patch cluster {name} --type=merge \
             -p '{{\"spec\":{{\"plugins\":[{{\"name\":\"{PLUGIN_NAME}\",\"enabled\":true,\"isWALArchiver\":true,\"parameters\":{{{params}}}}}]}}}}'` \
             (a merge patch replaces spec.plugins: keep any other plugin entries). With isWALArchiver true a missing \
             sidecar makes archiving fail loudly (\"wal archive plugin is not available\") instead of silently, the \
             in-tree archiver is skipped, and replicas can be created from the plugin's backups."
        ),
    });
}

/// BKP009: the deprecated in-tree configuration.
pub(super) fn legacy(c: &ClusterRow, out: &mut Outcome) {
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
            "`backstop migrate plan {ns}/{name}` plans it with its gates (add `--repo PATH` to write it into your GitOps checkout), saves a copy for `backstop migrate rollback`, and `backstop migrate verify {ns}/{name}` proves it afterwards. By hand, in one change: (1) create an ObjectStore in {ns} whose \
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
pub(super) fn unconfigured(f: &Facts, c: &ClusterRow, out: &mut Outcome) {
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
pub(super) fn suspended(f: &Facts, out: &mut Outcome) {
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

/// How the operator refuses an in-tree backup of a Cluster without the in-tree
/// configuration: no spec.backup at all (the usual state after a migration), or
/// spec.backup without barmanObjectStore.
const IN_TREE_REFUSED: [&str; 2] = [
    "cannot proceed with the backup as the cluster has no backup section",
    "no barmanObjectStore section defined on the target cluster",
];

/// BKP008: the in-tree method, written or defaulted, on a plugin-only cluster.
pub(super) fn wrong_method(f: &Facts, out: &mut Outcome) {
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
                    .is_some_and(|e| IN_TREE_REFUSED.iter().any(|w| e.contains(w)))
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
