//! The Cluster's own state and switches (CLU001-CLU010): annotations that change what the
//! operator and the instances do, the operator's record of the last backup, the Cluster's
//! certificates, backups written to another store than the Cluster's, and two Clusters
//! writing one archive. Each can leave every other pane green while nothing restorable is
//! written where a restore will look.

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::kubefmt::{delta, span, ts};
use std::collections::BTreeMap;

use crate::model::relate;
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
        elsewhere(f, c, &by_cluster, &mut out);
        sidecars(f, c, now, th, &mut out);
        retention(f, c, now, &mut out);
        in_tree_without_barman(c, &mut out);
    }
    shared_archives(f, &mut out);
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
    Finding::new(
        code,
        severity,
        ObjectRef::new(Kind::Cluster, &c.namespace, &c.name),
        summary,
        evidence,
        remedy,
    )
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
    let Some(cond) = c.conditions.iter().find(|k| {
        k.kind == "LastBackupSucceeded" && k.status == "False" && k.reason == "LastBackupFailed"
    }) else {
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

/// CLU006: a ScheduledBackup or the newest Backup of a Cluster names, in its
/// `pluginConfiguration`, another ObjectStore than the Cluster's: the plugin writes that
/// base backup there, and a restore from the Cluster's store (where its WAL goes) does not
/// see it (plugin-barman-cloud issue 611).
fn elsewhere(f: &Facts, c: &ClusterRow, by_cluster: &ByCluster, out: &mut Outcome) {
    let Some(store) = relate::store_of(c) else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    let cluster_field =
        format!("Cluster {ns}/{name} spec.plugins[].parameters.barmanObjectName: {store}");
    for sb in f.snapshot.scheduled.in_namespace(ns) {
        let Some(other) = sb.plugin_store.as_deref().filter(|o| *o != store) else {
            continue;
        };
        if sb.cluster != *name {
            continue;
        }
        out.push(finding(
            "CLU006",
            Severity::Critical,
            c,
            format!(
                "ScheduledBackup {ns}/{} writes Cluster {ns}/{name}'s base backups to ObjectStore {other}, not to {store} where its WAL is archived",
                sb.name
            ),
            vec![
                format!(
                    "ScheduledBackup {ns}/{} spec.pluginConfiguration.parameters.barmanObjectName: {other}",
                    sb.name
                ),
                cluster_field.clone(),
            ],
            format!(
                "A point-in-time restore needs a base backup and the WAL after it in one place: drop the parameter so the Cluster's store is used (kubectl patch scheduledbackup {} -n {ns} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/spec/pluginConfiguration/parameters/barmanObjectName\"}}]'), or change the Cluster's barmanObjectName if {other} is the store you mean.",
                sb.name
            ),
        ));
    }
    let newest = by_cluster
        .of(ns, name)
        .iter()
        .find(|b| b.plugin_store.is_some());
    if let Some(b) = newest
        && let Some(other) = b.plugin_store.as_deref().filter(|o| *o != store)
        && b.scheduled_by.is_none()
    {
        out.push(finding(
            "CLU006",
            Severity::Warning,
            c,
            format!(
                "Backup {ns}/{} of Cluster {ns}/{name} was written to ObjectStore {other}, not to {store}: a restore from {store} does not see it",
                b.name
            ),
            vec![
                format!(
                    "Backup {ns}/{} spec.pluginConfiguration.parameters.barmanObjectName: {other}",
                    b.name
                ),
                cluster_field,
            ],
            format!(
                "If it was meant as the Cluster's backup, take one without the parameter: kubectl cnpg backup {name} -n {ns} --method=plugin --plugin-name={}",
                crate::model::domain::PLUGIN_NAME
            ),
        ));
    }
}

/// CLU007: two Clusters archive to the same destinationPath and serverName: each writes
/// over the other's WAL and base backups, and a restore gets a mix of both.
fn shared_archives(f: &Facts, out: &mut Outcome) {
    let mut by_place: BTreeMap<(String, String), Vec<&ClusterRow>> = BTreeMap::new();
    for w in relate::archive_writers(&f.snapshot, false) {
        by_place
            .entry((w.place.destination, w.place.server))
            .or_default()
            .push(w.cluster);
    }
    for ((destination, server), users) in by_place {
        if users.len() < 2 {
            continue;
        }
        let names: Vec<String> = users
            .iter()
            .map(|c| format!("{}/{}", c.namespace, c.name))
            .collect();
        let evidence: Vec<String> = users
            .iter()
            .map(|c| {
                format!(
                    "Cluster {}/{} archives to {destination} as server {server} (ObjectStore {})",
                    c.namespace,
                    c.name,
                    relate::store_of(c).unwrap_or_default()
                )
            })
            .collect();
        for c in &users {
            out.push(finding(
                "CLU007",
                Severity::Critical,
                c,
                format!(
                    "Clusters {} archive to the same place: {destination}/{server}",
                    names.join(" and ")
                ),
                evidence.clone(),
                format!(
                    "Give each Cluster its own serverName (spec.plugins[].parameters.serverName) or its own destinationPath, then take a base backup of each: kubectl patch cluster {} -n {} --type=json -p '[{{\"op\":\"add\",\"path\":\"/spec/plugins/0/parameters/serverName\",\"value\":\"{}-2\"}}]' (check the plugin entry's index first)",
                    c.name, c.namespace, c.name
                ),
            ));
        }
    }
}

/// CLU008: the plugin-barman-cloud sidecar of one of the Cluster's instance pods was
/// OOMKilled, or restarts: it is what archives that instance's WAL and takes its base
/// backups, so the plugin's own pods can all be healthy while this one keeps dying.
fn sidecars(f: &Facts, c: &ClusterRow, now: DateTime<Utc>, th: &Thresholds, out: &mut Outcome) {
    use crate::model::domain::{CLUSTER_LABEL, SIDECAR};
    let (ns, name) = (&c.namespace, &c.name);
    let instances = f
        .snapshot
        .pods
        .in_namespace(ns)
        .iter()
        .filter(|p| p.labels.get(CLUSTER_LABEL).is_some_and(|l| l == name))
        // A bootstrap Job's pod (cnpg.io/jobRole: full-recovery, ...) archives nothing: its
        // sidecar restores, and RST005 reports it.
        .filter(|p| !p.labels.contains_key("cnpg.io/jobRole"));
    for p in instances {
        let Some(sc) = p.containers.iter().find(|k| k.name == SIDECAR) else {
            continue;
        };
        let when = sc
            .last_at
            .map(|t| format!(" at {} ({} ago)", ts(t), span(now - t)))
            .unwrap_or_default();
        let field = format!(
            "Pod {ns}/{} container {SIDECAR}: restartCount {}, lastState.terminated.reason {}{when}",
            p.name,
            sc.restarts,
            sc.last_reason.as_deref().unwrap_or("-")
        );
        let oom = sc.last_reason.as_deref() == Some("OOMKilled");
        if !oom && sc.restarts < th.restarts {
            continue;
        }
        let (severity, summary) = if oom {
            (
                Severity::Critical,
                format!(
                    "The {SIDECAR} sidecar of Cluster {ns}/{name}'s instance {} was OOMKilled: that instance's WAL archiving and backups stop while it restarts",
                    p.name
                ),
            )
        } else {
            (
                Severity::Warning,
                format!(
                    "The {SIDECAR} sidecar of Cluster {ns}/{name}'s instance {} restarted {} times",
                    p.name, sc.restarts
                ),
            )
        };
        out.push(finding(
            "CLU008",
            severity,
            c,
            summary,
            vec![field],
            format!(
                "Read why it stopped: kubectl logs {} -n {ns} -c {SIDECAR} --previous. An OOM kill in the sidecar comes from large backups or many parallel WAL uploads: raise its memory with the ObjectStore's spec.instanceSidecarConfiguration.resources (the Cluster rolls its instances to apply it), or lower spec.configuration.data.jobs / spec.configuration.wal.maxParallel.",
                p.name
            ),
        ));
    }
}

/// How long past its retention a server's oldest recoverability point may be before the
/// retention looks unenforced: barman keeps the newest backup older than the window (so
/// the window's start stays restorable), which with a weekly schedule is up to a week more.
const RETENTION_SLACK_DAYS: i64 = 8;

/// A retention policy as the ObjectStore spells it: `^[1-9][0-9]*[dwm]$`.
fn retention_days(policy: &str) -> Option<i64> {
    let (n, unit) = policy.split_at(policy.len().checked_sub(1)?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "d" => Some(n),
        "w" => n.checked_mul(7),
        "m" => n.checked_mul(30),
        _ => None,
    }
}

/// CLU009: retention is not enforced: the plugin's sidecar on the primary deletes what
/// falls out of `retentionPolicy` (every `retentionPolicyIntervalSeconds`); a first
/// recoverability point far older than that, or a `RetentionPolicyFailed` event, means it
/// does not, and the bucket grows without bound.
fn retention(f: &Facts, c: &ClusterRow, now: DateTime<Utc>, out: &mut Outcome) {
    let Some(store) = relate::store_of(c) else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    let Some(o) = f
        .snapshot
        .object_stores
        .in_namespace(ns)
        .iter()
        .find(|o| o.name == store)
    else {
        return;
    };
    let mut evidence = Vec::new();
    let policy = o.retention.as_deref();
    let first = o
        .servers
        .iter()
        .find(|w| w.server == c.server_name())
        .and_then(|w| w.first_point);
    if let (Some(policy), Some(first)) = (policy, first)
        && let Some(days) = retention_days(policy)
        && (now - first).num_days() > days + RETENTION_SLACK_DAYS
    {
        evidence.push(format!(
            "ObjectStore {ns}/{store} spec.retentionPolicy: {policy}"
        ));
        evidence.push(format!(
            "ObjectStore {ns}/{store} status.serverRecoveryWindow[{}].firstRecoverabilityPoint: {} ({} ago)",
            c.server_name(),
            ts(first),
            span(now - first)
        ));
    }
    let failed: Vec<String> = super::read::warning_events(f, Kind::Cluster, ns, name, 8)
        .into_iter()
        .filter(|e| e.contains("RetentionPolicyFailed"))
        .collect();
    if evidence.is_empty() && failed.is_empty() {
        return;
    }
    evidence.extend(failed);
    out.push(finding(
        "CLU009",
        Severity::Warning,
        c,
        format!(
            "Retention is not enforced for Cluster {ns}/{name} in ObjectStore {ns}/{store}: old backups and WAL are kept past {}",
            policy.unwrap_or("the policy")
        ),
        evidence,
        format!(
            "The plugin sidecar on the primary applies the retention policy; read why it fails: kubectl logs {} -n {ns} -c {} | grep -i retention (\"Retention policy enforcement failed\"). Deleting needs s3:DeleteObject (or the Azure/GCS equivalent) on the bucket.",
            c.primary.as_deref().unwrap_or("<primary pod>"),
            crate::model::domain::SIDECAR
        ),
    ));
}

/// CLU010: the in-tree `barmanObjectStore` runs barman-cloud's own executables inside the
/// PostgreSQL container, and the community's `minimal` and `standard` images do not ship
/// them (only the deprecated `system` images do): every WAL archive attempt and backup
/// fails on such an image.
fn in_tree_without_barman(c: &ClusterRow, out: &mut Outcome) {
    if !c.legacy_barman {
        return;
    }
    let Some(image) = c.image.as_deref() else {
        return;
    };
    let tag = image.rsplit('/').next().unwrap_or(image);
    let flavour = ["minimal", "standard"]
        .into_iter()
        .find(|f| tag.split([':', '-', '_', '.']).any(|part| part == *f));
    let Some(flavour) = flavour else {
        return;
    };
    let (ns, name) = (&c.namespace, &c.name);
    out.push(finding(
        "CLU010",
        Severity::Critical,
        c,
        format!(
            "Cluster {ns}/{name} archives with the in-tree barmanObjectStore on a `{flavour}` image, which has no barman-cloud executables"
        ),
        vec![
            format!("Cluster {ns}/{name} spec.backup.barmanObjectStore: set"),
            format!("Cluster {ns}/{name} image: {image}"),
        ],
        format!(
            "Move the Cluster to the Barman Cloud plugin (https://cloudnative-pg.io/plugin-barman-cloud/docs/migration/), which brings barman-cloud in its sidecar; until then only a `system` image (deprecated) can run the in-tree archiver. Check the archiving state: kubectl get cluster {name} -n {ns} -o jsonpath='{{.status.conditions[?(@.type==\"ContinuousArchiving\")].message}}'"
        ),
    ));
}
