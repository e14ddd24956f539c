//! FLX005 and FLX006 on the sources, told once for all their users.

use super::*;

#[test]
fn flx005_source_not_ready_is_told_once_on_the_gitrepository() {
    let mut f = healthy();
    f.snapshot.git_repos = live(vec![GitRepositoryRow {
        conditions: vec![cond(
            "Ready",
            "False",
            "AuthenticationFailed",
            "failed to checkout and determine revision: unable to clone: ssh: handshake failed",
        )],
        ..repo()
    }]);
    set_ks(
        &mut f,
        vec![
            not_ready(
                apps(),
                "ArtifactFailed",
                "Source is not ready, artifact not found, retrying in 30s",
            ),
            infra(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX005"]);
    let x = one(&out, "FLX005");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::GitRepository, "flux-system", "flux-system")
    );
    assert!(x.summary.contains("flux-system/apps, flux-system/infra"));
    assert!(x.evidence[0].starts_with("condition Ready=False AuthenticationFailed"));
    assert!(
        x.remedy
            .contains("flux reconcile source git flux-system -n flux-system")
    );

    // Near miss: a broken repository nothing uses.
    let mut near = healthy();
    near.snapshot.git_repos = live(vec![
        repo(),
        GitRepositoryRow {
            name: "unused".into(),
            conditions: vec![cond("Ready", "False", "GitOperationFailed", "x")],
            ..repo()
        },
    ]);
    assert!(run(&near).findings.is_empty());
}

#[test]
fn flx006_suspended_kustomization_or_source() {
    let mut f = healthy();
    set_ks(
        &mut f,
        vec![
            KustomizationRow {
                suspended: true,
                ..apps()
            },
            infra(),
        ],
    );
    let out = run(&f);
    let x = one(&out, "FLX006");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
    );
    assert_eq!(x.remedy, "flux resume kustomization apps -n flux-system");

    let mut g = healthy();
    g.snapshot.git_repos = live(vec![GitRepositoryRow {
        suspended: true,
        ..repo()
    }]);
    let out = run(&g);
    let x = one(&out, "FLX006");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::GitRepository, "flux-system", "flux-system")
    );
    assert_eq!(
        x.remedy,
        "flux resume source git flux-system -n flux-system"
    );

    assert!(!codes(&run(&healthy())).contains(&"FLX006"));
}

#[test]
fn unknown_when_sources_cannot_be_read() {
    let mut f = healthy();
    f.snapshot.git_repos = state(SyncState::Error("connection refused".into()));
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "gitrepositories.source.toolkit.fluxcd.io: connection refused"
    );
}
