//! Each row's health, decided here and only here, from the same thresholds the findings
//! use: a pane's colour and `backstop check` never disagree about what is late or broken.
//! A row then takes its worst finding's severity when that is worse (`Health::from`).

use chrono::{DateTime, Utc};

use super::read::FAILING;
use super::{Severity, Thresholds};
use crate::model::SyncState;
use crate::model::kubefmt::delta;
use crate::model::rows::{
    BackupRow, ClusterRow, Condition, PodRow, ScheduledBackupRow, ServerWindow,
};

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

impl From<Severity> for Health {
    fn from(s: Severity) -> Health {
        match s {
            Severity::Critical => Health::Critical,
            Severity::Warning => Health::Warning,
            Severity::Info => Health::Info,
        }
    }
}

impl From<super::Status> for Health {
    fn from(s: super::Status) -> Health {
        match s {
            super::Status::Ok => Health::Ok,
            super::Status::Warning => Health::Warning,
            super::Status::Critical => Health::Critical,
            super::Status::Unknown => Health::Unknown,
        }
    }
}

/// How a kind's sync state weighs on its pane.
pub fn sync(s: &SyncState) -> Health {
    match s {
        SyncState::Live => Health::Ok,
        SyncState::Syncing => Health::Progress,
        SyncState::NotInstalled { .. } => Health::Warning,
        _ => Health::Unknown,
    }
}

/// A pod, by its kubectl STATUS: the statuses PLG005 calls "cannot run" are critical,
/// restarts at PLG006's threshold a warning.
pub fn pod(p: &PodRow, th: &Thresholds) -> Health {
    match p.status.as_str() {
        s if FAILING.contains(&s) => Health::Critical,
        "Running" if p.is_ready() && p.restarts >= th.restarts => Health::Warning,
        "Running" if p.is_ready() => Health::Ok,
        "Running" => Health::Warning,
        "Terminating" | "Pending" | "ContainerCreating" | "PodInitializing" => Health::Warning,
        s if s.starts_with("Init:") => Health::Warning,
        "Completed" | "Succeeded" => Health::Info,
        _ => Health::Unknown,
    }
}

fn older_than(t: Option<DateTime<Utc>>, now: DateTime<Utc>, limit: std::time::Duration) -> bool {
    t.is_some_and(|t| now - t > delta(limit))
}

/// A Backup, by its phase: pending or running past BKP004's thresholds is a warning.
pub fn backup(b: &BackupRow, now: DateTime<Utc>, th: &Thresholds) -> Health {
    match b.phase.as_str() {
        "completed" => Health::Ok,
        "failed" | "walArchivingFailing" | "invalid backup definition" => Health::Critical,
        "pending" if older_than(b.when(), now, th.pending_stuck) => Health::Warning,
        "started" | "running" | "finalizing" if older_than(b.started, now, th.running_stuck) => {
            Health::Warning
        }
        "pending" | "started" | "running" | "finalizing" | "" => Health::Progress,
        _ => Health::Unknown,
    }
}

/// One server's recovery window in a store: failing since its last success, or no
/// success within BKP002's `backup_max_age`, is critical; no window at all a warning.
pub fn store_window(w: Option<&ServerWindow>, now: DateTime<Utc>, th: &Thresholds) -> Health {
    let Some(w) = w else {
        return Health::Warning;
    };
    let failing = match (w.last_failure, w.last_success) {
        (Some(f), Some(ok)) => f > ok,
        (Some(_), None) => true,
        _ => false,
    };
    let stale = w
        .last_success
        .is_none_or(|t| now - t > delta(th.backup_max_age));
    if failing || stale {
        Health::Critical
    } else {
        Health::Ok
    }
}

/// The Cluster phases that mean the operator cannot talk to the plugin.
pub fn plugin_phase(phase: &str) -> bool {
    phase.contains("unknown plugin") || phase.contains("error while interacting with plugins")
}

/// A Cluster's phase when it is not healthy.
pub fn cluster_phase(c: &ClusterRow) -> Health {
    if plugin_phase(&c.phase) {
        Health::Critical
    } else if c.phase.is_empty() || c.phase == crate::model::domain::PHASE_HEALTHY {
        Health::Ok
    } else {
        Health::Warning
    }
}

/// A Cluster's WAL archiving, with the words a pane shows.
pub fn archiving(c: &ClusterRow) -> (Health, Archiving<'_>) {
    match (c.archiving(), &c.plugin, c.legacy_barman) {
        (Some(a), _, _) if a.is_true() => (Health::Ok, Archiving::Ok),
        (Some(a), _, _) if a.status == "False" => (Health::Critical, Archiving::Failing(a)),
        (_, None, false) => (Health::Info, Archiving::NotConfigured),
        _ => (Health::Unknown, Archiving::Unknown),
    }
}

/// What a Cluster's ContinuousArchiving condition says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Archiving<'a> {
    Ok,
    Failing(&'a Condition),
    NotConfigured,
    Unknown,
}

/// A Cluster's schedules: a suspended one is a warning (nothing backs up on its own).
pub fn schedules(list: &[&ScheduledBackupRow]) -> Health {
    if list.iter().any(|sb| sb.suspended) {
        Health::Warning
    } else {
        Health::Ok
    }
}

/// A Flux object's Ready condition.
pub fn ready(c: Option<&Condition>) -> Health {
    match c {
        Some(c) if c.is_true() => Health::Ok,
        Some(c) if c.status == "Unknown" => Health::Progress,
        Some(_) => Health::Critical,
        None => Health::Unknown,
    }
}

/// A suspended Flux object delivers nothing new: at least a warning.
pub fn suspended(h: Health, suspended: bool) -> Health {
    if suspended { h.max(Health::Warning) } else { h }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap_or_default()
    }

    fn window(last_success_h: i64) -> ServerWindow {
        ServerWindow {
            server: "pg".into(),
            last_success: Some(at(last_success_h)),
            ..Default::default()
        }
    }

    #[test]
    fn a_window_is_stale_after_the_configured_age_not_a_fixed_one() {
        let now = at(30);
        let w = window(0);
        assert_eq!(
            store_window(Some(&w), now, &Thresholds::default()),
            Health::Critical
        );
        let relaxed = Thresholds {
            backup_max_age: std::time::Duration::from_secs(48 * 3600),
            ..Thresholds::default()
        };
        assert_eq!(store_window(Some(&w), now, &relaxed), Health::Ok);
        assert_eq!(store_window(None, now, &relaxed), Health::Warning);
    }

    #[test]
    fn restarts_warn_at_the_configured_count() {
        let p = PodRow {
            status: "Running".into(),
            ready: (1, 1),
            restarts: 4,
            ..Default::default()
        };
        assert_eq!(pod(&p, &Thresholds::default()), Health::Warning);
        let th = Thresholds {
            restarts: 10,
            ..Thresholds::default()
        };
        assert_eq!(pod(&p, &th), Health::Ok);
    }

    #[test]
    fn every_status_plg005_calls_failing_is_critical() {
        for s in FAILING {
            let p = PodRow {
                status: s.to_string(),
                ..Default::default()
            };
            assert_eq!(pod(&p, &Thresholds::default()), Health::Critical, "{s}");
        }
    }

    #[test]
    fn backups_are_stuck_after_the_configured_times() {
        let b = BackupRow {
            phase: "running".into(),
            started: Some(at(0)),
            ..Default::default()
        };
        assert_eq!(backup(&b, at(7), &Thresholds::default()), Health::Warning);
        let th = Thresholds {
            running_stuck: std::time::Duration::from_secs(12 * 3600),
            ..Thresholds::default()
        };
        assert_eq!(backup(&b, at(7), &th), Health::Progress);
    }
}
