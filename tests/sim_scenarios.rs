//! Scenarios load whole (built-in ones, real dumps with kinds never heard of), bad files
//! fail with errors that name the file, document and field, and faults behave.

mod common;

use std::time::Duration;

use backstop::sim::Sim;
use backstop::sim::scenario::{self, builtin_names};
use common::fixture;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, ListParams};
use kube::discovery::{ApiResource, Discovery, Scope};
use kube::{Client, Error};
use serde_json::json;

fn client(sim: &std::sync::Arc<Sim>) -> Client {
    Client::new(sim.router(), "default")
}

#[test]
fn every_builtin_scenario_loads_with_a_story() {
    assert_eq!(
        builtin_names(),
        [
            "healthy",
            "gitignore-trap",
            "plugin-crashloop-oom",
            "objectstore-credentials",
            "slow-backups",
            "flux-stuck-dependency",
            "restore-drill",
            "legacy-fleet"
        ]
    );
    for name in builtin_names() {
        let sc = scenario::load(name, chrono::Utc::now()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !sc.description.is_empty(),
            "{name} tells the trainee what they see"
        );
        if name == "healthy" || name == "restore-drill" {
            // restore-drill looks healthy: its defect shows only when a restore is tried.
            assert!(sc.expect.is_empty(), "{name} expects no finding");
            assert!(!sc.timeline.is_empty(), "the demo keeps moving");
        } else {
            assert!(
                !sc.expect.is_empty(),
                "{name} names the findings it is built to show"
            );
        }
        let sim = Sim::new(&sc).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert!(
            sim.store.count() > 50,
            "{name} is a realistic cluster, not a sketch ({} objects)",
            sim.store.count()
        );
    }
}

#[tokio::test]
async fn the_healthy_scenario_serves_every_kind_backstop_reads() {
    let sim = Sim::from_scenario("healthy").expect("healthy loads");
    let discovery = Discovery::new(client(&sim)).run().await.expect("discovery");
    for (group, kind) in [
        ("postgresql.cnpg.io", "Cluster"),
        ("postgresql.cnpg.io", "Backup"),
        ("postgresql.cnpg.io", "ScheduledBackup"),
        ("barmancloud.cnpg.io", "ObjectStore"),
        ("kustomize.toolkit.fluxcd.io", "Kustomization"),
        ("source.toolkit.fluxcd.io", "GitRepository"),
        ("cert-manager.io", "Certificate"),
        ("apps", "Deployment"),
        ("", "Pod"),
        ("", "Service"),
        ("", "Event"),
    ] {
        let found = discovery
            .groups()
            .flat_map(|g| g.recommended_resources())
            .find(|(ar, _)| ar.group == group && ar.kind == kind);
        let (ar, caps) = found.unwrap_or_else(|| panic!("{kind}.{group} is served"));
        assert_eq!(caps.scope, Scope::Namespaced);
        let list = Api::<DynamicObject>::all_with(client(&sim), &ar)
            .list(&ListParams::default())
            .await
            .expect("list");
        assert!(
            !list.items.is_empty(),
            "the healthy scenario has {kind} objects"
        );
    }
}

#[tokio::test]
async fn a_dump_with_unknown_kinds_loads_and_serves_them() {
    let sim = Sim::from_scenario(&fixture("dump")).expect("the dump loads");
    let discovery = Discovery::new(client(&sim)).run().await.expect("discovery");
    let find = |group: &str, kind: &str| {
        discovery
            .groups()
            .flat_map(|g| g.recommended_resources())
            .find(|(ar, _)| ar.group == group && ar.kind == kind)
            .unwrap_or_else(|| panic!("{kind}.{group} is served"))
    };
    let (helm, caps) = find("helm.toolkit.fluxcd.io", "HelmRelease");
    assert_eq!(
        (helm.plural.as_str(), helm.version.as_str(), caps.scope),
        ("helmreleases", "v2", Scope::Namespaced)
    );
    let (widget, caps) = find("example.com", "Widget");
    assert_eq!(
        (widget.plural.as_str(), caps.scope),
        ("widgets", Scope::Cluster),
        "no namespace in the dump: cluster-scoped"
    );
    let (issuer, caps) = find("cert-manager.io", "ClusterIssuer");
    assert_eq!(caps.scope, Scope::Cluster, "scope from the dump's CRD");
    let (sts, _) = find("apps", "StatefulSet");

    for (ar, name) in [
        (&helm, "ingress-nginx"),
        (&widget, "sprocket"),
        (&issuer, "letsencrypt"),
        (&sts, "redis"),
    ] {
        let items = Api::<DynamicObject>::all_with(client(&sim), ar)
            .list(&ListParams::default())
            .await
            .expect("list");
        let names: Vec<_> = items
            .items
            .iter()
            .filter_map(|o| o.metadata.name.clone())
            .collect();
        assert_eq!(names, [name]);
    }
    let helm_obj = Api::<DynamicObject>::namespaced_with(client(&sim), "flux-system", &helm)
        .get("ingress-nginx")
        .await
        .expect("get");
    assert_ne!(
        helm_obj.metadata.resource_version.as_deref(),
        Some("98765432"),
        "resourceVersions come from the simulator's counter"
    );
    assert_eq!(
        helm_obj.metadata.uid.as_deref(),
        Some("7f1c2b34-0000-4000-8000-000000000001"),
        "uids are kept"
    );
}

#[tokio::test]
async fn a_custom_kind_is_served_only_while_its_crd_exists() {
    let sim = Sim::from_scenario(&fixture("mini.yaml")).expect("mini loads");
    let ks = ApiResource {
        group: "kustomize.toolkit.fluxcd.io".into(),
        version: "v1".into(),
        api_version: "kustomize.toolkit.fluxcd.io/v1".into(),
        kind: "Kustomization".into(),
        plural: "kustomizations".into(),
    };
    match Api::<DynamicObject>::all_with(client(&sim), &ks)
        .list(&ListParams::default())
        .await
    {
        Err(Error::Api(s)) => assert_eq!(s.code, 404, "Flux is not installed"),
        other => panic!("expected 404, got {other:?}"),
    }
    let backups = ApiResource {
        group: "postgresql.cnpg.io".into(),
        version: "v1".into(),
        api_version: "postgresql.cnpg.io/v1".into(),
        kind: "Backup".into(),
        plural: "backups".into(),
    };
    let crds: Api<DynamicObject> = Api::all_with(
        client(&sim),
        &ApiResource {
            group: "apiextensions.k8s.io".into(),
            version: "v1".into(),
            api_version: "apiextensions.k8s.io/v1".into(),
            kind: "CustomResourceDefinition".into(),
            plural: "customresourcedefinitions".into(),
        },
    );
    crds.delete("backups.postgresql.cnpg.io", &Default::default())
        .await
        .expect("CRD deleted");
    let discovery = Discovery::new(client(&sim)).run().await.expect("discovery");
    assert!(
        !discovery.has_group("postgresql.cnpg.io"),
        "the group left discovery with its last kind"
    );
    match Api::<DynamicObject>::all_with(client(&sim), &backups)
        .list(&ListParams::default())
        .await
    {
        Err(Error::Api(s)) => assert_eq!(s.code, 404),
        other => panic!("expected 404, got {other:?}"),
    }
}

fn write(dir: &std::path::Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p.display().to_string()
}

fn load_err(spec: &str) -> String {
    match scenario::load(spec, chrono::Utc::now()) {
        Ok(_) => panic!("{spec} should not load"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_files_get_errors_that_say_where_and_what() {
    let dir = tempfile::tempdir().expect("temp dir");
    let d = dir.path();

    let f = write(
        d,
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   labels: {}\n",
    );
    let e = load_err(&f);
    assert!(
        e.starts_with(&format!("{f}: document 1 (line 5, column")),
        "{e}"
    );

    for (field, text) in [
        ("apiVersion", "kind: ConfigMap\nmetadata: {name: a}\n"),
        ("kind", "apiVersion: v1\nmetadata: {name: a}\n"),
        (
            "metadata.name",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {namespace: x}\n",
        ),
    ] {
        let f = write(
            d,
            "missing.yaml",
            &format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: ok}}\n---\n{text}"),
        );
        assert_eq!(
            load_err(&f),
            format!(
                "{f}: document 2 (line 5): the object has no {field}: every object needs apiVersion, kind and metadata.name"
            )
        );
    }

    let folder = d.join("dup");
    std::fs::create_dir(&folder).expect("mkdir");
    let a = write(
        &folder,
        "a.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: db}\n",
    );
    let b = write(
        &folder,
        "b.yaml",
        "---\n# the same secret again\napiVersion: v1\nkind: Secret\nmetadata: {name: creds, namespace: db}\n",
    );
    assert_eq!(
        load_err(folder.to_str().expect("utf-8")),
        format!(
            "{b}: document 1 (line 2): duplicate object Secret db/creds (first defined in {a}: document 1 (line 1)); each object may appear once"
        )
    );

    let f = write(
        d,
        "doc.yaml",
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nspec:\n  timeline:\n  - at: 5s\n    steps:\n    - after: 1s\n      aply: {}\n",
    );
    let e = load_err(&f);
    assert!(e.contains("unknown field `aply`"), "{e}");
    let f = write(
        d,
        "dur.yaml",
        "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nspec:\n  faults:\n    latency: 5 parsecs\n",
    );
    let e = load_err(&f);
    assert!(
        e.starts_with(&format!("{f}: document 1 (line 5")) && e.contains("is not a duration"),
        "{e}"
    );

    let e = load_err("no-such-scenario");
    assert!(
        e.contains("no scenario named 'no-such-scenario'") && e.contains("healthy"),
        "{e}"
    );
}

#[tokio::test]
async fn faults_forbid_fail_drop_and_expire() {
    let sim = Sim::from_scenario(&fixture("restricted.yaml")).expect("restricted loads");
    let c = client(&sim);

    // Forbidden: a 403 naming the verb and the resource, and access reviews agree.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(c.clone(), "demo");
    match secrets.list(&ListParams::default()).await {
        Err(Error::Api(s)) => {
            assert_eq!(s.code, 403);
            assert!(
                s.message.contains(
                    "cannot list resource \"secrets\" in API group \"\" in the namespace \"demo\""
                ),
                "{}",
                s.message
            );
        }
        other => panic!("expected 403, got {other:?}"),
    }
    let reviews: Api<k8s_openapi::api::authorization::v1::SelfSubjectAccessReview> =
        Api::all(c.clone());
    let ask = |verb: &str,
               resource: &str|
     -> k8s_openapi::api::authorization::v1::SelfSubjectAccessReview {
        serde_json::from_value(json!({"spec": {"resourceAttributes": {"namespace": "demo", "verb": verb, "resource": resource}}})).expect("review")
    };
    let denied = reviews
        .create(&Default::default(), &ask("get", "secrets"))
        .await
        .expect("review");
    assert_eq!(denied.status.map(|s| s.allowed), Some(false));
    let allowed = reviews
        .create(&Default::default(), &ask("list", "pods"))
        .await
        .expect("review");
    assert_eq!(allowed.status.map(|s| s.allowed), Some(true));

    // Injected errors on a path prefix.
    let os = ApiResource {
        group: "barmancloud.cnpg.io".into(),
        version: "v1".into(),
        api_version: "barmancloud.cnpg.io/v1".into(),
        kind: "ObjectStore".into(),
        plural: "objectstores".into(),
    };
    match Api::<DynamicObject>::all_with(c.clone(), &os)
        .list(&ListParams::default())
        .await
    {
        Err(Error::Api(s)) => assert_eq!(s.code, 503),
        other => panic!("expected 503, got {other:?}"),
    }

    // The first watch answers 410; later ones are dropped after a second.
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(c, "demo");
    let mut first = pods
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("watch")
        .boxed();
    match tokio::time::timeout(Duration::from_secs(5), first.next())
        .await
        .expect("an event")
    {
        Some(Err(Error::Api(s))) => assert_eq!(s.code, 410),
        Some(Ok(kube::api::WatchEvent::Error(s))) => assert_eq!(s.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }
    let started = tokio::time::Instant::now();
    let mut second = pods
        .watch(&kube::api::WatchParams::default(), "0")
        .await
        .expect("watch")
        .boxed();
    let mut n = 0;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), second.next())
        .await
        .expect("the stream ends")
    {
        e.expect("no error");
        n += 1;
    }
    assert_eq!(n, 2, "two ADDED for the two pods, then the stream closes");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "dropped after dropWatchesAfter, not before"
    );
}
