//! Reading what the checks judge, and, unless read-only, the two things verify may do to
//! get its proof: switch a WAL in the primary and take the first plugin backup, each
//! confirmed first.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use super::checks::{self, OldLocation};
use super::proof::{self, Bucket};
use super::{Check, Verification};
use crate::actions::{self, Verb};
use crate::checks::bucket::BucketLimits;
use crate::checks::{self as gather, Reach};
use crate::cluster::fetch::resource_of;
use crate::migrate::alerts;
use crate::migrate::rollback::confirm::{Answer, Confirm};
use crate::migrate::rollback::run::run_action;
use crate::migrate::rollback::saved;
use crate::model::bucket::{ProofOutcome, StoreProof};
use crate::model::domain::CLUSTER_LABEL;
use crate::model::{Kind, KindState, ObjectRef, Snapshot};

/// How verify runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// Only read: no WAL switch, no backup.
    pub read_only: bool,
    /// How long to wait for a switched WAL or a backup.
    pub timeout: Duration,
    /// A GitOps checkout whose tracked files are searched for the deprecated metrics.
    pub repo: Option<PathBuf>,
    /// Where the pre-migration files are (for where the old backups were).
    pub backup_dir: PathBuf,
    /// How often the bucket is read again while waiting.
    pub every: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            read_only: false,
            timeout: Duration::from_secs(300),
            repo: None,
            backup_dir: PathBuf::from(saved::DEFAULT_DIR),
            every: Duration::from_secs(5),
        }
    }
}

fn s<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

async fn list(client: &kube::Client, kind: Kind, ns: &str) -> Vec<Value> {
    let ar = resource_of(kind);
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let got = match all.list(&ListParams::default()).await {
        Ok(l) => Ok(l),
        // Not allowed cluster-wide: the Cluster's own namespace.
        Err(_) => {
            Api::<DynamicObject>::namespaced_with(client.clone(), ns, &ar)
                .list(&ListParams::default())
                .await
        }
    };
    got.map(|l| {
        l.items
            .iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect()
    })
    .unwrap_or_default()
}

async fn instance_pods(client: &kube::Client, ns: &str, name: &str) -> Vec<Value> {
    let api: Api<Pod> = Api::namespaced(client.clone(), ns);
    let lp = ListParams::default().labels(&format!("{CLUSTER_LABEL}={name}"));
    api.list(&lp)
        .await
        .map(|l| {
            l.items
                .into_iter()
                .filter_map(|p| serde_json::to_value(p).ok())
                // Jobs of the Cluster (initdb, join, a restore) carry the label too.
                .filter(|p| p.pointer("/metadata/labels/cnpg.io~1jobRole").is_none())
                .collect()
        })
        .unwrap_or_default()
}

/// Where the backups before the migration were: the pre-migration file, else the newest
/// in-tree Backup's status.
fn old_location(opts: &Options, ns: &str, name: &str, backups: &[Value]) -> Option<OldLocation> {
    if let Ok(saved) = saved::read(&opts.backup_dir, ns, name)
        && let Some(b) = saved.cluster.pointer("/spec/backup/barmanObjectStore")
        && let Some(dest) = s(b, "/destinationPath")
    {
        return Some((
            dest.to_string(),
            s(b, "/serverName").unwrap_or(name).to_string(),
            format!("the pre-migration file {}", saved.file),
        ));
    }
    let mut legacy: Vec<&Value> = backups
        .iter()
        .filter(|b| s(b, "/spec/cluster/name") == Some(name))
        .filter(|b| {
            s(b, "/spec/method")
                .or(s(b, "/status/method"))
                .unwrap_or("barmanObjectStore")
                == "barmanObjectStore"
        })
        .filter(|b| s(b, "/status/destinationPath").is_some())
        .collect();
    legacy.sort_by(|a, b| s(b, "/status/stoppedAt").cmp(&s(a, "/status/stoppedAt")));
    let b = legacy.first()?;
    Some((
        s(b, "/status/destinationPath")?.to_string(),
        s(b, "/status/serverName").unwrap_or(name).to_string(),
        format!(
            "in-tree Backup {}",
            crate::sanitize::clean(s(b, "/metadata/name").unwrap_or_default())
        ),
    ))
}

/// The snapshot narrowed to one Cluster and its ObjectStore: what the bucket reader reads.
fn narrowed(snapshot: &Snapshot, ns: &str, name: &str, store: &str) -> Snapshot {
    let clusters = snapshot
        .clusters
        .rows
        .iter()
        .filter(|c| c.namespace == ns && c.name == name)
        .map(|c| c.as_ref().clone())
        .collect();
    let stores = snapshot
        .object_stores
        .rows
        .iter()
        .filter(|o| o.namespace == ns && o.name == store)
        .map(|o| {
            // Only the Cluster's own server is read.
            let mut o = o.as_ref().clone();
            o.servers.clear();
            o
        })
        .collect();
    Snapshot {
        clusters: KindState::live(clusters),
        object_stores: KindState::live(stores),
        ..Default::default()
    }
}

fn pick<'a>(
    proofs: &'a [StoreProof],
    ns: &str,
    store: &str,
    server: &str,
) -> Option<&'a StoreProof> {
    proofs
        .iter()
        .find(|p| p.namespace == ns && p.store == store && !p.in_tree && p.server_name == server)
}

fn not_read(p: Option<&StoreProof>, simulated: bool) -> Option<String> {
    match p.map(|p| &p.outcome) {
        Some(ProofOutcome::Proven(_)) => None,
        Some(ProofOutcome::Unknown(why)) => Some(crate::sanitize::untrusted(why)),
        Some(ProofOutcome::Failed(why)) => Some(crate::sanitize::untrusted(why)),
        None if simulated => Some(
            "the API server is backstop's simulator and the store's endpoint is not on this machine".into(),
        ),
        None => Some("no ObjectStore to read".into()),
    }
}

/// Verifies the migration of `ns/name`. `progress` hears what verify does as it goes
/// (stderr, so that `--format json` stays clean); `confirm` answers before a write.
pub async fn verify(
    client: &kube::Client,
    ns: &str,
    name: &str,
    opts: &Options,
    confirm: &mut impl Confirm,
    progress: &(dyn Fn(String) + Sync),
) -> Result<Verification, String> {
    let cluster = crate::restore::gather::object(client, Kind::Cluster, ns, name).await?;
    let (store_name, server) = checks::store_and_server(&cluster).unzip();
    let store = match &store_name {
        Some(st) => crate::restore::gather::object(client, Kind::ObjectStore, ns, st)
            .await
            .ok(),
        None => None,
    };
    let simulated = crate::cluster::connect::is_simulator(client).await;
    let (all_clusters, all_stores, pods, rules) = tokio::join!(
        list(client, Kind::Cluster, ns),
        list(client, Kind::ObjectStore, ns),
        instance_pods(client, ns, name),
        alerts::in_cluster(client, ns),
    );
    let repo = opts.repo.as_deref().map(alerts::in_repo);
    let facts = gather::collect(
        client,
        Some(ns),
        Reach {
            logs: false,
            network: !simulated,
            bucket: store.is_some(),
            archiver: false,
        },
    )
    .await;
    let mut backups: Vec<Value> = list(client, Kind::Backup, ns)
        .await
        .into_iter()
        .filter(|b| s(b, "/metadata/namespace") == Some(ns))
        .collect();
    let limits = BucketLimits {
        read: crate::ground::bucket::Limits::default(),
        loopback_only: simulated,
    };
    let reread =
        |snapshot: Snapshot| async move { gather::bucket::prove(client, &snapshot, limits).await };
    let (st, sv) = (
        store_name.clone().unwrap_or_default(),
        server.clone().unwrap_or_default(),
    );
    let mut proofs = facts.stores.clone();
    let mut actions_done = Vec::new();

    let mut out: Vec<Check> = vec![
        checks::entry(&cluster, store.as_ref()),
        checks::double_archiving(
            &cluster,
            store.as_ref(),
            &checks::archives(&all_clusters, &all_stores),
        ),
        checks::continuity(
            &cluster,
            store.as_ref(),
            old_location(opts, ns, name, &backups).as_ref(),
        ),
        proof::sidecar(name, &pods),
    ];

    // 3. WAL: a fresh one, else a switch in the primary, confirmed, then watched for.
    let bucket_of =
        |proofs: &[StoreProof]| -> Result<Box<crate::model::bucket::BucketFacts>, String> {
            let p = pick(proofs, ns, &st, &sv);
            match not_read(p, simulated) {
                Some(why) => Err(why),
                None => match p.map(|p| &p.outcome) {
                    Some(ProofOutcome::Proven(f)) => Ok(f.clone()),
                    _ => Err("not read".into()),
                },
            }
        };
    let first = bucket_of(&proofs);
    let mut wal = match &first {
        Ok(f) => proof::wal(&cluster, &pods, Bucket::Read(f), None),
        Err(why) => proof::wal(&cluster, &pods, Bucket::NotRead(why), None),
    };
    let primary = s(&cluster, "/status/currentPrimary").map(str::to_string);
    if wal.status == super::Status::Warn
        && !opts.read_only
        && let Some(primary) = &primary
    {
        let q = format!(
            "No WAL archived since the sidecar started. Switch one in {ns}/{primary} (SELECT pg_walfile_name(pg_switch_wal())) and wait up to {} for it in the bucket?",
            crate::model::kubefmt::span(crate::model::kubefmt::delta(opts.timeout))
        );
        match confirm.ask(&q).await {
            Answer::Yes => {
                if let Some(c) = switch_and_watch(
                    client,
                    &cluster,
                    &pods,
                    ns,
                    primary,
                    opts,
                    progress,
                    &mut actions_done,
                    || reread(narrowed(&facts.snapshot, ns, name, &st)),
                    &st,
                    &sv,
                )
                .await
                {
                    wal = c;
                }
            }
            Answer::No | Answer::Quit => actions_done.push("WAL switch declined".into()),
        }
    }
    out.push(wal);

    // 4. The first plugin backup: taken when there is none, confirmed.
    let mut taken = None;
    if proof::completed_plugin_backups(name, &backups).is_empty()
        && !opts.read_only
        && store.is_some()
    {
        let now = chrono::Utc::now();
        match actions::plan(
            Verb::BackupNow,
            &ObjectRef::new(Kind::Cluster, ns, name),
            &facts.snapshot,
            &[],
            now,
        ) {
            Ok(plan) => {
                let q = format!(
                    "No completed plugin backup yet. Take one now ({}) and wait up to {}?",
                    plan.command(),
                    crate::model::kubefmt::span(crate::model::kubefmt::delta(opts.timeout))
                );
                if confirm.ask(&q).await == Answer::Yes {
                    let outcome = run_action(client, plan, opts.timeout, progress).await;
                    actions_done.push(match &outcome {
                        Ok(o) => format!("took a plugin backup: {o}"),
                        Err(e) => format!("the plugin backup did not complete: {e}"),
                    });
                    taken = Some(outcome);
                    backups = list(client, Kind::Backup, ns)
                        .await
                        .into_iter()
                        .filter(|b| s(b, "/metadata/namespace") == Some(ns))
                        .collect();
                    proofs = reread(narrowed(&facts.snapshot, ns, name, &st)).await;
                } else {
                    actions_done.push("plugin backup declined".into());
                }
            }
            Err(e) => actions_done.push(format!("no backup taken: {e}")),
        }
    }
    let now_bucket = bucket_of(&proofs);
    out.push(match &now_bucket {
        Ok(f) => proof::plugin_backup(&cluster, &backups, Bucket::Read(f), taken.as_ref()),
        Err(why) => proof::plugin_backup(&cluster, &backups, Bucket::NotRead(why), taken.as_ref()),
    });

    // 5. Alerts.
    out.push(proof::alerts(&rules, repo.as_ref()));
    Ok(Verification {
        namespace: ns.to_string(),
        cluster: name.to_string(),
        checks: out,
        actions: actions_done,
    })
}

#[allow(clippy::too_many_arguments)]
async fn switch_and_watch<F, Fut>(
    client: &kube::Client,
    cluster: &Value,
    pods: &[Value],
    ns: &str,
    primary: &str,
    opts: &Options,
    progress: &(dyn Fn(String) + Sync),
    actions_done: &mut Vec<String>,
    reread: F,
    store: &str,
    server: &str,
) -> Option<Check>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Vec<StoreProof>>,
{
    let sql = "SELECT pg_walfile_name(pg_switch_wal())";
    let out = crate::restore::drill::verify::run(
        client,
        ns,
        primary,
        "postgres",
        sql,
        Duration::from_secs(60),
    )
    .await;
    let seg = match out {
        Ok(o) => o.trim().to_string(),
        Err(e) => {
            actions_done.push(format!(
                "the WAL switch in {primary} failed: {}",
                crate::sanitize::untrusted(&e)
            ));
            return None;
        }
    };
    if seg.len() != 24 || !seg.bytes().all(|b| b.is_ascii_hexdigit()) {
        actions_done.push(format!(
            "the WAL switch in {primary} answered {}, not a segment name",
            crate::sanitize::bounded(&crate::sanitize::clean(&seg), 80)
        ));
        return None;
    }
    actions_done.push(format!("switched WAL in {primary}: segment {seg} closed"));
    progress(format!(
        "switched WAL in {primary}: waiting for {seg} in the bucket"
    ));
    let deadline = tokio::time::Instant::now() + opts.timeout;
    loop {
        let proofs = reread().await;
        if let Some(ProofOutcome::Proven(f)) = pick(&proofs, ns, store, server).map(|p| &p.outcome)
        {
            let arrived = f.newest_wal.as_deref().is_some_and(|w| w >= seg.as_str());
            if arrived || tokio::time::Instant::now() >= deadline {
                return Some(proof::wal(
                    cluster,
                    pods,
                    Bucket::Read(f),
                    Some((&seg, arrived)),
                ));
            }
        } else if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(opts.every).await;
    }
}
