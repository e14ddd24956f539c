//! Validation of custom resources against their CRD's `openAPIV3Schema`, with the
//! structural-schema semantics of a real apiserver: unknown fields are pruned (or, when the
//! request asks `fieldValidation=Strict`, reported), then types, `required`, `enum`,
//! bounds and patterns are checked, then the CEL rules (`x-kubernetes-validations`), and
//! failures are reported as a 422 Invalid Status whose causes read like the apiserver's.
//! Generic JSON-schema crates prune nothing and word errors differently, hence this small
//! hand-written walker.

mod cel;
mod compiled;
mod rules;

use serde_json::{Map, Value, json};

pub use self::compiled::{CompileError, Compiled};
use super::registry::{CRD_GROUP, ResourceType};
use super::status::ApiError;
use super::store::Part;

/// One failed check: the field path and the message as the apiserver words them.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub reason: &'static str,
    pub field: String,
    pub message: String,
}

struct Walk<'a> {
    compiled: &'a Compiled,
    causes: Vec<Cause>,
    unknown: Vec<String>,
}

/// Checks a create (or an update, without its transition rules: see [`check_update`]) of
/// `part` of a custom resource, pruning unknown fields in place and filling defaults.
/// Built-in kinds and kinds whose CRD has no schema pass unchanged; a CRD itself is
/// refused when its patterns or rules do not compile.
pub fn check(t: &ResourceType, obj: &mut Value, part: Part, strict: bool) -> Result<(), ApiError> {
    check_update(t, None, obj, part, strict)
}

/// As [`check`], for an update of the stored `old`: transition rules (those reading
/// `oldSelf`) are evaluated, and rules on values the update leaves unchanged are ratcheted
/// (not enforced), as the apiserver does since Kubernetes 1.30.
pub fn check_update(
    t: &ResourceType,
    old: Option<&Value>,
    obj: &mut Value,
    part: Part,
    strict: bool,
) -> Result<(), ApiError> {
    if t.group == CRD_GROUP && t.plural == "customresourcedefinitions" {
        return check_crd(obj);
    }
    let Some(schema) = t.schema.clone() else {
        return Ok(());
    };
    let compiled = compiled::cached(&schema).map_err(|errors| {
        ApiError::new(
            500,
            "InternalError",
            format!(
                "the schema of {} does not compile: {}",
                t.qualified(),
                joined(&errors)
            ),
        )
    })?;
    let only = match part {
        Part::Main => None,
        Part::Status => Some("status"),
    };
    run(t, &compiled, &schema, obj, old, only, strict)?;
    // The validating webhooks run after the schema, as kube-apiserver calls them.
    if part == Part::Main {
        super::migration::webhook::admit(t, obj)?;
    }
    Ok(())
}

/// Prunes `obj` in place and checks it as a create. `only` restricts the walk to one
/// top-level field (a status subresource write validates `status` only).
pub fn validate(
    t: &ResourceType,
    schema: &Value,
    obj: &mut Value,
    only: Option<&str>,
    strict: bool,
) -> Result<(), ApiError> {
    validate_update(t, schema, obj, None, only, strict)
}

/// As [`validate`], for an update of `old` (None: a create).
pub fn validate_update(
    t: &ResourceType,
    schema: &Value,
    obj: &mut Value,
    old: Option<&Value>,
    only: Option<&str>,
    strict: bool,
) -> Result<(), ApiError> {
    let compiled = Compiled::from_schema(schema, "openAPIV3Schema").map_err(|errors| {
        ApiError::new(
            500,
            "InternalError",
            format!(
                "the schema of {} does not compile: {}",
                t.qualified(),
                joined(&errors)
            ),
        )
    })?;
    run(t, &compiled, schema, obj, old, only, strict)
}

/// Checks that a CustomResourceDefinition's patterns and CEL rules compile (every version
/// with a schema), answering as the apiserver refuses an invalid CRD. Loading a CRD
/// through the store's internal path should call this too: a rule outside the CEL subset
/// the simulator evaluates is an error there, never a silent pass.
pub fn check_crd(crd: &Value) -> Result<(), ApiError> {
    let name = crd
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut causes = Vec::new();
    let versions = crd.pointer("/spec/versions").and_then(Value::as_array);
    for (i, v) in versions.into_iter().flatten().enumerate() {
        let Some(schema) = v.pointer("/schema/openAPIV3Schema") else {
            continue;
        };
        let path = format!("spec.versions[{i}].schema.openAPIV3Schema");
        if let Err(errors) = Compiled::from_schema(schema, &path) {
            causes.extend(errors.into_iter().map(|e| Cause {
                reason: "FieldValueInvalid",
                field: e.path,
                message: e.message,
            }));
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    let crd_type = ResourceType {
        group: CRD_GROUP.into(),
        version: "v1".into(),
        kind: "CustomResourceDefinition".into(),
        plural: "customresourcedefinitions".into(),
        singular: "customresourcedefinition".into(),
        short_names: vec![],
        categories: vec![],
        namespaced: false,
        builtin: true,
        status_subresource: true,
        log_subresource: false,
        create_only: false,
        printer: super::table::Printer::Default,
        schema: None,
    };
    Err(invalid(&crd_type, &name, &causes))
}

fn joined(errors: &[CompileError]) -> String {
    errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reasons whose causes stop the CEL rules from running, as the apiserver's
/// `hasBlockingErr` lists them.
const BLOCKING: &[&str] = &[
    "FieldValueNotSupported",
    "FieldValueRequired",
    "FieldValueTooLong",
    "FieldValueTooMany",
    "FieldValueTypeInvalid",
];

fn run(
    t: &ResourceType,
    compiled: &Compiled,
    schema: &Value,
    obj: &mut Value,
    old: Option<&Value>,
    only: Option<&str>,
    strict: bool,
) -> Result<(), ApiError> {
    let mut w = Walk {
        compiled,
        causes: Vec::new(),
        unknown: Vec::new(),
    };
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
    let mut causes = w.causes;
    // The apiserver builds a CEL validator only for schemas holding rules, and skips it
    // when the structural checks found errors that make the rules meaningless.
    if compiled.has_rules() {
        if causes.iter().any(|c| BLOCKING.contains(&c.reason)) {
            causes.push(Cause {
                reason: "FieldValueInvalid",
                field: "<nil>".into(),
                message: "Invalid value: \"null\": some validation rules were not checked because the object was invalid; correct the existing errors to complete validation".into(),
            });
        } else {
            rules::check(compiled, schema, obj, old, only, &mut causes);
        }
    }
    if causes.is_empty() {
        return Ok(());
    }
    Err(invalid(t, &name, &causes))
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

fn push(w: &mut Walk<'_>, reason: &'static str, field: &str, message: String) {
    w.causes.push(Cause {
        reason,
        field: field.to_string(),
        message,
    });
}

fn value_at(s: &Value, v: &mut Value, path: &str, w: &mut Walk<'_>) {
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

fn bounds(s: &Value, n: f64, v: &Value, path: &str, w: &mut Walk<'_>) {
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

fn strings(s: &Value, v: &Value, path: &str, w: &mut Walk<'_>) {
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
    if let Some(p) = s.get("pattern").and_then(Value::as_str) {
        match w.compiled.pattern(p) {
            Some(re) if re.is_match(text) => {}
            Some(_) => push(
                w,
                "FieldValueInvalid",
                path,
                format!(
                    "Invalid value: {}: {path} in body should match '{p}'",
                    shown(v)
                ),
            ),
            // The schema was compiled from the same value: every pattern is there.
            None => push(
                w,
                "InternalError",
                path,
                format!("Internal error: pattern '{p}' was not compiled"),
            ),
        }
    }
}

fn object(s: &Value, map: &mut Map<String, Value>, path: &str, w: &mut Walk<'_>) {
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

fn required(s: &Value, map: &Map<String, Value>, path: &str, w: &mut Walk<'_>) {
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
mod tests;
