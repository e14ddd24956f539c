//! Sending a planned action and following it to its outcome. Errors are the API server's
//! own words: a 403 names the verb and the resource.

use std::time::Duration;

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::Value;
use tokio::sync::mpsc;

use super::{Body, Follow, Plan, Request};
use crate::cluster::fetch::resource_of;
use crate::model::Kind;

/// How often a followed object is read again.
const POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// Where it stands now.
    Step(String),
    /// The outcome: what it came to, or what went wrong.
    Done(Result<String, String>),
}

fn api(client: &kube::Client, kind: Kind, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &resource_of(kind))
}

fn said(e: kube::Error) -> String {
    match e {
        kube::Error::Api(s) => format!("{} ({})", s.message, s.code),
        other => other.to_string(),
    }
}

/// Whether the user may send every request of `plan`, by SelfSubjectAccessReview. Err says
/// which permission is missing, or that it could not be asked.
pub async fn allowed(client: &kube::Client, plan: &Plan) -> Result<(), String> {
    let reviews: Api<SelfSubjectAccessReview> = Api::all(client.clone());
    for r in &plan.requests {
        let (verb, group, resource, namespace) = r.access();
        let review = SelfSubjectAccessReview {
            spec: SelfSubjectAccessReviewSpec {
                resource_attributes: Some(ResourceAttributes {
                    verb: Some(verb.into()),
                    group: Some(group.into()),
                    resource: Some(resource.into()),
                    namespace: Some(namespace.into()),
                    ..Default::default()
                }),
                ..Default::default()
            },
            ..Default::default()
        };
        let answer = reviews
            .create(&PostParams::default(), &review)
            .await
            .map_err(|e| {
                format!(
                    "could not ask whether you may {verb} {resource}: {}",
                    said(e)
                )
            })?;
        let status = answer.status.unwrap_or_default();
        if !status.allowed {
            let qualified = r.kind.qualified();
            let why = status
                .reason
                .filter(|r| !r.is_empty())
                .map(|r| format!(" ({r})"))
                .unwrap_or_default();
            return Err(format!(
                "you may not {verb} {qualified} in namespace {namespace}{why}"
            ));
        }
    }
    Ok(())
}

async fn send(client: &kube::Client, r: &Request) -> Result<(), String> {
    let api = api(client, r.kind, &r.namespace);
    let params = PatchParams {
        field_manager: Some("backstop".into()),
        ..Default::default()
    };
    let result = match r.body {
        Body::Merge => api
            .patch(&r.name, &params, &Patch::Merge(&r.payload))
            .await
            .map(|_| ()),
        Body::Strategic => api
            .patch(&r.name, &params, &Patch::Strategic(&r.payload))
            .await
            .map(|_| ()),
        Body::Create => {
            let obj: DynamicObject = serde_json::from_value(r.payload.clone())
                .map_err(|e| format!("building {} {}: {e}", r.kind, r.name))?;
            api.create(
                &PostParams {
                    field_manager: Some("backstop".into()),
                    ..Default::default()
                },
                &obj,
            )
            .await
            .map(|_| ())
        }
    };
    result.map_err(said)
}

fn at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

fn ready_of(obj: &Value) -> Option<(String, String, String)> {
    obj.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| at(c, "/type") == Some("Ready"))
        .map(|c| {
            (
                at(c, "/status").unwrap_or("").to_string(),
                at(c, "/reason").unwrap_or("").to_string(),
                at(c, "/message").unwrap_or("").to_string(),
            )
        })
}

async fn get(api: &Api<DynamicObject>, name: &str) -> Result<Value, String> {
    let obj = api.get(name).await.map_err(said)?;
    serde_json::to_value(obj).map_err(|e| e.to_string())
}

/// Follows until `done` says the end is reached, or `limit` passes.
async fn follow(
    client: &kube::Client,
    plan: &Plan,
    tx: &mpsc::Sender<Progress>,
) -> Result<String, String> {
    match &plan.follow {
        Follow::Done => Ok("done".into()),
        Follow::Reconcile {
            namespace,
            name,
            requested_at,
        } => {
            // The object reconciled is the last written: a source comes first.
            let kind = plan
                .requests
                .last()
                .map(|r| r.kind)
                .unwrap_or(Kind::Kustomization);
            let api = api(client, kind, namespace);
            let _ = tx
                .send(Progress::Step(format!(
                    "waiting for the controller to handle the request ({requested_at})"
                )))
                .await;
            let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
            loop {
                let obj = get(&api, name).await?;
                if at(&obj, "/status/lastHandledReconcileAt") == Some(requested_at.as_str()) {
                    return match ready_of(&obj) {
                        Some((s, reason, message)) if s == "True" => {
                            Ok(format!("Ready=True {reason}: {message}"))
                        }
                        Some((s, reason, message)) => Err(format!(
                            "reconciliation failed: Ready={s} {reason}: {message}"
                        )),
                        None => Ok("handled; no Ready condition yet".into()),
                    };
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!(
                        "the controller did not handle the request within 5 minutes (status.lastHandledReconcileAt is {}): is it running?",
                        at(&obj, "/status/lastHandledReconcileAt").unwrap_or("unset")
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Follow::Backup { namespace, name } => {
            let api = api(client, Kind::Backup, namespace);
            let mut last = String::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(6 * 3600);
            loop {
                let obj = get(&api, name).await?;
                let phase = at(&obj, "/status/phase").unwrap_or("pending").to_string();
                if phase != last {
                    let _ = tx
                        .send(Progress::Step(format!("Backup {name}: {phase}")))
                        .await;
                    last = phase.clone();
                }
                if let Some(end) = backup_end(name, &obj) {
                    return end;
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!("Backup {name} is still {phase} after 6 hours"));
                }
                tokio::time::sleep(POLL).await;
            }
        }
        Follow::Rollout { namespace, name } => {
            let api = api(client, Kind::Deployment, namespace);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(300);
            loop {
                let obj = get(&api, name).await?;
                let generation = obj.pointer("/metadata/generation").and_then(Value::as_i64);
                let observed = obj
                    .pointer("/status/observedGeneration")
                    .and_then(Value::as_i64);
                if generation.is_some() && observed >= generation {
                    return Ok(format!(
                        "Deployment {namespace}/{name} restarted: generation {} observed, {}",
                        generation.unwrap_or(0),
                        how_pods_roll(&obj)
                    ));
                }
                if tokio::time::Instant::now() > deadline {
                    return Err(format!(
                        "Deployment {namespace}/{name}: the restart was not observed within 5 minutes"
                    ));
                }
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

/// The outcome of a Backup in a phase that ends it, None while it may still move. Besides
/// completed and failed, the operator stops at walArchivingFailing (in-tree backups whose
/// WAL archiving does not work) and, since 1.30, at "invalid backup definition".
fn backup_end(name: &str, data: &Value) -> Option<Result<String, String>> {
    let phase = data.pointer("/status/phase").and_then(Value::as_str)?;
    let error = || {
        data.pointer("/status/error")
            .and_then(Value::as_str)
            .unwrap_or("no status.error")
            .to_string()
    };
    match phase {
        "completed" => Some(Ok(format!(
            "Backup {name} completed (backupId {})",
            data.pointer("/status/backupId")
                .and_then(Value::as_str)
                .unwrap_or("-")
        ))),
        "failed" => Some(Err(format!("Backup {name} failed: {}", error()))),
        "walArchivingFailing" => Some(Err(format!(
            "Backup {name} did not start: WAL archiving is failing (walArchivingFailing): {}",
            error()
        ))),
        "invalid backup definition" => Some(Err(format!(
            "Backup {name} was refused (invalid backup definition): {}",
            error()
        ))),
        _ => None,
    }
}

/// How a restarted Deployment's pods are replaced, from its strategy.
fn how_pods_roll(obj: &Value) -> &'static str {
    match obj.pointer("/spec/strategy/type").and_then(Value::as_str) {
        Some("Recreate") => {
            "its pods are stopped before the new ones start (strategy Recreate): a short outage"
        }
        _ => "pods roll one by one",
    }
}

/// Sends the plan's requests in order and follows the outcome, reporting on `tx`.
pub async fn run(client: kube::Client, plan: Plan, tx: mpsc::Sender<Progress>) {
    for r in &plan.requests {
        let _ = tx
            .send(Progress::Step(format!(
                "sending: {} {}/{}",
                r.kind, r.namespace, r.name
            )))
            .await;
        if let Err(e) = send(&client, r).await {
            let _ = tx.send(Progress::Done(Err(e))).await;
            return;
        }
    }
    let outcome = follow(&client, &plan, &tx).await;
    let _ = tx.send(Progress::Done(outcome)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(data: Value) -> Value {
        data
    }

    #[test]
    fn a_backup_follow_ends_on_every_terminal_phase() {
        let end =
            |status: Value| backup_end("pg-1", &object(serde_json::json!({"status": status})));
        assert_eq!(
            end(serde_json::json!({"phase": "completed", "backupId": "20261124T060000"})),
            Some(Ok("Backup pg-1 completed (backupId 20261124T060000)".into()))
        );
        assert_eq!(
            end(serde_json::json!({"phase": "failed", "error": "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4"})),
            Some(Err("Backup pg-1 failed: rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4".into()))
        );
        let wal = end(
            serde_json::json!({"phase": "walArchivingFailing", "error": "cannot proceed with the backup as the cluster has issues with the WAL archive"}),
        );
        assert!(
            matches!(&wal, Some(Err(e)) if e.contains("walArchivingFailing") && e.contains("issues with the WAL archive")),
            "{wal:?}"
        );
        let invalid = end(
            serde_json::json!({"phase": "invalid backup definition", "error": "backup method is not set"}),
        );
        assert!(
            matches!(&invalid, Some(Err(e)) if e.contains("invalid backup definition")),
            "{invalid:?}"
        );
        // Still moving: no phase yet, pending, running.
        for status in [
            serde_json::json!({}),
            serde_json::json!({"phase": "pending"}),
            serde_json::json!({"phase": "running"}),
            serde_json::json!({"phase": "finalizing"}),
        ] {
            assert_eq!(end(status), None);
        }
    }

    #[test]
    fn a_recreate_restart_says_it_is_an_outage() {
        let recreate = object(serde_json::json!({"spec": {"strategy": {"type": "Recreate"}}}));
        assert!(how_pods_roll(&recreate).contains("a short outage"));
        let rolling = object(serde_json::json!({"spec": {"strategy": {"type": "RollingUpdate"}}}));
        assert_eq!(how_pods_roll(&rolling), "pods roll one by one");
        assert_eq!(
            how_pods_roll(&object(serde_json::json!({}))),
            "pods roll one by one"
        );
    }
}
