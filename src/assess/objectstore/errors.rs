//! OBJ006-OBJ009: what the store's error messages say (credentials, bucket, region,
//! checksums), read where they surface, still current, one finding per code and store.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::find_store;
use crate::assess::read::{backup_now, condensed_log};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::by_cluster::ByCluster;
use crate::model::domain::CLUSTER_LABEL;
use crate::model::facts::LogTail;
use crate::model::relate::store_of;
use crate::model::rows::{ClusterRow, ObjectStoreRow};

/// Evidence lines kept per finding: enough to prove it without burying the first one.
const MAX_EVIDENCE: usize = 5;

/// Whether a log came from one of the cluster's instance pods. Pods are matched by the
/// label CNPG puts on them; when pods could not be listed, by CNPG's `<cluster>-<n>` names.
pub(in crate::assess) fn is_instance_log(f: &Facts, c: &ClusterRow, log: &LogTail) -> bool {
    if log.namespace != c.namespace {
        return false;
    }
    if f.snapshot.pods.complete() || !f.snapshot.pods.rows.is_empty() {
        f.snapshot
            .pods
            .in_namespace(&c.namespace)
            .iter()
            .any(|p| p.name == log.pod && p.labels.get(CLUSTER_LABEL) == Some(&c.name))
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

/// One place an error was read, and the text read there.
struct Seen {
    label: String,
    text: String,
    /// A log line: shown unpacked, its repeats counted (`read::condensed_log`).
    log: bool,
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
            log: false,
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
                log: false,
            });
        }
    }
    for e in f.events.rows.iter().filter(|e| {
        e.involved_kind == Kind::Backup.name()
            && &e.involved_namespace == ns
            && current.iter().take(3).any(|b| b.name == e.involved_name)
    }) {
        seen.push(Seen {
            label: format!("event Backup {ns}/{} {}", e.involved_name, e.reason),
            text: e.message.clone(),
            log: false,
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
                log: true,
            });
        }
    }
    seen
}

/// The evidence of one error class: lines, log lines by their log, and the clusters they
/// came from.
type Matches = (Vec<String>, BTreeMap<String, Vec<String>>, BTreeSet<String>);

/// OBJ006-OBJ009: one finding per code and store, with the lines that show it.
pub(super) fn store_errors(f: &Facts, out: &mut Outcome) {
    let by_cluster = ByCluster::new(&f.snapshot.backups.rows);
    // (store ns, store name) → code → (evidence, clusters)
    let mut found: BTreeMap<(String, String), BTreeMap<&'static str, Matches>> = BTreeMap::new();
    for c in f.snapshot.clusters.rows.iter() {
        let Some(store) = store_of(c) else {
            continue;
        };
        if find_store(f, &c.namespace, store).is_none() {
            continue;
        }
        for seen in error_texts(f, c, &by_cluster) {
            for code in classify(&seen.text) {
                let entry = found
                    .entry((c.namespace.clone(), store.to_string()))
                    .or_default()
                    .entry(code)
                    .or_default();
                if seen.log {
                    let lines = entry.1.entry(seen.label.clone()).or_default();
                    if !lines.contains(&seen.text) {
                        lines.push(seen.text.clone());
                    }
                } else {
                    let line = format!("{}: {}", seen.label, seen.text);
                    if !entry.0.contains(&line) {
                        entry.0.push(line);
                    }
                }
                entry.2.insert(c.name.clone());
            }
        }
    }
    for ((ns, name), codes) in found {
        let Some(o) = find_store(f, &ns, &name) else {
            continue;
        };
        for class in CLASSES.iter() {
            let Some((mut evidence, logs, clusters)) = codes.get(class.code).cloned() else {
                continue;
            };
            for (label, lines) in &logs {
                let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
                evidence.extend(condensed_log(label, &lines));
            }
            if evidence.len() > MAX_EVIDENCE {
                let more = evidence.len() - MAX_EVIDENCE;
                evidence.truncate(MAX_EVIDENCE);
                evidence.push(format!("… {more} more matching messages"));
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
                            "`kubectl -n {ns} create secret generic {s} {} --dry-run=client -o yaml | kubectl apply -f -`",
                            lits.join(" ")
                        )
                    })
                    .collect();
                format!(
                    "Check the keys the ObjectStore references are the current, rotated credentials with access to \
                     the bucket (key names: `kubectl -n {ns} get secret <name> -o jsonpath='{{.data}}'` piped to \
                     `jq keys`), then re-create the secret with the current values (in Git if it is managed there): {}.",
                    cmds.join("; ")
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
