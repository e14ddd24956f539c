//! The recovery's hands: the objects it writes (as a client would, so nothing is made in
//! a namespace that is gone), the events it records, the logs it appends, and the pod
//! statuses it reports.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};

use super::Recovery;
use super::lines::Line;
use super::objects as o;
use super::plan::{self, Failure, Plan};
use crate::sim::logs::LogKey;
use crate::sim::store::{Part, Store, WriteOpts, now_rfc3339};

pub struct Ctx {
    pub r: Arc<Recovery>,
    pub store: Arc<Store>,
    pub p: Plan,
    pub node: String,
}

/// A pod's container statuses, written whole at each change.
pub struct PodView {
    pub name: String,
    pub phase: &'static str,
    pub inits: Vec<Value>,
    pub containers: Vec<Value>,
    pub ip: Option<String>,
}

impl PodView {
    fn find<'a>(list: &'a mut [Value], name: &str) -> Option<&'a mut Value> {
        list.iter_mut().find(|c| c["name"] == name)
    }

    /// Sets a container's status, keeping its restart count and last state unless given.
    pub fn set(&mut self, status: Value) {
        let name = status["name"].as_str().unwrap_or("").to_string();
        for list in [&mut self.inits, &mut self.containers] {
            if let Some(c) = Self::find(list, &name) {
                let mut new = status;
                if new["restartCount"] == json!(0) {
                    new["restartCount"] = c["restartCount"].clone();
                }
                if new.get("lastState").is_none()
                    && let Some(last) = c.get("lastState")
                {
                    new["lastState"] = last.clone();
                }
                *c = new;
                return;
            }
        }
    }

    /// The container was killed and restarted: `reason` and `code` become its last state.
    pub fn restarted(&mut self, name: &str, reason: &str, code: i32) {
        let now = now_rfc3339(Utc::now());
        for list in [&mut self.inits, &mut self.containers] {
            if let Some(c) = Self::find(list, name) {
                let n = c["restartCount"].as_u64().unwrap_or(0) + 1;
                c["lastState"] = json!({"terminated": {"exitCode": code, "reason": reason,
                    "startedAt": now, "finishedAt": now}});
                c["restartCount"] = json!(n);
            }
        }
    }
}

impl Ctx {
    pub fn alive(&self) -> bool {
        plan::get(
            &self.store,
            "postgresql.cnpg.io",
            "clusters",
            &self.p.ns,
            &self.p.cluster,
        )
        .is_some_and(|c| c.pointer("/metadata/uid").and_then(Value::as_str) == Some(&self.p.uid))
    }

    pub async fn pause(&self, steps: f64) {
        tokio::time::sleep(self.r.settings.step.mul_f64(steps)).await;
    }

    pub fn rtype(
        &self,
        group: &str,
        plural: &str,
    ) -> Option<Arc<crate::sim::registry::ResourceType>> {
        self.store
            .read()
            .registry
            .get(&(group.to_string(), plural.to_string()))
            .cloned()
    }

    /// Creates an object as a client would: refused in a namespace that is gone.
    pub fn create(&self, group: &str, plural: &str, obj: Value) -> Option<Arc<Value>> {
        let t = self.rtype(group, plural)?;
        let opts = WriteOpts {
            manager: Some("cloudnative-pg".into()),
            ..Default::default()
        };
        match self.store.create(&t, obj, &opts) {
            Ok(o) => Some(o),
            Err(e) => {
                tracing::debug!(group, plural, error = %e.message, "the simulated recovery could not create");
                None
            }
        }
    }

    /// Merges a status (or any) patch over an existing object; false when it is gone.
    pub fn merge(&self, group: &str, plural: &str, name: &str, patch: &Value) -> bool {
        let Some(t) = self.rtype(group, plural) else {
            return false;
        };
        self.store
            .update(
                &t,
                &self.p.ns,
                name,
                Part::Main,
                &WriteOpts::internal(),
                |old| {
                    let mut new = old.clone();
                    json_patch::merge(&mut new, patch);
                    Ok(new)
                },
            )
            .is_ok()
    }

    pub fn cluster_status(&self, patch: Value) -> bool {
        self.merge(
            "postgresql.cnpg.io",
            "clusters",
            &self.p.cluster.clone(),
            &patch,
        )
    }

    /// Records an Event about an object, as `component` does.
    pub fn event(
        &self,
        involved: &Value,
        warning: bool,
        reason: &str,
        message: &str,
        component: &str,
    ) {
        let now = Utc::now();
        let ts = now_rfc3339(now);
        let name = involved["name"].as_str().unwrap_or("").to_string();
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": format!("{name}.{:x}{}", now.timestamp_nanos_opt().unwrap_or(0), self.store.random_suffix()),
                         "namespace": self.p.ns},
            "involvedObject": involved,
            "type": if warning { "Warning" } else { "Normal" },
            "reason": reason, "message": message, "count": 1,
            "firstTimestamp": ts, "lastTimestamp": ts,
            "source": {"component": component}, "reportingComponent": component,
        });
        self.create("", "events", event);
    }

    pub fn involved(&self, api_version: &str, kind: &str, obj: &Value) -> Value {
        json!({"apiVersion": api_version, "kind": kind, "namespace": self.p.ns,
               "name": obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
               "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null)})
    }

    pub fn cluster_ref(&self) -> Value {
        json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster", "namespace": self.p.ns,
               "name": self.p.cluster, "uid": self.p.uid})
    }

    pub fn key(&self, pod: &str, container: &str) -> LogKey {
        (self.p.ns.clone(), pod.to_string(), container.to_string())
    }

    pub fn log(&self, key: &LogKey, line: String) {
        self.r.logs.push(key, Utc::now(), line);
    }

    /// Writes a pod's status; false when the pod is gone.
    pub fn pod_status(&self, v: &PodView) -> bool {
        let ready = v.phase == "Running" && v.containers.iter().all(|c| c["ready"] == true);
        let initialized = !v.inits.iter().any(|c| {
            c.get("restartPolicy").is_none()
                && c.pointer("/state/terminated/reason")
                    .and_then(Value::as_str)
                    != Some("Completed")
                && c["name"] != "plugin-barman-cloud"
        });
        let mut status = json!({
            "phase": v.phase, "hostIP": "10.0.0.11", "startTime": now_rfc3339(Utc::now()),
            "qosClass": "Burstable",
            "conditions": o::conditions(v.phase, ready, initialized),
            "initContainerStatuses": v.inits, "containerStatuses": v.containers,
        });
        if let Some(ip) = &v.ip {
            status["podIP"] = json!(ip);
            status["podIPs"] = json!([{"ip": ip}]);
        }
        self.merge("", "pods", &v.name, &json!({ "status": status }))
    }

    pub fn backoff(&self, attempt: u32) -> Duration {
        self.r.settings.retry_backoff * 2u32.pow(attempt.min(5))
    }
}

/// The error the restore ends with, as the instance manager logs it.
pub fn restore_failed(ctx: &Ctx, main: &LogKey, pod: &str, error: &str) -> bool {
    ctx.log(
        main,
        Line::error(Utc::now(), "Error while restoring a backup")
            .s("logging_pod", pod)
            .s("error", error)
            .done(),
    );
    ctx.log(
        main,
        Line::error(Utc::now(), "restore error")
            .s("logging_pod", pod)
            .s("error", &format!("while restoring cluster: {error}"))
            .done(),
    );
    false
}

pub fn failure(ctx: &Ctx) -> Option<&Failure> {
    ctx.p.failure.as_ref()
}
