//! What a recovery pod's log says, in the words the components print: PostgreSQL's own
//! FATAL line, barman-cloud's archive check, the plugin's and the instance manager's errors.

use crate::model::facts::LogTail;

/// barman-cloud-check-wal-archive, as cloudnative-pg `docs/src/recovery.md` quotes it:
/// "ERROR: WAL archive check failed for server recoveredCluster: Expected empty archive".
pub(super) const EMPTY_ARCHIVE: &[&str] = &["Expected empty archive"];
/// PostgreSQL `xlogrecovery.c`, when the archive ends before the recovery target.
pub(super) const TARGET_NOT_REACHED: &[&str] =
    &["recovery ended before configured recovery target was reached"];
/// The catalog of the server read holds no backup (plugin-barman-cloud
/// `internal/cnpgi/restore/restore.go`, cloudnative-pg `pkg/management/postgres/restore.go`),
/// or the source names no entry.
pub(super) const SOURCE_WRONG: &[&str] = &["no target backup found", "missing external cluster"];
/// The store refuses the credentials, or they cannot be built from the configuration
/// (plugin-barman-cloud issue 510: "missing Azure credentials").
pub(super) const CREDENTIALS: &[&str] = &[
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "ExpiredToken",
    "AuthenticationFailed",
    "AuthorizationPermissionMismatch",
    "NoSuchBucket",
    "ContainerNotFound",
    "missing Azure credentials",
    "missing AWS credentials",
    "missing Google credentials",
    "can't get credentials",
    // The Secret the store names, or its key, is not there (the plugin's
    // internal/cnpgi/common credentials code: "while getting secret NAME", "missing key KEY,
    // inside secret NAME").
    "while getting secret",
    "missing key ",
];
/// A backup whose WAL is not all there (plugin-barman-cloud `restore.go`).
pub(super) const BAD_BACKUP: &[&str] = &[
    "encountered an error while checking the presence of first needed WAL in the archive",
    "Can't restore backup",
];

/// Evidence lines kept per finding.
const MAX_LINES: usize = 4;
/// The longest text kept of one line.
const MAX_CHARS: usize = 400;

/// A line as a person reads it: PostgreSQL's records (`"msg":"record"`) by their message,
/// the JSON lines of the instance manager and the plugin by `read::log_line`.
fn readable(raw: &str) -> String {
    let text = crate::assess::read::log_line(raw).text;
    let clean = crate::redact::redact(&crate::sanitize::clean(&text)).into_owned();
    let mut out: String = clean.chars().take(MAX_CHARS).collect();
    if clean.chars().count() > MAX_CHARS {
        out.push('…');
    }
    out
}

/// The lines of these logs that say one of `needles`, as evidence: newest first, each
/// message once with how often it repeated.
pub(super) fn said(tails: &[&LogTail], needles: &[&str]) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for t in tails {
        let Ok(lines) = &t.lines else { continue };
        let label = format!("log {}/{} ({})", t.namespace, t.pod, t.container);
        for raw in lines.iter().rev() {
            if !needles.iter().any(|n| raw.contains(n)) {
                continue;
            }
            let line = format!("{label}: {}", readable(raw));
            match out.iter_mut().find(|(l, _)| *l == line) {
                Some((_, n)) => *n += 1,
                None => out.push((line, 1)),
            }
        }
    }
    out.into_iter()
        .take(MAX_LINES)
        .map(|(l, n)| if n > 1 { format!("{l} (×{n})") } else { l })
        .collect()
}

/// The steps of a restore as its components log them, latest first: PostgreSQL's own
/// messages (`xlogrecovery.c`, `xlog.c`), the instance manager's and the plugin's
/// (cloudnative-pg `pkg/management/postgres/restore.go`, `internal/cmd/manager/walrestore`;
/// plugin-barman-cloud `internal/cnpgi/restore/restore.go`).
const STAGES: &[(&str, &str)] = &[
    (
        "database system is ready to accept connections",
        "PostgreSQL accepts connections",
    ),
    ("archive recovery complete", "archive recovery complete"),
    (
        "consistent recovery state reached",
        "replaying WAL, consistent",
    ),
    ("Restored WAL file", "replaying WAL"),
    ("restored log file", "replaying WAL"),
    ("redo starts at", "replaying WAL"),
    ("Restore completed", "base backup restored"),
    (
        "Starting barman-cloud-restore",
        "downloading the base backup",
    ),
    ("Target backup found", "base backup chosen"),
    ("Downloading backup catalog", "reading the backup catalog"),
    ("Recovering from external cluster", "starting"),
];

/// How far the restore got, from the newest line that names a step.
pub(super) fn stage(tails: &[&LogTail]) -> Option<&'static str> {
    let mut best: Option<(usize, &'static str)> = None;
    for t in tails {
        let Ok(lines) = &t.lines else { continue };
        for raw in lines.iter().rev() {
            if let Some(rank) = STAGES.iter().position(|(needle, _)| raw.contains(needle))
                && best.is_none_or(|(b, _)| rank < b)
            {
                best = Some((rank, STAGES[rank].1));
            }
        }
    }
    best.map(|(_, s)| s)
}

/// The newest line of these logs, as progress: what the restore did last.
pub(super) fn newest(tails: &[&LogTail]) -> Option<String> {
    tails
        .iter()
        .filter_map(|t| {
            let lines = t.lines.as_ref().ok()?;
            let last = lines.iter().rev().find(|l| !l.trim().is_empty())?;
            Some(format!(
                "log {}/{} ({}): {}",
                t.namespace,
                t.pod,
                t.container,
                readable(last)
            ))
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_records_read_by_their_message() {
        // The instance manager wraps PostgreSQL's csvlog as a JSON "record".
        let raw = r#"2026-11-24T05:41:09.812Z {"level":"info","ts":"2026-11-24T05:41:09.812Z","logger":"postgres","msg":"record","logging_pod":"pg-restore-1-full-recovery","record":{"log_time":"2026-11-24 05:41:09.812 UTC","process_id":"31","error_severity":"FATAL","sql_state_code":"XX000","message":"recovery ended before configured recovery target was reached","backend_type":"startup"}}"#;
        assert_eq!(
            readable(raw),
            "postgres FATAL: recovery ended before configured recovery target was reached"
        );
        let tail = LogTail {
            namespace: "orders".into(),
            pod: "pg-restore-1-full-recovery-x7k2p".into(),
            container: "full-recovery".into(),
            lines: Ok(vec![raw.to_string(), raw.to_string(), "other".into()]),
        };
        let progress = LogTail {
            lines: Ok(vec![
                r#"{"level":"info","ts":"2026-11-24T05:50:01Z","msg":"Target backup found","logging_pod":"pg-orders-restore-1-full-recovery"}"#.into(),
                r#"{"level":"info","ts":"2026-11-24T05:52:01Z","msg":"Restore completed","logging_pod":"pg-orders-restore-1-full-recovery"}"#.into(),
            ]),
            ..tail.clone()
        };
        assert_eq!(stage(&[&progress]), Some("base backup restored"));
        assert_eq!(stage(&[]), None);
        assert_eq!(
            said(&[&tail], TARGET_NOT_REACHED),
            [
                "log orders/pg-restore-1-full-recovery-x7k2p (full-recovery): postgres FATAL: recovery ended before configured recovery target was reached (×2)"
            ]
        );
    }
}
