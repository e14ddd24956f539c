//! FLX001-FLX008 on one Kustomization at a time.

use super::super::kustomization::go_duration;
use super::*;

#[test]
fn a_healthy_delivery_has_no_finding_and_nothing_unknown() {
    assert_eq!(run(&healthy()), Outcome::default());
}

#[test]
fn no_flux_is_neither_a_finding_nor_unknown() {
    let mut f = healthy();
    f.snapshot.kustomizations = state(SyncState::NotInstalled {
        what: "Flux is not installed".into(),
    });
    f.snapshot.object_stores = live(vec![]);
    f.snapshot.pods = live(vec![]);
    assert_eq!(run(&f), Outcome::default());
}

#[test]
fn flx001_other_ready_reasons() {
    let mut f = healthy();
    set_ks(
        &mut f,
        vec![
            not_ready(
                apps(),
                "ReconciliationFailed",
                "Cluster/db/pg dry-run failed: admission webhook denied the request",
            ),
            infra(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX001"]);
    let x = one(&out, "FLX001");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
    );
    assert_eq!(
        x.evidence[0],
        "condition Ready=False ReconciliationFailed: Cluster/db/pg dry-run failed: admission webhook denied the request"
    );
    assert!(
        x.remedy
            .contains("flux reconcile kustomization apps -n flux-system --with-source")
    );

    // Near miss: in progress is not a failure.
    set_ks(
        &mut f,
        vec![
            KustomizationRow {
                conditions: vec![cond(
                    "Ready",
                    "Unknown",
                    "Progressing",
                    "Reconciliation in progress",
                )],
                ..apps()
            },
            infra(),
        ],
    );
    assert!(run(&f).findings.is_empty());
}

#[test]
fn flx002_build_failed_not_flx001() {
    let mut f = healthy();
    set_ks(
        &mut f,
        vec![
            not_ready(
                apps(),
                "BuildFailed",
                "kustomize build failed: accumulating resources: 'apps/postgresql/orders' not found",
            ),
            infra(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX002"]);
    assert!(
        one(&out, "FLX002")
            .remedy
            .contains("flux build kustomization apps -n flux-system --path ./apps")
    );
}

#[test]
fn flx003_dependency_not_ready_not_flx001_and_names_the_chain() {
    let mut f = healthy();
    let operator = not_ready(
        ks("operator", &[]),
        "HealthCheckFailed",
        "health check failed after 10s: failed early due to stalled resources: [Deployment/cnpg-system/cnpg-controller-manager status: 'Failed']",
    );
    let plugin = KustomizationRow {
        depends_on: vec![("flux-system".into(), "operator".into())],
        ..not_ready(
            infra(),
            "DependencyNotReady",
            "dependency 'flux-system/operator' is not ready",
        )
    };
    let waiting = KustomizationRow {
        depends_on: vec![("flux-system".into(), "infra".into())],
        ..not_ready(
            apps(),
            "DependencyNotReady",
            "dependency 'flux-system/infra' is not ready",
        )
    };
    set_ks(&mut f, vec![waiting, plugin, operator]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX003", "FLX004"]);
    let apps_finding = out
        .findings
        .iter()
        .find(|x| x.code == "FLX003" && x.object.name == "apps")
        .expect("FLX003 on apps");
    assert_eq!(apps_finding.severity, Severity::Warning);
    assert!(
        apps_finding
            .summary
            .contains("waits on flux-system/infra, which waits on flux-system/operator")
    );
    assert!(apps_finding.evidence.contains(&"dependsOn flux-system/infra: condition Ready=False DependencyNotReady: dependency 'flux-system/operator' is not ready".to_string()));
    assert!(apps_finding.evidence.iter().any(|e| {
        e.starts_with("root cause flux-system/operator: condition Ready=False HealthCheckFailed")
    }));
    assert!(
        apps_finding
            .remedy
            .contains("flux reconcile kustomization operator -n flux-system --with-source")
    );
}

#[test]
fn flx004_health_check_names_the_unhealthy_object() {
    let mut f = healthy();
    let msg = "health check failed after 10.004311298s: failed early due to stalled resources: [Deployment/cnpg-system/barman-cloud status: 'Failed']";
    set_ks(
        &mut f,
        vec![apps(), not_ready(infra(), "HealthCheckFailed", msg)],
    );
    f.deployments = live(vec![DeploymentRow {
        available: 0,
        ready: 0,
        conditions: vec![cond(
            "Progressing",
            "False",
            "ProgressDeadlineExceeded",
            "ReplicaSet \"barman-cloud-x\" has timed out progressing.",
        )],
        ..plugin_deploy()
    }]);
    f.snapshot.pods = live(vec![
        kustomize_pod(),
        source_pod(),
        PodRow {
            ready: (0, 1),
            status: "CrashLoopBackOff".into(),
            ..pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud")
        },
    ]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX004"]);
    let x = one(&out, "FLX004");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Kustomization, "flux-system", "infra")
    );
    assert!(
        x.summary
            .ends_with("Deployment/cnpg-system/barman-cloud is not healthy")
    );
    assert!(x.evidence.contains(
        &"unhealthy object: Deployment/cnpg-system/barman-cloud status: 'Failed'".to_string()
    ));
    assert!(
        x.evidence
            .contains(&"Pod cnpg-system/barman-cloud-abc-1 STATUS: CrashLoopBackOff".to_string())
    );
    assert!(
        x.remedy
            .contains("kubectl -n cnpg-system describe deployment barman-cloud")
    );
}

#[test]
fn flx005_artifact_failed_on_the_kustomization() {
    let mut f = healthy();
    set_ks(
        &mut f,
        vec![
            not_ready(
                apps(),
                "ArtifactFailed",
                "kustomization path not found: stat /tmp/apps: no such file or directory",
            ),
            infra(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX005"]);
    assert_eq!(
        one(&out, "FLX005").object,
        ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
    );
}

#[test]
fn flx007_stalled() {
    let mut f = healthy();
    let mut k = apps();
    k.conditions.push(cond(
        "Stalled",
        "True",
        "InvalidCELExpression",
        "failed to parse healthCheckExprs",
    ));
    set_ks(&mut f, vec![k, infra()]);
    let out = run(&f);
    let x = one(&out, "FLX007");
    assert_eq!(
        x.evidence,
        vec![
            "condition Stalled=True InvalidCELExpression: failed to parse healthCheckExprs"
                .to_string()
        ]
    );
}

#[test]
fn flx007_reconciling_longer_than_the_timeout() {
    let reconciling = |since: &str, timeout: Option<&str>| {
        let mut k = apps();
        k.timeout = timeout.map(String::from);
        k.conditions.push(Condition {
            since: Some(at(since)),
            ..cond(
                "Reconciling",
                "True",
                "ProgressingWithRetry",
                "Running health checks",
            )
        });
        k
    };
    let mut f = healthy();
    // No spec.timeout: interval 10m0s - 30s.
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:50:00Z", None), infra()],
    );
    let out = run(&f);
    let x = one(&out, "FLX007");
    assert!(
        x.summary
            .contains("reconciling for 10m, longer than its timeout of 9m")
    );
    assert!(x.evidence.contains(
        &"status.conditions[Reconciling].lastTransitionTime: 2026-11-24T05:50:00Z".to_string()
    ));
    assert!(x.evidence[2].starts_with("spec.interval: 10m0s"));

    // Near misses: within the default, or within an explicit longer timeout.
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:55:00Z", None), infra()],
    );
    assert!(!codes(&run(&f)).contains(&"FLX007"));
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:40:00Z", Some("30m0s")), infra()],
    );
    assert!(!codes(&run(&f)).contains(&"FLX007"));
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:40:00Z", Some("5m0s")), infra()],
    );
    assert_eq!(one(&run(&f), "FLX007").evidence[2], "spec.timeout: 5m0s");
    // The same, with Ready=False HealthCheckFailed: that finding tells it, not FLX007.
    let mut failing = reconciling("2026-11-24T05:40:00Z", Some("5m0s"));
    failing.conditions.retain(|c| c.kind != "Ready");
    failing.conditions.push(cond(
        "Ready",
        "False",
        "HealthCheckFailed",
        "health check failed after 5m0s: timeout waiting for: [Deployment/cnpg-system/barman-cloud status: 'InProgress']",
    ));
    set_ks(&mut f, vec![failing, infra()]);
    let out = run(&f);
    assert!(
        codes(&out).contains(&"FLX004") && !codes(&out).contains(&"FLX007"),
        "{:?}",
        codes(&out)
    );

    // kustomize-controller never waits less than 30s, whatever spec.timeout says.
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:59:40Z", Some("10s")), infra()],
    );
    assert!(!codes(&run(&f)).contains(&"FLX007"));
    set_ks(
        &mut f,
        vec![reconciling("2026-11-24T05:59:00Z", Some("10s")), infra()],
    );
    let out = run(&f);
    let x = one(&out, "FLX007");
    assert!(
        x.summary.contains("longer than its timeout of 30s"),
        "{}",
        x.summary
    );
    assert_eq!(
        x.evidence[2],
        "spec.timeout: 10s (Flux applies at least 30s)"
    );
}

#[test]
fn a_canceled_health_check_is_not_flx001() {
    // kustomize-controller v1.8+ cancels the health check of a revision a newer one replaces.
    let mut f = healthy();
    set_ks(
        &mut f,
        vec![
            not_ready(
                apps(),
                "HealthCheckCanceled",
                "New reconciliation triggered by GitRepository/flux-system/flux-system",
            ),
            infra(),
        ],
    );
    let found = codes(&run(&f));
    assert!(!found.contains(&"FLX001"), "{found:?}");
    assert!(!found.contains(&"FLX004"), "{found:?}");
}

#[test]
fn flx008_attempted_is_not_applied() {
    let mut f = healthy();
    let k = KustomizationRow {
        attempted: Some(NEW.into()),
        ..not_ready(
            infra(),
            "ReconciliationFailed",
            "Deployment/cnpg-system/barman-cloud dry-run failed",
        )
    };
    set_ks(&mut f, vec![apps(), k.clone()]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX001", "FLX008"]);
    let x = one(&out, "FLX008");
    assert!(x.summary.contains("main@67cb636"));
    assert_eq!(
        x.evidence[0],
        format!("status.lastAttemptedRevision: {NEW}")
    );
    assert_eq!(x.evidence[1], format!("status.lastAppliedRevision: {REV}"));

    // Near miss: the newest revision is being applied right now.
    let in_flight = KustomizationRow {
        conditions: vec![cond(
            "Ready",
            "Unknown",
            "Progressing",
            "Reconciliation in progress",
        )],
        ..k
    };
    set_ks(&mut f, vec![apps(), in_flight]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn unknown_when_kustomizations_are_forbidden() {
    let mut f = healthy();
    f.snapshot.kustomizations = forbidden(&Kind::Kustomization.qualified());
    f.snapshot.object_stores = live(vec![]);
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
    assert_eq!(
        out.unknown,
        vec![Unknown {
            area: "flux",
            reason: "kustomizations.kustomize.toolkit.fluxcd.io: forbidden: may not list kustomizations.kustomize.toolkit.fluxcd.io".into()
        }]
    );
}

#[test]
fn durations_parse_like_go() {
    let d = |s: &str| go_duration(s).map(|d| d.num_milliseconds());
    assert_eq!(d("5m0s"), Some(300_000));
    assert_eq!(d("1h0m0s"), Some(3_600_000));
    assert_eq!(d("1.5h"), Some(5_400_000));
    assert_eq!(d("500ms"), Some(500));
    assert_eq!(d("10"), None);
    assert_eq!(d(""), None);
}
