//! What is too old, slow or stuck: BKP002 (no good backup within the limit), BKP003 (a
//! backup that took too long), BKP004 (a backup pending or under way for too long).

use chrono::{DateTime, TimeDelta, Utc};

use super::{backup_events, cluster_of, log_command, take_backup};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::{CLUSTER_LABEL, OPERATOR_APP, OPERATOR_LABEL};
use crate::model::kubefmt::{delta, span, ts};
use crate::model::relate::{LastGood, Proof, last_good_backup, store_of};
use crate::model::rows::{BackupRow, ClusterRow};

/// BKP003 looks at this many of a cluster's newest backups: enough for a week of dailies,
/// few enough that a long history of slow runs is not repeated back.
const RECENT: usize = 7;

/// Phases in which a backup is under way (the plugin path never sets `running`).
const IN_FLIGHT: [&str; 3] = ["started", "running", "finalizing"];

/// BKP002: no successful backup within th.backup_max_age. The last good backup is the one
/// answer `model::relate` gives (the newer of the store's recovery window and the newest
/// completed Backup), and the evidence names which of the two it came from.
pub(super) fn too_old(
    f: &Facts,
    c: &ClusterRow,
    by_cluster: &ByCluster,
    now: DateTime<Utc>,
    th: &Thresholds,
    backups_ok: bool,
    out: &mut Outcome,
) {
    if c.plugin.is_none() && !c.legacy_barman {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    // A window that cannot be read proves nothing, either way.
    let stores = f
        .snapshot
        .object_stores
        .rows_or_why(&Kind::ObjectStore.qualified())
        .unwrap_or_default();
    let backups = by_cluster.of(ns, name);
    let good = last_good_backup(stores, c, backups.iter().copied());
    let mut evidence = match good {
        Some(LastGood {
            at,
            proof: Proof::Window { store, server },
        }) => vec![format!(
            "ObjectStore {ns}/{store} status.serverRecoveryWindow[{server}].lastSuccessfulBackupTime: {} ({} ago)",
            ts(at),
            span(now - at)
        )],
        Some(LastGood {
            at,
            proof: Proof::Backup(b),
        }) => vec![format!(
            "newest completed Backup {ns}/{} status.stoppedAt: {} ({} ago)",
            b.name,
            ts(at),
            span(now - at)
        )],
        Some(LastGood {
            at,
            proof: Proof::ClusterStatus,
        }) => vec![format!(
            "Cluster {ns}/{name} status.lastSuccessfulBackup: {} ({} ago)",
            ts(at),
            span(now - at)
        )],
        // Only the Backup objects can tell, and they could not be read.
        None if !backups_ok => return,
        None => vec![format!(
            "Cluster {ns}/{name}: no recovery window and no completed Backup"
        )],
    };
    let last = good.map(|g| g.at);
    let (limit, why_limit) = match schedule_interval(f, c) {
        Some((sb, every)) => {
            let limit = every + every.min(TimeDelta::hours(SCHEDULE_MARGIN_HOURS));
            (
                limit,
                format!(
                    "limit {}: the interval of ScheduledBackup {ns}/{sb} (status.lastScheduleTime to \
                     status.nextScheduleTime, {}) plus a margin",
                    span(limit),
                    span(every)
                ),
            )
        }
        None => {
            let limit = delta(th.backup_max_age);
            (
                limit,
                format!(
                    "limit {}: backup-max-age (no ScheduledBackup of this Cluster has a known interval)",
                    span(limit)
                ),
            )
        }
    };
    match last {
        Some(t) if now - t <= limit => return,
        // A new cluster has not had its first scheduled backup yet.
        None if c.created.is_some_and(|born| now - born <= limit) => return,
        _ => {}
    }
    let running = backups.iter().find(|b| {
        IN_FLIGHT.contains(&b.phase.as_str())
            && last.is_none_or(|t| b.when().is_some_and(|w| w > t))
    });
    if let Some(b) = running {
        evidence.push(format!(
            "Backup {ns}/{} status.phase: {} since {}",
            b.name,
            b.phase,
            b.when().map(ts).unwrap_or_else(|| "unknown".into())
        ));
    }
    if let Some(b) = backups
        .first()
        .filter(|b| b.phase != "completed" && !IN_FLIGHT.contains(&b.phase.as_str()))
    {
        let phase = if b.phase.is_empty() {
            "(none yet)"
        } else {
            b.phase.as_str()
        };
        let queued = (b.phase == "pending")
            .then(|| ahead_of(f, b))
            .flatten()
            .map(|r| format!(" (queued behind {})", r.name))
            .unwrap_or_default();
        evidence.push(format!(
            "newest Backup {ns}/{} status.phase: {phase}{queued}",
            b.name
        ));
    }
    evidence.push(why_limit);
    let age = match last {
        Some(t) => format!("the last successful backup is {} old", span(now - t)),
        None => "no successful backup at all".to_string(),
    };
    let pod = backups
        .first()
        .and_then(|b| b.pod.clone())
        .or_else(|| c.primary.clone())
        .unwrap_or_else(|| "POD".into());
    let (severity, remedy) = match running {
        Some(b) => (
            Severity::Warning,
            format!(
                "Backup {} is under way: follow it with `kubectl -n {ns} get backup {} -w` and `{}` (BKP004 fires \
                 if it is stuck).",
                b.name,
                b.name,
                log_command(ns, b.pod.as_deref().unwrap_or(&pod), Some(c))
            ),
        ),
        None => (
            Severity::Critical,
            format!(
                "Find why backups stopped: `kubectl -n {ns} get backups.postgresql.cnpg.io --sort-by=.metadata.creationTimestamp`, \
                 `kubectl -n {ns} describe backup <newest>`, `{}`; check the ScheduledBackup \
                 (`kubectl -n {ns} get scheduledbackups.postgresql.cnpg.io`). Take a backup now: `{}`.",
                log_command(ns, &pod, Some(c)),
                take_backup(ns, name, Some(c))
            ),
        ),
    };
    out.push(Finding {
        code: "BKP002",
        severity,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: {age} (limit {})", span(limit)),
        evidence,
        remedy,
    });
}

/// The margin a scheduled backup gets past its interval: its own run time and a late
/// start, never more than one more interval (an hourly schedule is late after 2 hours).
const SCHEDULE_MARGIN_HOURS: i64 = 2;

/// The shortest interval among the Cluster's active ScheduledBackups, read from the times
/// the controller wrote (the cron expression itself is not parsed).
fn schedule_interval<'a>(f: &'a Facts, c: &ClusterRow) -> Option<(&'a str, TimeDelta)> {
    f.snapshot
        .scheduled
        .in_namespace(&c.namespace)
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| s.cluster == c.name && !s.suspended)
        .filter_map(|s| {
            let every = s.next? - s.last?;
            (every > TimeDelta::zero()).then_some((s.name.as_str(), every))
        })
        .min_by_key(|(_, every)| *every)
}

/// BKP003: recent completed backups that took longer than th.backup_slow: one finding per
/// Cluster, on its newest slow Backup, the others and their trend as evidence.
pub(super) fn slow(f: &Facts, by_cluster: &ByCluster, th: &Thresholds, out: &mut Outcome) {
    let limit = delta(th.backup_slow);
    for (ns, cluster, list) in by_cluster.iter() {
        // Newest first, as ByCluster orders them.
        let slow: Vec<(&BackupRow, TimeDelta)> = list
            .iter()
            .take(RECENT)
            .filter_map(|b| {
                let took = b
                    .duration()
                    .filter(|d| b.phase == "completed" && *d > limit)?;
                Some((*b, took))
            })
            .collect();
        let Some(&(b, took)) = slow.first() else {
            continue;
        };
        let c = cluster_of(f, ns, cluster);
        // An in-tree Cluster has no ObjectStore: its upload settings are in its own spec.
        let patch = match c {
            Some(c) if c.plugin.is_none() && c.legacy_barman => format!(
                "`kubectl -n {ns} patch cluster {cluster} --type=merge -p \
                 '{{\"spec\":{{\"backup\":{{\"barmanObjectStore\":{{\"data\":{{\"jobs\":4}}}}}}}}}}'`"
            ),
            _ => format!(
                "`kubectl -n {ns} patch objectstore {} --type=merge -p \
                 '{{\"spec\":{{\"configuration\":{{\"data\":{{\"jobs\":4}}}}}}}}'`",
                c.and_then(store_of).unwrap_or("STORE")
            ),
        };
        let mut evidence = vec![
            format!(
                "Backup {ns}/{} status.startedAt: {}",
                b.name,
                b.started.map(ts).unwrap_or_default()
            ),
            format!(
                "Backup {ns}/{} status.stoppedAt: {}",
                b.name,
                b.stopped.map(ts).unwrap_or_default()
            ),
        ];
        for (other, took) in slow.iter().skip(1) {
            evidence.push(format!(
                "also slow: Backup {ns}/{} took {} (started {})",
                other.name,
                span(*took),
                other.started.map(ts).unwrap_or_default()
            ));
        }
        // Oldest to newest, each slower than the one before: the trend is the news.
        let growing = slow.len() >= 3 && slow.windows(2).all(|w| w[0].1 > w[1].1);
        if growing {
            evidence.push(format!(
                "each of these {} backups took longer than the one before ({} → {}): the data to upload is \
                 growing or the upload is slowing",
                slow.len(),
                span(slow[slow.len() - 1].1),
                span(took)
            ));
        }
        let summary = match slow.len() {
            1 => format!(
                "Backup {ns}/{} of Cluster {cluster} took {} (limit {})",
                b.name,
                span(took),
                span(limit)
            ),
            n => format!(
                "Backup {ns}/{} of Cluster {cluster} took {} (limit {}); {n} of its last {} backups were slow{}",
                b.name,
                span(took),
                span(limit),
                list.len().min(RECENT),
                if growing {
                    ", each slower than the last"
                } else {
                    ""
                }
            ),
        };
        out.push(Finding {
            code: "BKP003",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Backup, ns, &b.name),
            summary,
            evidence,
            remedy: format!(
                "Upload in more parallel jobs (default 2): {patch}; consider a faster compression \
                 (data.compression snappy or lz4), backing up from a standby (target prefer-standby), and the network \
                 bandwidth to the store. Watch that the next backup still ends before the following one starts."
            ),
        });
    }
}

/// BKP004: pending, or under way, for too long.
pub(super) fn stuck(f: &Facts, now: DateTime<Utc>, th: &Thresholds, out: &mut Outcome) {
    for b in f.snapshot.backups.rows.iter() {
        let ns = &b.namespace;
        let Some(since) = b.when() else { continue };
        let age = now - since;
        let pending = b.phase.is_empty() || b.phase == "pending";
        // The operator keeps a Backup pending, without an event, while another Backup of the
        // same Cluster is under way: it is queued, not stuck.
        // A Backup ahead of it that ends by itself (under way, or pending and reported
        // itself) makes this one queued; one that never ends blocks it, which is said.
        let ahead = ahead_of(f, b);
        if ahead.is_some_and(|a| a.phase == "pending" || EXECUTING.contains(&a.phase.as_str())) {
            continue;
        }
        let limit = if pending {
            delta(th.pending_stuck)
        } else if IN_FLIGHT.contains(&b.phase.as_str()) {
            delta(th.running_stuck)
        } else {
            continue;
        };
        if age <= limit {
            continue;
        }
        let phase = if b.phase.is_empty() {
            "(none: not picked up by the operator)"
        } else {
            b.phase.as_str()
        };
        let field = if b.started.is_some() {
            "status.startedAt"
        } else {
            "metadata.creationTimestamp"
        };
        let mut evidence = vec![
            format!("Backup {ns}/{} status.phase: {phase}", b.name),
            format!(
                "Backup {ns}/{} {field}: {} ({} ago)",
                b.name,
                ts(since),
                span(age)
            ),
        ];
        if let Some(p) = &b.pod {
            evidence.push(format!(
                "Backup {ns}/{} status.instanceID.podName: {p}",
                b.name
            ));
        }
        if let Some(a) = ahead {
            let phase = if a.phase.is_empty() {
                "no phase"
            } else {
                a.phase.as_str()
            };
            evidence.push(format!(
                "Backup {ns}/{} status.phase: {phase}: the operator starts no other Backup of Cluster {} before it \
                 is completed, failed or deleted",
                a.name, b.cluster
            ));
        }
        for q in queued_behind(f, b) {
            evidence.push(format!(
                "Backup {ns}/{} status.phase: pending (queued behind {})",
                q.name, b.name
            ));
        }
        evidence.extend(backup_events(f, b));
        let c = cluster_of(f, ns, &b.cluster);
        let remedy = if let Some(a) = ahead {
            format!(
                "It waits for Backup {} ({}), which has not ended for {}: read why (`kubectl -n {ns} describe backup {}`); \
                 if it will not end, delete it (`kubectl -n {ns} delete backup {}`) and this one starts next.",
                a.name,
                if a.phase.is_empty() {
                    "no phase"
                } else {
                    a.phase.as_str()
                },
                a.when()
                    .map(|t| span(now - t))
                    .unwrap_or_else(|| "an unknown time".into()),
                a.name,
                a.name
            )
        } else if b.phase.is_empty() && b.method == "plugin" {
            format!(
                "The operator has not picked it up: it reads no phase until the operator can load its plugins, \
                 and while it cannot its log repeats \"Error loading plugins, retrying\" for this Backup \
                 (`kubectl logs -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP} | grep {}`). Make the \
                 Barman Cloud plugin answer (see the plugin findings); the Backup then starts by itself, nothing \
                 needs deleting.",
                b.name
            )
        } else if b.phase.is_empty() {
            format!(
                "The operator has not picked it up: check that the CloudNativePG operator runs \
                 (`kubectl get pods -A -l {OPERATOR_LABEL}={OPERATOR_APP}`) and read its log for {}.",
                b.name
            )
        } else if pending {
            format!(
                "The operator cannot start it: `kubectl -n {ns} describe backup {}` (events FindingPod, BackupPending \
                 say which pod is not ready); check the Cluster's pods (`kubectl -n {ns} get pods -l {CLUSTER_LABEL}={}`) \
                 and that the CNPG operator runs.",
                b.name, b.cluster
            )
        } else {
            let pod = b
                .pod
                .clone()
                .or_else(|| c.and_then(|c| c.primary.clone()))
                .unwrap_or_else(|| "POD".into());
            format!(
                "See whether it still makes progress: `{}`. If the instance restarted, the backup will never finish: \
                 delete it (`kubectl -n {ns} delete backup {}`; this also lets its ScheduledBackup and any queued Backup \
                 go on) and take a new one: `{}`. CNPG 1.27.3, 1.28.1 and 1.29 or later fail such a backup \
                 themselves (event InstanceManagerRestarted); older versions leave it in this phase.",
                log_command(ns, &pod, c),
                b.name,
                take_backup(ns, &b.cluster, c)
            )
        };
        out.push(Finding {
            code: "BKP004",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Backup, ns, &b.name),
            summary: if b.phase.is_empty() {
                format!(
                    "Backup {ns}/{} of Cluster {} has not been picked up by the operator for {} (limit {})",
                    b.name,
                    b.cluster,
                    span(age),
                    span(limit)
                )
            } else {
                format!(
                    "Backup {ns}/{} of Cluster {} has been {phase} for {} (limit {})",
                    b.name,
                    b.cluster,
                    span(age),
                    span(limit)
                )
            },
            evidence,
            remedy,
        });
    }
}

/// Phases in which the operator counts a Backup as executing: while one is, every other
/// Backup of the Cluster waits in pending.
const EXECUTING: [&str; 2] = ["started", "running"];

/// The other Backups of `b`'s Cluster.
fn siblings<'a>(f: &'a Facts, b: &'a BackupRow) -> impl Iterator<Item = &'a BackupRow> {
    f.snapshot
        .backups
        .in_namespace(&b.namespace)
        .iter()
        .map(|o| o.as_ref())
        .filter(move |o| o.name != b.name && o.cluster == b.cluster)
}

/// The Backup that pending `b` waits for, as the operator orders them: one executing,
/// else the oldest Backup that is neither done nor executing (creation time, then name),
/// when that is not `b` itself.
fn ahead_of<'a>(f: &'a Facts, b: &'a BackupRow) -> Option<&'a BackupRow> {
    if b.phase != "pending" {
        return None;
    }
    if let Some(running) = siblings(f, b).find(|o| EXECUTING.contains(&o.phase.as_str())) {
        return Some(running);
    }
    let key = |o: &BackupRow| (o.created, o.name.clone());
    siblings(f, b)
        .filter(|o| {
            !DONE.contains(&o.phase.as_str())
                && !EXECUTING.contains(&o.phase.as_str())
                && key(o) < key(b)
        })
        .min_by_key(|o| key(o))
}

/// The pending Backups of the same Cluster that wait directly for `b`.
fn queued_behind<'a>(f: &'a Facts, b: &'a BackupRow) -> Vec<&'a BackupRow> {
    siblings(f, b)
        .filter(|o| ahead_of(f, o).is_some_and(|a| a.name == b.name))
        .collect()
}

/// Phases after which a Backup is done, for the ScheduledBackup controller.
const DONE: [&str; 2] = ["completed", "failed"];

/// How long after its due time a skipped run counts as blocked: the controller retries
/// every 60 seconds, so a few minutes rule out a run that is merely being created.
const DUE_SLACK_MINUTES: i64 = 5;

/// BKP012: a ScheduledBackup whose child Backup is not done. Since CNPG 1.29 the controller
/// creates no new Backup then ("The system is already taking a backup for this
/// ScheduledBackup, retrying in 60 seconds"), so one stuck child freezes the schedule.
pub(super) fn schedule_blocked(f: &Facts, now: DateTime<Utc>, out: &mut Outcome) {
    for sb in f.snapshot.scheduled.rows.iter().filter(|s| !s.suspended) {
        let (ns, name) = (&sb.namespace, &sb.name);
        let Some(b) = f
            .snapshot
            .backups
            .in_namespace(ns)
            .iter()
            .map(|o| o.as_ref())
            .filter(|b| {
                b.scheduled_by.as_deref() == Some(name.as_str())
                    && !DONE.contains(&b.phase.as_str())
            })
            .min_by_key(|b| b.created.or(b.when()))
        else {
            continue;
        };
        // These phases never turn into completed or failed by themselves.
        let never_done =
            ["walArchivingFailing", "invalid backup definition"].contains(&b.phase.as_str());
        let overdue = sb
            .next
            .filter(|n| now - *n > TimeDelta::minutes(DUE_SLACK_MINUTES));
        if !never_done && overdue.is_none() {
            continue;
        }
        let phase = if b.phase.is_empty() {
            "(none: not picked up by the operator)"
        } else {
            b.phase.as_str()
        };
        let mut evidence = vec![format!("Backup {ns}/{} status.phase: {phase}", b.name)];
        if let Some(t) = b.created {
            evidence.push(format!(
                "Backup {ns}/{} metadata.creationTimestamp: {} ({} ago)",
                b.name,
                ts(t),
                span(now - t)
            ));
        }
        if let Some(n) = overdue {
            evidence.push(format!(
                "ScheduledBackup {ns}/{name} status.nextScheduleTime: {} ({} ago, no newer Backup)",
                ts(n),
                span(now - n)
            ));
        }
        if let Some(t) = sb.last {
            evidence.push(format!(
                "ScheduledBackup {ns}/{name} status.lastScheduleTime: {}",
                ts(t)
            ));
        }
        let age = b
            .created
            .map(|t| format!(", {} old", span(now - t)))
            .unwrap_or_default();
        let c = cluster_of(f, ns, &sb.cluster);
        out.push(Finding {
            code: "BKP012",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ScheduledBackup, ns, name),
            summary: format!(
                "ScheduledBackup {ns}/{name} (Cluster {}) is blocked by Backup {} ({phase}{age}): no new backups on CNPG 1.29 and later",
                sb.cluster, b.name
            ),
            evidence,
            remedy: format!(
                "Since CNPG 1.29 a ScheduledBackup takes no new backup while one of its Backups is neither completed \
                 nor failed; the operator log says \"The system is already taking a backup for this ScheduledBackup, \
                 retrying in 60 seconds\". Read why it is stuck: `kubectl -n {ns} describe backup {}`, then delete it: \
                 `kubectl -n {ns} delete backup {}`. That unblocks the schedule, which takes the next backup at its \
                 next time; to have one now: `{}`.",
                b.name,
                b.name,
                take_backup(ns, &sb.cluster, c)
            ),
        });
    }
}
