//! The in-memory object store: every object the simulated cluster holds, one monotonic
//! resourceVersion counter, and the recent history of changes that watches replay.

mod changes;
mod read;
mod write;

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use tokio::sync::{broadcast, watch};

use self::changes::BROADCAST;
pub use self::changes::{Change, ChangeType, WatchGuard};
use super::registry::{Registry, ResKey, ResourceType};

/// (namespace, name); the namespace is "" for cluster-scoped objects.
pub type ObjKey = (String, String);

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
    /// `fieldValidation=Strict`: unknown fields of a custom resource are an error, not pruned.
    pub strict: bool,
}

impl WriteOpts {
    pub fn internal() -> Self {
        WriteOpts {
            manager: Some("backstop-sim".into()),
            apply: false,
            internal: true,
            strict: false,
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

    /// Serves a kind that is neither built in nor defined by a CRD (from a dump).
    pub fn register(&self, t: ResourceType) {
        self.write().registry.insert(t);
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

#[cfg(test)]
mod tests;
