//! Container logs: fixed lines from the scenario plus optional generated lines at a fixed
//! rate. Generated lines are computed from the clock, not stored, so a chatty container
//! costs no memory however long the simulator runs.

use std::collections::HashMap;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::status::ApiError;

#[derive(Debug, Clone)]
pub struct Generator {
    pub per_second: f64,
    pub lines: Vec<String>,
    pub start: DateTime<Utc>,
}

impl Generator {
    fn line(&self, i: u64) -> (DateTime<Utc>, String) {
        let ts =
            self.start + chrono::Duration::nanoseconds((i as f64 * 1e9 / self.per_second) as i64);
        let template = self
            .lines
            .get((i % self.lines.len().max(1) as u64) as usize)
            .map(String::as_str)
            .unwrap_or("");
        let text = template
            .replace("{{n}}", &i.to_string())
            .replace("{{time}}", &ts.to_rfc3339_opts(SecondsFormat::Millis, true));
        (ts, text)
    }

    /// Lines emitted up to `now`.
    fn count_at(&self, now: DateTime<Utc>) -> u64 {
        let elapsed = (now - self.start).num_nanoseconds().unwrap_or(0).max(0) as f64 / 1e9;
        (elapsed * self.per_second).floor() as u64
    }

    /// The first line at or after `t`.
    fn index_at(&self, t: DateTime<Utc>) -> u64 {
        let elapsed = (t - self.start).num_nanoseconds().unwrap_or(0).max(0) as f64 / 1e9;
        (elapsed * self.per_second).ceil() as u64
    }
}

#[derive(Debug, Clone, Default)]
pub struct LogSource {
    pub lines: Vec<(DateTime<Utc>, String)>,
    pub previous: Vec<(DateTime<Utc>, String)>,
    pub generate: Option<Generator>,
}

/// (namespace, pod, container) → its log.
pub type LogKey = (String, String, String);

#[derive(Debug, Default)]
pub struct Logs {
    sources: HashMap<LogKey, LogSource>,
}

#[derive(Debug, Clone, Default)]
pub struct LogQuery {
    pub container: Option<String>,
    pub tail_lines: Option<usize>,
    pub since: Option<DateTime<Utc>>,
    pub timestamps: bool,
    pub previous: bool,
    pub follow: bool,
    pub limit_bytes: Option<usize>,
}

fn names(pod: &Value, key: &str) -> Vec<String> {
    pod.pointer(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn status_of<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    ["/status/containerStatuses", "/status/initContainerStatuses"]
        .iter()
        .filter_map(|k| pod.pointer(k).and_then(Value::as_array))
        .flatten()
        .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
}

/// Which container a log request reads, with the apiserver's errors.
pub fn pick_container(pod: &Value, asked: Option<&str>) -> Result<String, ApiError> {
    let pod_name = pod
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("");
    let containers = names(pod, "/spec/containers");
    let inits = names(pod, "/spec/initContainers");
    match asked {
        Some(c) if containers.iter().chain(&inits).any(|n| n == c) => Ok(c.to_string()),
        Some(c) => Err(ApiError::bad_request(format!(
            "container {c} is not valid for pod {pod_name}"
        ))),
        None if containers.len() == 1 => Ok(containers[0].clone()),
        None => {
            let mut msg = format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            );
            if !inits.is_empty() {
                msg.push_str(&format!(
                    " or one of the init containers: [{}]",
                    inits.join(" ")
                ));
            }
            Err(ApiError::bad_request(msg))
        }
    }
}

fn format_line(ts: DateTime<Utc>, text: &str, timestamps: bool) -> String {
    if timestamps {
        format!(
            "{} {text}\n",
            ts.to_rfc3339_opts(SecondsFormat::Nanos, true)
        )
    } else {
        format!("{text}\n")
    }
}

impl Logs {
    pub fn insert(&mut self, key: LogKey, source: LogSource) {
        self.sources.insert(key, source);
    }

    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// Answers a log request for `pod` (already fetched) as a text/plain body.
    pub fn read(&self, pod: &Value, q: &LogQuery) -> Result<Body, ApiError> {
        let ns = pod
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let pod_name = pod
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let container = pick_container(pod, q.container.as_deref())?;
        let status = status_of(pod, &container);
        if let Some(reason) = status
            .and_then(|s| s.pointer("/state/waiting/reason"))
            .and_then(Value::as_str)
            && matches!(
                reason,
                "ContainerCreating"
                    | "PodInitializing"
                    | "ImagePullBackOff"
                    | "ErrImagePull"
                    | "CreateContainerConfigError"
            )
        {
            return Err(ApiError::bad_request(format!(
                "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
            )));
        }
        let source = self
            .sources
            .get(&(ns, pod_name.clone(), container.clone()))
            .cloned()
            .unwrap_or_default();
        if q.previous {
            let restarts = status
                .and_then(|s| s.get("restartCount"))
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if source.previous.is_empty() && restarts == 0 {
                return Err(ApiError::bad_request(format!(
                    "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                )));
            }
            let lines = select(&source.previous, q);
            return Ok(Body::from(truncate(lines.concat(), q.limit_bytes)));
        }

        let now = Utc::now();
        // Fixed lines are the scenario's past (their times are moved to the present at load).
        let fixed: Vec<(DateTime<Utc>, String)> = source.lines.clone();
        let Some(generator) = source
            .generate
            .clone()
            .filter(|g| g.per_second > 0.0 && !g.lines.is_empty())
        else {
            let text = select(&fixed, q).concat();
            if q.follow {
                // A running container's log stays open until the client leaves.
                let head = futures::stream::once(async move {
                    Ok::<_, std::convert::Infallible>(Bytes::from(text))
                });
                return Ok(Body::from_stream(futures::StreamExt::chain(
                    head,
                    futures::stream::pending(),
                )));
            }
            return Ok(Body::from(truncate(text, q.limit_bytes)));
        };

        // Which generated lines come first: after --since, and the last --tail of all lines.
        let end = generator.count_at(now);
        let mut first = q.since.map_or(0, |t| generator.index_at(t)).min(end);
        let mut fixed_sel = select(
            &fixed,
            &LogQuery {
                tail_lines: None,
                ..q.clone()
            },
        );
        if let Some(tail) = q.tail_lines {
            let generated = (end - first) as usize;
            if generated >= tail {
                first = end - tail as u64;
                fixed_sel.clear();
            } else {
                let keep = tail - generated;
                let skip = fixed_sel.len().saturating_sub(keep);
                fixed_sel.drain(..skip);
            }
        }
        let timestamps = q.timestamps;
        let follow = q.follow;
        let head = Bytes::from(fixed_sel.concat());
        // Stream in chunks so that a long log is never built in memory at once.
        let state = (Some(head), first, generator, end);
        let body = futures::stream::unfold(
            state,
            move |(head, mut next, generator, mut end)| async move {
                if let Some(h) = head {
                    return Some((
                        Ok::<_, std::convert::Infallible>(h),
                        (None, next, generator, end),
                    ));
                }
                loop {
                    if next < end {
                        let stop = end.min(next + 2_000);
                        let chunk: String = (next..stop)
                            .map(|i| {
                                let (ts, text) = generator.line(i);
                                format_line(ts, &text, timestamps)
                            })
                            .collect();
                        next = stop;
                        return Some((Ok(Bytes::from(chunk)), (None, next, generator, end)));
                    }
                    if !follow {
                        return None;
                    }
                    let wait = (1.0 / generator.per_second).clamp(0.01, 0.25);
                    tokio::time::sleep(Duration::from_secs_f64(wait)).await;
                    end = generator.count_at(Utc::now());
                }
            },
        );
        Ok(Body::from_stream(body))
    }
}

fn select(lines: &[(DateTime<Utc>, String)], q: &LogQuery) -> Vec<String> {
    let mut out: Vec<String> = lines
        .iter()
        .filter(|(ts, _)| q.since.is_none_or(|s| *ts >= s))
        .map(|(ts, text)| format_line(*ts, text, q.timestamps))
        .collect();
    if let Some(tail) = q.tail_lines {
        let skip = out.len().saturating_sub(tail);
        out.drain(..skip);
    }
    out
}

fn truncate(mut s: String, limit: Option<usize>) -> String {
    if let Some(limit) = limit
        && s.len() > limit
    {
        let mut cut = limit;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn several_containers_need_a_name() {
        let pod = json!({"metadata": {"name": "pg-1"}, "spec": {
            "containers": [{"name": "postgres"}, {"name": "exporter"}],
            "initContainers": [{"name": "plugin-barman-cloud"}]}});
        let err = pick_container(&pod, None).unwrap_err();
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "a container name must be specified for pod pg-1, choose one of: [postgres exporter] or one of the init containers: [plugin-barman-cloud]"
        );
        assert_eq!(
            pick_container(&pod, Some("plugin-barman-cloud"))
                .ok()
                .as_deref(),
            Some("plugin-barman-cloud")
        );
        assert!(pick_container(&pod, Some("nope")).is_err());
    }

    #[test]
    fn generated_lines_follow_the_clock() {
        let start = Utc::now() - chrono::Duration::seconds(10);
        let g = Generator {
            per_second: 2.0,
            lines: vec!["wal {{n}}".into()],
            start,
        };
        assert_eq!(g.count_at(start + chrono::Duration::seconds(10)), 20);
        assert_eq!(g.line(3).1, "wal 3");
        assert_eq!(g.index_at(start + chrono::Duration::milliseconds(1250)), 3);
    }
}
