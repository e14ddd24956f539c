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
    /// Lines written while the simulator runs (the recovery controller's pods).
    pub live: LiveLogs,
}

/// At most this many lines are kept per live container: a pod retried for hours must not
/// grow without bound.
const LIVE_CAP: usize = 4_000;

#[derive(Debug, Clone, Default)]
struct LiveLog {
    lines: Vec<(DateTime<Utc>, String)>,
    previous: Vec<(DateTime<Utc>, String)>,
    /// Lines dropped from the front of `lines` by the cap: a follower's position stays right.
    dropped: usize,
    /// The container terminated: followers stop at the end of its log.
    ended: bool,
}

/// Container logs written by the simulated controllers as they act, shared between the
/// controller tasks (which append) and the API (which reads and follows).
#[derive(Debug, Clone)]
pub struct LiveLogs {
    inner: std::sync::Arc<std::sync::Mutex<HashMap<LogKey, LiveLog>>>,
    /// Bumped on every write, so that followers wake.
    tick: tokio::sync::watch::Sender<u64>,
}

impl Default for LiveLogs {
    fn default() -> Self {
        LiveLogs {
            inner: Default::default(),
            tick: tokio::sync::watch::channel(0).0,
        }
    }
}

impl LiveLogs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LogKey, LiveLog>> {
        // A panic elsewhere cannot leave a half-written log: every change is one push.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a line to a container's log, stamped `at`.
    pub fn push(&self, key: &LogKey, at: DateTime<Utc>, line: String) {
        {
            let mut all = self.lock();
            let log = all.entry(key.clone()).or_default();
            log.lines.push((at, line));
            if log.lines.len() > LIVE_CAP {
                let extra = log.lines.len() - LIVE_CAP;
                log.lines.drain(..extra);
                log.dropped += extra;
            }
        }
        self.tick.send_modify(|t| *t += 1);
    }

    /// The container restarted: what it wrote becomes `--previous`, its log starts empty.
    pub fn restart(&self, key: &LogKey) {
        {
            let mut all = self.lock();
            let log = all.entry(key.clone()).or_default();
            log.previous = std::mem::take(&mut log.lines);
            log.dropped = 0;
            log.ended = false;
        }
        self.tick.send_modify(|t| *t += 1);
    }

    /// The container terminated: a follower reads to the end and stops.
    pub fn end(&self, key: &LogKey) {
        self.lock().entry(key.clone()).or_default().ended = true;
        self.tick.send_modify(|t| *t += 1);
    }

    fn ended(&self, key: &LogKey) -> bool {
        self.lock().get(key).is_none_or(|l| l.ended)
    }

    /// Forgets every log of a pod (it was deleted) or of a namespace (`pod` None).
    pub fn forget(&self, ns: &str, pod: Option<&str>) {
        self.lock()
            .retain(|(n, p, _), _| n != ns || pod.is_some_and(|pod| p != pod));
    }

    /// Whether anything was written for this container.
    pub fn has(&self, key: &LogKey) -> bool {
        self.lock().contains_key(key)
    }

    /// The lines of a container from index `from` (counting dropped ones), and the next index.
    fn since(&self, key: &LogKey, from: usize) -> (Vec<(DateTime<Utc>, String)>, usize) {
        let all = self.lock();
        let Some(log) = all.get(key) else {
            return (Vec::new(), from);
        };
        let start = from.saturating_sub(log.dropped).min(log.lines.len());
        (log.lines[start..].to_vec(), log.dropped + log.lines.len())
    }

    fn previous(&self, key: &LogKey) -> Vec<(DateTime<Utc>, String)> {
        self.lock()
            .get(key)
            .map(|l| l.previous.clone())
            .unwrap_or_default()
    }
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
        let key: LogKey = (ns, pod_name.clone(), container.clone());
        if self.live.has(&key) {
            return self.read_live(&key, status, &pod_name, &container, q);
        }
        let source = self.sources.get(&key).cloned().unwrap_or_default();
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

impl Logs {
    /// A log the simulator writes as it runs: read like a fixed one, followed as it grows.
    fn read_live(
        &self,
        key: &LogKey,
        status: Option<&Value>,
        pod_name: &str,
        container: &str,
        q: &LogQuery,
    ) -> Result<Body, ApiError> {
        if q.previous {
            let previous = self.live.previous(key);
            if previous.is_empty() {
                return Err(ApiError::bad_request(format!(
                    "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                )));
            }
            return Ok(Body::from(truncate(
                select(&previous, q).concat(),
                q.limit_bytes,
            )));
        }
        // Subscribed before reading, so that a line written in between still wakes the follower.
        let ticks = self.live.tick.subscribe();
        let (lines, next) = self.live.since(key, 0);
        let head = select(&lines, q).concat();
        // A terminated container's log is complete: following it ends at once, as kubectl's does.
        let running = status
            .and_then(|s| s.pointer("/state/terminated"))
            .is_none();
        if !q.follow || !running {
            return Ok(Body::from(truncate(head, q.limit_bytes)));
        }
        let live = self.live.clone();
        let key = key.clone();
        let timestamps = q.timestamps;
        let state = (Some(head), next, ticks, live, key);
        let body = futures::stream::unfold(
            state,
            move |(head, mut next, mut ticks, live, key)| async move {
                if let Some(h) = head {
                    return Some((
                        Ok::<_, std::convert::Infallible>(Bytes::from(h)),
                        (None, next, ticks, live, key),
                    ));
                }
                loop {
                    let (lines, after) = live.since(&key, next);
                    if !lines.is_empty() {
                        next = after;
                        let chunk: String = lines
                            .iter()
                            .map(|(ts, text)| format_line(*ts, text, timestamps))
                            .collect();
                        return Some((Ok(Bytes::from(chunk)), (None, next, ticks, live, key)));
                    }
                    // The container ended, or its log was forgotten (its pod or namespace
                    // went away): the stream ends.
                    if live.ended(&key) || ticks.changed().await.is_err() {
                        return None;
                    }
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
