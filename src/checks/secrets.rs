//! The Secrets the rules need, read one by one by name: only their key names are kept.
//! Listing Secrets would bring every value of every Secret in scope over the wire and into
//! memory (and, through a client library's logging, into the log file) to learn a few names.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures::StreamExt;
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::model::domain::{PLUGIN_CLIENT_SECRET_ANNOTATION, PLUGIN_SERVER_SECRET_ANNOTATION};
use crate::model::rows::{ObjectStoreRow, SecretRow, ServiceRow};
use crate::model::{KindState, SyncState};

/// A Secret's key names; its values are skipped by the parser, never held as text.
#[derive(Deserialize)]
struct SecretKeys {
    #[serde(default)]
    data: Option<BTreeMap<String, IgnoredAny>>,
    #[serde(default, rename = "stringData")]
    string_data: Option<BTreeMap<String, IgnoredAny>>,
}

/// What reading one Secret by name gave.
enum Read {
    Keys(Vec<String>),
    Absent,
    Forbidden,
    Failed(String),
}

async fn read_keys(client: &kube::Client, namespace: &str, name: &str) -> Read {
    let request = kube::core::Request::new(format!("/api/v1/namespaces/{namespace}/secrets"));
    let request = match request.get(name, &kube::api::GetParams::default()) {
        Ok(r) => r,
        Err(e) => return Read::Failed(format!("building the request: {e}")),
    };
    let text = match tokio::time::timeout(super::READ_TIMEOUT, client.request_text(request)).await {
        Ok(Ok(text)) => text,
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => return Read::Absent,
        Ok(Err(kube::Error::Api(s))) if s.code == 403 => return Read::Forbidden,
        Ok(Err(kube::Error::Api(s))) => return Read::Failed(format!("{} ({})", s.message, s.code)),
        Ok(Err(e)) => return Read::Failed(e.to_string()),
        Err(_) => return Read::Failed("reading it timed out".into()),
    };
    // serde_json's errors name a position, never the text around it.
    match serde_json::from_str::<SecretKeys>(&text) {
        Ok(s) => {
            let mut keys: Vec<String> = s
                .data
                .into_iter()
                .chain(s.string_data)
                .flat_map(BTreeMap::into_keys)
                .collect();
            keys.sort();
            keys.dedup();
            Read::Keys(keys)
        }
        Err(e) => Read::Failed(format!("it does not parse as a Secret: {e}")),
    }
}

/// The Secrets the ObjectStores reference (credentials, endpointCA), each read by name in
/// its ObjectStore's namespace. Absent Secrets are simply not among the rows; a Secret that
/// may not be read makes the whole kind forbidden, since a rule cannot tell missing from
/// hidden.
pub async fn referenced(
    client: &kube::Client,
    stores: &[Arc<ObjectStoreRow>],
    services: &[Arc<ServiceRow>],
) -> KindState<SecretRow> {
    // The plugin Service's TLS Secrets too: without them the operator cannot register it.
    let tls = services.iter().flat_map(|svc| {
        [
            PLUGIN_SERVER_SECRET_ANNOTATION,
            PLUGIN_CLIENT_SECRET_ANNOTATION,
        ]
        .into_iter()
        .filter_map(|a| svc.annotations.get(a).filter(|v| !v.is_empty()))
        .map(|name| (svc.namespace.clone(), name.clone()))
    });
    let wanted: BTreeSet<(String, String)> = stores
        .iter()
        .flat_map(|o| {
            o.secret_refs
                .iter()
                .map(|(name, _)| (o.namespace.clone(), name.clone()))
        })
        .chain(tls)
        .collect();
    named(client, wanted).await
}

/// The key names of the Secrets named (namespace, name): Live when every read answered,
/// so that a missing row proves the Secret absent.
pub async fn named(
    client: &kube::Client,
    wanted: BTreeSet<(String, String)>,
) -> KindState<SecretRow> {
    let reads: Vec<(String, String, Read)> = futures::stream::iter(wanted)
        .map(|(namespace, name)| async move {
            let read = read_keys(client, &namespace, &name).await;
            (namespace, name, read)
        })
        .buffer_unordered(super::CONCURRENCY)
        .collect()
        .await;
    let mut rows = Vec::new();
    let mut failures = Vec::new();
    for (namespace, name, read) in reads {
        match read {
            Read::Keys(keys) => rows.push(SecretRow {
                namespace,
                name,
                keys,
            }),
            Read::Absent => {}
            Read::Forbidden => {
                return KindState::without_rows(SyncState::Forbidden {
                    verb: "get".into(),
                    resource: "secrets".into(),
                });
            }
            Read::Failed(why) => failures.push(format!("secret {namespace}/{name}: {why}")),
        }
    }
    if !failures.is_empty() {
        failures.sort();
        return KindState::without_rows(SyncState::Error(failures.join("; ")));
    }
    KindState::live(rows)
}
