//! The Kubernetes REST API over the store: one fallback handler that parses paths the way
//! the apiserver does, so that every kind, built-in or custom, takes the same road.

mod exec;
mod list_watch;
mod logs;
mod routes;
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use self::routes::route;
use super::Sim;
use super::registry::ResourceType;
use super::status::ApiError;

/// What a resource path names.
pub(super) struct Target {
    pub(super) t: Arc<ResourceType>,
    pub(super) ns: Option<String>,
    pub(super) name: Option<String>,
    pub(super) sub: Option<String>,
}

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new()
        // exec takes the whole request: the connection upgrade rides in its extensions.
        .route(
            "/api/v1/namespaces/{ns}/pods/{name}/exec",
            axum::routing::any(exec::exec),
        )
        .fallback(handle)
        .with_state(sim)
}

type Query = HashMap<String, String>;

fn json_response(code: StatusCode, content_type: &str, v: &Value) -> Response {
    let body = serde_json::to_vec(v).unwrap_or_default();
    (
        code,
        [(header::CONTENT_TYPE, content_type.to_string())],
        body,
    )
        .into_response()
}

fn ok(v: &Value) -> Response {
    json_response(StatusCode::OK, "application/json", v)
}

async fn handle(
    State(sim): State<Arc<Sim>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    sim.requests.fetch_add(1, Ordering::Relaxed);
    let path = uri.path().to_string();
    let query: Query = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    tracing::debug!(%method, %path, query = uri.query().unwrap_or(""), "request");
    if method != Method::GET
        && let Ok(mut writes) = sim.writes.lock()
    {
        if writes.len() >= 256 {
            writes.pop_front();
        }
        writes.push_back(super::Write {
            method: method.to_string(),
            uri: uri.to_string(),
            content_type: headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
    }
    if let Some(hook) = path.strip_prefix("/_sim/") {
        return sim_hook(&sim, &method, hook);
    }
    if let Some(latency) = sim.faults.latency {
        tokio::time::sleep(latency).await;
    }
    if let Some(e) = sim.faults.injected_error(&path) {
        return e.into_response();
    }
    match route(&sim, &method, &path, &query, &headers, &body).await {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(%method, %path, code = e.code, message = %e.message, "request failed");
            e.into_response()
        }
    }
}

fn sim_hook(sim: &Sim, method: &Method, hook: &str) -> Response {
    match (method, hook) {
        (&Method::POST, "compact") => {
            sim.store.compact();
            ok(&json!({"compacted": sim.store.resource_version()}))
        }
        (&Method::POST, "expire-next-watch") => {
            sim.faults.expire_next_watch();
            ok(&json!({"expireNextWatch": true}))
        }
        (&Method::GET, "stats") => ok(&json!({
            "scenario": sim.info.name,
            "objects": sim.store.count(),
            "resourceVersion": sim.store.resource_version().to_string(),
            "watches": sim.store.watchers(),
            "requests": sim.requests.load(Ordering::Relaxed),
        })),
        _ => ApiError::no_route().into_response(),
    }
}

fn flag(q: &Query, key: &str) -> bool {
    q.get(key).is_some_and(|v| v == "true" || v == "1")
}
