//! A Cluster being restored: the first cause found of its being stuck (RST001-RST006),
//! else the operator having given up on it (RST007), else its progress (RST008).

use chrono::{DateTime, Utc};

use super::spec::{Source, recovery_line};
use super::{
    Facts, Finding, Outcome, Severity, finding, is_unrecoverable, pods, recovery_pods,
    recovery_tails, signs, source, spec,
};
use crate::model::kubefmt::span;
use crate::model::rows::ClusterRow;

fn phase_lines(c: &ClusterRow) -> Vec<String> {
    let mut out = vec![format!(
        "Cluster {}/{} status.phase: {}",
        c.namespace,
        c.name,
        if c.phase.is_empty() {
            "(none yet)"
        } else {
            &c.phase
        }
    )];
    if let Some(r) = &c.phase_reason {
        out.push(format!(
            "Cluster {}/{} status.phaseReason: {r}",
            c.namespace, c.name
        ));
    }
    out
}

pub(super) fn rules(f: &Facts, c: &ClusterRow, now: DateTime<Utc>, out: &mut Outcome) {
    let pods = recovery_pods(f, c);
    let tails = recovery_tails(f, c);
    let causes: Vec<Finding> = [
        spec::empty_archive(f, c, &tails),
        spec::target_beyond(f, c, now, &tails, pods.len()),
        source::plugin_backup_by_name(f, c, &tails),
        source::source_unreadable(f, c, &tails),
        pods::oom(c, &pods),
    ]
    .into_iter()
    .flatten()
    .collect();
    // A bad backup is the suspect only when nothing more specific explains the retries.
    let causes = if causes.is_empty() {
        pods::retried(f, c, &pods, &tails).into_iter().collect()
    } else {
        causes
    };
    if !causes.is_empty() {
        for mut cause in causes {
            // The operator's giving up is the effect: it stays with its cause.
            if is_unrecoverable(c) {
                cause.evidence.extend(phase_lines(c));
            }
            out.push(cause);
        }
        return;
    }
    if is_unrecoverable(c) {
        unrecoverable(f, c, out);
        return;
    }
    let Some(src) = Source::of(c) else { return };
    let (ns, name) = (&c.namespace, &c.name);
    let mut evidence = vec![recovery_line(c, &src)];
    evidence.extend(phase_lines(c));
    if let Some(p) = pods.first() {
        evidence.push(format!(
            "pod {}/{} {} ({})",
            p.namespace, p.name, p.status, p.phase
        ));
    }
    evidence.extend(signs::newest(&tails));
    let since = c
        .created
        .map(|t| format!(" for {}", span(now - t)))
        .unwrap_or_default();
    let follow = match pods.first() {
        Some(p) => format!("kubectl logs -f {} -n {ns} --all-containers", p.name),
        None => format!("kubectl get pods -n {ns} -l cnpg.io/cluster={name} -w"),
    };
    let stage = signs::stage(&tails)
        .map(|s| format!(": {s}"))
        .unwrap_or_default();
    out.push(finding(
        "RST008",
        Severity::Info,
        c,
        format!(
            "Cluster {ns}/{name} is being restored{since}, from {} to target {}{stage}",
            src.describe(),
            src.recovery.target.describe()
        ),
        evidence,
        format!(
            "Nothing to do while it progresses. Follow it: {follow}\nIf it stops moving, the restore-failing troubleshooting tree walks the causes: backstop trees walk restore-failing"
        ),
    ));
}

/// RST007: CloudNativePG gave up on the Cluster (`PhaseUnrecoverable`).
pub(super) fn unrecoverable(f: &Facts, c: &ClusterRow, out: &mut Outcome) {
    if !is_unrecoverable(c) {
        return;
    }
    let (ns, name) = (&c.namespace, &c.name);
    let mut evidence = phase_lines(c);
    if let Some(src) = Source::of(c) {
        evidence.insert(0, recovery_line(c, &src));
    }
    let pods = recovery_pods(f, c);
    evidence.extend(
        pods.iter()
            .take(3)
            .map(|p| format!("pod {}/{} {} ({})", p.namespace, p.name, p.status, p.phase)),
    );
    let restoring = c.recovery.is_some();
    let next = if restoring {
        format!(
            "Read why the recovery failed: kubectl logs -n {ns} -l cnpg.io/cluster={name} --all-containers --tail=100 (the recovery Job's pods, or the instance pod's bootstrap-instance init container). Fix the cause (the restore-failing tree walks them: backstop trees walk restore-failing), then delete the recovery Cluster and create it again:\nkubectl delete cluster {name} -n {ns}\nkubectl apply -f <the corrected manifest>"
        )
    } else {
        format!(
            "The operator stopped reconciling the Cluster until someone acts. Read the phase reason and the pods: kubectl cnpg status {name} -n {ns}; kubectl describe cluster {name} -n {ns}. When its data is gone (no PersistentVolumeClaims left), restore it from a recent backup into a new Cluster: backstop restore plan {name} -n {ns}"
        )
    };
    out.push(finding(
        "RST007",
        Severity::Critical,
        c,
        format!(
            "Cluster {ns}/{name} is unrecoverable and needs manual intervention{}",
            c.phase_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        ),
        evidence,
        next,
    ));
}
