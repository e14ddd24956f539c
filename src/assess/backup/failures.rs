//! What failed: BKP001 (the newest backup of a Cluster) and BKP005 (WAL archiving).

use super::{backup_events, cluster_of, log_command, take_backup};
use crate::assess::objectstore::is_instance_log;
use crate::assess::read::condensed_log;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::SIDECAR;
use crate::model::kubefmt::ts;
use crate::model::rows::ClusterRow;

/// Phases in which a backup ended without producing one.
const FAILED: [&str; 3] = ["failed", "walArchivingFailing", "invalid backup definition"];

/// BKP001: the newest Backup of each cluster.
pub(super) fn newest_failed(
    f: &Facts,
    by_cluster: &ByCluster,
    clusters_ok: bool,
    out: &mut Outcome,
) {
    let newest = by_cluster
        .iter()
        .filter_map(|(ns, cluster, list)| Some((ns, cluster, *list.first()?)));
    for (ns, cluster, b) in newest {
        let c = cluster_of(f, ns, cluster);
        // Backups left behind by a deleted cluster are history, not an incident.
        if (clusters_ok && c.is_none()) || !FAILED.contains(&b.phase.as_str()) {
            continue;
        }
        let mut evidence = vec![format!("Backup {ns}/{} status.phase: {}", b.name, b.phase)];
        if let Some(e) = &b.error {
            evidence.push(format!("Backup {ns}/{} status.error: {e}", b.name));
        }
        if let Some(t) = b.started {
            evidence.push(format!(
                "Backup {ns}/{} status.startedAt: {}",
                b.name,
                ts(t)
            ));
        }
        evidence.extend(backup_events(f, b));
        let pod = b
            .pod
            .clone()
            .or_else(|| c.and_then(|c| c.primary.clone()))
            .unwrap_or_else(|| "POD".into());
        let hint = b.error.as_deref().map(error_hint).unwrap_or_default();
        out.push(Finding {
            code: "BKP001",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Backup, ns, &b.name),
            summary: format!("The newest backup of Cluster {ns}/{cluster}, {}, {}", b.name, b.phase),
            evidence,
            remedy: format!(
                "{hint}Inspect it: `kubectl -n {ns} describe backup {}` and the backup log `{}`; after fixing the \
                 cause take a backup now: `{}`.",
                b.name,
                log_command(ns, &pod, c),
                take_backup(ns, cluster, c)
            ),
        });
    }
}

/// What the errors the operator and the instance manager print mean, in their exact words.
fn error_hint(error: &str) -> &'static str {
    if error.contains("requested plugin is not available") {
        // Printed by the instance manager of the pod taking the backup, from the plugin
        // sockets in that pod: the operator's plugin Service is not involved.
        "The instance pod taking the backup has no working plugin-barman-cloud sidecar: check that the sidecar \
         is in the pod and running (PLG011), that the pods rolled after the plugin entry was added, and that the \
         entry sets barmanObjectName (without it no sidecar is injected); or the Backup names another plugin: \
         check its spec.pluginConfiguration.name. "
    } else if error.contains("the cluster has no backup section") {
        "The backup asked for the in-tree method on a Cluster without spec.backup (as after a migration to the \
         plugin): use method plugin (BKP008). "
    } else if error.contains("no barmanObjectStore section defined") {
        "The backup asked for the in-tree method on a Cluster without spec.backup.barmanObjectStore: use method \
         plugin (BKP008). "
    } else if error.contains("has no plugin configured") {
        "The Cluster's spec.plugins is empty: add the Barman Cloud plugin entry (BKP010). "
    } else if error.contains("cannot backup a hibernated cluster") {
        "The Cluster is hibernated (annotation cnpg.io/hibernation: on): backups resume once it is woken up. "
    } else if error.contains("not found") && error.contains("objectstores") {
        "The ObjectStore the Cluster names does not exist (OBJ001). "
    } else {
        ""
    }
}

/// What the sidecar logs when its check that a new archive is empty fails: the tool's own
/// output (logged under its name as logger) and the error line after it. These carry the
/// cause that the ContinuousArchiving message reduces to an exit status; the informational
/// "checking the first wal" line before every check does not count.
const CHECK_FAILED: [&str; 2] = [
    "\"logger\":\"barman-cloud-check-wal-archive\"",
    "Error invoking barman-cloud-check-wal-archive",
];

/// How the plugin reports a failed barman-cloud-wal-archive run to CNPG (also when the
/// empty-archive check failed): the cause is only in the sidecar's log.
const EXIT_STATUS: &str = "unexpected failure invoking barman-cloud-wal-archive: exit status";

/// Sidecar log lines kept as evidence: the newest, enough to show the cause.
const MAX_LOG_LINES: usize = 3;

/// BKP005: the ContinuousArchiving condition is False.
pub(super) fn archiving(f: &Facts, c: &ClusterRow, out: &mut Outcome) {
    let Some(cond) = c.archiving().filter(|a| a.status == "False") else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    let since = cond
        .since
        .map(|t| format!(" since {}", ts(t)))
        .unwrap_or_default();
    let primary = c.primary.clone().unwrap_or_else(|| "PRIMARY".into());
    let mut evidence = vec![format!(
        "Cluster {ns}/{name} condition ContinuousArchiving=False ({}){since}: {}",
        cond.reason, cond.message
    )];
    let mut checked = false;
    for log in f
        .logs
        .iter()
        .filter(|l| l.container == SIDECAR && is_instance_log(f, c, l))
    {
        let Ok(lines) = &log.lines else { continue };
        let hits: Vec<&String> = lines
            .iter()
            .rev()
            .filter(|l| CHECK_FAILED.iter().any(|w| l.contains(w)))
            .take(MAX_LOG_LINES)
            .collect();
        checked |= !hits.is_empty();
        let hits: Vec<&str> = hits.into_iter().map(String::as_str).collect();
        evidence.extend(condensed_log(
            &format!("log {ns}/{} ({})", log.pod, log.container),
            &hits,
        ));
    }
    let live = live_reading(f, c);
    if let Some((line, _)) = &live {
        evidence.push(line.clone());
    }
    let cause = if checked {
        "The sidecar's check that the archive is empty (barman-cloud-check-wal-archive) failed, see the lines \
         above. It fails when WAL already exists under this serverName in the store, as after a restore or with a \
         second Cluster writing to the same path (a credential or network error there is the OBJ findings' case). \
         Point the Cluster at a new serverName (plugin parameter serverName), or, \
         after a deliberate restore into the same path, annotate the Cluster with \
         cnpg.io/skipEmptyWalArchiveCheck: enabled. "
    } else if cond.message.contains(EXIT_STATUS) {
        "The exit status is all the condition says: the cause is in the sidecar's log lines of \
         barman-cloud-wal-archive and barman-cloud-check-wal-archive. "
    } else {
        ""
    };
    out.push(Finding {
        code: "BKP005",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: match live.map(|(_, short)| short) {
            Some(short) => format!("Cluster {ns}/{name}: WAL archiving is failing ({short})"),
            None => format!("Cluster {ns}/{name}: WAL archiving is failing"),
        },
        evidence,
        remedy: format!(
            "{cause}WAL files pile up on the primary until archiving works again, and point-in-time recovery stops at \
             the last archived one. Read the archiver's error: `{}`, and `kubectl cnpg status {name} -n {ns}`; fix the \
             store or credentials (see the OBJ findings). PostgreSQL retries by itself once the cause is gone.",
            log_command(ns, &primary, Some(c))
        ),
    });
}

/// What the primary's archiver says now, for BKP005's evidence and, shortened, its summary:
/// the condition can lag, the live reading does not.
fn live_reading(f: &Facts, c: &ClusterRow) -> Option<(String, String)> {
    let r = f
        .archivers
        .iter()
        .filter(|r| r.namespace == c.namespace && r.cluster == c.name)
        .max_by_key(|r| r.taken_at)?;
    let s = r.status.as_ref().ok()?;
    let at = |wal: &Option<String>, t: Option<chrono::DateTime<chrono::Utc>>| match (wal, t) {
        (Some(w), Some(t)) => format!("{w} at {}", ts(t)),
        (Some(w), None) => w.clone(),
        (None, Some(t)) => ts(t),
        (None, None) => "none".into(),
    };
    let short = match (s.last_failed_wal.as_deref(), s.last_archived_time) {
        (Some(w), Some(ok)) => format!("{w} failed, nothing archived since {}", ts(ok)),
        (Some(w), None) => format!("{w} failed, nothing archived yet"),
        (None, _) => format!("{} WAL waiting", s.ready_wal_files),
    };
    Some((
        format!(
            "the archiver of {} now (/pg/status, read {}): last failed {}, last archived {}, {} WAL waiting",
            r.pod,
            ts(r.taken_at),
            at(&s.last_failed_wal, s.last_failed_time),
            at(&s.last_archived_wal, s.last_archived_time),
            s.ready_wal_files
        ),
        short,
    ))
}
