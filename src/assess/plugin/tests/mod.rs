//! The plugin area's rules on fixture rows: a healthy install, then one fault at a time,
//! each beside the near miss that must not fire.

mod certs;
mod clusters;
mod operator;
mod pods;

use super::rules;
use crate::assess::testing::{
    self, at, codes, cond, forbidden, labels, live, now, one, state, store,
};
use crate::assess::{Facts, Kind, ObjectRef, Outcome, Severity, Thresholds, Unknown};
use crate::model::SyncState;
use crate::model::domain::{
    CLUSTER_LABEL, OPERATOR_APP, OPERATOR_LABEL, PLUGIN_LABEL, PLUGIN_NAME, SIDECAR,
};
use crate::model::rows::{
    CertificateRow, ClusterRow, DeploymentRow, EventRow, PluginRef, PodRow, ServiceRow,
};

fn plugin_pod() -> PodRow {
    PodRow {
        namespace: "cnpg-system".into(),
        name: "barman-cloud-7d9-abcde".into(),
        labels: labels(&[("app", "barman-cloud")]),
        ready: (1, 1),
        status: "Running".into(),
        phase: "Running".into(),
        created: Some(at("2026-11-02T09:14:00Z")),
        images: vec![(
            "barman-cloud".into(),
            "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".into(),
        )],
        ..Default::default()
    }
}

fn operator_pod() -> PodRow {
    PodRow {
        namespace: "cnpg-system".into(),
        name: "cnpg-controller-manager-abc-12345".into(),
        labels: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
        ready: (1, 1),
        status: "Running".into(),
        images: vec![(
            "manager".into(),
            "ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1".into(),
        )],
        ..Default::default()
    }
}

fn instance_pod(name: &str) -> PodRow {
    PodRow {
        namespace: "db".into(),
        name: name.into(),
        labels: labels(&[(CLUSTER_LABEL, "pg"), ("cnpg.io/podRole", "instance")]),
        ready: (2, 2),
        status: "Running".into(),
        images: vec![
            (
                "postgres".into(),
                "ghcr.io/cloudnative-pg/postgresql:17".into(),
            ),
            (
                SIDECAR.into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0".into(),
            ),
        ],
        sidecars: vec![SIDECAR.into()],
        ..Default::default()
    }
}

fn plugin_service() -> ServiceRow {
    ServiceRow {
        namespace: "cnpg-system".into(),
        name: "barman-cloud".into(),
        labels: labels(&[(PLUGIN_LABEL, PLUGIN_NAME)]),
        annotations: labels(&[
            ("cnpg.io/pluginServerSecret", "barman-cloud-server-tls"),
            ("cnpg.io/pluginClientSecret", "barman-cloud-client-tls"),
            ("cnpg.io/pluginPort", "9090"),
        ]),
        selector: labels(&[("app", "barman-cloud")]),
    }
}

fn plugin_deploy() -> DeploymentRow {
    DeploymentRow {
        namespace: "cnpg-system".into(),
        name: "barman-cloud".into(),
        labels: labels(&[("app", "barman-cloud")]),
        replicas: Some(1),
        available: 1,
        ready: 1,
        images: vec![(
            "barman-cloud".into(),
            "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".into(),
        )],
        selector: labels(&[("app", "barman-cloud")]),
        ..Default::default()
    }
}

fn operator_deploy() -> DeploymentRow {
    DeploymentRow {
        namespace: "cnpg-system".into(),
        name: "cnpg-controller-manager".into(),
        labels: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
        replicas: Some(1),
        available: 1,
        ready: 1,
        selector: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
        ..Default::default()
    }
}

fn cluster() -> ClusterRow {
    ClusterRow {
        phase: "Cluster in healthy state".into(),
        plugin_version: Some("0.14.0".into()),
        ..testing::cluster("db", "pg", "store")
    }
}

fn cert(name: &str, not_after: &str) -> CertificateRow {
    CertificateRow {
        namespace: "cnpg-system".into(),
        name: name.into(),
        secret_name: Some(format!("{name}-tls")),
        conditions: vec![cond(
            "Ready",
            "True",
            "Ready",
            "Certificate is up to date and has not expired",
        )],
        not_after: Some(at(not_after)),
        dns_names: vec![],
    }
}

/// A healthy install: every rule has something to look at and nothing to say.
fn healthy() -> Facts {
    let mut f = Facts::default();
    f.snapshot.pods = live(vec![
        plugin_pod(),
        operator_pod(),
        instance_pod("pg-1"),
        instance_pod("pg-2"),
    ]);
    f.snapshot.services = live(vec![plugin_service()]);
    f.snapshot.clusters = live(vec![cluster()]);
    f.snapshot.object_stores = live(vec![store("db", "store", vec![])]);
    f.snapshot.kustomizations = state(SyncState::NotInstalled {
        what: "Flux is not installed".into(),
    });
    f.deployments = live(vec![plugin_deploy(), operator_deploy()]);
    f.certificates = live(vec![
        cert("barman-cloud-server", "2027-01-19T13:05:11Z"),
        cert("barman-cloud-client", "2027-01-19T13:05:11Z"),
    ]);
    f.events = live(vec![]);
    f
}

fn run(f: &Facts) -> Outcome {
    rules(f, now(), &Thresholds::default())
}

fn with_pods(f: &mut Facts, pods: Vec<PodRow>) {
    f.snapshot.pods = live(pods);
}
