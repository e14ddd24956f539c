//! The recovery window a restore target is judged against: proven by reading the bucket when
//! it was read, else as the ObjectStore's status and the live archiver report it; and the
//! judgement itself (refuse before the first point, after the newest continuous WAL, in the
//! future; warn where the end is only reported).

use chrono::{DateTime, Utc};

use super::target::Target;
use crate::model::archiver::ArchiverReading;
use crate::model::bucket::{ProofOutcome, StoreProof};
use crate::model::facts::Facts;
use crate::model::kubefmt::{span, ts};

/// Where the window's ends come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Evidence {
    /// The bucket was listed: backups and WAL are as the store holds them.
    Proven {
        checked_at: DateTime<Utc>,
        last_wal: String,
    },
    /// The ObjectStore's status (first point) and, for the end, the primary's archiver.
    Reported { why_not_proven: String },
}

/// A base backup a restore can start from.
#[derive(Debug, Clone, PartialEq)]
pub struct Restorable {
    pub id: String,
    pub end: Option<DateTime<Utc>>,
    /// Where it is known from: "the bucket" or "Backup NAME".
    pub known_from: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub namespace: String,
    pub store: String,
    pub server: String,
    pub from: Option<DateTime<Utc>>,
    /// The newest WAL reachable without a gap (proven), or the newest the archiver says it
    /// archived (reported).
    pub to: Option<DateTime<Utc>>,
    pub evidence: Evidence,
    /// Oldest first.
    pub backups: Vec<Restorable>,
    /// The archiver's newest archived WAL and when, at the time of the reading.
    pub last_archived: Option<(String, DateTime<Utc>)>,
    /// The archiver is failing: the newest WAL is older than what the primary wrote.
    pub archiving_failing_since: Option<DateTime<Utc>>,
}

impl Window {
    /// Gathers what is known of `server`'s window in `store` (an ObjectStore's name, or the
    /// Cluster's own for an in-tree store) from the facts a check collected.
    pub fn of(facts: &Facts, namespace: &str, cluster: &str, store: &str, server: &str) -> Window {
        let proof: Option<&StoreProof> = facts
            .stores
            .iter()
            .find(|p| p.namespace == namespace && p.store == store && p.server_name == server);
        let reading: Option<&ArchiverReading> = facts
            .archivers
            .iter()
            .filter(|a| a.namespace == namespace && a.cluster == cluster)
            .max_by_key(|a| a.taken_at);
        let archive = reading.and_then(|r| r.status.as_ref().ok());
        let last_archived = archive.and_then(|a| {
            Some((
                a.last_archived_wal.clone().unwrap_or_default(),
                a.last_archived_time?,
            ))
        });
        let archiving_failing_since = archive.and_then(|a| {
            let failed = a.last_failed_time?;
            (a.last_archived_time.is_none_or(|ok| failed > ok)).then_some(failed)
        });
        let mut w = Window {
            namespace: namespace.into(),
            store: store.into(),
            server: server.into(),
            from: None,
            to: None,
            evidence: Evidence::Reported {
                why_not_proven: "the bucket was not read".into(),
            },
            backups: Vec::new(),
            last_archived,
            archiving_failing_since,
        };
        match proof.map(|p| (&p.outcome, p.checked_at)) {
            Some((ProofOutcome::Proven(b), checked_at)) => {
                if let Some(win) = &b.window {
                    w.from = win.from;
                    w.to = win.to;
                }
                w.evidence = Evidence::Proven {
                    checked_at,
                    last_wal: b
                        .window
                        .as_ref()
                        .map(|x| x.last_wal.clone())
                        .unwrap_or_default(),
                };
                w.backups = b
                    .backups
                    .iter()
                    .filter(|x| x.done())
                    .map(|x| Restorable {
                        id: x.id.clone(),
                        end: x.end_time,
                        known_from: "the bucket".into(),
                    })
                    .collect();
                return w;
            }
            Some((ProofOutcome::Unknown(why) | ProofOutcome::Failed(why), _)) => {
                w.evidence = Evidence::Reported {
                    why_not_proven: format!("the bucket could not be read: {why}"),
                };
            }
            None => {}
        }
        let status = facts
            .snapshot
            .object_stores
            .rows
            .iter()
            .find(|o| o.namespace == namespace && o.name == store)
            .and_then(|o| o.servers.iter().find(|s| s.server == server));
        w.from = status.and_then(|s| s.first_point);
        w.to = w.last_archived.as_ref().map(|(_, at)| *at);
        let mut backups: Vec<Restorable> = facts
            .snapshot
            .backups
            .rows
            .iter()
            .filter(|b| b.namespace == namespace && b.cluster == cluster && b.phase == "completed")
            .filter_map(|b| {
                Some(Restorable {
                    id: b.backup_id.clone()?,
                    end: b.stopped,
                    known_from: format!("Backup {}", b.name),
                })
            })
            .collect();
        backups.sort_by_key(|b| b.end);
        w.backups = backups;
        w
    }

    pub fn proven(&self) -> bool {
        matches!(self.evidence, Evidence::Proven { .. })
    }

    /// The lines a plan shows about the window, oldest fact first.
    pub fn describe(&self) -> Vec<String> {
        let at = |t: Option<DateTime<Utc>>| t.map(ts).unwrap_or_else(|| "unknown".into());
        let mut out = vec![format!(
            "Recovery window of server {} in {}/{}: {} → {}",
            self.server,
            self.namespace,
            self.store,
            at(self.from),
            at(self.to)
        )];
        out.push(match &self.evidence {
            Evidence::Proven {
                checked_at,
                last_wal,
            } => format!(
                "  proven by listing the bucket at {}: {} base backup(s), continuous WAL up to {}",
                ts(*checked_at),
                self.backups.len(),
                if last_wal.is_empty() { "(none)" } else { last_wal }
            ),
            Evidence::Reported { why_not_proven } => format!(
                "  not proven ({why_not_proven}): the start is the ObjectStore's status, the end the archiver's newest archived WAL"
            ),
        });
        if let Some((wal, at)) = &self.last_archived {
            out.push(format!(
                "  the archiver's newest archived WAL: {wal} at {}",
                ts(*at)
            ));
        }
        if let Some(since) = self.archiving_failing_since {
            out.push(format!(
                "  WAL archiving is failing (last failure {}): nothing newer reaches the store",
                ts(since)
            ));
        }
        out
    }
}

/// What the judgement found: reasons to refuse, and warnings to show beside the plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Judgement {
    pub refuse: Vec<String>,
    pub warn: Vec<String>,
}

/// Judges `target` (starting from `from_backup` when pinned) against the window at `now`.
pub fn judge(
    w: &Window,
    target: &Target,
    from_backup: Option<&str>,
    now: DateTime<Utc>,
) -> Judgement {
    let mut j = Judgement::default();
    let proven = w.proven();
    if w.backups.is_empty() {
        let msg = format!(
            "no completed base backup of server {} is known in {}/{}: there is nothing to restore from",
            w.server, w.namespace, w.store
        );
        if proven {
            j.refuse.push(msg);
        } else {
            j.warn
                .push(format!("{msg} (from the Backups; the bucket was not read)"));
        }
    }
    let find = |id: &str| w.backups.iter().find(|b| b.id == id);
    let known_ids = || {
        let ids: Vec<&str> = w
            .backups
            .iter()
            .rev()
            .take(5)
            .map(|b| b.id.as_str())
            .collect();
        if ids.is_empty() {
            "none".to_string()
        } else {
            ids.join(", ")
        }
    };
    let target_backup = match target {
        Target::Backup(id) => Some(id.as_str()),
        _ => None,
    };
    for id in from_backup.into_iter().chain(target_backup) {
        if find(id).is_none() {
            let msg = format!(
                "backup {id} is not among the completed backups of server {} (newest: {})",
                w.server,
                known_ids()
            );
            if proven {
                j.refuse.push(format!("{msg}, as the bucket holds them"));
            } else {
                j.warn.push(format!(
                    "{msg}, as the Backups list them; the bucket was not read"
                ));
            }
        }
    }
    match target {
        Target::Latest => {
            if let Some(since) = w.archiving_failing_since {
                j.warn.push(format!(
                    "WAL archiving has been failing since {}: 'latest' ends at the newest archived WAL{}, not now",
                    ts(since),
                    w.to.map(|t| format!(" ({})", ts(t))).unwrap_or_default()
                ));
            }
        }
        Target::Backup(_) => {}
        Target::Time(t) => {
            let t = t.with_timezone(&Utc);
            if t > now {
                j.refuse.push(format!(
                    "the target {} is in the future (now is {})",
                    ts(t),
                    ts(now)
                ));
            }
            match w.from {
                Some(from) if t < from => j.refuse.push(format!(
                    "the target {} is before the first recoverability point {} ({} earlier): no base backup ends before it",
                    ts(t),
                    ts(from),
                    span(from - t)
                )),
                None => j.warn.push(
                    "the first recoverability point is not known: the target may precede every base backup"
                        .into(),
                ),
                _ => {}
            }
            match (w.to, proven) {
                (Some(to), true) if t > to && t <= now => j.refuse.push(format!(
                    "the target {} is after the newest continuous WAL ({}, written {}): PostgreSQL would replay everything and stop with 'recovery ended before configured recovery target was reached', and the recovery never converges",
                    ts(t),
                    match &w.evidence {
                        Evidence::Proven { last_wal, .. } => last_wal.as_str(),
                        Evidence::Reported { .. } => "",
                    },
                    ts(to)
                )),
                (Some(to), false) if t > to && t <= now => j.warn.push(format!(
                    "the target {} is after the newest WAL the archiver reports archived ({}): if nothing newer reaches the store, the recovery never converges",
                    ts(t),
                    ts(to)
                )),
                (None, _) if t <= now => j.warn.push(
                    "the end of the archive is not known (neither the bucket nor the archiver was read): a target after the newest archived WAL never converges"
                        .into(),
                ),
                _ => {}
            }
            if let Some(b) = from_backup.and_then(find)
                && let Some(end) = b.end
                && end > t
            {
                j.refuse.push(format!(
                    "backup {} ends at {}, after the target {}: a restore cannot start from a backup newer than its target",
                    b.id,
                    ts(end),
                    ts(t)
                ));
            }
        }
    }
    j
}

#[cfg(test)]
#[path = "window_tests.rs"]
mod tests;
