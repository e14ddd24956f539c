//! Paths to handlers: discovery documents, and a resource path resolved to its kind,
//! namespace, name and subresource, checked against the scenario's permissions, then
//! dispatched by verb.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::json;

use super::list_watch::{list, selectors, watch_collection};
use super::logs::logs;
use super::write::{access_review, flag_dry_run, parse_object, patch_object};
use super::{Query, Target, flag, json_response, ok};
use crate::sim::Sim;
use crate::sim::discovery;
use crate::sim::faults::forbidden_error;
use crate::sim::status::ApiError;
use crate::sim::store::{Part, WriteOpts, obj_key};
use crate::sim::watch::Render;

pub(super) async fn route(
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
        // The proxy subresources carry a path of their own after `proxy`.
        [
            "api",
            "v1",
            "namespaces",
            ns,
            "pods",
            target,
            "proxy",
            rest @ ..,
        ] if get => {
            crate::sim::archiver::pod_proxy(sim, ns, target, &format!("/{}", rest.join("/")))
        }
        ["api", "v1", "nodes", node, "proxy", rest @ ..] if get => {
            crate::sim::archiver::node_proxy(sim, node, &format!("/{}", rest.join("/")))
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
        strict: q.get("fieldValidation").is_some_and(|v| v == "Strict"),
    };
    // kubectl sends the core kinds of `kubectl create namespace|secret|configmap` as
    // protobuf, which the simulator does not read: say so and what works, instead of a JSON
    // decoding error about control characters.
    if matches!(verb, "create" | "update")
        && headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/vnd.kubernetes.protobuf"))
    {
        return Err(ApiError::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (backstop's simulator does not read protobuf, which `kubectl create <kind> NAME` sends: pipe `kubectl create ... --dry-run=client -o yaml` into `kubectl apply -f -`, or apply a file)",
        ));
    }
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
            let mut obj = parse_object(body, &t, target.ns.as_deref(), None)?;
            if flag_dry_run(q) {
                crate::sim::schema::check(&t, &mut obj, Part::Main, opts.strict)?;
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
            let (labels, fields) = selectors(q)?;
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
