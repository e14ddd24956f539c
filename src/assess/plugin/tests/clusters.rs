//! PLG008, PLG010, PLG011: the Clusters that use the plugin.

use super::*;

#[test]
fn plg008_plugin_phases() {
    // The phase and phaseReason pairs the operator writes (cluster_controller.go).
    let cases = [
        (
            "Cluster cannot proceed to reconciliation due to an unknown plugin being required",
            "Unknown plugin: 'barman-cloud.cloudnative-pg.io'. This may be caused by the plugin not being loaded correctly by the operator. Check the operator and plugin logs for errors",
            "cnpg.io/pluginClientSecret, cnpg.io/pluginServerSecret and cnpg.io/pluginPort",
        ),
        (
            "Cluster cannot proceed to reconciliation due to an error while interacting with plugins",
            "Error while discovering plugins: while getting plugin connection: context deadline exceeded",
            "make its pods Ready (PLG004, PLG005): kubectl -n cnpg-system get pods -l app=barman-cloud;",
        ),
    ];
    for (phase, reason, advice) in cases {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            phase: phase.into(),
            phase_reason: Some(reason.into()),
            ..cluster()
        }]);
        let out = run(&f);
        let x = one(&out, "PLG008");
        assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
        assert_eq!(x.evidence[0], format!("status.phase: {phase}"));
        assert_eq!(x.evidence[1], format!("status.phaseReason: {reason}"));
        assert!(x.remedy.contains(advice), "{}", x.remedy);
        // No restart first: the operator re-registers and reconnects by itself.
        assert!(
            x.remedy
                .contains("only if the phase stays once that is fixed, restart the operator")
        );
        assert!(!x.remedy.contains("rollout restart deployment barman-cloud"));
    }
    let mut near = healthy();
    near.snapshot.clusters = live(vec![ClusterRow {
        phase: "Setting up primary".into(),
        ..cluster()
    }]);
    assert!(!codes(&run(&near)).contains(&"PLG008"));
}

#[test]
fn plg010_version_skew_ignores_a_leading_v() {
    let mut f = healthy();
    f.snapshot.clusters = live(vec![ClusterRow {
        plugin_version: Some("0.13.0".into()),
        ..cluster()
    }]);
    let out = run(&f);
    let x = one(&out, "PLG010");
    assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
    assert_eq!(
        x.evidence,
        vec![
            "status.pluginStatus[barman-cloud.cloudnative-pg.io].version: 0.13.0".to_string(),
            "Deployment cnpg-system/barman-cloud spec.template.spec.containers[barman-cloud].image: ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".to_string(),
        ]
    );
    assert!(x.remedy.contains("rewrites status.pluginStatus"));
    assert!(
        x.remedy
            .contains("kubectl -n cnpg-system get pods -l app=barman-cloud")
    );
    assert!(x.remedy.contains(
        "do not restart the plugin for this (its Deployment barman-cloud uses strategy Recreate"
    ));
    assert!(!x.remedy.contains("rollout restart deployment barman-cloud"));

    f.snapshot.clusters = live(vec![ClusterRow {
        plugin_version: Some("v0.14.0".into()),
        ..cluster()
    }]);
    assert!(!codes(&run(&f)).contains(&"PLG010"));
}

#[test]
fn plg011_instance_pod_without_the_sidecar() {
    let mut f = healthy();
    let bare = PodRow {
        sidecars: vec![],
        images: vec![(
            "postgres".into(),
            "ghcr.io/cloudnative-pg/postgresql:17".into(),
        )],
        ..instance_pod("pg-2")
    };
    with_pods(
        &mut f,
        vec![
            plugin_pod(),
            operator_pod(),
            instance_pod("pg-1"),
            bare.clone(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["PLG011"]);
    let x = one(&out, "PLG011");
    assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
    assert_eq!(
        x.evidence,
        vec!["Pod db/pg-2 spec.initContainers with restartPolicy Always: none".to_string()]
    );
    assert!(x.remedy.contains("rolls the instances itself"));
    assert!(x.remedy.contains("kubectl cnpg status pg -n db"));
    assert!(x.remedy.contains(
        "Only if the pods stay without it, recreate them: kubectl cnpg restart pg -n db"
    ));

    // Near miss: an enabled entry without barmanObjectName (a recovery-only entry) gets
    // no sidecar injected.
    let mut near = f.clone();
    let recovery_only = PluginRef {
        enabled: true,
        wal_archiver: false,
        object_store: None,
        server_name: None,
    };
    near.snapshot.clusters = live(vec![ClusterRow {
        plugin: Some(recovery_only.clone()),
        recovery_store: Some("origin-s3".into()),
        ..cluster()
    }]);
    assert!(!codes(&run(&near)).contains(&"PLG011"));

    // But a replica cluster's entry reading its source's store gets the sidecar: one
    // missing is the same fault.
    let mut replica = f.clone();
    replica.snapshot.clusters = live(vec![ClusterRow {
        plugin: Some(recovery_only),
        replica_source_store: Some("origin-s3".into()),
        ..cluster()
    }]);
    assert_eq!(codes(&run(&replica)), vec!["PLG011"]);

    // Near miss: the plugin entry is disabled, so no sidecar is expected.
    let mut near = f.clone();
    let disabled = PluginRef {
        enabled: false,
        wal_archiver: false,
        object_store: Some("store".into()),
        server_name: None,
    };
    near.snapshot.clusters = live(vec![ClusterRow {
        plugin: Some(disabled),
        ..cluster()
    }]);
    assert!(!codes(&run(&near)).contains(&"PLG011"));

    // Near miss: a pod of another cluster, or not an instance.
    let other = PodRow {
        labels: labels(&[(CLUSTER_LABEL, "pg-other"), ("cnpg.io/podRole", "instance")]),
        ..bare.clone()
    };
    let pooler = PodRow {
        labels: labels(&[(CLUSTER_LABEL, "pg"), ("cnpg.io/podRole", "pooler")]),
        ..bare
    };
    with_pods(&mut f, vec![plugin_pod(), operator_pod(), other, pooler]);
    assert!(!codes(&run(&f)).contains(&"PLG011"));
}
