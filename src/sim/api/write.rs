//! Writes that need more than the store: bodies checked against the path, the four patch
//! types (server-side apply creating what is missing), dry runs, and access reviews
//! answered from the scenario's forbidden rules.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::{Query, Target, json_response, ok};
use crate::sim::Sim;
use crate::sim::patch::{self, PatchType};
use crate::sim::registry::ResourceType;
use crate::sim::status::ApiError;
use crate::sim::store::{Part, WriteOpts, metadata_mut};

/// Parses a create/update body and checks it names the kind and namespace of the path.
pub(super) fn parse_object(
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
    let meta = metadata_mut(&mut obj);
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

pub(super) fn patch_object(
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
        let mut new = patch::apply(pt, &old, &patch)?;
        crate::sim::schema::check_update(t, Some(&old), &mut new, part, opts.strict)?;
        return Ok(ok(&new));
    }
    let updated = sim.store.update(t, &ns, &name, part, &opts, |old| {
        patch::apply(pt, old, &patch)
    })?;
    Ok(ok(&updated))
}

pub(super) fn flag_dry_run(q: &Query) -> bool {
    q.get("dryRun").is_some_and(|v| v == "All")
}

pub(super) fn access_review(sim: &Sim, body: &[u8]) -> Result<Value, ApiError> {
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
