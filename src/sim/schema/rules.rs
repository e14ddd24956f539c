//! The CEL pass: after pruning, defaulting and the structural checks, every
//! `x-kubernetes-validations` rule is evaluated on the value at its node, parents before
//! children, as the apiserver's CEL validator walks an object.

use serde_json::Value;

use super::cel::{self, Env};
use super::compiled::{Compiled, field_path};
use super::{Cause, child};

/// Evaluates the rules under `schema` on `obj` (and `old`, on an update), appending what
/// fails to `causes`. `only` restricts the pass to one top-level field.
pub fn check(
    compiled: &Compiled,
    schema: &Value,
    obj: &Value,
    old: Option<&Value>,
    only: Option<&str>,
    causes: &mut Vec<Cause>,
) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let Some(map) = obj.as_object() else {
        return;
    };
    for (key, value) in map {
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata")
            || only.is_some_and(|o| o != key)
        {
            continue;
        }
        if let Some(s) = props.get(key) {
            let o = old.and_then(|o| o.get(key));
            node(compiled, s, value, o, key, causes);
        }
    }
}

fn node(
    compiled: &Compiled,
    s: &Value,
    v: &Value,
    old: Option<&Value>,
    path: &str,
    causes: &mut Vec<Cause>,
) {
    for rule in s
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        one_rule(compiled, s, rule, v, old, path, causes);
    }
    match v {
        Value::Object(map) => {
            let props = s.get("properties").and_then(Value::as_object);
            let extra = s.get("additionalProperties").filter(|a| a.is_object());
            for (key, value) in map {
                if let Some(sub) = props.and_then(|p| p.get(key)).or(extra) {
                    let o = old.and_then(|o| o.get(key));
                    node(compiled, sub, value, o, &child(path, key), causes);
                }
            }
        }
        Value::Array(items) => {
            // Items of a list are not correlated with the old list's (atomic lists):
            // their rules run as on a create.
            if let Some(sub) = s.get("items").filter(|i| i.is_object()) {
                for (i, item) in items.iter().enumerate() {
                    node(compiled, sub, item, None, &format!("{path}[{i}]"), causes);
                }
            }
        }
        _ => {}
    }
}

fn one_rule(
    compiled: &Compiled,
    s: &Value,
    rule: &Value,
    v: &Value,
    old: Option<&Value>,
    path: &str,
    causes: &mut Vec<Cause>,
) {
    let Some(src) = rule.get("rule").and_then(Value::as_str) else {
        return;
    };
    let message = rule
        .get("message")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|m| !m.is_empty());
    let what = message.unwrap_or(src.trim());
    let sts_type = s.get("type").and_then(Value::as_str).unwrap_or("");
    let Some(program) = compiled.program(src) else {
        causes.push(invalid(
            path,
            sts_type,
            format!("rule compile error: {src:?} was not compiled"),
        ));
        return;
    };
    // Transition rules run only where an old value exists; other rules are ratcheted
    // where the update leaves the value as it was.
    match old {
        None if program.uses_old_self => return,
        Some(o) if !program.uses_old_self && o == v => return,
        _ => {}
    }
    let mut env = Env::new(v, old);
    match cel::eval(&program.expr, &mut env).map(|r| r.as_bool()) {
        Ok(Some(true)) => {}
        Ok(Some(false)) => {
            let field = match rule
                .get("fieldPath")
                .and_then(Value::as_str)
                .and_then(field_path)
            {
                Some(parts) => parts.iter().fold(path.to_string(), |p, k| child(&p, k)),
                None => path.to_string(),
            };
            let detail = rule
                .get("messageExpression")
                .and_then(Value::as_str)
                .and_then(|m| compiled.program(m))
                .and_then(|p| cel::eval(&p.expr, &mut Env::new(v, old)).ok())
                .and_then(|m| m.as_str().map(str::to_string))
                .unwrap_or_else(|| match message {
                    Some(m) => m.to_string(),
                    None => format!("failed rule: {what}"),
                });
            let reason = rule.get("reason").and_then(Value::as_str);
            causes.push(for_reason(&field, sts_type, detail, reason));
        }
        Ok(None) => causes.push(invalid(
            path,
            sts_type,
            format!("rule did not evaluate to a bool evaluating rule: {what}"),
        )),
        Err(e) => causes.push(invalid(
            path,
            sts_type,
            format!("{e} evaluating rule: {what}"),
        )),
    }
}

fn invalid(field: &str, sts_type: &str, detail: String) -> Cause {
    Cause {
        reason: "FieldValueInvalid",
        field: field.to_string(),
        message: format!("Invalid value: {sts_type:?}: {detail}"),
    }
}

/// `fieldErrorForReason`: Forbidden and Required carry no value, Duplicate no detail.
fn for_reason(field: &str, sts_type: &str, detail: String, reason: Option<&str>) -> Cause {
    let (reason, message) = match reason {
        Some("FieldValueForbidden") => ("FieldValueForbidden", format!("Forbidden: {detail}")),
        Some("FieldValueRequired") => ("FieldValueRequired", format!("Required value: {detail}")),
        Some("FieldValueDuplicate") => (
            "FieldValueDuplicate",
            format!("Duplicate value: {sts_type:?}"),
        ),
        _ => return invalid(field, sts_type, detail),
    };
    Cause {
        reason,
        field: field.to_string(),
        message,
    }
}
