//! The ScheduledBackup controller's first pass (CloudNativePG
//! `internal/controller/scheduledbackup_controller.go`): a new ScheduledBackup with
//! `immediate: true` gets its Backup at once, named `<schedule>-<compact timestamp>`,
//! labelled as its child, owned as `backupOwnerReference` says. Later runs follow the
//! scenario's timeline, not the cron expression.

use chrono::Utc;
use serde_json::{Value, json};

use super::{event, get, rtype, s};
use crate::sim::store::{Part, Store, WriteOpts, now_rfc3339};

pub(super) fn on_scheduled_backup(store: &Store, sb: &Value) {
    let immediate = sb.pointer("/spec/immediate").and_then(Value::as_bool) == Some(true);
    let suspended = sb.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
    if !immediate || suspended || sb.pointer("/status/lastCheckTime").is_some() {
        return;
    }
    let (ns, name) = (s(sb, "/metadata/namespace"), s(sb, "/metadata/name"));
    let now = Utc::now();
    let at = now_rfc3339(now);
    let cluster = s(sb, "/spec/cluster/name");
    let mut spec = json!({"cluster": {"name": cluster}});
    for field in [
        "target",
        "method",
        "online",
        "onlineConfiguration",
        "pluginConfiguration",
    ] {
        if let Some(v) = sb.pointer(&format!("/spec/{field}")) {
            spec[field] = v.clone();
        }
    }
    let mut backup = json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Backup",
        "metadata": {"name": format!("{name}-{}", now.format("%Y%m%d%H%M%S")), "namespace": ns,
                     "labels": {"cnpg.io/cluster": cluster, "cnpg.io/immediateBackup": "true",
                                "cnpg.io/scheduled-backup": name}},
        "spec": spec,
    });
    let owner = match s(sb, "/spec/backupOwnerReference") {
        "self" => Some(sb.clone()),
        "cluster" => get(store, "postgresql.cnpg.io", "clusters", ns, cluster),
        _ => None,
    };
    if let Some(o) = owner {
        backup["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "postgresql.cnpg.io/v1", "kind": s(&o, "/kind"), "name": s(&o, "/metadata/name"),
            "uid": s(&o, "/metadata/uid"), "controller": true, "blockOwnerDeletion": true}]);
    }
    event(
        store,
        sb,
        "Normal",
        "BackupSchedule",
        &format!(
            "Scheduled immediate backup now: {}",
            now.format("%Y-%m-%d %H:%M:%S%.9f +0000 UTC")
        ),
        "cloudnative-pg-scheduledbackup",
    );
    // The status first: the Backup's own change must not find the schedule unchecked again.
    if let Some(t) = rtype(store, "postgresql.cnpg.io", "scheduledbackups") {
        let _ = store.update(&t, ns, name, Part::Status, &WriteOpts::internal(), |old| {
            let mut new = old.clone();
            new["status"]["lastCheckTime"] = json!(at);
            new["status"]["lastScheduleTime"] = json!(at);
            Ok(new)
        });
    }
    if let Some(t) = rtype(store, "postgresql.cnpg.io", "backups")
        && let Err(e) = store.create(&t, backup, &WriteOpts::internal())
    {
        tracing::debug!(ns, name, error = %e.message, "the simulated operator could not create a scheduled Backup");
    }
}
