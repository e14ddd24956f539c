//! PLG008, PLG010, PLG011: the Clusters that use the plugin.

use super::*;

#[test]
fn plg008_plugin_phases() {
    for phase in [
        "Cluster cannot proceed to reconciliation due to an unknown plugin being required",
        "Cluster cannot proceed to reconciliation due to an error while interacting with plugins",
    ] {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            phase: phase.into(),
            phase_reason: Some("Error while discovering plugins: requested plugin is not available: barman-cloud.cloudnative-pg.io".into()),
            ..cluster()
        }]);
        let out = run(&f);
        let x = one(&out, "PLG008");
        assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
        assert_eq!(x.evidence[0], format!("status.phase: {phase}"));
        assert!(x.evidence[1].starts_with("status.phaseReason: Error while discovering plugins"));
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
    assert!(
        x.remedy
            .contains("kubectl rollout restart deployment barman-cloud -n cnpg-system")
    );

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
    assert!(x.remedy.contains("kubectl cnpg restart pg -n db"));

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
