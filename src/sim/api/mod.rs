//! The Kubernetes REST API over the store: one fallback handler that parses paths the way
//! the apiserver does, so that every kind, built-in or custom, takes the same road.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Sim;
use super::discovery;
use super::faults::forbidden_error;
use super::logs::LogQuery;
use super::patch::{self, PatchType};
use super::registry::ResourceType;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::store::{Part, WriteOpts, obj_key};
use super::watch::{self, Render, WatchRequest};

pub fn router(sim: Arc<Sim>) -> Router {
    Router::new().fallback(handle).with_state(sim)
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

async fn route(
    sim: &Arc<Sim>,
    method: &Method,
    path: &str,
    q: &Query,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let accept = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let get = method == Method::GET;
    let reg = || sim.store.read().registry.clone();
    match segs.as_slice() {
        ["version"] if get => Ok(ok(&discovery::version())),
        ["api"] if get => Ok(if discovery::wants_aggregated(accept) {
            json_response(
                StatusCode::OK,
                discovery::AGGREGATED_CT,
                &discovery::aggregated(&reg(), true),
            )
        } else {
            ok(&discovery::api_versions())
        }),
        ["apis"] if get => Ok(if discovery::wants_aggregated(accept) {
            json_response(
                StatusCode::OK,
                discovery::AGGREGATED_CT,
                &discovery::aggregated(&reg(), false),
            )
        } else {
            ok(&discovery::api_groups(&reg()))
        }),
        ["api", "v1"] if get => discovery::resource_list(&reg(), "", "v1")
            .map(|v| ok(&v))
            .ok_or_else(ApiError::no_route),
        ["apis", group] if get => discovery::api_group(&reg(), group)
            .map(|v| ok(&v))
            .ok_or_else(ApiError::no_route),
        ["apis", group, version] if get => discovery::resource_list(&reg(), group, version)
            .map(|v| ok(&v))
            .ok_or_else(ApiError::no_route),
        ["openapi", "v3"] if get => Ok(ok(&discovery::openapi_index(&reg()))),
        ["openapi", "v3", "api", "v1"] if get => discovery::openapi_group_version(&reg(), "", "v1")
            .map(|v| ok(&v))
            .ok_or_else(ApiError::no_route),
        ["openapi", "v3", "apis", group, version] if get => {
            discovery::openapi_group_version(&reg(), group, version)
                .map(|v| ok(&v))
                .ok_or_else(ApiError::no_route)
        }
        ["api", "v1", rest @ ..] => {
            resource(sim, method, "", "v1", rest, q, headers, accept, body).await
        }
        ["apis", group, version, rest @ ..] => {
            resource(sim, method, group, version, rest, q, headers, accept, body).await
        }
        _ => Err(ApiError::no_route()),
    }
}

/// What a resource path names.
struct Target {
    t: Arc<ResourceType>,
    ns: Option<String>,
    name: Option<String>,
    sub: Option<String>,
}

fn resolve(sim: &Sim, group: &str, version: &str, segs: &[&str]) -> Result<Target, ApiError> {
    let (ns, rest) = match segs {
        ["namespaces", ns, plural, rest @ ..] if !matches!(*plural, "status" | "finalize") => (
            Some(ns.to_string()),
            std::iter::once(*plural)
                .chain(rest.iter().copied())
                .collect::<Vec<_>>(),
        ),
        _ => (None, segs.to_vec()),
    };
    let (plural, name, sub) = match rest.as_slice() {
        [plural] => (*plural, None, None),
        [plural, name] => (*plural, Some(name.to_string()), None),
        [plural, name, sub] => (*plural, Some(name.to_string()), Some(sub.to_string())),
        _ => return Err(ApiError::no_route()),
    };
    let t = sim
        .store
        .read()
        .registry
        .resolve(group, version, plural)
        .cloned()
        .ok_or_else(ApiError::no_route)?;
    if ns.is_some() && !t.namespaced {
        return Err(ApiError::no_route());
    }
    // A namespaced kind's items live under /namespaces/NS/; only collections span them all.
    if ns.is_none() && t.namespaced && name.is_some() {
        return Err(ApiError::no_route());
    }
    match sub.as_deref() {
        None => {}
        Some("status") if t.status_subresource => {}
        Some("log") if t.log_subresource => {}
        Some(_) => return Err(ApiError::no_route()),
    }
    Ok(Target { t, ns, name, sub })
}

fn flag(q: &Query, key: &str) -> bool {
    q.get(key).is_some_and(|v| v == "true" || v == "1")
}

fn manager(q: &Query, headers: &HeaderMap) -> Option<String> {
    q.get("fieldManager").cloned().or_else(|| {
        headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.split('/').next().unwrap_or(ua).to_string())
    })
}

#[allow(clippy::too_many_arguments)]
async fn resource(
    sim: &Arc<Sim>,
    method: &Method,
    group: &str,
    version: &str,
    segs: &[&str],
    q: &Query,
    headers: &HeaderMap,
    accept: &str,
    body: &Bytes,
) -> Result<Response, ApiError> {
    let target = resolve(sim, group, version, segs)?;
    let t = target.t.clone();
    let verb = match (method, &target.name) {
        (&Method::GET, None) if flag(q, "watch") => "watch",
        (&Method::GET, None) => "list",
        (&Method::GET, Some(_)) => "get",
        (&Method::POST, None) => "create",
        (&Method::PUT, Some(_)) => "update",
        (&Method::PATCH, Some(_)) => "patch",
        (&Method::DELETE, Some(_)) => "delete",
        (&Method::DELETE, None) => "deletecollection",
        _ => {
            return Err(ApiError::new(
                405,
                "MethodNotAllowed",
                format!(
                    "the server does not allow this method on the requested resource ({method})"
                ),
            ));
        }
    };
    if !t.create_only {
        let resource = match &target.sub {
            Some(sub) => format!("{}/{sub}", t.plural),
            None => t.plural.clone(),
        };
        if sim
            .faults
            .forbids(&t.group, &resource, verb, target.ns.as_deref())
        {
            return Err(forbidden_error(
                &t.group,
                &resource,
                verb,
                target.ns.as_deref(),
                target.name.as_deref(),
            ));
        }
    } else if verb != "create" {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ));
    }
    let render = Render::from_accept(accept, q.get("includeObject").map(String::as_str));
    let ns = target.ns.clone().unwrap_or_default();
    let opts = WriteOpts {
        manager: manager(q, headers),
        apply: false,
        internal: false,
    };
    match verb {
        "watch" => watch_collection(sim, &target, q, render),
        "list" => list(sim, &target, q, &render),
        "get" => {
            let name = target.name.as_deref().unwrap_or("");
            let obj = sim.store.get(&t, &ns, name)?;
            if target.sub.as_deref() == Some("log") {
                return logs(sim, &obj, q);
            }
            Ok(json_response(
                StatusCode::OK,
                render.content_type_one(),
                &render.one(&t.printer, &obj),
            ))
        }
        "create" if t.create_only => Ok(json_response(
            StatusCode::CREATED,
            "application/json",
            &access_review(sim, body)?,
        )),
        "create" => {
            let obj = parse_object(body, &t, target.ns.as_deref(), None)?;
            if flag_dry_run(q) {
                return Ok(json_response(StatusCode::CREATED, "application/json", &obj));
            }
            let created = sim.store.create(&t, obj, &opts)?;
            Ok(json_response(
                StatusCode::CREATED,
                "application/json",
                &created,
            ))
        }
        "update" => {
            let name = target.name.clone().unwrap_or_default();
            let obj = parse_object(body, &t, target.ns.as_deref(), Some(&name))?;
            let part = if target.sub.is_some() {
                Part::Status
            } else {
                Part::Main
            };
            let updated = sim.store.update(&t, &ns, &name, part, &opts, |_| Ok(obj))?;
            Ok(ok(&updated))
        }
        "patch" => patch_object(sim, &target, q, headers, body, opts),
        "delete" => {
            let deleted = sim
                .store
                .delete(&t, &ns, target.name.as_deref().unwrap_or(""))?;
            Ok(ok(&deleted))
        }
        "deletecollection" => {
            let labels = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))
                .map_err(ApiError::bad_request)?;
            let fields = FieldSelector::parse(q.get("fieldSelector").map_or("", String::as_str))
                .map_err(ApiError::bad_request)?;
            let (items, _) = sim.store.list(&t, target.ns.as_deref(), &labels, &fields);
            let mut deleted = Vec::new();
            for obj in items {
                let (ons, oname) = obj_key(&obj);
                // Another writer may have removed it since the list: that is fine.
                if let Ok(d) = sim.store.delete(&t, &ons, &oname) {
                    deleted.push((*d).clone());
                }
            }
            Ok(ok(
                &json!({"kind": format!("{}List", t.kind), "apiVersion": t.api_version(),
                          "metadata": {"resourceVersion": sim.store.resource_version().to_string()}, "items": deleted}),
            ))
        }
        _ => Err(ApiError::no_route()),
    }
}

fn flag_dry_run(q: &Query) -> bool {
    q.get("dryRun").is_some_and(|v| v == "All")
}

impl Render {
    fn content_type_one(&self) -> &'static str {
        match self {
            Render::Metadata => "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
            other => other.content_type(),
        }
    }
}

/// Parses a create/update body and checks it names the kind and namespace of the path.
fn parse_object(
    body: &[u8],
    t: &ResourceType,
    ns: Option<&str>,
    name: Option<&str>,
) -> Result<Value, ApiError> {
    let mut obj: Value = serde_json::from_slice(body)
        .or_else(|_| serde_yaml::from_slice(body))
        .map_err(|e| {
            ApiError::bad_request(format!("the body of the request could not be decoded: {e}"))
        })?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request must be a JSON object",
        ));
    }
    if let Some(av) = obj.get("apiVersion").and_then(Value::as_str)
        && av != t.api_version()
    {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({av}) does not match the expected API version ({})",
            t.api_version()
        )));
    }
    if let Some(kind) = obj.get("kind").and_then(Value::as_str)
        && kind != t.kind
    {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            t.kind
        )));
    }
    obj["apiVersion"] = json!(t.api_version());
    obj["kind"] = json!(t.kind);
    let meta = super::store::metadata_mut(&mut obj);
    if let Some(ns) = ns {
        match meta.get("namespace").and_then(Value::as_str) {
            Some(body_ns) if !body_ns.is_empty() && body_ns != ns => {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            _ => {
                meta.insert("namespace".into(), json!(ns));
            }
        }
    }
    if let Some(name) = name {
        match meta.get("name").and_then(Value::as_str) {
            Some(n) if n != name => {
                return Err(ApiError::bad_request(format!(
                    "the name of the object ({n}) does not match the name on the URL ({name})"
                )));
            }
            _ => {
                meta.insert("name".into(), json!(name));
            }
        }
    }
    Ok(obj)
}

fn patch_object(
    sim: &Sim,
    target: &Target,
    q: &Query,
    headers: &HeaderMap,
    body: &[u8],
    mut opts: WriteOpts,
) -> Result<Response, ApiError> {
    let t = &target.t;
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let unsupported = || {
        ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml{}",
                if t.builtin {
                    ", application/strategic-merge-patch+json"
                } else {
                    ""
                }
            ),
        )
    };
    let pt = PatchType::from_content_type(ct).ok_or_else(unsupported)?;
    if pt == PatchType::Strategic && !t.builtin {
        return Err(unsupported());
    }
    let patch = patch::parse_body(pt, body)?;
    let ns = target.ns.clone().unwrap_or_default();
    let name = target.name.clone().unwrap_or_default();
    let part = if target.sub.is_some() {
        Part::Status
    } else {
        Part::Main
    };
    if pt == PatchType::Apply {
        opts.manager = Some(q.get("fieldManager").cloned().ok_or_else(|| {
            ApiError::bad_request(
                "PATCH, fieldManager: Required value: is required for apply patch",
            )
        })?);
        opts.apply = true;
        // Server-side apply creates what does not exist yet.
        if sim.store.get(t, &ns, &name).is_err() && part == Part::Main {
            let obj = parse_object(
                &serde_json::to_vec(&patch).unwrap_or_default(),
                t,
                target.ns.as_deref(),
                Some(&name),
            )?;
            let created = sim.store.create(t, obj, &opts)?;
            return Ok(json_response(
                StatusCode::CREATED,
                "application/json",
                &created,
            ));
        }
    }
    let dry_run = flag_dry_run(q);
    if dry_run {
        let old = sim.store.get(t, &ns, &name)?;
        return Ok(ok(&patch::apply(pt, &old, &patch)?));
    }
    let updated = sim.store.update(t, &ns, &name, part, &opts, |old| {
        patch::apply(pt, old, &patch)
    })?;
    Ok(ok(&updated))
}

fn access_review(sim: &Sim, body: &[u8]) -> Result<Value, ApiError> {
    let mut review: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(format!("the body of the request could not be decoded: {e}"))
    })?;
    let attrs = review.pointer("/spec/resourceAttributes").cloned();
    let allowed = match &attrs {
        Some(a) => {
            let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
            let resource = if s("subresource").is_empty() {
                s("resource").to_string()
            } else {
                format!("{}/{}", s("resource"), s("subresource"))
            };
            let ns = Some(s("namespace")).filter(|n| !n.is_empty());
            !sim.faults.forbids(s("group"), &resource, s("verb"), ns)
        }
        None => true,
    };
    review["status"] = if allowed {
        json!({"allowed": true, "reason": "allowed by the simulated cluster's permissions"})
    } else {
        json!({"allowed": false, "denied": true, "reason": "denied by the scenario's forbidden rules"})
    };
    review["metadata"] = json!({"creationTimestamp": null});
    Ok(review)
}

fn selectors(q: &Query) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(q.get("fieldSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect();
    String::from_utf8(bytes?).ok()
}

/// A continue token: the resourceVersion of the first page and the last key served.
fn encode_continue(rv: u64, key: &(String, String)) -> String {
    format!("{rv}-{}-{}", hex(&key.0), hex(&key.1))
}

fn decode_continue(token: &str) -> Option<(u64, (String, String))> {
    let mut parts = token.splitn(3, '-');
    let rv = parts.next()?.parse().ok()?;
    let ns = unhex(parts.next()?)?;
    let name = unhex(parts.next()?)?;
    Some((rv, (ns, name)))
}

fn list(sim: &Sim, target: &Target, q: &Query, render: &Render) -> Result<Response, ApiError> {
    let t = &target.t;
    let (labels, fields) = selectors(q)?;
    let mut after = None;
    let mut pinned_rv = None;
    if let Some(token) = q.get("continue").filter(|c| !c.is_empty()) {
        let (pinned, key) = decode_continue(token)
            .ok_or_else(|| ApiError::bad_request("continue key is not valid"))?;
        if sim.store.too_old(pinned) {
            return Err(ApiError::expired(
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            ));
        }
        after = Some(key);
        pinned_rv = Some(pinned);
    }
    let (mut items, mut rv) =
        sim.store
            .list_after(t, target.ns.as_deref(), &labels, &fields, after.as_ref());
    if let Some(pinned) = pinned_rv {
        rv = pinned;
    }
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let mut cont = None;
    let mut remaining = None;
    if let Some(limit) = limit
        && items.len() > limit
    {
        remaining = Some(items.len() - limit);
        items.truncate(limit);
        cont = items.last().map(|o| encode_continue(rv, &obj_key(o)));
    }
    let mut meta = json!({"resourceVersion": rv.to_string()});
    if let Some(c) = &cont {
        meta["continue"] = json!(c);
        meta["remainingItemCount"] = json!(remaining);
    }
    let body = match render {
        Render::Table(include) => {
            let refs: Vec<&Value> = items.iter().map(|a| a.as_ref()).collect();
            let mut table = t.printer.table(&refs, include, Utc::now());
            table["metadata"] = meta;
            serde_json::to_vec(&table).unwrap_or_default()
        }
        Render::Metadata => {
            let items: Vec<Value> = items
                .iter()
                .map(|o| super::table::partial_metadata(o))
                .collect();
            serde_json::to_vec(&json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": items}))
                .unwrap_or_default()
        }
        Render::Full => {
            // Written piece by piece: a list of 50k objects is never copied into one Value.
            let mut out = Vec::with_capacity(items.len() * 2048 + 256);
            out.extend_from_slice(
                format!(
                    "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":",
                    t.kind,
                    t.api_version()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&serde_json::to_vec(&meta).unwrap_or_default());
            out.extend_from_slice(b",\"items\":[");
            for (i, o) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Serialising a Value into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut out, o.as_ref());
            }
            out.extend_from_slice(b"]}");
            out
        }
    };
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, render.content_type())],
        body,
    )
        .into_response())
}

fn watch_collection(
    sim: &Arc<Sim>,
    target: &Target,
    q: &Query,
    render: Render,
) -> Result<Response, ApiError> {
    let (labels, fields) = selectors(q)?;
    let send_initial_events = flag(q, "sendInitialEvents");
    let since = match q.get("resourceVersion").map(String::as_str) {
        None | Some("") | Some("0") => None,
        Some(_) if send_initial_events => None,
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {rv}")))?,
        ),
    };
    let timeout = q
        .get("timeoutSeconds")
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    let content_type = match &render {
        Render::Metadata => "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
        other => other.content_type(),
    };
    let req = WatchRequest {
        t: target.t.clone(),
        ns: target.ns.clone(),
        labels,
        fields,
        since,
        send_initial_events,
        bookmarks: flag(q, "allowWatchBookmarks"),
        bookmark_every: sim.bookmark_interval(),
        timeout,
        drop_after: sim.faults.drop_watches_after,
        expire_now: sim.faults.take_expire(),
        render,
    };
    let body = watch::stream(sim.store.clone(), req);
    Ok((
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response())
}

fn logs(sim: &Sim, pod: &Value, q: &Query) -> Result<Response, ApiError> {
    let since = match (q.get("sinceSeconds"), q.get("sinceTime")) {
        (Some(s), _) => Some(
            Utc::now()
                - chrono::Duration::seconds(
                    s.parse::<i64>()
                        .map_err(|_| ApiError::bad_request("sinceSeconds must be an integer"))?,
                ),
        ),
        (None, Some(t)) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|_| ApiError::bad_request("sinceTime must be an RFC3339 time"))?
                .with_timezone(&Utc),
        ),
        (None, None) => None,
    };
    let query = LogQuery {
        container: q.get("container").cloned(),
        tail_lines: q.get("tailLines").and_then(|s| s.parse().ok()),
        since,
        timestamps: flag(q, "timestamps"),
        previous: flag(q, "previous"),
        follow: flag(q, "follow"),
        limit_bytes: q.get("limitBytes").and_then(|s| s.parse().ok()),
    };
    let body: Body = sim.logs.read(pod, &query)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], body).into_response())
}
