//! Validation of custom resources against their CRD's `openAPIV3Schema`, with the
//! structural-schema semantics of a real apiserver: unknown fields are pruned (or, when the
//! request asks `fieldValidation=Strict`, reported), then types, `required`, `enum`,
//! bounds and patterns are checked and reported as a 422 Invalid Status whose causes read
//! like the apiserver's. Generic JSON-schema crates prune nothing and word errors
//! differently, hence this small hand-written walker.

use serde_json::{Map, Value, json};

use super::registry::ResourceType;
use super::status::ApiError;
use super::store::Part;

/// One failed check: the field path and the message as the apiserver words them.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Default)]
struct Walk {
    causes: Vec<Cause>,
    unknown: Vec<String>,
}

/// Checks a write of `part` of a custom resource (built-in kinds and kinds whose CRD has
/// no schema pass unchanged), pruning unknown fields in place.
pub fn check(t: &ResourceType, obj: &mut Value, part: Part, strict: bool) -> Result<(), ApiError> {
    let Some(schema) = t.schema.clone() else {
        return Ok(());
    };
    let only = match part {
        Part::Main => None,
        Part::Status => Some("status"),
    };
    validate(t, &schema, obj, only, strict)
}

/// Prunes `obj` in place and checks it. `only` restricts the walk to one top-level field
/// (a status subresource write validates `status` only).
pub fn validate(
    t: &ResourceType,
    schema: &Value,
    obj: &mut Value,
    only: Option<&str>,
    strict: bool,
) -> Result<(), ApiError> {
    let mut w = Walk::default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Ok(());
    };
    let Some(map) = obj.as_object_mut() else {
        return Ok(());
    };
    for (key, value) in map.iter_mut() {
        // apiVersion, kind and metadata are the apiserver's own, checked elsewhere.
        if matches!(key.as_str(), "apiVersion" | "kind" | "metadata") {
            continue;
        }
        if only.is_some_and(|o| o != key) {
            continue;
        }
        if let Some(s) = props.get(key)
            && !drop_null(s, Some(value))
        {
            value_at(s, value, key, &mut w);
        }
    }
    map.retain(|k, v| !props.get(k).is_some_and(|s| drop_null(s, Some(v))));
    if only.is_none() {
        let unknown: Vec<String> = map
            .keys()
            .filter(|k| {
                !matches!(k.as_str(), "apiVersion" | "kind" | "metadata") && !props.contains_key(*k)
            })
            .cloned()
            .collect();
        if schema.get("x-kubernetes-preserve-unknown-fields") != Some(&Value::Bool(true)) {
            for k in unknown {
                map.remove(&k);
                w.unknown.push(k);
            }
        }
        required(schema, map, "", &mut w);
    }
    let name = obj
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if strict && !w.unknown.is_empty() {
        let list: Vec<String> = w
            .unknown
            .iter()
            .map(|f| format!("unknown field \"{f}\""))
            .collect();
        return Err(ApiError::bad_request(format!(
            "{kind} in version \"{v}\" cannot be handled as a {kind}: strict decoding error: {}",
            list.join(", "),
            kind = t.kind,
            v = t.version
        )));
    }
    if w.causes.is_empty() {
        return Ok(());
    }
    Err(invalid(t, &name, &w.causes))
}

/// The 422 Invalid Status: `Kind.group "name" is invalid: field: message` (several causes
/// in brackets, comma-separated, as the apiserver's aggregate prints them).
pub fn invalid(t: &ResourceType, name: &str, causes: &[Cause]) -> ApiError {
    let lines: Vec<String> = causes
        .iter()
        .map(|c| format!("{}: {}", c.field, c.message))
        .collect();
    let joined = if lines.len() == 1 {
        lines[0].clone()
    } else {
        format!("[{}]", lines.join(", "))
    };
    let qualified_kind = if t.group.is_empty() {
        t.kind.clone()
    } else {
        format!("{}.{}", t.kind, t.group)
    };
    ApiError::invalid(format!("{qualified_kind} \"{name}\" is invalid: {joined}")).with_details(
        json!({
            "name": name,
            "group": t.group,
            "kind": t.kind,
            "causes": causes.iter().map(|c| json!({
                "reason": c.reason,
                "message": c.message,
                "field": c.field,
            })).collect::<Vec<_>>(),
        }),
    )
}

fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// How the apiserver quotes a value in a message: strings in double quotes, the rest as JSON.
fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn push(w: &mut Walk, reason: &'static str, field: &str, message: String) {
    w.causes.push(Cause {
        reason,
        field: field.to_string(),
        message,
    });
}

fn value_at(s: &Value, v: &mut Value, path: &str, w: &mut Walk) {
    // Object fields holding null were dropped before this (see `drop_null`); a null
    // left here is an array item, which a non-nullable schema refuses.
    if v.is_null() {
        if s.get("nullable") != Some(&Value::Bool(true)) {
            push(
                w,
                "FieldValueTypeInvalid",
                path,
                format!(
                    "Invalid value: \"null\": {path} in body must be of type {}: \"null\"",
                    s.get("type").and_then(Value::as_str).unwrap_or("object")
                ),
            );
        }
        return;
    }
    let int_or_string = s.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true));
    if int_or_string {
        if !(v.is_string() || type_name(v) == "integer") {
            push(
                w,
                "FieldValueTypeInvalid",
                path,
                format!(
                    "Invalid value: \"{}\": {path} in body must be of type integer,string: \"{}\"",
                    type_name(v),
                    type_name(v)
                ),
            );
            return;
        }
    } else if let Some(want) = s.get("type").and_then(Value::as_str) {
        let got = type_name(v);
        let fits = got == want || (want == "number" && got == "integer");
        if !fits {
            push(
                w,
                "FieldValueTypeInvalid",
                path,
                format!(
                    "Invalid value: \"{got}\": {path} in body must be of type {want}: \"{got}\""
                ),
            );
            return;
        }
    }
    if let Some(options) = s.get("enum").and_then(Value::as_array)
        && !options.contains(v)
    {
        let list: Vec<String> = options.iter().map(shown).collect();
        push(
            w,
            "FieldValueNotSupported",
            path,
            format!(
                "Unsupported value: {}: supported values: {}",
                shown(v),
                list.join(", ")
            ),
        );
    }
    match v {
        Value::Number(n) => bounds(s, n.as_f64().unwrap_or(0.0), v, path, w),
        Value::String(_) => strings(s, &v.clone(), path, w),
        Value::Array(items) => {
            if let Some(min) = s.get("minItems").and_then(Value::as_u64)
                && (items.len() as u64) < min
            {
                push(
                    w,
                    "FieldValueInvalid",
                    path,
                    format!(
                        "Invalid value: {}: {path} in body should have at least {min} items",
                        items.len()
                    ),
                );
            }
            if let Some(item_schema) = s.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    value_at(item_schema, item, &format!("{path}[{i}]"), w);
                }
            }
        }
        Value::Object(map) => object(s, map, path, w),
        _ => {}
    }
}

fn bounds(s: &Value, n: f64, v: &Value, path: &str, w: &mut Walk) {
    if let Some(min) = s.get("minimum").and_then(Value::as_f64)
        && n < min
    {
        push(
            w,
            "FieldValueInvalid",
            path,
            format!(
                "Invalid value: {v}: {path} in body should be greater than or equal to {}",
                s["minimum"]
            ),
        );
    }
    if let Some(max) = s.get("maximum").and_then(Value::as_f64)
        && n > max
    {
        push(
            w,
            "FieldValueInvalid",
            path,
            format!(
                "Invalid value: {v}: {path} in body should be less than or equal to {}",
                s["maximum"]
            ),
        );
    }
}

fn strings(s: &Value, v: &Value, path: &str, w: &mut Walk) {
    let text = v.as_str().unwrap_or_default();
    if let Some(min) = s.get("minLength").and_then(Value::as_u64)
        && (text.chars().count() as u64) < min
    {
        push(
            w,
            "FieldValueInvalid",
            path,
            format!(
                "Invalid value: {}: {path} in body should be at least {min} chars long",
                shown(v)
            ),
        );
    }
    if let Some(max) = s.get("maxLength").and_then(Value::as_u64)
        && (text.chars().count() as u64) > max
    {
        push(
            w,
            "FieldValueTooLong",
            path,
            format!("Too long: may not be more than {max} bytes"),
        );
    }
    // `pattern` is not checked: the simulator has no regex engine among its dependencies;
    // the patterns stay in the CRDs as upstream states them.
}

fn object(s: &Value, map: &mut Map<String, Value>, path: &str, w: &mut Walk) {
    let preserve = s.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
    let props = s.get("properties").and_then(Value::as_object);
    let extra = s.get("additionalProperties").filter(|a| a.is_object());
    let keys: Vec<String> = map.keys().cloned().collect();
    for key in keys {
        let p = child(path, &key);
        let sub = props.and_then(|ps| ps.get(&key)).or(extra);
        match sub {
            Some(sub) if drop_null(sub, map.get(&key)) => {
                map.remove(&key);
            }
            Some(sub) => {
                if let Some(value) = map.get_mut(&key) {
                    value_at(sub, value, &p, w);
                }
            }
            // The schema says nothing about its fields: keep whatever is there.
            None if preserve || (props.is_none() && extra.is_none()) => {}
            None => {
                map.remove(&key);
                w.unknown.push(p);
            }
        }
    }
    // Defaulting, as the apiserver does for structural schemas: an absent field with a
    // default gets it (only where its parent object exists).
    if let Some(ps) = props {
        for (key, sub) in ps {
            if let Some(d) = sub.get("default")
                && !map.contains_key(key)
            {
                map.insert(key.clone(), d.clone());
            }
        }
    }
    required(s, map, path, w);
}

/// The apiserver prunes a null held by a field that is not `nullable` before defaulting
/// and validation (structural schemas): such a field counts as absent.
fn drop_null(s: &Value, v: Option<&Value>) -> bool {
    v.is_some_and(Value::is_null) && s.get("nullable") != Some(&Value::Bool(true))
}

fn required(s: &Value, map: &Map<String, Value>, path: &str, w: &mut Walk) {
    for r in s
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !map.contains_key(r) {
            push(
                w,
                "FieldValueRequired",
                &child(path, r),
                "Required value".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::registry::from_crd;

    fn backup_type() -> ResourceType {
        let crd: Value =
            serde_yaml::from_str(include_str!("crds/postgresql.cnpg.io_backups.yaml")).unwrap();
        from_crd(&crd).unwrap()
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "spec": {
                    "type": "object",
                    "required": ["cluster"],
                    "properties": {
                        "cluster": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
                        "method": {"type": "string", "enum": ["barmanObjectStore", "volumeSnapshot", "plugin"]},
                        "online": {"type": "boolean"},
                        "instances": {"type": "integer", "minimum": 1},
                        "port": {"x-kubernetes-int-or-string": true},
                        "retention": {"type": "string", "pattern": "^[1-9][0-9]*[dwm]$"},
                        "parameters": {"type": "object", "additionalProperties": {"type": "string"}},
                        "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "plugins": {"type": "array", "items": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}},
                    }
                },
                "status": {"type": "object", "properties": {"phase": {"type": "string"}}}
            }
        })
    }

    fn run(mut obj: Value, strict: bool) -> (Value, Result<(), ApiError>) {
        let r = validate(&backup_type(), &schema(), &mut obj, None, strict);
        (obj, r)
    }

    fn causes(e: &ApiError) -> Vec<(String, String)> {
        e.details.as_ref().unwrap()["causes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["field"].as_str().unwrap().to_string(),
                    c["message"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn enum_and_required_read_like_the_apiserver() {
        let (_, r) = run(
            json!({"metadata": {"name": "b"}, "spec": {"method": "foo"}}),
            false,
        );
        let e = r.unwrap_err();
        assert_eq!(e.code, 422);
        assert_eq!(
            causes(&e),
            vec![
                (
                    "spec.method".into(),
                    r#"Unsupported value: "foo": supported values: "barmanObjectStore", "volumeSnapshot", "plugin""#.into()
                ),
                ("spec.cluster".into(), "Required value".into()),
            ]
        );
        assert_eq!(
            e.message,
            r#"Backup.postgresql.cnpg.io "b" is invalid: [spec.method: Unsupported value: "foo": supported values: "barmanObjectStore", "volumeSnapshot", "plugin", spec.cluster: Required value]"#
        );
    }

    #[test]
    fn types_bounds_patterns_and_items() {
        let (_, r) = run(
            json!({"spec": {"cluster": {"name": "pg"}, "online": "yes", "instances": 0,
                "port": true, "parameters": {"a": 1},
                "plugins": [{"isWALArchiver": true}]}}),
            false,
        );
        let got = causes(&r.unwrap_err());
        let fields: Vec<&str> = got.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "spec.instances",
                "spec.online",
                "spec.parameters.a",
                "spec.plugins[0].name",
                "spec.port",
            ]
        );
        assert_eq!(
            got[1].1,
            r#"Invalid value: "string": spec.online in body must be of type boolean: "string""#
        );
        assert_eq!(
            got[0].1,
            "Invalid value: 0: spec.instances in body should be greater than or equal to 1"
        );
    }

    #[test]
    fn unknown_fields_are_pruned_or_strictly_rejected() {
        let obj = json!({"spec": {"cluster": {"name": "pg", "extra": 1}, "bogus": true,
            "free": {"anything": {"goes": 1}}}, "other": 1});
        let (pruned, r) = run(obj.clone(), false);
        assert!(r.is_ok());
        assert_eq!(
            pruned,
            json!({"spec": {"cluster": {"name": "pg"}, "free": {"anything": {"goes": 1}}}})
        );
        let (_, r) = run(obj, true);
        let e = r.unwrap_err();
        assert_eq!(e.code, 400);
        assert!(e.message.contains("strict decoding error"), "{}", e.message);
        assert!(
            e.message.contains(r#"unknown field "spec.bogus""#),
            "{}",
            e.message
        );
        assert!(
            e.message.contains(r#"unknown field "spec.cluster.extra""#),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_null_field_counts_as_absent() {
        let (obj, r) = run(
            json!({"spec": {"cluster": {"name": "pg"}, "online": null}, "status": null}),
            false,
        );
        assert!(r.is_ok(), "{r:?}");
        assert_eq!(obj, json!({"spec": {"cluster": {"name": "pg"}}}));
        let (_, r) = run(json!({"spec": {"cluster": null}}), false);
        assert_eq!(
            causes(&r.unwrap_err()),
            vec![("spec.cluster".to_string(), "Required value".to_string())]
        );
    }

    #[test]
    fn defaults_fill_absent_fields() {
        let mut s = schema();
        s["properties"]["spec"]["properties"]["method"]["default"] = json!("barmanObjectStore");
        let mut obj = json!({"spec": {"cluster": {"name": "pg"}}});
        validate(&backup_type(), &s, &mut obj, None, false).unwrap();
        assert_eq!(obj["spec"]["method"], "barmanObjectStore");
    }

    #[test]
    fn a_status_write_checks_status_only() {
        let mut obj = json!({"spec": {}, "status": {"phase": 3}});
        let e = validate(&backup_type(), &schema(), &mut obj, Some("status"), false).unwrap_err();
        assert_eq!(causes(&e)[0].0, "status.phase");
        let mut ok = json!({"spec": {}, "status": {"phase": "completed"}});
        assert!(validate(&backup_type(), &schema(), &mut ok, Some("status"), false).is_ok());
    }
}
