//! ObjectStores and credentials (OBJ001-OBJ009): does every store a Cluster names exist in
//! its namespace, are the secrets it references there, does its recovery window agree with
//! the backups, and what do the store's own error messages say about credentials, buckets,
//! regions and checksums.
//!
//! The store has no conditions of its own (DOMAIN 1.9), so its errors are read where they
//! surface: Backup status.error, the Cluster's ContinuousArchiving message, Backup events and
//! the instance sidecars' logs.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::PLUGIN_NAME;
use crate::model::facts::LogTail;
use crate::model::rows::{ClusterRow, ObjectStoreRow};
use crate::model::{KindState, SyncState};

const AREA: &str = "objectstore";

/// Evidence lines kept per finding: enough to prove it without burying the first one.
const MAX_EVIDENCE: usize = 5;

/// Why a kind's rows cannot be trusted for a rule, or None when they can. Stale rows are the
/// last known state and still the best evidence there is, so they are evaluated.
pub(super) fn unreadable<R>(k: &KindState<R>, label: &str) -> Option<String> {
    match &k.sync {
        SyncState::Live | SyncState::Stale { .. } => None,
        SyncState::Syncing => Some(format!("{label}: not listed yet")),
        SyncState::Forbidden { verb, .. } => Some(format!("{label}: forbidden ({verb})")),
        SyncState::NotInstalled { what } => Some(format!("{label}: not installed ({what})")),
        SyncState::Error(e) => Some(format!("{label}: {e}")),
    }
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A span as people say it: 27h57m, 46m22s, 30m, 4d3h. Hours up to three days, since
/// backup ages are compared with limits in hours.
pub(super) fn span(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let pair = |a: i64, ua: &str, b: i64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua}{b}{ub}")
        }
    };
    if h >= 72 {
        pair(h / 24, "d", h % 24, "h")
    } else if h > 0 {
        pair(h, "h", m, "m")
    } else if m > 0 {
        pair(m, "m", sec, "s")
    } else {
        format!("{sec}s")
    }
}

pub(super) fn delta(d: std::time::Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// The command that takes a plugin backup now: also the proof that a fix worked.
pub(super) fn backup_now(ns: &str, cluster: &str) -> String {
    format!("kubectl cnpg backup {cluster} -n {ns} --method=plugin --plugin-name={PLUGIN_NAME}")
}

/// Whether a log came from one of the cluster's instance pods. Pods are matched by the
/// label CNPG puts on them; when pods could not be listed, by CNPG's `<cluster>-<n>` names.
fn is_instance_log(f: &Facts, c: &ClusterRow, log: &LogTail) -> bool {
    if log.namespace != c.namespace {
        return false;
    }
    if f.snapshot.pods.sync == SyncState::Live || !f.snapshot.pods.rows.is_empty() {
        f.snapshot
            .pods
            .in_namespace(&c.namespace)
            .iter()
            .any(|p| p.name == log.pod && p.labels.get("cnpg.io/cluster") == Some(&c.name))
    } else {
        log.pod
            .strip_prefix(&format!("{}-", c.name))
            .is_some_and(|n| !n.is_empty() && n.chars().all(|ch| ch.is_ascii_digit()))
    }
}

/// When a log line was written: kubectl's `--timestamps` prefix, else the JSON "ts" field.
fn line_time(line: &str) -> Option<DateTime<Utc>> {
    let parse = |s: &str| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    };
    if let Some(t) = line.split_whitespace().next().and_then(parse) {
        return Some(t);
    }
    let rest = line.split_once("\"ts\":\"")?.1;
    parse(rest.split('"').next()?)
}

/// The error families of FINDINGS.md, in the words the stores and barman-cloud use.
struct ErrorClass {
    code: &'static str,
    severity: Severity,
    what: &'static str,
}

const CLASSES: [ErrorClass; 4] = [
    ErrorClass {
        code: "OBJ006",
        severity: Severity::Critical,
        what: "rejects the credentials",
    },
    ErrorClass {
        code: "OBJ007",
        severity: Severity::Critical,
        what: "has no such bucket or container",
    },
    ErrorClass {
        code: "OBJ008",
        severity: Severity::Warning,
        what: "is in another region than configured",
    },
    ErrorClass {
        code: "OBJ009",
        severity: Severity::Warning,
        what: "fails checksum validation",
    },
];

/// The codes whose error words a text contains.
fn classify(text: &str) -> Vec<&'static str> {
    let lower = text.to_ascii_lowercase();
    let mut out = Vec::new();
    let credentials = [
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "AccessDenied",
        "ExpiredToken",
        "InvalidIdentityToken",
    ];
    // A bare "403" also matches backup names and timestamps (…20261124030000), so only
    // the ways HTTP clients spell the status count.
    let forbidden = [
        "http 403",
        "403 forbidden",
        "(403)",
        "status code: 403",
        "status code 403",
        "statuscode: 403",
        "status: 403",
    ];
    if credentials.iter().any(|w| text.contains(w)) || forbidden.iter().any(|w| lower.contains(w)) {
        out.push("OBJ006");
    }
    if ["NoSuchBucket", "ContainerNotFound"]
        .iter()
        .any(|w| text.contains(w))
    {
        out.push("OBJ007");
    }
    let wrong_region = lower
        .split_once("the region")
        .is_some_and(|(_, rest)| rest.contains("is wrong"));
    if ["AuthorizationHeaderMalformed", "PermanentRedirect"]
        .iter()
        .any(|w| text.contains(w))
        || wrong_region
    {
        out.push("OBJ008");
    }
    if text.contains("Checksum Type mismatch") || lower.contains("x-amz-content-sha256") {
        out.push("OBJ009");
    }
    out
}

pub fn rules(f: &Facts, _now: DateTime<Utc>, _th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let clusters_blocked = unreadable(&s.clusters, "clusters");
    let stores_blocked = unreadable(&s.object_stores, "objectstores");
    let uses_stores = s
        .clusters
        .rows
        .iter()
        .any(|c| c.plugin.as_ref().is_some_and(|p| p.object_store.is_some()));

    if let Some(reason) = &clusters_blocked {
        out.unknown(AREA, reason.clone());
    }
    if let Some(reason) = &stores_blocked {
        // Without the CRD and without a Cluster naming a store there is nothing to check;
        // a Cluster naming one while the CRD is absent is PLG002's finding, not ours.
        let absent_and_unused =
            matches!(s.object_stores.sync, SyncState::NotInstalled { .. }) && !uses_stores;
        if !absent_and_unused {
            out.unknown(AREA, reason.clone());
        }
    }

    if stores_blocked.is_none() {
        secrets_present(f, &mut out);
        failed_after_success(f, &mut out);
        endpoints_reachable(f, &mut out);
        if clusters_blocked.is_none() {
            stores_exist(f, &mut out);
            windows_present(f, &mut out);
            store_errors(f, &mut out);
        }
    }
    out
}

fn store_of<'a>(f: &'a Facts, ns: &str, name: &str) -> Option<&'a ObjectStoreRow> {
    f.snapshot
        .object_stores
        .in_namespace(ns)
        .iter()
        .map(|o| o.as_ref())
        .find(|o| o.name == name)
}

/// Clusters whose plugin entry is in use and names a store.
fn plugin_clusters(f: &Facts) -> impl Iterator<Item = (&ClusterRow, &str)> {
    f.snapshot.clusters.rows.iter().filter_map(|c| {
        let p = c.plugin.as_ref().filter(|p| p.enabled)?;
        Some((c.as_ref(), p.object_store.as_deref()?))
    })
}

/// OBJ001: the plugin reads `{cluster ns}/{barmanObjectName}` and nothing else.
fn stores_exist(f: &Facts, out: &mut Outcome) {
    for (c, store) in plugin_clusters(f) {
        if store_of(f, &c.namespace, store).is_some() {
            continue;
        }
        let (ns, name) = (&c.namespace, &c.name);
        let mut evidence = vec![
            format!(
                "Cluster {ns}/{name} spec.plugins[{PLUGIN_NAME}].parameters.barmanObjectName: {store}"
            ),
            format!("ObjectStore {ns}/{store}: not found"),
        ];
        let elsewhere: Vec<&str> = f
            .snapshot
            .object_stores
            .rows
            .iter()
            .filter(|o| o.name == store)
            .map(|o| o.namespace.as_str())
            .collect();
        if !elsewhere.is_empty() {
            evidence.push(format!(
                "ObjectStore {store} exists in namespace {} (the plugin only reads the Cluster's namespace)",
                elsewhere.join(", ")
            ));
        }
        let here: Vec<&str> = f
            .snapshot
            .object_stores
            .rows
            .iter()
            .filter(|o| &o.namespace == ns)
            .map(|o| o.name.as_str())
            .collect();
        if !here.is_empty() {
            evidence.push(format!("ObjectStores in {ns}: {}", here.join(", ")));
        }
        out.push(Finding {
            code: "OBJ001",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, ns, name),
            summary: format!("Cluster {ns}/{name} names ObjectStore {store}, which does not exist in namespace {ns}"),
            evidence,
            remedy: format!(
                "Create ObjectStore {store} in namespace {ns} (or fix barmanObjectName): until it exists the plugin \
                 requeues the Cluster's reconciliation and nothing is archived. If its manifest is in Git, check that \
                 it was committed (`git check-ignore -v --no-index <path>`, `git ls-files --error-unmatch <path>`) and \
                 is listed by its kustomization.yaml, then `flux reconcile ks <name> --with-source`. \
                 Check: `kubectl -n {ns} get objectstores.barmancloud.cnpg.io`."
            ),
        });
    }
}

/// OBJ002: every `{name, key}` under the credentials and endpointCA must resolve.
fn secrets_present(f: &Facts, out: &mut Outcome) {
    let with_refs = f
        .snapshot
        .object_stores
        .rows
        .iter()
        .any(|o| !o.secret_refs.is_empty());
    if !with_refs {
        return;
    }
    if let Some(reason) = unreadable(&f.secrets, "secrets") {
        out.unknown(AREA, reason);
        return;
    }
    for o in f.snapshot.object_stores.rows.iter() {
        let ns = &o.namespace;
        let mut evidence = Vec::new();
        let mut fixes = Vec::new();
        let mut missing = BTreeSet::new();
        let mut checked = BTreeSet::new();
        for (secret, key) in &o.secret_refs {
            if !checked.insert((secret, key)) {
                continue;
            }
            match f
                .secrets
                .rows
                .iter()
                .find(|s| &s.namespace == ns && &s.name == secret)
            {
                None => {
                    evidence.push(format!(
                        "ObjectStore {ns}/{} references key {key} of secret {secret}; secret {ns}/{secret} is not found",
                        o.name
                    ));
                    fixes.push(format!(
                        "kubectl -n {ns} create secret generic {secret} --from-literal={key}=..."
                    ));
                }
                Some(s) if !s.keys.iter().any(|k| k == key) => {
                    evidence.push(format!(
                        "ObjectStore {ns}/{} references key {key} of secret {secret}; secret {ns}/{secret} has keys [{}]",
                        o.name,
                        s.keys.join(", ")
                    ));
                    fixes.push(format!(
                        "kubectl -n {ns} patch secret {secret} --type=merge -p '{{\"stringData\":{{\"{key}\":\"...\"}}}}'"
                    ));
                }
                Some(_) => continue,
            }
            missing.insert((secret.clone(), key.clone()));
        }
        if evidence.is_empty() {
            continue;
        }
        // The plugin's own words, where a cluster of this store shows them.
        for c in f.snapshot.clusters.rows.iter().filter(|c| {
            &c.namespace == ns
                && c.plugin.as_ref().and_then(|p| p.object_store.as_deref())
                    == Some(o.name.as_str())
        }) {
            if let Some(cond) = c.archiving().filter(|a| !a.is_true())
                && missing
                    .iter()
                    .any(|(secret, _)| cond.message.contains(secret.as_str()))
            {
                evidence.push(format!(
                    "Cluster {ns}/{} condition ContinuousArchiving={}: {}",
                    c.name, cond.status, cond.message
                ));
            }
        }
        let names: Vec<String> = missing.iter().map(|(s, k)| format!("{s}/{k}")).collect();
        out.push(Finding {
            code: "OBJ002",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, ns, &o.name),
            summary: format!("ObjectStore {ns}/{} references missing secret data: {}", o.name, names.join(", ")),
            evidence,
            remedy: format!(
                "Restore the secret data (or fix the reference in the ObjectStore); if the Secret is managed in Git \
                 (SOPS, External Secrets…) fix it there. {}",
                fixes.join(" ; ")
            ),
        });
    }
}

/// OBJ004: the newest backup attempt of a server failed after its newest success.
fn failed_after_success(f: &Facts, out: &mut Outcome) {
    for o in f.snapshot.object_stores.rows.iter() {
        let ns = &o.namespace;
        let failing: Vec<_> = o
            .servers
            .iter()
            .filter_map(|w| {
                let failed = w.last_failure?;
                w.last_success
                    .is_none_or(|ok| failed > ok)
                    .then_some((w, failed))
            })
            .collect();
        if failing.is_empty() {
            continue;
        }
        let evidence: Vec<String> = failing
            .iter()
            .map(|(w, failed)| {
                format!(
                    "ObjectStore {ns}/{} status.serverRecoveryWindow[{}]: lastFailedBackupTime {}, lastSuccessfulBackupTime {}",
                    o.name,
                    w.server,
                    ts(*failed),
                    w.last_success.map(ts).unwrap_or_else(|| "never".into())
                )
            })
            .collect();
        let servers: Vec<&str> = failing.iter().map(|(w, _)| w.server.as_str()).collect();
        let cluster = f
            .snapshot
            .clusters
            .rows
            .iter()
            .find(|c| &c.namespace == ns && servers.contains(&c.server_name()))
            .map(|c| c.name.clone())
            .unwrap_or_else(|| "CLUSTER".into());
        out.push(Finding {
            code: "OBJ004",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, ns, &o.name),
            summary: format!(
                "ObjectStore {ns}/{}: the last backup of server {} failed after the last successful one",
                o.name,
                servers.join(", ")
            ),
            evidence,
            remedy: format!(
                "Find the failed Backup and its error: `kubectl -n {ns} get backups.postgresql.cnpg.io --sort-by=.metadata.creationTimestamp` \
                 then `kubectl -n {ns} describe backup <name>`; fix the cause (see the OBJ/BKP findings of {cluster}) and verify with `{}`.",
                backup_now(ns, &cluster)
            ),
        });
    }
}

/// OBJ003: a used store with no window for the cluster's server name.
fn windows_present(f: &Facts, out: &mut Outcome) {
    let mut per_store: BTreeMap<(String, String), Vec<&ClusterRow>> = BTreeMap::new();
    for (c, store) in plugin_clusters(f) {
        let Some(o) = store_of(f, &c.namespace, store) else {
            continue;
        };
        if o.servers.iter().any(|w| w.server == c.server_name()) {
            continue;
        }
        per_store
            .entry((o.namespace.clone(), o.name.clone()))
            .or_default()
            .push(c);
    }
    for ((ns, name), clusters) in per_store {
        let Some(o) = store_of(f, &ns, &name) else {
            continue;
        };
        let mut evidence = Vec::new();
        let entries: Vec<String> = o
            .servers
            .iter()
            .map(|w| {
                format!(
                    "{} (lastSuccessfulBackupTime {})",
                    w.server,
                    w.last_success.map(ts).unwrap_or_else(|| "none".into())
                )
            })
            .collect();
        let servers: Vec<&str> = clusters.iter().map(|c| c.server_name()).collect();
        for c in &clusters {
            let origin = match c.plugin.as_ref().and_then(|p| p.server_name.as_deref()) {
                Some(_) => "parameters.serverName",
                None => "the Cluster's name; no serverName parameter",
            };
            evidence.push(format!(
                "Cluster {ns}/{} server name: {} ({origin})",
                c.name,
                c.server_name()
            ));
        }
        evidence.push(format!(
            "ObjectStore {ns}/{name} status.serverRecoveryWindow: {}",
            if entries.is_empty() {
                "empty".to_string()
            } else {
                format!("entries {}", entries.join(", "))
            }
        ));
        if let Some(created) = o.created {
            evidence.push(format!(
                "ObjectStore {ns}/{name} metadata.creationTimestamp: {}",
                ts(created)
            ));
        }
        let cluster = clusters
            .first()
            .map(|c| c.name.as_str())
            .unwrap_or("CLUSTER");
        out.push(Finding {
            code: "OBJ003",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::ObjectStore, &ns, &name),
            summary: format!("ObjectStore {ns}/{name} has no recovery window for server {}", servers.join(", ")),
            evidence,
            remedy: format!(
                "Either no backup of this server has succeeded yet, or the serverName differs from the folder the \
                 backups are in. Take one: `{}`; if the bucket holds the backups under another name, set \
                 spec.plugins[{PLUGIN_NAME}].parameters.serverName to it.",
                backup_now(&ns, cluster)
            ),
        });
    }
}

/// OBJ005: only network probes can tell; saved manifests have none.
fn endpoints_reachable(f: &Facts, out: &mut Outcome) {
    if !f.probed {
        return;
    }
    let mut per_store: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for p in &f.endpoints {
        if let Err(e) = &p.result {
            per_store
                .entry((p.namespace.clone(), p.store.clone()))
                .or_default()
                .push(format!("endpoint {}: {e}", p.endpoint));
        }
    }
    for ((ns, name), evidence) in per_store {
        let destination = store_of(f, &ns, &name)
            .map(|o| o.destination.clone())
            .unwrap_or_default();
        out.push(Finding {
            code: "OBJ005",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, &ns, &name),
            summary: format!("ObjectStore {ns}/{name}: the object store endpoint cannot be reached"),
            evidence,
            remedy: format!(
                "Check spec.configuration.endpointURL / destinationPath ({destination}), DNS and the network path \
                 (NetworkPolicies, egress, proxy) from the instance pods. Note: backstop probed from where it runs, \
                 which may see a different network than the pods."
            ),
        });
    }
}

/// One place an error was read, and the text read there.
struct Seen {
    label: String,
    text: String,
}

/// The texts that may carry the store's error for one cluster: still-current ones only,
/// since an error followed by a success has been resolved.
fn error_texts(f: &Facts, c: &ClusterRow, by_cluster: &ByCluster) -> Vec<Seen> {
    let ns = &c.namespace;
    let mut seen = Vec::new();
    let archiving = c.archiving();
    let failing = archiving.is_some_and(|a| a.status == "False");
    if let Some(a) = archiving.filter(|_| failing) {
        seen.push(Seen {
            label: format!(
                "Cluster {ns}/{} condition ContinuousArchiving=False",
                c.name
            ),
            text: a.message.clone(),
        });
    }
    let backups = by_cluster.of(ns, &c.name);
    let newest_ok = backups.iter().position(|b| b.phase == "completed");
    let current = &backups[..newest_ok.unwrap_or(backups.len())];
    for b in current.iter().take(3) {
        if let Some(e) = &b.error {
            seen.push(Seen {
                label: format!("Backup {ns}/{} status.error", b.name),
                text: e.clone(),
            });
        }
    }
    for e in f.events.rows.iter().filter(|e| {
        e.involved_kind == "Backup"
            && &e.involved_namespace == ns
            && current.iter().take(3).any(|b| b.name == e.involved_name)
    }) {
        seen.push(Seen {
            label: format!("event Backup {ns}/{} {}", e.involved_name, e.reason),
            text: e.message.clone(),
        });
    }
    // Lines older than the last proof that the path works (a completed backup, archiving
    // turning healthy) describe an error that is gone; while archiving fails, all count.
    let last_ok = backups
        .iter()
        .filter(|b| b.phase == "completed")
        .filter_map(|b| b.stopped.or(b.when()))
        .max();
    let archiving_ok = archiving.filter(|a| a.is_true()).and_then(|a| a.since);
    let cutoff = if failing {
        None
    } else {
        last_ok.max(archiving_ok)
    };
    for log in f.logs.iter().filter(|l| is_instance_log(f, c, l)) {
        let Ok(lines) = &log.lines else { continue };
        // Newest first: the evidence cap keeps the most recent lines.
        for line in lines.iter().rev() {
            if cutoff.is_some_and(|cut| line_time(line).is_some_and(|t| t < cut)) {
                continue;
            }
            seen.push(Seen {
                label: format!("log {}/{} ({})", log.namespace, log.pod, log.container),
                text: line.clone(),
            });
        }
    }
    seen
}

/// The evidence lines of one error class, and the clusters they came from.
type Matches = (Vec<String>, BTreeSet<String>);

/// OBJ006-OBJ009: one finding per code and store, with the lines that show it.
fn store_errors(f: &Facts, out: &mut Outcome) {
    let by_cluster = ByCluster::new(&f.snapshot.backups.rows);
    // (store ns, store name) → code → (evidence, clusters)
    let mut found: BTreeMap<(String, String), BTreeMap<&'static str, Matches>> = BTreeMap::new();
    for c in f.snapshot.clusters.rows.iter() {
        let Some(store) = c.plugin.as_ref().and_then(|p| p.object_store.as_deref()) else {
            continue;
        };
        if store_of(f, &c.namespace, store).is_none() {
            continue;
        }
        for seen in error_texts(f, c, &by_cluster) {
            for code in classify(&seen.text) {
                let entry = found
                    .entry((c.namespace.clone(), store.to_string()))
                    .or_default()
                    .entry(code)
                    .or_default();
                let line = format!("{}: {}", seen.label, seen.text);
                if !entry.0.contains(&line) {
                    entry.0.push(line);
                }
                entry.1.insert(c.name.clone());
            }
        }
    }
    for ((ns, name), codes) in found {
        let Some(o) = store_of(f, &ns, &name) else {
            continue;
        };
        for class in CLASSES.iter() {
            let Some((mut evidence, clusters)) = codes.get(class.code).cloned() else {
                continue;
            };
            if evidence.len() > MAX_EVIDENCE {
                let more = evidence.len() - MAX_EVIDENCE;
                evidence.truncate(MAX_EVIDENCE);
                evidence.push(format!("… {more} more matching lines"));
            }
            let cluster = clusters
                .iter()
                .next()
                .cloned()
                .unwrap_or_else(|| "CLUSTER".into());
            let clusters: Vec<String> = clusters.into_iter().collect();
            out.push(Finding {
                code: class.code,
                severity: class.severity,
                object: ObjectRef::new(Kind::ObjectStore, &ns, &name),
                summary: format!(
                    "ObjectStore {ns}/{name} {} (seen by Cluster {})",
                    class.what,
                    clusters.join(", ")
                ),
                evidence,
                remedy: error_remedy(class.code, o, &cluster),
            });
        }
    }
}

fn error_remedy(code: &str, o: &ObjectStoreRow, cluster: &str) -> String {
    let ns = &o.namespace;
    let verify = format!("Verify with `{}`.", backup_now(ns, cluster));
    match code {
        "OBJ006" => {
            let mut secrets: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
            for (s, k) in &o.secret_refs {
                secrets.entry(s.as_str()).or_default().push(k.as_str());
            }
            let fix = if secrets.is_empty() {
                "The store uses the pod's identity (no secret references): check the role annotation in the \
                 Cluster's spec.serviceAccountTemplate, the cloud role's trust policy (OIDC provider) and its \
                 bucket permissions."
                    .to_string()
            } else {
                let cmds: Vec<String> = secrets
                    .iter()
                    .map(|(s, keys)| {
                        let lits: Vec<String> = keys.iter().map(|k| format!("--from-literal={k}=...")).collect();
                        format!(
                            "kubectl -n {ns} create secret generic {s} {} --dry-run=client -o yaml | kubectl apply -f -",
                            lits.join(" ")
                        )
                    })
                    .collect();
                format!(
                    "Check the keys the ObjectStore references are the current, rotated credentials with access to \
                     the bucket (key names: `kubectl -n {ns} get secret <name> -o jsonpath='{{.data}}'` piped to \
                     `jq keys`), then re-create the secret with the current values (in Git if it is managed there): {}",
                    cmds.join(" ; ")
                )
            };
            format!(
                "{fix} CNPG manages the instance pods, so no `kubectl rollout restart`. {verify}"
            )
        }
        "OBJ007" => format!(
            "The bucket or container in spec.configuration.destinationPath ({}) does not exist: create it, or fix \
             the path with `kubectl -n {ns} edit objectstore {}` (in Git if it is managed there). {verify}",
            o.destination, o.name
        ),
        "OBJ008" => format!(
            "The bucket lives in another region than the one configured: set the region key of \
             spec.configuration.s3Credentials (the secret it names) to the bucket's region, or set \
             spec.configuration.endpointURL to the regional endpoint (`kubectl -n {ns} edit objectstore {}`). {verify}",
            o.name
        ),
        _ => format!(
            "boto3 1.36+ sends checksums that this S3-compatible store rejects: set AWS_REQUEST_CHECKSUM_CALCULATION \
             and AWS_RESPONSE_CHECKSUM_VALIDATION to when_required in spec.instanceSidecarConfiguration.env: \
             `kubectl -n {ns} patch objectstore {} --type=merge -p '{{\"spec\":{{\"instanceSidecarConfiguration\":{{\"env\":[\
             {{\"name\":\"AWS_REQUEST_CHECKSUM_CALCULATION\",\"value\":\"when_required\"}},\
             {{\"name\":\"AWS_RESPONSE_CHECKSUM_VALIDATION\",\"value\":\"when_required\"}}]}}}}}}'` \
             (a merge patch replaces the env list: keep any other entries). The sidecar gets its env when the pod \
             starts: if the pods do not roll by themselves, `kubectl cnpg restart {cluster} -n {ns}`. {verify}",
            o.name
        ),
    }
}

#[cfg(test)]
mod tests {

    use chrono::{DateTime, TimeDelta, Utc};

    use super::super::{Facts, Finding, Severity, Thresholds};
    use super::rules;
    use crate::assess::testing::{live, state};
    use crate::model::SyncState;
    use crate::model::facts::{EndpointProbe, LogTail};
    use crate::model::rows::{
        BackupRow, ClusterRow, Condition, ObjectStoreRow, PluginRef, PodRow, SecretRow,
        ServerWindow,
    };

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")
            .expect("a valid time")
            .with_timezone(&Utc)
    }

    fn ago(hours: i64, minutes: i64) -> DateTime<Utc> {
        now() - TimeDelta::hours(hours) - TimeDelta::minutes(minutes)
    }

    fn cluster(ns: &str, name: &str, store: &str) -> ClusterRow {
        ClusterRow {
            namespace: ns.into(),
            name: name.into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some(store.into()),
                server_name: None,
            }),
            primary: Some(format!("{name}-1")),
            conditions: vec![Condition {
                kind: "ContinuousArchiving".into(),
                status: "True".into(),
                reason: "ContinuousArchivingSuccess".into(),
                message: "Continuous archiving is working".into(),
                since: Some(ago(24 * 30, 0)),
            }],
            created: Some(ago(24 * 200, 0)),
            ..Default::default()
        }
    }

    fn window(
        server: &str,
        ok: Option<DateTime<Utc>>,
        failed: Option<DateTime<Utc>>,
    ) -> ServerWindow {
        ServerWindow {
            server: server.into(),
            first_point: Some(ago(24 * 30, 0)),
            last_success: ok,
            last_failure: failed,
        }
    }

    fn store(ns: &str, name: &str, servers: Vec<ServerWindow>) -> ObjectStoreRow {
        ObjectStoreRow {
            namespace: ns.into(),
            name: name.into(),
            destination: "s3://backups/orders/".into(),
            provider: "S3".into(),
            servers,
            secret_refs: vec![
                ("creds".into(), "ACCESS_KEY_ID".into()),
                ("creds".into(), "ACCESS_SECRET_KEY".into()),
            ],
            created: Some(ago(24 * 200, 0)),
            ..Default::default()
        }
    }

    fn secret(ns: &str, name: &str, keys: &[&str]) -> SecretRow {
        SecretRow {
            namespace: ns.into(),
            name: name.into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
        }
    }

    fn backup(name: &str, phase: &str, created: DateTime<Utc>, error: Option<&str>) -> BackupRow {
        BackupRow {
            namespace: "orders".into(),
            name: name.into(),
            cluster: "pg-orders".into(),
            method: "plugin".into(),
            phase: phase.into(),
            error: error.map(str::to_string),
            started: Some(created + TimeDelta::seconds(5)),
            stopped: (phase == "completed").then_some(created + TimeDelta::minutes(4)),
            created: Some(created),
            pod: Some("pg-orders-2".into()),
            ..Default::default()
        }
    }

    fn pod(ns: &str, name: &str, cluster: &str) -> PodRow {
        PodRow {
            namespace: ns.into(),
            name: name.into(),
            labels: [("cnpg.io/cluster".to_string(), cluster.to_string())]
                .into_iter()
                .collect(),
            ..Default::default()
        }
    }

    fn log(ns: &str, pod: &str, lines: &[&str]) -> LogTail {
        LogTail {
            namespace: ns.into(),
            pod: pod.into(),
            container: "plugin-barman-cloud".into(),
            lines: Ok(lines.iter().map(|l| l.to_string()).collect()),
        }
    }

    /// pg-orders in orders, with its store, secret and pods, all healthy.
    fn healthy() -> Facts {
        let mut f = Facts::default();
        f.snapshot.clusters = live(vec![cluster("orders", "pg-orders", "pg-orders-s3")]);
        f.snapshot.object_stores = live(vec![store(
            "orders",
            "pg-orders-s3",
            vec![window("pg-orders", Some(ago(4, 0)), None)],
        )]);
        f.snapshot.backups = live(vec![backup(
            "pg-orders-daily-20261124020000",
            "completed",
            ago(4, 0),
            None,
        )]);
        f.snapshot.pods = live(vec![
            pod("orders", "pg-orders-1", "pg-orders"),
            pod("orders", "pg-orders-2", "pg-orders"),
        ]);
        f.secrets = live(vec![secret(
            "orders",
            "creds",
            &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"],
        )]);
        f.events = live(vec![]);
        f
    }

    fn run(f: &Facts) -> super::Outcome {
        rules(f, now(), &Thresholds::default())
    }

    fn only<'a>(out: &'a super::Outcome, code: &str) -> &'a Finding {
        let found: Vec<&Finding> = out.findings.iter().filter(|x| x.code == code).collect();
        assert_eq!(found.len(), 1, "one {code} expected in {:#?}", out.findings);
        found[0]
    }

    fn codes(out: &super::Outcome) -> Vec<&'static str> {
        out.findings.iter().map(|x| x.code).collect()
    }

    const SIG: &str = "rpc error: code = Unknown desc = unexpected failure invoking barman-cloud-backup: exit status 4: ERROR: Barman cloud backup exception: An error occurred (SignatureDoesNotMatch) when calling the CreateMultipartUpload operation";

    #[test]
    fn healthy_facts_give_nothing() {
        let out = run(&healthy());
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert!(out.unknown.is_empty(), "{:?}", out.unknown);
    }

    #[test]
    fn obj001_a_named_store_missing_from_the_cluster_namespace() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![store("backups", "pg-orders-s3", vec![])]);
        let out = run(&f);
        let x = only(&out, "OBJ001");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(
            (
                x.object.kind.name(),
                x.object.namespace.as_str(),
                x.object.name.as_str()
            ),
            ("Cluster", "orders", "pg-orders")
        );
        assert!(x.summary.contains("pg-orders-s3"));
        assert!(
            x.evidence
                .iter()
                .any(|e| e == "ObjectStore orders/pg-orders-s3: not found")
        );
        assert!(
            x.evidence
                .iter()
                .any(|e| e.contains("exists in namespace backups"))
        );
    }

    #[test]
    fn obj001_near_miss_the_store_is_there() {
        assert!(!codes(&run(&healthy())).contains(&"OBJ001"));
    }

    #[test]
    fn obj002_a_missing_key_and_a_missing_secret() {
        let mut f = healthy();
        f.secrets = live(vec![secret("orders", "creds", &["ACCESS_KEY_ID"])]);
        let out = run(&f);
        let x = only(&out, "OBJ002");
        assert_eq!(
            (x.object.kind.name(), x.object.name.as_str()),
            ("ObjectStore", "pg-orders-s3")
        );
        assert_eq!(
            x.evidence,
            vec![
                "ObjectStore orders/pg-orders-s3 references key ACCESS_SECRET_KEY of secret creds; secret orders/creds has keys [ACCESS_KEY_ID]"
            ]
        );
        assert!(
            x.remedy
                .contains("kubectl -n orders patch secret creds --type=merge")
        );

        f.secrets = live(vec![secret(
            "other",
            "creds",
            &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"],
        )]);
        let out = run(&f);
        let x = only(&out, "OBJ002");
        assert_eq!(x.evidence.len(), 2);
        assert!(x.remedy.contains(
            "kubectl -n orders create secret generic creds --from-literal=ACCESS_KEY_ID=..."
        ));
    }

    #[test]
    fn obj002_near_miss_every_key_present() {
        let mut f = healthy();
        f.secrets = live(vec![secret(
            "orders",
            "creds",
            &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "REGION"],
        )]);
        assert!(!codes(&run(&f)).contains(&"OBJ002"));
    }

    #[test]
    fn obj002_unknown_when_secrets_cannot_be_listed() {
        let mut f = healthy();
        f.secrets = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: "secrets".into(),
        });
        let out = run(&f);
        assert!(!codes(&out).contains(&"OBJ002"));
        assert_eq!(out.unknown.len(), 1);
        assert_eq!(
            (out.unknown[0].area, out.unknown[0].reason.as_str()),
            ("objectstore", "secrets: forbidden (list)")
        );
    }

    #[test]
    fn obj003_server_name_mismatch() {
        let mut f = healthy();
        let mut c = cluster("orders", "pg-orders", "pg-orders-s3");
        if let Some(p) = c.plugin.as_mut() {
            p.server_name = Some("pg-orders-v2".into());
        }
        f.snapshot.clusters = live(vec![c]);
        let out = run(&f);
        let x = only(&out, "OBJ003");
        assert_eq!(x.severity, Severity::Warning);
        assert_eq!(x.object.name, "pg-orders-s3");
        assert!(x.summary.contains("pg-orders-v2"));
        assert!(x.evidence.iter().any(|e| {
            e.contains("entries pg-orders (lastSuccessfulBackupTime 2026-11-24T02:00:00Z)")
        }));
    }

    #[test]
    fn obj003_near_miss_the_cluster_name_is_the_server_name() {
        assert!(!codes(&run(&healthy())).contains(&"OBJ003"));
    }

    #[test]
    fn obj004_failure_newer_than_success() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![store(
            "orders",
            "pg-orders-s3",
            vec![window("pg-orders", Some(ago(28, 0)), Some(ago(4, 0)))],
        )]);
        let out = run(&f);
        let x = only(&out, "OBJ004");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(
            x.evidence,
            vec![
                "ObjectStore orders/pg-orders-s3 status.serverRecoveryWindow[pg-orders]: lastFailedBackupTime 2026-11-24T02:00:00Z, lastSuccessfulBackupTime 2026-11-23T02:00:00Z"
            ]
        );
        assert!(
            x.remedy
                .contains("kubectl cnpg backup pg-orders -n orders --method=plugin")
        );
    }

    #[test]
    fn obj004_near_miss_failure_older_than_success() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![store(
            "orders",
            "pg-orders-s3",
            vec![window("pg-orders", Some(ago(4, 0)), Some(ago(28, 0)))],
        )]);
        assert!(!codes(&run(&f)).contains(&"OBJ004"));
    }

    fn probe(result: Result<(), String>) -> EndpointProbe {
        EndpointProbe {
            namespace: "orders".into(),
            store: "pg-orders-s3".into(),
            endpoint: "minio.storage:9000".into(),
            result,
        }
    }

    #[test]
    fn obj005_a_probe_failed() {
        let mut f = healthy();
        f.probed = true;
        f.endpoints = vec![probe(Err("does not resolve: no such host".into()))];
        let out = run(&f);
        let x = only(&out, "OBJ005");
        assert_eq!(x.object.name, "pg-orders-s3");
        assert_eq!(
            x.evidence,
            vec!["endpoint minio.storage:9000: does not resolve: no such host"]
        );
    }

    #[test]
    fn obj005_near_miss_not_probed_or_probe_ok() {
        let mut f = healthy();
        f.probed = false;
        f.endpoints = vec![probe(Err("refuses connections".into()))];
        let out = run(&f);
        assert!(out.findings.is_empty() && out.unknown.is_empty());
        f.probed = true;
        f.endpoints = vec![probe(Ok(()))];
        assert!(!codes(&run(&f)).contains(&"OBJ005"));
    }

    #[test]
    fn obj006_credentials_rejected_in_backup_error_and_sidecar_log() {
        let mut f = healthy();
        f.snapshot.backups = live(vec![
            backup(
                "pg-orders-daily-20261123020000",
                "completed",
                ago(28, 0),
                None,
            ),
            backup(
                "pg-orders-daily-20261124020000",
                "failed",
                ago(4, 0),
                Some(SIG),
            ),
        ]);
        f.logs = vec![log(
            "orders",
            "pg-orders-1",
            &[
                r#"{"level":"info","ts":"2026-11-24T05:59:27.820217660Z","msg":"ERROR: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"}"#,
            ],
        )];
        let out = run(&f);
        let x = only(&out, "OBJ006");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(
            (x.object.kind.name(), x.object.name.as_str()),
            ("ObjectStore", "pg-orders-s3")
        );
        assert_eq!(
            x.evidence[0],
            format!("Backup orders/pg-orders-daily-20261124020000 status.error: {SIG}")
        );
        assert!(x.evidence[1].starts_with("log orders/pg-orders-1 (plugin-barman-cloud): {"));
        assert!(x.remedy.contains(
            "kubectl -n orders create secret generic creds --from-literal=ACCESS_KEY_ID=..."
        ));
        assert!(x.remedy.contains("kubectl cnpg backup pg-orders -n orders --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io"));
    }

    #[test]
    fn obj006_near_miss_resolved_errors_other_clusters_and_403_in_names() {
        let mut f = healthy();
        // A failure that a later backup superseded.
        f.snapshot.backups = live(vec![
            backup(
                "pg-orders-daily-20261123020000",
                "failed",
                ago(28, 0),
                Some(SIG),
            ),
            backup(
                "pg-orders-daily-20261124030000",
                "completed",
                ago(3, 0),
                None,
            ),
        ]);
        f.logs = vec![
            // Before the last completed backup: resolved.
            log(
                "orders",
                "pg-orders-2",
                &["2026-11-23T02:00:07Z ERROR (InvalidAccessKeyId) on upload"],
            ),
            // Another cluster's pod in the same namespace.
            log(
                "orders",
                "pg-other-1",
                &["2026-11-24T05:00:00Z ERROR (InvalidAccessKeyId) on upload"],
            ),
            // 403 inside a backup name, not an HTTP status.
            log(
                "orders",
                "pg-orders-1",
                &[r#"{"msg":"Starting backup","backupName":"pg-orders-daily-20261124030000"}"#],
            ),
        ];
        f.snapshot.pods = live(vec![
            pod("orders", "pg-orders-1", "pg-orders"),
            pod("orders", "pg-orders-2", "pg-orders"),
            pod("orders", "pg-other-1", "pg-other"),
        ]);
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
    }

    #[test]
    fn obj006_http_403_spelled_by_the_client() {
        let mut f = healthy();
        f.logs = vec![log(
            "orders",
            "pg-orders-1",
            &[
                "2026-11-24T05:00:00Z botocore: An error occurred (403) when calling the HeadObject operation: Forbidden",
            ],
        )];
        f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
        assert_eq!(codes(&run(&f)), vec!["OBJ006"]);
    }

    #[test]
    fn logs_match_instance_names_when_pods_cannot_be_listed() {
        let mut f = healthy();
        f.snapshot.pods = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: "pods".into(),
        });
        f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
        let line = "2026-11-24T05:00:00Z ERROR (InvalidAccessKeyId) on upload";
        f.logs = vec![
            log("orders", "pg-orders-3", &[line]),
            log("orders", "pg-orders-pooler-x", &[line]),
        ];
        let out = run(&f);
        let x = only(&out, "OBJ006");
        assert_eq!(
            x.evidence,
            vec![format!(
                "log orders/pg-orders-3 (plugin-barman-cloud): {line}"
            )]
        );
    }

    fn archiving_failing(message: &str) -> ClusterRow {
        let mut c = cluster("orders", "pg-orders", "pg-orders-s3");
        c.conditions = vec![Condition {
            kind: "ContinuousArchiving".into(),
            status: "False".into(),
            reason: "ContinuousArchivingFailing".into(),
            message: message.into(),
            since: Some(ago(8, 0)),
        }];
        c
    }

    #[test]
    fn obj007_no_such_bucket_in_the_archiving_condition() {
        let mut f = healthy();
        let msg = "rpc error: code = Unknown desc = barman-cloud-wal-archive: An error occurred (NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist";
        f.snapshot.clusters = live(vec![archiving_failing(msg)]);
        let out = run(&f);
        let x = only(&out, "OBJ007");
        assert_eq!(x.severity, Severity::Critical);
        assert_eq!(
            x.evidence,
            vec![format!(
                "Cluster orders/pg-orders condition ContinuousArchiving=False: {msg}"
            )]
        );
        assert!(x.remedy.contains("s3://backups/orders/"));
    }

    #[test]
    fn obj007_near_miss_the_condition_is_true_again() {
        let mut f = healthy();
        let mut c = archiving_failing("An error occurred (NoSuchBucket)");
        c.conditions[0].status = "True".into();
        f.snapshot.clusters = live(vec![c]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn obj008_region_is_wrong() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![archiving_failing(
            "An error occurred (AuthorizationHeaderMalformed): The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
        )]);
        let out = run(&f);
        let x = only(&out, "OBJ008");
        assert_eq!(x.severity, Severity::Warning);
        let mut f = healthy();
        f.snapshot.clusters = live(vec![archiving_failing(
            "the region 'us-east-1' is wrong; expecting 'eu-central-1'",
        )]);
        assert_eq!(codes(&run(&f)), vec!["OBJ008"]);
    }

    #[test]
    fn obj008_near_miss_a_region_mentioned_without_error() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![archiving_failing(
            "exit status 4 while uploading to the region eu-central-1",
        )]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn obj009_checksum_mismatch_in_the_sidecar_log() {
        let mut f = healthy();
        f.logs = vec![log(
            "orders",
            "pg-orders-1",
            &[
                "2026-11-24T05:00:00Z ERROR: An error occurred (InvalidArgument): x-amz-content-sha256 must be UNSIGNED-PAYLOAD",
            ],
        )];
        f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
        let out = run(&f);
        let x = only(&out, "OBJ009");
        assert_eq!(x.severity, Severity::Warning);
        assert!(
            x.remedy
                .contains("kubectl -n orders patch objectstore pg-orders-s3 --type=merge -p")
        );
        assert!(
            x.remedy
                .contains(r#"{"name":"AWS_REQUEST_CHECKSUM_CALCULATION","value":"when_required"}"#)
        );
        assert!(
            x.remedy
                .contains(r#"{"name":"AWS_RESPONSE_CHECKSUM_VALIDATION","value":"when_required"}"#)
        );
    }

    #[test]
    fn obj009_near_miss_an_old_line_before_the_last_completed_backup() {
        let mut f = healthy();
        f.logs = vec![log(
            "orders",
            "pg-orders-1",
            &["2026-11-23T05:00:00Z ERROR: Checksum Type mismatch"],
        )];
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn store_errors_keep_five_evidence_lines_newest_first() {
        let mut f = healthy();
        let lines: Vec<String> = (0..12)
            .map(|i| format!("2026-11-24T05:{i:02}:00Z ERROR (ExpiredToken) #{i}"))
            .collect();
        let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
        f.logs = vec![log("orders", "pg-orders-1", &refs)];
        f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
        let out = run(&f);
        let x = only(&out, "OBJ006");
        assert_eq!(x.evidence.len(), 6);
        assert!(x.evidence[0].ends_with("#11"));
        assert_eq!(x.evidence[5], "… 7 more matching lines");
    }

    #[test]
    fn unknown_when_clusters_cannot_be_read() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![]);
        f.snapshot.clusters = state(SyncState::Error(
            "the server is currently unable to handle the request".into(),
        ));
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(
            out.unknown[0].reason,
            "clusters: the server is currently unable to handle the request"
        );
    }

    #[test]
    fn unknown_when_object_stores_cannot_be_read() {
        let mut f = healthy();
        f.snapshot.object_stores = state(SyncState::Syncing);
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(out.unknown[0].reason, "objectstores: not listed yet");
        f.snapshot.object_stores = state(SyncState::NotInstalled {
            what: "objectstores.barmancloud.cnpg.io".into(),
        });
        let out = run(&f);
        assert!(out.findings.is_empty(), "absence is PLG002's finding");
        assert_eq!(
            out.unknown[0].reason,
            "objectstores: not installed (objectstores.barmancloud.cnpg.io)"
        );
    }

    #[test]
    fn nothing_to_say_without_the_crd_and_without_users() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            namespace: "orders".into(),
            name: "pg".into(),
            ..Default::default()
        }]);
        f.snapshot.object_stores = state(SyncState::NotInstalled {
            what: "objectstores.barmancloud.cnpg.io".into(),
        });
        let out = run(&f);
        assert!(out.findings.is_empty() && out.unknown.is_empty());
    }

    #[tokio::test]
    async fn builtin_scenarios_give_exactly_their_expected_obj_codes() -> anyhow::Result<()> {
        let now = DateTime::parse_from_rfc3339("2026-11-24T06:00:00Z")?.with_timezone(&Utc);
        for name in crate::sim::scenario::builtin_names() {
            let f = crate::checks::facts_from_scenario(name, now).await?;
            let out = rules(&f, now, &Thresholds::default());
            let got: std::collections::BTreeSet<&str> =
                out.findings.iter().map(|x| x.code).collect();
            let scenario = crate::sim::scenario::load(name, now)?;
            let want: std::collections::BTreeSet<&str> = scenario
                .expect
                .iter()
                .map(String::as_str)
                .filter(|c| c.starts_with("OBJ"))
                .collect();
            assert_eq!(got, want, "scenario {name}: {:#?}", out.findings);
            assert!(out.unknown.is_empty(), "scenario {name}: {:?}", out.unknown);
        }
        Ok(())
    }
}
