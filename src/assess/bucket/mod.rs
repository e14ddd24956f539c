//! The object store itself (BKT001-BKT013): what reading the barman-cloud layout proved,
//! beside what the status fields claim. A store that cannot be read is said so; a listing
//! that stopped early concludes nothing past where it stopped.

#[cfg(test)]
mod tests;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::bucket::{BucketFacts, ProofOutcome, StoreProof};
use crate::model::kubefmt::{delta, span, ts};
use crate::model::rows::ServerWindow;

/// Two instants read from the same backup.info by two programs agree within this.
const SAME_INSTANT: TimeDelta = TimeDelta::seconds(60);

const DOCS: &str = "https://cloudnative-pg.io/plugin-barman-cloud/docs/";

fn object(p: &StoreProof) -> ObjectRef {
    if p.in_tree {
        ObjectRef::new(Kind::Cluster, &p.namespace, &p.store)
    } else {
        ObjectRef::new(Kind::ObjectStore, &p.namespace, &p.store)
    }
}

/// `ObjectStore ns/name (server pg)` as the evidence names the place read.
fn place(p: &StoreProof) -> String {
    format!(
        "{} server {} at {}",
        object(p).display(),
        p.server_name,
        p.destination
    )
}

fn finding(
    code: &'static str,
    severity: Severity,
    p: &StoreProof,
    summary: String,
    mut evidence: Vec<String>,
    remedy: String,
) -> Finding {
    evidence.insert(0, format!("read {} at {}", place(p), ts(p.checked_at)));
    Finding::new(code, severity, object(p), summary, evidence, remedy)
}

fn opt_ts(t: Option<DateTime<Utc>>) -> String {
    t.map(ts).unwrap_or_else(|| "unknown".into())
}

/// One line a report prints beside the status field's claim: "recoverable from T1 to T2
/// (proven from the bucket, checked at T)", or why it is not known.
pub fn window_line(p: &StoreProof) -> String {
    match &p.outcome {
        ProofOutcome::Proven(b) => match &b.window {
            Some(w) => format!(
                "recoverable from {} to {} (proven from the bucket, checked at {}){}",
                opt_ts(w.from),
                opt_ts(w.to),
                ts(p.checked_at),
                if b.truncated.is_some() {
                    "; the listing stopped early, the end may be later"
                } else {
                    ""
                }
            ),
            None => format!(
                "not recoverable: no restorable base backup in the bucket (checked at {})",
                ts(p.checked_at)
            ),
        },
        ProofOutcome::Unknown(why) => format!("unknown from here: {why}"),
        ProofOutcome::Failed(why) => format!("the store could not be read: {why}"),
    }
}

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    for p in &f.stores {
        match &p.outcome {
            ProofOutcome::Unknown(why) => out.push(finding(
                "BKT002",
                Severity::Info,
                p,
                format!("{} cannot be read from here: {why}", place(p)),
                vec![format!("not read: {why}")],
                "Run backstop where the store's identity is available (a pod with the same service \
                 account), or give it a Secret with keys it may read; until then the recovery window \
                 is only what the status fields claim."
                    .into(),
            )),
            ProofOutcome::Failed(why) => out.push(finding(
                "BKT001",
                Severity::Warning,
                p,
                format!("{} could not be read", place(p)),
                vec![format!("the store answered: {why}")],
                format!(
                    "Check the destinationPath, endpointURL, endpointCA and the credentials' Secret keys \
                     against the store: barman-cloud in the cluster reads it with the same ones. \
                     See {DOCS}object_stores/"
                ),
            )),
            ProofOutcome::Proven(b) => proven(f, p, b, now, th, &mut out),
        }
    }
    out
}

fn truncation(b: &BucketFacts) -> Vec<String> {
    b.truncated
        .iter()
        .map(|why| {
            format!(
                "the listing {why}; nothing past {} is judged",
                b.listed_up_to.as_deref().unwrap_or("the first object")
            )
        })
        .collect()
}

fn proven(
    f: &Facts,
    p: &StoreProof,
    b: &BucketFacts,
    now: DateTime<Utc>,
    th: &Thresholds,
    out: &mut Outcome,
) {
    let listed = format!(
        "listed {} WAL objects and {} base backups in {} requests, {} ms",
        b.objects,
        b.backups.len(),
        b.requests,
        b.elapsed_ms
    );
    let done: Vec<_> = b.backups.iter().filter(|x| x.done()).collect();
    if done.is_empty() {
        let mut ev = vec![listed.clone()];
        ev.extend(b.backups.iter().map(|x| {
            format!(
                "base/{}/backup.info: status {}{}",
                x.id,
                if x.status.is_empty() {
                    "unreadable"
                } else {
                    &x.status
                },
                x.unreadable
                    .as_deref()
                    .map(|u| format!(" ({u})"))
                    .unwrap_or_default()
            )
        }));
        if let Some(w) = &b.newest_wal {
            ev.push(format!("newest WAL: {w} (WAL alone cannot be restored)"));
        }
        out.push(finding(
            "BKT003",
            Severity::Critical,
            p,
            format!("{} holds no completed base backup: nothing can be restored from it", place(p)),
            ev,
            "Take a backup now (backstop's `b` on the Cluster, or `kubectl cnpg backup <cluster> \
             --method plugin --plugin-name barman-cloud.cloudnative-pg.io`) and check it completes; \
             if backups complete but are not here, they are written to another destinationPath or \
             serverName."
                .into(),
        ));
    }
    if !done.is_empty() && b.window.is_none() && b.truncated.is_none() {
        let mut ev = vec![listed.clone()];
        ev.extend(done.iter().map(|x| {
            format!(
                "base/{}: begin_wal {}, end_wal {}",
                x.id,
                x.begin_wal.as_deref().unwrap_or("unknown"),
                x.end_wal.as_deref().unwrap_or("unknown")
            )
        }));
        ev.extend(b.timelines.iter().map(|t| {
            format!(
                "timeline {}: {} segments from {} to {}",
                t.timeline, t.count, t.first, t.last
            )
        }));
        out.push(finding(
            "BKT013",
            Severity::Critical,
            p,
            format!(
                "no completed base backup in {} can be restored: the WAL from its begin to its end is not all there",
                place(p)
            ),
            ev,
            "Take a base backup now and check its WAL arrives (ContinuousArchiving on the Cluster); \
             a backup without the WAL written while it ran cannot be made consistent."
                .into(),
        ));
    }
    for g in &b.gaps {
        let mut ev = vec![
            format!(
                "timeline {}: {} segment(s) missing after {} and before {}",
                g.timeline, g.missing, g.after, g.before
            ),
            listed.clone(),
        ];
        if let Some(c) = &g.cuts_backup {
            ev.push(format!(
                "point-in-time recovery from base backup {c} stops at {}",
                g.after
            ));
        }
        let (code, severity, summary) = if g.fatal {
            (
                "BKT004",
                Severity::Critical,
                format!(
                    "WAL gap after {} in {}: nothing written after it can be restored",
                    g.after,
                    place(p)
                ),
            )
        } else {
            (
                "BKT005",
                Severity::Warning,
                format!(
                    "WAL gap after {} in {}: no recovery to a point inside it",
                    g.after,
                    place(p)
                ),
            )
        };
        out.push(finding(
            code,
            severity,
            p,
            summary,
            ev,
            "Take a new base backup now: recovery to any point after the gap starts from a backup \
             that begins after it. Then find why the segments are missing (a lifecycle rule or a \
             retention on the bucket, a manual delete, a second writer)."
                .into(),
        ));
    }
    if let Some(e) = &b.end_wal
        && e.archived == Some(false)
    {
        out.push(finding(
            "BKT006",
            Severity::Critical,
            p,
            format!(
                "the newest completed backup {} cannot be restored: its end WAL {} is not in the bucket",
                e.backup, e.end_wal
            ),
            vec![
                format!("base/{}/backup.info: status DONE, end_wal {}", e.backup, e.end_wal),
                format!("{} is absent under wals/ (any compression suffix)", e.end_wal),
                b.newest_wal
                    .as_ref()
                    .map(|w| format!("newest WAL archived: {w}"))
                    .unwrap_or_else(|| "no WAL archived at all".into()),
            ],
            "Force a WAL switch on the primary (`kubectl cnpg psql <cluster> -- -c 'SELECT \
             pg_switch_wal()'`) and check the segment arrives; on a quiet database the end WAL \
             of a backup may never be archived (plugin-barman-cloud issue #652)."
                .into(),
        ));
    }
    if let (Some(w), Some(at)) = (&b.newest_wal, b.newest_wal_at) {
        let age = now - at;
        if age > delta(th.backup_max_age) && b.truncated.is_none() {
            out.push(finding(
                "BKT007",
                Severity::Warning,
                p,
                format!("the newest WAL in {} was archived {} ago: archiving has stalled", place(p), span(age)),
                vec![
                    format!("newest WAL {w} written {}", ts(at)),
                    format!("older than the backup age limit, {}", span(delta(th.backup_max_age))),
                ],
                "Check the Cluster's ContinuousArchiving condition and the plugin sidecar's log on the \
                 primary; WAL piling up on the primary's disk fills it."
                    .into(),
            ));
        }
    }
    claims(f, p, b, out);
    if b.system_ids.len() > 1 {
        let mut ev = vec![format!("system identifiers: {}", b.system_ids.join(", "))];
        ev.extend(b.backups.iter().filter_map(|x| {
            x.systemid
                .as_ref()
                .map(|s| format!("base/{}: systemid {s}", x.id))
        }));
        out.push(finding(
            "BKT010",
            Severity::Critical,
            p,
            format!("two PostgreSQL servers write to {}", place(p)),
            ev,
            "Give each Cluster its own serverName (or destinationPath): WAL of two servers under one \
             prefix overwrite each other and a restore mixes them. A restored Cluster must not reuse \
             its source's serverName."
                .into(),
        ));
    }
    if b.truncated.is_some() {
        let mut ev = truncation(b);
        ev.push(listed);
        out.push(finding(
            "BKT012",
            Severity::Info,
            p,
            format!("the listing of {} stopped early: the proof covers only what was listed", place(p)),
            ev,
            "Raise the listing limit, or clean the archive with a retention policy so it stays within it."
                .into(),
        ));
    }
}

/// BKT008/BKT009/BKT011: the status fields and the Backup objects against the bucket.
fn claims(f: &Facts, p: &StoreProof, b: &BucketFacts, out: &mut Outcome) {
    let ids: std::collections::BTreeSet<&str> = b.backups.iter().map(|x| x.id.as_str()).collect();
    let s = &f.snapshot;
    // The Backups of the clusters writing here: those of a plugin Cluster naming this store
    // with this server name, or the in-tree Cluster itself.
    let clusters: Vec<&str> = s
        .clusters
        .rows
        .iter()
        .filter(|c| c.namespace == p.namespace)
        .filter(|c| {
            if p.in_tree {
                c.name == p.store
            } else {
                c.plugin
                    .as_ref()
                    .is_some_and(|pl| pl.object_store.as_deref() == Some(&p.store))
                    && c.server_name() == p.server_name
            }
        })
        .map(|c| c.name.as_str())
        .collect();
    let claimed: Vec<_> = s
        .backups
        .rows
        .iter()
        .filter(|x| x.namespace == p.namespace && clusters.contains(&x.cluster.as_str()))
        .filter(|x| x.phase == "completed")
        .filter(|x| {
            x.plugin_store
                .as_deref()
                .is_none_or(|st| st == p.store || p.in_tree)
        })
        .collect();
    if b.truncated.is_none() {
        for x in claimed
            .iter()
            .filter(|x| x.backup_id.as_deref().is_some_and(|id| !ids.contains(id)))
        {
            let id = x.backup_id.as_deref().unwrap_or_default();
            out.push(finding(
                "BKT008",
                Severity::Warning,
                p,
                format!("Backup {}/{} is completed, but its base backup {id} is not in the bucket", x.namespace, x.name),
                vec![
                    format!("Backup {}/{} status.phase completed, status.backupId {id}", x.namespace, x.name),
                    format!("base/{id}/ is absent; the bucket holds: {}", join(ids.iter().copied())),
                ],
                "Check whether retention or a lifecycle rule deleted it, or the backup went to another \
                 destination; do not count on it for a restore."
                    .into(),
            ));
        }
    }
    let named: std::collections::BTreeSet<&str> = s
        .backups
        .rows
        .iter()
        .filter(|x| x.namespace == p.namespace)
        .filter_map(|x| x.backup_id.as_deref())
        .collect();
    let orphans: Vec<&str> = b
        .backups
        .iter()
        .filter(|x| x.done() && !named.contains(x.id.as_str()))
        .map(|x| x.id.as_str())
        .collect();
    if !orphans.is_empty() && s.backups.sync == crate::model::SyncState::Live {
        out.push(finding(
            "BKT009",
            Severity::Info,
            p,
            format!("{} base backup(s) in the bucket have no Backup object", orphans.len()),
            vec![format!("base backups without a Backup in {}: {}", p.namespace, join(orphans.iter().copied()))],
            "Nothing is wrong with them: backups taken before a migration, by another cluster, or whose \
             Backup objects were deleted still count for a restore through the ObjectStore."
                .into(),
        ));
    }
    window_claims(f, p, b, out);
}

fn join<'a>(it: impl Iterator<Item = &'a str>) -> String {
    let v: Vec<&str> = it.take(10).collect();
    if v.is_empty() {
        "nothing".into()
    } else {
        v.join(", ")
    }
}

/// The status field's claim for a proof's server: `status.serverRecoveryWindow[server]`.
fn claim<'a>(f: &'a Facts, p: &StoreProof) -> Option<&'a ServerWindow> {
    if p.in_tree {
        return None;
    }
    f.snapshot
        .object_stores
        .rows
        .iter()
        .find(|o| o.namespace == p.namespace && o.name == p.store)
        .and_then(|o| o.servers.iter().find(|w| w.server == p.server_name))
}

/// Where the status' window is wider than the bucket proves, one line each. The plugin
/// computes both fields from the DONE backups' end times, so they agree unless the bucket
/// changed under it.
fn differences(w: &ServerWindow, p: &StoreProof, b: &BucketFacts) -> Vec<String> {
    let proven_from = b.window.as_ref().and_then(|w| w.from);
    let newest_done = b
        .backups
        .iter()
        .filter(|x| x.done())
        .filter_map(|x| x.end_time)
        .max();
    let mut ev = Vec::new();
    if let Some(claim) = w.first_point {
        match proven_from {
            Some(from) if claim + SAME_INSTANT < from => ev.push(format!(
                "status.serverRecoveryWindow.{}.firstRecoverabilityPoint: {}, the bucket proves recovery only from {}",
                p.server_name,
                ts(claim),
                ts(from)
            )),
            None => ev.push(format!(
                "status.serverRecoveryWindow.{}.firstRecoverabilityPoint: {}, the bucket proves no recovery window",
                p.server_name,
                ts(claim)
            )),
            _ => {}
        }
    }
    if let Some(claim) = w.last_success
        && b.truncated.is_none()
        && newest_done.is_none_or(|n| claim > n + SAME_INSTANT)
    {
        ev.push(format!(
            "status.serverRecoveryWindow.{}.lastSuccessfulBackupTime: {}, the newest completed base backup in the bucket ended {}",
            p.server_name,
            ts(claim),
            opt_ts(newest_done)
        ));
    }
    ev
}

/// BKT011: `status.serverRecoveryWindow` against the bucket.
fn window_claims(f: &Facts, p: &StoreProof, b: &BucketFacts, out: &mut Outcome) {
    let Some(w) = claim(f, p) else {
        return;
    };
    let mut ev = differences(w, p, b);
    if ev.is_empty() {
        return;
    }
    ev.push(window_line(p));
    out.push(finding(
        "BKT011",
        Severity::Warning,
        p,
        format!("the recovery window {} reports is not what its bucket proves", object(p).display()),
        ev,
        "Trust the bucket: restore only inside the proven window. The status is refreshed by the \
         plugin after backups; a difference that stays means the bucket changed under it (a lifecycle \
         rule, a delete, a gap)."
            .into(),
    ));
}

/// One store's proven window beside the status field's claim, as reports and panes show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowReport {
    pub object: ObjectRef,
    pub server: String,
    pub destination: String,
    pub checked_at: String,
    /// proven, unknown or failed.
    pub outcome: &'static str,
    pub proven_from: Option<String>,
    pub proven_to: Option<String>,
    /// "recoverable from T1 to T2 (proven from the bucket, checked at T)", or why not known.
    pub line: String,
    /// `status.serverRecoveryWindow[server]`: firstRecoverabilityPoint and
    /// lastSuccessfulBackupTime, when the status has them.
    pub claimed_from: Option<String>,
    pub claimed_last_backup: Option<String>,
    /// Where the claim is wider than the proof (BKT011's evidence); empty when they agree or
    /// nothing was proven.
    pub disagreements: Vec<String>,
}

/// Every store read, with its window and the claim beside it.
pub fn windows(f: &Facts) -> Vec<WindowReport> {
    f.stores
        .iter()
        .map(|p| {
            let w = claim(f, p);
            let (outcome, window, disagreements) = match &p.outcome {
                ProofOutcome::Proven(b) => (
                    "proven",
                    b.window.as_ref(),
                    w.map(|w| differences(w, p, b)).unwrap_or_default(),
                ),
                ProofOutcome::Unknown(_) => ("unknown", None, Vec::new()),
                ProofOutcome::Failed(_) => ("failed", None, Vec::new()),
            };
            WindowReport {
                object: object(p),
                server: p.server_name.clone(),
                destination: p.destination.clone(),
                checked_at: ts(p.checked_at),
                outcome,
                proven_from: window.and_then(|w| w.from).map(ts),
                proven_to: window.and_then(|w| w.to).map(ts),
                line: window_line(p),
                claimed_from: w.and_then(|w| w.first_point).map(ts),
                claimed_last_backup: w.and_then(|w| w.last_success).map(ts),
                disagreements,
            }
        })
        .collect()
}
