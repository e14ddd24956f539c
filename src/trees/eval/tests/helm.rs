//! The HelmRelease checks on helm-controller's own texts (fluxcd/helm-controller
//! internal/reconcile: upgrade.go, rollback_remediation.go, install.go,
//! atomic_release.go; internal/controller/helmrelease_controller.go).

use super::*;

const UPGRADE_FAILED: &str = "Helm upgrade failed for release cnpg-system/plugin-barman-cloud with chart plugin-barman-cloud@0.7.0: context deadline exceeded";
const ROLLED_BACK: &str = "Helm rollback to previous release cnpg-system/plugin-barman-cloud.v3 with chart plugin-barman-cloud@0.6.1 succeeded";

fn release(name: &str, conditions: Vec<Condition>) -> HelmReleaseRow {
    HelmReleaseRow {
        namespace: "cnpg-system".into(),
        name: name.into(),
        chart: name.into(),
        source: SourceRef {
            kind: "OCIRepository".into(),
            namespace: "flux-system".into(),
            name: name.into(),
        },
        conditions,
        applied: Some("0.6.1".into()),
        attempted: Some("0.6.1".into()),
        ..Default::default()
    }
}

/// The operator's release, Ready.
fn cnpg() -> HelmReleaseRow {
    HelmReleaseRow {
        applied: Some("0.26.1".into()),
        attempted: Some("0.26.1".into()),
        ..release(
            "cloudnative-pg",
            vec![cond(
                "Ready",
                "True",
                "UpgradeSucceeded",
                "Helm upgrade succeeded for release cnpg-system/cloudnative-pg.v5 with chart cloudnative-pg@0.26.1",
            )],
        )
    }
}

/// The plugin's release: the upgrade to 0.7.0 failed, was rolled back to 0.6.1, and
/// helm-controller gave up after its retries.
fn given_up() -> HelmReleaseRow {
    HelmReleaseRow {
        attempted: Some("0.7.0".into()),
        ..release(
            "plugin-barman-cloud",
            vec![
                cond("Ready", "False", "RollbackSucceeded", ROLLED_BACK),
                cond("Released", "False", "UpgradeFailed", UPGRADE_FAILED),
                cond("Remediated", "True", "RollbackSucceeded", ROLLED_BACK),
                cond(
                    "Stalled",
                    "True",
                    "RetriesExceeded",
                    "Failed to upgrade after 4 attempt(s)",
                ),
            ],
        )
    }
}

/// The same release while helm-controller still retries.
fn retrying() -> HelmReleaseRow {
    let mut r = given_up();
    r.conditions.retain(|c| c.kind != "Stalled");
    r.conditions.push(cond(
        "Reconciling",
        "True",
        "ProgressingWithRetry",
        "retrying after 5m0s",
    ));
    r
}

fn repo(name: &str, ready: Condition) -> GitRepositoryRow {
    GitRepositoryRow {
        namespace: "flux-system".into(),
        name: name.into(),
        url: format!("oci://ghcr.io/cloudnative-pg/charts/{name}"),
        conditions: vec![ready],
        ..Default::default()
    }
}

fn helm(releases: Vec<HelmReleaseRow>) -> Facts {
    Facts {
        snapshot: Snapshot {
            helm_releases: live(releases),
            oci_repos: live(vec![
                repo(
                    "plugin-barman-cloud",
                    cond(
                        "Ready",
                        "True",
                        "Succeeded",
                        "stored artifact for digest '0.7.0@sha256:2b7a5c0f'",
                    ),
                ),
                repo(
                    "cloudnative-pg",
                    cond(
                        "Ready",
                        "True",
                        "Succeeded",
                        "stored artifact for digest '0.26.1@sha256:9f8e7d6c'",
                    ),
                ),
            ]),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn about(name: &str) -> ObjectRef {
    ObjectRef::new(Kind::HelmRelease, "cnpg-system", name)
}

fn on_release(check: Check, facts: &Facts, name: &str) -> Answer {
    ask(&check, facts, &Assessed::default(), Some(&about(name)))
}

#[test]
fn helmreleases_ready_names_the_release_and_looks_at_the_walks_own() {
    let facts = helm(vec![cnpg(), given_up()]);
    let check = || Check::HelmreleasesReady { name: None };
    assert_eq!(
        on(check(), &facts),
        said(
            Verdict::Fail,
            "1 HelmRelease(s) not Ready",
            &[&format!(
                "HelmRelease cnpg-system/plugin-barman-cloud Ready=False RollbackSucceeded: {ROLLED_BACK}"
            )]
        )
    );
    assert_eq!(
        on_release(check(), &facts, "cloudnative-pg"),
        said(Verdict::Pass, "the HelmReleases are Ready", &[])
    );
    // No helm-controller: nothing to say either way.
    let none = Facts {
        snapshot: Snapshot {
            helm_releases: state(SyncState::NotInstalled {
                what: "Flux's helm-controller is not installed (no helmreleases.helm.toolkit.fluxcd.io)".into(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(on(check(), &none).verdict, Verdict::Unknown);
    assert_eq!(on(check(), &helm(vec![])).verdict, Verdict::Unknown);
}

#[test]
fn helmrelease_suspended_passes_on_spec_suspend() {
    let mut paused = cnpg();
    paused.suspended = true;
    let check = || Check::HelmreleaseSuspended { name: None };
    assert_eq!(
        on(check(), &helm(vec![paused, given_up()])),
        said(
            Verdict::Pass,
            "helm-controller skips a suspended HelmRelease",
            &["HelmRelease cnpg-system/cloudnative-pg spec.suspend: true"]
        )
    );
    assert_eq!(
        on_release(
            check(),
            &helm(vec![cnpg(), given_up()]),
            "plugin-barman-cloud"
        ),
        said(Verdict::Fail, "no HelmRelease is suspended", &[])
    );
}

#[test]
fn helm_chart_source_ready_follows_chart_ref_and_source_ref() {
    let check = || Check::HelmChartSourceReady { name: None };
    let mut facts = helm(vec![given_up()]);
    assert_eq!(
        on(check(), &facts),
        said(
            Verdict::Pass,
            "the chart sources are Ready",
            &[
                "OCIRepository flux-system/plugin-barman-cloud Ready=True Succeeded: stored artifact for digest '0.7.0@sha256:2b7a5c0f'"
            ]
        )
    );
    facts.snapshot.oci_repos = live(vec![repo(
        "plugin-barman-cloud",
        cond(
            "Ready",
            "False",
            "OCIArtifactPullFailed",
            "failed to determine artifact digest: GET https://ghcr.io/v2/cloudnative-pg/charts/plugin-barman-cloud/manifests/0.7.0: MANIFEST_UNKNOWN",
        ),
    )]);
    assert_eq!(
        on(check(), &facts),
        said(
            Verdict::Fail,
            "a chart source is not Ready",
            &[
                "OCIRepository flux-system/plugin-barman-cloud Ready=False OCIArtifactPullFailed: failed to determine artifact digest: GET https://ghcr.io/v2/cloudnative-pg/charts/plugin-barman-cloud/manifests/0.7.0: MANIFEST_UNKNOWN"
            ]
        )
    );
    // spec.chart.spec.sourceRef to a HelmRepository that does not exist.
    let mut from_helm_repo = cnpg();
    from_helm_repo.source = SourceRef {
        kind: "HelmRepository".into(),
        namespace: "flux-system".into(),
        name: "cnpg".into(),
    };
    let mut facts = helm(vec![from_helm_repo]);
    facts.snapshot.helm_repos = live(vec![]);
    assert_eq!(
        on(check(), &facts),
        said(
            Verdict::Fail,
            "a chart source is not Ready",
            &[
                "HelmRelease cnpg-system/cloudnative-pg takes its chart from HelmRepository flux-system/cnpg: not found"
            ]
        )
    );
    facts.snapshot.helm_repos = state(forbidden("helmrepositories.source.toolkit.fluxcd.io"));
    assert_eq!(on(check(), &facts).verdict, Verdict::Unknown);
}

#[test]
fn helmrelease_reason_reads_ready_released_and_remediated() {
    let facts = helm(vec![cnpg(), given_up()]);
    let upgrade = Check::HelmreleaseReason {
        reasons: vec!["UpgradeFailed".into(), "RollbackSucceeded".into()],
        name: None,
    };
    assert_eq!(
        on(upgrade, &facts),
        said(
            Verdict::Pass,
            "helm-controller says RollbackSucceeded, UpgradeFailed",
            &[
                &format!(
                    "HelmRelease cnpg-system/plugin-barman-cloud Ready=False RollbackSucceeded: {ROLLED_BACK}"
                ),
                &format!(
                    "HelmRelease cnpg-system/plugin-barman-cloud Released=False UpgradeFailed: {UPGRADE_FAILED}"
                ),
                &format!(
                    "HelmRelease cnpg-system/plugin-barman-cloud Remediated=True RollbackSucceeded: {ROLLED_BACK}"
                ),
            ]
        )
    );
    let install = Check::HelmreleaseReason {
        reasons: vec!["InstallFailed".into()],
        name: None,
    };
    let a = on(install, &facts);
    assert_eq!(a.verdict, Verdict::Fail);
    assert_eq!(a.summary, "helm-controller does not say InstallFailed");
    // A Ready release says nothing that fails, whatever its reason.
    let ok = Check::HelmreleaseReason {
        reasons: vec!["UpgradeSucceeded".into()],
        name: None,
    };
    assert_eq!(on(ok, &helm(vec![cnpg()])).verdict, Verdict::Fail);
}

#[test]
fn helm_retries_exhausted_tells_giving_up_from_retrying_with_the_versions() {
    let check = || Check::HelmRetriesExhausted { name: None };
    let versions = "HelmRelease cnpg-system/plugin-barman-cloud runs chart 0.6.1 (status.history[0].chartVersion); last attempted 0.7.0 (status.lastAttemptedRevision)";
    assert_eq!(
        on(check(), &helm(vec![given_up()])),
        said(
            Verdict::Pass,
            "helm-controller gave up: the remediation retries are exhausted",
            &[
                "HelmRelease cnpg-system/plugin-barman-cloud Stalled=True RetriesExceeded: Failed to upgrade after 4 attempt(s)",
                versions,
            ]
        )
    );
    assert_eq!(
        on(check(), &helm(vec![retrying()])),
        said(
            Verdict::Fail,
            "helm-controller has not given up (no Stalled condition): it retries on its own",
            &[
                "HelmRelease cnpg-system/plugin-barman-cloud Reconciling=True ProgressingWithRetry: retrying after 5m0s",
                versions,
            ]
        )
    );
}

#[test]
fn helm_chart_version_applied_compares_attempted_with_history() {
    let check = || Check::HelmChartVersionApplied { name: None };
    assert_eq!(
        on(check(), &helm(vec![cnpg()])),
        said(
            Verdict::Pass,
            "every HelmRelease runs the chart version it last attempted",
            &[]
        )
    );
    assert_eq!(
        on(check(), &helm(vec![cnpg(), given_up()])),
        said(
            Verdict::Fail,
            "the chart version last attempted is not the one running",
            &[
                "HelmRelease cnpg-system/plugin-barman-cloud status.lastAttemptedRevision 0.7.0 ≠ status.history[0].chartVersion 0.6.1"
            ]
        )
    );
    // About the operator's release only: the plugin's does not count.
    assert_eq!(
        on_release(check(), &helm(vec![cnpg(), given_up()]), "cloudnative-pg").verdict,
        Verdict::Pass
    );
}

#[test]
fn a_walk_about_a_release_keeps_to_its_own_findings() {
    let facts = helm(vec![cnpg(), given_up()]);
    let flx011 = |name: &str| Finding {
        object: ObjectRef::new(Kind::HelmRelease, "cnpg-system", name),
        ..finding("FLX011", Kind::HelmRelease, name, &[])
    };
    let assessed = found(vec![flx011("plugin-barman-cloud")]);
    let check = Check::Finding {
        code: "FLX011".into(),
    };
    let on_it = ask(
        &check,
        &facts,
        &assessed,
        Some(&about("plugin-barman-cloud")),
    );
    assert_eq!(on_it.verdict, Verdict::Pass);
    let on_other = ask(&check, &facts, &assessed, Some(&about("cloudnative-pg")));
    assert_eq!(on_other.verdict, Verdict::Fail);
}
