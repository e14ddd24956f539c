//! What the Prometheus Operator's objects say about alerting: the rules of each
//! PrometheusRule and the pod selection of each PodMonitor and ServiceMonitor, projected
//! leniently from the objects as the API serves them (any field may be missing).

use std::collections::BTreeMap;

use serde_json::Value;

/// The most rules kept of one PrometheusRule, and the longest expression: a rule file is
/// the user's, but its size is bounded here.
const MAX_RULES: usize = 2_000;
const MAX_EXPR: usize = 16 * 1024;

/// One rule of a PrometheusRule's group.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromRule {
    pub group: String,
    /// The alert's name; None for a recording rule.
    pub alert: Option<String>,
    /// The recorded series' name, for a recording rule.
    pub record: Option<String>,
    pub expr: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PromRuleRow {
    pub namespace: String,
    pub name: String,
    pub rules: Vec<PromRule>,
}

/// A `matchExpressions` entry of a label selector.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

/// A PodMonitor or a ServiceMonitor: which namespaces and labels it selects.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MonitorRow {
    /// `PodMonitor` or `ServiceMonitor`.
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
    /// `namespaceSelector.any`.
    pub any_namespace: bool,
    /// `namespaceSelector.matchNames`; empty = the monitor's own namespace.
    pub namespaces: Vec<String>,
}

fn s(v: &Value, ptr: &str) -> String {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

impl PromRuleRow {
    pub fn project(o: &Value) -> Self {
        let mut rules = Vec::new();
        let groups = o.pointer("/spec/groups").and_then(Value::as_array);
        for g in groups.into_iter().flatten() {
            let group = s(g, "/name");
            for r in g
                .get("rules")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if rules.len() >= MAX_RULES {
                    break;
                }
                // An expression may be written as a number (`expr: 1`): kept as text.
                let mut expr = match r.get("expr") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => continue,
                    Some(other) => other.to_string(),
                };
                if expr.len() > MAX_EXPR {
                    let mut cut = MAX_EXPR;
                    while !expr.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    expr.truncate(cut);
                }
                let name = |k: &str| r.get(k).and_then(Value::as_str).map(str::to_string);
                rules.push(PromRule {
                    group: group.clone(),
                    alert: name("alert"),
                    record: name("record"),
                    expr,
                });
            }
        }
        PromRuleRow {
            namespace: s(o, "/metadata/namespace"),
            name: s(o, "/metadata/name"),
            rules,
        }
    }
}

impl MonitorRow {
    pub fn project(kind: &str, o: &Value) -> Self {
        let match_labels = o
            .pointer("/spec/selector/matchLabels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let match_expressions = o
            .pointer("/spec/selector/matchExpressions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| Requirement {
                key: s(e, "/key"),
                operator: s(e, "/operator"),
                values: e
                    .get("values")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect(),
            })
            .collect();
        MonitorRow {
            kind: kind.to_string(),
            namespace: s(o, "/metadata/namespace"),
            name: s(o, "/metadata/name"),
            match_labels,
            match_expressions,
            any_namespace: o
                .pointer("/spec/namespaceSelector/any")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            namespaces: o
                .pointer("/spec/namespaceSelector/matchNames")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
        }
    }

    /// Whether it selects an object with these labels in this namespace (Kubernetes'
    /// label-selector semantics: every matchLabels entry and every requirement holds).
    pub fn selects(&self, namespace: &str, labels: &BTreeMap<String, String>) -> bool {
        let ns_ok = self.any_namespace
            || if self.namespaces.is_empty() {
                self.namespace == namespace
            } else {
                self.namespaces.iter().any(|n| n == namespace)
            };
        ns_ok
            && self
                .match_labels
                .iter()
                .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let got = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => got.is_some_and(|g| r.values.contains(g)),
                    "NotIn" => !got.is_some_and(|g| r.values.contains(g)),
                    "Exists" => got.is_some(),
                    "DoesNotExist" => got.is_none(),
                    // An operator the API server would refuse selects nothing.
                    _ => false,
                }
            })
    }
}

/// An alert Alertmanager says is firing (active, not silenced, not inhibited).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, serde::Serialize)]
pub struct FiringAlert {
    pub name: String,
    pub severity: String,
    /// The Cluster it is about, from its `namespace` and `cluster` labels.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub namespace: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub cluster: String,
    pub summary: String,
    /// RFC 3339, as Alertmanager wrote it.
    pub starts_at: String,
}

/// The most alerts kept of one answer.
pub const MAX_FIRING: usize = 1_000;

/// Alertmanager's `GET /api/v2/alerts` answer, each text cut to a line's length (it is
/// shown beside the findings). Anything that is not an alert object is skipped.
pub fn parse_firing(body: &Value) -> Result<Vec<FiringAlert>, String> {
    let list = body
        .as_array()
        .ok_or_else(|| "the answer is not a list of alerts".to_string())?;
    let text = |v: &Value, ptr: &str| -> String {
        let s = v.pointer(ptr).and_then(Value::as_str).unwrap_or_default();
        s.chars().take(300).collect()
    };
    let mut out: Vec<FiringAlert> = list
        .iter()
        .filter(|a| a.is_object())
        .filter(|a| {
            a.pointer("/status/state")
                .and_then(Value::as_str)
                .is_none_or(|s| s == "active")
        })
        .take(MAX_FIRING)
        .map(|a| FiringAlert {
            name: text(a, "/labels/alertname"),
            severity: text(a, "/labels/severity"),
            namespace: text(a, "/labels/namespace"),
            cluster: text(a, "/labels/cluster"),
            summary: text(a, "/annotations/summary"),
            starts_at: text(a, "/startsAt"),
        })
        .collect();
    out.sort();
    Ok(out)
}

impl crate::model::rows::Row for PromRuleRow {
    fn key(&self) -> crate::model::rows::Key {
        (self.namespace.clone(), self.name.clone())
    }
    fn namespace(&self) -> &str {
        &self.namespace
    }
}

impl crate::model::rows::Row for MonitorRow {
    fn key(&self) -> crate::model::rows::Key {
        (self.namespace.clone(), self.name.clone())
    }
    fn namespace(&self) -> &str {
        &self.namespace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_operators_pod_monitor_selects_its_clusters_instances_only() {
        let pm: Value = serde_json::from_str(
            r#"{"metadata":{"namespace":"db","name":"pg"},
                "spec":{"selector":{"matchLabels":{"cnpg.io/cluster":"pg","cnpg.io/podRole":"instance"}},
                        "podMetricsEndpoints":[{"port":"metrics"}]}}"#,
        )
        .unwrap();
        let m = MonitorRow::project("PodMonitor", &pm);
        let pod = |c: &str| -> BTreeMap<String, String> {
            [("cnpg.io/cluster", c), ("cnpg.io/podRole", "instance")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        assert!(m.selects("db", &pod("pg")));
        assert!(!m.selects("db", &pod("other")));
        assert!(!m.selects("elsewhere", &pod("pg")));
    }

    #[test]
    fn rules_keep_their_group_and_kind() {
        let pr: Value = serde_json::from_str(
            r#"{"metadata":{"namespace":"monitoring","name":"r"},
                "spec":{"groups":[{"name":"g","rules":[
                  {"record":"x:sum","expr":"sum(x)"},
                  {"alert":"A","expr":"x:sum > 1"},
                  {"alert":"Broken"}]}]}}"#,
        )
        .unwrap();
        let r = PromRuleRow::project(&pr);
        assert_eq!(r.rules.len(), 2);
        assert_eq!(r.rules[0].record.as_deref(), Some("x:sum"));
        assert_eq!(r.rules[1].alert.as_deref(), Some("A"));
        assert_eq!(r.rules[1].group, "g");
    }
}
