//! What failed: BKP001 (the newest backup of a Cluster) and BKP005 (WAL archiving).

use super::{backup_events, cluster_of, log_command, take_backup};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::by_cluster::ByCluster;
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

/// What the prerequisite errors of DOMAIN 2.7 and 1.8 point at.
fn error_hint(error: &str) -> &'static str {
    if error.contains("requested plugin is not available") {
        "The operator does not see the plugin: see the PLG findings (plugin namespace, Service, pods). "
    } else if error.contains("no barmanObjectStore section defined") {
        "The backup asked for the in-tree method on a plugin cluster: use method plugin (BKP008). "
    } else if error.contains("has no plugin configured") {
        "The Cluster has no plugin entry, or its pods have not rolled out with the sidecar yet. "
    } else if error.contains("Expected empty archive") {
        "The WAL archive check found an existing archive under this server name: use a new serverName, or the \
         cnpg.io/skipEmptyWalArchiveCheck annotation after a deliberate restore. "
    } else if error.contains("not found") && error.contains("objectstores") {
        "The ObjectStore the Cluster names does not exist (OBJ001). "
    } else {
        ""
    }
}

/// BKP005: the ContinuousArchiving condition is False.
pub(super) fn archiving(c: &ClusterRow, out: &mut Outcome) {
    let Some(cond) = c.archiving().filter(|a| a.status == "False") else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    let since = cond
        .since
        .map(|t| format!(" since {}", ts(t)))
        .unwrap_or_default();
    let primary = c.primary.clone().unwrap_or_else(|| "PRIMARY".into());
    out.push(Finding {
        code: "BKP005",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Cluster, ns, name),
        summary: format!("Cluster {ns}/{name}: WAL archiving is failing"),
        evidence: vec![format!(
            "Cluster {ns}/{name} condition ContinuousArchiving=False ({}){since}: {}",
            cond.reason, cond.message
        )],
        remedy: format!(
            "WAL files pile up on the primary until archiving works again, and point-in-time recovery stops at the \
             last archived one. Read the archiver's error: `{}`, and `kubectl cnpg status {name} -n {ns}`; fix the \
             store or credentials (see the OBJ findings). PostgreSQL retries by itself once the cause is gone.",
            log_command(ns, &primary, Some(c))
        ),
    });
}
