//! The detail view's account of what reading a store's bucket proved: the recovery window
//! it really holds, the base backups and WAL found, every gap, and where the status fields
//! claim otherwise; and what a Cluster's primary says about its WAL archiver. Pure: from
//! what the runtime read.

use chrono::{DateTime, Utc};

use super::detail_parts::{Section, l, section, when};
use crate::assess::Thresholds;
use crate::assess::archiver::view;
use crate::model::ObjectRef;
use crate::model::archiver::ArchiverReading;
use crate::model::bucket::{BucketFacts, ProofOutcome, StoreProof};
use crate::model::kubefmt::human_duration;
use crate::model::kubefmt::ts;

/// One section per server read under this ObjectStore.
pub(super) fn store_proofs(
    proofs: &[StoreProof],
    target: &ObjectRef,
    now: DateTime<Utc>,
) -> Vec<Section> {
    let mine: Vec<&StoreProof> = proofs
        .iter()
        .filter(|p| !p.in_tree && p.namespace == target.namespace && p.store == target.name)
        .collect();
    if mine.is_empty() {
        return vec![section(
            "Proven from the bucket",
            vec![l(
                "",
                "not read yet: backstop lists the bucket shortly after start, then every 10 minutes \
                 (on the simulator, only stores on this machine)",
            )],
        )];
    }
    mine.into_iter().map(|p| one(p, now)).collect()
}

fn one(p: &StoreProof, now: DateTime<Utc>) -> Section {
    let title = format!(
        "Proven from the bucket: server {} (checked {})",
        p.server_name,
        ts(p.checked_at)
    );
    let mut lines = vec![l(
        "read",
        format!("{}/{}/", p.destination.trim_end_matches('/'), p.server_name),
    )];
    match &p.outcome {
        ProofOutcome::Unknown(why) => lines.push(l("unknown", why.clone())),
        ProofOutcome::Failed(why) => lines.push(l("read failed", why.clone())),
        ProofOutcome::Proven(f) => facts(f, now, &mut lines),
    }
    section(title, lines)
}

fn facts(f: &BucketFacts, now: DateTime<Utc>, lines: &mut Vec<(String, String)>) {
    match &f.window {
        Some(w) => {
            lines.push(l(
                "recoverable",
                format!(
                    "from {} to {} (base backup {}, WAL up to {})",
                    w.from.map(ts).unwrap_or_else(|| "?".into()),
                    w.to.map(ts).unwrap_or_else(|| "?".into()),
                    w.backup,
                    w.last_wal
                ),
            ));
        }
        None => lines.push(l(
            "recoverable",
            "no point: no completed base backup with continuous WAL after it",
        )),
    }
    let done = f.backups.iter().filter(|b| b.done()).count();
    lines.push(l(
        "base backups",
        format!("{} ({} completed)", f.backups.len(), done),
    ));
    for b in f.backups.iter().filter(|b| !b.done()) {
        lines.push(l(
            &format!("  {}", b.id),
            match (&b.unreadable, b.status.as_str()) {
                (Some(why), _) => format!("backup.info unreadable: {why}"),
                (None, status) => format!(
                    "{status}{}",
                    b.error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
            },
        ));
    }
    for t in &f.timelines {
        lines.push(l(
            &format!("WAL timeline {}", t.timeline),
            format!(
                "{} segments, {} … {}{}",
                t.count,
                t.first,
                t.last,
                if t.partial.is_empty() {
                    String::new()
                } else {
                    format!(" (+{} .partial)", t.partial.len())
                }
            ),
        ));
    }
    lines.push(l(
        "newest WAL",
        match (&f.newest_wal, f.newest_wal_at) {
            (Some(w), at) => format!("{w}, archived {}", when(at, now)),
            (None, _) => "none".into(),
        },
    ));
    for g in &f.gaps {
        lines.push(l(
            "gap",
            format!(
                "timeline {}: {} segment(s) missing after {} (next {}){}",
                g.timeline,
                g.missing,
                g.after,
                g.before,
                if g.fatal {
                    ": nothing after it is restorable".to_string()
                } else {
                    g.cuts_backup
                        .as_deref()
                        .map(|b| format!(": a restore from {b} stops there"))
                        .unwrap_or_default()
                }
            ),
        ));
    }
    if let Some(e) = &f.end_wal {
        lines.push(l(
            "newest backup's end WAL",
            match e.archived {
                Some(true) => format!("{} of {}: archived", e.end_wal, e.backup),
                Some(false) => format!(
                    "{} of {}: MISSING, that backup cannot be restored",
                    e.end_wal, e.backup
                ),
                None => format!(
                    "{} of {}: past where the listing stopped",
                    e.end_wal, e.backup
                ),
            },
        ));
    }
    if f.system_ids.len() > 1 {
        lines.push(l(
            "system ids",
            format!("{} (two servers write here)", f.system_ids.join(", ")),
        ));
    }
    if let Some(t) = &f.truncated {
        lines.push(l("listing", format!("stopped early: {t}")));
    }
    lines.push(l(
        "cost",
        format!(
            "{} objects, {} requests, {} ms",
            f.objects, f.requests, f.elapsed_ms
        ),
    ));
}

/// What the Cluster's primary said about its archiver, read through pods/proxy.
pub(super) fn archiver(
    readings: &[ArchiverReading],
    target: &ObjectRef,
    th: &Thresholds,
    now: DateTime<Utc>,
) -> Section {
    let Some(v) = view(readings, &target.namespace, &target.name, th) else {
        return section(
            "WAL archiver (live)",
            vec![l(
                "",
                "not read yet: the primary's /pg/status and exporter are read through pods/proxy with each gathering",
            )],
        );
    };
    let mut lines = vec![l(
        "primary",
        format!("{} (read {})", v.pod, when(Some(v.taken_at), now)),
    )];
    if let Some(f) = v.failing {
        lines.push(l(
            "archiving",
            if f {
                "FAILING: the last failure is newer than the last success"
            } else {
                "working"
            },
        ));
    }
    if let Some(n) = v.ready_wal_files {
        lines.push(l("WAL waiting", n.to_string()));
    }
    if let Some((wal, at)) = &v.last_archived {
        lines.push(l("last archived", format!("{wal}, {}", when(*at, now))));
    }
    if let Some((wal, at)) = &v.last_failed {
        lines.push(l("last failed", format!("{wal}, {}", when(*at, now))));
    }
    if let Some((pvc, pct)) = &v.volume {
        lines.push(l("WAL volume", format!("{pvc}: {pct:.0}% used")));
    }
    if let Some(r) = v.runway {
        lines.push(l(
            "runway",
            format!("full in {} at the current rate", human_duration(r)),
        ));
    }
    for u in &v.unknown {
        lines.push(l("unknown", u.clone()));
    }
    section("WAL archiver (live)", lines)
}
