//! The HTTP side: `/metrics` serves the last rendered page, `/healthz` says whether the
//! evaluations keep completing, `/` names both. The evaluation loop runs beside the server
//! and never stops on a failed evaluation; a shutdown stops both promptly.

use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::evaluate::{Attempt, Evaluator};

/// How long in-flight requests may take to finish once a shutdown is asked for.
const DRAIN: Duration = Duration::from_secs(5);

/// A healthy exporter completed an evaluation within this many intervals.
const STALE_AFTER_INTERVALS: u32 = 3;

struct Shared {
    page: RwLock<bytes::Bytes>,
    health: Mutex<Health>,
    interval: Duration,
}

struct Health {
    started: Instant,
    last_complete: Option<Instant>,
    /// The last attempt's failure, cleared by a complete evaluation.
    last_failure: Option<String>,
    loop_alive: bool,
}

/// Marks the loop dead however it ends, a panic included: `/healthz` then says so.
struct Alive(Arc<Shared>);

impl Drop for Alive {
    fn drop(&mut self) {
        if let Ok(mut h) = self.0.health.lock() {
            h.loop_alive = false;
        }
    }
}

/// Serves on `listener` and evaluates every interval until `shutdown` resolves; then stops
/// accepting, lets in-flight requests finish (at most a few seconds) and drops an
/// evaluation under way.
pub async fn serve(
    listener: TcpListener,
    mut evaluator: Evaluator,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let shared = Arc::new(Shared {
        page: RwLock::new(bytes::Bytes::from(evaluator.starting_page().text)),
        health: Mutex::new(Health {
            started: Instant::now(),
            last_complete: None,
            last_failure: None,
            loop_alive: true,
        }),
        interval: evaluator.opts.interval,
    });
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let looping = {
        let shared = shared.clone();
        let mut stop = stop_rx.clone();
        tokio::spawn(async move {
            let _alive = Alive(shared.clone());
            let mut ticker = tokio::time::interval(evaluator.opts.interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = stop.changed() => break,
                    _ = ticker.tick() => {}
                }
                let attempt = tokio::select! {
                    a = evaluator.evaluate() => a,
                    _ = stop.changed() => break,
                };
                record(&shared, attempt);
            }
        })
    };
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(healthz))
        .route("/", get(index))
        .with_state(shared);
    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        tracing::info!("exporter: shutting down");
        let _ = stop_tx.send(true);
        let _ = drain_tx.send(());
    });
    let drained = async {
        let _ = drain_rx.await;
        tokio::time::sleep(DRAIN).await;
    };
    let served = tokio::select! {
        r = server => r.map_err(|e| anyhow::Error::new(e).context("serving the exporter")),
        _ = drained => {
            tracing::warn!("exporter: requests still open after {}s, stopping anyway", DRAIN.as_secs());
            Ok(())
        }
    };
    // The loop saw the stop before the server finished draining; an evaluation blocked in
    // a read is dropped with it.
    looping.abort();
    let _ = looping.await;
    served
}

fn record(shared: &Shared, attempt: Attempt) {
    let (page, failure) = match attempt {
        Attempt::Complete { page, findings } => {
            tracing::info!(
                series = page.series,
                bytes = page.text.len(),
                findings,
                "exporter: evaluation complete"
            );
            (page, None)
        }
        Attempt::Failed { page, reason } => {
            tracing::warn!(%reason, "exporter: the cluster could not be reached");
            (page, Some(reason))
        }
    };
    if let Ok(mut p) = shared.page.write() {
        *p = bytes::Bytes::from(page.text);
    }
    if let Ok(mut h) = shared.health.lock() {
        if failure.is_none() {
            h.last_complete = Some(Instant::now());
        }
        h.last_failure = failure;
    }
}

async fn metrics(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let page = shared
        .page
        .read()
        .map(|p| p.clone())
        .unwrap_or_else(|p| p.into_inner().clone());
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        page,
    )
}

async fn healthz(State(shared): State<Arc<Shared>>) -> impl IntoResponse {
    let (code, text) = match shared.health.lock() {
        Ok(h) => health(&h, shared.interval, Instant::now()),
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "the evaluation loop failed".to_string(),
        ),
    };
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
}

/// 200 while the loop runs and an evaluation completed within three intervals (counted
/// from the start before the first), else 503 with why.
fn health(h: &Health, interval: Duration, now: Instant) -> (StatusCode, String) {
    let failure = h
        .last_failure
        .as_deref()
        .map(crate::sanitize::untrusted)
        .map(|f| format!("; the last evaluation failed: {f}"))
        .unwrap_or_default();
    if !h.loop_alive {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the evaluation loop stopped{failure}"),
        );
    }
    let limit = interval * STALE_AFTER_INTERVALS;
    let since = now.saturating_duration_since(h.last_complete.unwrap_or(h.started));
    if since > limit {
        let what = match h.last_complete {
            Some(_) => format!("no evaluation completed in the last {}s", since.as_secs()),
            None => format!(
                "no evaluation completed since the start {}s ago",
                since.as_secs()
            ),
        };
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "{what} (more than {STALE_AFTER_INTERVALS} intervals of {}s){failure}",
                interval.as_secs()
            ),
        );
    }
    let last = match h.last_complete {
        Some(t) => format!(
            "last evaluation completed {}s ago",
            now.saturating_duration_since(t).as_secs()
        ),
        None => "the first evaluation is under way".into(),
    };
    (StatusCode::OK, format!("ok: {last}{failure}"))
}

async fn index() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "backstop exporter\n\n/metrics  the last evaluation's series (Prometheus text format)\n\
         /healthz  200 while evaluations keep completing, 503 with the reason otherwise\n",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_is_ok_while_evaluations_complete_and_says_why_when_not() {
        let start = Instant::now();
        let i = Duration::from_secs(60);
        let mut h = Health {
            started: start,
            last_complete: None,
            last_failure: None,
            loop_alive: true,
        };
        let (code, text) = health(&h, i, start + Duration::from_secs(10));
        assert_eq!(code, StatusCode::OK, "{text}");
        h.last_failure = Some("the API server is unreachable: connection refused".into());
        let (code, text) = health(&h, i, start + Duration::from_secs(181));
        assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(
            text,
            "no evaluation completed since the start 181s ago (more than 3 intervals of 60s); \
             the last evaluation failed: the API server is unreachable: connection refused"
        );
        h.last_complete = Some(start + Duration::from_secs(170));
        h.last_failure = None;
        let (code, text) = health(&h, i, start + Duration::from_secs(200));
        assert_eq!(
            (code, text.as_str()),
            (StatusCode::OK, "ok: last evaluation completed 30s ago")
        );
        h.loop_alive = false;
        let (code, text) = health(&h, i, start + Duration::from_secs(200));
        assert_eq!(
            (code, text.as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the evaluation loop stopped"
            )
        );
    }
}
