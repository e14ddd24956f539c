//! PATCH bodies by content type: JSON merge (RFC 7386), JSON patch (RFC 6902), server-side
//! apply (handled as a merge that records its field manager) and strategic merge (built-in
//! kinds only; lists of named items merge by name).

use serde_json::Value;

use super::status::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Apply,
    Strategic,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        let base = ct.split(';').next().unwrap_or("").trim();
        match base {
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/json-patch+json" => Some(PatchType::Json),
            "application/apply-patch+yaml" | "application/apply-patch+json" => {
                Some(PatchType::Apply)
            }
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            _ => None,
        }
    }
}

/// Parses a patch body: JSON, or YAML for apply patches.
pub fn parse_body(pt: PatchType, body: &[u8]) -> Result<Value, ApiError> {
    let parsed = match pt {
        PatchType::Apply => serde_json::from_slice(body)
            .or_else(|_| serde_yaml::from_slice::<Value>(body).map_err(|e| e.to_string())),
        _ => serde_json::from_slice(body).map_err(|e| e.to_string()),
    };
    parsed.map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))
}

/// Applies `patch` to `target`.
pub fn apply(pt: PatchType, target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let mut out = target.clone();
    match pt {
        PatchType::Merge | PatchType::Apply => {
            if !patch.is_object() {
                return Err(ApiError::bad_request("a merge patch must be a JSON object"));
            }
            json_patch::merge(&mut out, patch);
        }
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(patch.clone()).map_err(|e| {
                ApiError::bad_request(format!(
                    "the server rejected our request due to an error in our request: {e}"
                ))
            })?;
            json_patch::patch(&mut out, &ops).map_err(|e| {
                ApiError::invalid(format!(
                    "the server rejected our request due to an error in our request: {e}"
                ))
            })?;
        }
        PatchType::Strategic => {
            if !patch.is_object() {
                return Err(ApiError::bad_request(
                    "a strategic merge patch must be a JSON object",
                ));
            }
            strategic_merge(&mut out, patch);
        }
    }
    Ok(out)
}

fn named(v: &Value) -> Option<&str> {
    v.get("name").and_then(Value::as_str)
}

/// The part of strategic merge that kubectl relies on: objects merge recursively, `null`
/// deletes, lists whose items all have a `name` (containers, env, ports, volumes) merge
/// item by item, other lists are replaced, and `$patch: delete` removes a named item.
fn strategic_merge(target: &mut Value, patch: &Value) {
    let Some(pm) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let Some(tm) = target.as_object_mut() else {
        return;
    };
    for (k, pv) in pm {
        if k.starts_with("$") {
            continue;
        }
        match pv {
            Value::Null => {
                tm.remove(k);
            }
            Value::Object(_) => strategic_merge(tm.entry(k.clone()).or_insert(Value::Null), pv),
            Value::Array(items)
                if !items.is_empty() && items.iter().all(|i| named(i).is_some()) =>
            {
                let existing = tm.entry(k.clone()).or_insert_with(|| Value::Array(vec![]));
                if !existing.is_array() {
                    *existing = Value::Array(vec![]);
                }
                if let Some(list) = existing.as_array_mut() {
                    for item in items {
                        let name = named(item);
                        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
                        match list.iter().position(|e| named(e) == name) {
                            Some(i) if delete => {
                                list.remove(i);
                            }
                            Some(i) => strategic_merge(&mut list[i], item),
                            None if delete => {}
                            None => {
                                let mut fresh = Value::Null;
                                strategic_merge(&mut fresh, item);
                                list.push(fresh);
                            }
                        }
                    }
                }
            }
            other => {
                tm.insert(k.clone(), other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn strategic_merge_keeps_other_containers() {
        let target = json!({"spec": {"containers": [
            {"name": "postgres", "image": "pg:16"},
            {"name": "sidecar", "image": "s:1", "resources": {"limits": {"memory": "64Mi"}}}]}});
        let patch = json!({"spec": {"containers": [{"name": "sidecar", "resources": {"limits": {"memory": "256Mi"}}}]}});
        let out = apply(PatchType::Strategic, &target, &patch).expect("patched");
        assert_eq!(
            out.pointer("/spec/containers/0/image"),
            Some(&json!("pg:16"))
        );
        assert_eq!(out.pointer("/spec/containers/1/image"), Some(&json!("s:1")));
        assert_eq!(
            out.pointer("/spec/containers/1/resources/limits/memory"),
            Some(&json!("256Mi"))
        );
        // A merge patch replaces the list, as RFC 7386 says.
        let merged = apply(PatchType::Merge, &target, &patch).expect("patched");
        assert_eq!(
            merged
                .pointer("/spec/containers")
                .and_then(Value::as_array)
                .map(Vec::len),
            Some(1)
        );
    }

    #[test]
    fn json_patch_ops_and_errors() {
        let target = json!({"metadata": {"labels": {"a": "1"}}});
        let out = apply(
            PatchType::Json,
            &target,
            &json!([{"op": "add", "path": "/metadata/labels/b", "value": "2"}]),
        )
        .expect("patched");
        assert_eq!(out.pointer("/metadata/labels/b"), Some(&json!("2")));
        let err = apply(
            PatchType::Json,
            &target,
            &json!([{"op": "remove", "path": "/spec/x"}]),
        )
        .unwrap_err();
        assert_eq!(err.code, 422);
    }
}
