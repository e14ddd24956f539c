//! BKP006-BKP011: configuration that keeps backups from working, and what is unknown when Clusters or ScheduledBackups cannot be read.

use super::*;

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
fn healthy_facts_give_nothing() {
    let out = run(&healthy());
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert!(out.unknown.is_empty());
}

#[test]
fn bkp006_incomplete_plugin_entries() {
    for (edit, severity, needle) in [
        (
            Box::new(|p: &mut PluginRef| p.object_store = None) as Box<dyn Fn(&mut PluginRef)>,
            Severity::Critical,
            "barmanObjectName: not set, while isWALArchiver is true",
        ),
        (
            Box::new(|p: &mut PluginRef| p.enabled = false),
            Severity::Critical,
            "enabled: false",
        ),
        (
            Box::new(|p: &mut PluginRef| p.wal_archiver = false),
            Severity::Warning,
            "isWALArchiver: not true (the sidecar still archives WAL, but if it goes missing from the primary \
             archive_command reports success without archiving",
        ),
    ] {
        let out = run(&with_plugin(edit));
        let x = one(&out, "BKP006");
        assert_eq!(
            (x.severity, subject(x)),
            (severity, ("Cluster", "orders", "pg-orders"))
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
        assert!(x.remedy.contains("a missing sidecar makes archiving fail loudly (\"wal archive plugin is not available\")"));
        assert!(
            !x.evidence
                .iter()
                .any(|e| e.contains("no point-in-time recovery"))
        );
    }
}

/// A Cluster whose own plugin entry names no store, with (as the plugin resolves it) the
/// store its replica or recovery source's externalClusters entry names.
fn entry_without_store(replica: Option<&str>, recovery: Option<&str>) -> Facts {
    let mut f = with_plugin(|p| {
        p.object_store = None;
        p.wal_archiver = false;
    });
    let mut c = f.snapshot.clusters.rows[0].as_ref().clone();
    c.replica_source_store = replica.map(str::to_string);
    c.recovery_store = recovery.map(str::to_string);
    f.snapshot.clusters = live(vec![c]);
    f
}

#[test]
fn bkp006_a_replica_clusters_entry_reading_its_source_store_is_complete() {
    // spec.replicaCluster.source: origin, externalClusters[origin].plugin.parameters.
    // barmanObjectName: origin-s3: the plugin injects the sidecar to restore WAL from it.
    let out = run(&entry_without_store(Some("origin-s3"), None));
    assert!(!codes(&out).contains(&"BKP006"), "{:#?}", out.findings);
}

#[test]
fn bkp006_an_entry_only_for_the_recovery_bootstrap_says_nothing_is_archived_after() {
    let out = run(&entry_without_store(None, Some("origin-s3")));
    let x = one(&out, "BKP006");
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(x.evidence.len(), 1, "{:?}", x.evidence);
    assert!(x.evidence[0].contains(
        "only serves the recovery bootstrap from ObjectStore orders/origin-s3 (spec.bootstrap.recovery.source): \
         once restored, this Cluster archives no WAL"
    ));
    assert!(
        x.remedy
            .starts_with("If this Cluster is a throwaway restore (a drill), leave it.")
    );
}

#[test]
fn bkp006_an_entry_naming_no_store_anywhere_is_skipped_by_the_plugin() {
    let out = run(&entry_without_store(None, None));
    let x = one(&out, "BKP006");
    assert_eq!(x.severity, Severity::Warning);
    assert!(x.evidence[0].contains("\"pluginConfiguration invalid, skipping lifecycle\""));
    assert!(x.evidence[0].contains("no sidecar is injected"));
    assert!(x.remedy.starts_with("Complete the entry"));
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
    let x = one(&out, "BKP007");
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
        let x = one(&out, "BKP008");
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
    let x = one(&out, "BKP009");
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
        (
            "backup",
            "clusters.postgresql.cnpg.io: forbidden: may not list clusters"
        )
    );
}

#[test]
fn unknown_when_scheduled_backups_are_not_listed_yet() {
    let mut f = healthy();
    f.snapshot.scheduled = state(SyncState::Syncing);
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "scheduledbackups.postgresql.cnpg.io: not read yet"
    );
}

#[test]
fn bkp008_evidence_from_the_operator_refusals() {
    // After a migration spec.backup is gone: the operator's first prerequisite check.
    for error in [
        "cannot proceed with the backup as the cluster has no backup section",
        "no barmanObjectStore section defined on the target cluster",
    ] {
        let mut f = healthy();
        f.snapshot.scheduled = live(vec![scheduled(None, false)]);
        let mut b = backup("pg-orders-daily-20261124020000", "failed", ago(4, 0), None);
        b.method = "barmanObjectStore".into();
        b.error = Some(error.into());
        f.snapshot.backups = live(vec![b]);
        let out = run(&f);
        let x = one(&out, "BKP008");
        assert!(
            x.evidence.contains(&format!(
                "Backup orders/pg-orders-daily-20261124020000 status.error: {error}"
            )),
            "{:?}",
            x.evidence
        );
        let y = one(&out, "BKP001");
        assert!(
            y.remedy.contains("use method plugin (BKP008)"),
            "{}",
            y.remedy
        );
    }
}
