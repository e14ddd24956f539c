//! `meta.k8s.io/v1` Table responses: what `kubectl get` prints. Columns of custom kinds
//! come from their CRD's additionalPrinterColumns; built-ins use kubectl's printers.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::model::kubefmt::{
    containers, human_duration, pod_ready, pod_status, restartable_init_names,
};

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: String,
    pub format: String,
    pub description: String,
    pub priority: i64,
    pub cell: Cell,
}

/// How a cell is computed from an object.
#[derive(Debug, Clone)]
pub enum Cell {
    Path(String),
    Age,
    PodReady,
    PodStatus,
    PodRestarts,
    DataCount,
    ServicePorts,
    EventObject,
    EventLastSeen,
    Ratio(&'static str, &'static str),
}

#[derive(Debug, Clone)]
pub enum Printer {
    /// NAME and AGE, as kubectl prints kinds it has no printer for.
    Default,
    Columns(Vec<Column>),
}

fn col(name: &str, kind: &str, cell: Cell) -> Column {
    Column {
        name: name.into(),
        kind: kind.into(),
        format: String::new(),
        description: String::new(),
        priority: 0,
        cell,
    }
}

fn wide(mut c: Column) -> Column {
    c.priority = 1;
    c
}

fn path(p: &str) -> Cell {
    Cell::Path(p.into())
}

impl Column {
    pub fn from_crd(v: &Value) -> Option<Column> {
        let name = v.get("name")?.as_str()?.to_string();
        let json_path = v.get("jsonPath")?.as_str()?.to_string();
        let kind = v
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("string")
            .to_string();
        Some(Column {
            cell: Cell::Path(json_path),
            name,
            kind,
            format: v.get("format").and_then(Value::as_str).unwrap_or("").into(),
            description: v
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            priority: v.get("priority").and_then(Value::as_i64).unwrap_or(0),
        })
    }

    fn definition(&self) -> Value {
        json!({"name": self.name, "type": self.kind, "format": self.format,
               "description": self.description, "priority": self.priority})
    }

    fn render(&self, obj: &Value, now: DateTime<Utc>) -> Value {
        match &self.cell {
            Cell::Path(p) => {
                let v = json_path(obj, p);
                match (self.kind.as_str(), v) {
                    (_, None) => Value::Null,
                    ("date", Some(Value::String(s))) => age_of(&s, now),
                    (_, Some(v)) => v,
                }
            }
            Cell::Age => obj
                .pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .map(|s| age_of(s, now))
                .unwrap_or(Value::String("<unknown>".into())),
            Cell::PodReady => Value::String(pod_ready(obj)),
            Cell::PodStatus => Value::String(pod_status(obj)),
            Cell::PodRestarts => pod_restarts(obj, now),
            Cell::DataCount => json!(
                obj.get("data")
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len())
                    + obj
                        .get("binaryData")
                        .and_then(Value::as_object)
                        .map_or(0, |m| m.len())
            ),
            Cell::ServicePorts => Value::String(service_ports(obj)),
            Cell::EventObject => {
                let kind = obj
                    .pointer("/involvedObject/kind")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let name = obj
                    .pointer("/involvedObject/name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                Value::String(format!("{}/{}", kind.to_ascii_lowercase(), name))
            }
            Cell::EventLastSeen => [
                "/lastTimestamp",
                "/eventTime",
                "/firstTimestamp",
                "/metadata/creationTimestamp",
            ]
            .iter()
            .find_map(|p| obj.pointer(p).and_then(Value::as_str))
            .map(|s| age_of(s, now))
            .unwrap_or(Value::String("<unknown>".into())),
            Cell::Ratio(a, b) => {
                let get = |p: &str| obj.pointer(p).and_then(Value::as_i64).unwrap_or(0);
                Value::String(format!("{}/{}", get(a), get(b)))
            }
        }
    }
}

impl Printer {
    pub fn builtin(plural: &str) -> Printer {
        use Cell::*;
        let age = || col("Age", "string", Age);
        let cols = match plural {
            "pods" => vec![
                col("Ready", "string", PodReady),
                col("Status", "string", PodStatus),
                col("Restarts", "string", PodRestarts),
                age(),
                wide(col("IP", "string", path(".status.podIP"))),
                wide(col("Node", "string", path(".spec.nodeName"))),
            ],
            "deployments" => vec![
                col(
                    "Ready",
                    "string",
                    Ratio("/status/readyReplicas", "/spec/replicas"),
                ),
                col("Up-to-date", "integer", path(".status.updatedReplicas")),
                col("Available", "integer", path(".status.availableReplicas")),
                age(),
                wide(col(
                    "Containers",
                    "string",
                    path(".spec.template.spec.containers[*].name"),
                )),
                wide(col(
                    "Images",
                    "string",
                    path(".spec.template.spec.containers[*].image"),
                )),
            ],
            "replicasets" => vec![
                col("Desired", "integer", path(".spec.replicas")),
                col("Current", "integer", path(".status.replicas")),
                col("Ready", "integer", path(".status.readyReplicas")),
                age(),
            ],
            "statefulsets" => vec![
                col(
                    "Ready",
                    "string",
                    Ratio("/status/readyReplicas", "/spec/replicas"),
                ),
                age(),
            ],
            "services" => vec![
                col("Type", "string", path(".spec.type")),
                col("Cluster-IP", "string", path(".spec.clusterIP")),
                col(
                    "External-IP",
                    "string",
                    path(".status.loadBalancer.ingress[*].ip"),
                ),
                col("Port(s)", "string", ServicePorts),
                age(),
                wide(col("Selector", "string", path(".spec.selector"))),
            ],
            "secrets" => vec![
                col("Type", "string", path(".type")),
                col("Data", "string", DataCount),
                age(),
            ],
            "configmaps" => vec![col("Data", "string", DataCount), age()],
            "namespaces" => vec![col("Status", "string", path(".status.phase")), age()],
            "events" => vec![
                col("Last Seen", "string", EventLastSeen),
                col("Type", "string", path(".type")),
                col("Reason", "string", path(".reason")),
                col("Object", "string", EventObject),
                col("Message", "string", path(".message")),
            ],
            "serviceaccounts" => vec![age()],
            "customresourcedefinitions" => vec![col(
                "Created At",
                "date",
                path(".metadata.creationTimestamp"),
            )],
            _ => return Printer::Default,
        };
        Printer::Columns(cols)
    }

    fn columns(&self) -> Vec<Column> {
        match self {
            Printer::Default => vec![Column {
                name: "Created At".into(),
                kind: "date".into(),
                format: String::new(),
                description: "CreationTimestamp is a timestamp representing the server time when this object was created.".into(),
                priority: 0,
                cell: Cell::Path(".metadata.creationTimestamp".into()),
            }],
            Printer::Columns(c) => c.clone(),
        }
    }

    /// A Table of `objects`; `include` is the includeObject parameter (None, Object or
    /// Metadata, the default).
    pub fn table(&self, objects: &[&Value], include: &str, now: DateTime<Utc>) -> Value {
        let cols = self.columns();
        let mut defs = vec![json!({"name": "Name", "type": "string", "format": "name",
            "description": "Name must be unique within a namespace.", "priority": 0})];
        defs.extend(cols.iter().map(Column::definition));
        let rows: Vec<Value> = objects
            .iter()
            .map(|obj| {
                let mut cells = vec![
                    obj.pointer("/metadata/name")
                        .cloned()
                        .unwrap_or(Value::Null),
                ];
                cells.extend(cols.iter().map(|c| c.render(obj, now)));
                let mut row = json!({"cells": cells});
                match include {
                    "None" => {}
                    "Object" => row["object"] = (*obj).clone(),
                    _ => row["object"] = partial_metadata(obj),
                }
                row
            })
            .collect();
        json!({"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
               "columnDefinitions": defs, "rows": rows})
    }
}

/// `PartialObjectMetadata` of an object, as metadata-only clients receive it.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
           "metadata": obj.get("metadata").cloned().unwrap_or(json!({}))})
}

fn age_of(ts: &str, now: DateTime<Utc>) -> Value {
    match DateTime::parse_from_rfc3339(ts) {
        Ok(t) => Value::String(human_duration(
            now.signed_duration_since(t.with_timezone(&Utc)),
        )),
        Err(_) => Value::String("<invalid>".into()),
    }
}

fn pod_restarts(pod: &Value, now: DateTime<Utc>) -> Value {
    let mut restarts = 0;
    let mut last: Option<DateTime<Utc>> = None;
    let sidecars = restartable_init_names(pod);
    let statuses = containers(pod, "/status/containerStatuses").iter().chain(
        containers(pod, "/status/initContainerStatuses")
            .iter()
            .filter(|s| sidecars.contains(&s.get("name").and_then(Value::as_str).unwrap_or(""))),
    );
    for st in statuses {
        restarts += st.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        if let Some(t) = st
            .pointer("/lastState/terminated/finishedAt")
            .and_then(Value::as_str)
            .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        {
            let t = t.with_timezone(&Utc);
            if last.is_none_or(|l| t > l) {
                last = Some(t);
            }
        }
    }
    match last {
        Some(t) if restarts > 0 => {
            Value::String(format!("{restarts} ({} ago)", human_duration(now - t)))
        }
        _ => json!(restarts),
    }
}

fn service_ports(svc: &Value) -> String {
    let ports: Vec<String> = containers(svc, "/spec/ports")
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(np) => format!("{port}:{np}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".into()
    } else {
        ports.join(",")
    }
}

/// Evaluates the JSONPath subset printer columns use: `.a.b`, `.a[0]`, `.a[*].b` and
/// `.a[?(@.k=="v")].b`. Several matches are joined with commas, as kubectl does.
pub fn json_path(obj: &Value, expr: &str) -> Option<Value> {
    let expr = expr.trim().trim_start_matches('{').trim_end_matches('}');
    let expr = expr.strip_prefix('$').unwrap_or(expr);
    let mut current: Vec<&Value> = vec![obj];
    let mut rest = expr;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let key = &r[..end];
            rest = &r[end..];
            if key.is_empty() {
                continue;
            }
            current = current.into_iter().filter_map(|v| v.get(key)).collect();
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = find_bracket_end(r)?;
            let inner = &r[..end];
            rest = &r[end + 1..];
            current = current.into_iter().flat_map(|v| select(v, inner)).collect();
        } else {
            return None;
        }
    }
    match current.len() {
        0 => None,
        1 => Some(current[0].clone()),
        _ => Some(Value::String(
            current
                .iter()
                .map(|v| match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
                .join(","),
        )),
    }
}

fn find_bracket_end(s: &str) -> Option<usize> {
    let mut depth = 0;
    let mut in_str: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (in_str, c) {
            (Some(q), c) if c == q => in_str = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => in_str = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ']') if depth == 0 => return Some(i),
            (None, ']') => depth -= 1,
            _ => {}
        }
    }
    None
}

fn select<'a>(v: &'a Value, inner: &str) -> Vec<&'a Value> {
    let items: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(m) if inner == "*" => m.values().collect(),
        _ => return vec![],
    };
    if inner == "*" {
        return items;
    }
    if let Ok(i) = inner.parse::<i64>() {
        let idx = if i < 0 { items.len() as i64 + i } else { i };
        return items.get(idx as usize).copied().into_iter().collect();
    }
    // Filter: ?(@.key=="value") or ?(@.key)
    let Some(filter) = inner.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) else {
        return vec![];
    };
    let filter = filter.trim();
    let (lhs, rhs) = match filter.split_once("==") {
        Some((l, r)) => (l.trim(), Some(r.trim().trim_matches(['"', '\'']))),
        None => (filter, None),
    };
    let Some(key) = lhs.strip_prefix("@.") else {
        return vec![];
    };
    items
        .into_iter()
        .filter(|item| match (item.get(key), rhs) {
            (Some(Value::String(s)), Some(want)) => s == want,
            (Some(other), Some(want)) => other.to_string().as_str() == want,
            (Some(_), None) => true,
            (None, _) => false,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_path_filters_conditions() {
        let obj = json!({"status": {"conditions": [
            {"type": "Reconciling", "status": "True"},
            {"type": "Ready", "status": "False", "message": "dependency 'flux-system/a' is not ready"}]}});
        assert_eq!(
            json_path(&obj, r#".status.conditions[?(@.type=="Ready")].status"#),
            Some(json!("False"))
        );
        assert_eq!(
            json_path(&obj, ".status.conditions[*].type"),
            Some(json!("Reconciling,Ready"))
        );
        assert_eq!(
            json_path(&obj, ".status.conditions[1].type"),
            Some(json!("Ready"))
        );
        assert_eq!(json_path(&obj, ".status.missing"), None);
    }

    #[test]
    fn human_durations_match_kubectl() {
        let d = chrono::Duration::seconds;
        assert_eq!(human_duration(d(45)), "45s");
        assert_eq!(human_duration(d(200)), "3m20s");
        assert_eq!(human_duration(d(3600 * 2 + 300)), "125m");
        assert_eq!(human_duration(d(3600 * 5 + 300)), "5h5m");
        assert_eq!(human_duration(d(86400 * 3)), "3d");
        assert_eq!(human_duration(d(86400 * 30)), "30d");
    }

    #[test]
    fn pod_status_shows_crash_loop_and_sidecars_count_as_ready() {
        let pod = json!({
            "spec": {"containers": [{"name": "postgres"}],
                     "initContainers": [{"name": "plugin-barman-cloud", "restartPolicy": "Always"}]},
            "status": {"phase": "Running",
                "initContainerStatuses": [{"name": "plugin-barman-cloud", "ready": true, "started": true, "state": {"running": {}}}],
                "containerStatuses": [{"name": "postgres", "ready": false, "restartCount": 6,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                    "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137, "finishedAt": "2026-11-24T05:58:00Z"}}}]}});
        assert_eq!(pod_status(&pod), "CrashLoopBackOff");
        assert_eq!(pod_ready(&pod), "1/2");
        let now = DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(pod_restarts(&pod, now), json!("6 (2m ago)"));
    }
}
