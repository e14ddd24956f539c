//! The causes a restoring Cluster's own spec (with the stores and Backups it names) can
//! prove, often before the restore fails, else its recovery pods' logs: RST001 (its archive
//! is not empty), RST002 (a target past the archive), RST003 (a plugin Backup named by
//! `backup.name`), RST004 (a source the store does not hold, or credentials it refuses).

use chrono::{DateTime, NaiveDateTime, Utc};

use super::signs::{self, said};
use super::{Facts, Finding, Severity, finding};
use crate::model::bucket::StoreProof;
use crate::model::domain::PLUGIN_NAME;
use crate::model::facts::LogTail;
use crate::model::kubefmt::ts;
use crate::model::recovery::Recovery;
use crate::model::rows::ClusterRow;

const SKIP_EMPTY_ARCHIVE_CHECK: &str = "cnpg.io/skipEmptyWalArchiveCheck";
const RECOVERY_DOCS: &str = "https://cloudnative-pg.io/documentation/current/recovery/";

/// What a restoring Cluster reads from: (where, server), for evidence and proofs.
pub(super) struct Source<'a> {
    pub recovery: &'a Recovery,
    /// The ObjectStore of a Barman Cloud plugin origin.
    pub store: Option<&'a str>,
    /// The in-tree origin's destinationPath.
    pub destination: Option<&'a str>,
    pub server: Option<String>,
}

impl<'a> Source<'a> {
    pub fn of(c: &'a ClusterRow) -> Option<Source<'a>> {
        let recovery = c.recovery.as_ref()?;
        let origin = recovery.origin.as_ref();
        Some(Source {
            recovery,
            store: recovery.plugin_store(),
            destination: origin
                .and_then(|o| o.barman.as_ref())
                .map(|b| b.destination.as_str()),
            server: recovery.server_name(&c.name),
        })
    }

    /// "ObjectStore minio, server pg-orders" or "s3://…, server pg-orders".
    pub fn describe(&self) -> String {
        let place = match (self.store, self.destination) {
            (Some(s), _) => format!("ObjectStore {s}"),
            (None, Some(d)) => d.to_string(),
            (None, None) => "its source".to_string(),
        };
        match &self.server {
            Some(server) => format!("{place}, server {server}"),
            None => place,
        }
    }

    /// What the bucket proved of this source, when it was read.
    pub fn proof<'f>(&self, f: &'f Facts, ns: &str) -> Option<&'f StoreProof> {
        let server = self.server.as_deref()?;
        f.stores.iter().find(|p| {
            p.namespace == ns
                && p.server_name == server
                && (self.store.is_some_and(|s| !p.in_tree && p.store == s)
                    || self.destination.is_some_and(|d| p.destination == d))
        })
    }
}

/// The line that shows what a Cluster restores from.
pub(super) fn recovery_line(c: &ClusterRow, src: &Source) -> String {
    let r = src.recovery;
    let from = match (&r.backup_name, &r.source) {
        (Some(b), _) => format!("backup.name {b}"),
        (None, Some(s)) => format!("source {s} ({})", src.describe()),
        (None, None) => "no source".to_string(),
    };
    format!(
        "Cluster {}/{} spec.bootstrap.recovery: {from}, target {}",
        c.namespace,
        c.name,
        r.target.describe()
    )
}

/// Where a Cluster archives, as the empty-archive check sees it: (store or destination,
/// server, in-tree).
fn archive_of(c: &ClusterRow) -> Option<(String, String, bool)> {
    if let Some(p) = c.plugin.as_ref().filter(|p| p.enabled) {
        let store = p.object_store.clone()?;
        return Some((store, c.server_name().to_string(), false));
    }
    let a = c.barman_store.as_ref()?;
    Some((
        a.destination.clone(),
        a.server_name.clone().unwrap_or_else(|| c.name.clone()),
        true,
    ))
}

/// RST001: the Cluster archives where WAL already is, so the empty-archive check stops the
/// restore (cloudnative-pg `docs/src/recovery.md`, "Restoring into a Cluster with a Backup
/// Section").
pub(super) fn empty_archive(f: &Facts, c: &ClusterRow, tails: &[&LogTail]) -> Option<Finding> {
    let src = Source::of(c)?;
    let (ns, name) = (&c.namespace, &c.name);
    let logged = said(tails, signs::EMPTY_ARCHIVE);
    let skipped = c
        .annotations
        .get(SKIP_EMPTY_ARCHIVE_CHECK)
        .map(String::as_str)
        == Some("enabled");
    let mut why = Vec::new();
    let archive = archive_of(c);
    if let Some((place, server, in_tree)) = archive.as_ref().filter(|_| !skipped) {
        let same_source = if *in_tree {
            src.destination == Some(place.as_str())
        } else {
            src.store == Some(place.as_str())
        } && src.server.as_deref() == Some(server.as_str());
        // Reading from where it archives only fills that place if the source holds
        // something: a store whose status lists other servers only says it does not.
        let listed_elsewhere = !in_tree
            && f.snapshot.object_stores.in_namespace(ns).iter().any(|s| {
                s.name == *place
                    && !s.servers.is_empty()
                    && !s.servers.iter().any(|w| w.server == *server)
            });
        if same_source && !listed_elsewhere {
            why.push(format!(
                "it restores from and archives to {place}, server {server}"
            ));
        }
        for other in f.snapshot.clusters.in_namespace(ns) {
            if other.name != *name
                && archive_of(other).as_ref() == Some(&(place.clone(), server.clone(), *in_tree))
            {
                why.push(format!(
                    "Cluster {ns}/{} archives to {place}, server {server}",
                    other.name
                ));
            }
        }
        if !in_tree
            && let Some(store) = f
                .snapshot
                .object_stores
                .in_namespace(ns)
                .iter()
                .find(|s| s.name == *place)
            && store.servers.iter().any(|w| w.server == *server)
        {
            why.push(format!(
                "ObjectStore {ns}/{place} status.serverRecoveryWindow lists server {server}"
            ));
        }
        if let Some(facts) = f
            .stores
            .iter()
            .filter(|p| p.namespace == *ns && p.server_name == *server && p.in_tree == *in_tree)
            .filter(|p| {
                if *in_tree {
                    p.destination == *place
                } else {
                    p.store == *place
                }
            })
            .find_map(|p| p.facts())
            .filter(|b| !b.backups.is_empty() || b.newest_wal.is_some())
        {
            why.push(format!(
                "the bucket holds {} base backup(s) and WAL up to {} under server {server}",
                facts.backups.len(),
                facts.newest_wal.as_deref().unwrap_or("none")
            ));
        }
    }
    if logged.is_empty() && why.is_empty() {
        return None;
    }
    let (place, server, in_tree) =
        archive.unwrap_or_else(|| ("its archive".into(), c.server_name().to_string(), false));
    let summary = if logged.is_empty() {
        format!(
            "The restore of Cluster {ns}/{name} will stop at \"Expected empty archive\": it archives to {place}, server {server}, which already holds WAL"
        )
    } else {
        format!(
            "The restore of Cluster {ns}/{name} is stuck: its WAL archive ({place}, server {server}) is not empty (\"Expected empty archive\")"
        )
    };
    let mut evidence = vec![recovery_line(c, &src)];
    evidence.extend(why);
    evidence.extend(logged);
    let field = if in_tree {
        "spec.backup.barmanObjectStore.serverName".to_string()
    } else {
        format!("the serverName parameter of its {PLUGIN_NAME} plugin entry")
    };
    let example = if in_tree {
        format!("spec:\n  backup:\n    barmanObjectStore:\n      serverName: {name}-r1\n")
    } else {
        format!(
            "spec:\n  plugins:\n  - name: {PLUGIN_NAME}\n    isWALArchiver: true\n    parameters:\n      barmanObjectName: {place}\n      serverName: {name}-r1\n"
        )
    };
    Some(finding(
        "RST001",
        Severity::Critical,
        c,
        summary,
        evidence,
        format!(
            "A restored Cluster must start archiving into an empty place, or it would overwrite the archive it (or another Cluster) depends on. Give it a server name the store does not hold ({field}), or leave archiving out until the restore is done. The bootstrap runs once, so delete the recovery Cluster and create it again with, for example:\n{example}kubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>\nThe annotation {SKIP_EMPTY_ARCHIVE_CHECK}: enabled skips the check, but upstream strongly discourages it unless you know PostgreSQL's recovery well: two servers writing one archive can cause severe data loss ({RECOVERY_DOCS})."
        ),
    ))
}

/// A `targetTime` as CloudNativePG takes it: RFC 3339, or PostgreSQL's
/// `2026-11-24 05:00:00.000000+00`; without an offset it is UTC (plugin-barman-cloud
/// issue 699).
pub fn target_time(text: &str) -> Option<(DateTime<Utc>, bool)> {
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some((t.with_timezone(&Utc), true));
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M:%S%.f%#z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some((t.with_timezone(&Utc), true));
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some((t.and_utc(), false));
        }
    }
    None
}

/// RST002: PostgreSQL replays every WAL there is without reaching the target
/// (cozystack PR 3383); or the target is in the future, or after the newest WAL the bucket
/// proves, so it cannot be reached.
pub(super) fn target_beyond(
    f: &Facts,
    c: &ClusterRow,
    now: DateTime<Utc>,
    tails: &[&LogTail],
    recovery_pods: usize,
) -> Option<Finding> {
    let src = Source::of(c)?;
    let (ns, name) = (&c.namespace, &c.name);
    let logged = said(tails, signs::TARGET_NOT_REACHED);
    let target = src.recovery.target.target_time.as_deref();
    let parsed = target.and_then(target_time);
    let mut why = Vec::new();
    if let Some((t, explicit)) = parsed {
        let zone = if explicit {
            ""
        } else {
            " (no offset: read as UTC)"
        };
        if t > now {
            why.push(format!(
                "recoveryTarget.targetTime {}{zone} is in the future (now {})",
                ts(t),
                ts(now)
            ));
        } else if let Some(to) = src
            .proof(f, ns)
            .and_then(|p| p.facts())
            .and_then(|b| b.window.as_ref())
            .and_then(|w| w.to)
            .filter(|to| t > *to)
        {
            why.push(format!(
                "recoveryTarget.targetTime {}{zone} is after the newest WAL the bucket proves ({})",
                ts(t),
                ts(to)
            ));
        }
    }
    if logged.is_empty() && why.is_empty() {
        return None;
    }
    let summary = if logged.is_empty() {
        format!(
            "The restore of Cluster {ns}/{name} cannot reach its target: {}",
            why.first().cloned().unwrap_or_default()
        )
    } else {
        format!(
            "The restore of Cluster {ns}/{name} never converges: recovery ended before the configured target was reached ({recovery_pods} recovery pod(s) so far)"
        )
    };
    let mut evidence = vec![recovery_line(c, &src)];
    evidence.extend(why);
    evidence.extend(logged);
    Some(finding(
        "RST002",
        Severity::Critical,
        c,
        summary,
        evidence,
        format!(
            "PostgreSQL replays every WAL the archive holds, stops short of the target, exits with \"recovery ended before configured recovery target was reached\", and CloudNativePG starts the recovery again, for ever. Choose a target inside the recovery window, with an explicit offset (a time without one is read as UTC), or leave recoveryTarget out to restore to the end of the archive. See the window first:\nkubectl get objectstore {store} -n {ns} -o jsonpath='{{.status.serverRecoveryWindow}}'\nThen delete the recovery Cluster and create it again with the corrected target:\nspec:\n  bootstrap:\n    recovery:\n      recoveryTarget:\n        targetTime: \"<YYYY-MM-DDTHH:MM:SS+00:00, inside the window>\"\nkubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>",
            store = src.store.unwrap_or("<store>")
        ),
    ))
}
