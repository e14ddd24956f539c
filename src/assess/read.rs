//! What more than one area reads the same way: a condition or an event as evidence, label
//! selectors, where the plugin is installed, which Kustomization applies an object, the
//! command that proves a fix. Kept here so that no area imports another.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::{Facts, Kind};
use crate::model::domain::{PLUGIN_LABEL, PLUGIN_NAME};
use crate::model::rows::{Condition, DeploymentRow, KustomizationRow, PodRow, ServiceRow};

/// kubectl STATUS values that mean a container cannot run, whatever its age.
pub(crate) const FAILING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "StartError",
    "ContainerStatusUnknown",
    "Error",
    "OOMKilled",
];

/// The last path segment of the plugin's own image; its sidecar's image is
/// `plugin-barman-cloud-sidecar`.
const PLUGIN_IMAGE: &str = "plugin-barman-cloud";

/// A condition as evidence: `condition Ready=False HealthCheckFailed: <message>`.
pub(crate) fn cond_line(c: &Condition) -> String {
    let mut s = format!("condition {}={}", c.kind, c.status);
    if !c.reason.is_empty() {
        s.push(' ');
        s.push_str(&c.reason);
    }
    if !c.message.is_empty() {
        s.push_str(": ");
        s.push_str(&c.message);
    }
    s
}

/// The newest Warning events about one object, verbatim, at most `max`.
pub(crate) fn warning_events(
    f: &Facts,
    kind: Kind,
    ns: &str,
    name: &str,
    max: usize,
) -> Vec<String> {
    let mut evs: Vec<_> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.kind == "Warning"
                && e.involved_kind == kind.name()
                && e.involved_namespace == ns
                && e.involved_name == name
        })
        .collect();
    evs.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    let mut seen = BTreeSet::new();
    evs.into_iter()
        .filter(|e| seen.insert((e.reason.clone(), e.message.clone())))
        .take(max)
        .map(|e| format!("event Warning {}: {}", e.reason, e.message))
        .collect()
}

/// Whether a label selector picks these labels; an empty selector picks nothing.
pub(crate) fn selects(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// A selector as `kubectl -l` takes it.
pub(crate) fn selector_text(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The Services the operator discovers the plugin through.
pub(crate) fn plugin_services(f: &Facts) -> Vec<&ServiceRow> {
    f.snapshot
        .services
        .rows
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| s.labels.get(PLUGIN_LABEL).map(String::as_str) == Some(PLUGIN_NAME))
        .collect()
}

/// Whether anything of a namespace is in view: a read scoped to other namespaces shows
/// the plugin's cluster-wide Service but none of its pods, which proves nothing.
pub(crate) fn namespace_in_view(f: &Facts, ns: &str) -> bool {
    !f.snapshot.pods.in_namespace(ns).is_empty()
        || f.deployments.rows.iter().any(|d| d.namespace == ns)
}

/// The Deployment behind a plugin Service: one whose pods the Service selects, or whose
/// selector agrees with the Service's, or that carries its name (the manifest's layout).
pub(crate) fn plugin_deployment<'a>(
    svc: &ServiceRow,
    pods: &[&PodRow],
    deployments: &'a [Arc<DeploymentRow>],
) -> Option<&'a DeploymentRow> {
    let ours = |d: &DeploymentRow| {
        pods.iter().any(|p| selects(&d.selector, &p.labels))
            || selects(&d.selector, &svc.selector)
            || selects(&svc.selector, &d.selector)
    };
    let in_ns = || deployments.iter().filter(|d| d.namespace == svc.namespace);
    in_ns()
        .find(|d| ours(d))
        .or_else(|| in_ns().find(|d| d.name == svc.name))
        .map(|d| d.as_ref())
}

/// Whether an image is the plugin's own (not its sidecar's).
pub(crate) fn is_plugin_image(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split(['@', ':']).next() == Some(PLUGIN_IMAGE)
}

/// An object's id as a Kustomization's inventory lists it: `<ns>_<name>_<group>_<Kind>`.
pub(crate) fn inventory_id(kind: Kind, ns: &str, name: &str) -> String {
    format!("{ns}_{name}_{}_{}", kind.group(), kind.name())
}

/// The Kustomization whose inventory lists an object id (see `inventory_id`).
pub(crate) fn inventory_owner<'a>(f: &'a Facts, id: &str) -> Option<&'a KustomizationRow> {
    f.snapshot
        .kustomizations
        .rows
        .iter()
        .map(|k| k.as_ref())
        .find(|k| k.inventory.iter().any(|e| e == id))
}

/// The command that takes a plugin backup now: also the proof that a fix worked.
pub(crate) fn backup_now(ns: &str, cluster: &str) -> String {
    format!("kubectl cnpg backup {cluster} -n {ns} --method=plugin --plugin-name={PLUGIN_NAME}")
}

/// A log line as a person reads it: the instance manager's and the plugin's JSON lines
/// unpacked to "when logger: msg: error", with a key under which repeats of one message
/// (differing only in their time and the barman process id) fall together.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogLine {
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    pub text: String,
    pub key: String,
}

pub(crate) fn log_line(raw: &str) -> LogLine {
    let rfc3339 = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&chrono::Utc))
    };
    // kubectl's --timestamps prefix, when there is one.
    let (mut at, rest) = match raw.split_once(' ') {
        Some((first, rest)) if rfc3339(first).is_some() => (rfc3339(first), rest),
        _ => (None, raw),
    };
    let json = rest
        .trim_start()
        .starts_with('{')
        .then(|| serde_json::from_str::<serde_json::Value>(rest).ok())
        .flatten();
    let Some(v) = json.filter(|v| v.get("msg").is_some()) else {
        return LogLine {
            at,
            text: rest.to_string(),
            key: rest.to_string(),
        };
    };
    let field = |k: &str| v.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
    if at.is_none() {
        at = rfc3339(field("ts"));
    }
    // CloudNativePG wraps each PostgreSQL log line as {"logger":"postgres","msg":"record",
    // "record":{"error_severity":…,"message":…}}: the record is the line.
    if field("msg") == "record"
        && let Some(message) = v
            .pointer("/record/message")
            .and_then(serde_json::Value::as_str)
    {
        let text = match v
            .pointer("/record/error_severity")
            .and_then(serde_json::Value::as_str)
        {
            Some(sev) if !sev.is_empty() => format!("postgres {sev}: {message}"),
            _ => format!("postgres: {message}"),
        };
        return LogLine {
            at,
            key: format!("postgres|{message}"),
            text,
        };
    }
    // barman-cloud writes its own time before its lines: the line's time says it already.
    let msg = strip_barman_time(field("msg"));
    let mut text = match field("logger") {
        "" => msg.to_string(),
        logger => format!("{logger}: {msg}"),
    };
    if !field("error").is_empty() {
        text.push_str(": ");
        text.push_str(field("error"));
    }
    // barman-cloud prefixes its own lines with "[pid] ".
    let key = match msg.strip_prefix('[').and_then(|m| m.split_once("] ")) {
        Some((pid, tail)) if pid.chars().all(|c| c.is_ascii_digit()) => {
            format!("{}|{tail}|{}", field("logger"), field("error"))
        }
        _ => format!("{}|{msg}|{}", field("logger"), field("error")),
    };
    LogLine { at, text, key }
}

/// "2026-11-24 05:58:01,118 [812] ERROR: …" → "[812] ERROR: …".
fn strip_barman_time(msg: &str) -> &str {
    let b = msg.as_bytes();
    let shape = b.len() > 24
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b','
        && b[23] == b' '
        && msg.is_char_boundary(24);
    if shape { &msg[24..] } else { msg }
}

/// Log lines (newest first) as evidence: each message once, the newest with its time, and
/// how often and since when it repeated.
pub(crate) fn condensed_log(label: &str, newest_first: &[&str]) -> Vec<String> {
    let mut seen: Vec<(LogLine, usize, Option<chrono::DateTime<chrono::Utc>>)> = Vec::new();
    for raw in newest_first {
        let l = log_line(raw);
        match seen.iter_mut().find(|(s, _, _)| s.key == l.key) {
            Some((_, n, oldest)) => {
                *n += 1;
                *oldest = l.at.or(*oldest);
            }
            None => {
                let at = l.at;
                seen.push((l, 1, at));
            }
        }
    }
    seen.into_iter()
        .map(|(l, n, oldest)| {
            let when =
                l.at.map(|t| format!(" {}", crate::model::kubefmt::ts(t)))
                    .unwrap_or_default();
            let repeats = match (n, oldest) {
                (1, _) => String::new(),
                (n, Some(o)) => format!(" (×{n} since {})", crate::model::kubefmt::ts(o)),
                (n, None) => format!(" (×{n})"),
            };
            format!("{label}{when}: {}{repeats}", l.text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_told_apart_from_the_sidecar() {
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0"
        ));
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud@sha256:8db0"
        ));
        assert!(!is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0"
        ));
    }

    #[test]
    fn log_lines_are_unpacked_and_repeats_fall_together() {
        let line = |ts: &str, pid: u32| {
            format!(
                "{{\"level\":\"info\",\"ts\":\"{ts}\",\"msg\":\"[{pid}] ERROR: Barman cloud WAL archiver exception: An error occurred (SignatureDoesNotMatch) when calling the PutObject operation\",\"logger\":\"barman-cloud-wal-archive\",\"pipe\":\"stderr\",\"logging_pod\":\"pg-orders-1\"}}"
            )
        };
        let (a, b, c) = (
            line("2026-11-24T06:26:33.184Z", 3185),
            line("2026-11-24T06:21:33.184Z", 3169),
            line("2026-11-24T06:16:33.184Z", 3158),
        );
        let other = "2026-11-24T06:20:00Z plain text from somewhere";
        let out = condensed_log(
            "log orders/pg-orders-1 (plugin-barman-cloud)",
            &[&a, &b, other, &c],
        );
        assert_eq!(
            out,
            vec![
                "log orders/pg-orders-1 (plugin-barman-cloud) 2026-11-24T06:26:33Z: barman-cloud-wal-archive: [3185] ERROR: Barman cloud WAL archiver exception: An error occurred (SignatureDoesNotMatch) when calling the PutObject operation (×3 since 2026-11-24T06:16:33Z)",
                "log orders/pg-orders-1 (plugin-barman-cloud) 2026-11-24T06:20:00Z: plain text from somewhere",
            ]
        );
        // The error field of the instance manager's lines is part of the message.
        let l = log_line(
            r#"{"level":"error","ts":"2026-11-24T05:30:01.245Z","msg":"Error loading plugins, retrying","error":"while getting plugin connection: rpc error"}"#,
        );
        assert_eq!(
            l.text,
            "Error loading plugins, retrying: while getting plugin connection: rpc error"
        );
    }
}
