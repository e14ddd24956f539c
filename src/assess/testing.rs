//! Builders the rule modules' tests share: the clock they run at, sync states, and the
//! Cluster and ObjectStore every area's fixtures start from.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};

use super::{Finding, Outcome};
use crate::model::rows::{ClusterRow, Condition, ObjectStoreRow, PluginRef, Row, ServerWindow};
use crate::model::{KindState, SyncState};

pub fn live<R: Row>(rows: Vec<R>) -> KindState<R> {
    KindState::live(rows)
}

pub fn state<R: Row>(sync: SyncState) -> KindState<R> {
    KindState::without_rows(sync)
}

/// No rows: listing `resource` is forbidden.
pub fn forbidden<R: Row>(resource: &str) -> KindState<R> {
    state(SyncState::Forbidden {
        verb: "list".into(),
        resource: resource.into(),
    })
}

pub fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("a timestamp")
}

/// The instant every rule test runs at.
pub fn now() -> DateTime<Utc> {
    at("2026-11-24T06:00:00Z")
}

pub fn ago(hours: i64, minutes: i64) -> DateTime<Utc> {
    now() - TimeDelta::hours(hours) - TimeDelta::minutes(minutes)
}

pub fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub fn cond(kind: &str, status: &str, reason: &str, message: &str) -> Condition {
    Condition {
        kind: kind.into(),
        status: status.into(),
        reason: reason.into(),
        message: message.into(),
        since: None,
    }
}

/// The only finding with this code.
pub fn one<'a>(out: &'a Outcome, code: &str) -> &'a Finding {
    let all: Vec<&Finding> = out.findings.iter().filter(|f| f.code == code).collect();
    assert_eq!(all.len(), 1, "{code} in {:#?}", out.findings);
    all[0]
}

/// The codes found, each once, in order.
pub fn codes(out: &Outcome) -> Vec<&'static str> {
    let mut c: Vec<_> = out.findings.iter().map(|f| f.code).collect();
    c.sort();
    c.dedup();
    c
}

/// A healthy Cluster archiving through the plugin to `store`, 200 days old.
pub fn cluster(ns: &str, name: &str, store: &str) -> ClusterRow {
    ClusterRow {
        namespace: ns.into(),
        name: name.into(),
        plugin: Some(PluginRef {
            enabled: true,
            wal_archiver: true,
            object_store: Some(store.into()),
            server_name: None,
        }),
        primary: Some(format!("{name}-1")),
        conditions: vec![Condition {
            since: Some(ago(24 * 30, 0)),
            ..cond(
                "ContinuousArchiving",
                "True",
                "ContinuousArchivingSuccess",
                "Continuous archiving is working",
            )
        }],
        created: Some(ago(24 * 200, 0)),
        ..Default::default()
    }
}

/// One server's recovery window, open for 30 days.
pub fn window(
    server: &str,
    ok: Option<DateTime<Utc>>,
    failed: Option<DateTime<Utc>>,
) -> ServerWindow {
    ServerWindow {
        server: server.into(),
        first_point: Some(ago(24 * 30, 0)),
        last_success: ok,
        last_failure: failed,
    }
}

/// An S3 store with its credentials in secret `creds`.
pub fn store(ns: &str, name: &str, servers: Vec<ServerWindow>) -> ObjectStoreRow {
    ObjectStoreRow {
        namespace: ns.into(),
        name: name.into(),
        destination: "s3://backups/orders/".into(),
        provider: "S3".into(),
        servers,
        secret_refs: vec![
            ("creds".into(), "ACCESS_KEY_ID".into()),
            ("creds".into(), "ACCESS_SECRET_KEY".into()),
        ],
        created: Some(ago(24 * 200, 0)),
        ..Default::default()
    }
}
