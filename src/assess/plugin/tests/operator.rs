//! PLG001-PLG003 and PLG007, and what is unknown when kinds cannot be read.

use super::*;

#[test]
fn a_healthy_install_has_no_finding_and_nothing_unknown() {
    let out = run(&healthy());
    assert_eq!(out, Outcome::default());
}

#[test]
fn plg001_cnpg_not_served() {
    let mut f = healthy();
    f.snapshot.clusters = state(SyncState::NotInstalled {
        what: "CloudNativePG is not installed".into(),
    });
    let out = run(&f);
    let x = one(&out, "PLG001");
    assert_eq!(
        x.object,
        ObjectRef::new(
            Kind::CustomResourceDefinition,
            "",
            "clusters.postgresql.cnpg.io"
        )
    );
    assert_eq!(x.severity, Severity::Critical);
    assert!(out.unknown.is_empty());

    let mut near = healthy();
    near.snapshot.clusters = live(vec![]);
    assert!(!codes(&run(&near)).contains(&"PLG001"));
}

#[test]
fn plg002_objectstores_not_served_while_a_cluster_names_the_plugin() {
    let mut f = healthy();
    f.snapshot.object_stores = state(SyncState::NotInstalled {
        what: "the Barman Cloud plugin is not installed".into(),
    });
    let out = run(&f);
    let x = one(&out, "PLG002");
    assert_eq!(
        x.object,
        ObjectRef::new(
            Kind::CustomResourceDefinition,
            "",
            "objectstores.barmancloud.cnpg.io"
        )
    );
    assert!(x.evidence.iter().any(|e| e.contains("Cluster db/pg")));
    assert!(x.remedy.contains("kubectl apply -f"));
}

#[test]
fn plg002_no_labelled_service() {
    let mut f = healthy();
    f.snapshot.services = live(vec![]);
    let out = run(&f);
    let x = one(&out, "PLG002");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Service, "cnpg-system", "barman-cloud")
    );
    assert!(x.evidence[0].ends_with("none"));

    // Near miss: nobody names the plugin, so its absence is not a finding.
    let mut near = f.clone();
    near.snapshot.clusters = live(vec![ClusterRow {
        plugin: None,
        ..cluster()
    }]);
    assert!(!codes(&run(&near)).contains(&"PLG002"));

    // A service of another plugin does not count.
    let mut other = f.clone();
    other.snapshot.services = live(vec![ServiceRow {
        labels: labels(&[(PLUGIN_LABEL, "other.example.com")]),
        ..plugin_service()
    }]);
    assert!(codes(&run(&other)).contains(&"PLG002"));
}

#[test]
fn plg002_needs_a_complete_service_list() {
    let mut f = healthy();
    f.snapshot.services = state(SyncState::Stale {
        since: at("2026-11-24T05:50:00Z"),
        reason: "connection refused".into(),
    });
    let out = run(&f);
    assert!(!codes(&out).contains(&"PLG002"));
    assert_eq!(out.unknown.len(), 1);
    assert!(
        out.unknown[0]
            .reason
            .starts_with("services: stale since 2026-11-24T05:50:00Z")
    );
}

#[test]
fn plg003_plugin_outside_the_operator_namespace() {
    let mut f = healthy();
    let svc = ServiceRow {
        namespace: "backups".into(),
        ..plugin_service()
    };
    let pod = PodRow {
        namespace: "backups".into(),
        ..plugin_pod()
    };
    let dep = DeploymentRow {
        namespace: "backups".into(),
        ..plugin_deploy()
    };
    f.snapshot.services = live(vec![svc]);
    with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
    f.deployments = live(vec![dep, operator_deploy()]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["PLG003"]);
    let x = one(&out, "PLG003");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Service, "backups", "barman-cloud")
    );
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("Deployment cnpg-system/cnpg-controller-manager"))
    );
    assert!(x.remedy.contains("cnpg-system"));
    // Near miss: the healthy install shares the operator's namespace.
    assert!(!codes(&run(&healthy())).contains(&"PLG003"));
}

#[test]
fn plg007_operator_without_ready_replica() {
    let mut f = healthy();
    f.deployments = live(vec![
        plugin_deploy(),
        DeploymentRow {
            ready: 0,
            available: 0,
            ..operator_deploy()
        },
    ]);
    with_pods(
        &mut f,
        vec![
            plugin_pod(),
            PodRow {
                ready: (0, 1),
                status: "ImagePullBackOff".into(),
                ..operator_pod()
            },
            instance_pod("pg-1"),
        ],
    );
    let out = run(&f);
    // The operator's own pod failing is not the plugin's PLG004.
    assert_eq!(codes(&out), vec!["PLG007"]);
    let x = one(&out, "PLG007");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Deployment, "cnpg-system", "cnpg-controller-manager")
    );
    assert!(x.evidence.contains(&"status.readyReplicas: 0".to_string()));
    assert!(
        x.evidence
            .iter()
            .any(|e| e.ends_with("STATUS: ImagePullBackOff"))
    );

    // Near miss: one ready replica while a new one fails to pull.
    f.deployments = live(vec![plugin_deploy(), operator_deploy()]);
    assert!(!codes(&run(&f)).contains(&"PLG007"));
}

#[test]
fn plg007_from_pods_when_deployments_are_forbidden() {
    let mut f = healthy();
    f.deployments = forbidden("deployments.apps");
    with_pods(
        &mut f,
        vec![
            plugin_pod(),
            PodRow {
                ready: (0, 1),
                status: "CrashLoopBackOff".into(),
                ..operator_pod()
            },
        ],
    );
    let out = run(&f);
    let x = one(&out, "PLG007");
    assert_eq!(x.object.kind, Kind::Pod);
    assert!(out.unknown.is_empty());
}

#[test]
fn unknown_when_deployments_are_forbidden_and_no_operator_pod_is_in_view() {
    let mut f = healthy();
    f.deployments = forbidden("deployments.apps");
    with_pods(&mut f, vec![plugin_pod(), instance_pod("pg-1")]);
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(
        out.unknown,
        vec![Unknown {
            area: "plugin",
            reason: "deployments.apps: forbidden: may not list deployments.apps".into()
        }]
    );
}

#[test]
fn unknown_when_pods_are_forbidden() {
    let mut f = healthy();
    f.snapshot.pods = forbidden("pods");
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert!(
        out.unknown
            .iter()
            .any(|u| u.reason == "pods: forbidden: may not list pods")
    );
}

#[test]
fn unknown_when_services_or_clusters_cannot_be_read() {
    let mut f = healthy();
    f.snapshot.services = state(SyncState::Error(
        "the server is currently unable to handle the request".into(),
    ));
    f.snapshot.clusters = state(SyncState::Syncing);
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    let reasons: Vec<&str> = out.unknown.iter().map(|u| u.reason.as_str()).collect();
    assert_eq!(
        reasons,
        vec![
            "clusters.postgresql.cnpg.io: not read yet",
            "services: the server is currently unable to handle the request"
        ]
    );
}

/// A registration event on the plugin Service, as the operator (1.29+) records it.
fn registration_event(kind: &str, reason: &str, message: &str, seen: &str) -> EventRow {
    EventRow {
        namespace: "cnpg-system".into(),
        name: format!("barman-cloud.{}", reason.to_lowercase()),
        involved_kind: "Service".into(),
        involved_namespace: "cnpg-system".into(),
        involved_name: "barman-cloud".into(),
        kind: kind.into(),
        reason: reason.into(),
        message: message.into(),
        count: 1,
        last_seen: Some(at(seen)),
        source: "cloudnative-pg-plugin".into(),
    }
}

#[test]
fn plg012_a_labelled_service_without_the_port_annotation_is_skipped() {
    let mut f = healthy();
    let mut svc = plugin_service();
    svc.annotations.remove("cnpg.io/pluginPort");
    f.snapshot.services = live(vec![svc]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["PLG012"]);
    let x = one(&out, "PLG012");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Service, "cnpg-system", "barman-cloud")
    );
    assert_eq!(
        x.summary,
        "The operator skips the Barman Cloud plugin Service cnpg-system/barman-cloud: it lacks the annotation cnpg.io/pluginPort"
    );
    assert_eq!(
        x.evidence,
        vec![
            "Service cnpg-system/barman-cloud metadata.annotations[cnpg.io/pluginPort]: absent"
                .to_string()
        ]
    );
    assert!(
        x.remedy.contains(
            "kubectl -n cnpg-system annotate service barman-cloud cnpg.io/pluginPort=9090"
        )
    );
    assert!(x.remedy.contains("without a restart"));

    // A port that is not a number.
    let mut svc = plugin_service();
    svc.annotations
        .insert("cnpg.io/pluginPort".into(), "grpc".into());
    f.snapshot.services = live(vec![svc]);
    let out = run(&f);
    let x = one(&out, "PLG012");
    assert_eq!(
        x.evidence,
        vec![
            "Service cnpg-system/barman-cloud metadata.annotations[cnpg.io/pluginPort]: \"grpc\" (not a port number)"
                .to_string()
        ]
    );
    assert!(x.remedy.contains("--overwrite cnpg.io/pluginPort=9090"));
}

#[test]
fn plg012_the_newest_registration_event_is_a_failure() {
    let mut f = healthy();
    f.events = live(vec![
        registration_event(
            "Normal",
            "PluginRegistered",
            "Successfully registered plugin barman-cloud.cloudnative-pg.io at barman-cloud.cnpg-system.svc:9090",
            "2026-11-20T10:00:00Z",
        ),
        registration_event(
            "Warning",
            "ServerSecretNotFound",
            "Failed to get server secret barman-cloud-server-tls: secrets \"barman-cloud-server-tls\" not found",
            "2026-11-24T05:40:00Z",
        ),
    ]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["PLG012"]);
    let x = one(&out, "PLG012");
    assert_eq!(
        x.summary,
        "The operator could not register the Barman Cloud plugin from Service cnpg-system/barman-cloud (ServerSecretNotFound)"
    );
    assert_eq!(
        x.evidence,
        vec!["event Warning ServerSecretNotFound (cloudnative-pg-plugin): Failed to get server secret barman-cloud-server-tls: secrets \"barman-cloud-server-tls\" not found".to_string()]
    );
    assert!(
        x.remedy
            .contains("kubectl -n cnpg-system get secret barman-cloud-server-tls")
    );

    // Near miss: registered after the failure (the Secret came).
    f.events = live(vec![
        registration_event(
            "Warning",
            "ServerSecretNotFound",
            "Failed to get server secret barman-cloud-server-tls: secrets \"barman-cloud-server-tls\" not found",
            "2026-11-24T05:40:00Z",
        ),
        registration_event(
            "Normal",
            "PluginRegistered",
            "Successfully registered plugin barman-cloud.cloudnative-pg.io at barman-cloud.cnpg-system.svc:9090",
            "2026-11-24T05:41:00Z",
        ),
    ]);
    assert!(!codes(&run(&f)).contains(&"PLG012"));

    // Near miss: a Service in another namespace is PLG003's, not PLG012's.
    let mut f = healthy();
    let mut svc = plugin_service();
    svc.namespace = "backup".into();
    svc.annotations.clear();
    f.snapshot.services = live(vec![svc]);
    let found = codes(&run(&f));
    assert!(found.contains(&"PLG003"), "{found:?}");
    assert!(!found.contains(&"PLG012"), "{found:?}");
}

#[test]
fn plg012_leads_the_plugin_issue_tree_to_the_registration_leaf() {
    use crate::trees::eval::Env;
    use crate::trees::walk::autopilot;
    let mut f = healthy();
    let mut svc = plugin_service();
    svc.annotations.remove("cnpg.io/pluginServerSecret");
    f.snapshot.services = live(vec![svc]);
    let assessed = crate::assess::assess(&f, now(), &Thresholds::default());
    let env = Env {
        facts: &f,
        assessed: &assessed,
        context: None,
        now: now(),
        git: None,
    };
    let tree = crate::trees::builtin()
        .into_iter()
        .find(|t| t.name == "plugin-issue")
        .expect("plugin-issue is built in");
    let (steps, end) = autopilot(&tree, &env);
    let path: Vec<&str> = steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(
        path,
        vec![
            "plugin-registered",
            "plugin-running",
            "plugin-service-complete"
        ]
    );
    assert_eq!(end.label(), "plugin-service-not-registered");
}

#[test]
fn plg012_leads_the_plugin_pods_tree_to_the_registration_leaf() {
    use crate::trees::eval::Env;
    use crate::trees::walk::autopilot;
    let mut f = healthy();
    f.events = live(vec![registration_event(
        "Warning",
        "ClientSecretNotFound",
        "Failed to get client secret barman-cloud-client-tls: secrets \"barman-cloud-client-tls\" not found",
        "2026-11-24T05:50:00Z",
    )]);
    let assessed = crate::assess::assess(&f, now(), &Thresholds::default());
    let env = Env {
        facts: &f,
        assessed: &assessed,
        context: None,
        now: now(),
        git: None,
    };
    let tree = crate::trees::builtin()
        .into_iter()
        .find(|t| t.name == "plugin-pods-not-starting")
        .expect("plugin-pods-not-starting is built in");
    let (steps, end) = autopilot(&tree, &env);
    let path: Vec<&str> = steps.iter().map(|s| s.node.as_str()).collect();
    assert!(path.contains(&"registration-failed"), "{path:?}");
    assert_eq!(end.label(), "registration-failing", "{path:?}");
}

fn operator_at(image: &str) -> DeploymentRow {
    DeploymentRow {
        images: vec![("manager".into(), image.into())],
        ..operator_deploy()
    }
}

#[test]
fn plg013_plg014_the_operator_version_gates() {
    let mut f = healthy();
    // Below the plugin's minimum.
    f.deployments = live(vec![
        plugin_deploy(),
        operator_at("ghcr.io/cloudnative-pg/cloudnative-pg:1.25.1"),
    ]);
    let out = run(&f);
    let x = one(&out, "PLG013");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        x.evidence[0],
        "Deployment cnpg-system/cnpg-controller-manager spec.template.spec.containers[manager].image: ghcr.io/cloudnative-pg/cloudnative-pg:1.25.1"
    );
    assert!(
        x.summary.contains("needs CloudNativePG 1.26 or newer"),
        "{}",
        x.summary
    );
    assert!(x.remedy.contains("at least 1.28.4, 1.29.2 or 1.30.0"));
    assert!(!codes(&out).contains(&"PLG014"));

    // Supported, but without the switchover fix.
    for tag in ["v1.28.3", "1.29.1", "1.26.1"] {
        f.deployments = live(vec![
            plugin_deploy(),
            operator_at(&format!("ghcr.io/cloudnative-pg/cloudnative-pg:{tag}")),
        ]);
        let out = run(&f);
        let x = one(&out, "PLG014");
        assert_eq!(x.severity, Severity::Warning);
        assert!(
            x.summary.contains("primaryUpdateMethod: switchover"),
            "{tag}: {}",
            x.summary
        );
        assert!(!codes(&out).contains(&"PLG013"));
    }
    f.deployments = live(vec![
        plugin_deploy(),
        operator_at("ghcr.io/cloudnative-pg/cloudnative-pg:1.26.1"),
    ]);
    assert!(
        one(&run(&f), "PLG014")
            .summary
            .contains("recommends CloudNativePG 1.27")
    );

    // Near misses: fixed releases, a digest.
    for image in [
        "ghcr.io/cloudnative-pg/cloudnative-pg:1.28.4",
        "ghcr.io/cloudnative-pg/cloudnative-pg:v1.29.2",
        "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0",
        "ghcr.io/cloudnative-pg/cloudnative-pg@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    ] {
        f.deployments = live(vec![plugin_deploy(), operator_at(image)]);
        let found = codes(&run(&f));
        assert!(
            !found.contains(&"PLG013") && !found.contains(&"PLG014"),
            "{image}: {found:?}"
        );
    }
}

#[test]
fn plg014_stops_the_pre_migration_checklist_at_the_operator() {
    use crate::trees::eval::Env;
    use crate::trees::walk::autopilot;
    let mut f = healthy();
    f.deployments = live(vec![
        plugin_deploy(),
        operator_at("ghcr.io/cloudnative-pg/cloudnative-pg:1.28.3"),
    ]);
    let assessed = crate::assess::assess(&f, now(), &Thresholds::default());
    let env = Env {
        facts: &f,
        assessed: &assessed,
        context: None,
        now: now(),
        git: None,
    };
    let mut tree = crate::trees::builtin()
        .into_iter()
        .find(|t| t.name == "pre-migration-checklist")
        .expect("pre-migration-checklist is built in");
    // The items before the operator read Git and Flux, which this fixture has not: start
    // the checklist at the operator.
    tree.start = "operator-ready".into();
    let (steps, end) = autopilot(&tree, &env);
    let path: Vec<&str> = steps.iter().map(|s| s.node.as_str()).collect();
    assert_eq!(
        path,
        vec![
            "operator-ready",
            "operator-version-supported",
            "operator-switchover-fixed"
        ]
    );
    assert_eq!(end.label(), "operator-lacks-switchover-fix");
}

#[test]
fn plg012_a_tls_secret_the_service_names_is_absent() {
    let mut f = healthy();
    // The Secrets were read whole: the server's is there, the client's is not.
    f.secrets = live(vec![crate::model::rows::SecretRow {
        namespace: "cnpg-system".into(),
        name: "barman-cloud-server-tls".into(),
        keys: vec!["tls.crt".into(), "tls.key".into()],
    }]);
    let out = run(&f);
    let x = one(&out, "PLG012");
    assert_eq!(
        x.summary,
        "The operator cannot register the Barman Cloud plugin from Service cnpg-system/barman-cloud: its TLS Secret barman-cloud-client-tls does not exist"
    );
    assert_eq!(
        x.evidence,
        vec![
            "Secret cnpg-system/barman-cloud-client-tls (named by cnpg.io/pluginClientSecret): absent"
                .to_string()
        ]
    );
    assert!(x.remedy.contains("without a restart"));
    // Secrets that could not be read prove nothing absent.
    f.secrets = crate::assess::testing::state(crate::model::SyncState::Forbidden {
        verb: "get".into(),
        resource: "secrets".into(),
    });
    assert!(!codes(&run(&f)).contains(&"PLG012"));
}
