//! Moving a scenario's times to the present (`spec.clock.anchor`): every RFC3339 time in
//! objects, timeline bodies and log lines shifts by the same amount, so ages stay as written.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

/// Moves every RFC3339 timestamp in an object by `shift`.
pub fn shift_times(v: &mut Value, shift: chrono::Duration) {
    if shift.is_zero() {
        return;
    }
    match v {
        Value::String(s) => {
            if let Some(n) = shift_str(s, shift) {
                *s = n;
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| shift_times(x, shift)),
        Value::Object(m) => m.values_mut().for_each(|x| shift_times(x, shift)),
        _ => {}
    }
}

/// Moves every RFC3339 time in a log line, wherever it stands (a leading stamp, a JSON
/// "ts" field), so the line keeps its age.
pub(super) fn shift_line(line: &str, shift: chrono::Duration) -> String {
    if shift.is_zero() {
        return line.to_string();
    }
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    let mut copied = 0;
    while i + 20 <= bytes.len() {
        let candidate = bytes[i].is_ascii_digit() && bytes[i + 4] == b'-' && bytes[i + 10] == b'T';
        if candidate {
            // The longest RFC3339 time starting here: digits, separators, fraction, zone.
            let end = (i..bytes.len().min(i + 35))
                .take_while(|&j| {
                    bytes[j].is_ascii_digit()
                        || matches!(bytes[j], b'-' | b':' | b'T' | b'.' | b'Z' | b'+')
                })
                .last()
                .map_or(i, |j| j + 1);
            if let Some(shifted) = line.get(i..end).and_then(|t| shift_str(t, shift)) {
                out.push_str(&line[copied..i]);
                out.push_str(&shifted);
                i = end;
                copied = end;
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&line[copied..]);
    out
}

fn looks_like_time(s: &str) -> bool {
    let b = s.as_bytes();
    (20..=35).contains(&b.len()) && b[4] == b'-' && b[7] == b'-' && b[10] == b'T' && b[13] == b':'
}

fn shift_str(s: &str, shift: chrono::Duration) -> Option<String> {
    if !looks_like_time(s) {
        return None;
    }
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc) + shift;
    let frac = s.contains('.');
    Some(t.to_rfc3339_opts(
        if frac {
            SecondsFormat::AutoSi
        } else {
            SecondsFormat::Secs
        },
        true,
    ))
}
