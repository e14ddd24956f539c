//! The Flux area's rules on fixture rows: a healthy delivery, then one fault at a time,
//! each beside the near miss that must not fire.

mod controllers;
mod delivery;
mod kustomization;
mod rolling;
mod sources;

use super::rules;
use crate::assess::testing::{self, at, codes, forbidden, labels, live, now, one, state, store};
use crate::assess::{Facts, Kind, ObjectRef, Outcome, Severity, Thresholds, Unknown};
use crate::model::SyncState;
use crate::model::domain::{PLUGIN_LABEL, PLUGIN_NAME};
use crate::model::rows::{
    ClusterRow, Condition, DeploymentRow, GitRepositoryRow, KustomizationRow, PodRow, ServiceRow,
    SourceRef,
};

const REV: &str = "main@sha1:bc0f908f960f1b0880775eb4ffaf3557c22536d3";
const NEW: &str = "main@sha1:67cb6360b65b4fb2b5e978aea27be67efd61c0c0";

fn ks(name: &str, inventory: &[&str]) -> KustomizationRow {
    KustomizationRow {
        namespace: "flux-system".into(),
        name: name.into(),
        conditions: vec![cond(
            "Ready",
            "True",
            "ReconciliationSucceeded",
            &format!("Applied revision: {REV}"),
        )],
        applied: Some(REV.into()),
        attempted: Some(REV.into()),
        source: SourceRef {
            kind: "GitRepository".into(),
            namespace: "flux-system".into(),
            name: "flux-system".into(),
        },
        path: Some(format!("./{name}")),
        interval: Some("10m0s".into()),
        inventory: inventory.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn not_ready(k: KustomizationRow, reason: &str, message: &str) -> KustomizationRow {
    KustomizationRow {
        conditions: vec![cond("Ready", "False", reason, message)],
        ..k
    }
}

fn apps() -> KustomizationRow {
    ks(
        "apps",
        &[
            "_db__Namespace",
            "db_pg_postgresql.cnpg.io_Cluster",
            "db_store_barmancloud.cnpg.io_ObjectStore",
        ],
    )
}

fn infra() -> KustomizationRow {
    ks(
        "infra",
        &[
            "cnpg-system_barman-cloud__Service",
            "cnpg-system_barman-cloud_apps_Deployment",
        ],
    )
}

fn repo() -> GitRepositoryRow {
    GitRepositoryRow {
        namespace: "flux-system".into(),
        name: "flux-system".into(),
        url: "ssh://git@github.com/example/platform-gitops".into(),
        revision: Some(REV.into()),
        conditions: vec![cond(
            "Ready",
            "True",
            "Succeeded",
            "stored artifact for revision 'main@sha1:bc0f908f'",
        )],
        ..Default::default()
    }
}

fn pod(ns: &str, name: &str, app: &str) -> PodRow {
    PodRow {
        namespace: ns.into(),
        name: name.into(),
        labels: labels(&[("app", app)]),
        ready: (1, 1),
        status: "Running".into(),
        ..Default::default()
    }
}

fn kustomize_pod() -> PodRow {
    pod(
        "flux-system",
        "kustomize-controller-abc-1",
        "kustomize-controller",
    )
}

fn source_pod() -> PodRow {
    pod(
        "flux-system",
        "source-controller-abc-1",
        "source-controller",
    )
}

fn deploy(ns: &str, name: &str, app: &str, image: &str) -> DeploymentRow {
    DeploymentRow {
        namespace: ns.into(),
        name: name.into(),
        labels: labels(&[("app", app)]),
        replicas: Some(1),
        available: 1,
        ready: 1,
        images: vec![(app.into(), image.into())],
        selector: labels(&[("app", app)]),
        ..Default::default()
    }
}

fn plugin_deploy() -> DeploymentRow {
    deploy(
        "cnpg-system",
        "barman-cloud",
        "barman-cloud",
        "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0",
    )
}

fn plugin_service() -> ServiceRow {
    ServiceRow {
        namespace: "cnpg-system".into(),
        name: "barman-cloud".into(),
        labels: labels(&[(PLUGIN_LABEL, PLUGIN_NAME)]),
        selector: labels(&[("app", "barman-cloud")]),
        ..Default::default()
    }
}

fn cond(kind: &str, status: &str, reason: &str, message: &str) -> Condition {
    Condition {
        since: Some(at("2026-11-24T05:08:33Z")),
        ..testing::cond(kind, status, reason, message)
    }
}

fn cluster() -> ClusterRow {
    testing::cluster("db", "pg", "store")
}

fn healthy() -> Facts {
    let mut f = Facts::default();
    f.snapshot.kustomizations = live(vec![apps(), infra()]);
    f.snapshot.git_repos = live(vec![repo()]);
    f.snapshot.clusters = live(vec![cluster()]);
    f.snapshot.object_stores = live(vec![store("db", "store", vec![])]);
    f.snapshot.services = live(vec![plugin_service()]);
    f.snapshot.pods = live(vec![
        kustomize_pod(),
        source_pod(),
        pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud"),
    ]);
    f.deployments = live(vec![
        deploy(
            "flux-system",
            "kustomize-controller",
            "kustomize-controller",
            "ghcr.io/fluxcd/kustomize-controller:v1.9.4",
        ),
        deploy(
            "flux-system",
            "source-controller",
            "source-controller",
            "ghcr.io/fluxcd/source-controller:v1.9.0",
        ),
        plugin_deploy(),
    ]);
    f.events = live(vec![]);
    f
}

fn set_ks(f: &mut Facts, list: Vec<KustomizationRow>) {
    f.snapshot.kustomizations = live(list);
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}
