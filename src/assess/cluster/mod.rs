//! The Cluster's own state and switches (CLU001-CLU005): annotations that change what the
//! operator and the instances do, the operator's record of the last backup, and the
//! Cluster's certificates. Each can leave every other pane green while nothing restorable
//! is written.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::kubefmt::{delta, span, ts};
use crate::model::rows::ClusterRow;

const AREA: &str = "cluster";

/// The annotations CloudNativePG reads and the values that switch something off.
const SKIP_WAL_ARCHIVING: &str = "cnpg.io/skipWalArchiving";
const SKIP_EMPTY_ARCHIVE_CHECK: &str = "cnpg.io/skipEmptyWalArchiveCheck";
const RECONCILIATION_LOOP: &str = "cnpg.io/reconciliationLoop";
const HIBERNATION: &str = "cnpg.io/hibernation";

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let clusters = match s.clusters.rows_or_why(&Kind::Cluster.qualified()) {
        Ok(rows) => rows,
        Err(why) => {
            out.unknown(AREA, why);
            return out;
        }
    };
    let backups = s.backups.rows_or_why(&Kind::Backup.qualified()).ok();
    let by_cluster = backups.map(ByCluster::new).unwrap_or_default();
    for c in clusters {
        annotations(c, &mut out);
        last_backup(c, backups.is_some(), &by_cluster, &mut out);
        certificates(c, now, th, &mut out);
    }
    out
}

fn annotation<'a>(c: &'a ClusterRow, key: &str) -> Option<&'a str> {
    c.annotations.get(key).map(String::as_str)
}

fn finding(
    code: &'static str,
    severity: Severity,
    c: &ClusterRow,
    summary: String,
    evidence: Vec<String>,
    remedy: String,
) -> Finding {
    Finding {
        code,
        severity,
        object: ObjectRef::new(Kind::Cluster, &c.namespace, &c.name),
        summary,
        evidence,
        remedy,
    }
}

/// CLU001-CLU003: the switches CloudNativePG reads from a Cluster's annotations, with the
/// values upstream compares against (`enabled`, `disabled`, `on`).
fn annotations(c: &ClusterRow, out: &mut Outcome) {
    let (ns, name) = (&c.namespace, &c.name);
    let field = |key: &str, value: &str| {
        format!("Cluster {ns}/{name} metadata.annotations[{key}]: {value}")
    };
    let remove = |key: &str| format!("kubectl annotate cluster {name} -n {ns} {key}-");
    if annotation(c, SKIP_WAL_ARCHIVING) == Some("enabled") {
        out.push(finding(
            "CLU001",
            Severity::Critical,
            c,
            format!("Cluster {ns}/{name} does not archive WAL: {SKIP_WAL_ARCHIVING} is enabled"),
            vec![field(SKIP_WAL_ARCHIVING, "enabled")],
            format!(
                "While it is set, PostgreSQL's archive_command succeeds without archiving: point-in-time recovery ends at the last WAL archived before it, whatever ContinuousArchiving says. Remove it once its reason (a bulk load, a restore test) is over: {}; then take a base backup, since the WAL written meanwhile is lost to recovery.",
                remove(SKIP_WAL_ARCHIVING)
            ),
        ));
    }
    if annotation(c, RECONCILIATION_LOOP) == Some("disabled") {
        out.push(finding(
            "CLU002",
            Severity::Warning,
            c,
            format!("The operator does not reconcile Cluster {ns}/{name}: {RECONCILIATION_LOOP} is disabled"),
            vec![field(RECONCILIATION_LOOP, "disabled")],
            format!(
                "Changes to the Cluster (its plugin entry, its backup settings) and its status are not acted on, so what the other panes show may be stale. Re-enable it when the maintenance is over: {}",
                remove(RECONCILIATION_LOOP)
            ),
        ));
    }
    if annotation(c, HIBERNATION) == Some("on") {
        out.push(finding(
            "CLU002",
            Severity::Warning,
            c,
            format!("Cluster {ns}/{name} is hibernated: no instance runs, so no WAL is written or archived and no backup can be taken"),
            vec![field(HIBERNATION, "on")],
            format!(
                "A Backup of a hibernated cluster fails with \"cannot backup a hibernated cluster\". Wake it when it is needed again: kubectl cnpg hibernate off {name} -n {ns}"
            ),
        ));
    }
    if annotation(c, SKIP_EMPTY_ARCHIVE_CHECK) == Some("enabled") {
        out.push(finding(
            "CLU003",
            Severity::Info,
            c,
            format!("The check that Cluster {ns}/{name}'s WAL archive starts empty is off: {SKIP_EMPTY_ARCHIVE_CHECK} is enabled"),
            vec![field(SKIP_EMPTY_ARCHIVE_CHECK, "enabled")],
            format!(
                "That check stops a new cluster from writing into an archive another cluster (or its former self) still uses. Keep it off only for a restore into the same destination with a new serverName, then remove it: {}",
                remove(SKIP_EMPTY_ARCHIVE_CHECK)
            ),
        ));
    }
}

/// CLU004: the operator's own record (`LastBackupSucceeded`, reason `LastBackupFailed`:
/// False with `BackupStarted` only means one is under way) says the last backup failed,
/// and no Backup object shows that failure (it was deleted, or Backups cannot be read):
/// without this, BKP001 has nothing to report.
fn last_backup(c: &ClusterRow, backups_read: bool, by_cluster: &ByCluster, out: &mut Outcome) {
    let Some(cond) = c
        .conditions
        .iter()
        .find(|k| {
            k.kind == "LastBackupSucceeded" && k.status == "False" && k.reason == "LastBackupFailed"
        })
    else {
        return;
    };
    let newest_failed = by_cluster
        .of(&c.namespace, &c.name)
        .first()
        .is_some_and(|b| b.phase == "failed");
    if backups_read && newest_failed {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let mut evidence = vec![format!(
        "Cluster {ns}/{name} {}",
        super::read::cond_line(cond)
    )];
    if !backups_read {
        evidence.push("Backups could not be read, so no Backup object shows it".into());
    } else {
        evidence.push(format!(
            "no failed Backup of Cluster {ns}/{name} is among the newest (deleted since?)"
        ));
    }
    out.push(finding(
        "CLU004",
        Severity::Warning,
        c,
        format!("The operator records that Cluster {ns}/{name}'s last backup failed"),
        evidence,
        format!(
            "The message above is the failure the operator saw. Take a backup now and watch it: kubectl cnpg backup {name} -n {ns} --method=plugin --plugin-name={}; then kubectl get backups -n {ns} -l cnpg.io/cluster={name}",
            crate::model::domain::PLUGIN_NAME
        ),
    ));
}

/// CLU005: a certificate of the Cluster (server, replication, client CA) expires within
/// `cert_expiry`, or has expired. The operator renews the ones it manages; one that is
/// still close to expiry was provided by the user, or renewal failed.
fn certificates(c: &ClusterRow, now: DateTime<Utc>, th: &Thresholds, out: &mut Outcome) {
    let (ns, name) = (&c.namespace, &c.name);
    for cert in &c.certificates {
        let Some(expires) = cert.expires else {
            continue;
        };
        let left = expires - now;
        if left > delta(th.cert_expiry) {
            continue;
        }
        let (severity, summary) = if left.num_seconds() <= 0 {
            (
                Severity::Critical,
                format!(
                    "Cluster {ns}/{name}'s certificate in Secret {} expired {} ago",
                    cert.secret,
                    span(-left)
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "Cluster {ns}/{name}'s certificate in Secret {} expires in {}",
                    cert.secret,
                    span(left)
                ),
            )
        };
        out.push(finding(
            "CLU005",
            severity,
            c,
            summary,
            vec![format!(
                "Cluster {ns}/{name} status.certificates.expirations[{}]: {} ({})",
                cert.secret,
                cert.raw,
                ts(expires)
            )],
            format!(
                "Certificates the operator generates are renewed by it; a user-provided one (spec.certificates) must be renewed where it was issued (cert-manager: kubectl get certificate -n {ns}). Check the Secret: kubectl get secret {} -n {ns} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d | openssl x509 -noout -enddate",
                cert.secret
            ),
        ));
    }
}
