//! Each safe action against the simulator: the exact requests kubectl or flux would send
//! (method, content type, body), followed to their outcome; refusals and 403s verbatim.

mod common;

use std::sync::Arc;

use backstop::actions::exec::{self, Progress};
use backstop::actions::{Plan, Verb, plan};
use backstop::checks::{Reach, collect};
use backstop::model::{Kind, ObjectRef};
use backstop::sim::{Sim, Write, scenario};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

fn at() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T06:00:00.123456789Z")
        .expect("time")
        .with_timezone(&Utc)
}

struct Cluster {
    sim: Arc<Sim>,
    client: kube::Client,
    _controllers: tokio::task::JoinHandle<()>,
}

fn start(spec: &str) -> Cluster {
    let sc = scenario::load(spec, Utc::now()).expect("scenario loads");
    let sim = Sim::new(&sc).expect("sim");
    let controllers = sim.start_timeline();
    let client = kube::Client::new(sim.router(), "default");
    Cluster {
        sim,
        client,
        _controllers: controllers,
    }
}

impl Cluster {
    async fn plan(&self, verb: Verb, kind: &str, ns: &str, name: &str) -> Result<Plan, String> {
        let facts = collect(
            &self.client,
            None,
            Reach {
                logs: false,
                network: false,
                bucket: false,
                archiver: false,
            },
        )
        .await;
        plan(
            verb,
            &ObjectRef::new(
                Kind::from_name(kind).ok_or(format!("no kind {kind}"))?,
                ns,
                name,
            ),
            &facts.snapshot,
            &facts.deployments.rows,
            at(),
        )
    }

    /// Runs the plan to its end: the steps seen and the outcome.
    async fn run(&self, p: Plan) -> (Vec<String>, Result<String, String>) {
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        tokio::spawn(exec::run(self.client.clone(), p, tx));
        let mut steps = Vec::new();
        while let Some(p) = rx.recv().await {
            match p {
                Progress::Step(s) => steps.push(s),
                Progress::Done(outcome) => return (steps, outcome),
            }
        }
        panic!("the action ended without an outcome: {steps:?}");
    }

    fn writes(&self) -> Vec<Write> {
        self.sim
            .writes()
            .into_iter()
            .filter(|w| !w.uri.contains("selfsubjectaccessreviews"))
            .collect()
    }
}

fn body(w: &Write) -> Value {
    serde_json::from_str(&w.body).expect("a JSON body")
}

#[tokio::test]
async fn reconcile_with_source_annotates_the_source_then_the_kustomization_and_waits() {
    let c = start("healthy");
    let p = c
        .plan(
            Verb::ReconcileWithSource,
            "Kustomization",
            "flux-system",
            "apps-postgresql",
        )
        .await
        .expect("plans");
    assert_eq!(
        p.commands[0],
        "flux reconcile kustomization apps-postgresql -n flux-system --with-source"
    );
    exec::allowed(&c.client, &p).await.expect("allowed");
    let (steps, outcome) = c.run(p).await;
    let outcome = outcome.expect("reconciled");
    assert!(
        outcome.starts_with("Ready=True ReconciliationSucceeded"),
        "{outcome}"
    );
    assert!(
        steps
            .iter()
            .any(|s| s.contains("waiting for the controller")),
        "{steps:?}"
    );
    let writes = c.writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    let want = json!({"metadata": {"annotations": {"reconcile.fluxcd.io/requestedAt": "2026-11-24T06:00:00.123456789Z"}}});
    for (w, path) in writes.iter().zip([
        "/apis/source.toolkit.fluxcd.io/v1/namespaces/flux-system/gitrepositories/flux-system?",
        "/apis/kustomize.toolkit.fluxcd.io/v1/namespaces/flux-system/kustomizations/apps-postgresql?",
    ]) {
        assert_eq!(w.method, "PATCH");
        assert!(w.uri.starts_with(path), "{}", w.uri);
        assert_eq!(w.content_type, "application/merge-patch+json");
        assert_eq!(body(w), want);
    }
}

#[tokio::test]
async fn suspend_then_resume_is_a_merge_patch_of_spec_suspend() {
    let c = start("healthy");
    for to in [true, false] {
        let p = c
            .plan(
                Verb::ToggleSuspend,
                "Kustomization",
                "flux-system",
                "apps-postgresql",
            )
            .await
            .expect("plans");
        let word = if to { "suspend" } else { "resume" };
        assert_eq!(
            p.commands[0],
            format!("flux {word} kustomization apps-postgresql -n flux-system")
        );
        c.run(p).await.1.expect("patched");
        let w = c.writes().pop().expect("a write");
        assert_eq!(w.content_type, "application/merge-patch+json");
        assert_eq!(body(&w), json!({"spec": {"suspend": to}}));
    }
    // Suspended, a reconcile is refused as flux refuses it.
    let p = c
        .plan(
            Verb::ToggleSuspend,
            "Kustomization",
            "flux-system",
            "apps-postgresql",
        )
        .await
        .expect("plans");
    c.run(p).await.1.expect("suspended");
    let refused = c
        .plan(
            Verb::Reconcile,
            "Kustomization",
            "flux-system",
            "apps-postgresql",
        )
        .await
        .expect_err("a suspended object is not reconciled");
    assert!(refused.contains("is suspended"), "{refused}");
}

#[tokio::test]
async fn restart_patches_the_plugin_deployments_pod_template_like_kubectl() {
    let c = start("healthy");
    let facts = collect(
        &c.client,
        None,
        Reach {
            logs: false,
            network: false,
            bucket: false,
            archiver: false,
        },
    )
    .await;
    let pod = facts
        .snapshot
        .pods
        .rows
        .iter()
        .find(|p| p.labels.get("app").map(String::as_str) == Some("barman-cloud"))
        .expect("a plugin pod")
        .clone();
    let p = c
        .plan(Verb::Restart, "Pod", &pod.namespace, &pod.name)
        .await
        .expect("plans");
    assert_eq!(
        p.commands[0],
        "kubectl -n cnpg-system rollout restart deployment/barman-cloud"
    );
    let outcome = c.run(p).await.1.expect("restarted");
    assert!(outcome.contains("restarted"), "{outcome}");
    let w = c.writes().pop().expect("a write");
    assert_eq!(w.method, "PATCH");
    assert!(
        w.uri
            .starts_with("/apis/apps/v1/namespaces/cnpg-system/deployments/barman-cloud?")
    );
    assert_eq!(w.content_type, "application/strategic-merge-patch+json");
    assert_eq!(
        body(&w),
        json!({"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-24T06:00:00Z"}}}}})
    );
}

#[tokio::test]
async fn backup_now_creates_a_plugin_backup_and_follows_it_to_the_end() {
    let c = start("healthy");
    let p = c
        .plan(Verb::BackupNow, "Cluster", "orders", "pg-orders")
        .await
        .expect("plans");
    assert_eq!(
        p.commands[0],
        "kubectl cnpg backup pg-orders -n orders --backup-name pg-orders-20261124060000 --method plugin --plugin-name barman-cloud.cloudnative-pg.io"
    );
    let (steps, outcome) = c.run(p).await;
    assert!(outcome.expect("completed").contains("completed"));
    assert!(steps.iter().any(|s| s.ends_with(": started")), "{steps:?}");
    let w = c.writes().pop().expect("a write");
    assert_eq!(w.method, "POST");
    assert!(
        w.uri
            .starts_with("/apis/postgresql.cnpg.io/v1/namespaces/orders/backups?")
    );
    assert_eq!(w.content_type, "application/json");
    let b = body(&w);
    assert_eq!(b["metadata"]["name"], "pg-orders-20261124060000");
    assert_eq!(
        b["spec"],
        json!({"cluster": {"name": "pg-orders"}, "method": "plugin", "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}})
    );
}

#[tokio::test]
async fn a_backup_while_the_plugin_is_down_is_never_picked_up() {
    // With the operator-side plugin down, CNPG's backup controller cannot load the plugins and
    // retries: the Backup keeps an empty phase. It is never failed for it.
    let c = start("plugin-crashloop-oom");
    let facts = collect(
        &c.client,
        None,
        Reach {
            logs: false,
            network: false,
            bucket: false,
            archiver: false,
        },
    )
    .await;
    let cluster = facts
        .snapshot
        .clusters
        .rows
        .iter()
        .find(|c| c.plugin.as_ref().is_some_and(|p| p.enabled))
        .expect("a plugin cluster")
        .clone();
    let p = c
        .plan(
            Verb::BackupNow,
            "Cluster",
            &cluster.namespace,
            &cluster.name,
        )
        .await
        .expect("plans");
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(exec::run(c.client.clone(), p, tx));
    let mut steps = Vec::new();
    while let Some(Progress::Step(s)) = rx.recv().await {
        let pending = s.starts_with("Backup ") && s.ends_with(": pending");
        steps.push(s);
        if pending {
            break;
        }
    }
    // The simulated operator takes 1.6 s to run a Backup to its end when the plugin is up; three
    // seconds without a further step shows the Backup stays without a phase.
    let next = tokio::time::timeout(std::time::Duration::from_secs(3), rx.recv()).await;
    assert!(
        next.is_err(),
        "the Backup moved on: {steps:?} then {:?}",
        next.ok().flatten().map(|p| match p {
            Progress::Step(s) => s,
            Progress::Done(o) => format!("{o:?}"),
        })
    );
    let created: Vec<Value> = c
        .writes()
        .iter()
        .filter(|w| w.method == "POST" && w.uri.contains("/backups"))
        .map(body)
        .collect();
    assert_eq!(created.len(), 1, "{steps:?}");
    let name = created[0]["metadata"]["name"].as_str().expect("a name");
    let gvk = kube::api::GroupVersionKind::gvk("postgresql.cnpg.io", "v1", "Backup");
    let backups: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        c.client.clone(),
        &cluster.namespace,
        &kube::api::ApiResource::from_gvk(&gvk),
    );
    let backup = backups.get(name).await.expect("the Backup exists");
    assert_eq!(
        backup.data.pointer("/status/phase"),
        None,
        "{:?}",
        backup.data
    );
}

#[tokio::test]
async fn a_scheduled_backup_suspends_by_merge_patch() {
    let c = start("healthy");
    let p = c
        .plan(
            Verb::ToggleSuspend,
            "ScheduledBackup",
            "orders",
            "pg-orders-daily",
        )
        .await
        .expect("plans");
    c.run(p).await.1.expect("patched");
    let w = c.writes().pop().expect("a write");
    assert!(w.uri.starts_with(
        "/apis/postgresql.cnpg.io/v1/namespaces/orders/scheduledbackups/pg-orders-daily?"
    ));
    assert_eq!(body(&w), json!({"spec": {"suspend": true}}));
}

#[tokio::test]
async fn a_forbidden_action_is_refused_before_and_reported_verbatim_after() {
    let c = start(&common::fixture("no-flux-writes.yaml"));
    let p = c
        .plan(
            Verb::Reconcile,
            "Kustomization",
            "flux-system",
            "apps-postgresql",
        )
        .await
        .expect("plans");
    let denied = exec::allowed(&c.client, &p).await.expect_err("denied");
    assert!(
        denied.starts_with(
            "you may not patch kustomizations.kustomize.toolkit.fluxcd.io in namespace flux-system"
        ),
        "{denied}"
    );
    // Sent anyway (as if the review had said yes), the API server's 403 comes back whole.
    let e = c.run(p).await.1.expect_err("forbidden");
    assert!(
        e.contains(
            "cannot patch resource \"kustomizations\" in API group \"kustomize.toolkit.fluxcd.io\""
        ) && e.ends_with("(403)"),
        "{e}"
    );
}
