//! The in-memory object store: every object the simulated cluster holds, one monotonic
//! resourceVersion counter, and the recent history of changes that watches replay.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};

use super::registry::{self, CRD_GROUP, Registry, ResKey, ResourceType};
use super::selectors::{FieldSelector, LabelSelector};
use super::status::ApiError;

/// (namespace, name); the namespace is "" for cluster-scoped objects.
pub type ObjKey = (String, String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeType::Added => "ADDED",
            ChangeType::Modified => "MODIFIED",
            ChangeType::Deleted => "DELETED",
        }
    }
}

/// One write, as watches see it. `prev` lets a filtered watch turn a MODIFIED that leaves
/// or enters its selector into DELETED or ADDED, as the apiserver does.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub key: ResKey,
    pub kind: ChangeType,
    pub obj: Arc<Value>,
    pub prev: Option<Arc<Value>>,
}

/// How many changes are kept for watches that resume from a resourceVersion. Older ones
/// answer 410 Expired and the client relists, like after an etcd compaction.
const HISTORY: usize = 20_000;
const BROADCAST: usize = 8_192;

pub struct Inner {
    pub rv: u64,
    pub registry: Registry,
    objects: HashMap<ResKey, BTreeMap<ObjKey, Arc<Value>>>,
    history: VecDeque<Arc<Change>>,
    /// A watch from a resourceVersion below this is too old.
    floor: u64,
}

/// Who writes and how: recorded in managedFields, as the apiserver does.
#[derive(Debug, Clone, Default)]
pub struct WriteOpts {
    pub manager: Option<String>,
    pub apply: bool,
    /// Scenario loading and timeline steps write status directly; API writes to a kind with
    /// a status subresource leave its status alone.
    pub internal: bool,
}

impl WriteOpts {
    pub fn internal() -> Self {
        WriteOpts {
            manager: Some("backstop-sim".into()),
            apply: false,
            internal: true,
        }
    }
}

/// What to write: the whole object except status, or only status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Main,
    Status,
}

pub struct Store {
    inner: RwLock<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
    /// Bumped by a compaction: open watches end with 410 Expired.
    epoch: watch::Sender<u64>,
    ids: AtomicU64,
    watchers: Arc<AtomicUsize>,
}

/// Counts an open watch for as long as it lives.
pub struct WatchGuard(Arc<AtomicUsize>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

pub fn now_rfc3339(now: DateTime<Utc>) -> String {
    now.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(Utc::now().timestamp_nanos_opt().unwrap_or(0) as u64);
    h.finish()
}

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

pub fn obj_key(obj: &Value) -> ObjKey {
    let s = |p: &str| {
        obj.pointer(p)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    (s("/metadata/namespace"), s("/metadata/name"))
}

impl Default for Store {
    fn default() -> Self {
        Self::new()
    }
}

impl Store {
    pub fn new() -> Self {
        let (changes, _) = broadcast::channel(BROADCAST);
        let (epoch, _) = watch::channel(0);
        Store {
            inner: RwLock::new(Inner {
                rv: 0,
                registry: Registry::with_builtins(),
                objects: HashMap::new(),
                history: VecDeque::new(),
                floor: 0,
            }),
            changes,
            epoch,
            ids: AtomicU64::new(seed()),
            watchers: Arc::new(AtomicUsize::new(0)),
        }
    }

    // A poisoned lock means a panic elsewhere already; the data is still consistent
    // because every write is applied whole, so keep serving.
    pub fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }

    pub fn watch_guard(&self) -> WatchGuard {
        self.watchers.fetch_add(1, Ordering::Relaxed);
        WatchGuard(self.watchers.clone())
    }

    pub fn watchers(&self) -> usize {
        self.watchers.load(Ordering::Relaxed)
    }

    /// Whether a resourceVersion is older than the history watches and continue tokens
    /// can still be served from.
    pub fn too_old(&self, rv: u64) -> bool {
        rv < self.read().floor
    }

    /// Serves a kind that is neither built in nor defined by a CRD (from a dump).
    pub fn register(&self, t: ResourceType) {
        self.write().registry.insert(t);
    }

    pub fn epoch(&self) -> watch::Receiver<u64> {
        self.epoch.subscribe()
    }

    fn next_id(&self) -> u64 {
        mix(self.ids.fetch_add(1, Ordering::Relaxed))
    }

    pub fn new_uid(&self) -> String {
        let a = self.next_id();
        let b = self.next_id();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    /// The five characters the apiserver appends to a generateName.
    pub fn random_suffix(&self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        let mut n = self.next_id();
        (0..5)
            .map(|_| {
                let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
                n /= ALPHABET.len() as u64;
                c
            })
            .collect()
    }

    pub fn resource_version(&self) -> u64 {
        self.read().rv
    }

    /// Forgets the watch history: every open watch ends with 410 Expired, and resuming
    /// from any earlier resourceVersion is refused, so clients relist.
    pub fn compact(&self) {
        let mut inner = self.write();
        inner.history.clear();
        inner.floor = inner.rv;
        drop(inner);
        self.epoch.send_modify(|e| *e += 1);
    }

    /// Changes after `rv`, for a watch that resumes; Err when they are no longer known.
    pub fn changes_since(&self, rv: u64) -> Result<Vec<Arc<Change>>, ApiError> {
        let inner = self.read();
        if rv < inner.floor || inner.history.front().is_some_and(|c| c.rv > rv + 1) {
            return Err(ApiError::expired(format!(
                "too old resource version: {rv} ({})",
                inner
                    .floor
                    .max(inner.history.front().map_or(0, |c| c.rv - 1))
            )));
        }
        Ok(inner
            .history
            .iter()
            .filter(|c| c.rv > rv)
            .cloned()
            .collect())
    }

    pub fn get(&self, t: &ResourceType, ns: &str, name: &str) -> Result<Arc<Value>, ApiError> {
        let inner = self.read();
        inner
            .objects
            .get(&t.key())
            .and_then(|m| m.get(&(ns.to_string(), name.to_string())))
            .cloned()
            .ok_or_else(|| ApiError::not_found(&t.group, &t.plural, name))
    }

    /// Matching objects in key order and the resourceVersion they are current at.
    pub fn list(
        &self,
        t: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
    ) -> (Vec<Arc<Value>>, u64) {
        self.list_after(t, ns, labels, fields, None)
    }

    /// Like `list`, from after `after` (a page's continue key): a page of a 50k list
    /// starts where the last ended instead of walking the whole kind.
    pub fn list_after(
        &self,
        t: &ResourceType,
        ns: Option<&str>,
        labels: &LabelSelector,
        fields: &FieldSelector,
        after: Option<&ObjKey>,
    ) -> (Vec<Arc<Value>>, u64) {
        use std::ops::Bound;
        let inner = self.read();
        let Some(map) = inner.objects.get(&t.key()) else {
            return (vec![], inner.rv);
        };
        let everything = labels.is_empty() && fields.is_empty();
        let keep = |o: &&Arc<Value>| everything || (labels.matches(o) && fields.matches(o));
        let start = match (after, ns) {
            (Some(k), _) => Bound::Excluded(k.clone()),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let items = map
            .range((start, Bound::Unbounded))
            .take_while(|((n, _), _)| ns.is_none_or(|ns| n == ns))
            .map(|(_, v)| v)
            .filter(keep)
            .cloned()
            .collect();
        (items, inner.rv)
    }

    pub fn count(&self) -> usize {
        self.read().objects.values().map(BTreeMap::len).sum()
    }

    pub fn namespace_exists(&self, ns: &str) -> bool {
        let inner = self.read();
        inner
            .objects
            .get(&(String::new(), "namespaces".to_string()))
            .is_some_and(|m| m.contains_key(&(String::new(), ns.to_string())))
    }

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

pub fn metadata_mut(obj: &mut Value) -> &mut Map<String, Value> {
    // Callers validate that objects are JSON objects; this keeps indexing below panic-free.
    if !obj.is_object() {
        *obj = json!({});
    }
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    match obj.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(m) => m,
        // The line above made metadata an object.
        None => unreachable!("metadata was just set to an object"),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(store: &Store, name: &str) {
        let t = store
            .read()
            .registry
            .by_kind("", "Namespace")
            .cloned()
            .expect("namespaces served");
        store
            .create(
                &t,
                json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}),
                &WriteOpts::default(),
            )
            .expect("namespace created");
    }

    #[test]
    fn resource_versions_grow_and_stale_writes_conflict() {
        let store = Store::new();
        ns(&store, "db");
        let t = store
            .read()
            .registry
            .by_kind("", "ConfigMap")
            .cloned()
            .expect("configmaps served");
        let a = store
            .create(&t, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "db"}}), &WriteOpts::default())
            .expect("created");
        let rv = |v: &Value| {
            v.pointer("/metadata/resourceVersion")
                .and_then(Value::as_str)
                .unwrap_or("")
                .parse::<u64>()
                .unwrap_or(0)
        };
        assert_eq!(rv(&a), 2);
        let b = store
            .update(&t, "db", "a", Part::Main, &WriteOpts::default(), |old| {
                let mut n = old.clone();
                n["data"] = json!({"k": "v"});
                Ok(n)
            })
            .expect("updated");
        assert_eq!(rv(&b), 3);
        let stale = store.update(&t, "db", "a", Part::Main, &WriteOpts::default(), |_| {
            Ok((*a).clone())
        });
        assert_eq!(stale.map(|_| ()).unwrap_err().code, 409);
        let dup = store.create(&t, json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "db"}}), &WriteOpts::default());
        assert_eq!(dup.map(|_| ()).unwrap_err().reason, "AlreadyExists");
    }

    #[test]
    fn compaction_expires_old_resource_versions() {
        let store = Store::new();
        ns(&store, "db");
        assert!(store.changes_since(0).is_ok());
        store.compact();
        assert_eq!(store.changes_since(0).map(|_| ()).unwrap_err().code, 410);
        assert!(store.changes_since(store.resource_version()).is_ok());
    }

    #[test]
    fn deleting_a_namespace_deletes_what_it_holds() {
        let store = Store::new();
        ns(&store, "db");
        let t = store
            .read()
            .registry
            .by_kind("", "Secret")
            .cloned()
            .expect("secrets served");
        store
            .create(&t, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "db"}}), &WriteOpts::default())
            .expect("created");
        let nst = store
            .read()
            .registry
            .by_kind("", "Namespace")
            .cloned()
            .expect("namespaces served");
        store.delete(&nst, "", "db").expect("deleted");
        assert!(store.get(&t, "db", "s").is_err());
    }
}
