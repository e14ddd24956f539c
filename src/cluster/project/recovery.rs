//! A Cluster's recovery bootstrap and backstop's drill annotations, projected into the
//! Cluster row. Field names are CloudNativePG's (`api/v1/cluster_types.go`
//! `BootstrapRecovery`, `RecoveryTarget`, `ExternalCluster`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::access::store_access;
use crate::model::recovery::{
    DrillRecord, InTreeSource, LAST_DRILL, LAST_PASSED_DRILL, PluginSource, Recovery,
    RecoveryOrigin, RecoveryTarget, lenient_time, parse_drill,
};

/// A field as cleaned text; numbers and booleans as they print.
fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(crate::sanitize::clean(s).into_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `spec.bootstrap.recovery`, None when the Cluster is not bootstrapped that way.
pub(super) fn recovery(d: &Value) -> Option<Recovery> {
    let r = d
        .pointer("/spec/bootstrap/recovery")
        .filter(|v| v.is_object())?;
    let source = text(r.get("source"));
    let t = r.get("recoveryTarget");
    let field = |k: &str| text(t.and_then(|t| t.get(k)));
    let target = RecoveryTarget {
        backup_id: field("backupID"),
        target_time: field("targetTime"),
        target_lsn: field("targetLSN"),
        target_xid: field("targetXID"),
        target_name: field("targetName"),
        target_immediate: t
            .and_then(|t| t.get("targetImmediate"))
            .and_then(Value::as_bool)
            .unwrap_or(false),
        target_tli: field("targetTLI"),
        exclusive: t.and_then(|t| t.get("exclusive")).and_then(Value::as_bool),
    };
    let origin = source.as_deref().and_then(|name| origin(d, name));
    Some(Recovery {
        backup_name: text(r.pointer("/backup/name")),
        source,
        target,
        origin,
    })
}

fn origin(d: &Value, name: &str) -> Option<RecoveryOrigin> {
    let entry = d
        .pointer("/spec/externalClusters")?
        .as_array()?
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(name))?;
    let plugin = entry
        .get("plugin")
        .filter(|p| p.is_object())
        .map(|p| PluginSource {
            name: text(p.get("name")).unwrap_or_default(),
            store: text(p.pointer("/parameters/barmanObjectName")),
            server_name: text(p.pointer("/parameters/serverName")),
        });
    let barman = entry
        .get("barmanObjectStore")
        .filter(|b| b.is_object())
        .map(|b| {
            let access = store_access(Some(b));
            InTreeSource {
                destination: access.destination.clone(),
                server_name: text(b.get("serverName")),
                access,
            }
        });
    Some(RecoveryOrigin {
        name: crate::sanitize::clean(name).into_owned(),
        plugin,
        barman,
    })
}

/// The drill annotations: the record, and the time of the last passed drill.
pub(super) fn drills(
    annotations: Option<&BTreeMap<String, String>>,
) -> (Option<DrillRecord>, Option<DateTime<Utc>>) {
    let Some(a) = annotations else {
        return (None, None);
    };
    let record = a.get(LAST_DRILL).map(|raw| {
        let mut d = parse_drill(raw);
        let clean = |s: &mut Option<String>| {
            if let Some(v) = s {
                *v = crate::redact::redact(&crate::sanitize::clean(v)).into_owned();
            }
        };
        clean(&mut d.reason);
        clean(&mut d.target);
        clean(&mut d.namespace);
        clean(&mut d.unreadable);
        d.result = crate::sanitize::clean(&d.result).into_owned();
        d
    });
    let passed = a.get(LAST_PASSED_DRILL).and_then(|s| lenient_time(s));
    (record, passed)
}
