//! What each pane shows, derived from a Snapshot and the clock: pure, so every pane is a
//! unit test on fixture rows. Draw code only lays these out.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::Snapshot;
use crate::model::SyncState;
use crate::model::by_cluster::ByCluster;
use crate::model::kubefmt::human_duration;
use crate::model::rows::*;
pub use crate::model::{Kind, ObjectRef};

/// A row's state, always with a word and a glyph beside the colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    Ok,
    Info,
    Progress,
    Unknown,
    Warning,
    Critical,
}

impl Health {
    pub fn glyph(self) -> &'static str {
        match self {
            Health::Ok => "✔",
            Health::Info => "·",
            Health::Progress => "↻",
            Health::Unknown => "?",
            Health::Warning => "▲",
            Health::Critical => "✖",
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Health::Ok => "ok",
            Health::Info => "info",
            Health::Progress => "running",
            Health::Unknown => "unknown",
            Health::Warning => "warning",
            Health::Critical => "critical",
        }
    }
}

/// A column: its title, the width it wants, and which columns go first when space is short
/// (lower `drop` survives longer; 0 never drops).
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub title: &'static str,
    pub min: u16,
    pub max: u16,
    pub drop: u8,
}

const fn col(title: &'static str, min: u16, max: u16, drop: u8) -> ColumnDef {
    ColumnDef {
        title,
        min,
        max,
        drop,
    }
}

/// A row's text, or the backup it is formatted from when drawn: a pane of 50,000 backups
/// formats only the rows on screen, and its ages stay current without a rebuild.
#[derive(Debug, Clone)]
pub enum Cells {
    Text(Vec<String>),
    Backup(Arc<BackupRow>),
}

#[derive(Debug, Clone)]
pub struct ViewRow {
    pub health: Health,
    pub cells: Cells,
    /// What Enter opens; a backup row's is its backup (see `target`).
    object: Option<ObjectRef>,
    /// A heading row that starts a section of the pane (not selectable for detail).
    pub heading: bool,
    /// Whether the row is the present state (a failed backup already followed by a good
    /// one is history: shown with its glyph, but not the pane's health).
    pub current: bool,
}

#[derive(Debug, Clone)]
pub struct PaneView {
    pub title: &'static str,
    pub columns: Vec<ColumnDef>,
    pub rows: Vec<ViewRow>,
    /// The kinds the pane reads and where each stands.
    pub sources: Vec<(&'static str, SyncState)>,
    /// Shown when there are no rows: why, and what to check.
    pub empty: String,
    /// How bad having no rows is (no plugin pod at all is not fine).
    pub empty_health: Health,
    /// Each column's natural width: its title or its widest cell (of the first rows).
    pub natural: Vec<u16>,
    /// Objects of the pane's kinds read with a malformed field, named: shown under the rows.
    pub malformed: Vec<String>,
}

/// The malformed-object notes of the kinds a pane reads, in order.
fn malformed_of<const N: usize>(kinds: [&Arc<Vec<String>>; N]) -> Vec<String> {
    kinds.iter().flat_map(|k| k.iter().cloned()).collect()
}

impl ViewRow {
    /// The object the row shows. A backup row names it through its backup, so a rebuild
    /// of 50,000 backup rows does not copy 100,000 strings.
    pub fn target(&self) -> Option<ObjectRef> {
        let (kind, namespace, name) = self.target_key()?;
        Some(ObjectRef {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        })
    }

    /// The target's kind, namespace and name, borrowed.
    pub fn target_key(&self) -> Option<(Kind, &str, &str)> {
        match (&self.object, &self.cells) {
            (Some(o), _) => Some((o.kind, &o.namespace, &o.name)),
            (None, Cells::Backup(b)) => Some((Kind::Backup, &b.namespace, &b.name)),
            (None, Cells::Text(_)) => None,
        }
    }

    /// The row's cells at `now`.
    pub fn cells(&self, now: DateTime<Utc>) -> Cow<'_, [String]> {
        match &self.cells {
            Cells::Text(c) => Cow::Borrowed(c),
            Cells::Backup(b) => Cow::Owned(backup_cells(b, now)),
        }
    }
}

impl PaneView {
    /// The worst health of its rows, or of its sources when they are not live.
    pub fn worst(&self) -> Health {
        let rows = self
            .rows
            .iter()
            .filter(|r| r.current)
            .map(|r| r.health)
            .max()
            .unwrap_or(self.empty_health);
        let sources = self
            .sources
            .iter()
            .map(|(_, s)| match s {
                SyncState::Live => Health::Ok,
                SyncState::Syncing => Health::Progress,
                SyncState::NotInstalled { .. } => Health::Warning,
                _ => Health::Unknown,
            })
            .max()
            .unwrap_or(Health::Ok);
        rows.max(sources)
    }
}

pub fn age(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => human_duration(now - t),
        None => "-".into(),
    }
}

fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!("{} ago", human_duration(now - t)),
        None => "never".into(),
    }
}

fn nsname(ns: &str, name: &str) -> String {
    format!("{ns}/{name}")
}

/// Shortens a message to one line of at most `n` characters.
pub fn short(s: &str, n: usize) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    if line.chars().count() <= n {
        line.to_string()
    } else {
        let mut out: String = line.chars().take(n.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

fn heading(text: &str, width: usize) -> ViewRow {
    let mut cells = vec![String::new(); width];
    if let Some(c) = cells.first_mut() {
        *c = text.to_string();
    }
    ViewRow {
        health: Health::Info,
        cells: Cells::Text(cells),
        object: None,
        heading: true,
        current: false,
    }
}

fn pod_health(p: &PodRow) -> Health {
    match p.status.as_str() {
        "CrashLoopBackOff"
        | "ImagePullBackOff"
        | "ErrImagePull"
        | "Error"
        | "OOMKilled"
        | "CreateContainerConfigError" => Health::Critical,
        "Running" if p.is_ready() && p.restarts >= 3 => Health::Warning,
        "Running" if p.is_ready() => Health::Ok,
        "Running" => Health::Warning,
        "Terminating" | "Pending" | "ContainerCreating" | "PodInitializing" => Health::Warning,
        s if s.starts_with("Init:") => Health::Warning,
        "Completed" | "Succeeded" => Health::Info,
        _ => Health::Unknown,
    }
}

/// Operator pods carry this label whether installed from the manifest or the Helm chart.
pub const OPERATOR_LABEL: (&str, &str) = ("app.kubernetes.io/name", "cloudnative-pg");

pub fn plugin_pane(s: &Snapshot, now: DateTime<Utc>) -> PaneView {
    let columns = vec![
        col("ROLE", 8, 8, 0),
        col("POD", 18, 44, 0),
        col("READY", 5, 5, 1),
        col("STATUS", 9, 20, 0),
        col("RESTARTS", 8, 16, 2),
        col("LAST EXIT", 9, 16, 3),
        col("AGE", 5, 6, 4),
        col("IMAGE", 7, 14, 5),
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
            health: pod_health(p),
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
            push("plugin", p, Some("barman-cloud"));
        }
    }
    for p in
        s.pods.rows.iter().filter(|p| {
            p.labels.get(OPERATOR_LABEL.0).map(String::as_str) == Some(OPERATOR_LABEL.1)
        })
    {
        push("operator", p, Some("manager"));
    }
    let empty = if s.services.rows.is_empty() && s.services.sync == SyncState::Live {
        "No Service labelled cnpg.io/pluginName=barman-cloud.cloudnative-pg.io: the Barman Cloud plugin is not installed, or not registered".to_string()
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
        natural: Vec::new(),
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

/// How a server's recovery window looks: stale, failing, or fine.
pub const BACKUP_SLA: chrono::Duration = chrono::Duration::hours(26);

pub fn object_stores_pane(s: &Snapshot, now: DateTime<Utc>) -> PaneView {
    let columns = vec![
        col("STORE", 16, 36, 0),
        col("PROVIDER", 5, 8, 3),
        col("DESTINATION", 14, 40, 4),
        col("ENDPOINT", 10, 32, 6),
        col("RETENTION", 5, 9, 5),
        col("USED BY", 8, 24, 2),
        col("SERVER", 8, 18, 1),
        col("FIRST POINT", 7, 12, 2),
        col("LAST OK", 7, 12, 0),
        col("LAST FAILED", 7, 12, 1),
    ];
    let mut users: BTreeMap<(String, String), Vec<&ClusterRow>> = BTreeMap::new();
    for c in s.clusters.rows.iter() {
        if let Some(store) = c.plugin.as_ref().and_then(|p| p.object_store.clone()) {
            users
                .entry((c.namespace.clone(), store))
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
            let (health, first, ok, failed) = match window {
                None => (
                    Health::Warning,
                    "no window".to_string(),
                    "never".to_string(),
                    "-".to_string(),
                ),
                Some(w) => {
                    let failing = match (w.last_failure, w.last_success) {
                        (Some(f), Some(ok)) => f > ok,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    let stale = w.last_success.is_none_or(|t| now - t > BACKUP_SLA);
                    let h = if failing || stale {
                        Health::Critical
                    } else {
                        Health::Ok
                    };
                    (
                        h,
                        age(w.first_point, now),
                        ago(w.last_success, now),
                        w.last_failure.map_or("-".into(), |t| ago(Some(t), now)),
                    )
                }
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
        natural: Vec::new(),
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

fn backup_health(b: &BackupRow, now: DateTime<Utc>) -> Health {
    match b.phase.as_str() {
        "completed" => Health::Ok,
        "failed" | "walArchivingFailing" | "invalid backup definition" => Health::Critical,
        "pending"
            if b.when()
                .is_some_and(|t| now - t > chrono::Duration::minutes(10)) =>
        {
            Health::Warning
        }
        "started" | "running" | "finalizing"
            if b.started
                .is_some_and(|t| now - t > chrono::Duration::hours(6)) =>
        {
            Health::Warning
        }
        "pending" | "started" | "running" | "finalizing" | "" => Health::Progress,
        _ => Health::Unknown,
    }
}

fn duration(b: &BackupRow, now: DateTime<Utc>) -> String {
    match (b.started, b.stopped) {
        (Some(s), Some(e)) => human_duration(e - s),
        (Some(s), None) if matches!(b.phase.as_str(), "started" | "running" | "finalizing") => {
            format!("{}…", human_duration(now - s))
        }
        _ => "-".into(),
    }
}

/// The Cluster phases that mean the operator cannot talk to the plugin.
pub fn plugin_phase(phase: &str) -> bool {
    phase.contains("unknown plugin") || phase.contains("error while interacting with plugins")
}

/// What is wrong with a Cluster, in a line: its phase when not healthy, and the reason.
fn cluster_problem(c: &ClusterRow) -> Option<String> {
    if c.phase.is_empty() || c.phase == "Cluster in healthy state" {
        return None;
    }
    Some(match &c.phase_reason {
        Some(r) => format!("{}: {}", c.phase, r),
        None => c.phase.clone(),
    })
}

pub fn backups_pane(s: &Snapshot, now: DateTime<Utc>) -> PaneView {
    let columns = vec![
        col("WHEN", 6, 9, 0),
        col("CLUSTER", 10, 26, 0),
        col("BACKUP / ARCHIVING", 18, 44, 0),
        col("METHOD", 6, 10, 4),
        col("PHASE / SCHEDULE", 11, 28, 0),
        col("TOOK", 5, 8, 2),
        col("ERROR", 8, 60, 1),
    ];
    let width = columns.len();
    let by_cluster = ByCluster::new(&s.backups.rows);
    // Backups that could not be read say nothing about a Cluster's last backup: the row
    // shows `?` and why, never "never" with a check mark.
    let unread = unreadable(&s.backups.sync).map(|why| format!("backups not read: {why}"));
    let mut rows = Vec::new();
    if !s.clusters.rows.is_empty() {
        rows.push(heading("Clusters", width));
    }
    for c in s.clusters.rows.iter() {
        let archiving = c.archiving();
        let (arch_h, arch_text) = match (archiving, &c.plugin, c.legacy_barman) {
            (Some(a), _, _) if a.is_true() => (Health::Ok, "archiving ok".to_string()),
            (Some(a), _, _) if a.status == "False" => (
                Health::Critical,
                format!("archiving FAILING: {}", short(&a.message, 60)),
            ),
            (_, None, false) => (Health::Info, "no backup configured".to_string()),
            _ => (Health::Unknown, "archiving unknown".to_string()),
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
        let phase_h = if plugin_phase(&c.phase) {
            Health::Critical
        } else if c.phase.is_empty() || c.phase == "Cluster in healthy state" {
            Health::Ok
        } else {
            Health::Warning
        };
        let sched_h = if schedules.iter().any(|sb| sb.suspended) {
            Health::Warning
        } else {
            Health::Ok
        };
        let last = by_cluster
            .of(&c.namespace, &c.name)
            .iter()
            .filter(|b| b.phase == "completed")
            .filter_map(|b| b.stopped.or(b.when()))
            .max();
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
            health: backup_health(b, now),
            cells: Cells::Backup(b.clone()),
            object: None,
            heading: false,
        });
    }
    PaneView {
        natural: Vec::new(),
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
fn backup_cells(b: &BackupRow, now: DateTime<Utc>) -> Vec<String> {
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

fn ready_cell(c: Option<&Condition>) -> (Health, String) {
    match c {
        Some(c) if c.is_true() => (Health::Ok, "True".into()),
        Some(c) if c.status == "Unknown" => (Health::Progress, format!("Unknown {}", c.reason)),
        Some(c) => (Health::Critical, format!("False {}", c.reason)),
        None => (Health::Unknown, "waiting".into()),
    }
}

pub fn flux_pane(s: &Snapshot, now: DateTime<Utc>) -> PaneView {
    let columns = vec![
        col("KUSTOMIZATION / SOURCE", 18, 44, 0),
        col("READY", 6, 26, 0),
        col("SUSP", 4, 4, 2),
        col("REVISION", 10, 24, 1),
        col("RECONCILED", 7, 10, 3),
        col("DEPENDS ON / URL", 10, 48, 4),
        col("MESSAGE", 10, 80, 2),
    ];
    let width = columns.len();
    let mut rows = Vec::new();
    for k in s.kustomizations.rows.iter() {
        let ready = k.ready();
        let (mut h, text) = ready_cell(ready);
        if k.suspended {
            h = h.max(Health::Warning);
        }
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
        let (mut h, text) = ready_cell(g.ready());
        if g.suspended {
            h = h.max(Health::Warning);
        }
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
        natural: Vec::new(),
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

pub fn panes(s: &Snapshot, now: DateTime<Utc>) -> [PaneView; 4] {
    [
        plugin_pane(s, now),
        object_stores_pane(s, now),
        backups_pane(s, now),
        flux_pane(s, now),
    ]
}

/// The newest successful backup across clusters: the header's one number.
/// Why a kind's rows say nothing of the cluster: it could not be read (forbidden, an
/// error, not served) or has not been yet. Stale rows are the last known, and marked.
pub fn unreadable(sync: &SyncState) -> Option<String> {
    match sync {
        SyncState::Live | SyncState::Stale { .. } => None,
        SyncState::Syncing => Some("not read yet".into()),
        SyncState::Forbidden { verb, resource } => {
            Some(format!("forbidden (you may not {verb} {resource})"))
        }
        SyncState::NotInstalled { what } => Some(what.clone()),
        SyncState::Error(e) => Some(e.clone()),
    }
}

pub fn newest_backup(s: &Snapshot) -> Option<DateTime<Utc>> {
    let from_backups = s
        .backups
        .rows
        .iter()
        .filter(|b| b.phase == "completed")
        .filter_map(|b| b.stopped.or(b.when()))
        .max();
    let from_stores = s
        .object_stores
        .rows
        .iter()
        .flat_map(|o| o.servers.iter().filter_map(|w| w.last_success))
        .max();
    from_backups.max(from_stores)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindState;
    use std::sync::Arc;

    fn backup(
        cluster: &str,
        name: &str,
        phase: &str,
        hours_ago: i64,
        now: DateTime<Utc>,
    ) -> Arc<BackupRow> {
        Arc::new(BackupRow {
            namespace: "db".into(),
            name: name.into(),
            cluster: cluster.into(),
            method: "plugin".into(),
            phase: phase.into(),
            started: Some(now - chrono::Duration::hours(hours_ago)),
            stopped: Some(now - chrono::Duration::hours(hours_ago) + chrono::Duration::minutes(3)),
            ..Default::default()
        })
    }

    #[test]
    fn an_old_failure_followed_by_success_is_history_not_the_pane_state() {
        let now = Utc::now();
        let mut s = Snapshot {
            backups: KindState {
                rows: Arc::new(vec![
                    backup("pg", "old", "failed", 48, now),
                    backup("pg", "new", "completed", 2, now),
                ]),
                sync: SyncState::Live,
                version: 1,
                rv: 0,
                malformed: Default::default(),
            },
            ..Default::default()
        };
        s.clusters.sync = SyncState::Live;
        s.scheduled.sync = SyncState::Live;
        let v = backups_pane(&s, now);
        assert_eq!(v.worst(), Health::Ok);
        let failed = v
            .rows
            .iter()
            .find(|r| r.cells(now).get(2).is_some_and(|c| c == "old"))
            .map(|r| r.health);
        assert_eq!(
            failed,
            Some(Health::Critical),
            "the old failure still shows its glyph"
        );

        s.backups.rows = Arc::new(vec![
            backup("pg", "old", "completed", 48, now),
            backup("pg", "new", "failed", 2, now),
        ]);
        assert_eq!(backups_pane(&s, now).worst(), Health::Critical);
    }
}
