//! `pods/exec` over a websocket, as kube's `Api::exec` and kubectl speak it
//! (`v5.channel.k8s.io`, else `v4.channel.k8s.io`: one byte of channel, then the data;
//! 0 stdin, 1 stdout, 2 stderr, 3 the closing `Status`; in v5 `[255, 0]` ends stdin).
//!
//! The simulator runs nothing but `psql`, and only against the real PostgreSQL the scenario
//! names on this machine (`spec.recovery.postgres`): a drill's verification SQL then runs
//! for real. psql's connection options are the scenario's, whatever the command says, and
//! the meta-commands that reach the shell or the file system are refused.

mod psql;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::Role;

use self::psql::{PSQL_TIMEOUT, check_sql, psql_args, run_psql};
use crate::sim::Sim;
use crate::sim::faults::forbidden_error;
use crate::sim::scenario::PostgresSpec;
use crate::sim::status::ApiError;

const V5: &str = "v5.channel.k8s.io";
const V4: &str = "v4.channel.k8s.io";
/// The SQL a verification sends: a file, not a dump.
const MAX_STDIN: usize = 1024 * 1024;
/// The exec request's `command`, `container` and stream flags (`command` repeats).
struct ExecQuery {
    command: Vec<String>,
    container: Option<String>,
    stdin: bool,
}

fn exec_query(uri: &axum::http::Uri) -> ExecQuery {
    let mut q = ExecQuery {
        command: Vec::new(),
        container: None,
        stdin: false,
    };
    for (k, v) in form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()) {
        match k.as_ref() {
            "command" => q.command.push(v.into_owned()),
            "container" => q.container = Some(v.into_owned()),
            "stdin" => q.stdin = v == "true" || v == "1",
            _ => {}
        }
    }
    q
}

/// The subprotocol to answer with: the first of ours the client offers.
fn subprotocol(headers: &HeaderMap) -> Option<&'static str> {
    let offered: Vec<String> = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(',').map(|p| p.trim().to_string()))
        .collect();
    [V5, V4]
        .into_iter()
        .find(|p| offered.iter().any(|o| o == p))
}

fn status_success() -> Value {
    json!({"metadata": {}, "status": "Success"})
}

fn status_exit(code: i32) -> Value {
    json!({"metadata": {}, "status": "Failure",
           "message": format!("command terminated with non-zero exit code: exit status {code}"),
           "reason": "NonZeroExitCode",
           "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
}

fn status_error(message: &str) -> Value {
    json!({"metadata": {}, "status": "Failure", "message": message, "reason": "InternalError"})
}

/// `GET|POST /api/v1/namespaces/{ns}/pods/{name}/exec`.
pub async fn exec(
    State(sim): State<Arc<Sim>>,
    axum::extract::Path((ns, name)): axum::extract::Path<(String, String)>,
    mut req: Request,
) -> Response {
    sim.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match prepare(&sim, &ns, &name, &mut req) {
        Ok(r) => r,
        Err(e) => {
            tracing::debug!(ns, pod = name, code = e.code, message = %e.message, "exec refused");
            e.into_response()
        }
    }
}

fn prepare(sim: &Arc<Sim>, ns: &str, name: &str, req: &mut Request) -> Result<Response, ApiError> {
    if req.method() != Method::GET && req.method() != Method::POST {
        return Err(ApiError::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        ));
    }
    if sim.faults.forbids("", "pods/exec", "create", Some(ns)) {
        return Err(forbidden_error(
            "",
            "pods/exec",
            "create",
            Some(ns),
            Some(name),
        ));
    }
    let q = exec_query(req.uri());
    let pods = sim
        .store
        .read()
        .registry
        .by_kind("", "Pod")
        .cloned()
        .ok_or_else(ApiError::no_route)?;
    let pod = sim.store.get(&pods, ns, name)?;
    let containers: Vec<String> = pod
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_string))
        .collect();
    let container = match &q.container {
        Some(c) if containers.contains(c) => c.clone(),
        Some(c) => {
            return Err(ApiError::bad_request(format!(
                "container {c} is not valid for pod {name}"
            )));
        }
        None => containers.first().cloned().unwrap_or_default(),
    };
    let phase = pod
        .pointer("/status/phase")
        .and_then(Value::as_str)
        .unwrap_or("");
    if matches!(phase, "Succeeded" | "Failed") {
        return Err(ApiError::bad_request(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        )));
    }
    let running = pod
        .pointer("/status/containerStatuses")
        .and_then(Value::as_array)
        .is_some_and(|cs| {
            cs.iter()
                .any(|c| c["name"] == container.as_str() && c.pointer("/state/running").is_some())
        });
    if !running {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    let args = psql_args(&q.command).map_err(ApiError::bad_request)?;
    let Some(pg) = sim.recovery.postgres().cloned() else {
        return Err(ApiError::new(
            501,
            "NotImplemented",
            "the simulated cluster runs no PostgreSQL: pods/exec runs psql only against the one a scenario names in spec.recovery.postgres, and this scenario names none",
        ));
    };
    let headers = req.headers();
    let key = headers
        .get(header::SEC_WEBSOCKET_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let wants_ws = headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let (Some(key), true) = (key, wants_ws) else {
        return Err(ApiError::bad_request(
            "Upgrade request required: the simulator serves exec over a websocket (v5.channel.k8s.io or v4.channel.k8s.io), not SPDY",
        ));
    };
    let Some(protocol) = subprotocol(headers) else {
        return Err(ApiError::bad_request(
            "unable to upgrade connection: the client offers neither v5.channel.k8s.io nor v4.channel.k8s.io",
        ));
    };
    let Some(upgrade) = req.extensions_mut().remove::<hyper::upgrade::OnUpgrade>() else {
        return Err(ApiError::bad_request("the connection cannot be upgraded"));
    };
    tokio::spawn(async move {
        match upgrade.await {
            Ok(upgraded) => {
                let ws =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                session(ws, protocol == V5, q.stdin, args, pg).await;
            }
            Err(e) => tracing::debug!(error = %e, "exec: the upgrade failed"),
        }
    });
    let mut res = Response::new(Body::empty());
    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = res.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    h.insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static(protocol),
    );
    Ok(res)
}

/// One exec: stdin read to its end (when attached), psql run, its output and exit status
/// sent back.
async fn session<S>(
    ws: WebSocketStream<S>,
    v5: bool,
    stdin: bool,
    args: Vec<String>,
    pg: PostgresSpec,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let (mut tx, mut rx) = ws.split();
    let mut input = Vec::new();
    if stdin {
        while let Some(msg) = rx.next().await {
            match msg {
                Ok(Message::Binary(b)) if b.first() == Some(&0) => {
                    input.extend_from_slice(&b[1..]);
                    if input.len() > MAX_STDIN {
                        let _ = send(
                            &mut tx,
                            3,
                            status_error("the SQL sent on stdin is over 1 MiB")
                                .to_string()
                                .as_bytes(),
                        )
                        .await;
                        close(&mut tx).await;
                        return;
                    }
                }
                // v5: the client closed stdin.
                Ok(Message::Binary(b)) if v5 && b.as_ref() == [255, 0] => break,
                Ok(Message::Close(_)) | Err(_) => return,
                _ => {}
            }
        }
    }
    let sql = String::from_utf8_lossy(&input).into_owned();
    if let Err(e) = check_sql(&sql) {
        let _ = send(&mut tx, 2, format!("{e}\n").as_bytes()).await;
        let _ = send(&mut tx, 3, status_exit(3).to_string().as_bytes()).await;
        close(&mut tx).await;
        return;
    }
    let run = tokio::task::spawn_blocking(move || run_psql(&args, &pg, stdin.then_some(input)));
    let status = match tokio::time::timeout(PSQL_TIMEOUT + Duration::from_secs(5), run).await {
        Ok(Ok(Ok((out, err, code)))) => {
            if !out.is_empty() {
                let _ = send(&mut tx, 1, &out).await;
            }
            if !err.is_empty() {
                let _ = send(&mut tx, 2, &err).await;
            }
            if code == 0 {
                status_success()
            } else {
                status_exit(code)
            }
        }
        Ok(Ok(Err(e))) => status_error(&e),
        _ => status_error("psql did not finish"),
    };
    let _ = send(&mut tx, 3, status.to_string().as_bytes()).await;
    close(&mut tx).await;
}

/// A normal closure (1000): clients read an empty close (1005) as an error.
async fn close<S>(tx: &mut futures::stream::SplitSink<WebSocketStream<S>, Message>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use tokio_tungstenite::tungstenite::protocol::CloseFrame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
    let _ = tx
        .send(Message::Close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        })))
        .await;
    let _ = tx.close().await;
}

async fn send<S>(
    tx: &mut futures::stream::SplitSink<WebSocketStream<S>, Message>,
    channel: u8,
    data: &[u8],
) -> Result<(), tokio_tungstenite::tungstenite::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut frame = Vec::with_capacity(data.len() + 1);
    frame.push(channel);
    frame.extend_from_slice(data);
    tx.send(Message::binary(frame)).await
}
