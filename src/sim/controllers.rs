//! The few controller behaviours an action needs to be followed to its end, so that the
//! simulator answers backstop's (and flux's, and kubectl's) writes as a cluster would:
//! Flux handles a reconcile request, CNPG runs a new Backup through its phases, a rollout
//! restart is observed. Everything else stays as the scenario says.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::store::{ChangeType, Part, Store, WriteOpts, now_rfc3339};

const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// How many times a plugin Backup is retried while the plugin is down before the simulated
/// controller stops watching it (it stays without a phase, as upstream leaves it).
const PLUGIN_RETRIES: u32 = 600;
/// How long a controller takes to act: long enough to be seen as progress.
const STEP: Duration = Duration::from_millis(400);

fn str_at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// Writes `patch` (a JSON merge patch) over the object, as its controller would.
fn merge(store: &Store, group: &str, plural: &str, ns: &str, name: &str, patch: Value) {
    let Some(t) = store
        .read()
        .registry
        .get(&(group.to_string(), plural.to_string()))
        .cloned()
    else {
        return;
    };
    let result = store.update(&t, ns, name, Part::Main, &WriteOpts::internal(), |old| {
        let mut new = old.clone();
        json_patch::merge(&mut new, &patch);
        Ok(new)
    });
    if let Err(e) = result {
        tracing::debug!(group, plural, ns, name, error = %e.message, "a simulated controller could not write");
    }
}

/// Whether a ready Barman Cloud plugin pod exists.
fn plugin_ready(store: &Store) -> bool {
    let Some(pods) = store
        .read()
        .registry
        .get(&(String::new(), "pods".to_string()))
        .cloned()
    else {
        return false;
    };
    let (all, _) = store.list(&pods, None, &Default::default(), &Default::default());
    all.iter().any(|p| {
        str_at(p, "/metadata/labels/app") == Some("barman-cloud")
            && p.pointer("/status/conditions")
                .and_then(Value::as_array)
                .is_some_and(|cs| {
                    cs.iter().any(|c| {
                        str_at(c, "/type") == Some("Ready") && str_at(c, "/status") == Some("True")
                    })
                })
    })
}

/// Records a core/v1 Event about a Backup, as the named component would.
fn backup_event(
    store: &Store,
    ns: &str,
    name: &str,
    warning: bool,
    reason: &str,
    message: &str,
    component: &str,
) {
    let Some(events) = store
        .read()
        .registry
        .get(&(String::new(), "events".to_string()))
        .cloned()
    else {
        return;
    };
    let backups = store
        .read()
        .registry
        .get(&("postgresql.cnpg.io".to_string(), "backups".to_string()))
        .cloned();
    let uid = backups
        .and_then(|t| store.get(&t, ns, name).ok())
        .and_then(|o| o.pointer("/metadata/uid").cloned())
        .unwrap_or(Value::Null);
    let now = Utc::now();
    let ts = now_rfc3339(now);
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{name}.{:x}{}", now.timestamp_nanos_opt().unwrap_or(0), store.random_suffix()), "namespace": ns},
        "involvedObject": {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup", "name": name,
                           "namespace": ns, "uid": uid},
        "type": if warning { "Warning" } else { "Normal" },
        "reason": reason,
        "message": message,
        "count": 1,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "source": {"component": component},
        "reportingComponent": component,
    });
    if let Err(e) = store.create(&events, event, &WriteOpts::internal()) {
        tracing::debug!(ns, name, error = %e.message, "a simulated controller could not record an event");
    }
}

fn flux(store: &Arc<Store>, group: &str, plural: &str, obj: &Value) {
    let Some(requested) = str_at(
        obj,
        &format!("/metadata/annotations/{}", REQUESTED_AT.replace('/', "~1")),
    ) else {
        return;
    };
    let suspended = obj.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    if suspended || str_at(obj, "/status/lastHandledReconcileAt") == Some(requested) {
        return;
    }
    let (store, group, plural) = (store.clone(), group.to_string(), plural.to_string());
    let ns = str_at(obj, "/metadata/namespace").unwrap_or("").to_string();
    let name = str_at(obj, "/metadata/name").unwrap_or("").to_string();
    let requested = requested.to_string();
    tokio::spawn(async move {
        tokio::time::sleep(STEP).await;
        // The controller runs: the Ready condition keeps what the scenario made true.
        merge(
            &store,
            &group,
            &plural,
            &ns,
            &name,
            json!({"status": {"lastHandledReconcileAt": requested}}),
        );
    });
}

fn backup(store: &Arc<Store>, obj: &Value) {
    if obj.pointer("/status/phase").is_some() {
        return;
    }
    let store = store.clone();
    let ns = str_at(obj, "/metadata/namespace").unwrap_or("").to_string();
    let name = str_at(obj, "/metadata/name").unwrap_or("").to_string();
    let cluster = str_at(obj, "/spec/cluster/name").unwrap_or("").to_string();
    let method = str_at(obj, "/spec/method")
        .unwrap_or("barmanObjectStore")
        .to_string();
    tokio::spawn(async move {
        tokio::time::sleep(STEP).await;
        let target = store
            .read()
            .registry
            .get(&("postgresql.cnpg.io".to_string(), "clusters".to_string()))
            .cloned()
            .and_then(|t| store.get(&t, &ns, &cluster).ok());
        if let Some(c) = &target
            && let Some((message, reason)) = missing_prerequisite(c, &method)
        {
            // checkPrerequisites: a terminal failure, recorded as a Warning.
            let done = now_rfc3339(Utc::now());
            merge(
                &store,
                "postgresql.cnpg.io",
                "backups",
                &ns,
                &name,
                json!({"status": {"phase": "failed", "method": method, "error": message,
                    "reconciliationTerminatedAt": done}}),
            );
            backup_event(
                &store,
                &ns,
                &name,
                true,
                reason,
                message,
                "cloudnative-pg-backup",
            );
            flag_cluster_backup_failed(&store, &ns, &cluster, message, &done);
            return;
        }
        let in_tree = target
            .as_ref()
            .and_then(|c| c.pointer("/spec/backup/barmanObjectStore").cloned());
        let primary = target.and_then(|c| str_at(&c, "/status/currentPrimary").map(str::to_string));
        let Some(primary) = primary else {
            // CNPG does not fail a Backup whose Cluster it cannot find: it marks it pending,
            // records a FindingCluster warning ("Unknown cluster X, will retry in 30 seconds")
            // and retries.
            merge(
                &store,
                "postgresql.cnpg.io",
                "backups",
                &ns,
                &name,
                json!({"status": {"phase": "pending", "method": method}}),
            );
            backup_event(
                &store,
                &ns,
                &name,
                true,
                "FindingCluster",
                &format!("Unknown cluster {cluster}, will retry in 30 seconds"),
                "cloudnative-pg-backup",
            );
            return;
        };
        // With the operator-side plugin down, the backup controller cannot load the plugins
        // ("Error loading plugins, retrying") and retries: the Backup keeps an empty phase
        // until the plugin answers. It is never failed for it.
        if method == "plugin" {
            let mut tries = 0u32;
            while !plugin_ready(&store) {
                tries += 1;
                if tries > PLUGIN_RETRIES {
                    return;
                }
                tokio::time::sleep(STEP * 5).await;
            }
        }
        let started = now_rfc3339(Utc::now());
        merge(
            &store,
            "postgresql.cnpg.io",
            "backups",
            &ns,
            &name,
            json!({"status": {"phase": "started", "method": method, "startedAt": started,
                "reconciliationStartedAt": started, "instanceID": {"podName": primary}}}),
        );
        // The backup controller announces it; the instance manager (recorder local-webserver)
        // records the start and the end.
        let starting = format!("Starting backup for cluster {cluster}");
        backup_event(
            &store,
            &ns,
            &name,
            false,
            "Starting",
            &starting,
            "cloudnative-pg-backup",
        );
        backup_event(
            &store,
            &ns,
            &name,
            false,
            "Starting",
            "Backup started",
            "local-webserver",
        );
        tokio::time::sleep(STEP * 3).await;
        let done = now_rfc3339(Utc::now());
        let mut status = json!({"phase": "completed", "stoppedAt": done,
            "reconciliationTerminatedAt": done,
            "backupId": Utc::now().format("%Y%m%dT%H%M%S").to_string()});
        // The plugin and the in-tree instance manager alike name each base backup
        // `backup-<compact timestamp>`, not after the Backup object.
        status["backupName"] = json!(format!("backup-{}", Utc::now().format("%Y%m%d%H%M%S")));
        if method == "barmanObjectStore"
            && let Some(conf) = in_tree.as_ref()
        {
            // The backup controller copies where the in-tree backup goes into its status.
            for field in [
                "destinationPath",
                "endpointURL",
                "endpointCA",
                "s3Credentials",
                "azureCredentials",
                "googleCredentials",
            ] {
                if let Some(v) = conf.get(field) {
                    status[field] = v.clone();
                }
            }
            status["serverName"] = conf
                .get("serverName")
                .cloned()
                .unwrap_or_else(|| json!(cluster));
        }
        merge(
            &store,
            "postgresql.cnpg.io",
            "backups",
            &ns,
            &name,
            json!({ "status": status }),
        );
        backup_event(
            &store,
            &ns,
            &name,
            false,
            "Completed",
            "Backup completed",
            "local-webserver",
        );
    });
}

/// FlagBackupAsFailed's mark on the Cluster: lastFailedBackup and the LastBackupSucceeded
/// condition turned False (reason LastBackupFailed, the error as message).
fn flag_cluster_backup_failed(store: &Store, ns: &str, cluster: &str, message: &str, at: &str) {
    let Some(t) = store
        .read()
        .registry
        .get(&("postgresql.cnpg.io".to_string(), "clusters".to_string()))
        .cloned()
    else {
        return;
    };
    let result = store.update(&t, ns, cluster, Part::Status, &WriteOpts::internal(), |old| {
        let mut new = old.clone();
        if !new.get("status").is_some_and(Value::is_object) {
            new["status"] = json!({});
        }
        new["status"]["lastFailedBackup"] = json!(at);
        let mut conds: Vec<Value> = new
            .pointer("/status/conditions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        conds.retain(|c| str_at(c, "/type") != Some("LastBackupSucceeded"));
        conds.push(json!({"type": "LastBackupSucceeded", "status": "False", "reason": "LastBackupFailed",
                          "message": message, "lastTransitionTime": at}));
        new["status"]["conditions"] = Value::Array(conds);
        Ok(new)
    });
    if let Err(e) = result {
        tracing::debug!(ns, cluster, error = %e.message, "a simulated controller could not write a Cluster's status");
    }
}

/// What CloudNativePG's backup controller refuses before it starts a Backup
/// (`checkPrerequisites` in `internal/controller/backup_controller.go`): the message and the
/// event reason.
fn missing_prerequisite(cluster: &Value, method: &str) -> Option<(&'static str, &'static str)> {
    if method == "plugin" {
        let none = cluster
            .pointer("/spec/plugins")
            .and_then(Value::as_array)
            .is_none_or(|p| p.is_empty());
        return none.then_some((
            "cannot proceed with the backup as the cluster has no plugin configured",
            "ClusterHasNoBackupExecutorPlugin",
        ));
    }
    let Some(backup) = cluster.pointer("/spec/backup").filter(|b| !b.is_null()) else {
        return Some((
            "cannot proceed with the backup as the cluster has no backup section",
            "ClusterHasBackupConfigured",
        ));
    };
    if method == "barmanObjectStore" && backup.get("barmanObjectStore").is_none_or(Value::is_null) {
        return Some((
            "no barmanObjectStore section defined on the target cluster",
            "ClusterHasNoBarmanSection",
        ));
    }
    None
}

fn deployment(store: &Arc<Store>, obj: &Value, prev: Option<&Value>) {
    let at = |v: &Value| {
        str_at(
            v,
            &format!(
                "/spec/template/metadata/annotations/{}",
                RESTARTED_AT.replace('/', "~1")
            ),
        )
        .map(str::to_string)
    };
    if at(obj).is_none() || prev.map(at) == Some(at(obj)) {
        return;
    }
    let store = store.clone();
    let ns = str_at(obj, "/metadata/namespace").unwrap_or("").to_string();
    let name = str_at(obj, "/metadata/name").unwrap_or("").to_string();
    let generation = obj.pointer("/metadata/generation").cloned();
    tokio::spawn(async move {
        tokio::time::sleep(STEP).await;
        merge(
            &store,
            "apps",
            "deployments",
            &ns,
            &name,
            json!({"status": {"observedGeneration": generation}}),
        );
    });
}

/// Runs until the task is dropped.
pub async fn run(store: Arc<Store>) {
    run_with(store, None).await
}

/// The controllers, with CloudNativePG's recovery when given.
pub async fn run_with(store: Arc<Store>, recovery: Option<Arc<super::recovery::Recovery>>) {
    let mut rx = store.subscribe();
    loop {
        let change = match rx.recv().await {
            Ok(c) => c,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        };
        // Deletions too: a recovery stops with its Cluster or its namespace.
        if let Some(r) = &recovery {
            r.on_change(&store, &change);
        }
        if change.kind == ChangeType::Deleted {
            continue;
        }
        let (group, plural) = (change.key.0.as_str(), change.key.1.as_str());
        match (group, plural) {
            ("kustomize.toolkit.fluxcd.io", "kustomizations")
            | ("source.toolkit.fluxcd.io", "gitrepositories") => {
                flux(&store, group, plural, &change.obj)
            }
            ("postgresql.cnpg.io", "backups") if change.kind == ChangeType::Added => {
                backup(&store, &change.obj)
            }
            ("apps", "deployments") => deployment(&store, &change.obj, change.prev.as_deref()),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::ResourceType;
    use crate::sim::{Sim, scenario};

    fn rtype(store: &Store, group: &str, plural: &str) -> Arc<ResourceType> {
        store
            .read()
            .registry
            .get(&(group.to_string(), plural.to_string()))
            .cloned()
            .expect("registered")
    }

    /// The healthy scenario with only the controllers running, and a change feed opened
    /// before anything is written.
    fn healthy() -> (
        Arc<Store>,
        tokio::sync::broadcast::Receiver<Arc<super::super::store::Change>>,
    ) {
        let sc = scenario::load("healthy", Utc::now()).expect("scenario loads");
        let sim = Sim::new(&sc).expect("sim");
        let store = sim.store.clone();
        let rx = store.subscribe();
        (store, rx)
    }

    fn new_backup(store: &Store, ns: &str, name: &str, cluster: &str) {
        let t = rtype(store, "postgresql.cnpg.io", "backups");
        store
            .create(
                &t,
                json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
                       "metadata": {"name": name, "namespace": ns},
                       "spec": {"cluster": {"name": cluster}, "method": "plugin",
                                "pluginConfiguration": {"name": "barman-cloud.cloudnative-pg.io"}}}),
                &WriteOpts::internal(),
            )
            .expect("created");
    }

    fn backup(store: &Store, ns: &str, name: &str) -> Value {
        let t = rtype(store, "postgresql.cnpg.io", "backups");
        (*store.get(&t, ns, name).expect("the Backup")).clone()
    }

    fn events_about(store: &Store, ns: &str, name: &str) -> Vec<Value> {
        let t = rtype(store, "", "events");
        let (all, _) = store.list(&t, Some(ns), &Default::default(), &Default::default());
        all.iter()
            .filter(|e| str_at(e, "/involvedObject/name") == Some(name))
            .map(|e| (**e).clone())
            .collect()
    }

    /// Follows the store's changes until `done` holds (bounded, so a regression fails
    /// instead of hanging).
    async fn until(
        store: &Store,
        rx: &mut tokio::sync::broadcast::Receiver<Arc<super::super::store::Change>>,
        done: impl Fn(&Store) -> bool,
    ) {
        let seen = tokio::time::timeout(Duration::from_secs(10), async {
            while !done(store) {
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = rx.recv().await {
                    return;
                }
            }
        })
        .await;
        assert!(seen.is_ok() && done(store), "the expected state never came");
    }

    #[tokio::test]
    async fn a_backup_of_an_unknown_cluster_stays_pending_with_a_finding_cluster_warning() {
        let (store, mut rx) = healthy();
        let _controllers = tokio::spawn(run(store.clone()));
        tokio::task::yield_now().await;
        new_backup(&store, "orders", "to-nowhere", "pg-nowhere");
        until(&store, &mut rx, |s| {
            events_about(s, "orders", "to-nowhere")
                .iter()
                .any(|e| str_at(e, "/reason") == Some("FindingCluster"))
        })
        .await;
        let b = backup(&store, "orders", "to-nowhere");
        assert_eq!(str_at(&b, "/status/phase"), Some("pending"));
        assert_eq!(b.pointer("/status/error"), None);
        let events = events_about(&store, "orders", "to-nowhere");
        let warning = events
            .iter()
            .find(|e| str_at(e, "/reason") == Some("FindingCluster"))
            .expect("a FindingCluster event");
        assert_eq!(str_at(warning, "/type"), Some("Warning"));
        assert_eq!(
            str_at(warning, "/message"),
            Some("Unknown cluster pg-nowhere, will retry in 30 seconds")
        );
        assert_eq!(
            str_at(warning, "/source/component"),
            Some("cloudnative-pg-backup")
        );
    }

    #[tokio::test]
    async fn a_plugin_backup_completes_with_the_plugins_backup_name_and_instance_manager_events() {
        let (store, mut rx) = healthy();
        let _controllers = tokio::spawn(run(store.clone()));
        tokio::task::yield_now().await;
        new_backup(&store, "orders", "by-hand", "pg-orders");
        until(&store, &mut rx, |s| {
            events_about(s, "orders", "by-hand")
                .iter()
                .any(|e| str_at(e, "/reason") == Some("Completed"))
        })
        .await;
        let b = backup(&store, "orders", "by-hand");
        assert_eq!(str_at(&b, "/status/phase"), Some("completed"));
        let backup_name = str_at(&b, "/status/backupName").expect("a backupName");
        assert!(
            backup_name.starts_with("backup-") && backup_name.len() == "backup-".len() + 14,
            "{backup_name}"
        );
        let said: Vec<(String, String)> = events_about(&store, "orders", "by-hand")
            .iter()
            .map(|e| {
                (
                    str_at(e, "/message").unwrap_or("").to_string(),
                    str_at(e, "/source/component").unwrap_or("").to_string(),
                )
            })
            .collect();
        for (message, component) in [
            (
                "Starting backup for cluster pg-orders",
                "cloudnative-pg-backup",
            ),
            ("Backup started", "local-webserver"),
            ("Backup completed", "local-webserver"),
        ] {
            assert!(
                said.iter().any(|(m, c)| m == message && c == component),
                "{message} from {component} in {said:?}"
            );
        }
    }
}
