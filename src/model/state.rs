//! Where each kind's data stands, and what a reader may conclude from it: one reading of
//! the sync state for rules, trees and panes alike.

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use super::rows::Row;

/// Where a kind's data stands, shown in its pane.
#[derive(Debug, Clone, PartialEq)]
pub enum SyncState {
    Syncing,
    Live,
    /// The connection was lost: the rows are the last known, marked.
    Stale {
        since: DateTime<Utc>,
        reason: String,
    },
    Forbidden {
        verb: String,
        resource: String,
    },
    /// The CRD is absent: e.g. "Flux is not installed".
    NotInstalled {
        what: String,
    },
    Error(String),
}

impl SyncState {
    /// A word for the state, readable without colour.
    pub fn word(&self) -> &'static str {
        match self {
            SyncState::Syncing => "syncing",
            SyncState::Live => "live",
            SyncState::Stale { .. } => "stale",
            SyncState::Forbidden { .. } => "forbidden",
            SyncState::NotInstalled { .. } => "not installed",
            SyncState::Error(_) => "error",
        }
    }
}

/// What a watcher publishes: rows in key order, its state, a version that moves on change.
#[derive(Debug)]
pub struct KindState<R> {
    /// In (namespace, name) order.
    pub rows: Arc<Vec<Arc<R>>>,
    pub sync: SyncState,
    pub version: u64,
    /// The newest resourceVersion applied, when numeric: what the benchmark's
    /// event-to-screen latency is matched on.
    pub rv: u64,
    /// Objects read with a malformed metadata field (read as absent), named with the field:
    /// shown beside the rows, never hiding them.
    pub malformed: Arc<Vec<String>>,
}

impl<R> Clone for KindState<R> {
    fn clone(&self) -> Self {
        KindState {
            rows: self.rows.clone(),
            sync: self.sync.clone(),
            version: self.version,
            rv: self.rv,
            malformed: self.malformed.clone(),
        }
    }
}

impl<R: Row> KindState<R> {
    /// Live rows: what a settled watcher or a successful list publishes.
    pub fn live(mut rows: Vec<R>) -> Self {
        rows.sort_by_key(|r| r.key());
        KindState {
            rows: Arc::new(rows.into_iter().map(Arc::new).collect()),
            sync: SyncState::Live,
            version: 1,
            rv: 0,
            malformed: Default::default(),
        }
    }

    /// The rows of one namespace. Rows are kept in (namespace, name) order, so this is a
    /// slice found by bisection, not a scan: rules that look per namespace stay linear.
    pub fn in_namespace(&self, ns: &str) -> &[Arc<R>] {
        of_namespace(&self.rows, ns)
    }

    /// No rows, and why (forbidden, not installed, ...).
    pub fn without_rows(sync: SyncState) -> Self {
        KindState {
            rows: Arc::new(Vec::new()),
            sync,
            version: 1,
            rv: 0,
            malformed: Default::default(),
        }
    }
}

impl<R> Default for KindState<R> {
    fn default() -> Self {
        KindState {
            rows: Arc::new(Vec::new()),
            sync: SyncState::Syncing,
            version: 0,
            rv: 0,
            malformed: Default::default(),
        }
    }
}

/// The rows of one namespace in rows kept in (namespace, name) order.
pub fn of_namespace<'a, R: Row>(rows: &'a [Arc<R>], ns: &str) -> &'a [Arc<R>] {
    let start = rows.partition_point(|r| r.namespace() < ns);
    let len = rows[start..].partition_point(|r| r.namespace() == ns);
    &rows[start..start + len]
}

/// What a reader may conclude from one kind.
pub enum Readable<'a, R> {
    /// The rows: the whole list when live, the last known when stale.
    Rows(&'a [Arc<R>]),
    /// The API is not served; the text says what that means.
    NotInstalled(&'a str),
    /// Could not be read: the reason names the resource.
    Unknown(String),
}

impl<R> KindState<R> {
    /// The rows a rule may read, or why not. Last known rows still prove what they show;
    /// only an absence needs a live list (see `complete`).
    pub fn readable(&self, resource: &str) -> Readable<'_, R> {
        match &self.sync {
            SyncState::Live => Readable::Rows(&self.rows),
            SyncState::Stale { .. } if !self.rows.is_empty() => Readable::Rows(&self.rows),
            SyncState::NotInstalled { what } => Readable::NotInstalled(what),
            other => Readable::Unknown(
                other
                    .why_unreadable(resource)
                    .unwrap_or_else(|| format!("{resource}: not read")),
            ),
        }
    }

    /// The rows of a kind every cluster serves: not served counts as unreadable.
    pub fn rows_or_why(&self, resource: &str) -> Result<&[Arc<R>], String> {
        match self.readable(resource) {
            Readable::Rows(r) => Ok(r),
            Readable::NotInstalled(what) => Err(format!("{resource}: {what}")),
            Readable::Unknown(why) => Err(why),
        }
    }

    /// Whether the rows are the whole current list, so that an absence proves something.
    pub fn complete(&self) -> bool {
        self.sync == SyncState::Live
    }
}

impl SyncState {
    /// Why a kind shows no rows that say anything: None when live, or stale (the last
    /// known rows are shown, marked as such).
    pub fn why_no_rows(&self, what: &str) -> Option<String> {
        match self {
            SyncState::Stale { .. } => None,
            other => other.why_unreadable(what),
        }
    }

    /// Why rows in this state cannot be read, as one sentence naming `what`; None when
    /// live. Every layer says it this way: panes, findings, tree answers.
    pub fn why_unreadable(&self, what: &str) -> Option<String> {
        match self {
            SyncState::Live => None,
            SyncState::Syncing => Some(format!("{what}: not read yet")),
            SyncState::Stale { since, reason } => Some(format!(
                "{what}: stale since {} ({reason})",
                since.to_rfc3339_opts(SecondsFormat::Secs, true)
            )),
            SyncState::Forbidden { verb, resource } => {
                let resource = if resource.is_empty() { what } else { resource };
                Some(format!("{what}: forbidden: may not {verb} {resource}"))
            }
            SyncState::NotInstalled { what: why } => Some(format!("{what}: {why}")),
            SyncState::Error(e) => Some(format!("{what}: {e}")),
        }
    }
}
