//! FLX014: a health check that only waits on CloudNativePG Clusters rolling after a plugin
//! or operator upgrade, beside each near miss that stays FLX004. The texts are the real
//! ones: kustomize-controller's Ready message (fluxcd/pkg ssa/manager_wait.go inside
//! internal/controller/kustomization_controller.go's "health check failed after"), the
//! Cluster's phase and phaseReason as CloudNativePG writes them (api/v1/cluster_types.go,
//! internal/controller/cluster_upgrade.go, pkg/specs/podspec_diff.go).

use super::*;
use crate::model::rows::HelmReleaseRow;

const HEALTH: &str = "health check failed after 5m0.041587s: timeout waiting for: [Cluster/db/pg status: 'InProgress']";
const SIDECAR_ROLL: &str = "Restarting instance pg-2, because: original and target PodSpec differ in init-containers: container plugin-barman-cloud differs in image";
const OLD_SIDECAR: &str = "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.6.0";
const NEW_SIDECAR: &str = "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.7.0";

fn instance(name: &str, sidecar: &str, created: &str) -> PodRow {
    PodRow {
        namespace: "db".into(),
        name: name.into(),
        labels: testing::labels(&[("cnpg.io/cluster", "pg")]),
        ready: (2, 2),
        status: "Running".into(),
        created: Some(at(created)),
        images: vec![
            (
                "postgres".into(),
                "ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie".into(),
            ),
            (
                "bootstrap-controller".into(),
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1".into(),
            ),
            ("plugin-barman-cloud".into(), sidecar.into()),
        ],
        sidecars: vec!["plugin-barman-cloud".into()],
        ..Default::default()
    }
}

/// A Kustomization health-checking Cluster db/pg, which rolls its three instances after
/// the plugin went from v0.6.0 to v0.7.0: pg-3 is replaced, pg-2 restarts, pg-1 waits.
fn rolling() -> Facts {
    let mut f = healthy();
    let apps = KustomizationRow {
        conditions: vec![
            cond("Ready", "False", "HealthCheckFailed", HEALTH),
            cond(
                "Healthy",
                "False",
                "HealthCheckFailed",
                "timeout waiting for: [Cluster/db/pg status: 'InProgress']",
            ),
            Condition {
                since: Some(at("2026-11-24T05:55:04Z")),
                ..testing::cond(
                    "Reconciling",
                    "True",
                    "ProgressingWithRetry",
                    "Running health checks for revision main@sha1:bc0f908f960f1b0880775eb4ffaf3557c22536d3 with a timeout of 5m0s",
                )
            },
        ],
        ..apps()
    };
    set_ks(&mut f, vec![apps, infra()]);
    f.snapshot.clusters = live(vec![ClusterRow {
        instances: Some(3),
        ready_instances: Some(2),
        phase: "Upgrading cluster".into(),
        phase_reason: Some(SIDECAR_ROLL.into()),
        conditions: vec![Condition {
            since: Some(at("2026-11-24T05:50:00Z")),
            ..testing::cond(
                "Ready",
                "False",
                "ClusterIsNotReady",
                "Cluster Is Not Ready",
            )
        }],
        ..cluster()
    }]);
    let mut restarting = instance("pg-2", OLD_SIDECAR, "2026-11-02T10:00:00Z");
    restarting.ready = (0, 2);
    restarting.status = "Terminating".into();
    f.snapshot.pods = live(vec![
        kustomize_pod(),
        source_pod(),
        PodRow {
            created: Some(at("2026-11-24T05:48:12Z")),
            images: vec![(
                "barman-cloud".into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.7.0".into(),
            )],
            ..pod(
                "cnpg-system",
                "barman-cloud-6f9c7d8b4-x2kqp",
                "barman-cloud",
            )
        },
        instance("pg-1", OLD_SIDECAR, "2026-11-02T10:00:00Z"),
        restarting,
        instance("pg-3", NEW_SIDECAR, "2026-11-24T05:53:40Z"),
    ]);
    f
}

#[test]
fn flx014_a_cluster_rolling_after_the_plugin_upgrade_is_a_wait_not_a_flux_failure() {
    let out = run(&rolling());
    assert_eq!(codes(&out), vec!["FLX014"]);
    let x = one(&out, "FLX014");
    assert_eq!(x.severity, Severity::Warning);
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
    );
    assert_eq!(
        x.summary,
        "Kustomization flux-system/apps waits for CloudNativePG Cluster db/pg to finish rolling its instances after the plugin's upgrade: not a Flux failure"
    );
    for line in [
        &format!("condition Ready=False HealthCheckFailed: {HEALTH}"),
        "unhealthy object: Cluster/db/pg status: 'InProgress'",
        "Cluster db/pg status.phase: Upgrading cluster",
        &format!("Cluster db/pg status.phaseReason: {SIDECAR_ROLL}"),
        "Cluster db/pg instances ready: 2/3",
        "Cluster db/pg condition Ready=False ClusterIsNotReady: Cluster Is Not Ready (since 2026-11-24T05:50:00Z)",
        "Pod db/pg-2 READY 0/2 STATUS: Terminating",
        &format!(
            "instance pods run different plugin-barman-cloud images: pg-1 {OLD_SIDECAR}, pg-2 {OLD_SIDECAR}, pg-3 {NEW_SIDECAR}"
        ),
        "plugin pod cnpg-system/barman-cloud-6f9c7d8b4-x2kqp started 2026-11-24T05:48:12Z: ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.7.0",
    ] {
        assert!(x.evidence.contains(&line.to_string()), "{line}\n{x:#?}");
    }
    assert!(
        x.remedy.starts_with("Wait for the roll")
            && x.remedy.contains("If the Cluster is not in 'Cluster in healthy state' by 2026-11-24T06:20:00Z, look at the Cluster, not at Flux: kubectl cnpg status pg -n db; kubectl -n db get pods -l cnpg.io/cluster=pg"),
        "{}",
        x.remedy
    );
}

#[test]
fn flx014_after_an_operator_upgrade_seen_through_its_helm_release() {
    let mut f = rolling();
    // Only the operator changed: the bootstrap image, as the phaseReason says it, and
    // the cloudnative-pg chart's HelmRelease upgraded ten minutes ago.
    let mut clusters = f.snapshot.clusters.rows[0].as_ref().clone();
    clusters.phase_reason = Some("Restarting instance pg-2, because: the instance is using an old bootstrap container image: ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1 -> ghcr.io/cloudnative-pg/cloudnative-pg:1.27.2".into());
    f.snapshot.clusters = live(vec![clusters]);
    let pods: Vec<PodRow> = f
        .snapshot
        .pods
        .rows
        .iter()
        .map(|p| {
            let mut p = p.as_ref().clone();
            for (c, i) in p.images.iter_mut() {
                if c == "plugin-barman-cloud" {
                    *i = NEW_SIDECAR.into();
                }
            }
            if p.namespace == "cnpg-system" {
                p.created = Some(at("2026-11-01T00:00:00Z"));
            }
            p
        })
        .collect();
    f.snapshot.pods = live(pods);
    f.snapshot.helm_releases = live(vec![HelmReleaseRow {
        namespace: "cnpg-system".into(),
        name: "cnpg".into(),
        chart: "cloudnative-pg".into(),
        conditions: vec![Condition {
            since: Some(at("2026-11-24T05:49:00Z")),
            ..testing::cond(
                "Ready",
                "True",
                "UpgradeSucceeded",
                "Helm upgrade succeeded for release cnpg-system/cnpg.v6 with chart cloudnative-pg@0.26.2",
            )
        }],
        ..Default::default()
    }]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX014"]);
    let x = one(&out, "FLX014");
    assert!(
        x.summary
            .ends_with("after the operator's upgrade: not a Flux failure"),
        "{}",
        x.summary
    );
    assert!(x.evidence.contains(&"HelmRelease cnpg-system/cnpg condition Ready=True UpgradeSucceeded: Helm upgrade succeeded for release cnpg-system/cnpg.v6 with chart cloudnative-pg@0.26.2 (at 2026-11-24T05:49:00Z)".to_string()), "{x:#?}");
}

/// Each near miss is the real failure: FLX004, critical.
fn still_flx004(f: &Facts) -> crate::assess::Finding {
    let out = run(f);
    assert_eq!(codes(&out), vec!["FLX004"], "{out:#?}");
    let x = one(&out, "FLX004").clone();
    assert_eq!(x.severity, Severity::Critical);
    x
}

fn with_cluster(f: &mut Facts, edit: impl FnOnce(&mut ClusterRow)) {
    let mut c = f.snapshot.clusters.rows[0].as_ref().clone();
    edit(&mut c);
    f.snapshot.clusters = live(vec![c]);
}

#[test]
fn a_cluster_in_a_failed_phase_stays_flx004() {
    let mut f = rolling();
    with_cluster(&mut f, |c| {
        c.phase = "Cluster cannot proceed to reconciliation due to an error while interacting with plugins".into();
    });
    still_flx004(&f);
}

#[test]
fn an_instance_that_cannot_run_stays_flx004() {
    let mut f = rolling();
    let mut pods: Vec<PodRow> = f
        .snapshot
        .pods
        .rows
        .iter()
        .map(|p| p.as_ref().clone())
        .collect();
    if let Some(p) = pods.iter_mut().find(|p| p.name == "pg-3") {
        p.status = "CrashLoopBackOff".into();
        p.ready = (1, 2);
    }
    f.snapshot.pods = live(pods);
    let x = still_flx004(&f);
    assert!(
        x.summary.ends_with("Cluster/db/pg is not healthy"),
        "{}",
        x.summary
    );
}

#[test]
fn a_health_check_naming_anything_else_stays_flx004() {
    let mut f = rolling();
    let msg = "health check failed after 5m0.03s: timeout waiting for: [Cluster/db/pg status: 'InProgress', Deployment/db/orders-api status: 'InProgress']";
    set_ks(
        &mut f,
        vec![not_ready(apps(), "HealthCheckFailed", msg), infra()],
    );
    still_flx004(&f);
}

#[test]
fn a_roll_past_its_budget_stays_flx004_and_says_how_long() {
    let mut f = rolling();
    with_cluster(&mut f, |c| {
        c.conditions[0].since = Some(at("2026-11-24T05:20:00Z"));
    });
    let x = still_flx004(&f);
    assert!(x.evidence.contains(&"Cluster db/pg has been in phase 'Upgrading cluster' since 2026-11-24T05:20:00Z (40m), longer than a roll of 3 instance(s) takes (30m): more than a roll".to_string()), "{x:#?}");
}

#[test]
fn a_roll_nothing_upgraded_explains_stays_flx004() {
    let mut f = rolling();
    // A user's own change (resources, say): same images everywhere, no plugin or operator
    // pod or release changed.
    with_cluster(&mut f, |c| {
        c.phase_reason = Some("Restarting instance pg-2, because: original and target PodSpec differ in containers: container postgres differs in resources".into());
    });
    let pods: Vec<PodRow> = f
        .snapshot
        .pods
        .rows
        .iter()
        .map(|p| {
            let mut p = p.as_ref().clone();
            for (_, i) in p.images.iter_mut() {
                if i.contains("sidecar") {
                    *i = NEW_SIDECAR.into();
                }
            }
            if p.namespace == "cnpg-system" {
                p.created = Some(at("2026-11-01T00:00:00Z"));
            }
            p
        })
        .collect();
    f.snapshot.pods = live(pods);
    still_flx004(&f);
}

#[test]
fn flx014_also_when_a_cel_health_check_calls_the_rolling_cluster_failed() {
    // With spec.healthCheckExprs whose `failed` is Ready=False, kustomize-controller fails
    // fast instead of timing out; the Cluster's own phase still says it is rolling.
    let mut f = rolling();
    let msg = "health check failed after 10.012345s: failed early due to stalled resources: [Cluster/db/pg status: 'Failed']";
    set_ks(
        &mut f,
        vec![not_ready(apps(), "HealthCheckFailed", msg), infra()],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX014"]);
    assert!(
        one(&out, "FLX014")
            .evidence
            .contains(&"unhealthy object: Cluster/db/pg status: 'Failed'".to_string())
    );
}
