//! PLG004-PLG006: the plugin's pods.

use super::*;

#[test]
fn plg004_crashloop() {
    let mut f = healthy();
    let pod = PodRow {
        ready: (0, 1),
        status: "CrashLoopBackOff".into(),
        restarts: 1,
        last_termination: Some("Error".into()),
        ..plugin_pod()
    };
    with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
    f.deployments = live(vec![
        DeploymentRow {
            available: 0,
            ready: 0,
            conditions: vec![cond(
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
            )],
            ..plugin_deploy()
        },
        operator_deploy(),
    ]);
    f.events = live(vec![crate::model::rows::EventRow {
        involved_kind: "Pod".into(),
        involved_namespace: "cnpg-system".into(),
        involved_name: "barman-cloud-7d9-abcde".into(),
        kind: "Warning".into(),
        reason: "BackOff".into(),
        message: "Back-off restarting failed container barman-cloud".into(),
        ..Default::default()
    }]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["PLG004"]);
    let x = one(&out, "PLG004");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Pod, "cnpg-system", "barman-cloud-7d9-abcde")
    );
    assert!(x.summary.contains("CrashLoopBackOff"));
    assert!(
        x.evidence.contains(
            &"status.containerStatuses[barman-cloud].state.waiting.reason: CrashLoopBackOff"
                .to_string()
        )
    );
    assert!(x.evidence.contains(
        &"status.containerStatuses[barman-cloud].lastState.terminated.reason: Error".to_string()
    ));
    assert!(x.evidence.contains(
        &"event Warning BackOff: Back-off restarting failed container barman-cloud".to_string()
    ));
    assert!(
        x.evidence
            .iter()
            .any(|e| e.contains("Available=False MinimumReplicasUnavailable"))
    );
    assert!(
        x.remedy
            .contains("kubectl rollout restart deployment barman-cloud -n cnpg-system")
    );
}

#[test]
fn plg004_image_pull_and_stuck_creating_but_not_a_young_pod() {
    let mut f = healthy();
    with_pods(
        &mut f,
        vec![PodRow {
            ready: (0, 1),
            status: "ImagePullBackOff".into(),
            ..plugin_pod()
        }],
    );
    let x = run(&f);
    assert!(one(&x, "PLG004").remedy.contains("cannot be pulled"));

    let creating = |created: &str| PodRow {
        ready: (0, 1),
        status: "ContainerCreating".into(),
        created: Some(at(created)),
        ..plugin_pod()
    };
    with_pods(&mut f, vec![creating("2026-11-24T05:50:00Z")]);
    let x = run(&f);
    assert!(one(&x, "PLG004").remedy.contains("barman-cloud-server-tls"));

    // Near miss: created a minute ago, still starting.
    with_pods(&mut f, vec![creating("2026-11-24T05:59:00Z")]);
    assert!(!codes(&run(&f)).contains(&"PLG004"));
}

#[test]
fn plg004_not_when_another_replica_serves() {
    let mut f = healthy();
    let starting = PodRow {
        name: "barman-cloud-new".into(),
        ready: (0, 1),
        status: "Running".into(),
        ..plugin_pod()
    };
    with_pods(&mut f, vec![plugin_pod(), starting.clone()]);
    assert!(!codes(&run(&f)).contains(&"PLG004"));
    // Without the ready one, the same pod is an outage.
    with_pods(&mut f, vec![starting]);
    assert_eq!(one(&run(&f), "PLG004").object.name, "barman-cloud-new");
}

#[test]
fn plg004_no_pod_at_all() {
    let mut f = healthy();
    with_pods(&mut f, vec![operator_pod(), instance_pod("pg-1")]);
    f.deployments = live(vec![
        DeploymentRow {
            available: 0,
            ready: 0,
            replicas: Some(0),
            ..plugin_deploy()
        },
        operator_deploy(),
    ]);
    let out = run(&f);
    let x = one(&out, "PLG004");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Deployment, "cnpg-system", "barman-cloud")
    );
    assert!(
        x.remedy
            .contains("kubectl -n cnpg-system scale deployment barman-cloud --replicas=1")
    );
}

#[test]
fn plg004_not_concluded_when_the_plugin_namespace_is_out_of_view() {
    let mut f = healthy();
    with_pods(&mut f, vec![instance_pod("pg-1")]);
    f.deployments = live(vec![]);
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(
        out.unknown[0].reason,
        "pods and deployments in cnpg-system: none in view, so the plugin's pods cannot be checked"
    );
}

#[test]
fn plg005_oomkilled_even_once_recovered() {
    let mut f = healthy();
    let pod = PodRow {
        restarts: 1,
        last_termination: Some("OOMKilled".into()),
        last_termination_at: Some(at("2026-11-24T05:57:29Z")),
        ..plugin_pod()
    };
    with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
    let out = run(&f);
    // Ready again after the kill: PLG005 without PLG004.
    assert_eq!(codes(&out), vec!["PLG005"]);
    let x = one(&out, "PLG005");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Pod, "cnpg-system", "barman-cloud-7d9-abcde")
    );
    assert!(
        x.evidence.contains(
            &"status.containerStatuses[barman-cloud].lastState.terminated.reason: OOMKilled"
                .to_string()
        )
    );
    assert!(x.remedy.contains(r#"kubectl -n cnpg-system patch deployment barman-cloud --type=merge -p '{"spec":{"template":{"spec":{"containers":[{"name":"barman-cloud","resources":{"limits":{"memory":"256Mi"}}}]}}}}'"#));

    // Near miss: terminated for another reason.
    let pod = PodRow {
        restarts: 1,
        last_termination: Some("Error".into()),
        ..plugin_pod()
    };
    with_pods(&mut f, vec![pod]);
    assert!(!codes(&run(&f)).contains(&"PLG005"));
}

#[test]
fn plg006_restarts_at_the_threshold_not_below() {
    let mut f = healthy();
    with_pods(
        &mut f,
        vec![PodRow {
            restarts: 3,
            ..plugin_pod()
        }],
    );
    let out = run(&f);
    let x = one(&out, "PLG006");
    assert_eq!(x.severity, Severity::Warning);
    assert!(
        x.evidence
            .contains(&"status.containerStatuses[barman-cloud].restartCount: 3".to_string())
    );

    with_pods(
        &mut f,
        vec![PodRow {
            restarts: 2,
            ..plugin_pod()
        }],
    );
    assert!(!codes(&run(&f)).contains(&"PLG006"));

    // The threshold comes from the configuration.
    let th = Thresholds {
        restarts: 2,
        ..Thresholds::default()
    };
    assert!(codes(&rules(&f, now(), &th)).contains(&"PLG006"));
}

#[test]
fn plg006_counts_only_a_recent_restart() {
    let mut f = healthy();
    // Three restarts, the last one ended five hours ago: the pod is still unsettled.
    with_pods(
        &mut f,
        vec![PodRow {
            restarts: 3,
            last_termination: Some("Error".into()),
            last_termination_at: Some(now() - chrono::Duration::hours(5)),
            ..plugin_pod()
        }],
    );
    let out = run(&f);
    let x = one(&out, "PLG006");
    assert!(
        x.summary
            .ends_with("restarted 3 times (threshold 3), the last 5h ago"),
        "{}",
        x.summary
    );
    assert!(x.evidence.iter().any(|e| {
        e.starts_with("status.containerStatuses[barman-cloud].lastState.terminated.finishedAt: ")
    }));

    // The same count, the last restart ten days ago: it has run since, nothing to report.
    with_pods(
        &mut f,
        vec![PodRow {
            restarts: 3,
            last_termination: Some("Error".into()),
            last_termination_at: Some(now() - chrono::Duration::days(10)),
            ..plugin_pod()
        }],
    );
    assert!(!codes(&run(&f)).contains(&"PLG006"));
}

#[test]
fn plg006_leaves_restarts_that_ended_oomkilled_to_plg005() {
    let mut f = healthy();
    with_pods(
        &mut f,
        vec![PodRow {
            restarts: 13,
            last_termination: Some("OOMKilled".into()),
            last_termination_at: Some(now() - chrono::Duration::minutes(2)),
            ..plugin_pod()
        }],
    );
    let out = run(&f);
    assert!(!codes(&out).contains(&"PLG006"), "{:#?}", out.findings);
    assert!(
        one(&out, "PLG005")
            .summary
            .ends_with("was OOMKilled (13 restarts)")
    );
}
