//! Cluster objects projected into rows: the only place a watched object's JSON is read.
//! Lenient: every field is optional, unknown values are kept as text, nothing here panics
//! on cluster data; text is cleaned of control characters and credentials as it is read.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use kube::api::DynamicObject;
use serde_json::Value;

mod access;
mod recovery;
pub use access::store_access;

use crate::model::domain::PLUGIN_NAME;
use crate::model::kubefmt::pod_status;
use crate::model::rows::*;

/// A row made from a cluster object.
pub trait Project: Row {
    fn project(obj: &DynamicObject) -> Self;
}

pub fn time(v: Option<&Value>) -> Option<DateTime<Utc>> {
    v.and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

/// A field as text, without control characters or escape sequences: rows reach the screen,
/// reports and transcripts.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(crate::sanitize::clean(s).into_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn created(obj: &DynamicObject) -> Option<DateTime<Utc>> {
    obj.metadata
        .creation_timestamp
        .as_ref()
        .map(|t| DateTime::<Utc>::from_timestamp_nanos(t.0.as_nanosecond() as i64))
}

pub fn conditions(status: Option<&Value>) -> Vec<Condition> {
    status
        .and_then(|s| s.get("conditions"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|c| Condition {
                    kind: text(c.get("type")).unwrap_or_default(),
                    status: text(c.get("status")).unwrap_or_else(|| "Unknown".into()),
                    reason: text(c.get("reason")).unwrap_or_default(),
                    message: text(c.get("message"))
                        .map(|m| crate::redact::redact(&m).into_owned())
                        .unwrap_or_default(),
                    since: time(c.get("lastTransitionTime")),
                })
                .collect()
        })
        .unwrap_or_default()
}

fn labels(obj: &DynamicObject) -> BTreeMap<String, String> {
    obj.metadata.labels.clone().unwrap_or_default()
}

impl Project for PodRow {
    fn project(obj: &DynamicObject) -> Self {
        let data = &obj.data;
        // kubectl's STATUS logic reads metadata too (deletionTimestamp): only a deleted
        // pod's spec and status are copied to give it one.
        let status = if obj.metadata.deletion_timestamp.is_some() {
            pod_status(
                &serde_json::json!({"spec": data.get("spec"), "status": data.get("status"),
                                           "metadata": {"deletionTimestamp": "set"}}),
            )
        } else {
            pod_status(data)
        };
        let list = |p: &str| -> &[Value] {
            data.pointer(p)
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or(&[])
        };
        let sidecars: Vec<String> = list("/spec/initContainers")
            .iter()
            .filter(|c| c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
            .filter_map(|c| text(c.get("name")))
            .collect();
        let statuses: Vec<&Value> = list("/status/containerStatuses")
            .iter()
            .chain(list("/status/initContainerStatuses").iter().filter(|s| {
                s.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| sidecars.iter().any(|c| c == n))
            }))
            .collect();
        let mut last: Option<(DateTime<Utc>, String)> = None;
        for s in &statuses {
            let reason = text(s.pointer("/lastState/terminated/reason"));
            let at = time(s.pointer("/lastState/terminated/finishedAt"));
            if let Some(reason) = reason
                && last
                    .as_ref()
                    .is_none_or(|(t, _)| at.is_some_and(|a| a > *t))
            {
                last = Some((at.unwrap_or_default(), reason));
            }
        }
        let images = list("/spec/containers")
            .iter()
            .chain(list("/spec/initContainers").iter())
            .filter_map(|c| {
                Some((
                    text(c.get("name"))?,
                    text(c.get("image")).unwrap_or_default(),
                ))
            })
            .collect();
        let containers = statuses
            .iter()
            .map(|s| ContainerState {
                name: text(s.get("name")).unwrap_or_default(),
                restarts: s.get("restartCount").and_then(Value::as_i64).unwrap_or(0),
                last_reason: text(s.pointer("/lastState/terminated/reason")),
                last_at: time(s.pointer("/lastState/terminated/finishedAt")),
            })
            .collect();
        PodRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            labels: labels(obj),
            containers,
            ready: (
                statuses
                    .iter()
                    .filter(|s| s.get("ready").and_then(Value::as_bool) == Some(true))
                    .count(),
                list("/spec/containers").len() + sidecars.len(),
            ),
            status,
            phase: text(data.pointer("/status/phase")).unwrap_or_else(|| "Unknown".into()),
            restarts: statuses
                .iter()
                .filter_map(|s| s.get("restartCount").and_then(Value::as_i64))
                .sum(),
            last_termination_at: last
                .as_ref()
                .map(|(t, _)| *t)
                .filter(|t| t.timestamp() != 0),
            last_termination: last.map(|(_, r)| r),
            created: created(obj),
            images,
            sidecars,
            node: text(data.pointer("/spec/nodeName")),
        }
    }
}

impl Project for ServiceRow {
    fn project(obj: &DynamicObject) -> Self {
        let selector = obj
            .data
            .pointer("/spec/selector")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        ServiceRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            labels: labels(obj),
            annotations: obj.metadata.annotations.clone().unwrap_or_default(),
            selector,
        }
    }
}

impl Project for ObjectStoreRow {
    fn project(obj: &DynamicObject) -> Self {
        let cfg = obj.data.pointer("/spec/configuration");
        let get = |p: &str| cfg.and_then(|c| c.pointer(p));
        let destination = text(get("/destinationPath")).unwrap_or_default();
        let provider = if get("/azureCredentials").is_some()
            || destination.starts_with("https://") && destination.contains(".blob.")
        {
            "Azure"
        } else if get("/googleCredentials").is_some() || destination.starts_with("gs://") {
            "GCS"
        } else if get("/s3Credentials").is_some() || destination.starts_with("s3://") {
            "S3"
        } else {
            "unknown"
        };
        let mut secret_refs = Vec::new();
        for creds in ["/s3Credentials", "/azureCredentials", "/googleCredentials"] {
            if let Some(m) = get(creds).and_then(Value::as_object) {
                for v in m.values() {
                    if let (Some(n), Some(k)) = (text(v.get("name")), text(v.get("key"))) {
                        secret_refs.push((n, k));
                    }
                }
            }
        }
        if let (Some(n), Some(k)) = (text(get("/endpointCA/name")), text(get("/endpointCA/key"))) {
            secret_refs.push((n, k));
        }
        let servers = obj
            .data
            .pointer("/status/serverRecoveryWindow")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(server, w)| ServerWindow {
                        server: server.clone(),
                        first_point: time(w.get("firstRecoverabilityPoint")),
                        last_success: time(w.get("lastSuccessfulBackupTime")),
                        last_failure: time(w.get("lastFailedBackupTime")),
                    })
                    .collect()
            })
            .unwrap_or_default();
        ObjectStoreRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            destination,
            endpoint: text(get("/endpointURL")),
            provider: provider.into(),
            retention: text(obj.data.pointer("/spec/retentionPolicy")),
            servers,
            secret_refs,
            created: created(obj),
            access: store_access(cfg),
        }
    }
}

impl Project for BackupRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        BackupRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            cluster: text(d.pointer("/spec/cluster/name")).unwrap_or_default(),
            // The CRD default: a Backup without a method is a barmanObjectStore one.
            method: text(d.pointer("/spec/method")).unwrap_or_else(|| "barmanObjectStore".into()),
            phase: text(d.pointer("/status/phase")).unwrap_or_default(),
            // Errors quote URLs and requests, credentials included, as the tool printed them.
            error: text(d.pointer("/status/error")).map(|m| crate::redact::redact(&m).into_owned()),
            started: time(d.pointer("/status/startedAt")),
            stopped: time(d.pointer("/status/stoppedAt")),
            created: created(obj),
            pod: text(d.pointer("/status/instanceID/podName")),
            backup_id: text(d.pointer("/status/backupId")),
            scheduled_by: obj
                .metadata
                .labels
                .as_ref()
                .and_then(|l| l.get("cnpg.io/scheduled-backup").cloned()),
            plugin_store: plugin_store(d),
        }
    }
}

/// The ObjectStore the Barman Cloud plugin entry of the external cluster that `source_at`
/// names reads from, as the plugin resolves a replica or recovery source.
fn source_store(d: &Value, source_at: &str) -> Option<String> {
    let source = text(d.pointer(source_at))?;
    let external = d
        .pointer("/spec/externalClusters")?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(source.as_str()))?;
    let plugin = external.get("plugin")?;
    if plugin.get("name").and_then(Value::as_str) != Some(PLUGIN_NAME) {
        return None;
    }
    text(plugin.pointer("/parameters/barmanObjectName"))
}

impl Project for ClusterRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        let plugin = d
            .pointer("/spec/plugins")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN_NAME))
                    .map(|p| PluginRef {
                        enabled: p.get("enabled").and_then(Value::as_bool).unwrap_or(true),
                        wal_archiver: p
                            .get("isWALArchiver")
                            .and_then(Value::as_bool)
                            .unwrap_or(false),
                        object_store: text(p.pointer("/parameters/barmanObjectName")),
                        server_name: text(p.pointer("/parameters/serverName")),
                    })
            });
        let plugin_version = d
            .pointer("/status/pluginStatus")
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|p| p.get("name").and_then(Value::as_str) == Some(PLUGIN_NAME))
                    .and_then(|p| text(p.get("version")))
            });
        let drills = recovery::drills(obj.metadata.annotations.as_ref());
        ClusterRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            instances: d.pointer("/status/instances").and_then(Value::as_i64),
            ready_instances: d.pointer("/status/readyInstances").and_then(Value::as_i64),
            phase: text(d.pointer("/status/phase")).unwrap_or_default(),
            phase_reason: text(d.pointer("/status/phaseReason")),
            primary: text(d.pointer("/status/currentPrimary")),
            plugin,
            legacy_barman: d
                .pointer("/spec/backup/barmanObjectStore")
                .is_some_and(|v| !v.is_null()),
            barman_store: d
                .pointer("/spec/backup/barmanObjectStore")
                .filter(|v| v.is_object())
                .map(|v| store_access(Some(v))),
            conditions: conditions(d.get("status")),
            plugin_version,
            created: created(obj),
            annotations: obj
                .metadata
                .annotations
                .iter()
                .flatten()
                .filter(|(k, _)| {
                    k.starts_with("cnpg.io/") && !BULKY_ANNOTATIONS.contains(&k.as_str())
                })
                .map(|(k, v)| (k.clone(), crate::sanitize::clean(v).into_owned()))
                .collect(),
            image: text(d.pointer("/status/image")).or_else(|| text(d.pointer("/spec/imageName"))),
            last_successful_backup: time(d.pointer("/status/lastSuccessfulBackup")),
            replica_source_store: source_store(d, "/spec/replicaCluster/source"),
            recovery_store: source_store(d, "/spec/bootstrap/recovery/source"),
            recovery: recovery::recovery(d),
            last_drill: drills.0,
            last_passed_drill: drills.1,
            certificates: d
                .pointer("/status/certificates/expirations")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(secret, v)| {
                            let raw = text(Some(v))?;
                            Some(CertificateExpiry {
                                secret: crate::sanitize::clean(secret).into_owned(),
                                expires: go_time(&raw),
                                raw,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

/// The ObjectStore a Backup's or ScheduledBackup's `spec.pluginConfiguration` names for the
/// Barman Cloud plugin: it wins over the Cluster's for that backup.
fn plugin_store(d: &Value) -> Option<String> {
    let conf = d.pointer("/spec/pluginConfiguration")?;
    if conf.get("name").and_then(Value::as_str) != Some(PLUGIN_NAME) {
        return None;
    }
    text(conf.pointer("/parameters/barmanObjectName"))
}

/// Annotations that carry whole manifests or command output, not switches: never kept.
const BULKY_ANNOTATIONS: &[&str] = &[
    "cnpg.io/clusterManifest",
    "cnpg.io/hibernateClusterManifest",
    "cnpg.io/pgControldata",
    "cnpg.io/hibernatePgControlData",
    "cnpg.io/podSpec",
];

/// A time as Go's `Time.String` prints it (`2027-02-20 10:10:10 +0000 UTC`, maybe with a
/// fraction of a second): how CloudNativePG writes certificate expirations.
pub fn go_time(s: &str) -> Option<DateTime<Utc>> {
    let mut parts = s.split_whitespace();
    let (date, time, offset) = (parts.next()?, parts.next()?, parts.next()?);
    DateTime::parse_from_str(
        &format!("{date} {time} {offset}"),
        "%Y-%m-%d %H:%M:%S%.f %z",
    )
    .ok()
    .map(|t| t.with_timezone(&Utc))
}

impl Project for ScheduledBackupRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        ScheduledBackupRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            cluster: text(d.pointer("/spec/cluster/name")).unwrap_or_default(),
            schedule: text(d.pointer("/spec/schedule")).unwrap_or_default(),
            suspended: d
                .pointer("/spec/suspend")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            method: text(d.pointer("/spec/method")),
            next: time(d.pointer("/status/nextScheduleTime")),
            last: time(d.pointer("/status/lastScheduleTime")),
            plugin_store: plugin_store(d),
        }
    }
}

impl Project for KustomizationRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        let ns = obj.metadata.namespace.clone().unwrap_or_default();
        let depends_on = d
            .pointer("/spec/dependsOn")
            .and_then(Value::as_array)
            .map(|l| {
                l.iter()
                    .filter_map(|x| {
                        Some((
                            text(x.get("namespace")).unwrap_or_else(|| ns.clone()),
                            text(x.get("name"))?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let conds = conditions(d.get("status"));
        let last_reconciled = d
            .pointer("/status/history/0/lastReconciled")
            .and_then(|v| time(Some(v)))
            .or_else(|| condition(&conds, "Ready").and_then(|c| c.since));
        KustomizationRow {
            source: SourceRef {
                kind: text(d.pointer("/spec/sourceRef/kind"))
                    .unwrap_or_else(|| "GitRepository".into()),
                namespace: text(d.pointer("/spec/sourceRef/namespace"))
                    .unwrap_or_else(|| ns.clone()),
                name: text(d.pointer("/spec/sourceRef/name")).unwrap_or_default(),
            },
            namespace: ns,
            name: obj.metadata.name.clone().unwrap_or_default(),
            conditions: conds,
            suspended: d
                .pointer("/spec/suspend")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            applied: text(d.pointer("/status/lastAppliedRevision")),
            attempted: text(d.pointer("/status/lastAttemptedRevision")),
            last_handled: text(d.pointer("/status/lastHandledReconcileAt")),
            depends_on,
            path: text(d.pointer("/spec/path")),
            interval: text(d.pointer("/spec/interval")),
            timeout: text(d.pointer("/spec/timeout")),
            last_reconciled,
            generation: obj.metadata.generation,
            observed_generation: d
                .pointer("/status/observedGeneration")
                .and_then(Value::as_i64),
            inventory: d
                .pointer("/status/inventory/entries")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|e| text(e.get("id"))).collect())
                .unwrap_or_default(),
        }
    }
}

impl Project for GitRepositoryRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        // Git refs, and an OCIRepository's tag, semver or digest (a HelmRepository has none).
        let reference = ["branch", "tag", "semver", "name", "commit", "digest"]
            .iter()
            .find_map(|k| text(d.pointer(&format!("/spec/ref/{k}"))).map(|v| format!("{k} {v}")));
        GitRepositoryRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            url: text(d.pointer("/spec/url")).unwrap_or_default(),
            reference,
            revision: text(d.pointer("/status/artifact/revision")),
            suspended: d
                .pointer("/spec/suspend")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            conditions: conditions(d.get("status")),
        }
    }
}

impl Project for HelmReleaseRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        let namespace = obj.metadata.namespace.clone().unwrap_or_default();
        let source_at = |p: &str| {
            let r = d.pointer(p)?;
            Some(SourceRef {
                kind: text(r.get("kind")).unwrap_or_default(),
                name: text(r.get("name")).unwrap_or_default(),
                namespace: text(r.get("namespace")).unwrap_or_else(|| namespace.clone()),
            })
        };
        let source = source_at("/spec/chart/spec/sourceRef")
            .or_else(|| source_at("/spec/chartRef"))
            .unwrap_or_default();
        let chart = text(d.pointer("/spec/chart/spec/chart"))
            .or_else(|| text(d.pointer("/spec/chartRef/name")))
            .unwrap_or_default();
        let conditions = conditions(d.get("status"));
        let last_reconciled = condition(&conditions, "Ready").and_then(|c| c.since);
        HelmReleaseRow {
            name: obj.metadata.name.clone().unwrap_or_default(),
            chart,
            version: text(d.pointer("/spec/chart/spec/version")),
            source,
            suspended: d
                .pointer("/spec/suspend")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            applied: text(d.pointer("/status/history/0/chartVersion")),
            attempted: text(d.pointer("/status/lastAttemptedRevision")),
            last_reconciled,
            conditions,
            namespace,
        }
    }
}

impl Project for DeploymentRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        DeploymentRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            labels: labels(obj),
            replicas: d.pointer("/spec/replicas").and_then(Value::as_i64),
            available: d
                .pointer("/status/availableReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            ready: d
                .pointer("/status/readyReplicas")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            conditions: conditions(d.get("status")),
            images: d
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .map(|l| {
                    l.iter()
                        .filter_map(|c| {
                            Some((
                                text(c.get("name"))?,
                                text(c.get("image")).unwrap_or_default(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            selector: d
                .pointer("/spec/selector/matchLabels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
            generation: obj.metadata.generation,
            observed_generation: d
                .pointer("/status/observedGeneration")
                .and_then(Value::as_i64),
        }
    }
}

impl Project for SecretRow {
    fn project(obj: &DynamicObject) -> Self {
        let mut keys: Vec<String> = ["data", "stringData"]
            .iter()
            .filter_map(|f| obj.data.get(*f).and_then(Value::as_object))
            .flat_map(|m| m.keys().cloned())
            .collect();
        keys.sort();
        keys.dedup();
        SecretRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            keys,
        }
    }
}

impl Project for CertificateRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        CertificateRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            secret_name: text(d.pointer("/spec/secretName")),
            conditions: conditions(d.get("status")),
            not_after: time(d.pointer("/status/notAfter")),
            dns_names: d
                .pointer("/spec/dnsNames")
                .and_then(Value::as_array)
                .map(|l| l.iter().filter_map(|v| text(Some(v))).collect())
                .unwrap_or_default(),
        }
    }
}

impl Project for EventRow {
    fn project(obj: &DynamicObject) -> Self {
        let d = &obj.data;
        let last_seen = ["/lastTimestamp", "/eventTime", "/firstTimestamp"]
            .iter()
            .find_map(|p| time(d.pointer(p)))
            .or_else(|| created(obj));
        EventRow {
            namespace: obj.metadata.namespace.clone().unwrap_or_default(),
            name: obj.metadata.name.clone().unwrap_or_default(),
            involved_kind: text(d.pointer("/involvedObject/kind")).unwrap_or_default(),
            involved_namespace: text(d.pointer("/involvedObject/namespace")).unwrap_or_default(),
            involved_name: text(d.pointer("/involvedObject/name")).unwrap_or_default(),
            kind: text(d.get("type")).unwrap_or_else(|| "Normal".into()),
            reason: text(d.get("reason")).unwrap_or_default(),
            message: text(d.get("message"))
                .map(|m| crate::redact::redact(&m).into_owned())
                .unwrap_or_default(),
            count: d.get("count").and_then(Value::as_i64).unwrap_or(1),
            last_seen,
            source: text(d.pointer("/source/component"))
                .or_else(|| text(d.get("reportingComponent")))
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests;
