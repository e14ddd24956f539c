//! A pod's log subresource: the query kubectl sends, read from the scenario's log sources.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::Value;

use super::{Query, flag};
use crate::sim::Sim;
use crate::sim::logs::LogQuery;
use crate::sim::status::ApiError;

pub(super) fn logs(sim: &Sim, pod: &Value, q: &Query) -> Result<Response, ApiError> {
    let since = match (q.get("sinceSeconds"), q.get("sinceTime")) {
        (Some(s), _) => Some(
            Utc::now()
                - chrono::Duration::seconds(
                    s.parse::<i64>()
                        .map_err(|_| ApiError::bad_request("sinceSeconds must be an integer"))?,
                ),
        ),
        (None, Some(t)) => Some(
            DateTime::parse_from_rfc3339(t)
                .map_err(|_| ApiError::bad_request("sinceTime must be an RFC3339 time"))?
                .with_timezone(&Utc),
        ),
        (None, None) => None,
    };
    let query = LogQuery {
        container: q.get("container").cloned(),
        tail_lines: q.get("tailLines").and_then(|s| s.parse().ok()),
        since,
        timestamps: flag(q, "timestamps"),
        previous: flag(q, "previous"),
        follow: flag(q, "follow"),
        limit_bytes: q.get("limitBytes").and_then(|s| s.parse().ok()),
    };
    let body: Body = sim.logs.read(pod, &query)?;
    Ok((StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], body).into_response())
}
