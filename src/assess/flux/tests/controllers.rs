//! FLX010: the controllers.

use super::*;

#[test]
fn flx010_controller_without_ready_pod() {
    let mut f = healthy();
    f.snapshot.pods = live(vec![
        PodRow {
            ready: (0, 1),
            status: "CrashLoopBackOff".into(),
            restarts: 9,
            last_termination: Some("OOMKilled".into()),
            ..kustomize_pod()
        },
        source_pod(),
        pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud"),
    ]);
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX010"]);
    let x = one(&out, "FLX010");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Deployment, "flux-system", "kustomize-controller")
    );
    assert_eq!(
        x.evidence[0],
        "Pod flux-system/kustomize-controller-abc-1 STATUS: CrashLoopBackOff, READY: 0/1, restarts: 9, last termination: OOMKilled"
    );
    assert!(x.remedy.contains("flux check"));

    // Near miss: Flux not installed, so its controllers are not this tool's business.
    f.snapshot.kustomizations = state(SyncState::NotInstalled {
        what: "Flux is not installed".into(),
    });
    assert_eq!(run(&f), Outcome::default());
}

#[test]
fn flx010_from_the_deployment_when_pods_are_forbidden() {
    let mut f = healthy();
    f.snapshot.pods = forbidden("pods");
    f.deployments = live(vec![
        DeploymentRow {
            ready: 0,
            available: 0,
            labels: labels(&[("app.kubernetes.io/part-of", "flux")]),
            ..deploy("flux-system", "source-controller", "source-controller", "x")
        },
        deploy(
            "flux-system",
            "kustomize-controller",
            "kustomize-controller",
            "x",
        ),
        plugin_deploy(),
    ]);
    let out = run(&f);
    assert_eq!(one(&out, "FLX010").object.name, "source-controller");
}

#[test]
fn unknown_when_controllers_cannot_be_seen() {
    let mut f = healthy();
    f.snapshot.pods = state(SyncState::Syncing);
    f.deployments = forbidden("deployments.apps");
    let out = run(&f);
    assert!(!codes(&out).contains(&"FLX010"));
    assert!(out.unknown.iter().any(|u| u.reason == "pods: not read yet"));
}
