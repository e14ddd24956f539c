//! Pane 4: Flux Kustomizations, then their sources.

use chrono::{DateTime, Utc};

use super::{
    Cells, ColumnDef, Health, PaneView, ViewRow, age, heading, malformed_of, nsname, short,
};
use crate::assess::health;
use crate::model::rows::{Condition, short_revision};
use crate::model::{Kind, ObjectRef, Snapshot};

fn ready_cell(c: Option<&Condition>) -> (Health, String) {
    let text = match c {
        Some(c) if c.is_true() => "True".into(),
        Some(c) => format!("{} {}", c.status, c.reason),
        None => "waiting".into(),
    };
    (health::ready(c), text)
}

pub(super) fn pane(s: &Snapshot, now: DateTime<Utc>) -> PaneView {
    let columns = vec![
        ColumnDef::new("KUSTOMIZATION / SOURCE", 18, 44, 0),
        ColumnDef::new("READY", 6, 26, 0),
        ColumnDef::new("SUSP", 4, 4, 2),
        ColumnDef::new("REVISION", 10, 24, 1),
        ColumnDef::new("RECONCILED", 7, 10, 3),
        ColumnDef::new("DEPENDS ON / URL", 10, 48, 4),
        ColumnDef::new("MESSAGE", 10, 80, 2),
    ];
    let width = columns.len();
    let mut rows = Vec::new();
    for k in s.kustomizations.rows.iter() {
        let ready = k.ready();
        let (h, text) = ready_cell(ready);
        let mut h = health::suspended(h, k.suspended);
        let revision = match (&k.applied, &k.attempted) {
            (Some(a), Some(t)) if a != t => {
                h = h.max(Health::Warning);
                format!("{} ≠ {}", short_revision(a), short_revision(t))
            }
            (Some(a), _) => short_revision(a),
            (None, Some(t)) => format!("- ≠ {}", short_revision(t)),
            (None, None) => "-".into(),
        };
        rows.push(ViewRow {
            health: h,
            cells: Cells::Text(vec![
                nsname(&k.namespace, &k.name),
                text,
                if k.suspended {
                    "yes".into()
                } else {
                    "no".into()
                },
                revision,
                age(k.last_reconciled, now),
                k.depends_on
                    .iter()
                    .map(|(_, n)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
                ready.map(|c| short(&c.message, 120)).unwrap_or_default(),
            ]),
            object: Some(ObjectRef {
                kind: Kind::Kustomization,
                namespace: k.namespace.clone(),
                name: k.name.clone(),
            }),
            heading: false,
            current: true,
        });
    }
    if !s.git_repos.rows.is_empty() {
        rows.push(heading("Sources", width));
    }
    for g in s.git_repos.rows.iter() {
        let (h, text) = ready_cell(g.ready());
        let h = health::suspended(h, g.suspended);
        rows.push(ViewRow {
            health: h,
            cells: Cells::Text(vec![
                nsname(&g.namespace, &g.name),
                text,
                if g.suspended {
                    "yes".into()
                } else {
                    "no".into()
                },
                g.revision
                    .as_deref()
                    .map(short_revision)
                    .unwrap_or_else(|| "-".into()),
                String::new(),
                g.url.clone(),
                g.ready()
                    .map(|c| short(&c.message, 120))
                    .unwrap_or_default(),
            ]),
            object: Some(ObjectRef {
                kind: Kind::GitRepository,
                namespace: g.namespace.clone(),
                name: g.name.clone(),
            }),
            heading: false,
            current: true,
        });
    }
    PaneView {
        title: "Flux",
        columns,
        rows,
        sources: vec![
            ("kustomizations", s.kustomizations.sync.clone()),
            ("gitrepositories", s.git_repos.sync.clone()),
        ],
        malformed: malformed_of([&s.kustomizations.malformed, &s.git_repos.malformed]),
        empty: "No Kustomization in scope".into(),
        empty_health: Health::Ok,
    }
}
