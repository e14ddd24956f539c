//! On-demand reads for the views that need more than rows: an object's YAML (fetched
//! fresh), its events, and a container's log followed live.

use chrono::{DateTime, Utc};
use futures::{AsyncBufReadExt, StreamExt};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, DynamicObject, ListParams, LogParams};
use kube::discovery::ApiResource;
use serde_json::Value;

use super::project::time;
use crate::model::Kind;

/// The API resource of a kind.
pub fn resource_of(kind: Kind) -> ApiResource {
    super::watch::KindSpec::of(kind).resource
}

fn describe_error(what: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) if s.code == 403 => format!("{what}: forbidden: {}", s.message),
        kube::Error::Api(s) if s.code == 404 => format!("{what}: not found (deleted since?)"),
        kube::Error::Api(s) => format!("{what}: {} ({})", s.message, s.code),
        other => format!("{what}: {other}"),
    }
}

/// Secret values never leave this function: only their keys and sizes.
fn redact(obj: &mut Value) {
    if obj.get("kind").and_then(Value::as_str) != Some("Secret") {
        return;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for v in map.values_mut() {
                let len = v.as_str().map_or(0, str::len);
                *v = Value::String(format!("<hidden: {len} bytes>"));
            }
        }
    }
    if let Some(ann) = obj
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        // kubectl apply keeps the whole object, values included, in this annotation.
        ann.remove("kubectl.kubernetes.io/last-applied-configuration");
    }
}

/// The object as YAML, fresh from the API, without managedFields.
pub async fn yaml(
    client: kube::Client,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<String, String> {
    let ar = resource_of(kind);
    let api: Api<DynamicObject> = Api::namespaced_with(client, namespace, &ar);
    let obj = api
        .get(name)
        .await
        .map_err(|e| describe_error(&format!("getting {kind} {namespace}/{name}"), &e))?;
    let mut v = serde_json::to_value(&obj)
        .map_err(|e| format!("reading {kind} {namespace}/{name}: {e}"))?;
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    redact(&mut v);
    serde_yaml::to_string(&v).map_err(|e| format!("writing {kind} {namespace}/{name} as YAML: {e}"))
}

/// One event, as `kubectl events` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct EventLine {
    pub last_seen: Option<DateTime<Utc>>,
    pub kind: String,
    pub reason: String,
    pub count: i32,
    pub message: String,
    pub source: String,
}

/// The object's events, newest first.
pub async fn events(
    client: kube::Client,
    kind: Kind,
    namespace: &str,
    name: &str,
) -> Result<Vec<EventLine>, String> {
    let api: Api<Event> = Api::namespaced(client, namespace);
    let fields = format!("involvedObject.kind={kind},involvedObject.name={name}");
    let list = api
        .list(&ListParams::default().fields(&fields))
        .await
        .map_err(|e| {
            describe_error(
                &format!("listing the events of {kind} {namespace}/{name}"),
                &e,
            )
        })?;
    let mut out: Vec<EventLine> = list
        .items
        .into_iter()
        .map(|e| {
            let v = serde_json::to_value(&e).unwrap_or(Value::Null);
            let last_seen = [
                "/lastTimestamp",
                "/eventTime",
                "/firstTimestamp",
                "/metadata/creationTimestamp",
            ]
            .iter()
            .find_map(|p| time(v.pointer(p)));
            EventLine {
                last_seen,
                kind: e.type_.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                count: e.count.unwrap_or(1),
                message: e
                    .message
                    .map(|m| crate::redact::redact(&m).into_owned())
                    .unwrap_or_default(),
                source: e
                    .source
                    .and_then(|s| s.component)
                    .or(e.reporting_component)
                    .unwrap_or_default(),
            }
        })
        .collect();
    out.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    Ok(out)
}

/// A piece of a followed log.
#[derive(Debug, Clone, PartialEq)]
pub enum LogChunk {
    Lines(Vec<String>),
    /// The stream ended: None when the server closed it, else why it failed.
    End(Option<String>),
}

/// Follows a container's log, sending lines in chunks so a chatty container costs one
/// message per batch, not per line. Ends when the receiver goes away.
pub async fn follow_logs(
    client: kube::Client,
    namespace: String,
    pod: String,
    container: String,
    tail: i64,
    tx: tokio::sync::mpsc::Sender<LogChunk>,
) {
    let api: Api<Pod> = Api::namespaced(client, &namespace);
    let params = LogParams {
        container: Some(container.clone()),
        follow: true,
        tail_lines: Some(tail),
        ..Default::default()
    };
    let stream = match api.log_stream(&pod, &params).await {
        Ok(s) => s,
        Err(e) => {
            let _ = tx
                .send(LogChunk::End(Some(describe_error(
                    &format!("reading the log of {namespace}/{pod} ({container})"),
                    &e,
                ))))
                .await;
            return;
        }
    };
    let mut lines = stream.lines().ready_chunks(512).boxed();
    while let Some(batch) = lines.next().await {
        let mut out = Vec::with_capacity(batch.len());
        for line in batch {
            match line {
                // Shown as kubectl shows it, less the credentials a process printed.
                Ok(l) => out.push(crate::redact::redact(&l).into_owned()),
                Err(e) => {
                    let _ = tx.send(LogChunk::Lines(out)).await;
                    let _ = tx
                        .send(LogChunk::End(Some(format!("the log stream broke: {e}"))))
                        .await;
                    return;
                }
            }
        }
        if tx.send(LogChunk::Lines(out)).await.is_err() {
            return;
        }
    }
    let _ = tx.send(LogChunk::End(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_hidden_with_their_size() {
        let mut s = json!({"kind": "Secret", "metadata": {"annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"c2VjcmV0\"}}"}},
                           "data": {"ACCESS_KEY_ID": "QUtJQUlPU0ZPRE5ON0VYQU1QTEU="}, "stringData": {"x": "plain"}});
        redact(&mut s);
        let text = s.to_string();
        assert!(
            !text.contains("QUtJQUlPU0ZPRE5ON0VYQU1QTEU")
                && !text.contains("plain")
                && !text.contains("c2VjcmV0"),
            "{text}"
        );
        assert_eq!(
            s.pointer("/data/ACCESS_KEY_ID"),
            Some(&json!("<hidden: 28 bytes>"))
        );
    }
}
