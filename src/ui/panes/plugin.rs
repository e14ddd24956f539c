//! Pane 1: the plugin's pods (found through its Service) and the operator's.

use chrono::{DateTime, Utc};

use super::{Cells, ColumnDef, Health, PaneView, ViewRow, age, malformed_of, nsname};
use crate::assess::{Thresholds, health};
use crate::model::domain::{OPERATOR_APP, OPERATOR_LABEL, PLUGIN_CONTAINER, PLUGIN_SELECTOR};
use crate::model::kubefmt::human_duration;
use crate::model::rows::{PodRow, image_tag};
use crate::model::{Kind, ObjectRef, Snapshot, SyncState};

pub(super) fn pane(s: &Snapshot, now: DateTime<Utc>, th: &Thresholds) -> PaneView {
    let columns = vec![
        ColumnDef::new("ROLE", 8, 8, 0),
        ColumnDef::new("POD", 18, 44, 0),
        ColumnDef::new("READY", 5, 5, 1),
        ColumnDef::new("STATUS", 9, 20, 0),
        ColumnDef::new("RESTARTS", 8, 16, 2),
        ColumnDef::new("LAST EXIT", 9, 16, 3),
        ColumnDef::new("AGE", 5, 6, 4),
        ColumnDef::new("IMAGE", 7, 14, 5),
    ];
    let mut rows = Vec::new();
    let mut push = |role: &str, p: &PodRow, main: Option<&str>| {
        let image = main
            .and_then(|c| p.image_of(c))
            .or_else(|| p.images.first().map(|(_, i)| i.as_str()))
            .unwrap_or("");
        let restarts = match p.last_termination_at {
            Some(t) if p.restarts > 0 => {
                format!("{} ({} ago)", p.restarts, human_duration(now - t))
            }
            _ => p.restarts.to_string(),
        };
        rows.push(ViewRow {
            health: health::pod(p, th),
            cells: Cells::Text(vec![
                role.to_string(),
                nsname(&p.namespace, &p.name),
                format!("{}/{}", p.ready.0, p.ready.1),
                p.status.clone(),
                restarts,
                p.last_termination.clone().unwrap_or_else(|| "-".into()),
                age(p.created, now),
                image_tag(image),
            ]),
            object: Some(ObjectRef {
                kind: Kind::Pod,
                namespace: p.namespace.clone(),
                name: p.name.clone(),
            }),
            heading: false,
            current: true,
        });
    };
    for svc in s.services.rows.iter() {
        for p in s.pods.rows.iter().filter(|p| svc.selects(p)) {
            push("plugin", p, Some(PLUGIN_CONTAINER));
        }
    }
    for p in s.pods.rows.iter().filter(|p| {
        // Whether installed from the manifest or the Helm chart.
        p.labels.get(OPERATOR_LABEL).map(String::as_str) == Some(OPERATOR_APP)
    }) {
        push("operator", p, Some("manager"));
    }
    let empty = if s.services.rows.is_empty() && s.services.sync == SyncState::Live {
        format!(
            "No Service labelled {PLUGIN_SELECTOR}: the Barman Cloud plugin is not installed, or not registered"
        )
    } else if s.pods.sync == SyncState::Live {
        let where_ = s
            .services
            .rows
            .iter()
            .map(|svc| svc.namespace.clone())
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "No plugin or operator pods found (plugin Service in: {where_}); outside the namespace scope?"
        )
    } else {
        "Waiting for pods…".to_string()
    };
    PaneView {
        title: "Plugin & operator",
        columns,
        rows,
        sources: vec![
            ("pods", s.pods.sync.clone()),
            ("services", s.services.sync.clone()),
        ],
        malformed: malformed_of([&s.pods.malformed, &s.services.malformed]),
        empty_health: if s.services.sync == SyncState::Live {
            Health::Warning
        } else {
            Health::Ok
        },
        empty,
    }
}
