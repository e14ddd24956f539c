//! Pane 3: each Cluster's archiving, schedules and last good backup, then every Backup,
//! newest first.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    Cells, ColumnDef, Health, PaneView, ViewRow, age, ago, heading, malformed_of, nsname, short,
};
use crate::assess::Thresholds;
use crate::assess::archiver::{self, ArchiverView};
use crate::assess::health::{self, Archiving};
use crate::model::archiver::ArchiverReading;
use crate::model::by_cluster::ByCluster;
use crate::model::kubefmt::human_duration;
use crate::model::rows::{BackupRow, ClusterRow, ScheduledBackupRow};
use crate::model::{Kind, ObjectRef, Snapshot, relate};

fn duration(b: &BackupRow, now: DateTime<Utc>) -> String {
    match (b.started, b.stopped) {
        (Some(s), Some(e)) => human_duration(e - s),
        (Some(s), None) if matches!(b.phase.as_str(), "started" | "running" | "finalizing") => {
            format!("{}…", human_duration(now - s))
        }
        _ => "-".into(),
    }
}

/// What is wrong with a Cluster, in a line: its phase when not healthy, and the reason.
fn cluster_problem(c: &ClusterRow) -> Option<String> {
    if c.phase.is_empty() || c.phase == crate::model::domain::PHASE_HEALTHY {
        return None;
    }
    Some(match &c.phase_reason {
        Some(r) => format!("{}: {}", c.phase, r),
        None => c.phase.clone(),
    })
}

pub(super) fn pane(
    s: &Snapshot,
    now: DateTime<Utc>,
    th: &Thresholds,
    archivers: &[ArchiverReading],
) -> PaneView {
    let columns = vec![
        ColumnDef::new("WHEN", 6, 9, 0),
        ColumnDef::new("CLUSTER", 10, 26, 0),
        ColumnDef::new("BACKUP / ARCHIVING", 18, 64, 0),
        ColumnDef::new("METHOD", 6, 10, 4),
        ColumnDef::new("PHASE / SCHEDULE", 11, 28, 0),
        ColumnDef::new("TOOK", 5, 8, 2),
        ColumnDef::new("ERROR", 8, 60, 1),
    ];
    let width = columns.len();
    let by_cluster = ByCluster::new(&s.backups.rows);
    // Backups that could not be read say nothing about a Cluster's last backup: the row
    // shows `?` and why, never "never" with a check mark.
    let unread = s.backups.sync.why_no_rows("backups");
    let mut rows = Vec::new();
    // The clusters come first under the column titles, without a heading of their own:
    // a short pane keeps its lines for them and the newest backups.
    for c in s.clusters.rows.iter() {
        let (arch_h, archiving) = health::archiving(c);
        // What the primary's archiver reports goes first: the condition's message is long.
        let ok = matches!(archiving, Archiving::Ok);
        let live = archiver::view(archivers, &c.namespace, &c.name, th)
            .map(|v| archiver_line(&v, ok, now))
            .filter(|l| !l.is_empty());
        let arch_text = match (archiving, live) {
            (Archiving::Ok, Some(l)) => format!("archiving ok · {l}"),
            (Archiving::Ok, None) => "archiving ok".to_string(),
            (Archiving::Failing(a), Some(l)) => {
                format!("archiving FAILING ({l}): {}", short(&a.message, 60))
            }
            (Archiving::Failing(a), None) => {
                format!("archiving FAILING: {}", short(&a.message, 60))
            }
            (Archiving::NotConfigured, _) => "no backup configured".to_string(),
            (Archiving::Unknown, Some(l)) => format!("archiving unknown · {l}"),
            (Archiving::Unknown, None) => "archiving unknown".to_string(),
        };
        let schedules: Vec<&ScheduledBackupRow> = s
            .scheduled
            .rows
            .iter()
            .filter(|sb| sb.namespace == c.namespace && sb.cluster == c.name)
            .map(|a| a.as_ref())
            .collect();
        let schedule = if schedules.is_empty() {
            "no schedule".to_string()
        } else {
            schedules
                .iter()
                .map(|sb| {
                    if sb.suspended {
                        format!("{} suspended", sb.name)
                    } else {
                        match sb.next {
                            Some(n) if n > now => format!("next in {}", human_duration(n - now)),
                            Some(n) => format!("next overdue {}", human_duration(now - n)),
                            None => "next unknown".to_string(),
                        }
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        let phase_h = health::cluster_phase(c);
        let sched_h = health::schedules(&schedules);
        let last = relate::last_good_backup(
            &s.object_stores.rows,
            c,
            by_cluster.of(&c.namespace, &c.name).iter().copied(),
        )
        .map(|g| g.at);
        let (when, unread_h) = match &unread {
            Some(_) => ("?".to_string(), Health::Unknown),
            None => (ago(last, now).replace(" ago", ""), Health::Ok),
        };
        rows.push(ViewRow {
            health: arch_h.max(sched_h).max(phase_h).max(unread_h),
            cells: Cells::Text(vec![
                when,
                nsname(&c.namespace, &c.name),
                // The problem the on-call needs first goes where there is room for it.
                match cluster_problem(c) {
                    Some(p) => format!("{}: {arch_text}", short(&p, 90)),
                    None => arch_text,
                },
                if c.plugin.is_some() {
                    "plugin".into()
                } else if c.legacy_barman {
                    "in-tree".into()
                } else {
                    "-".into()
                },
                schedule,
                String::new(),
                c.phase_reason
                    .clone()
                    .filter(|_| cluster_problem(c).is_some())
                    .or_else(|| unread.clone())
                    .unwrap_or_default(),
            ]),
            object: Some(ObjectRef {
                kind: Kind::Cluster,
                namespace: c.namespace.clone(),
                name: c.name.clone(),
            }),
            heading: false,
            current: true,
        });
    }
    // Newest first, by name on a tie. Each time becomes an integer once: comparing 50,000
    // optional timestamps inside the sort was most of this pane's cost.
    let order = |b: &BackupRow| b.when().map_or(i64::MAX, |t| -t.timestamp_micros());
    let mut backups: Vec<(i64, &Arc<BackupRow>)> =
        s.backups.rows.iter().map(|b| (order(b), b)).collect();
    backups.sort_by(|(ka, a), (kb, b)| ka.cmp(kb).then_with(|| a.name.cmp(&b.name)));
    if !backups.is_empty() && !rows.is_empty() {
        rows.push(heading("Backups, newest first", width));
    }
    // The first of each cluster in this order is its present state; the rest is history.
    let present: HashSet<*const BackupRow> = by_cluster
        .iter()
        .filter_map(|(_, _, list)| {
            list.iter()
                .min_by(|a, b| (order(a), &a.name).cmp(&(order(b), &b.name)))
        })
        .map(|b| *b as *const BackupRow)
        .collect();
    rows.reserve(backups.len());
    for (_, b) in backups {
        let current = present.contains(&Arc::as_ptr(b))
            || matches!(b.phase.as_str(), "pending" | "started" | "running");
        rows.push(ViewRow {
            current,
            health: health::backup(b, now, th),
            cells: Cells::Backup(b.clone()),
            object: None,
            heading: false,
        });
    }
    PaneView {
        title: "Backups",
        columns,
        rows,
        sources: vec![
            ("backups", s.backups.sync.clone()),
            ("clusters", s.clusters.sync.clone()),
            ("scheduledbackups", s.scheduled.sync.clone()),
        ],
        malformed: malformed_of([
            &s.backups.malformed,
            &s.clusters.malformed,
            &s.scheduled.malformed,
        ]),
        empty: "No Cluster and no Backup in scope".into(),
        empty_health: Health::Ok,
    }
}

/// A backup row's cells: WHEN, CLUSTER, BACKUP, METHOD, PHASE, TOOK, ERROR.
pub fn backup_cells(b: &BackupRow, now: DateTime<Utc>) -> Vec<String> {
    vec![
        age(b.when(), now),
        nsname(&b.namespace, &b.cluster),
        b.name.clone(),
        b.method.clone(),
        if b.phase.is_empty() {
            "new".into()
        } else {
            b.phase.clone()
        },
        duration(b, now),
        b.error
            .as_deref()
            .map(|e| short(e, 120))
            .unwrap_or_default(),
    ]
}

/// What the primary's archiver says, in a few words: WAL waiting, the last archival, the
/// WAL volume and its runway (the failing WAL and its time are in the detail: the row has
/// no room for a 24-digit name); a part that could not be read says so.
fn archiver_line(v: &ArchiverView, ok: bool, now: DateTime<Utc>) -> String {
    let mut parts = Vec::new();
    if v.failing == Some(true) && ok {
        parts.push("archiver failing".to_string());
    }
    if let Some(n) = v.ready_wal_files {
        parts.push(format!("{n} WAL waiting"));
    }
    if let Some((_, at)) = &v.last_archived {
        parts.push(format!("last archived {}", ago(*at, now)));
    }
    if let Some((_, pct)) = v.volume {
        parts.push(format!("WAL volume {pct:.0}%"));
    }
    if let Some(r) = v.runway {
        parts.push(format!("full in {}", human_duration(r)));
    }
    if parts.is_empty() && !v.unknown.is_empty() {
        parts.push("archiver unknown".to_string());
    }
    parts.join(", ")
}
