//! Writes: create, update and delete, each committed under the next resourceVersion with
//! the cascades a real cluster applies (a CRD's objects, a namespace's contents).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::changes::{Change, ChangeType, HISTORY};
use super::{Inner, ObjKey, Part, Store, WriteOpts, metadata_mut, now_rfc3339};
use crate::sim::registry::{self, CRD_GROUP, ResKey, ResourceType};
use crate::sim::status::ApiError;

impl Store {
    /// Creates an object. `obj` must already carry apiVersion and kind of `t`.
    pub fn create(
        &self,
        t: &ResourceType,
        mut obj: Value,
        opts: &WriteOpts,
    ) -> Result<Arc<Value>, ApiError> {
        let now = Utc::now();
        if !obj.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        let mut inner = self.write();
        let meta = metadata_mut(&mut obj);
        if !t.namespaced {
            meta.remove("namespace");
        }
        let name = match meta.get("name").and_then(Value::as_str) {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => match meta.get("generateName").and_then(Value::as_str) {
                Some(prefix) if !prefix.is_empty() => {
                    let n = format!("{prefix}{}", self.random_suffix());
                    meta.insert("name".into(), json!(n));
                    n
                }
                _ => {
                    return Err(ApiError::invalid(format!(
                        "{} \"\" is invalid: metadata.name: Required value: name or generateName is required",
                        t.kind
                    )));
                }
            },
        };
        let ns = if t.namespaced {
            meta.get("namespace")
                .and_then(Value::as_str)
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        if t.namespaced {
            meta.insert("namespace".into(), json!(ns));
            let exists = inner
                .objects
                .get(&(String::new(), "namespaces".into()))
                .is_some_and(|m| m.contains_key(&(String::new(), ns.clone())));
            if !exists && !opts.internal {
                return Err(ApiError::not_found("", "namespaces", &ns));
            }
        }
        let key = (ns, name.clone());
        if inner
            .objects
            .get(&t.key())
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(ApiError::already_exists(&t.group, &t.plural, &name));
        }
        if !meta.contains_key("uid") {
            meta.insert("uid".into(), json!(self.new_uid()));
        }
        if !meta.contains_key("creationTimestamp") || !opts.internal {
            meta.insert("creationTimestamp".into(), json!(now_rfc3339(now)));
        }
        if !opts.internal {
            meta.insert("generation".into(), json!(1));
            if t.status_subresource
                && let Some(m) = obj.as_object_mut()
            {
                m.remove("status");
            }
        }
        if !opts.internal {
            crate::sim::schema::check(t, &mut obj, Part::Main, opts.strict)?;
        }
        record_manager(&mut obj, opts, t, now);
        if t.plural == "namespaces" && obj.pointer("/status/phase").is_none() {
            obj["status"] = json!({"phase": "Active"});
        }
        Ok(self.commit(&mut inner, t.key(), key, Some(obj), ChangeType::Added))
    }

    /// Replaces an object (PUT). With `Part::Status` only its status changes; with
    /// `Part::Main` everything but its status (for kinds with a status subresource).
    pub fn update(
        &self,
        t: &ResourceType,
        ns: &str,
        name: &str,
        part: Part,
        opts: &WriteOpts,
        f: impl FnOnce(&Value) -> Result<Value, ApiError>,
    ) -> Result<Arc<Value>, ApiError> {
        let now = Utc::now();
        let mut inner = self.write();
        let key = (ns.to_string(), name.to_string());
        let old = inner
            .objects
            .get(&t.key())
            .and_then(|m| m.get(&key))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&t.group, &t.plural, name))?;
        let mut new = f(&old)?;
        if !new.is_object() {
            return Err(ApiError::bad_request("the object must be a JSON object"));
        }
        // Optimistic concurrency: a stale resourceVersion in the body is a conflict.
        if let Some(rv) = new
            .pointer("/metadata/resourceVersion")
            .and_then(Value::as_str)
            && !rv.is_empty()
            && Some(rv)
                != old
                    .pointer("/metadata/resourceVersion")
                    .and_then(Value::as_str)
        {
            return Err(ApiError::conflict(&t.group, &t.plural, name));
        }
        // Identity never changes through a write.
        for field in ["name", "namespace", "uid", "creationTimestamp"] {
            match old.pointer(&format!("/metadata/{field}")) {
                Some(v) => {
                    metadata_mut(&mut new).insert(field.into(), v.clone());
                }
                None => {
                    metadata_mut(&mut new).remove(field);
                }
            }
        }
        new["apiVersion"] = json!(t.api_version());
        new["kind"] = json!(t.kind);
        if !opts.internal {
            match part {
                Part::Status => {
                    let status = new.get("status").cloned();
                    new = (*old).clone();
                    match status {
                        Some(s) => new["status"] = s,
                        None => {
                            if let Some(m) = new.as_object_mut() {
                                m.remove("status");
                            }
                        }
                    }
                }
                Part::Main if t.status_subresource => match old.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Some(m) = new.as_object_mut() {
                            m.remove("status");
                        }
                    }
                },
                Part::Main => {}
            }
        }
        if !opts.internal {
            crate::sim::schema::check_update(t, Some(&old), &mut new, part, opts.strict)?;
        }
        if spec_changed(&old, &new) {
            let generation = old
                .pointer("/metadata/generation")
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            metadata_mut(&mut new).insert("generation".into(), json!(generation));
        } else if let Some(g) = old.pointer("/metadata/generation") {
            metadata_mut(&mut new).insert("generation".into(), g.clone());
        }
        if new == *old_without_rv(&old, &new) {
            // A no-op write does not bump the resourceVersion, as on a real apiserver.
            return Ok(old);
        }
        record_manager(&mut new, opts, t, now);
        Ok(self.commit(&mut inner, t.key(), key, Some(new), ChangeType::Modified))
    }

    pub fn delete(&self, t: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        let mut inner = self.write();
        let key = (ns.to_string(), name.to_string());
        if !inner
            .objects
            .get(&t.key())
            .is_some_and(|m| m.contains_key(&key))
        {
            return Err(ApiError::not_found(&t.group, &t.plural, name));
        }
        Ok(self.commit(&mut inner, t.key(), key, None, ChangeType::Deleted))
    }

    /// Assigns the next resourceVersion, stores (or removes) the object, records the change
    /// and tells watchers. CRDs and namespaces cascade as on a real cluster.
    fn commit(
        &self,
        inner: &mut Inner,
        rk: ResKey,
        key: ObjKey,
        obj: Option<Value>,
        kind: ChangeType,
    ) -> Arc<Value> {
        inner.rv += 1;
        let rv = inner.rv;
        let map = inner.objects.entry(rk.clone()).or_default();
        let prev = map.get(&key).cloned();
        let stored = match obj {
            Some(mut o) => {
                metadata_mut(&mut o).insert("resourceVersion".into(), json!(rv.to_string()));
                let o = Arc::new(o);
                map.insert(key.clone(), o.clone());
                o
            }
            None => {
                let removed = map.remove(&key).unwrap_or_else(|| Arc::new(Value::Null));
                let mut o = (*removed).clone();
                metadata_mut(&mut o).insert("resourceVersion".into(), json!(rv.to_string()));
                Arc::new(o)
            }
        };
        let change = Arc::new(Change {
            rv,
            key: rk.clone(),
            kind,
            obj: stored.clone(),
            prev,
        });
        inner.history.push_back(change.clone());
        while inner.history.len() > HISTORY {
            if let Some(old) = inner.history.pop_front() {
                inner.floor = inner.floor.max(old.rv);
            }
        }
        // No receiver is not an error: nobody watches yet.
        let _ = self.changes.send(change);

        if rk.0 == CRD_GROUP && rk.1 == "customresourcedefinitions" {
            self.crd_changed(inner, &stored, kind);
        }
        if rk.0.is_empty() && rk.1 == "namespaces" && kind == ChangeType::Deleted {
            let ns = key.1;
            let doomed: Vec<(ResKey, ObjKey)> = inner
                .objects
                .iter()
                .flat_map(|(rk, m)| {
                    m.keys()
                        .filter(|(n, _)| *n == ns)
                        .map(move |k| (rk.clone(), k.clone()))
                })
                .collect();
            for (rk, k) in doomed {
                self.commit(inner, rk, k, None, ChangeType::Deleted);
            }
        }
        stored
    }

    fn crd_changed(&self, inner: &mut Inner, crd: &Value, kind: ChangeType) {
        let Some(t) = registry::from_crd(crd) else {
            tracing::warn!(crd = ?crd.pointer("/metadata/name"), "CustomResourceDefinition not understood; its kind is not served");
            return;
        };
        match kind {
            ChangeType::Added | ChangeType::Modified => {
                inner.registry.insert(t);
            }
            ChangeType::Deleted => {
                let key = t.key();
                inner.registry.remove(&key);
                let doomed: Vec<ObjKey> = inner
                    .objects
                    .get(&key)
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default();
                for k in doomed {
                    self.commit(inner, key.clone(), k, None, ChangeType::Deleted);
                }
            }
        }
    }
}

/// `old` with the resourceVersion `new` carries, so that a write that changes nothing else
/// compares equal.
fn old_without_rv<'a>(old: &'a Arc<Value>, new: &Value) -> std::borrow::Cow<'a, Value> {
    let new_rv = new.pointer("/metadata/resourceVersion");
    if new_rv == old.pointer("/metadata/resourceVersion") {
        return std::borrow::Cow::Borrowed(old.as_ref());
    }
    let mut o = (**old).clone();
    match new_rv {
        Some(v) => {
            metadata_mut(&mut o).insert("resourceVersion".into(), v.clone());
        }
        None => {
            metadata_mut(&mut o).remove("resourceVersion");
        }
    }
    std::borrow::Cow::Owned(o)
}

/// Everything but metadata and status: a change there bumps metadata.generation.
fn spec_changed(old: &Value, new: &Value) -> bool {
    let strip = |v: &Value| -> Map<String, Value> {
        v.as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, _)| !matches!(k.as_str(), "metadata" | "status"))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    strip(old) != strip(new)
}

/// Adds or refreshes the managedFields entry of the writer, as server-side field
/// management does (without field sets: nothing here reads them).
fn record_manager(obj: &mut Value, opts: &WriteOpts, t: &ResourceType, now: DateTime<Utc>) {
    let Some(manager) = &opts.manager else { return };
    if opts.internal {
        return;
    }
    let operation = if opts.apply { "Apply" } else { "Update" };
    let entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": t.api_version(),
        "time": now_rfc3339(now),
        "fieldsType": "FieldsV1",
        "fieldsV1": {},
    });
    let meta = metadata_mut(obj);
    let list = meta.entry("managedFields").or_insert_with(|| json!([]));
    if let Some(arr) = list.as_array_mut() {
        arr.retain(|e| {
            !(e.get("manager").and_then(Value::as_str) == Some(manager)
                && e.get("operation").and_then(Value::as_str) == Some(operation))
        });
        arr.push(entry);
    }
}
