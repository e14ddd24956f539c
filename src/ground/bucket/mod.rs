//! Reading one barman-cloud server prefix: the base backups' `backup.info` files and every
//! object under `wals/`, bounded in time and in objects, then proven by `ground::prove`.

pub mod connect;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::StreamExt;
use object_store::ObjectStoreExt;
use object_store::path::Path;

pub use connect::{NotReadable, SecretValues, secret_refs};

use super::layout;
use super::prove::{Listing, WalEntry, prove};
use crate::model::bucket::{BaseBackup, ProofOutcome, StoreAccess};

/// How far one store's read may go.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The whole read: past it, the WAL listing stops and says so.
    pub timeout: Duration,
    /// WAL objects listed at most.
    pub max_objects: u64,
    /// backup.info files fetched at once.
    pub concurrency: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            timeout: Duration::from_secs(60),
            max_objects: 250_000,
            concurrency: 8,
        }
    }
}

/// Base backup folders fetched at most: far beyond any retention barman-cloud keeps.
const MAX_BACKUPS: usize = 2_000;

/// An error with its causes: object_store's own text stops at "error sending request",
/// the cause (connection refused, a certificate not trusted) is further down.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !text.contains(&s) {
            text.push_str(": ");
            text.push_str(&s);
        }
        cause = c.source();
    }
    text
}

fn failed(what: &str, e: &(dyn std::error::Error + 'static)) -> ProofOutcome {
    ProofOutcome::Failed(crate::sanitize::untrusted(&format!("{what}: {}", chain(e))))
}

/// Reads a server's prefix and proves what it holds. Never panics, never blocks past
/// `limits.timeout` by more than one request's timeout.
pub async fn read(
    access: &StoreAccess,
    server: &str,
    secrets: &SecretValues,
    limits: Limits,
) -> ProofOutcome {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + limits.timeout;
    let conn = match connect::connect(
        access,
        server,
        secrets,
        limits.timeout.min(Duration::from_secs(30)),
    )
    .await
    {
        Ok(c) => c,
        Err(NotReadable::Unknown(why)) => return ProofOutcome::Unknown(why),
        Err(NotReadable::Failed(why)) => return ProofOutcome::Failed(why),
    };
    let base = Path::from(format!("{}/base", conn.prefix));
    let listed =
        tokio::time::timeout_at(deadline, conn.store.list_with_delimiter(Some(&base))).await;
    let ids: Vec<String> = match listed {
        Ok(Ok(r)) => r
            .common_prefixes
            .iter()
            .filter_map(|p| p.filename().map(str::to_string))
            .take(MAX_BACKUPS)
            .collect(),
        Ok(Err(e)) => return failed(&format!("listing {base}/"), &e),
        Err(_) => {
            return ProofOutcome::Failed(format!(
                "listing {base}/ took longer than {}s",
                limits.timeout.as_secs()
            ));
        }
    };
    let store = conn.store.clone();
    let backups: Vec<BaseBackup> = futures::stream::iter(ids)
        .map(|id| {
            let store = store.clone();
            let key = Path::from(format!("{base}/{id}/backup.info"));
            async move {
                // The folder name is the bucket's to choose: shown cleaned, fetched as it is.
                let shown = crate::sanitize::bounded(&crate::sanitize::clean(&id), 64).into_owned();
                let got = tokio::time::timeout_at(deadline, async {
                    store.get(&key).await?.bytes().await
                })
                .await;
                match got {
                    Ok(Ok(bytes)) if bytes.len() <= 1 << 20 => {
                        layout::parse_backup_info(&shown, &String::from_utf8_lossy(&bytes))
                    }
                    Ok(Ok(_)) => unreadable(&shown, "backup.info is over 1 MiB".into()),
                    Ok(Err(e)) => unreadable(&shown, crate::sanitize::untrusted(&chain(&e))),
                    Err(_) => unreadable(&shown, "reading backup.info timed out".into()),
                }
            }
        })
        .buffer_unordered(limits.concurrency.max(1))
        .collect()
        .await;

    let wal_prefix = Path::from(format!("{}/wals", conn.prefix));
    let mut stream = conn.store.list(Some(&wal_prefix));
    let mut wals = Vec::new();
    let mut truncated = None;
    let mut objects = 0u64;
    loop {
        if objects >= limits.max_objects {
            truncated = Some(format!(
                "stopped at the limit of {} listed objects",
                limits.max_objects
            ));
            break;
        }
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(meta))) => {
                objects += 1;
                wals.push(WalEntry {
                    key: meta.location.to_string(),
                    modified: Some(meta.last_modified),
                });
            }
            Ok(Some(Err(e))) => {
                if objects == 0 {
                    return failed(&format!("listing {wal_prefix}/"), &e);
                }
                truncated = Some(crate::sanitize::untrusted(&format!(
                    "stopped after {objects} objects: {}",
                    chain(&e)
                )));
                break;
            }
            Ok(None) => break,
            Err(_) => {
                truncated = Some(format!(
                    "stopped after {objects} objects at the {}s time limit",
                    limits.timeout.as_secs()
                ));
                break;
            }
        }
    }
    let mut backups = backups;
    backups.sort_by(|a, b| a.id.cmp(&b.id));
    let listing = Listing {
        wals,
        backups,
        truncated,
        requests: conn.requests.load(Ordering::Relaxed),
        objects,
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    ProofOutcome::Proven(Box::new(prove(&listing)))
}

fn unreadable(id: &str, why: String) -> BaseBackup {
    BaseBackup {
        id: id.to_string(),
        unreadable: Some(why),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests;
