//! Watch fan-out: the kinds of change, the history a resuming watch replays, the broadcast
//! that live watches follow, and compaction that ends them.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;
use tokio::sync::{broadcast, watch};

use super::Store;
use crate::sim::registry::ResKey;
use crate::sim::status::ApiError;

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
pub(super) const HISTORY: usize = 20_000;
pub(super) const BROADCAST: usize = 8_192;

/// Counts an open watch for as long as it lives.
pub struct WatchGuard(Arc<AtomicUsize>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Store {
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

    pub fn epoch(&self) -> watch::Receiver<u64> {
        self.epoch.subscribe()
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
}
