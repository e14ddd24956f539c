//! Watch streams: one JSON event per line, as kube-client's line codec requires. Resumes
//! from a resourceVersion, synthesises ADDED for "0", honours sendInitialEvents, bookmarks
//! and timeoutSeconds, and ends with 410 Expired when its history is gone.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::registry::ResourceType;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Change, ChangeType, Store};
use super::table::{Printer, partial_metadata};

/// How objects are written in list and watch responses, from the Accept header.
#[derive(Debug, Clone)]
pub enum Render {
    Full,
    /// `as=Table`, with the includeObject policy.
    Table(String),
    /// `as=PartialObjectMetadata(List)`.
    Metadata,
}

impl Render {
    pub fn from_accept(accept: &str, include: Option<&str>) -> Render {
        // The first acceptable media type wins; kubectl lists Table first and JSON last.
        for part in accept.split(',') {
            let p = part.replace(' ', "");
            if p.contains("as=Table") {
                return Render::Table(include.unwrap_or("Metadata").to_string());
            }
            if p.contains("as=PartialObjectMetadata") {
                return Render::Metadata;
            }
            if p.starts_with("application/json") || p.starts_with("*/*") {
                return Render::Full;
            }
        }
        Render::Full
    }

    pub fn content_type(&self) -> &'static str {
        match self {
            Render::Full => "application/json",
            Render::Table(_) => "application/json;as=Table;v=v1;g=meta.k8s.io",
            Render::Metadata => "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        }
    }

    pub fn one(&self, printer: &Printer, obj: &Value) -> Value {
        match self {
            Render::Full => obj.clone(),
            Render::Table(include) => printer.table(&[obj], include, Utc::now()),
            Render::Metadata => partial_metadata(obj),
        }
    }
}

pub struct WatchRequest {
    pub t: Arc<ResourceType>,
    pub ns: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// None for "" or "0": start with the current state.
    pub since: Option<u64>,
    pub send_initial_events: bool,
    pub bookmarks: bool,
    pub bookmark_every: Duration,
    pub timeout: Option<Duration>,
    pub drop_after: Option<Duration>,
    pub expire_now: bool,
    pub render: Render,
}

impl WatchRequest {
    fn matches(&self, obj: &Value) -> bool {
        let in_ns = match &self.ns {
            Some(ns) => {
                obj.pointer("/metadata/namespace").and_then(Value::as_str) == Some(ns.as_str())
            }
            None => true,
        };
        in_ns && self.labels.matches(obj) && self.fields.matches(obj)
    }

    /// What this watcher sees of a change: MODIFIED that enters or leaves its selector
    /// becomes ADDED or DELETED, as the apiserver's watch cache does.
    fn translate<'a>(&self, c: &'a Change) -> Option<(&'static str, &'a Value)> {
        if c.key != self.t.key() {
            return None;
        }
        let now = self.matches(&c.obj);
        let before = c.prev.as_ref().is_some_and(|p| self.matches(p));
        let kind = match c.kind {
            ChangeType::Added if now => ChangeType::Added,
            ChangeType::Modified if now && before => ChangeType::Modified,
            ChangeType::Modified if now => ChangeType::Added,
            ChangeType::Modified if before => ChangeType::Deleted,
            ChangeType::Deleted if now || before => ChangeType::Deleted,
            _ => return None,
        };
        Some((kind.as_str(), &c.obj))
    }

    fn line(&self, kind: &str, obj: &Value) -> Bytes {
        event_line(kind, &self.render.one(&self.t.printer, obj))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        event_line(
            "BOOKMARK",
            &json!({"kind": self.t.kind, "apiVersion": self.t.api_version(), "metadata": meta}),
        )
    }
}

fn event_line(kind: &str, obj: &Value) -> Bytes {
    let mut line = serde_json::to_vec(&json!({"type": kind, "object": obj})).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

fn expired_line(e: &ApiError) -> Bytes {
    event_line("ERROR", &e.body())
}

/// Starts a watch and returns its chunked body. The stream ends when the client goes away,
/// on timeout, on a dropped-watch fault, or with 410 when the history it needs is gone.
pub fn stream(store: Arc<Store>, req: WatchRequest) -> Body {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    tokio::spawn(async move { run(store, req, tx).await });
    Body::from_stream(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    }))
}

async fn run(store: Arc<Store>, req: WatchRequest, tx: mpsc::Sender<Bytes>) {
    let _guard = store.watch_guard();
    if req.expire_now {
        let _ = tx
            .send(expired_line(&ApiError::expired(
                "too old resource version: expired by the simulator",
            )))
            .await;
        return;
    }
    // Subscribe before reading state, so that no change falls between the two.
    let mut changes = store.subscribe();
    let mut epoch = store.epoch();
    epoch.mark_unchanged();
    let mut seen: u64;
    match req.since {
        None => {
            let (items, rv) = store.list(&req.t, req.ns.as_deref(), &req.labels, &req.fields);
            seen = rv;
            for obj in items {
                if tx.send(req.line("ADDED", &obj)).await.is_err() {
                    return;
                }
            }
            if req.send_initial_events && tx.send(req.bookmark(rv, true)).await.is_err() {
                return;
            }
        }
        Some(rv) => match store.changes_since(rv) {
            Err(e) => {
                let _ = tx.send(expired_line(&e)).await;
                return;
            }
            Ok(replay) => {
                seen = rv;
                for c in replay {
                    seen = seen.max(c.rv);
                    if let Some((kind, obj)) = req.translate(&c)
                        && tx.send(req.line(kind, obj)).await.is_err()
                    {
                        return;
                    }
                }
            }
        },
    }

    let deadline = |d: Option<Duration>| async move {
        match d {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let timeout = deadline(req.timeout);
    let dropped = deadline(req.drop_after);
    tokio::pin!(timeout, dropped);
    let mut bookmarks = tokio::time::interval_at(
        tokio::time::Instant::now() + req.bookmark_every,
        req.bookmark_every,
    );
    loop {
        tokio::select! {
            msg = changes.recv() => match msg {
                Ok(c) => {
                    if c.rv <= seen {
                        continue;
                    }
                    seen = c.rv;
                    if let Some((kind, obj)) = req.translate(&c)
                        && tx.send(req.line(kind, obj)).await.is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    // Too slow a reader: like an apiserver, end it and let it relist.
                    let _ = tx.send(expired_line(&ApiError::expired(format!("too old resource version: {seen}")))).await;
                    return;
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = epoch.changed() => {
                let _ = tx.send(expired_line(&ApiError::expired(format!("too old resource version: {seen} (compacted)")))).await;
                return;
            }
            _ = bookmarks.tick(), if req.bookmarks => {
                if tx.send(req.bookmark(seen, false)).await.is_err() {
                    return;
                }
            }
            _ = &mut timeout => return,
            _ = &mut dropped => return,
            _ = tx.closed() => return,
        }
    }
}
