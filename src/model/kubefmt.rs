//! kubectl's conventions, for everything that prints like kubectl or reads what kubectl
//! users write: STATUS, READY, ages, durations, timestamps.

use std::time::Duration;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use serde_json::Value;

/// kubectl's `duration.HumanDuration`: `45s`, `3m20s`, `2h5m`, `5d`, `1y20d`.
pub fn human_duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds();
    if secs < -1 {
        return "<invalid>".into();
    }
    if secs < 0 {
        return "0s".into();
    }
    let s = secs;
    let m = s / 60;
    let h = m / 60;
    let days = h / 24;
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        }
    } else if m < 180 {
        format!("{m}m")
    } else if h < 8 {
        if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        }
    } else if h < 48 {
        format!("{h}h")
    } else if h < 24 * 8 {
        if h % 24 == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{}h", h % 24)
        }
    } else if h < 24 * 365 * 2 {
        format!("{days}d")
    } else if h < 24 * 365 * 8 {
        let y = days / 365;
        if days % 365 == 0 {
            format!("{y}y")
        } else {
            format!("{y}y{}d", days % 365)
        }
    } else {
        format!("{}y", days / 365)
    }
}

/// A span as people say it in evidence: 27h57m, 46m22s, 30m, 4d3h. Hours up to three
/// days, since backup ages are compared with limits in hours.
pub fn span(d: TimeDelta) -> String {
    let s = d.num_seconds().max(0);
    let (h, m, sec) = (s / 3600, s % 3600 / 60, s % 60);
    let pair = |a: i64, ua: &str, b: i64, ub: &str| {
        if b == 0 {
            format!("{a}{ua}")
        } else {
            format!("{a}{ua}{b}{ub}")
        }
    };
    if h >= 72 {
        pair(h / 24, "d", h % 24, "h")
    } else if h > 0 {
        pair(h, "h", m, "m")
    } else if m > 0 {
        pair(m, "m", sec, "s")
    } else {
        format!("{sec}s")
    }
}

/// An instant as evidence quotes it: RFC 3339, to the second, in UTC.
pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A std duration as a chrono one, saturating rather than failing.
pub fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

/// A duration as scenario and tree files write it: `500ms`, `20s`, `10m`, `1h30m`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty duration".into());
    }
    let mut total = Duration::ZERO;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            num.push(c);
            continue;
        }
        let unit = if c == 'm' && chars.peek() == Some(&'s') {
            chars.next();
            "ms"
        } else {
            match c {
                'h' => "h",
                'm' => "m",
                's' => "s",
                _ => {
                    return Err(format!(
                        "'{s}' is not a duration: use a number and a unit (ms, s, m, h), e.g. 30s"
                    ));
                }
            }
        };
        let n: f64 = num
            .parse()
            .map_err(|_| format!("'{s}' is not a duration: a number must come before '{unit}'"))?;
        num.clear();
        let secs = match unit {
            "ms" => n / 1000.0,
            "s" => n,
            "m" => n * 60.0,
            _ => n * 3600.0,
        };
        // Huge or odd numbers ("99999999999999999999h") are an error, not a panic.
        total = Duration::try_from_secs_f64(secs)
            .ok()
            .and_then(|d| total.checked_add(d))
            .ok_or_else(|| format!("'{s}' is not a duration backstop can use: it is too long"))?;
    }
    if !num.is_empty() {
        return Err(format!(
            "'{s}' is not a duration: '{num}' needs a unit (ms, s, m, h)"
        ));
    }
    Ok(total)
}

pub fn containers<'a>(obj: &'a Value, key: &str) -> &'a [Value] {
    obj.pointer(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

pub fn restartable_init_names(pod: &Value) -> Vec<&str> {
    containers(pod, "/spec/initContainers")
        .iter()
        .filter(|c| c.get("restartPolicy").and_then(Value::as_str) == Some("Always"))
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .collect()
}

/// READY as kubectl 1.28+ prints it: native sidecars count as containers.
pub fn pod_ready(pod: &Value) -> String {
    let sidecars = restartable_init_names(pod);
    let total = containers(pod, "/spec/containers").len() + sidecars.len();
    let ready_in = |key: &str, only: Option<&[&str]>| {
        containers(pod, key)
            .iter()
            .filter(|s| {
                only.is_none_or(|names| {
                    names.contains(&s.get("name").and_then(Value::as_str).unwrap_or(""))
                })
            })
            .filter(|s| s.get("ready").and_then(Value::as_bool) == Some(true))
            .count()
    };
    let ready = ready_in("/status/containerStatuses", None)
        + ready_in("/status/initContainerStatuses", Some(&sidecars));
    format!("{ready}/{total}")
}

/// STATUS as kubectl's printPod derives it.
pub fn pod_status(pod: &Value) -> String {
    let mut reason = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("Unknown")
        .to_string();
    if let Some(r) = pod.pointer("/status/reason").and_then(Value::as_str) {
        reason = r.to_string();
    }
    let sidecars = restartable_init_names(pod);
    let inits = containers(pod, "/status/initContainerStatuses");
    let init_total = containers(pod, "/spec/initContainers").len();
    let mut initializing = false;
    for (i, st) in inits.iter().enumerate() {
        let name = st.get("name").and_then(Value::as_str).unwrap_or("");
        let sidecar_up = st.get("started").and_then(Value::as_bool) == Some(true)
            || st.pointer("/state/running").is_some();
        if sidecars.contains(&name) && sidecar_up {
            continue;
        }
        if let Some(t) = st.pointer("/state/terminated") {
            if t.get("exitCode").and_then(Value::as_i64) == Some(0) {
                continue;
            }
            reason = match t.get("reason").and_then(Value::as_str) {
                Some(r) => format!("Init:{r}"),
                None => format!(
                    "Init:ExitCode:{}",
                    t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                ),
            };
            initializing = true;
        } else if let Some(r) = st
            .pointer("/state/waiting/reason")
            .and_then(Value::as_str)
            .filter(|r| *r != "PodInitializing")
        {
            reason = format!("Init:{r}");
            initializing = true;
        } else {
            reason = format!("Init:{i}/{init_total}");
            initializing = true;
        }
        break;
    }
    if !initializing {
        let mut has_running = false;
        for st in containers(pod, "/status/containerStatuses").iter().rev() {
            if let Some(r) = st.pointer("/state/waiting/reason").and_then(Value::as_str) {
                reason = r.to_string();
            } else if let Some(t) = st.pointer("/state/terminated") {
                reason = match t.get("reason").and_then(Value::as_str) {
                    Some(r) => r.to_string(),
                    None => format!(
                        "ExitCode:{}",
                        t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                    ),
                };
            } else if st.pointer("/state/running").is_some()
                && st.get("ready").and_then(Value::as_bool) == Some(true)
            {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = "Running".into();
        }
    }
    if pod.pointer("/metadata/deletionTimestamp").is_some() {
        reason = "Terminating".into();
    }
    reason
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_too_long_is_an_error_not_a_panic() {
        assert!(parse_duration("99999999999999999999h").is_err());
        assert!(parse_duration("1e400s").is_err());
        assert_eq!(parse_duration("90m"), Ok(Duration::from_secs(5400)));
    }
}
