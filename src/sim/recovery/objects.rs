//! The objects CloudNativePG and Kubernetes make for a recovery, in their real shapes: the
//! recovery Job (pkg/specs/jobs.go), its pod with the plugin's restore sidecar as a native
//! sidecar, the instance pod, its PVCs and Services, the container statuses the kubelet
//! reports, and the Cluster's status as the operator writes it.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::plan::Plan;
use crate::sim::store::now_rfc3339;

pub const CNPG_IMAGE: &str = "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0";
pub const SIDECAR_IMAGE: &str = "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0";
pub const PGDATA: &str = "/var/lib/postgresql/data/pgdata";

pub fn instance_name(p: &Plan) -> String {
    format!("{}-1", p.cluster)
}

pub fn job_name(p: &Plan) -> String {
    format!("{}-full-recovery", instance_name(p))
}

fn owner(p: &Plan) -> Value {
    json!([{"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "name": p.cluster,
            "uid": p.uid, "controller": true, "blockOwnerDeletion": true}])
}

fn major(p: &Plan) -> String {
    p.pg_version().split('.').next().unwrap_or("18").to_string()
}

/// The labels CloudNativePG puts on everything of an instance.
fn labels(p: &Plan, extra: Value) -> Value {
    let mut l = json!({
        "app.kubernetes.io/component": "database",
        "app.kubernetes.io/instance": p.cluster,
        "app.kubernetes.io/managed-by": "cloudnative-pg",
        "app.kubernetes.io/name": "postgresql",
        "app.kubernetes.io/version": major(p),
        "cnpg.io/cluster": p.cluster,
        "cnpg.io/instanceName": instance_name(p),
    });
    json_patch::merge(&mut l, &extra);
    l
}

fn env(p: &Plan, pod: &str) -> Value {
    json!([{"name": "PGDATA", "value": PGDATA}, {"name": "POD_NAME", "value": pod},
           {"name": "NAMESPACE", "value": p.ns}, {"name": "CLUSTER_NAME", "value": p.cluster},
           {"name": "PGPORT", "value": "5432"}, {"name": "PGHOST", "value": "/controller/run"}])
}

fn bootstrap_controller() -> Value {
    json!({"name": "bootstrap-controller", "image": CNPG_IMAGE, "imagePullPolicy": "IfNotPresent",
           "command": ["/manager", "bootstrap", "/controller/manager"],
           "volumeMounts": [{"name": "scratch-data", "mountPath": "/controller"}]})
}

/// The plugin's sidecar, run as a native sidecar (an init container restarted Always) with
/// the `restore` argument in a recovery.
fn sidecar(p: &Plan, pod: &str, args: &str) -> Value {
    let mut c = json!({"name": "plugin-barman-cloud", "image": SIDECAR_IMAGE,
        "imagePullPolicy": "IfNotPresent", "args": [args], "restartPolicy": "Always",
        "env": [{"name": "NAMESPACE", "value": p.ns}, {"name": "CLUSTER_NAME", "value": p.cluster},
                {"name": "SPOOL_DIRECTORY", "value": "/controller/wal-restore-spool"},
                {"name": "CUSTOM_CNPG_GROUP", "value": "postgresql.cnpg.io"},
                {"name": "CUSTOM_CNPG_VERSION", "value": "v1"},
                {"name": "PGDATA", "value": PGDATA}, {"name": "POD_NAME", "value": pod}],
        "startupProbe": {"exec": {"command": ["/manager", "healthcheck", "unix"]},
                         "periodSeconds": 1, "failureThreshold": 30, "timeoutSeconds": 5},
        "resources": {}});
    if let Some(limit) = &p.sidecar_limit {
        c["resources"] = json!({"limits": {"memory": limit}});
    }
    c
}

fn volumes(p: &Plan) -> Value {
    let mut v = vec![
        json!({"name": "pgdata", "persistentVolumeClaim": {"claimName": instance_name(p)}}),
        json!({"name": "scratch-data", "emptyDir": {}}),
        json!({"name": "shm", "emptyDir": {"medium": "Memory"}}),
    ];
    if p.wal_storage {
        v.push(json!({"name": "pg-wal", "persistentVolumeClaim": {"claimName": format!("{}-wal", instance_name(p))}}));
    }
    Value::Array(v)
}

pub fn job(p: &Plan) -> Value {
    let name = job_name(p);
    let role = json!({"cnpg.io/jobRole": "full-recovery"});
    let mut inits = vec![bootstrap_controller()];
    if p.sidecar() {
        inits.push(sidecar(p, &name, "restore"));
    }
    json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "namespace": p.ns, "labels": labels(p, role.clone()),
                     "ownerReferences": owner(p)},
        "spec": {
            "completions": 1, "parallelism": 1, "backoffLimit": 6,
            "template": {
                "metadata": {"labels": labels(p, role)},
                "spec": {
                    "hostname": name, "restartPolicy": "Never",
                    "initContainers": inits,
                    "containers": [{"name": "full-recovery", "image": p.image,
                        "imagePullPolicy": "IfNotPresent",
                        "command": ["/controller/manager", "instance", "restore"],
                        "env": env(p, &name),
                        "volumeMounts": [{"name": "pgdata", "mountPath": "/var/lib/postgresql/data"},
                                         {"name": "scratch-data", "mountPath": "/controller"}]}],
                    "volumes": volumes(p),
                    "serviceAccountName": p.cluster,
                }
            }
        }
    })
}

/// A pod of the recovery Job, as the Job controller makes it from the template.
pub fn job_pod(p: &Plan, job: &Value, pod: &str, node: &str) -> Value {
    let mut labels = job
        .pointer("/spec/template/metadata/labels")
        .cloned()
        .unwrap_or(json!({}));
    let job_uid = job.pointer("/metadata/uid").cloned().unwrap_or(Value::Null);
    labels["batch.kubernetes.io/job-name"] = json!(job_name(p));
    labels["job-name"] = json!(job_name(p));
    labels["batch.kubernetes.io/controller-uid"] = job_uid.clone();
    let mut spec = job
        .pointer("/spec/template/spec")
        .cloned()
        .unwrap_or(json!({}));
    spec["nodeName"] = json!(node);
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod, "namespace": p.ns, "labels": labels,
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": job_name(p),
                                 "uid": job_uid, "controller": true, "blockOwnerDeletion": true}]},
        "spec": spec,
    })
}

/// The instance pod; in the init-container shape it bootstraps itself first.
pub fn instance_pod(p: &Plan, node: &str, bootstrap: bool) -> Value {
    let name = instance_name(p);
    let mut inits = vec![bootstrap_controller()];
    if bootstrap {
        if p.sidecar() {
            inits.push(sidecar(p, &name, "restore"));
        }
        inits.push(json!({"name": "bootstrap-instance", "image": p.image,
            "imagePullPolicy": "IfNotPresent",
            "command": ["/controller/manager", "instance", "restore"],
            "env": env(p, &name),
            "volumeMounts": [{"name": "pgdata", "mountPath": "/var/lib/postgresql/data"},
                             {"name": "scratch-data", "mountPath": "/controller"}]}));
    }
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": p.ns,
            "annotations": {"cnpg.io/nodeSerial": "1", "cnpg.io/operatorVersion": "1.30.0"},
            "labels": labels(p, json!({"cnpg.io/instanceRole": "primary", "cnpg.io/podRole": "instance",
                                       "role": "primary"})),
            "ownerReferences": owner(p)},
        "spec": {
            "hostname": name, "nodeName": node, "restartPolicy": "Always",
            "initContainers": inits,
            "containers": [{"name": "postgres", "image": p.image, "imagePullPolicy": "IfNotPresent",
                "command": ["/controller/manager", "instance", "run", "--status-port-tls", "--log-level=info"],
                "env": env(p, &name),
                "ports": [{"containerPort": 5432, "name": "postgresql", "protocol": "TCP"},
                          {"containerPort": 9187, "name": "metrics", "protocol": "TCP"},
                          {"containerPort": 8000, "name": "status", "protocol": "TCP"}]}],
            "volumes": volumes(p),
            "serviceAccountName": p.cluster,
        }
    })
}

pub fn pvcs(p: &Plan) -> Vec<Value> {
    let mut names = vec![(instance_name(p), "PG_DATA")];
    if p.wal_storage {
        names.push((format!("{}-wal", instance_name(p)), "PG_WAL"));
    }
    names
        .into_iter()
        .map(|(n, role)| {
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": n, "namespace": p.ns,
                    "annotations": {"cnpg.io/nodeSerial": "1", "cnpg.io/pvcStatus": "ready"},
                    "labels": labels(p, json!({"cnpg.io/pvcRole": role})),
                    "ownerReferences": owner(p)},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}})
        })
        .collect()
}

pub fn pvc_status() -> Value {
    json!({"status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}})
}

/// The read-write, read-only and read Services of the Cluster.
pub fn services(p: &Plan) -> Vec<Value> {
    [("rw", "primary"), ("ro", "replica"), ("r", "")]
        .iter()
        .map(|(suffix, role)| {
            let mut selector = json!({"cnpg.io/cluster": p.cluster, "cnpg.io/podRole": "instance"});
            if !role.is_empty() {
                selector["cnpg.io/instanceRole"] = json!(role);
            }
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": format!("{}-{suffix}", p.cluster), "namespace": p.ns,
                    "labels": {"cnpg.io/cluster": p.cluster}, "ownerReferences": owner(p)},
                "spec": {"type": "ClusterIP", "selector": selector,
                    "ports": [{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": 5432}]}})
        })
        .collect()
}

/// A container's status: `state` is `waiting:REASON`, `running`, `completed` or `error`.
pub fn container(
    name: &str,
    image: &str,
    state: &str,
    since: DateTime<Utc>,
    restarts: u32,
) -> Value {
    let at = now_rfc3339(since);
    let (st, ready, started) = match state.split_once(':') {
        Some(("waiting", reason)) => (json!({"waiting": {"reason": reason}}), false, false),
        _ => match state {
            "running" => (json!({"running": {"startedAt": at}}), true, true),
            "completed" => (
                json!({"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": at, "finishedAt": now_rfc3339(Utc::now())}}),
                false,
                false,
            ),
            _ => (
                json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": at, "finishedAt": now_rfc3339(Utc::now())}}),
                false,
                false,
            ),
        },
    };
    json!({"name": name, "image": image, "imageID": "", "ready": ready, "started": started,
           "restartCount": restarts, "state": st})
}

pub fn conditions(phase: &str, ready: bool, initialized: bool) -> Value {
    let now = now_rfc3339(Utc::now());
    let b = |v: bool| if v { "True" } else { "False" };
    let mut c = vec![
        json!({"type": "PodScheduled", "status": "True", "lastTransitionTime": now}),
        json!({"type": "Initialized", "status": b(initialized), "lastTransitionTime": now}),
        json!({"type": "ContainersReady", "status": b(ready), "lastTransitionTime": now}),
        json!({"type": "Ready", "status": b(ready), "lastTransitionTime": now}),
    ];
    if matches!(phase, "Succeeded" | "Failed") {
        c.retain(|x| x["type"] != "ContainersReady");
        c.push(json!({"type": "ContainersReady", "status": "False", "reason": "PodCompleted", "lastTransitionTime": now}));
    }
    Value::Array(c)
}

/// The Cluster's status while the first primary is set up.
pub fn cluster_setting_up(p: &Plan) -> Value {
    json!({"status": {
        "phase": "Setting up primary",
        "phaseReason": format!("Creating primary instance {}", instance_name(p)),
        "instances": 1, "readyInstances": 0, "latestGeneratedNode": 1,
        "targetPrimary": instance_name(p),
        "targetPrimaryTimestamp": now_rfc3339(Utc::now()),
        "image": p.image,
        "writeService": format!("{}-rw", p.cluster), "readService": format!("{}-r", p.cluster),
        "conditions": [{"type": "Ready", "status": "False", "reason": "ClusterIsNotReady",
                        "message": "Cluster Is Not Ready", "lastTransitionTime": now_rfc3339(Utc::now())}],
    }})
}

pub fn cluster_healthy(p: &Plan) -> Value {
    let name = instance_name(p);
    let now = now_rfc3339(Utc::now());
    let mut pvcs = vec![name.clone()];
    if p.wal_storage {
        pvcs.push(format!("{name}-wal"));
    }
    json!({"status": {
        "phase": "Cluster in healthy state", "phaseReason": "",
        "instances": 1, "readyInstances": 1,
        "currentPrimary": name, "currentPrimaryTimestamp": now,
        "instanceNames": [name], "instancesStatus": {"healthy": [name]},
        "healthyPVC": pvcs, "timelineID": p.new_timeline(),
        "conditions": [{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
                        "message": "Cluster is Ready", "lastTransitionTime": now}],
    }})
}

pub fn cluster_unrecoverable(reason: &str) -> Value {
    json!({"status": {
        "phase": "Cluster is unrecoverable and needs manual intervention",
        "phaseReason": reason,
        "conditions": [{"type": "Ready", "status": "False", "reason": "ClusterIsNotReady",
                        "message": "Cluster Is Not Ready", "lastTransitionTime": now_rfc3339(Utc::now())}],
    }})
}
