//! The scenario's timeline: at T (and every P), apply, patch or delete objects, restart a
//! container, or record an event, so a demo keeps moving and incidents unfold.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::registry::split_api_version;
use super::scenario::{Action, EventStep, ObjRef, RestartStep, TimelineEntry, parse_duration};
use super::status::ApiError;
use super::store::{Part, Store, WriteOpts, now_rfc3339};

/// Values the templates of one run see.
#[derive(Debug, Clone, Copy)]
pub struct RunContext {
    pub start: DateTime<Utc>,
    pub run: u64,
}

/// Replaces `{{now}}`, `{{now-5m}}`, `{{now+30s}}`, `{{start}}`, `{{stamp}}` and `{{run}}`.
pub fn render(s: &str, now: DateTime<Utc>, ctx: RunContext) -> String {
    if !s.contains("{{") {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find("}}") else {
            out.push_str(&rest[open..]);
            return out;
        };
        let token = rest[open + 2..open + close].trim();
        out.push_str(&expand(token, now, ctx).unwrap_or_else(|| format!("{{{{{token}}}}}")));
        rest = &rest[open + close + 2..];
    }
    out.push_str(rest);
    out
}

fn expand(token: &str, now: DateTime<Utc>, ctx: RunContext) -> Option<String> {
    let fmt = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    match token {
        "now" => Some(fmt(now)),
        "start" => Some(fmt(ctx.start)),
        "stamp" => Some(ctx.start.format("%Y%m%d%H%M%S").to_string()),
        // barman's backup id shape: 20261124T060040
        "backupId" => Some(ctx.start.format("%Y%m%dT%H%M%S").to_string()),
        // the Barman Cloud plugin's base backup name: backup-20261124060040
        "backupName" => Some(format!("backup-{}", ctx.start.format("%Y%m%d%H%M%S"))),
        "run" => Some(ctx.run.to_string()),
        _ => {
            let (sign, d) = if let Some(d) = token.strip_prefix("now-") {
                (-1, d)
            } else {
                (1, token.strip_prefix("now+")?)
            };
            let d = chrono::Duration::from_std(parse_duration(d).ok()?).ok()?;
            Some(fmt(if sign < 0 { now - d } else { now + d }))
        }
    }
}

fn render_value(v: &Value, now: DateTime<Utc>, ctx: RunContext) -> Value {
    match v {
        Value::String(s) => Value::String(render(s, now, ctx)),
        Value::Array(a) => Value::Array(a.iter().map(|x| render_value(x, now, ctx)).collect()),
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (k.clone(), render_value(x, now, ctx)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn render_ref(r: &ObjRef, now: DateTime<Utc>, ctx: RunContext) -> ObjRef {
    ObjRef {
        api_version: render(&r.api_version, now, ctx),
        kind: render(&r.kind, now, ctx),
        namespace: r.namespace.as_ref().map(|n| render(n, now, ctx)),
        name: render(&r.name, now, ctx),
    }
}

fn lookup(
    store: &Store,
    api_version: &str,
    kind: &str,
) -> Result<Arc<super::registry::ResourceType>, ApiError> {
    let (group, _) = split_api_version(api_version);
    store
        .read()
        .registry
        .by_kind(group, kind)
        .cloned()
        .ok_or_else(|| {
            ApiError::new(
                404,
                "NotFound",
                format!("the kind {kind} ({api_version}) is not served"),
            )
        })
}

fn split_pod(s: &str) -> (String, String) {
    match s.split_once('/') {
        Some((ns, name)) => (ns.to_string(), name.to_string()),
        None => ("default".to_string(), s.to_string()),
    }
}

/// Runs one action now. Errors are returned for the log: a timeline never stops the sim.
pub fn run_action(store: &Store, action: &Action, ctx: RunContext) -> Result<(), ApiError> {
    let now = Utc::now();
    let internal = WriteOpts::internal();
    match action {
        Action::Apply(obj) => {
            let obj = render_value(obj, now, ctx);
            let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
            let t = lookup(store, av, kind)?;
            let ns = if t.namespaced {
                obj.pointer("/metadata/namespace")
                    .and_then(Value::as_str)
                    .unwrap_or("default")
            } else {
                ""
            };
            let name = obj
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            if store.get(&t, ns, name).is_ok() {
                store.update(&t, ns, name, Part::Main, &internal, |_| Ok(obj.clone()))?;
            } else {
                store.create(&t, obj.clone(), &internal)?;
            }
        }
        Action::Patch(p) => {
            let r = render_ref(&p.target, now, ctx);
            let merge = render_value(&p.merge, now, ctx);
            let t = lookup(store, &r.api_version, &r.kind)?;
            store.update(
                &t,
                r.namespace.as_deref().unwrap_or(""),
                &r.name,
                Part::Main,
                &internal,
                |old| {
                    let mut new = old.clone();
                    json_patch::merge(&mut new, &merge);
                    Ok(new)
                },
            )?;
        }
        Action::Delete(r) => {
            let r = render_ref(r, now, ctx);
            let t = lookup(store, &r.api_version, &r.kind)?;
            store.delete(&t, r.namespace.as_deref().unwrap_or(""), &r.name)?;
        }
        Action::Restart(r) => restart(store, r, now)?,
        Action::Event(e) => record_event(store, e, now, ctx)?,
    }
    Ok(())
}

/// A container restarts: one more restart, the termination recorded as lastState, and
/// either running again or waiting (CrashLoopBackOff).
fn restart(store: &Store, r: &RestartStep, now: DateTime<Utc>) -> Result<(), ApiError> {
    let (ns, name) = split_pod(&r.pod);
    let t = lookup(store, "v1", "Pod")?;
    let ts = now_rfc3339(now);
    store.update(&t, &ns, &name, Part::Main, &WriteOpts::internal(), |old| {
        let mut pod = old.clone();
        let mut found = false;
        for key in ["containerStatuses", "initContainerStatuses"] {
            let Some(list) = pod.get_mut("status").and_then(|s| s.get_mut(key)).and_then(Value::as_array_mut) else { continue };
            for st in list.iter_mut().filter(|s| s.get("name").and_then(Value::as_str) == Some(r.container.as_str())) {
                found = true;
                let reason = r.reason.clone().unwrap_or_else(|| "Error".into());
                let exit = if reason == "OOMKilled" { 137 } else { 1 };
                let started = st.pointer("/state/running/startedAt").cloned().unwrap_or(json!(ts));
                st["restartCount"] = json!(st.get("restartCount").and_then(Value::as_i64).unwrap_or(0) + 1);
                st["lastState"] = json!({"terminated": {"exitCode": exit, "reason": reason, "startedAt": started, "finishedAt": ts}});
                match &r.then {
                    Some(waiting) => {
                        st["state"] = json!({"waiting": {"reason": waiting,
                            "message": format!("back-off 5m0s restarting failed container={} pod={name}", r.container)}});
                        st["ready"] = json!(false);
                        st["started"] = json!(false);
                    }
                    None => {
                        st["state"] = json!({"running": {"startedAt": ts}});
                        st["ready"] = json!(true);
                        st["started"] = json!(true);
                    }
                }
            }
        }
        if !found {
            return Err(ApiError::not_found("", "pods", &format!("{name} (container {})", r.container)));
        }
        let all_ready = ["containerStatuses"].iter().all(|k| {
            pod.pointer(&format!("/status/{k}")).and_then(Value::as_array).is_none_or(|l| l.iter().all(|s| s.get("ready") == Some(&json!(true))))
        });
        if let Some(conds) = pod.pointer_mut("/status/conditions").and_then(Value::as_array_mut) {
            for c in conds.iter_mut().filter(|c| matches!(c.get("type").and_then(Value::as_str), Some("Ready" | "ContainersReady"))) {
                let status = if all_ready { "True" } else { "False" };
                if c.get("status").and_then(Value::as_str) != Some(status) {
                    c["status"] = json!(status);
                    c["lastTransitionTime"] = json!(ts);
                }
            }
        }
        Ok(pod)
    })?;
    Ok(())
}

/// Records an Event about an object; a repeat of the same reason bumps its count.
fn record_event(
    store: &Store,
    e: &EventStep,
    now: DateTime<Utc>,
    ctx: RunContext,
) -> Result<(), ApiError> {
    let involved = render_ref(&e.involved, now, ctx);
    let message = render(&e.message, now, ctx);
    let ns = involved
        .namespace
        .clone()
        .unwrap_or_else(|| "default".into());
    let events = lookup(store, "v1", "Event")?;
    let ts = now_rfc3339(now);
    let fields = super::selectors::FieldSelector::parse(&format!(
        "involvedObject.kind={},involvedObject.name={},reason={}",
        involved.kind, involved.name, e.reason
    ))
    .map_err(ApiError::bad_request)?;
    let (existing, _) = store.list(&events, Some(&ns), &Default::default(), &fields);
    if let Some(ev) = existing.first() {
        let name = ev
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        store.update(
            &events,
            &ns,
            &name,
            Part::Main,
            &WriteOpts::internal(),
            |old| {
                let mut n = old.clone();
                n["count"] = json!(old.get("count").and_then(Value::as_i64).unwrap_or(1) + 1);
                n["lastTimestamp"] = json!(ts);
                n["message"] = json!(message);
                Ok(n)
            },
        )?;
        return Ok(());
    }
    let uid = lookup(store, &involved.api_version, &involved.kind)
        .ok()
        .and_then(|t| {
            store
                .get(&t, if t.namespaced { &ns } else { "" }, &involved.name)
                .ok()
        })
        .and_then(|o| o.pointer("/metadata/uid").cloned())
        .unwrap_or(Value::Null);
    let component = e.source.clone().unwrap_or_else(|| "backstop-sim".into());
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": format!("{}.{:x}", involved.name, now.timestamp_nanos_opt().unwrap_or(0)), "namespace": ns},
        "involvedObject": {"apiVersion": involved.api_version, "kind": involved.kind, "name": involved.name,
                           "namespace": involved.namespace, "uid": uid},
        "type": e.kind,
        "reason": e.reason,
        "message": message,
        "count": 1,
        "firstTimestamp": ts,
        "lastTimestamp": ts,
        "source": {"component": component},
        "reportingComponent": component,
    });
    store.create(&events, event, &WriteOpts::internal())?;
    Ok(())
}

/// Runs the timeline until the task is dropped: each entry on its own schedule, each run
/// of an entry on its own task so that slow steps never delay the next run.
pub async fn run(store: Arc<Store>, entries: Vec<TimelineEntry>) {
    let origin = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for entry in entries {
        let store = store.clone();
        tasks.spawn(async move {
            let mut runs = tokio::task::JoinSet::new();
            let mut n = 0u64;
            loop {
                let at = entry.at + entry.every.map_or(Duration::ZERO, |p| p * n as u32);
                tokio::time::sleep_until(origin + at).await;
                let ctx = RunContext {
                    start: Utc::now(),
                    run: n,
                };
                let steps = entry.steps.clone();
                let store = store.clone();
                runs.spawn(async move {
                    let begun = tokio::time::Instant::now();
                    for (after, action) in steps {
                        tokio::time::sleep_until(begun + after).await;
                        if let Err(e) = run_action(&store, &action, ctx) {
                            tracing::warn!(error = %e, "timeline step failed");
                        }
                    }
                });
                // Reap finished runs so a long-lived demo does not accumulate handles.
                while runs.try_join_next().is_some() {}
                if entry.every.is_none() {
                    while runs.join_next().await.is_some() {}
                    return;
                }
                n += 1;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_expand() {
        let now = DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let ctx = RunContext {
            start: now - chrono::Duration::seconds(30),
            run: 3,
        };
        assert_eq!(
            render("pg-orders-{{stamp}}", now, ctx),
            "pg-orders-20261124055930"
        );
        assert_eq!(
            render("{{now-5m}}/{{now+30s}}", now, ctx),
            "2026-11-24T05:55:00Z/2026-11-24T06:00:30Z"
        );
        assert_eq!(
            render("run {{run}} {{start}}", now, ctx),
            "run 3 2026-11-24T05:59:30Z"
        );
        assert_eq!(render("{{unknown}} stays", now, ctx), "{{unknown}} stays");
    }
}
