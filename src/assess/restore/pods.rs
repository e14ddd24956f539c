//! What the recovery pods themselves show: RST005 (a container killed for memory) and
//! RST006 (the restore failing again and again, as on a bad backup).

use super::signs::{self, said};
use super::spec::{Source, recovery_line};
use super::{BOOTSTRAP_INSTANCE, FULL_RECOVERY, Facts, Finding, JOB_ROLE_LABEL, Severity, finding};
use crate::model::domain::SIDECAR;
use crate::model::facts::LogTail;
use crate::model::kubefmt::ts;
use crate::model::relate::store_of;
use crate::model::rows::{ClusterRow, PodRow};

const OOM: &str = "OOMKilled";

fn pod_line(p: &PodRow) -> String {
    let mut s = format!(
        "pod {}/{} {} (phase {}, {} restart(s))",
        p.namespace, p.name, p.status, p.phase, p.restarts
    );
    if let Some(created) = p.created {
        s.push_str(&format!(", created {}", ts(created)));
    }
    s
}

/// RST005: the restore sidecar, or the recovery container, was OOMKilled (siutsin/otaru
/// PR 2728: the restore needs more memory than archiving).
pub(super) fn oom(c: &ClusterRow, pods: &[&PodRow]) -> Option<Finding> {
    let (ns, name) = (&c.namespace, &c.name);
    let sidecar_oom: Vec<&PodRow> = pods
        .iter()
        .copied()
        .filter(|p| {
            p.containers
                .iter()
                .any(|k| k.name == SIDECAR && k.last_reason.as_deref() == Some(OOM))
        })
        .collect();
    let main_oom: Vec<&PodRow> = pods
        .iter()
        .copied()
        .filter(|p| {
            p.status.ends_with(OOM)
                || p.containers.iter().any(|k| {
                    (k.name == FULL_RECOVERY || k.name == BOOTSTRAP_INSTANCE)
                        && k.last_reason.as_deref() == Some(OOM)
                })
        })
        .collect();
    if sidecar_oom.is_empty() && main_oom.is_empty() {
        return None;
    }
    let src = Source::of(c)?;
    let mut evidence = vec![recovery_line(c, &src)];
    for p in sidecar_oom.iter().take(3) {
        evidence.push(format!(
            "{}: container {SIDECAR} last terminated OOMKilled",
            pod_line(p)
        ));
    }
    for p in main_oom.iter().take(3) {
        evidence.push(format!(
            "{}: the recovery container was OOMKilled",
            pod_line(p)
        ));
    }
    let store = src
        .store
        .or_else(|| store_of(c))
        .unwrap_or("<the recovery ObjectStore>");
    let (summary, remedy) = if !sidecar_oom.is_empty() {
        (
            format!(
                "The restore of Cluster {ns}/{name} fails: its {SIDECAR} restore sidecar was OOMKilled"
            ),
            format!(
                "The plugin gives the restore sidecar the resources of the recovery ObjectStore's spec.instanceSidecarConfiguration, set when the recovery Job (or pod) is created; downloading and decompressing a base backup needs more memory than archiving. Raise them on {store} (in Git where it is delivered from):\nkubectl patch objectstore {store} -n {ns} --type=merge -p '{{\"spec\":{{\"instanceSidecarConfiguration\":{{\"resources\":{{\"requests\":{{\"memory\":\"512Mi\"}},\"limits\":{{\"memory\":\"2Gi\"}}}}}}}}}}'\nThen delete the recovery Cluster and create it again, so that the new recovery pod gets them:\nkubectl delete cluster {name} -n {ns}\nkubectl apply -f <the recovery Cluster's manifest>"
            ),
        )
    } else {
        (
            format!(
                "The restore of Cluster {ns}/{name} fails: its recovery container was OOMKilled"
            ),
            format!(
                "The recovery container runs with the Cluster's spec.resources. Raise its memory, then delete the recovery Cluster and create it again:\nspec:\n  resources:\n    requests:\n      memory: 1Gi\n    limits:\n      memory: 2Gi\nkubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>"
            ),
        )
    };
    Some(finding(
        "RST005",
        Severity::Critical,
        c,
        summary,
        evidence,
        remedy,
    ))
}

/// RST006: the restore fails again and again: two or more failed recovery Job pods, the
/// Job's `BackoffLimitExceeded`, the operator's "Instance creation failed" phase reason,
/// or the bootstrap init container in CrashLoopBackOff. With no more specific cause
/// found, the backup is the suspect (cloudnative-pg issue 11475).
pub(super) fn retried(
    f: &Facts,
    c: &ClusterRow,
    pods: &[&PodRow],
    tails: &[&LogTail],
) -> Option<Finding> {
    let (ns, name) = (&c.namespace, &c.name);
    let failed: Vec<&PodRow> = pods
        .iter()
        .copied()
        .filter(|p| p.labels.get(JOB_ROLE_LABEL).map(String::as_str) == Some(FULL_RECOVERY))
        .filter(|p| p.phase == "Failed")
        .collect();
    let looping: Vec<&PodRow> = pods
        .iter()
        .copied()
        .filter(|p| {
            p.status.starts_with("Init:")
                && (p.status.contains("CrashLoopBackOff") || p.status.contains("Error"))
        })
        .collect();
    let backoff: Vec<String> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.involved_kind == "Job"
                && e.involved_namespace == *ns
                && e.involved_name.starts_with(&format!("{name}-"))
                && e.involved_name.ends_with(&format!("-{FULL_RECOVERY}"))
                && e.reason == "BackoffLimitExceeded"
        })
        .map(|e| {
            format!(
                "event Warning {} on Job {ns}/{}: {}",
                e.reason, e.involved_name, e.message
            )
        })
        .collect();
    let reason = c
        .phase_reason
        .as_deref()
        .filter(|r| r.contains("Instance creation failed") && r.contains(FULL_RECOVERY));
    if failed.len() < 2 && looping.is_empty() && backoff.is_empty() && reason.is_none() {
        return None;
    }
    let src = Source::of(c)?;
    let mut evidence = vec![recovery_line(c, &src)];
    evidence.extend(failed.iter().take(3).map(|p| pod_line(p)));
    evidence.extend(looping.iter().take(2).map(|p| pod_line(p)));
    evidence.extend(backoff.into_iter().take(2));
    if let Some(r) = reason {
        evidence.push(format!("Cluster {ns}/{name} status.phaseReason: {r}"));
    }
    evidence.extend(said(tails, signs::BAD_BACKUP));
    let store = src.store.unwrap_or("<store>");
    let pinned = src.recovery.target.backup_id.as_deref();
    let attempts = failed.len().max(1);
    Some(finding(
        "RST006",
        Severity::Critical,
        c,
        format!(
            "The restore of Cluster {ns}/{name} fails again and again ({attempts} failed recovery attempt(s){}): the backup it restores is the suspect",
            pinned.map(|b| format!(", backup {b}")).unwrap_or_default()
        ),
        evidence,
        format!(
            "CloudNativePG retries a failing recovery until the Job's backoff limit, then gives up; nothing changes between attempts (cloudnative-pg issue 11475). Read the failing attempt's log first:\nkubectl logs -n {ns} -l cnpg.io/cluster={name},{JOB_ROLE_LABEL}={FULL_RECOVERY} --all-containers --tail=100\nIf the backup is at fault (a base backup that does not restore, its WAL missing), pin an older completed backup and recreate the recovery Cluster:\nkubectl get objectstore {store} -n {ns} -o jsonpath='{{.status.serverRecoveryWindow}}'\nspec:\n  bootstrap:\n    recovery:\n      recoveryTarget:\n        backupID: <an older backup ID>\nkubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>\nReport the backup that fails{}: it is not restorable, and the retention policy counts it as one.",
            pinned.map(|b| format!(" ({b})")).unwrap_or_default()
        ),
    ))
}
