//! The simulated Kubernetes API server: the demo, the training room and our test cluster.
//! One axum Router over an in-memory store; kubectl and kube-rs cannot tell it from a small
//! real cluster for everything backstop does.

pub mod api;
pub mod archiver;
pub mod controllers;
pub mod discovery;
pub mod faults;
pub mod logs;
pub mod migration;
pub mod patch;
pub mod recovery;
pub mod registry;
pub mod scenario;
pub mod schema;
pub mod seed;
pub mod selectors;
pub mod status;
pub mod store;
pub mod table;
pub mod timeline;
pub mod watch;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use self::faults::Faults;
use self::logs::{Generator, LogSource, Logs};
use self::registry::{is_builtin_group, split_api_version};
use self::scenario::Scenario;
use self::store::{Store, WriteOpts};

/// CRDs of the kinds backstop knows, as upstream ships them (printer columns included).
/// A scenario with objects of these kinds but without their CRD gets them.
const KNOWN_CRDS: &[&str] = &[
    include_str!("crds/postgresql.cnpg.io_clusters.yaml"),
    include_str!("crds/postgresql.cnpg.io_backups.yaml"),
    include_str!("crds/postgresql.cnpg.io_scheduledbackups.yaml"),
    include_str!("crds/barmancloud.cnpg.io_objectstores.yaml"),
    include_str!("crds/kustomize.toolkit.fluxcd.io_kustomizations.yaml"),
    include_str!("crds/source.toolkit.fluxcd.io_gitrepositories.yaml"),
    include_str!("crds/source.toolkit.fluxcd.io_helmrepositories.yaml"),
    include_str!("crds/source.toolkit.fluxcd.io_ocirepositories.yaml"),
    include_str!("crds/helm.toolkit.fluxcd.io_helmreleases.yaml"),
    include_str!("crds/cert-manager.io_certificates.yaml"),
    include_str!("crds/cert-manager.io_issuers.yaml"),
    include_str!("crds/monitoring.coreos.com_prometheusrules.yaml"),
    include_str!("crds/monitoring.coreos.com_podmonitors.yaml"),
    include_str!("crds/monitoring.coreos.com_servicemonitors.yaml"),
];

/// The known CRD for (group, kind), parsed.
pub fn known_crd(group: &str, kind: &str) -> Option<Value> {
    KNOWN_CRDS
        .iter()
        .filter_map(|text| serde_yaml::from_str::<Value>(text).ok())
        .find(|crd| {
            crd.pointer("/spec/group").and_then(Value::as_str) == Some(group)
                && crd.pointer("/spec/names/kind").and_then(Value::as_str) == Some(kind)
        })
}

#[derive(Debug, Clone)]
pub struct ScenarioInfo {
    pub name: String,
    pub description: String,
    pub expect: Vec<String>,
    /// Objects the scenario itself holds (the simulator adds namespaces of its own).
    pub objects: usize,
}

pub struct Sim {
    pub store: Arc<Store>,
    pub logs: Logs,
    pub faults: Faults,
    /// What the instance pods answer through `pods/proxy` (and their node's kubelet).
    pub archivers: archiver::Archivers,
    /// The simulated CloudNativePG's recoveries (`spec.bootstrap.recovery`).
    pub recovery: Arc<recovery::Recovery>,
    pub info: ScenarioInfo,
    pub requests: AtomicU64,
    /// The latest writes (anything but GET), for tests that assert what a client sent.
    pub writes: std::sync::Mutex<std::collections::VecDeque<Write>>,
    /// Milliseconds between periodic watch bookmarks (15 s, as a busy apiserver sends them).
    bookmark_ms: AtomicU64,
    timeline: Vec<scenario::TimelineEntry>,
}

/// A write request as received.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub content_type: String,
    pub body: String,
}

/// A CRD derived from a kind that nothing defines (from a dump).
fn derived_crd(group: &str, version: &str, kind: &str, namespaced: bool) -> Value {
    let plural = registry::plural_of(kind);
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}"), "annotations": {"backstop.dev/derived": "true"}},
        "spec": {"group": group, "scope": if namespaced { "Namespaced" } else { "Cluster" },
                 "names": {"kind": kind, "listKind": format!("{kind}List"), "plural": plural, "singular": kind.to_ascii_lowercase()},
                 "versions": [{"name": version, "served": true, "storage": true, "subresources": {"status": {}},
                               "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]},
        "status": {"conditions": [{"type": "Established", "status": "True", "reason": "InitialNamesAccepted"}],
                   "acceptedNames": {"kind": kind, "plural": plural}, "storedVersions": [version]},
    })
}

impl Sim {
    /// Builds the cluster a scenario describes. Errors name the object that could not load.
    pub fn new(sc: &Scenario) -> anyhow::Result<Arc<Sim>> {
        let store = Arc::new(Store::new());
        let internal = WriteOpts::internal();
        let crd_type = store
            .read()
            .registry
            .by_kind("apiextensions.k8s.io", "CustomResourceDefinition")
            .cloned()
            .context("CRDs are always served")?;

        // Kinds first: the scenario's CRDs, then known CRDs for kinds it uses without one,
        // then derived ones for anything else.
        let (crds, objects): (Vec<&Value>, Vec<&Value>) = sc.objects.iter().partition(|o| {
            o.get("kind").and_then(Value::as_str) == Some("CustomResourceDefinition")
        });
        for crd in crds {
            store
                .create(&crd_type, crd.clone(), &internal)
                .with_context(|| format!("loading {}", describe(crd)))?;
        }
        let mut kinds: BTreeMap<(String, String), (String, bool)> = BTreeMap::new();
        for o in &objects {
            let av = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let (group, version) = split_api_version(av);
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            let namespaced = o.pointer("/metadata/namespace").is_some();
            let e = kinds
                .entry((group.to_string(), kind.to_string()))
                .or_insert((version.to_string(), namespaced));
            e.1 |= namespaced;
        }
        for ((group, kind), (version, namespaced)) in &kinds {
            if store.read().registry.by_kind(group, kind).is_some() {
                continue;
            }
            if is_builtin_group(group) {
                tracing::info!(%group, %kind, "serving a built-in kind the simulator has no entry for, derived from its objects");
                store.register(registry::derived_builtin(group, version, kind, *namespaced));
                continue;
            }
            let crd = match known_crd(group, kind) {
                Some(crd) => crd,
                None => {
                    tracing::info!(%group, %kind, plural = %registry::plural_of(kind), namespaced, "no CustomResourceDefinition for this kind in the scenario: derived one from the kind");
                    derived_crd(group, version, kind, *namespaced)
                }
            };
            store
                .create(&crd_type, crd, &internal)
                .with_context(|| format!("defining the kind {kind} ({group})"))?;
        }

        // Namespaces the objects live in, when the scenario lacks them.
        let ns_type = store
            .read()
            .registry
            .by_kind("", "Namespace")
            .cloned()
            .context("namespaces are always served")?;
        let declared: BTreeSet<String> = objects
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
            .filter_map(|o| {
                o.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        let mut wanted: BTreeSet<String> = objects
            .iter()
            .filter_map(|o| {
                o.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        wanted.insert("default".into());
        wanted.insert("kube-system".into());
        for ns in wanted.difference(&declared) {
            store.create(
                &ns_type,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
                &internal,
            )?;
        }

        for o in objects {
            let av = o.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let (group, version) = split_api_version(av);
            let kind = o.get("kind").and_then(Value::as_str).unwrap_or("");
            let t = store
                .read()
                .registry
                .by_kind(group, kind)
                .cloned()
                .with_context(|| format!("no served kind for {}", describe(o)))?;
            let mut obj = o.clone();
            if version != t.version {
                tracing::info!(object = %describe(o), served = %t.api_version(), "object of another version of its kind: served as the served version");
                obj["apiVersion"] = json!(t.api_version());
            }
            store
                .create(&t, obj, &internal)
                .map_err(|e| anyhow::anyhow!("loading {}: {}", describe(o), e.message))?;
        }

        let now = Utc::now();
        let mut logs = Logs::default();
        for spec in &sc.logs {
            let (ns, pod) = spec
                .pod
                .split_once('/')
                .unwrap_or(("default", spec.pod.as_str()));
            let stamp =
                |lines: &[String]| -> Vec<(DateTime<Utc>, String)> { stamp_lines(lines, now) };
            logs.insert(
                (ns.to_string(), pod.to_string(), spec.container.clone()),
                LogSource {
                    lines: stamp(&spec.lines),
                    previous: stamp(&spec.previous),
                    generate: spec.generate.as_ref().map(|g| Generator {
                        per_second: g.per_second,
                        lines: g.lines.clone(),
                        start: now,
                    }),
                },
            );
        }
        let f = &sc.faults;
        let faults = Faults::new(
            f.latency,
            f.errors.clone(),
            f.drop_watches_after,
            f.forbidden.clone(),
            f.expire_next_watch,
        );
        let recovery = recovery::Recovery::new(
            &sc.recovery,
            sc.archivers.clone(),
            sc.now,
            logs.live.clone(),
        );
        Ok(Arc::new(Sim {
            store,
            logs,
            recovery,
            faults,
            archivers: archiver::Archivers::new(sc.archivers.clone(), sc.now),
            info: ScenarioInfo {
                name: sc.name.clone(),
                description: sc.description.clone(),
                expect: sc.expect.clone(),
                objects: sc.objects.len(),
            },
            requests: AtomicU64::new(0),
            writes: Default::default(),
            bookmark_ms: AtomicU64::new(15_000),
            timeline: sc.timeline.clone(),
        }))
    }

    /// Loads a built-in scenario by name, or a file or folder.
    pub fn from_scenario(spec: &str) -> anyhow::Result<Arc<Sim>> {
        let sc = scenario::load(spec, Utc::now())?;
        Sim::new(&sc)
            .with_context(|| format!("building the simulated cluster of scenario '{}'", sc.name))
    }

    pub fn bookmark_interval(&self) -> Duration {
        Duration::from_millis(self.bookmark_ms.load(Ordering::Relaxed).max(1))
    }

    /// Tests shorten the bookmark period to see several without waiting.
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.bookmark_ms.store(
            every.as_millis().try_into().unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    pub fn router(self: &Arc<Self>) -> axum::Router {
        api::router(self.clone())
    }

    /// Starts the timeline and the simulated controllers; they run until the returned
    /// handle is aborted or the runtime ends.
    pub fn start_timeline(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let (store, entries) = (self.store.clone(), self.timeline.clone());
        let recovery = self.recovery.clone();
        let live = self.logs.live.clone();
        tokio::spawn(async move {
            tokio::join!(
                timeline::run(store.clone(), entries),
                migration::run(store.clone(), live),
                controllers::run_with(store, Some(recovery))
            );
        })
    }

    /// The writes received so far (at most the latest 256), oldest first.
    pub fn writes(&self) -> Vec<Write> {
        self.writes
            .lock()
            .map(|w| w.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Serves on `listener` until `shutdown` resolves, with the timeline running.
    /// Open watches and followed logs never end by themselves, so after the signal they get
    /// two seconds to finish and are then cut.
    pub async fn serve(
        self: Arc<Self>,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let timeline = self.start_timeline();
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(listener, self.router()).with_graceful_shutdown(async move {
            shutdown.await;
            let _ = stopping_tx.send(());
        });
        let grace = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(Duration::from_secs(2)).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let result = tokio::select! {
            r = server.into_future() => r.context("serving the simulated API"),
            _ = grace => Ok(()),
        };
        timeline.abort();
        result
    }
}

/// Timestamps for fixed log lines: a leading RFC3339 time is used, lines without one are
/// spread over the ten minutes before `now`.
fn stamp_lines(lines: &[String], now: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    let n = lines.len().max(1) as i64;
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            if let Some((ts, rest)) = line.split_once(' ')
                && let Ok(t) = DateTime::parse_from_rfc3339(ts)
            {
                return (t.with_timezone(&Utc), rest.to_string());
            }
            (
                now - chrono::Duration::seconds(600 * (n - i as i64) / n),
                line.clone(),
            )
        })
        .collect()
}

fn describe(o: &Value) -> String {
    let s = |p: &str| o.pointer(p).and_then(Value::as_str).unwrap_or("?");
    match o.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) => format!("{} {ns}/{}", s("/kind"), s("/metadata/name")),
        None => format!("{} {}", s("/kind"), s("/metadata/name")),
    }
}

/// A kubeconfig that points kubectl (and backstop) at a simulator.
/// One kubeconfig with a context (and cluster and user of the same name) per simulated
/// cluster, the first one current: how a fleet of simulators is reached.
pub fn kubeconfig_many(sites: &[(String, SocketAddr)]) -> String {
    let mut clusters = String::new();
    let mut contexts = String::new();
    let mut users = String::new();
    for (name, addr) in sites {
        clusters.push_str(&format!(
            "- name: {name}\n  cluster:\n    server: http://{addr}\n"
        ));
        contexts.push_str(&format!(
            "- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\n"
        ));
        users.push_str(&format!(
            "- name: {name}\n  user:\n    token: backstop-sim\n"
        ));
    }
    let current = sites.first().map(|(n, _)| n.as_str()).unwrap_or("");
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n{clusters}contexts:\n{contexts}current-context: {current}\nusers:\n{users}preferences: {{}}\n"
    )
}

pub fn kubeconfig(addr: SocketAddr, context: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: {context}\n  cluster:\n    server: http://{addr}\ncontexts:\n- name: {context}\n  context:\n    cluster: {context}\n    user: {context}\n    namespace: default\ncurrent-context: {context}\nusers:\n- name: {context}\n  user:\n    token: backstop-sim\npreferences: {{}}\n"
    )
}
