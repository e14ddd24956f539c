//! The Prometheus Operator's objects the alert audit reads: PrometheusRules, PodMonitors and
//! ServiceMonitors. Rules usually live in a monitoring namespace, not the databases': they
//! are listed in every namespace, and only in the scope's namespace when that is refused.

use std::sync::Arc;

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;

use super::READ_TIMEOUT;
use crate::model::alerting::{MonitorRow, PromRuleRow};
use crate::model::{KindState, SyncState};

/// The most objects of one kind read.
const MAX_OBJECTS: usize = 5_000;

pub const POD_MONITOR: (&str, &str) = ("PodMonitor", "podmonitors");
pub const SERVICE_MONITOR: (&str, &str) = ("ServiceMonitor", "servicemonitors");

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: "monitoring.coreos.com".into(),
        version: "v1".into(),
        api_version: "monitoring.coreos.com/v1".into(),
        kind: kind.into(),
        plural: plural.into(),
    }
}

async fn list(
    client: &kube::Client,
    namespace: Option<&str>,
    kind: &str,
    plural: &str,
) -> Result<Vec<Value>, SyncState> {
    let ar = resource(kind, plural);
    let lp = ListParams::default().limit(500);
    let all: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
    let first = tokio::time::timeout(READ_TIMEOUT, all.list(&lp)).await;
    let listed = match (first, namespace) {
        (Ok(Err(kube::Error::Api(s))), Some(ns)) if s.code == 403 => {
            let one: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
            tokio::time::timeout(READ_TIMEOUT, one.list(&lp)).await
        }
        (other, _) => other,
    };
    let qualified = format!("{plural}.monitoring.coreos.com");
    match listed {
        Err(_) => Err(SyncState::Error(format!("listing {kind}s timed out"))),
        Ok(Err(kube::Error::Api(s))) if s.code == 404 => Err(SyncState::NotInstalled {
            what: format!("the Prometheus Operator's {kind} CRD"),
        }),
        Ok(Err(kube::Error::Api(s))) if s.code == 403 => Err(SyncState::Forbidden {
            verb: "list".into(),
            resource: qualified,
        }),
        Ok(Err(e)) => Err(SyncState::Error(format!(
            "listing {kind}s: {}",
            crate::sanitize::untrusted(&e.to_string())
        ))),
        // One page is enough for the audit; more objects than that are read in part.
        Ok(Ok(l)) => Ok(l
            .items
            .iter()
            .take(MAX_OBJECTS)
            .filter_map(|o| serde_json::to_value(o).ok())
            .collect()),
    }
}

fn state<R: crate::model::rows::Row>(rows: Result<Vec<R>, SyncState>) -> KindState<R> {
    match rows {
        Ok(mut rows) => {
            let mut st = KindState::without_rows(SyncState::Live);
            rows.truncate(MAX_OBJECTS);
            st.rows = Arc::new(rows.into_iter().map(Arc::new).collect());
            st
        }
        Err(sync) => KindState::without_rows(sync),
    }
}

pub async fn prometheus_rules(
    client: &kube::Client,
    namespace: Option<&str>,
) -> KindState<PromRuleRow> {
    let listed = list(client, namespace, "PrometheusRule", "prometheusrules").await;
    let mut rows: Vec<PromRuleRow> = match listed {
        Ok(v) => v.iter().map(PromRuleRow::project).collect(),
        Err(e) => return KindState::without_rows(e),
    };
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    state(Ok(rows))
}

pub async fn monitors(
    client: &kube::Client,
    namespace: Option<&str>,
    (kind, plural): (&str, &str),
) -> KindState<MonitorRow> {
    let listed = list(client, namespace, kind, plural).await;
    let mut rows: Vec<MonitorRow> = match listed {
        Ok(v) => v.iter().map(|o| MonitorRow::project(kind, o)).collect(),
        Err(e) => return KindState::without_rows(e),
    };
    rows.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    state(Ok(rows))
}
