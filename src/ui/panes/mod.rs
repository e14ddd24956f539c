//! What each pane shows, derived from a Snapshot, the clock and the thresholds: pure, so
//! every pane is a unit test on fixture rows. Row health comes from `assess::health`, the
//! same verdicts the findings use; drawing only lays these out (`table`).

mod backups;
mod flux;
mod object_stores;
mod plugin;
pub mod table;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::sync::Arc;

use chrono::{DateTime, Utc};

pub use crate::assess::health::Health;
use crate::assess::{Thresholds, health};
use crate::model::archiver::ArchiverReading;
use crate::model::bucket::StoreProof;
use crate::model::kubefmt::human_duration;
use crate::model::rows::BackupRow;
use crate::model::{Kind, ObjectRef, Snapshot, SyncState};

pub use backups::backup_cells;

/// A column: its title, the width it wants, and which columns go first when space is short
/// (lower `drop` survives longer; 0 never drops).
#[derive(Debug, Clone, Copy)]
pub struct ColumnDef {
    pub title: &'static str,
    pub min: u16,
    pub max: u16,
    pub drop: u8,
}

impl ColumnDef {
    pub const fn new(title: &'static str, min: u16, max: u16, drop: u8) -> ColumnDef {
        ColumnDef {
            title,
            min,
            max,
            drop,
        }
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
    pub(super) object: Option<ObjectRef>,
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
    /// Objects of the pane's kinds read with a malformed field, named: shown under the rows.
    pub malformed: Vec<String>,
}

/// The malformed-object notes of the kinds a pane reads, in order.
pub(super) fn malformed_of<const N: usize>(kinds: [&Arc<Vec<String>>; N]) -> Vec<String> {
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
            .map(|(_, s)| health::sync(s))
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

pub(super) fn ago(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!("{} ago", human_duration(now - t)),
        None => "never".into(),
    }
}

pub(super) fn nsname(ns: &str, name: &str) -> String {
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

pub(super) fn heading(text: &str, width: usize) -> ViewRow {
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

/// What was read beyond the API server, shown beside what the status fields claim: each
/// store's contents as listed from the bucket, each primary's archiver as it reports.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ground<'a> {
    pub proofs: &'a [StoreProof],
    pub archivers: &'a [ArchiverReading],
}

/// The four panes, in their order on screen.
pub fn panes(s: &Snapshot, now: DateTime<Utc>, th: &Thresholds, g: Ground) -> [PaneView; 4] {
    std::array::from_fn(|i| pane(i, s, now, th, g))
}

/// One pane: 0 plugin and operator, 1 ObjectStores, 2 Backups, 3 Flux.
pub fn pane(
    index: usize,
    s: &Snapshot,
    now: DateTime<Utc>,
    th: &Thresholds,
    g: Ground,
) -> PaneView {
    match index {
        0 => plugin::pane(s, now, th),
        1 => object_stores::pane(s, now, th, g.proofs),
        2 => backups::pane(s, now, th, g.archivers),
        _ => flux::pane(s, now),
    }
}
