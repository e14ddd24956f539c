//! What a restore aims at: the newest WAL, a point in time with its timezone, or the end of
//! one base backup; read from the command line or a dialog.

use chrono::{DateTime, FixedOffset, Utc};

/// The point a restore stops at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Replay every archived WAL: no `recoveryTarget` time.
    Latest,
    /// `recoveryTarget.targetTime`, always written with its offset: PostgreSQL reads a time
    /// without one in the server's timezone, which CloudNativePG sets to UTC
    /// (plugin-barman-cloud#699).
    Time(DateTime<FixedOffset>),
    /// The end of one base backup: `backupID` pinned with `targetImmediate`.
    Backup(String),
}

impl Target {
    /// As a report and the drill annotation say it.
    pub fn describe(&self) -> String {
        match self {
            Target::Latest => "latest".into(),
            Target::Time(t) => t.to_rfc3339(),
            Target::Backup(id) => format!("backup {id}"),
        }
    }

    pub fn time(&self) -> Option<DateTime<Utc>> {
        match self {
            Target::Time(t) => Some(t.with_timezone(&Utc)),
            _ => None,
        }
    }
}

/// Reads `--to`: `latest`, or an RFC 3339 time with an explicit timezone (`Z` or `+01:00`).
/// A time without one is refused rather than guessed: PostgreSQL would read it as UTC, and
/// a restore to the wrong hour is discovered only after it "worked".
pub fn parse_to(text: &str) -> Result<Target, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("latest") {
        return Ok(Target::Latest);
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(t) {
        return Ok(Target::Time(at));
    }
    // The same with a space instead of the T (as psql prints times), or without seconds.
    let zoned = match t.strip_suffix('Z') {
        Some(head) => format!("{head}+00:00"),
        None => t.to_string(),
    };
    let with_zone = [
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M%:z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
    ];
    if let Some(at) = with_zone
        .iter()
        .find_map(|f| DateTime::parse_from_str(&zoned, f).ok())
    {
        return Ok(Target::Time(at));
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .any(|f| chrono::NaiveDateTime::parse_from_str(t, f).is_ok());
    if naive {
        return Err(format!(
            "'{t}' has no timezone: write it with one ('{t}Z' for UTC, or '{t}+01:00'); \
             PostgreSQL would read it as UTC, which is rarely what a person means"
        ));
    }
    Err(format!(
        "'{t}' is neither 'latest' nor a time: write an RFC 3339 time with its timezone, \
         e.g. 2026-12-04T09:30:00Z or 2026-12-04T10:30:00+01:00"
    ))
}

/// A backup ID as barman-cloud names base backups (`20261124T060000`) or as the plugin
/// names them (`backup-20261124060000`).
pub fn parse_backup_id(text: &str) -> Result<String, String> {
    let t = text.trim();
    let ok = !t.is_empty()
        && t.len() <= 64
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(t.to_string())
    } else {
        Err(format!(
            "'{}' is not a backup ID: IDs look like 20261124T060000 (the folder under base/ \
             in the bucket, or a Backup's status.backupId)",
            crate::sanitize::bounded(t, 80)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_need_their_timezone_and_keep_it() {
        assert_eq!(parse_to("latest"), Ok(Target::Latest));
        let t = parse_to("2026-12-04T10:30:00+01:00").expect("a time");
        assert_eq!(t.describe(), "2026-12-04T10:30:00+01:00");
        assert_eq!(
            t.time().map(|t| t.to_rfc3339()),
            Some("2026-12-04T09:30:00+00:00".into())
        );
        assert!(matches!(
            parse_to("2026-12-04 09:30:00+00"),
            Ok(Target::Time(_))
        ));
        let err = parse_to("2026-12-04T09:30:00").expect_err("no timezone");
        assert!(err.contains("has no timezone"), "{err}");
        assert!(err.contains("2026-12-04T09:30:00Z"), "{err}");
        let err = parse_to("2026-12-04 10:00").expect_err("no timezone");
        assert!(err.contains("has no timezone"), "{err}");
        // What the message suggests is taken.
        assert!(matches!(parse_to("2026-12-04 10:00Z"), Ok(Target::Time(_))));
        assert!(matches!(
            parse_to("2026-12-04T10:00+01:00"),
            Ok(Target::Time(_))
        ));
        let err = parse_to("yesterday").expect_err("not a time");
        assert!(err.contains("RFC 3339"), "{err}");
    }

    #[test]
    fn backup_ids_are_names_not_paths() {
        assert_eq!(
            parse_backup_id(" 20261124T060000 "),
            Ok("20261124T060000".into())
        );
        assert!(parse_backup_id("../etc").is_err());
        assert!(parse_backup_id("").is_err());
    }
}
