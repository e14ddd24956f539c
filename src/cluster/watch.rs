//! One watcher per kind: watch events become rows (never whole objects kept), published at
//! most ~30 times a second with the kind's sync state, so the UI redraws only on change.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use tokio::sync::{Notify, watch};

use super::lean::Lean;
use super::project::Project;
use crate::model::domain::{Kind, PLUGIN_SELECTOR};
use crate::model::rows::Key;
use crate::model::state::{KindState, SyncState};

/// A kind to watch: its API resource, an optional label selector, and what its absence means.
#[derive(Debug, Clone)]
pub struct KindSpec {
    pub kind: Kind,
    pub label: &'static str,
    pub resource: ApiResource,
    pub selector: Option<&'static str>,
    pub absent: &'static str,
}

impl KindSpec {
    pub fn of(kind: Kind) -> KindSpec {
        KindSpec {
            kind,
            label: kind.label(),
            resource: ApiResource {
                group: kind.group().into(),
                version: kind.version().into(),
                api_version: kind.api_version(),
                kind: kind.name().into(),
                plural: kind.plural().into(),
            },
            selector: None,
            absent: kind.absent(),
        }
    }

    /// Services labelled with the plugin's name: how the operator finds the plugin.
    pub fn plugin_services() -> KindSpec {
        KindSpec {
            label: "Plugin services",
            selector: Some(PLUGIN_SELECTOR),
            ..KindSpec::of(Kind::Service)
        }
    }
}

const PUBLISH_EVERY: Duration = Duration::from_millis(33);
const PROBE_EVERY: Duration = Duration::from_secs(3);
/// A watch that brought nothing for this long is asked whether the API still answers.
/// kube's watcher does not pass bookmarks on, so a quiet kind and a frozen server look the
/// same from the stream: a cheap read (one object's metadata) tells them apart. Quiet for
/// 6 s, 3 s to answer, one tick of lateness: a server that accepts connections but answers
/// nothing is marked stale within 10 s. On an idle cluster that is one small read per kind
/// every 6 s.
const QUIET_FOR: Duration = Duration::from_secs(6);
const ANSWER_WITHIN: Duration = Duration::from_secs(3);

/// `plural.group` of a kind spec, as RBAC and error messages name it.
pub fn resource_name(spec: &KindSpec) -> String {
    spec.kind.qualified()
}

/// Reads an API error the way an engineer needs it: not installed, forbidden, or
/// unreachable (stale when there were rows already).
pub fn state_of(e: &kube::Error, spec: &KindSpec, verb: &str, had_data: bool) -> SyncState {
    match e {
        // A web page, not the API's Status or plain 404: the URL is not a Kubernetes API
        // server, and "not installed" would send the engineer the wrong way.
        kube::Error::Api(s) if s.message.trim_start().starts_with('<') => {
            SyncState::Error(format!(
                "the server answered {} with a web page, not as the Kubernetes API does: is the kubeconfig's server URL the API server's?",
                s.code
            ))
        }
        kube::Error::Api(s) if s.code == 404 => SyncState::NotInstalled {
            what: spec.absent.to_string(),
        },
        kube::Error::Api(s) if s.code == 403 => SyncState::Forbidden {
            verb: verb.into(),
            resource: resource_name(spec),
        },
        kube::Error::Api(s) if had_data => SyncState::Stale {
            since: Utc::now(),
            reason: format!("{} ({})", s.message, s.code),
        },
        kube::Error::Api(s) => SyncState::Error(format!("{} ({})", s.message, s.code)),
        other if had_data => SyncState::Stale {
            since: Utc::now(),
            reason: other.to_string(),
        },
        other => SyncState::Error(other.to_string()),
    }
}

fn classify(e: &watcher::Error, spec: &KindSpec, had_data: bool) -> SyncState {
    match e {
        watcher::Error::InitialListFailed(k) => state_of(k, spec, "list", had_data),
        watcher::Error::WatchStartFailed(k) | watcher::Error::WatchFailed(k) => {
            state_of(k, spec, "watch", had_data)
        }
        watcher::Error::WatchError(s) => {
            state_of(&kube::Error::Api(s.clone()), spec, "watch", had_data)
        }
        other if had_data => SyncState::Stale {
            since: Utc::now(),
            reason: other.to_string(),
        },
        other => SyncState::Error(other.to_string()),
    }
}

/// Hands the pages a list was parsed from back to the system: after a 50k list, tens of
/// megabytes would otherwise stay with the worker threads that parsed it. The binary
/// allocates with mimalloc (src/main.rs); under another allocator this finds nothing to do.
fn release_free_memory() {
    // SAFETY: mi_collect only frees memory mimalloc holds unused; no preconditions.
    unsafe {
        libmimalloc_sys::mi_collect(true);
    }
}

/// What to say of an object read with malformed metadata fields: which object, which
/// fields. Its content is never quoted (it may be a Secret's).
pub fn malformed_note(spec: &KindSpec, obj: &DynamicObject, fields: &[&str]) -> Option<String> {
    if fields.is_empty() {
        return None;
    }
    let ns = obj.metadata.namespace.as_deref().unwrap_or("");
    let name = obj.metadata.name.as_deref().unwrap_or("?");
    let at = if ns.is_empty() {
        name.to_string()
    } else {
        format!("{ns}/{name}")
    };
    let note = format!(
        "{} {at}: malformed {}, read as absent",
        spec.resource.kind,
        fields.join(", ")
    );
    tracing::warn!(%note, "a malformed object");
    Some(note)
}

/// A watch event older than what was already applied: the server's history restarted (a
/// new server, an etcd restore). Only a fresh list can say what exists now.
fn went_back(applied: u64, obj: &DynamicObject) -> bool {
    let v = resource_version(obj);
    v > 0 && applied > 0 && v < applied
}

fn resource_version(obj: &DynamicObject) -> u64 {
    obj.metadata
        .resource_version
        .as_deref()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Watches one kind until the task is aborted. Errors never end it: the watcher retries
/// with backoff and the state says what is wrong meanwhile.
pub async fn run<R: Project>(
    client: kube::Client,
    spec: KindSpec,
    namespace: Option<String>,
    tx: watch::Sender<KindState<R>>,
    changed: Arc<Notify>,
) {
    let api: Api<Lean> = match &namespace {
        Some(ns) => Api::namespaced_with(client, ns, &spec.resource),
        None => Api::all_with(client, &spec.resource),
    };
    let mut config = watcher::Config::default();
    if let Some(sel) = spec.selector {
        config = config.labels(sel);
    }
    let probe_api = api.clone();
    let start_watch = || {
        watcher::watcher(api.clone(), config.clone())
            .default_backoff()
            .boxed()
    };
    let mut events = start_watch();
    // After a lost connection the watcher resumes without an event: a quiet kind would stay
    // "stale" for ever. While stale, a cheap read says whether the API answers again; while
    // live but quiet, the same read says whether it still answers at all.
    let mut probe = tokio::time::interval(Duration::from_secs(1));
    probe.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut heard = tokio::time::Instant::now();
    let mut last_probe = tokio::time::Instant::now();
    let mut rows: BTreeMap<Key, Arc<R>> = BTreeMap::new();
    let mut pending: Option<BTreeMap<Key, Arc<R>>> = None;
    let mut malformed: BTreeMap<Key, String> = BTreeMap::new();
    let mut pending_malformed: BTreeMap<Key, String> = BTreeMap::new();
    let mut sync = SyncState::Syncing;
    let mut version = 0u64;
    let mut rv = 0u64;
    let mut dirty = false;
    let mut last_publish = tokio::time::Instant::now() - PUBLISH_EVERY;
    loop {
        let publish_at = last_publish + PUBLISH_EVERY;
        tokio::select! {
            biased;
            _ = tokio::time::sleep_until(publish_at), if dirty => {
                version += 1;
                let state = KindState { rows: Arc::new(rows.values().cloned().collect()), sync: sync.clone(), version, rv, malformed: Arc::new(malformed.values().cloned().collect()) };
                if tx.send(state).is_err() {
                    return;
                }
                changed.notify_one();
                dirty = false;
                last_publish = tokio::time::Instant::now();
            }
            _ = probe.tick() => {
                let stale = matches!(sync, SyncState::Stale { .. });
                let due = if stale {
                    last_probe.elapsed() >= PROBE_EVERY
                } else {
                    sync == SyncState::Live && heard.elapsed() >= QUIET_FOR && last_probe.elapsed() >= QUIET_FOR
                };
                if !due {
                    continue;
                }
                last_probe = tokio::time::Instant::now();
                let one = kube::api::ListParams::default().limit(1);
                let asked = probe_api.list_metadata(&one);
                match tokio::time::timeout(ANSWER_WITHIN, asked).await {
                    Ok(Ok(_)) => {
                        heard = tokio::time::Instant::now();
                        if stale {
                            // What changed while the connection was gone (a restarted server
                            // with other content, an etcd restore) only a fresh list shows: a
                            // resumed watch would keep rows that no longer exist.
                            tracing::debug!(kind = spec.label, "the API answers again: relisting");
                            events = start_watch();
                            sync = SyncState::Live;
                            dirty = true;
                        }
                    }
                    answer if !stale => {
                        let reason = match answer {
                            Ok(Err(e)) => e.to_string(),
                            _ => format!("the API server did not answer within {} s", ANSWER_WITHIN.as_secs()),
                        };
                        tracing::debug!(kind = spec.label, %reason, "a quiet watch's probe failed");
                        // Stale since the server last answered, not since it was noticed.
                        let silent = chrono::Duration::from_std(heard.elapsed()).unwrap_or_default();
                        sync = SyncState::Stale { since: chrono::Utc::now() - silent, reason };
                        dirty = true;
                    }
                    _ => {}
                }
            }
            item = events.next() => {
                let Some(item) = item else { return };
                heard = tokio::time::Instant::now();
                match item {
                    Ok(Event::Init) => {
                        crate::timings::record("init_start", serde_json::json!({"kind": spec.label}));
                        pending = Some(BTreeMap::new());
                        pending_malformed.clear();
                        // A fresh list sets the mark anew: the server's history may have
                        // restarted lower, which is not "going backwards".
                        rv = 0;
                    }
                    Ok(Event::InitApply(Lean(obj, bad))) => {
                        rv = rv.max(resource_version(&obj));
                        let row = R::project(&obj);
                        if let Some(note) = malformed_note(&spec, &obj, &bad) {
                            pending_malformed.insert(row.key(), note);
                        }
                        let target = pending.get_or_insert_with(BTreeMap::new);
                        target.insert(row.key(), Arc::new(row));
                        // The list is not complete yet: nothing to show.
                        continue;
                    }
                    Ok(Event::InitDone) => {
                        if let Some(fresh) = pending.take() {
                            rows = fresh;
                            malformed = std::mem::take(&mut pending_malformed);
                        }
                        crate::timings::record("init_done", serde_json::json!({"kind": spec.label, "rows": rows.len()}));
                        release_free_memory();
                        sync = SyncState::Live;
                    }
                    Ok(Event::Apply(Lean(obj, _))) if went_back(rv, &obj) => {
                        tracing::debug!(kind = spec.label, "resourceVersion went backwards: relisting");
                        events = start_watch();
                        rv = 0;
                        continue;
                    }
                    Ok(Event::Apply(Lean(obj, bad))) => {
                        rv = rv.max(resource_version(&obj));
                        let row = R::project(&obj);
                        match malformed_note(&spec, &obj, &bad) {
                            Some(note) => malformed.insert(row.key(), note),
                            None => malformed.remove(&row.key()),
                        };
                        rows.insert(row.key(), Arc::new(row));
                        sync = SyncState::Live;
                    }
                    Ok(Event::Delete(Lean(obj, _))) => {
                        rv = rv.max(resource_version(&obj));
                        let row = R::project(&obj);
                        malformed.remove(&row.key());
                        rows.remove(&row.key());
                        sync = SyncState::Live;
                    }
                    Err(e) => {
                        let next = classify(&e, &spec, !rows.is_empty());
                        tracing::debug!(kind = spec.label, error = %e, state = next.word(), "watch error");
                        // Keep the first moment it went stale.
                        sync = match (&sync, next) {
                            (SyncState::Stale { since, .. }, SyncState::Stale { reason, .. }) => SyncState::Stale { since: *since, reason },
                            (_, next) => next,
                        };
                    }
                }
                dirty = true;
            }
        }
    }
}
