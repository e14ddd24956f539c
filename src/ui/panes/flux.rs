//! Pane 4: Flux Kustomizations and HelmReleases, then their sources (Git, OCI and Helm
//! repositories).

use chrono::{DateTime, Utc};

use super::{
    Cells, ColumnDef, Health, PaneView, ViewRow, age, heading, malformed_of, nsname, short,
};
use crate::assess::health;
use crate::model::rows::{Condition, GitRepositoryRow, short_revision};
use crate::model::{Kind, ObjectRef, Snapshot, SyncState};

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
                yes_no(k.suspended),
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
    for r in s.helm_releases.rows.iter() {
        let (h, text) = ready_cell(r.ready());
        let mut h = health::suspended(h, r.suspended);
        let revision = match (&r.applied, &r.attempted) {
            (Some(a), Some(t)) if a != t => {
                h = h.max(Health::Warning);
                format!("{a} ≠ {t}")
            }
            (Some(a), _) => a.clone(),
            (None, Some(t)) => format!("- ≠ {t}"),
            (None, None) => "-".into(),
        };
        rows.push(ViewRow {
            health: h,
            cells: Cells::Text(vec![
                format!("helm {}", nsname(&r.namespace, &r.name)),
                text,
                yes_no(r.suspended),
                revision,
                age(r.last_reconciled, now),
                format!("{} from {} {}", r.chart, r.source.kind, r.source.name),
                r.ready()
                    .map(|c| short(&c.message, 120))
                    .unwrap_or_default(),
            ]),
            object: Some(ObjectRef::new(Kind::HelmRelease, &r.namespace, &r.name)),
            heading: false,
            current: true,
        });
    }
    let sources = [
        (Kind::GitRepository, &s.git_repos),
        (Kind::OCIRepository, &s.oci_repos),
        (Kind::HelmRepository, &s.helm_repos),
    ];
    if sources.iter().any(|(_, k)| !k.rows.is_empty()) {
        rows.push(heading("Sources", width));
    }
    for (kind, state) in sources {
        for g in state.rows.iter() {
            rows.push(source_row(kind, g));
        }
    }
    PaneView {
        title: "Flux",
        columns,
        rows,
        sources: [
            (
                "kustomizations",
                Kind::Kustomization,
                &s.kustomizations.sync,
            ),
            ("gitrepositories", Kind::GitRepository, &s.git_repos.sync),
            ("helmreleases", Kind::HelmRelease, &s.helm_releases.sync),
            ("ocirepositories", Kind::OCIRepository, &s.oci_repos.sync),
            ("helmrepositories", Kind::HelmRepository, &s.helm_repos.sync),
        ]
        .into_iter()
        // Flux serves Helm and OCI sources only where they are used: their absence is no
        // warning, and nothing to note.
        .filter(|(_, kind, sync)| {
            !(kind.optional() && matches!(sync, SyncState::NotInstalled { .. }))
        })
        .map(|(label, _, sync)| (label, sync.clone()))
        .collect(),
        malformed: malformed_of([
            &s.kustomizations.malformed,
            &s.git_repos.malformed,
            &s.helm_releases.malformed,
            &s.oci_repos.malformed,
            &s.helm_repos.malformed,
        ]),
        empty: "No Kustomization in scope".into(),
        empty_health: Health::Ok,
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.into()
}

/// A source's row: Git, OCI and Helm repositories share their fields.
fn source_row(kind: Kind, g: &GitRepositoryRow) -> ViewRow {
    let (h, text) = ready_cell(g.ready());
    let prefix = match kind {
        Kind::OCIRepository => "oci ",
        Kind::HelmRepository => "helm ",
        _ => "",
    };
    ViewRow {
        health: health::suspended(h, g.suspended),
        cells: Cells::Text(vec![
            format!("{prefix}{}", nsname(&g.namespace, &g.name)),
            text,
            yes_no(g.suspended),
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
        object: Some(ObjectRef::new(kind, &g.namespace, &g.name)),
        heading: false,
        current: true,
    }
}
