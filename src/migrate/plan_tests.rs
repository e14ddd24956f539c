use super::*;
use crate::assess::testing::{live, now};
use crate::model::rows::{DeploymentRow, KustomizationRow};
use serde_json::json;
use std::collections::BTreeMap;

fn labels(kv: &[(&str, &str)]) -> BTreeMap<String, String> {
    kv.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn legacy(ns: &str, name: &str, dest: &str, update: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": ns,
                     "labels": {"kustomize.toolkit.fluxcd.io/name": "databases",
                                "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}},
        "spec": {"instances": 2, "primaryUpdateMethod": update,
                 "backup": {"barmanObjectStore": {"destinationPath": dest,
                     "s3Credentials": {"accessKeyId": {"name": "s3", "key": "ID"},
                                       "secretAccessKey": {"name": "s3", "key": "KEY"}}}}}
    })
}

fn facts(operator: &str) -> Facts {
    let mut f = Facts {
        deployments: live(vec![
            DeploymentRow {
                namespace: "cnpg-system".into(),
                name: "cnpg-controller-manager".into(),
                labels: labels(&[("app.kubernetes.io/name", "cloudnative-pg")]),
                images: vec![(
                    "manager".into(),
                    format!("ghcr.io/cloudnative-pg/cloudnative-pg:{operator}"),
                )],
                ready: 1,
                ..Default::default()
            },
            DeploymentRow {
                namespace: "cnpg-system".into(),
                name: "barman-cloud".into(),
                labels: labels(&[
                    ("kustomize.toolkit.fluxcd.io/name", "barman-cloud-plugin"),
                    ("kustomize.toolkit.fluxcd.io/namespace", "flux-system"),
                ]),
                images: vec![(
                    "barman-cloud".into(),
                    "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".into(),
                )],
                ready: 1,
                ..Default::default()
            },
        ]),
        ..Default::default()
    };
    let k = |name: &str, deps: &[&str]| KustomizationRow {
        namespace: "flux-system".into(),
        name: name.into(),
        depends_on: deps
            .iter()
            .map(|d| (String::new(), d.to_string()))
            .collect(),
        ..Default::default()
    };
    f.snapshot.kustomizations = live(vec![
        k("cnpg-operator", &[]),
        k("barman-cloud-plugin", &["cnpg-operator"]),
        k("databases", &[]),
    ]);
    f
}

fn gathered(clusters: Vec<Value>, operator: &str) -> Gathered {
    Gathered {
        clusters,
        scheduled: vec![
            json!({"metadata": {"name": "a-daily", "namespace": "apps",
                                "labels": {"kustomize.toolkit.fluxcd.io/name": "databases"}},
                   "spec": {"cluster": {"name": "a"}, "method": "barmanObjectStore"}}),
            json!({"metadata": {"name": "b-nightly", "namespace": "apps"},
                   "spec": {"cluster": {"name": "b"}}}),
        ],
        stores: vec![],
        secrets: live(vec![]),
        facts: facts(operator),
    }
}

fn gates<'a>(p: &'a MigrationPlan, name: &str) -> Vec<&'a Gate> {
    p.gates.iter().filter(|g| g.name.contains(name)).collect()
}

#[test]
fn two_clusters_writing_to_one_place_share_one_store_and_each_keeps_its_schedules() {
    let g = gathered(
        vec![
            legacy("apps", "a", "s3://bucket/prod", "restart"),
            legacy("apps", "b", "s3://bucket/prod", "restart"),
        ],
        "1.30.0",
    );
    let p = plan(&g, &Ask::default(), now());
    assert_eq!(p.clusters.len(), 2);
    assert_eq!(p.clusters[0].store, "a-store");
    assert_eq!(
        p.clusters[1].store, "a-store",
        "same configuration, one store"
    );
    assert!(p.clusters[1].new_stores.is_empty());
    assert_eq!(p.clusters[0].scheduled[0].0, "a-daily");
    assert_eq!(p.clusters[1].scheduled[0].0, "b-nightly");
    assert_eq!(
        p.clusters[1].before.len(),
        2,
        "the Cluster and its schedule are saved"
    );
    assert_eq!(
        p.plugin_flux,
        Some(("flux-system".into(), "barman-cloud-plugin".into()))
    );
}

#[test]
fn a_store_name_taken_by_another_configuration_is_not_reused() {
    let mut g = gathered(
        vec![legacy("apps", "a", "s3://bucket/prod", "restart")],
        "1.30.0",
    );
    g.stores = vec![json!({"metadata": {"name": "a-store", "namespace": "apps"},
                           "spec": {"configuration": {"destinationPath": "s3://other"}}})];
    let p = plan(&g, &Ask::default(), now());
    assert_eq!(p.clusters[0].store, "a-store-2");
    // An identical one is reused.
    g.stores = vec![json!({"metadata": {"name": "shared", "namespace": "apps"},
                           "spec": {"configuration": manifest::store_configuration(
                               &legacy("apps", "a", "s3://bucket/prod", "restart")["spec"]["backup"]["barmanObjectStore"])}})];
    let p = plan(&g, &Ask::default(), now());
    assert_eq!(p.clusters[0].store, "shared");
    assert!(p.clusters[0].new_stores.is_empty());
}

#[test]
fn the_switchover_deadlock_blocks_only_an_operator_without_the_fix() {
    let g = gathered(
        vec![legacy("apps", "a", "s3://b/p", "switchover")],
        "1.29.1",
    );
    let p = plan(&g, &Ask::default(), now());
    let op = gates(&p, "CloudNativePG 1.26");
    assert_eq!(op[0].verdict, Verdict::Fail);
    assert!(op[0].evidence[1].contains("apps/a"), "{:?}", op[0].evidence);
    assert!(p.blocked());
    let g = gathered(vec![legacy("apps", "a", "s3://b/p", "restart")], "1.29.1");
    let p = plan(&g, &Ask::default(), now());
    assert_eq!(gates(&p, "CloudNativePG 1.26")[0].verdict, Verdict::Pass);
    let g = gathered(
        vec![legacy("apps", "a", "s3://b/p", "switchover")],
        "1.25.3",
    );
    let p = plan(&g, &Ask::default(), now());
    let op = gates(&p, "CloudNativePG 1.26");
    assert_eq!(op[0].verdict, Verdict::Fail);
    assert!(op[0].evidence[1].contains("needs CloudNativePG 1.26"));
}

#[test]
fn flux_gates_name_the_missing_dependency_and_the_schedule_git_never_had() {
    let g = gathered(vec![legacy("apps", "b", "s3://b/p", "restart")], "1.30.0");
    let p = plan(&g, &Ask::default(), now());
    let dep = gates(&p, "after the plugin");
    assert_eq!(dep[0].verdict, Verdict::Warn);
    assert!(
        dep[0]
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("- name: barman-cloud-plugin"))
    );
    let git = gates(&p, "where Flux reads it");
    assert_eq!(git[0].verdict, Verdict::Warn);
    assert!(
        git[0]
            .fix
            .as_deref()
            .is_some_and(|f| f.contains("flux suspend kustomization databases -n flux-system"))
    );
    let by_hand = gates(&p, "delivered by Git");
    assert_eq!(by_hand.len(), 1);
    assert!(by_hand[0].evidence[0].contains("ScheduledBackup apps/b-nightly"));

    let mut g = g;
    let mut f = facts("1.30.0");
    f.snapshot.kustomizations = live(vec![KustomizationRow {
        namespace: "flux-system".into(),
        name: "databases".into(),
        depends_on: vec![(String::new(), "barman-cloud-plugin".into())],
        ..Default::default()
    }]);
    g.facts = f;
    let p = plan(
        &g,
        &Ask {
            to_git: true,
            ..Default::default()
        },
        now(),
    );
    assert_eq!(gates(&p, "after the plugin")[0].verdict, Verdict::Pass);
    assert_eq!(gates(&p, "where Flux reads it")[0].verdict, Verdict::Pass);
}

#[test]
fn a_half_migrated_cluster_is_refused() {
    let mut c = legacy("apps", "a", "s3://b/p", "restart");
    c["spec"]["plugins"] = json!([{"name": "barman-cloud.cloudnative-pg.io",
                                   "parameters": {"barmanObjectName": "x"}}]);
    let p = plan(&gathered(vec![c], "1.30.0"), &Ask::default(), now());
    assert_eq!(gates(&p, "half-migrated")[0].verdict, Verdict::Fail);
    assert!(p.blocked());
}
