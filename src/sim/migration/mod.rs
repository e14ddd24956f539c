//! The simulated CloudNativePG and Barman Cloud plugin as a migration meets them: a Cluster
//! whose spec gains (or loses) the plugin's WAL-archiver entry has its instance pods rolled,
//! replicas first and the primary last, with (or without) the plugin's sidecar. The plugin's
//! Pre hook requeues while the Cluster's ObjectStore does not exist, which stops the
//! operator's reconciliation: nothing rolls until the store is there.

pub mod pods;
mod schedule;
pub mod webhook;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::logs::LiveLogs;
use super::store::{ChangeType, Part, Store, WriteOpts, now_rfc3339};

pub const PLUGIN: &str = "barman-cloud.cloudnative-pg.io";
const STEP: Duration = Duration::from_millis(300);
/// How often the operator retries a Cluster its Pre hook requeued, and for how long.
const REQUEUE: Duration = Duration::from_secs(1);
const MAX_REQUEUES: u32 = 3600;
const HEALTHY: &str = "Cluster in healthy state";

#[derive(Debug, Clone, PartialEq)]
enum Archiving {
    Plugin { store: String, server: String },
    Other,
}

fn s<'a>(v: &'a Value, p: &str) -> &'a str {
    v.pointer(p).and_then(Value::as_str).unwrap_or("")
}

fn wanted(cluster: &Value) -> Archiving {
    let entry = cluster
        .pointer("/spec/plugins")
        .and_then(Value::as_array)
        .and_then(|ps| {
            ps.iter().find(|p| {
                s(p, "/name") == PLUGIN && p.get("enabled").and_then(Value::as_bool) != Some(false)
            })
        });
    match entry {
        Some(p) => Archiving::Plugin {
            store: s(p, "/parameters/barmanObjectName").to_string(),
            server: match s(p, "/parameters/serverName") {
                "" => s(cluster, "/metadata/name").to_string(),
                n => n.to_string(),
            },
        },
        None => Archiving::Other,
    }
}

fn rtype(store: &Store, group: &str, plural: &str) -> Option<Arc<super::registry::ResourceType>> {
    store
        .read()
        .registry
        .get(&(group.to_string(), plural.to_string()))
        .cloned()
}

fn get(store: &Store, group: &str, plural: &str, ns: &str, name: &str) -> Option<Value> {
    let t = rtype(store, group, plural)?;
    store.get(&t, ns, name).ok().map(|v| (*v).clone())
}

fn instance_pods(store: &Store, ns: &str, cluster: &str) -> Vec<Value> {
    let Some(t) = rtype(store, "", "pods") else {
        return Vec::new();
    };
    let (all, _) = store.list(&t, Some(ns), &Default::default(), &Default::default());
    all.iter()
        .filter(|p| {
            s(p, "/metadata/labels/cnpg.io~1cluster") == cluster
                && s(p, "/metadata/labels/cnpg.io~1podRole") == "instance"
        })
        .map(|p| (**p).clone())
        .collect()
}

fn plugin_pod(store: &Store) -> Option<Value> {
    let t = rtype(store, "", "pods")?;
    let (all, _) = store.list(
        &t,
        Some("cnpg-system"),
        &Default::default(),
        &Default::default(),
    );
    all.iter()
        .find(|p| s(p, "/metadata/labels/app") == "barman-cloud")
        .map(|p| (**p).clone())
}

fn operator_pod(store: &Store) -> Option<Value> {
    let t = rtype(store, "", "pods")?;
    let (all, _) = store.list(
        &t,
        Some("cnpg-system"),
        &Default::default(),
        &Default::default(),
    );
    all.iter()
        .find(|p| s(p, "/metadata/labels/app.kubernetes.io~1name") == "cloudnative-pg")
        .map(|p| (**p).clone())
}

fn plugin_ready(pod: &Value) -> bool {
    pod.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| s(c, "/type") == "Ready" && s(c, "/status") == "True")
        })
}

/// The Cluster's status as its controller writes it: `f` edits the stored status.
fn edit_status(store: &Store, ns: &str, name: &str, f: impl FnOnce(&mut Value)) {
    let Some(t) = rtype(store, "postgresql.cnpg.io", "clusters") else {
        return;
    };
    let result = store.update(&t, ns, name, Part::Status, &WriteOpts::internal(), |old| {
        let mut new = old.clone();
        if !new.get("status").is_some_and(Value::is_object) {
            new["status"] = json!({});
        }
        f(&mut new["status"]);
        Ok(new)
    });
    if let Err(e) = result {
        tracing::debug!(ns, name, error = %e.message, "the simulated operator could not write a Cluster's status");
    }
}

fn set_condition(status: &mut Value, kind: &str, value: &str, reason: &str, message: &str) {
    let now = now_rfc3339(Utc::now());
    if !status.get("conditions").is_some_and(Value::is_array) {
        status["conditions"] = json!([]);
    }
    if let Some(conds) = status["conditions"].as_array_mut() {
        conds.retain(|c| s(c, "/type") != kind);
        conds.push(
            json!({"type": kind, "status": value, "reason": reason, "message": message,
                          "lastTransitionTime": now}),
        );
    }
}

/// Records a core/v1 Event about `obj`, as `component` would.
fn event(store: &Store, obj: &Value, kind: &str, reason: &str, message: &str, component: &str) {
    let Some(events) = rtype(store, "", "events") else {
        return;
    };
    let (ns, name) = (s(obj, "/metadata/namespace"), s(obj, "/metadata/name"));
    let now = Utc::now();
    let ts = now_rfc3339(now);
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": format!("{name}.{:x}{}", now.timestamp_nanos_opt().unwrap_or(0), store.random_suffix()),
                     "namespace": ns},
        "involvedObject": {"apiVersion": "postgresql.cnpg.io/v1", "kind": s(obj, "/kind"), "name": name,
                           "namespace": ns, "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)},
        "type": kind, "reason": reason, "message": message, "count": 1,
        "firstTimestamp": ts, "lastTimestamp": ts,
        "source": {"component": component}, "reportingComponent": component,
    });
    if let Err(e) = store.create(&events, event, &WriteOpts::internal()) {
        tracing::debug!(ns, name, error = %e.message, "a simulated controller could not record an event");
    }
}

fn jline(msg: &str, fields: &str) -> String {
    let ts = now_rfc3339(Utc::now());
    format!(r#"{{"level":"info","ts":"{ts}","msg":"{msg}"{fields}}}"#)
}

struct Migrations {
    logs: LiveLogs,
    tasks: Mutex<HashMap<(String, String), (Archiving, tokio::task::AbortHandle)>>,
}

impl Migrations {
    fn log(&self, pod: &Option<Value>, container: &str, line: String) {
        if let Some(p) = pod {
            let key = (
                s(p, "/metadata/namespace").to_string(),
                s(p, "/metadata/name").to_string(),
                container.to_string(),
            );
            self.logs.push(&key, Utc::now(), line);
        }
    }

    /// Acts on a change of what archives a Cluster's WAL only: a new Cluster, a recovery or
    /// a status write leaves the pods as they are.
    fn on_cluster(self: &Arc<Self>, store: &Arc<Store>, cluster: &Value, prev: Option<&Value>) {
        if prev.is_none_or(|p| wanted(p) == wanted(cluster)) {
            return;
        }
        let (ns, name) = (
            s(cluster, "/metadata/namespace"),
            s(cluster, "/metadata/name"),
        );
        let pods = instance_pods(store, ns, name);
        if pods.is_empty() {
            return;
        }
        let want = wanted(cluster);
        let sidecar = pods.iter().all(pods::has_sidecar);
        let bare = !pods.iter().any(pods::has_sidecar);
        let key = (ns.to_string(), name.to_string());
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        let settled = match &want {
            Archiving::Plugin { .. } => sidecar,
            Archiving::Other => bare,
        };
        if let Some((running, handle)) = tasks.get(&key) {
            if *running == want {
                return;
            }
            handle.abort();
            tasks.remove(&key);
        }
        if settled {
            return;
        }
        let (me, st, w) = (self.clone(), store.clone(), want.clone());
        let k = key.clone();
        let task = tokio::spawn(async move {
            match &w {
                Archiving::Plugin { store: os, server } => {
                    me.migrate(&st, &k.0, &k.1, os, server).await
                }
                Archiving::Other => me.roll(&st, &k.0, &k.1, false).await,
            }
            me.tasks
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&k);
        });
        tasks.insert(key, (want, task.abort_handle()));
    }

    async fn migrate(&self, store: &Arc<Store>, ns: &str, name: &str, os: &str, server: &str) {
        let mut tries = 0u32;
        loop {
            let plugin = plugin_pod(store);
            let exists = get(store, "barmancloud.cnpg.io", "objectstores", ns, os).is_some();
            if exists && plugin.as_ref().is_some_and(plugin_ready) {
                self.log(
                    &plugin,
                    "barman-cloud",
                    jline("Pre hook reconciliation start", ""),
                );
                self.log(
                    &plugin,
                    "barman-cloud",
                    jline(
                        "Pre hook reconciliation completed",
                        &format!(r#","name":"{name}","namespace":"{ns}""#),
                    ),
                );
                break;
            }
            tries += 1;
            if tries > MAX_REQUEUES {
                return;
            }
            if !exists {
                // The plugin's Pre hook, then the operator stopping its reconciliation.
                self.log(
                    &plugin,
                    "barman-cloud",
                    jline("Pre hook reconciliation start", ""),
                );
                self.log(&plugin, "barman-cloud", jline("barman object configuration not found, requeuing",
                    &format!(r#","name":"{name}","namespace":"{ns}","name":"{os}","namespace":"{ns}""#)));
                let rid = store.new_uid();
                self.log(&operator_pod(store), "manager", jline("Pre-reconcile hook stopped the reconciliation loop",
                    &format!(r#","controller":"cluster","controllerGroup":"postgresql.cnpg.io","controllerKind":"Cluster","Cluster":{{"name":"{name}","namespace":"{ns}"}},"namespace":"{ns}","name":"{name}","reconcileID":"{rid}","hookResult":{{"result":{{"Requeue":true,"RequeueAfter":0}},"err":null,"stopReconciliation":true,"identifier":"{PLUGIN}"}}"#)));
            }
            tokio::time::sleep(REQUEUE).await;
        }
        ensure_role(store, ns, name, os);
        self.roll(store, ns, name, true).await;
        // The bucket already holds the in-tree base backups and WAL of this server when the
        // store points where the Cluster archived before: the recovery window continues.
        let object_store = get(store, "barmancloud.cnpg.io", "objectstores", ns, os);
        let cluster = get(store, "postgresql.cnpg.io", "clusters", ns, name);
        let dest = object_store
            .as_ref()
            .map(|o| s(o, "/spec/configuration/destinationPath").to_string())
            .unwrap_or_default();
        let continues = backups_in(store, ns, name).iter().any(|b| {
            s(b, "/status/destinationPath") == dest && s(b, "/status/serverName") == server
        });
        let mut window = json!({});
        if let Some(c) = &cluster
            && continues
        {
            if let Some(first) = c.pointer("/status/firstRecoverabilityPoint") {
                window["firstRecoverabilityPoint"] = first.clone();
            }
            if let Some(last) = c.pointer("/status/lastSuccessfulBackup") {
                window["lastSuccessfulBackupTime"] = last.clone();
            }
        }
        if let Some(t) = rtype(store, "barmancloud.cnpg.io", "objectstores") {
            let _ = store.update(&t, ns, os, Part::Status, &WriteOpts::internal(), |old| {
                let mut new = old.clone();
                if !new.get("status").is_some_and(Value::is_object) {
                    new["status"] = json!({});
                }
                if !new["status"]
                    .get("serverRecoveryWindow")
                    .is_some_and(Value::is_object)
                {
                    new["status"]["serverRecoveryWindow"] = json!({});
                }
                new["status"]["serverRecoveryWindow"][server] = window.clone();
                Ok(new)
            });
        }
        edit_status(store, ns, name, |st| {
            st["pluginStatus"] = json!([{"name": PLUGIN, "version": "0.14.0",
                "capabilities": ["TYPE_RECONCILER_HOOKS", "TYPE_LIFECYCLE_SERVICE", "TYPE_INSTANCE_SIDECAR_INJECTION"]}]);
            set_condition(
                st,
                "ContinuousArchiving",
                "True",
                "ContinuousArchivingSuccess",
                "Continuous archiving is working",
            );
        });
    }

    /// Recreates the instance pods, replicas first and the primary last, as CloudNativePG's
    /// rollout does (`rolloutRequiredInstances`, primaryUpdateMethod restart).
    async fn roll(&self, store: &Arc<Store>, ns: &str, name: &str, sidecar: bool) {
        let Some(cluster) = get(store, "postgresql.cnpg.io", "clusters", ns, name) else {
            return;
        };
        let Some(pods_t) = rtype(store, "", "pods") else {
            return;
        };
        let primary = s(&cluster, "/status/currentPrimary").to_string();
        let mut pods = instance_pods(store, ns, name);
        pods.sort_by_key(|p| {
            (
                s(p, "/metadata/name") == primary,
                s(p, "/metadata/name").to_string(),
            )
        });
        let reason = format!(
            "original and target PodSpec differ in init-containers: container {} has been {}",
            pods::SIDECAR,
            if sidecar { "added" } else { "removed" }
        );
        let image = pods::sidecar_image(store);
        let object_store = match wanted(&cluster) {
            Archiving::Plugin { store: os, .. } => {
                get(store, "barmancloud.cnpg.io", "objectstores", ns, &os)
            }
            Archiving::Other => None,
        };
        for pod in pods {
            let pod_name = s(&pod, "/metadata/name").to_string();
            let (phase, phase_reason) = if pod_name == primary {
                (
                    "Primary instance is being restarted without a switchover".to_string(),
                    reason.clone(),
                )
            } else {
                (
                    "Upgrading cluster".to_string(),
                    format!("Restarting instance {pod_name}, because: {reason}"),
                )
            };
            edit_status(store, ns, name, |st| {
                st["phase"] = json!(phase);
                st["phaseReason"] = json!(phase_reason);
            });
            event(
                store,
                &cluster,
                "Normal",
                "UpgradingInstance",
                &format!("Upgrading instance {pod_name}"),
                "cloudnative-pg",
            );
            if let Err(e) = store.delete(&pods_t, ns, &pod_name) {
                tracing::debug!(ns, pod = pod_name, error = %e.message, "the simulated operator could not delete a pod");
            }
            tokio::time::sleep(STEP).await;
            let seed = store.new_uid().replace('-', "");
            let new = pods::recreated(
                &pod,
                sidecar.then_some((image.as_str(), object_store.as_ref())),
                Utc::now(),
                &seed,
            );
            match store.create(&pods_t, new, &WriteOpts::internal()) {
                Err(e) => {
                    tracing::debug!(ns, pod = pod_name, error = %e.message, "the simulated operator could not recreate a pod");
                }
                Ok(_) if sidecar => {
                    // The sidecar's first lines (the plugin's instance command).
                    let key = (ns.to_string(), pod_name.clone(), pods::SIDECAR.to_string());
                    for line in [
                        jline(
                            "Starting barman cloud instance plugin",
                            &format!(r#","logging_pod":"{pod_name}""#),
                        ),
                        jline(
                            "Starting plugin",
                            &format!(
                                r#","logging_pod":"{pod_name}","name":"{PLUGIN}","displayName":"BarmanCloudInstance","version":"0.14.0""#
                            ),
                        ),
                    ] {
                        self.logs.push(&key, Utc::now(), line);
                    }
                }
                Ok(_) => {}
            }
            // While the recreated pod starts: the operator's waiting phase, except during a
            // primary's in-place restart, which keeps its own phase.
            if pod_name != primary {
                edit_status(store, ns, name, |st| {
                    st["phase"] = json!("Waiting for the instances to become active");
                    st["phaseReason"] = json!("Some instances are not yet active. Please wait.");
                });
            }
            tokio::time::sleep(STEP).await;
        }
        edit_status(store, ns, name, |st| {
            st["phase"] = json!(HEALTHY);
            if let Some(m) = st.as_object_mut() {
                m.remove("phaseReason");
                if !sidecar {
                    m.remove("pluginStatus");
                }
            }
            set_condition(
                st,
                "ContinuousArchiving",
                "True",
                "ContinuousArchivingSuccess",
                "Continuous archiving is working",
            );
        });
    }
}

/// The Role and RoleBinding the plugin's Pre hook ensures (`internal/cnpgi/operator/rbac`):
/// the instance's ServiceAccount may read its ObjectStore, update its status and read the
/// Secrets the store names.
fn ensure_role(store: &Store, ns: &str, cluster: &str, os: &str) {
    let (Some(roles), Some(bindings)) = (
        rtype(store, "rbac.authorization.k8s.io", "roles"),
        rtype(store, "rbac.authorization.k8s.io", "rolebindings"),
    ) else {
        return;
    };
    let object_store = get(store, "barmancloud.cnpg.io", "objectstores", ns, os);
    let mut secrets: Vec<String> = object_store
        .as_ref()
        .and_then(|o| o.pointer("/spec/configuration/s3Credentials"))
        .and_then(Value::as_object)
        .map(|m| {
            m.values()
                .filter_map(|r| r.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    secrets.sort();
    secrets.dedup();
    let owner = get(store, "postgresql.cnpg.io", "clusters", ns, cluster).map(|c| {
        json!([{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "name": cluster,
                "uid": s(&c, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}])
    });
    let name = format!("{cluster}-barman-cloud");
    let labels = json!({"app.kubernetes.io/component": "database", "app.kubernetes.io/instance": cluster,
        "app.kubernetes.io/managed-by": "plugin-barman-cloud", "app.kubernetes.io/name": "barman-cloud-plugin",
        "barmancloud.cnpg.io/cluster": cluster});
    let meta = json!({"name": name, "namespace": ns, "labels": labels, "ownerReferences": owner});
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
        "rules": [{"apiGroups": ["barmancloud.cnpg.io"], "resourceNames": [os], "resources": ["objectstores"],
                   "verbs": ["get", "watch", "list"]},
                  {"apiGroups": ["barmancloud.cnpg.io"], "resourceNames": [os], "resources": ["objectstores/status"],
                   "verbs": ["update"]},
                  {"apiGroups": [""], "resourceNames": secrets, "resources": ["secrets"],
                   "verbs": ["get", "watch", "list"]}]});
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": cluster, "namespace": ns}]});
    for (t, obj) in [(roles, role), (bindings, binding)] {
        if store.get(&t, ns, &name).is_err()
            && let Err(e) = store.create(&t, obj, &WriteOpts::internal())
        {
            tracing::debug!(ns, name, error = %e.message, "the simulated plugin could not write its RBAC");
        }
    }
}

fn backups_in(store: &Store, ns: &str, cluster: &str) -> Vec<Value> {
    let Some(t) = rtype(store, "postgresql.cnpg.io", "backups") else {
        return Vec::new();
    };
    let (all, _) = store.list(&t, Some(ns), &Default::default(), &Default::default());
    all.iter()
        .filter(|b| s(b, "/spec/cluster/name") == cluster)
        .map(|b| (**b).clone())
        .collect()
}

/// Runs until the task is dropped: every Cluster change is looked at.
pub async fn run(store: Arc<Store>, logs: LiveLogs) {
    let me = Arc::new(Migrations {
        logs,
        tasks: Mutex::new(HashMap::new()),
    });
    let mut rx = store.subscribe();
    loop {
        let change = match rx.recv().await {
            Ok(c) => c,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        if change.kind == ChangeType::Deleted {
            continue;
        }
        match (change.key.0.as_str(), change.key.1.as_str()) {
            ("postgresql.cnpg.io", "clusters") => {
                me.on_cluster(&store, &change.obj, change.prev.as_deref())
            }
            ("postgresql.cnpg.io", "scheduledbackups") => {
                schedule::on_scheduled_backup(&store, &change.obj)
            }
            _ => {}
        }
    }
}
