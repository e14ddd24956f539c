//! The Flux checks: Kustomizations, their dependencies, sources, revisions.

use super::*;

fn flux(rows: Vec<KustomizationRow>) -> Facts {
    Facts {
        snapshot: Snapshot {
            kustomizations: live(rows),
            ..Default::default()
        },
        ..Default::default()
    }
}

fn with_kustomizations(sync: SyncState) -> Facts {
    Facts {
        snapshot: Snapshot {
            kustomizations: state(sync),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[test]
fn kustomizations_ready_names_each_one_that_is_not() {
    let check = || Check::KustomizationsReady { name: None };
    assert_eq!(
        on(check(), &flux(vec![ready_ks("apps")])),
        said(Verdict::Pass, "the Kustomizations are Ready", &[])
    );
    let mut paused = ready_ks("paused");
    paused.suspended = true;
    let failing = ks(
        "apps",
        vec![cond(
            "Ready",
            "False",
            "BuildFailed",
            "kustomize build failed",
        )],
    );
    let facts = flux(vec![failing, paused, ks("new", vec![]), ready_ks("infra")]);
    assert_eq!(
        on(check(), &facts),
        said(
            Verdict::Fail,
            "3 Kustomization(s) not Ready",
            &[
                "Kustomization flux-system/apps Ready=False BuildFailed: kustomize build failed",
                "Kustomization flux-system/new: no Ready condition yet",
                "Kustomization flux-system/paused spec.suspend: true",
            ]
        )
    );
    let one = Check::KustomizationsReady {
        name: Some("infra".into()),
    };
    assert_eq!(on(one, &facts).verdict, Verdict::Pass);
    assert_eq!(
        on(
            check(),
            &with_kustomizations(forbidden("kustomizations.kustomize.toolkit.fluxcd.io"))
        ),
        said(
            Verdict::Unknown,
            "kustomizations: forbidden: may not list kustomizations.kustomize.toolkit.fluxcd.io",
            &[]
        )
    );
}

#[test]
fn dependencies_ready_names_the_dependency_that_holds_it_back() {
    let check = || Check::KustomizationDependenciesReady { name: None };
    let mut apps = ready_ks("apps");
    apps.depends_on = vec![("flux-system".into(), "infra".into())];
    assert_eq!(
        on(check(), &flux(vec![apps.clone(), ready_ks("infra")])),
        said(Verdict::Pass, "every dependency is Ready", &[])
    );
    apps.depends_on
        .push(("flux-system".into(), "missing".into()));
    let infra = ks(
        "infra",
        vec![cond("Ready", "False", "HealthCheckFailed", "timeout")],
    );
    assert_eq!(
        on(check(), &flux(vec![apps, infra])),
        said(
            Verdict::Fail,
            "a dependency is not Ready",
            &[
                "flux-system/apps depends on flux-system/infra: Ready=False HealthCheckFailed: timeout",
                "flux-system/apps depends on flux-system/missing: not found or not reconciled",
            ]
        )
    );
    assert_eq!(
        on(check(), &with_kustomizations(SyncState::Syncing)),
        said(Verdict::Unknown, "kustomizations: not read yet", &[])
    );
}

#[test]
fn sources_ready_quotes_the_sources_condition() {
    let repo = |name: &str, conditions: Vec<Condition>| GitRepositoryRow {
        namespace: "flux-system".into(),
        name: name.into(),
        conditions,
        ..Default::default()
    };
    let facts = |rows: Vec<GitRepositoryRow>| Facts {
        snapshot: Snapshot {
            git_repos: live(rows),
            ..Default::default()
        },
        ..Default::default()
    };
    let ok = repo("gitops", vec![cond("Ready", "True", "Succeeded", "stored")]);
    assert_eq!(
        on(Check::SourcesReady {}, &facts(vec![ok])),
        said(Verdict::Pass, "the sources are Ready", &[])
    );
    let bad = repo(
        "gitops",
        vec![cond("Ready", "False", "GitOperationFailed", "auth failed")],
    );
    assert_eq!(
        on(
            Check::SourcesReady {},
            &facts(vec![bad, repo("fresh", vec![])])
        ),
        said(
            Verdict::Fail,
            "a source is not Ready",
            &[
                "GitRepository flux-system/fresh Ready=unknown",
                "GitRepository flux-system/gitops Ready=False GitOperationFailed: auth failed",
            ]
        )
    );
    let absent = Facts {
        snapshot: Snapshot {
            git_repos: state(SyncState::NotInstalled {
                what: "Flux sources are not installed".into(),
            }),
            ..Default::default()
        },
        ..Default::default()
    };
    assert_eq!(
        on(Check::SourcesReady {}, &absent),
        said(
            Verdict::Unknown,
            "gitrepositories: Flux sources are not installed",
            &[]
        )
    );
}

#[test]
fn revisions_applied_compares_attempted_with_applied_even_on_last_known_rows() {
    let mut apps = ready_ks("apps");
    apps.attempted = Some("main@sha1:bbb".into());
    apps.applied = Some("main@sha1:aaa".into());
    assert_eq!(
        on(Check::RevisionsApplied {}, &flux(vec![ready_ks("infra")])),
        said(
            Verdict::Pass,
            "every Kustomization applied its newest revision",
            &[]
        )
    );
    let stale = SyncState::Stale {
        since: at("2026-11-24T05:00:00Z"),
        reason: "connection lost".into(),
    };
    let mut facts = flux(vec![apps]);
    facts.snapshot.kustomizations.sync = stale.clone();
    assert_eq!(
        on(Check::RevisionsApplied {}, &facts),
        said(
            Verdict::Fail,
            "the newest revision did not apply",
            &[
                "Kustomization flux-system/apps lastAttemptedRevision main@sha1:bbb ≠ lastAppliedRevision main@sha1:aaa"
            ]
        )
    );
    assert_eq!(
        on(Check::RevisionsApplied {}, &with_kustomizations(stale)),
        said(
            Verdict::Unknown,
            "kustomizations: stale since 2026-11-24T05:00:00Z (connection lost)",
            &[]
        )
    );
}
