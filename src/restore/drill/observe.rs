//! What a recovery says about itself, read purely: PostgreSQL's own lines in the recovery
//! pod's log (the timeline it chose, the last transaction it replayed, where it stopped),
//! and where in its course a recovery Cluster is.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::domain::{PHASE_HEALTHY, phase_unrecoverable};

/// One log line as a person reads it (PostgreSQL's records by their message, the JSON
/// lines of the instance manager and the plugin unpacked), as the restore rules read it.
pub fn line_text(raw: &str) -> String {
    crate::assess::read::log_line(raw).text
}

/// PostgreSQL's log time: `2026-12-04 09:59:58.123456+00`.
fn pg_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim().trim_end_matches('.');
    DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%#z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// What the recovery's own log proved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Replay {
    /// `selected new timeline ID: N`.
    pub timeline: Option<u32>,
    /// `last completed transaction was at log time T`, or where a target stopped it
    /// (`recovery stopping before commit of transaction X, time T`).
    pub last_transaction: Option<DateTime<Utc>>,
    /// The line that says where a target stopped the replay.
    pub stopped_at: Option<String>,
    /// WAL segments restored from the archive, and the last one.
    pub restored_wal: u64,
    pub last_restored: Option<String>,
    pub complete: bool,
    /// The base backup the restore started from (`Restoring from backup_id: X`).
    pub backup_id: Option<String>,
}

impl Replay {
    pub fn read<'a>(lines: impl IntoIterator<Item = &'a str>) -> Replay {
        let mut r = Replay::default();
        for raw in lines {
            let text = line_text(raw);
            if let Some(n) = after(&text, "selected new timeline ID: ") {
                r.timeline = n
                    .trim()
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .and_then(|d| d.parse().ok());
            } else if let Some(t) = after(&text, "last completed transaction was at log time ") {
                r.last_transaction = pg_time(t).or(r.last_transaction);
            } else if text.contains("recovery stopping ") {
                if let Some(t) = after(&text, ", time ") {
                    r.last_transaction = pg_time(t).or(r.last_transaction);
                }
                r.stopped_at = Some(text.trim().to_string());
            } else if let Some(rest) = after(&text, "restored log file \"") {
                r.restored_wal += 1;
                r.last_restored = rest.split('"').next().map(str::to_string);
            } else if text.contains("archive recovery complete") {
                r.complete = true;
            } else if let Some(id) = after(&text, "Restoring from backup_id: ") {
                r.backup_id = id.split_whitespace().next().map(str::to_string);
            }
        }
        r
    }
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|i| &text[i + marker.len()..])
}

/// A recovery Cluster's course, from its status.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterCourse {
    pub phase: String,
    pub phase_reason: String,
    pub ready: i64,
    pub timeline: Option<i64>,
}

impl ClusterCourse {
    pub fn of(cluster: &Value) -> ClusterCourse {
        let s = |p: &str| {
            cluster
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        ClusterCourse {
            phase: s("/status/phase"),
            phase_reason: s("/status/phaseReason"),
            ready: cluster
                .pointer("/status/readyInstances")
                .and_then(Value::as_i64)
                .unwrap_or(0),
            timeline: cluster
                .pointer("/status/timelineID")
                .and_then(Value::as_i64),
        }
    }

    pub fn healthy(&self) -> bool {
        self.phase == PHASE_HEALTHY && self.ready > 0
    }

    pub fn unrecoverable(&self) -> bool {
        phase_unrecoverable(&self.phase)
    }
}

/// The pods of a recovery, in the order they matter: the `*-full-recovery` Job's pods
/// (CloudNativePG before the init-container bootstrap) and the instance pods, whose
/// bootstrap init container restores in the newer shape (cloudnative-pg#11319).
pub fn recovery_pods<'a>(pods: &'a [Value], cluster: &str) -> Vec<&'a Value> {
    let label = |p: &Value, k: &str| {
        p.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1")))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let mut out: Vec<&Value> = pods
        .iter()
        .filter(|p| label(p, "cnpg.io/cluster").as_deref() == Some(cluster))
        .collect();
    out.sort_by_key(|p| {
        (
            label(p, "cnpg.io/jobRole").is_none(),
            p.pointer("/metadata/creationTimestamp")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_records_tell_the_timeline_and_the_last_replayed_transaction() {
        let rec = |msg: &str| {
            serde_json::json!({"level": "info", "ts": "2026-12-04T10:00:01Z", "logger": "postgres",
                "msg": "record", "logging_pod": "pg-drill-1-full-recovery-x",
                "record": {"log_time": "2026-12-04 10:00:01.000 UTC", "error_severity": "LOG", "message": msg}})
            .to_string()
        };
        let lines = [
            rec("restored log file \"000000010000000000000005\" from archive"),
            rec("restored log file \"000000010000000000000006\" from archive"),
            rec(
                "recovery stopping before commit of transaction 7411, time 2026-12-04 09:30:02.5+00",
            ),
            rec("selected new timeline ID: 2"),
            rec("archive recovery complete"),
        ];
        let r = Replay::read(lines.iter().map(String::as_str));
        assert_eq!(r.timeline, Some(2));
        assert_eq!(r.restored_wal, 2);
        assert_eq!(r.last_restored.as_deref(), Some("000000010000000000000006"));
        assert_eq!(
            r.last_transaction.map(|t| t.to_rfc3339()),
            Some("2026-12-04T09:30:02.500+00:00".into())
        );
        assert!(r.complete);
        assert!(
            r.stopped_at
                .as_deref()
                .is_some_and(|s| s.starts_with("postgres LOG: recovery stopping before commit"))
        );
        let plain = Replay::read([
            "LOG:  last completed transaction was at log time 2026-12-04 09:59:58.123456+00",
        ]);
        assert_eq!(
            plain.last_transaction.map(|t| t.timestamp()),
            Some(1_796_378_398)
        );
    }
}
