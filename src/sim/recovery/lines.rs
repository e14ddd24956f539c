//! Log lines as the recovery's processes write them: the instance manager's and the
//! plugin's JSON lines (keys in the order they print them), PostgreSQL's records wrapped
//! the way CloudNativePG's instance manager wraps its `csvlog`, and barman-cloud's stderr
//! as `execlog` streams it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// One JSON log line, its keys kept in the order they were added (serde_json sorts them).
pub struct Line {
    text: String,
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

fn quoted(s: &str) -> String {
    Value::String(s.to_string()).to_string()
}

impl Line {
    /// A line of a CloudNativePG component (the instance manager, the plugin).
    pub fn new(level: &str, at: DateTime<Utc>, msg: &str) -> Line {
        Line {
            text: format!(
                "{{\"level\":{},\"ts\":{},\"msg\":{}",
                quoted(level),
                quoted(&ts(at)),
                quoted(msg)
            ),
        }
    }

    pub fn info(at: DateTime<Utc>, msg: &str) -> Line {
        Line::new("info", at, msg)
    }

    pub fn error(at: DateTime<Utc>, msg: &str) -> Line {
        Line::new("error", at, msg)
    }

    pub fn s(mut self, key: &str, value: &str) -> Line {
        self.text
            .push_str(&format!(",{}:{}", quoted(key), quoted(value)));
        self
    }

    pub fn v(mut self, key: &str, value: Value) -> Line {
        self.text.push_str(&format!(",{}:{value}", quoted(key)));
        self
    }

    pub fn done(mut self) -> String {
        self.text.push('}');
        self.text
    }
}

/// A stderr line of a barman-cloud command, as the instance manager and the plugin stream
/// it (`execlog.RunStreaming`): the command is the logger.
pub fn barman(at: DateTime<Utc>, command: &str, pod: &str, text: &str) -> String {
    Line::info(at, text)
        .s("logger", command)
        .s("pipe", "stderr")
        .s("logging_pod", pod)
        .done()
}

/// PostgreSQL's time format in its logs (`log_time`).
pub fn pg_log_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.3f UTC").to_string()
}

/// A timestamp as PostgreSQL prints one in a message (`timestamptz_to_str`, UTC session).
pub fn pg_timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string()
}

/// The startup process of the PostgreSQL that replays the WAL.
pub struct Postgres {
    pub pod: String,
    pub pid: u32,
    pub started: DateTime<Utc>,
    pub line: u32,
}

impl Postgres {
    pub fn new(pod: &str, pid: u32, started: DateTime<Utc>) -> Postgres {
        Postgres {
            pod: pod.to_string(),
            pid,
            started,
            line: 0,
        }
    }

    /// One PostgreSQL log record as the instance manager forwards it: logger `postgres`,
    /// msg `record`, the csvlog fields under `record`.
    pub fn record(
        &mut self,
        at: DateTime<Utc>,
        severity: &str,
        sql_state: &str,
        message: &str,
        hint: Option<&str>,
    ) -> String {
        self.line += 1;
        let session = format!("{:x}.{:x}", self.started.timestamp(), self.pid);
        let mut record = format!(
            "{{\"log_time\":{},\"process_id\":{},\"session_id\":{},\"session_line_num\":{},\"session_start_time\":{},\"transaction_id\":\"0\",\"error_severity\":{},\"sql_state_code\":{},\"message\":{}",
            quoted(&pg_log_time(at)),
            quoted(&self.pid.to_string()),
            quoted(&session),
            quoted(&self.line.to_string()),
            quoted(&self.started.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            quoted(severity),
            quoted(sql_state),
            quoted(message),
        );
        if let Some(hint) = hint {
            record.push_str(&format!(",\"hint\":{}", quoted(hint)));
        }
        record.push_str(",\"backend_type\":\"startup\",\"query_id\":\"0\"}");
        format!(
            "{{\"level\":\"info\",\"ts\":{},\"logger\":\"postgres\",\"msg\":\"record\",\"logging_pod\":{},\"record\":{record}}}",
            quoted(&ts(at)),
            quoted(&self.pod),
        )
    }

    pub fn log(&mut self, at: DateTime<Utc>, message: &str) -> String {
        self.record(at, "LOG", "00000", message, None)
    }
}

/// The WAL segment `n` segments after `wal` (24 hex digits: timeline, log, segment), with
/// the default 16 MiB segments (256 per log).
pub fn next_wal(wal: &str, n: u64) -> String {
    if wal.len() != 24 || !wal.chars().all(|c| c.is_ascii_hexdigit()) {
        return wal.to_string();
    }
    let tli = &wal[..8];
    let log = u64::from_str_radix(&wal[8..16], 16).unwrap_or(0);
    let seg = u64::from_str_radix(&wal[16..], 16).unwrap_or(0);
    let at = log * 256 + seg + n;
    format!("{tli}{:08X}{:08X}", at / 256, at % 256)
}

/// An LSN inside a segment (`36/A7000028` style), `offset` bytes into it.
pub fn lsn_in(wal: &str, offset: u32) -> String {
    if wal.len() != 24 {
        return "0/0".into();
    }
    let log = u64::from_str_radix(&wal[8..16], 16).unwrap_or(0);
    let seg = u64::from_str_radix(&wal[16..], 16).unwrap_or(0);
    format!(
        "{log:X}/{:X}",
        (seg << 24) | u64::from(offset & 0x00ff_ffff)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_the_order_components_print() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T06:00:01.5Z")
            .map(|t| t.with_timezone(&Utc))
            .expect("time");
        assert_eq!(
            Line::info(at, "Restore completed")
                .s("logging_pod", "pg-1")
                .done(),
            r#"{"level":"info","ts":"2026-11-24T06:00:01.500000000Z","msg":"Restore completed","logging_pod":"pg-1"}"#
        );
        let mut pg = Postgres::new("pg-1-full-recovery", 27, at);
        let rec = pg.log(at, "selected new timeline ID: 4");
        let v: Value = serde_json::from_str(&rec).expect("JSON");
        assert_eq!(v["logger"], "postgres");
        assert_eq!(v["msg"], "record");
        assert_eq!(v["record"]["message"], "selected new timeline ID: 4");
        assert_eq!(v["record"]["error_severity"], "LOG");
        assert_eq!(v["record"]["log_time"], "2026-11-24 06:00:01.500 UTC");
    }

    #[test]
    fn wal_names_count_segments_across_logs() {
        assert_eq!(
            next_wal("0000000300000036000000FE", 3),
            "000000030000003700000001"
        );
        assert_eq!(lsn_in("0000000300000036000000A7", 0x28), "36/A7000028");
    }
}
