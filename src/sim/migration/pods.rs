//! An instance pod as CloudNativePG recreates it, with or without the sidecar the Barman
//! Cloud plugin injects (`internal/cnpgi/operator/lifecycle.go`: a native sidecar, an init
//! container with `restartPolicy: Always`).

use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::sim::store::{Store, now_rfc3339};

pub const SIDECAR: &str = "plugin-barman-cloud";
/// What the plugin 0.14.0 release injects when its Secret cannot be read.
const SIDECAR_IMAGE: &str = "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0";

fn rtype(
    store: &Store,
    group: &str,
    plural: &str,
) -> Option<std::sync::Arc<crate::sim::registry::ResourceType>> {
    store
        .read()
        .registry
        .get(&(group.to_string(), plural.to_string()))
        .cloned()
}

/// The sidecar image the plugin injects: its Deployment's SIDECAR_IMAGE, read from the
/// Secret it points to, as the plugin reads its environment.
pub fn sidecar_image(store: &Store) -> String {
    let from_secret = || -> Option<String> {
        let deps = rtype(store, "apps", "deployments")?;
        let dep = store.get(&deps, "cnpg-system", "barman-cloud").ok()?;
        let env = dep
            .pointer("/spec/template/spec/containers/0/env")?
            .as_array()?;
        let var = env
            .iter()
            .find(|e| e.get("name").and_then(Value::as_str) == Some("SIDECAR_IMAGE"))?;
        if let Some(v) = var.get("value").and_then(Value::as_str) {
            return Some(v.to_string());
        }
        let r = var.pointer("/valueFrom/secretKeyRef")?;
        let secrets = rtype(store, "", "secrets")?;
        let secret = store
            .get(&secrets, "cnpg-system", r.get("name")?.as_str()?)
            .ok()?;
        let b64 = secret
            .pointer(&format!("/data/{}", r.get("key")?.as_str()?))?
            .as_str()?;
        let raw = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
        String::from_utf8(raw).ok()
    };
    from_secret().unwrap_or_else(|| SIDECAR_IMAGE.to_string())
}

/// The injected container, configured from the ObjectStore's instanceSidecarConfiguration.
fn sidecar(pod: &Value, image: &str, object_store: Option<&Value>) -> Value {
    let side = object_store.and_then(|o| o.pointer("/spec/instanceSidecarConfiguration"));
    let log_level = side
        .and_then(|s| s.get("logLevel"))
        .and_then(Value::as_str)
        .unwrap_or("info");
    let postgres = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .and_then(|cs| {
            cs.iter()
                .find(|c| c.get("name").and_then(Value::as_str) == Some("postgres"))
        });
    let pg_env: Vec<Value> = postgres
        .and_then(|c| c.get("env"))
        .and_then(Value::as_array)
        .map(|env| {
            env.iter()
                .filter(|e| {
                    !matches!(
                        e.get("name").and_then(Value::as_str),
                        Some("NAMESPACE" | "CLUSTER_NAME")
                    )
                })
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let s = |p: &str| pod.pointer(p).and_then(Value::as_str).unwrap_or("");
    let cluster = s("/metadata/labels/cnpg.io~1cluster");
    let mut env = vec![
        json!({"name": "NAMESPACE", "value": s("/metadata/namespace")}),
        json!({"name": "CLUSTER_NAME", "value": cluster}),
        json!({"name": "SPOOL_DIRECTORY", "value": "/controller/wal-restore-spool"}),
        json!({"name": "CUSTOM_CNPG_GROUP", "value": "postgresql.cnpg.io"}),
        json!({"name": "CUSTOM_CNPG_VERSION", "value": "v1"}),
    ];
    if let Some(extra) = side.and_then(|s| s.get("env")).and_then(Value::as_array) {
        env.extend(extra.iter().cloned());
    }
    env.extend(pg_env);
    let has_wal = pod
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .is_some_and(|vs| {
            vs.iter()
                .any(|v| v.get("name").and_then(Value::as_str) == Some("pg-wal"))
        });
    let mut mounts = vec![
        json!({"mountPath": "/plugins", "name": "plugins"}),
        json!({"mountPath": "/var/lib/postgresql/data", "name": "pgdata"}),
    ];
    if has_wal {
        mounts.push(json!({"mountPath": "/var/lib/postgresql/wal", "name": "pg-wal"}));
    }
    mounts.push(json!({"mountPath": "/controller", "name": "scratch-data"}));
    json!({
        "args": ["instance", format!("--log-level={log_level}")],
        "env": env,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": SIDECAR,
        "resources": side.and_then(|s| s.get("resources")).cloned().unwrap_or(json!({})),
        "restartPolicy": "Always",
        "securityContext": postgres.and_then(|c| c.get("securityContext")).cloned().unwrap_or(json!({})),
        "startupProbe": {"exec": {"command": ["/manager", "healthcheck", "unix"]}, "failureThreshold": 10,
                         "periodSeconds": 1, "successThreshold": 1, "timeoutSeconds": 1},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
        "volumeMounts": mounts,
    })
}

fn running(name: &str, image: &str, at: &str, seed: &str) -> Value {
    json!({"containerID": format!("containerd://{seed}"), "image": image, "imageID": image,
           "lastState": {}, "name": name, "ready": true, "restartCount": 0, "started": true,
           "state": {"running": {"startedAt": at}}})
}

/// `old` recreated at `now`: a new uid and start, its containers fresh, the sidecar added
/// (`with_sidecar` holds the image and the ObjectStore) or removed.
pub fn recreated(
    old: &Value,
    with_sidecar: Option<(&str, Option<&Value>)>,
    now: DateTime<Utc>,
    seed: &str,
) -> Value {
    let mut pod = old.clone();
    if let Some(m) = pod.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "uid",
            "resourceVersion",
            "creationTimestamp",
            "managedFields",
            "deletionTimestamp",
        ] {
            m.remove(k);
        }
    }
    let at = now_rfc3339(now);
    let mut inits: Vec<Value> = old
        .pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .filter(|c| c.get("name").and_then(Value::as_str) != Some(SIDECAR))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let mut volumes: Vec<Value> = old
        .pointer("/spec/volumes")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("name").and_then(Value::as_str) != Some("plugins"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    if let Some((image, store)) = with_sidecar {
        inits.push(sidecar(old, image, store));
        volumes.push(json!({"emptyDir": {}, "name": "plugins"}));
    }
    pod["spec"]["initContainers"] = Value::Array(inits.clone());
    pod["spec"]["volumes"] = Value::Array(volumes);
    if let Some(cs) = pod
        .pointer_mut("/spec/containers")
        .and_then(Value::as_array_mut)
    {
        for c in cs
            .iter_mut()
            .filter(|c| c.get("name").and_then(Value::as_str) == Some("postgres"))
        {
            if let Some(ms) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                ms.retain(|m| m.get("name").and_then(Value::as_str) != Some("plugins"));
                if with_sidecar.is_some() {
                    ms.push(json!({"mountPath": "/plugins", "name": "plugins"}));
                }
            }
        }
    }
    let image_of = |c: &Value| {
        c.get("image")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let init_status: Vec<Value> = inits
        .iter()
        .map(|c| {
            let name = c.get("name").and_then(Value::as_str).unwrap_or("");
            if name == SIDECAR {
                running(name, &image_of(c), &at, &format!("{seed}{name}"))
            } else {
                json!({"containerID": format!("containerd://{seed}{name}"), "image": image_of(c),
                       "imageID": image_of(c), "lastState": {}, "name": name, "ready": true,
                       "restartCount": 0, "started": false,
                       "state": {"terminated": {"exitCode": 0, "reason": "Completed",
                                                "startedAt": at, "finishedAt": at}}})
            }
        })
        .collect();
    let statuses: Vec<Value> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                    running(name, &image_of(c), &at, &format!("{seed}{name}"))
                })
                .collect()
        })
        .unwrap_or_default();
    pod["status"]["startTime"] = json!(at);
    pod["status"]["initContainerStatuses"] = Value::Array(init_status);
    pod["status"]["containerStatuses"] = Value::Array(statuses);
    pod["status"]["phase"] = json!("Running");
    if let Some(conds) = pod
        .pointer_mut("/status/conditions")
        .and_then(Value::as_array_mut)
    {
        for c in conds.iter_mut() {
            c["lastTransitionTime"] = json!(at);
            c["status"] = json!("True");
            if let Some(m) = c.as_object_mut() {
                m.remove("reason");
                m.remove("message");
            }
        }
    }
    pod
}

/// Whether the pod carries the plugin's sidecar.
pub fn has_sidecar(pod: &Value) -> bool {
    pod.pointer("/spec/initContainers")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c.get("name").and_then(Value::as_str) == Some(SIDECAR))
        })
}
