//! Pane 2: ObjectStores, one row per server writing to each, with its recovery window as
//! the status claims it and, beside it, as the bucket proves it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Cells, ColumnDef, Health, PaneView, ViewRow, age, ago, malformed_of, nsname};
use crate::assess::{Thresholds, health};
use crate::model::bucket::{ProofOutcome, StoreProof};
use crate::model::rows::{ClusterRow, ServerWindow};
use crate::model::{Kind, ObjectRef, Snapshot, relate};

pub(super) fn pane(
    s: &Snapshot,
    now: DateTime<Utc>,
    th: &Thresholds,
    proofs: &[StoreProof],
) -> PaneView {
    let columns = vec![
        ColumnDef::new("STORE", 16, 36, 0),
        ColumnDef::new("PROVIDER", 5, 8, 3),
        ColumnDef::new("DESTINATION", 14, 40, 4),
        ColumnDef::new("ENDPOINT", 10, 32, 6),
        ColumnDef::new("RETENTION", 5, 9, 5),
        ColumnDef::new("USED BY", 8, 24, 2),
        ColumnDef::new("SERVER", 8, 18, 1),
        ColumnDef::new("FIRST POINT", 7, 12, 2),
        ColumnDef::new("LAST OK", 7, 12, 0),
        ColumnDef::new("LAST FAILED", 7, 12, 1),
        // What the bucket proves matters most once something was read; before that (and on
        // the simulator, whose stores are fictional) the column gives its room away first.
        ColumnDef::new("PROVEN", 8, 24, if proofs.is_empty() { 9 } else { 1 }),
    ];
    let mut users: BTreeMap<(String, String), Vec<&ClusterRow>> = BTreeMap::new();
    for c in s.clusters.rows.iter() {
        if let Some(store) = relate::store_of(c) {
            users
                .entry((c.namespace.clone(), store.to_string()))
                .or_default()
                .push(c);
        }
    }
    let mut rows = Vec::new();
    for os in s.object_stores.rows.iter() {
        let used: Vec<&ClusterRow> = users
            .get(&(os.namespace.clone(), os.name.clone()))
            .cloned()
            .unwrap_or_default();
        let used_by = if used.is_empty() {
            "-".to_string()
        } else {
            used.iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        let base = |server: &str, first: String, ok: String, failed: String| {
            let proof = proofs.iter().find(|p| {
                !p.in_tree
                    && p.namespace == os.namespace
                    && p.store == os.name
                    && p.server_name == server
            });
            let window = os.servers.iter().find(|w| w.server == server);
            vec![
                nsname(&os.namespace, &os.name),
                os.provider.clone(),
                os.destination.clone(),
                os.endpoint.clone().unwrap_or_else(|| "-".into()),
                os.retention.clone().unwrap_or_else(|| "-".into()),
                used_by.clone(),
                server.to_string(),
                first,
                ok,
                failed,
                proven(proof, window, now),
            ]
        };
        let target = Some(ObjectRef {
            kind: Kind::ObjectStore,
            namespace: os.namespace.clone(),
            name: os.name.clone(),
        });
        // Servers the using clusters write under, whether or not the store has a window yet.
        let mut servers: Vec<String> = os.servers.iter().map(|w| w.server.clone()).collect();
        for c in &used {
            if !servers.iter().any(|sv| sv == c.server_name()) {
                servers.push(c.server_name().to_string());
            }
        }
        if servers.is_empty() {
            rows.push(ViewRow {
                health: Health::Info,
                cells: Cells::Text(base("-", "-".into(), "-".into(), "-".into())),
                object: target,
                heading: false,
                current: true,
            });
            continue;
        }
        for server in servers {
            let window = os.servers.iter().find(|w| w.server == server);
            let health = health::store_window(window, now, th);
            let (first, ok, failed) = match window {
                None => (
                    "no window".to_string(),
                    "never".to_string(),
                    "-".to_string(),
                ),
                Some(w) => (
                    age(w.first_point, now),
                    ago(w.last_success, now),
                    w.last_failure.map_or("-".into(), |t| ago(Some(t), now)),
                ),
            };
            rows.push(ViewRow {
                health,
                cells: Cells::Text(base(&server, first, ok, failed)),
                object: target.clone(),
                heading: false,
                current: true,
            });
        }
    }
    PaneView {
        title: "ObjectStores",
        columns,
        rows,
        sources: vec![
            ("objectstores", s.object_stores.sync.clone()),
            ("clusters", s.clusters.sync.clone()),
        ],
        malformed: malformed_of([&s.object_stores.malformed, &s.clusters.malformed]),
        empty:
            "No ObjectStore: clusters back up through spec.backup.barmanObjectStore, or not at all"
                .into(),
        empty_health: Health::Ok,
    }
}

/// The status may claim more than the bucket holds: the proof disagrees when its window
/// starts or ends this far from the claim.
const DISAGREE: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// What the bucket proves for one server, in a cell: its window ("8d → 3m ago"), or why
/// there is none; `≠` marks a window that disagrees with the status, `gap` a WAL gap.
fn proven(p: Option<&StoreProof>, claim: Option<&ServerWindow>, now: DateTime<Utc>) -> String {
    let Some(p) = p else {
        return "-".into();
    };
    let f = match &p.outcome {
        ProofOutcome::Unknown(_) => return "unknown".into(),
        ProofOutcome::Failed(_) => return "read failed".into(),
        ProofOutcome::Proven(f) => f,
    };
    let Some(w) = &f.window else {
        return if f.backups.iter().any(|b| b.done()) {
            "no continuous WAL".into()
        } else {
            "no base backup".into()
        };
    };
    let far = |a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>| match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() > DISAGREE,
        (a, b) => a.is_some() != b.is_some(),
    };
    let disagrees = claim.is_some_and(|c| far(c.first_point, w.from));
    let mut text = format!(
        "{}{} → {}",
        if disagrees { "≠ " } else { "" },
        age(w.from, now),
        ago(w.to, now)
    );
    if !f.gaps.is_empty() {
        text.push_str(" · gap");
    }
    if f.truncated.is_some() {
        text.push_str(" · partial");
    }
    text
}
