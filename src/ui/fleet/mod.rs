//! The fleet screen (`backstop --context a,b` or `--all-contexts`): one row per Kubernetes
//! cluster, worst first, with each CNPG Cluster's last good backup and proven window under
//! it. This file is its state and what a key or a read does to it, with no IO: the loop in
//! `run.rs` reads the contexts and opens the dashboards.

pub mod draw;
pub mod run;

use chrono::{DateTime, Utc};
use crossterm::event::KeyEvent;

use crate::assess::Thresholds;
use crate::fleet::Judged;
use crate::ui::keys::{FLEET_BINDINGS, FleetAction, GLOBAL_BINDINGS, GlobalAction, action_in};
use crate::ui::panes::Health;

/// How often the fleet is read again while the screen is shown.
pub const REREAD_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(30);

/// What the screen asks its loop to do.
#[derive(Debug, Clone, PartialEq)]
pub enum FleetCmd {
    Quit,
    /// Read every context again now.
    Reread,
    /// Open this context's dashboard.
    Dive(String),
}

pub struct FleetView {
    /// The contexts asked for, in their order: the rows before the first read ends.
    pub names: Vec<String>,
    /// The last read, judged, worst first.
    pub sites: Vec<Judged>,
    /// When the last read ended.
    pub read_at: Option<DateTime<Utc>>,
    /// When the read under way began.
    pub reading_since: Option<DateTime<Utc>>,
    pub now: DateTime<Utc>,
    /// The selected row's context: kept across reads, which may reorder the rows.
    selected: Option<String>,
    /// A line for the footer, over the key hints.
    pub message: Option<(Health, String)>,
    /// The backup age `check` calls late (BKP002): a last good backup older is shown so.
    pub backup_max_age: std::time::Duration,
}

impl FleetView {
    pub fn new(names: Vec<String>, now: DateTime<Utc>, th: &Thresholds) -> FleetView {
        FleetView {
            selected: names.first().cloned(),
            names,
            sites: Vec::new(),
            read_at: None,
            reading_since: None,
            now,
            message: None,
            backup_max_age: th.backup_max_age,
        }
    }

    /// The rows' contexts in their order on screen: the last read's, or, before one, the
    /// names asked for.
    pub fn contexts(&self) -> Vec<&str> {
        if self.sites.is_empty() {
            self.names.iter().map(String::as_str).collect()
        } else {
            self.sites.iter().map(|s| s.context.as_str()).collect()
        }
    }

    /// The selected row's index.
    pub fn selected(&self) -> usize {
        let contexts = self.contexts();
        self.selected
            .as_deref()
            .and_then(|s| contexts.iter().position(|c| *c == s))
            .unwrap_or(0)
    }

    /// The selected row's site, once read.
    pub fn selected_site(&self) -> Option<&Judged> {
        self.sites.get(self.selected())
    }

    fn select(&mut self, index: usize) {
        let contexts = self.contexts();
        let last = contexts.len().saturating_sub(1);
        self.selected = contexts.get(index.min(last)).map(|c| c.to_string());
    }

    pub fn key(&mut self, key: &KeyEvent) -> Option<FleetCmd> {
        if action_in(GLOBAL_BINDINGS, key) == Some(GlobalAction::Quit) {
            return Some(FleetCmd::Quit);
        }
        let action = action_in(FLEET_BINDINGS, key)?;
        self.message = None;
        let at = self.selected();
        match action {
            FleetAction::Up => self.select(at.saturating_sub(1)),
            FleetAction::Down => self.select(at + 1),
            FleetAction::Top => self.select(0),
            FleetAction::Bottom => self.select(usize::MAX),
            FleetAction::Quit => return Some(FleetCmd::Quit),
            FleetAction::Reread if self.reading_since.is_some() => {
                self.message = Some((Health::Info, "already reading every context…".into()));
            }
            FleetAction::Reread => return Some(FleetCmd::Reread),
            FleetAction::Dive => {
                return self
                    .contexts()
                    .get(at)
                    .map(|c| FleetCmd::Dive(c.to_string()));
            }
        }
        None
    }

    /// A read began.
    pub fn reading(&mut self, now: DateTime<Utc>) {
        self.reading_since = Some(now);
    }

    /// A read ended: its sites, judged, worst first. The selection stays on its context.
    pub fn read(&mut self, sites: Vec<Judged>, now: DateTime<Utc>) {
        self.sites = sites;
        self.read_at = Some(now);
        self.reading_since = None;
        self.now = now;
        let kept = self
            .selected
            .as_deref()
            .is_some_and(|s| self.contexts().contains(&s));
        if !kept {
            self.select(0);
        }
    }

    /// The clock moved; whether a new read is due (none is under way, and the last ended
    /// `REREAD_EVERY` ago).
    pub fn tick(&mut self, now: DateTime<Utc>) -> bool {
        self.now = now;
        self.reading_since.is_none() && self.read_at.is_none_or(|at| now - at >= REREAD_EVERY)
    }
}

#[cfg(test)]
mod tests;
