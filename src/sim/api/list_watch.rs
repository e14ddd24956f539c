//! Reads of a collection: a list (paged with continue tokens, as a table, metadata or full
//! objects) and a watch.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Value, json};

use super::{Query, Target, flag};
use crate::sim::Sim;
use crate::sim::selectors::{FieldSelector, LabelSelector};
use crate::sim::status::ApiError;
use crate::sim::store::obj_key;
use crate::sim::table;
use crate::sim::watch::{self, Render, WatchRequest};

pub(super) fn list(
    sim: &Sim,
    target: &Target,
    q: &Query,
    render: &Render,
) -> Result<Response, ApiError> {
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
            let items: Vec<Value> = items.iter().map(|o| table::partial_metadata(o)).collect();
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

pub(super) fn watch_collection(
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
    let content_type = render.content_type_one();
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

pub(super) fn selectors(q: &Query) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(q.get("labelSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    let fields = FieldSelector::parse(q.get("fieldSelector").map_or("", String::as_str))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

impl Render {
    /// The content type of one object: a get, or each event of a watch.
    pub(super) fn content_type_one(&self) -> &'static str {
        match self {
            Render::Metadata => "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io",
            other => other.content_type(),
        }
    }
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
