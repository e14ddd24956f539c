//! FLX009: what never reached the cluster.

use super::super::delivery::parse_id;
use super::*;

#[test]
fn flx009_objectstore_that_never_reached_git() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![]);
    set_ks(
        &mut f,
        vec![
            ks(
                "apps",
                &["_db__Namespace", "db_pg_postgresql.cnpg.io_Cluster"],
            ),
            infra(),
        ],
    );
    let out = run(&f);
    assert_eq!(codes(&out), vec!["FLX009"]);
    let x = one(&out, "FLX009");
    assert_eq!(x.object, ObjectRef::new(Kind::ObjectStore, "db", "store"));
    assert!(x.summary.contains("named by Cluster db/pg"));
    assert!(x.evidence.contains(&"Kustomization flux-system/apps status.inventory lists: db_pg_postgresql.cnpg.io_Cluster".to_string()));
    assert!(
        x.evidence
            .iter()
            .any(|e| e.starts_with("Kustomization flux-system/apps condition Ready=True"))
    );
    assert!(x.remedy.contains("git check-ignore -v --no-index"));
    assert!(x.remedy.contains("grep -rl 'name: store' ./apps"));

    // Near misses: the store is in an inventory (deleted after the apply), or the
    // Kustomization is not Ready (its own finding says why).
    let mut listed = f.clone();
    set_ks(&mut listed, vec![apps(), infra()]);
    assert!(!codes(&run(&listed)).contains(&"FLX009"));
    let mut failing = f.clone();
    set_ks(
        &mut failing,
        vec![
            not_ready(
                ks("apps", &["db_pg_postgresql.cnpg.io_Cluster"]),
                "ReconciliationFailed",
                "x",
            ),
            infra(),
        ],
    );
    assert!(!codes(&run(&failing)).contains(&"FLX009"));
    // Near miss: nothing Flux delivers touches that namespace.
    let mut unmanaged = f.clone();
    set_ks(
        &mut unmanaged,
        vec![ks("apps", &["other_x_postgresql.cnpg.io_Cluster"]), infra()],
    );
    assert!(run(&unmanaged).findings.is_empty());
}

#[test]
fn flx009_falls_back_to_the_kustomization_of_the_namespace() {
    let mut f = healthy();
    f.snapshot.object_stores = live(vec![]);
    set_ks(&mut f, vec![ks("namespaces", &["_db__Namespace"]), infra()]);
    let x = run(&f);
    assert!(one(&x, "FLX009").evidence.contains(
        &"Kustomization flux-system/namespaces status.inventory lists: _db__Namespace".to_string()
    ));
}

#[test]
fn flx009_needs_a_live_objectstore_list() {
    let mut f = healthy();
    f.snapshot.object_stores = forbidden(&Kind::ObjectStore.qualified());
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "objectstores.barmancloud.cnpg.io: forbidden: may not list objectstores.barmancloud.cnpg.io"
    );
}

#[test]
fn flx009_plugin_service_absent_beside_its_deployment() {
    let mut f = healthy();
    f.snapshot.services = live(vec![]);
    set_ks(
        &mut f,
        vec![
            apps(),
            ks("infra", &["cnpg-system_barman-cloud_apps_Deployment"]),
        ],
    );
    let out = run(&f);
    let x = one(&out, "FLX009");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Service, "cnpg-system", "barman-cloud")
    );
    // Near miss: the Service was applied (and lost its label, or was deleted since).
    set_ks(&mut f, vec![apps(), infra()]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn flx009_plugin_deployment_absent_behind_its_service() {
    let mut f = healthy();
    f.deployments = live(vec![
        deploy(
            "flux-system",
            "kustomize-controller",
            "kustomize-controller",
            "x",
        ),
        deploy("flux-system", "source-controller", "source-controller", "x"),
    ]);
    f.snapshot.pods = live(vec![
        kustomize_pod(),
        source_pod(),
        pod("cnpg-system", "cnpg-controller-manager-abc-1", "cnpg"),
    ]);
    set_ks(
        &mut f,
        vec![apps(), ks("infra", &["cnpg-system_barman-cloud__Service"])],
    );
    let out = run(&f);
    let x = one(&out, "FLX009");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Deployment, "cnpg-system", "barman-cloud")
    );
    // Near miss: nothing of cnpg-system is in view (a namespace-scoped read).
    let mut scoped = f.clone();
    scoped.snapshot.pods = live(vec![source_pod()]);
    assert!(!codes(&run(&scoped)).contains(&"FLX009"));
    // Near miss: the inventory lists the Deployment: it was applied, then removed.
    set_ks(&mut f, vec![apps(), infra()]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn inventory_ids_parse_like_cli_utils() {
    assert_eq!(
        parse_id("cnpg-system_barman-cloud__Service"),
        Some((
            "cnpg-system".into(),
            "barman-cloud".into(),
            "".into(),
            "Service".into()
        ))
    );
    assert_eq!(
        parse_id("_system__aggregate-to-view_rbac.authorization.k8s.io_ClusterRole"),
        Some((
            "".into(),
            "system:aggregate-to-view".into(),
            "rbac.authorization.k8s.io".into(),
            "ClusterRole".into()
        ))
    );
}
