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
        let primary = store
            .read()
            .registry
            .get(&("postgresql.cnpg.io".to_string(), "clusters".to_string()))
            .cloned()
            .and_then(|t| store.get(&t, &ns, &cluster).ok())
            .and_then(|c| str_at(&c, "/status/currentPrimary").map(str::to_string));
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
        tokio::time::sleep(STEP * 3).await;
        let done = now_rfc3339(Utc::now());
        let mut status = json!({"phase": "completed", "stoppedAt": done,
            "reconciliationTerminatedAt": done,
            "backupId": Utc::now().format("%Y%m%dT%H%M%S").to_string()});
        if method == "plugin" {
            // The Barman Cloud plugin names each base backup `backup-<compact timestamp>`,
            // not after the Backup object.
            status["backupName"] = json!(format!("backup-{}", Utc::now().format("%Y%m%d%H%M%S")));
        }
        merge(
            &store,
            "postgresql.cnpg.io",
            "backups",
            &ns,
            &name,
            json!({ "status": status }),
        );
    });
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
