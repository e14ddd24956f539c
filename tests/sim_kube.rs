//! The simulator through a real kube::Client: in-process (the Router as the client's
//! service) and over loopback from a kubeconfig, as the dashboard will use it.

mod common;

use std::time::Duration;

use backstop::sim::Sim;
use common::{Served, eventually_async, fixture};
use futures::{AsyncBufReadExt, StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{
    Api, DeleteParams, DynamicObject, ListParams, LogParams, Patch, PatchParams, PostParams,
};
use kube::discovery::ApiResource;
use kube::runtime::watcher::{self, Event};
use kube::{Client, Error};
use serde_json::json;

fn mini() -> std::sync::Arc<Sim> {
    Sim::from_scenario(&fixture("mini.yaml")).expect("the mini fixture loads")
}

fn in_process(sim: &std::sync::Arc<Sim>) -> Client {
    Client::new(sim.router(), "demo")
}

fn backups_resource() -> ApiResource {
    ApiResource {
        group: "postgresql.cnpg.io".into(),
        version: "v1".into(),
        api_version: "postgresql.cnpg.io/v1".into(),
        kind: "Backup".into(),
        plural: "backups".into(),
    }
}

fn api_code<T: std::fmt::Debug>(r: Result<T, Error>) -> (u16, String) {
    match r {
        Err(Error::Api(s)) => (s.code, s.message),
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn lists_pods_by_label_and_gets_one() {
    let sim = mini();
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let web = pods
        .list(&ListParams::default().labels("app=web"))
        .await
        .expect("list by label");
    let names: Vec<_> = web
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    assert_eq!(names, ["web-0"]);
    assert!(
        web.metadata.resource_version.is_some(),
        "lists carry a resourceVersion"
    );
    let not_web = pods
        .list(&ListParams::default().labels("app!=web,cnpg.io/podRole"))
        .await
        .expect("list");
    assert_eq!(not_web.items.len(), 1);
    let pod = pods.get("pg-1").await.expect("get pg-1");
    assert_eq!(
        pod.spec
            .and_then(|s| s.init_containers)
            .map(|c| c[0].name.clone())
            .as_deref(),
        Some("plugin-barman-cloud")
    );
    let (code, msg) = api_code(pods.get("nope").await);
    assert_eq!((code, msg.as_str()), (404, "pods \"nope\" not found"));
}

#[tokio::test]
async fn pages_with_limit_and_continue() {
    let sim = mini();
    let cms: Api<ConfigMap> = Api::namespaced(in_process(&sim), "demo");
    for i in 0..1200 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("cm-{i:04}")}}))
                .expect("configmap");
        cms.create(&PostParams::default(), &cm)
            .await
            .expect("create");
    }
    let mut token: Option<String> = None;
    let mut names = Vec::new();
    let mut pages = 0;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = cms.list(&lp).await.expect("page");
        pages += 1;
        names.extend(page.items.into_iter().filter_map(|c| c.metadata.name));
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names.len(), 1200);
    names.dedup();
    assert_eq!(names.len(), 1200, "no object twice across pages");
}

#[tokio::test]
async fn creates_with_generate_name_and_refuses_duplicates() {
    let sim = mini();
    let backups: Api<DynamicObject> =
        Api::namespaced_with(in_process(&sim), "demo", &backups_resource());
    let mut b = DynamicObject::new("", &backups_resource()).within("demo");
    b.metadata.name = None;
    b.metadata.generate_name = Some("pg-manual-".into());
    b.data = json!({"spec": {"cluster": {"name": "pg"}, "method": "plugin"}, "status": {"phase": "completed"}});
    let created = backups
        .create(&PostParams::default(), &b)
        .await
        .expect("create with generateName");
    let name = created.metadata.name.clone().expect("a generated name");
    assert!(
        name.starts_with("pg-manual-") && name.len() == "pg-manual-".len() + 5,
        "{name}"
    );
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    assert!(
        created.data.get("status").is_none(),
        "status is not writable through create on a kind with a status subresource"
    );
    let mut dup = created.clone();
    dup.metadata.resource_version = None;
    let (code, msg) = api_code(backups.create(&PostParams::default(), &dup).await);
    assert_eq!(code, 409);
    assert_eq!(
        msg,
        format!("backups.postgresql.cnpg.io \"{name}\" already exists")
    );
}

#[tokio::test]
async fn every_patch_type() {
    let sim = mini();
    let client = in_process(&sim);
    let backups: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "demo", &backups_resource());
    let pods: Api<Pod> = Api::namespaced(client, "demo");

    let merged = backups
        .patch(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"team": "db"}}})),
        )
        .await
        .expect("merge patch");
    assert_eq!(
        merged
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("team"))
            .map(String::as_str),
        Some("db")
    );

    let ops: json_patch::Patch = serde_json::from_value(
        json!([{"op": "add", "path": "/metadata/annotations", "value": {"a": "1"}}]),
    )
    .expect("ops");
    let jp = backups
        .patch(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Json::<()>(ops),
        )
        .await
        .expect("json patch");
    assert_eq!(
        jp.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("a"))
            .map(String::as_str),
        Some("1")
    );

    let applied = backups
        .patch(
            "pg-backup-1",
            &PatchParams::apply("backstop-test").force(),
            &Patch::Apply(json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "metadata": {"labels": {"applied": "yes"}}})),
        )
        .await
        .expect("apply patch");
    assert_eq!(
        applied
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("applied"))
            .map(String::as_str),
        Some("yes")
    );
    let managers: Vec<_> = applied
        .metadata
        .managed_fields
        .unwrap_or_default()
        .into_iter()
        .filter_map(|m| m.manager)
        .collect();
    assert!(
        managers.iter().any(|m| m == "backstop-test"),
        "apply records its field manager: {managers:?}"
    );

    let (code, _) = api_code(
        backups
            .patch(
                "pg-backup-1",
                &PatchParams::default(),
                &Patch::Strategic(json!({"metadata": {"labels": {"s": "1"}}})),
            )
            .await,
    );
    assert_eq!(code, 415, "strategic merge is refused for custom resources");
    let pod = pods
        .patch(
            "web-0",
            &PatchParams::default(),
            &Patch::Strategic(json!({"metadata": {"labels": {"s": "1"}}})),
        )
        .await
        .expect("strategic merge on a built-in kind");
    assert_eq!(
        pod.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("s"))
            .map(String::as_str),
        Some("1")
    );

    // The status subresource changes status only; the main resource leaves status alone.
    let status = backups
        .patch_status(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "failed"}, "spec": {"method": "x"}})),
        )
        .await
        .expect("status patch");
    assert_eq!(status.data.pointer("/status/phase"), Some(&json!("failed")));
    assert_eq!(status.data.pointer("/spec/method"), Some(&json!("plugin")));
    let main = backups
        .patch(
            "pg-backup-1",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"phase": "completed"}})),
        )
        .await
        .expect("main patch");
    assert_eq!(main.data.pointer("/status/phase"), Some(&json!("failed")));
}

#[tokio::test]
async fn deletes_and_forgets() {
    let sim = mini();
    let backups: Api<DynamicObject> =
        Api::namespaced_with(in_process(&sim), "demo", &backups_resource());
    let deleted = backups
        .delete("pg-backup-1", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(deleted.left().is_some(), "the deleted object comes back");
    let (code, _) = api_code(backups.get("pg-backup-1").await);
    assert_eq!(code, 404);
}

#[tokio::test]
async fn logs_tail_pick_containers_and_follow() {
    let sim = mini();
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let tail = pods
        .logs(
            "web-0",
            &LogParams {
                tail_lines: Some(2),
                ..Default::default()
            },
        )
        .await
        .expect("logs");
    assert_eq!(tail, "ready to serve\nGET / 200\n");
    let (code, msg) = api_code(pods.logs("pg-1", &LogParams::default()).await);
    assert_eq!(code, 400);
    assert!(
        msg.starts_with(
            "a container name must be specified for pod pg-1, choose one of: [postgres exporter]"
        ),
        "{msg}"
    );

    let params = LogParams {
        container: Some("plugin-barman-cloud".into()),
        follow: true,
        tail_lines: Some(1),
        ..Default::default()
    };
    let stream = pods.log_stream("pg-1", &params).await.expect("follow");
    let mut lines = stream.lines();
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.len() < 4 {
        let line = tokio::time::timeout_at(deadline, lines.try_next())
            .await
            .expect("lines keep coming")
            .expect("read")
            .expect("open");
        seen.push(line);
    }
    // The generator has not produced a line yet, so the tail is the last fixed line; the
    // rest arrive while following.
    assert!(seen[0].contains("sidecar started"), "{seen:?}");
    assert!(
        seen[1..].iter().all(|l| l.contains("Archived WAL file")),
        "{seen:?}"
    );
    assert_ne!(seen[1], seen[3]);
}

#[tokio::test]
async fn reflector_stays_consistent_across_a_forced_410() {
    let sim = mini();
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let (reader, writer) = kube::runtime::reflector::store::<Pod>();
    let (events_tx, mut events_rx) = tokio::sync::mpsc::unbounded_channel();
    let stream = kube::runtime::reflector(
        writer,
        watcher::watcher(pods.clone(), watcher::Config::default()),
    );
    let task = tokio::spawn(stream.for_each(move |e| {
        let label = match &e {
            Ok(Event::Init) => "init",
            Ok(Event::InitDone) => "init-done",
            Ok(Event::Apply(_)) => "apply",
            Ok(Event::Delete(_)) => "delete",
            Ok(Event::InitApply(_)) => "init-apply",
            Err(_) => "error",
        };
        let _ = events_tx.send(label);
        futures::future::ready(())
    }));
    tokio::time::timeout(Duration::from_secs(10), reader.wait_until_ready())
        .await
        .expect("store ready")
        .expect("ready");
    assert_eq!(reader.state().len(), 2);

    let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "new-1"}, "spec": {"containers": [{"name": "c", "image": "x"}]}})).expect("pod");
    pods.create(&PostParams::default(), &pod)
        .await
        .expect("create");
    let r = reader.clone();
    eventually_async("the new pod in the store", Duration::from_secs(10), || {
        let r = r.clone();
        async move { (r.state().len() == 3).then_some(()) }
    })
    .await;
    while events_rx.try_recv().is_ok() {}

    sim.store.compact();
    let mut after = Vec::new();
    eventually_async("a relist after the 410", Duration::from_secs(10), || {
        while let Ok(e) = events_rx.try_recv() {
            after.push(e);
        }
        let done = after.contains(&"init") && after.contains(&"init-done");
        async move { done.then_some(()) }
    })
    .await;
    pods.delete("new-1", &DeleteParams::default())
        .await
        .expect("delete");
    let r = reader.clone();
    eventually_async(
        "the delete seen after the relist",
        Duration::from_secs(10),
        || {
            let r = r.clone();
            async move { (r.state().len() == 2).then_some(()) }
        },
    )
    .await;
    task.abort();
}

#[tokio::test]
async fn streaming_list_watch_ends_its_initial_events_with_a_bookmark() {
    let sim = mini();
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let mut events = watcher::watcher(pods, watcher::Config::default().streaming_lists()).boxed();
    let mut seen = Vec::new();
    while let Some(e) = tokio::time::timeout(Duration::from_secs(10), events.next())
        .await
        .expect("events")
    {
        match e.expect("no error") {
            Event::InitApply(p) => seen.push(p.metadata.name.unwrap_or_default()),
            Event::InitDone => break,
            _ => {}
        }
    }
    seen.sort();
    assert_eq!(seen, ["pg-1", "web-0"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_loopback_a_watch_sees_the_timeline() {
    let served = tokio::task::spawn_blocking(|| Served::with(mini()))
        .await
        .expect("served");
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(&served.kubeconfig).expect("kubeconfig reads"),
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .expect("config");
    let client = Client::try_from(config).expect("client");
    let version = client.apiserver_version().await.expect("/version");
    assert_eq!(version.major, "1");
    let backups: Api<DynamicObject> = Api::all_with(client, &backups_resource());
    let writer = kube::runtime::reflector::store::Writer::new(backups_resource());
    let reader = writer.as_reader();
    let task = tokio::spawn(
        kube::runtime::reflector(
            writer,
            watcher::watcher(backups, watcher::Config::default()),
        )
        .for_each(|_| futures::future::ready(())),
    );
    // The mini timeline applies a Backup named pg-<stamp> 1.5 s after the start.
    let r = reader.clone();
    eventually_async("the timeline's backup", Duration::from_secs(15), || {
        let r = r.clone();
        async move {
            r.state()
                .iter()
                .any(|b| {
                    b.metadata
                        .name
                        .as_deref()
                        .is_some_and(|n| n.starts_with("pg-2"))
                })
                .then_some(())
        }
    })
    .await;
    task.abort();
    tokio::task::spawn_blocking(move || drop(served))
        .await
        .expect("stopped");
}

#[tokio::test]
async fn watches_send_bookmarks_and_honour_timeout_seconds() {
    let sim = mini();
    sim.set_bookmark_interval(Duration::from_millis(200));
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let rv = pods
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    let started = tokio::time::Instant::now();
    let params = kube::api::WatchParams::default().timeout(1);
    let mut stream = pods.watch(&params, &rv).await.expect("watch").boxed();
    let mut bookmarks = 0;
    while let Some(e) = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("ends by itself")
    {
        if let kube::api::WatchEvent::Bookmark(b) = e.expect("event") {
            assert!(!b.metadata.resource_version.is_empty());
            bookmarks += 1;
        }
    }
    let took = started.elapsed();
    assert!(
        bookmarks >= 3,
        "{bookmarks} bookmarks in a second at 200 ms"
    );
    assert!(
        (Duration::from_millis(900)..Duration::from_secs(3)).contains(&took),
        "closed after timeoutSeconds=1, took {took:?}"
    );
}

#[tokio::test]
async fn a_watch_resumes_from_a_resource_version_and_follows_its_selector() {
    let sim = mini();
    let pods: Api<Pod> = Api::namespaced(in_process(&sim), "demo");
    let rv = pods
        .list(&ListParams::default())
        .await
        .expect("list")
        .metadata
        .resource_version
        .expect("rv");
    // Changes after the list: one pod leaves the selector, another joins it.
    pods.patch(
        "web-0",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "gone"}}})),
    )
    .await
    .expect("patch");
    pods.patch(
        "pg-1",
        &PatchParams::default(),
        &Patch::Merge(json!({"metadata": {"labels": {"app": "web"}}})),
    )
    .await
    .expect("patch");
    let params = kube::api::WatchParams::default()
        .labels("app=web")
        .timeout(1)
        .disable_bookmarks();
    let mut stream = pods.watch(&params, &rv).await.expect("watch").boxed();
    let mut seen = Vec::new();
    while let Some(e) = stream.next().await {
        match e.expect("event") {
            kube::api::WatchEvent::Added(p) => {
                seen.push(format!("ADDED {}", p.metadata.name.unwrap_or_default()))
            }
            kube::api::WatchEvent::Modified(p) => {
                seen.push(format!("MODIFIED {}", p.metadata.name.unwrap_or_default()))
            }
            kube::api::WatchEvent::Deleted(p) => {
                seen.push(format!("DELETED {}", p.metadata.name.unwrap_or_default()))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(
        seen,
        ["DELETED web-0", "ADDED pg-1"],
        "replayed from the resourceVersion, as seen through the selector"
    );
}
