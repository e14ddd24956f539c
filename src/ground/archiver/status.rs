//! The instance manager's `/pg/status` answer, read leniently: the archiver fields of
//! CloudNativePG's `PostgresqlStatus` (`pkg/postgres/status.go`). Pure: text in, data out.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::model::archiver::InstanceArchive;

/// The archiver fields of a `/pg/status` body; an error names what was wrong.
pub fn parse_status(body: &str) -> Result<InstanceArchive, String> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| format!("the status is not JSON ({e})"))?;
    if !v.is_object() {
        return Err("the status is not a JSON object".into());
    }
    // WAL names are 24 characters and times about 30: anything far longer is not what the
    // instance manager writes, and is cut before a report quotes it.
    let text = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(64).collect::<String>())
    };
    let flag = |k: &str| v.get(k).and_then(Value::as_bool).unwrap_or(false);
    Ok(InstanceArchive {
        is_primary: flag("isPrimary"),
        is_archiving: flag("isArchivingWAL"),
        last_archived_wal: text("lastArchivedWAL"),
        last_archived_time: text("lastArchivedWALTime").and_then(|t| pg_time(&t)),
        last_failed_wal: text("lastFailedWAL"),
        last_failed_time: text("lastFailedWALTime").and_then(|t| pg_time(&t)),
        current_wal: text("currentWAL"),
        // omitempty: absent means none waiting.
        ready_wal_files: v.get("readyWalFiles").and_then(Value::as_u64).unwrap_or(0),
        timeline: v.get("timeLineID").and_then(Value::as_u64),
    })
}

/// A `pg_stat_archiver` time as the instance manager passes it on: RFC 3339 (Go's database
/// driver formats a timestamptz so), `-infinity` for never, or PostgreSQL's own text.
pub fn pg_time(t: &str) -> Option<DateTime<Utc>> {
    if t.ends_with("infinity") {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in ["%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%z"] {
        if let Ok(d) = DateTime::parse_from_str(t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    // No zone: the server's, which CloudNativePG images run in UTC.
    NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
        .ok()
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape a primary answers with (fields of `PostgresqlStatus`, `omitempty` ones
    /// left out when empty; the `pod` the client adds is absent from the instance's body).
    const PRIMARY: &str = r#"{
        "currentLsn": "0/7000060", "systemID": "7441234567890123456", "isPrimary": true,
        "replayPaused": false, "pendingRestart": false, "pendingRestartForDecrease": false,
        "isWalReceiverActive": false, "isPgRewindRunning": false, "mightBeUnavailable": false,
        "isArchivingWAL": true, "node": "worker-1", "pod": null,
        "lastArchivedWAL": "000000010000000000000006",
        "lastArchivedWALTime": "2026-11-24T05:58:02.123456Z",
        "lastFailedWALTime": "-infinity",
        "currentWAL": "000000010000000000000007", "readyWalFiles": 2, "timeLineID": 1,
        "executableHash": "abc", "instanceManagerVersion": "1.28.0", "instanceArch": "amd64",
        "isInstanceManagerUpgrading": false, "sessionID": "s", "isPodReady": false
    }"#;

    #[test]
    fn a_primary_status_gives_its_archiver_fields() {
        let s = parse_status(PRIMARY).expect("parses");
        assert!(s.is_primary && s.is_archiving);
        assert_eq!(
            s.last_archived_wal.as_deref(),
            Some("000000010000000000000006")
        );
        assert_eq!(
            s.last_archived_time.map(|t| t.to_rfc3339()),
            Some("2026-11-24T05:58:02.123456+00:00".into())
        );
        assert_eq!((s.last_failed_wal, s.last_failed_time), (None, None));
        assert_eq!(s.current_wal.as_deref(), Some("000000010000000000000007"));
        assert_eq!((s.ready_wal_files, s.timeline), (2, Some(1)));
    }

    #[test]
    fn omitted_fields_are_none_and_postgres_times_are_read() {
        let s = parse_status(
            r#"{"isPrimary": true, "lastFailedWAL": "000000010000000000000009",
                "lastFailedWALTime": "2021-05-05 12:00:00", "lastArchivedWALTime": "2021-05-05 11:00:00+02"}"#,
        )
        .expect("parses");
        assert!(!s.is_archiving);
        assert_eq!(s.ready_wal_files, 0);
        assert_eq!(
            s.last_failed_time.map(|t| t.to_rfc3339()),
            Some("2021-05-05T12:00:00+00:00".into())
        );
        assert_eq!(
            s.last_archived_time.map(|t| t.to_rfc3339()),
            Some("2021-05-05T09:00:00+00:00".into())
        );
    }

    #[test]
    fn an_overlong_field_is_cut() {
        let long = "0".repeat(10_000);
        let s = parse_status(&format!(r#"{{"lastArchivedWAL": "{long}"}}"#)).expect("parses");
        assert_eq!(s.last_archived_wal.map(|w| w.len()), Some(64));
    }

    #[test]
    fn what_is_not_a_status_says_so() {
        assert!(
            parse_status("<html>502</html>")
                .unwrap_err()
                .contains("not JSON")
        );
        assert!(
            parse_status("[1]")
                .unwrap_err()
                .contains("not a JSON object")
        );
        // A wrong type is not a crash: the field reads as absent.
        let s = parse_status(r#"{"readyWalFiles": "many", "isPrimary": "yes"}"#).expect("lenient");
        assert_eq!((s.ready_wal_files, s.is_primary), (0, false));
    }
}
