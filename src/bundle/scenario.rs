//! `scenario.yaml`: what manifests cannot carry, so that `demo --scenario BUNDLE` and
//! `check --dump BUNDLE` see the cluster as it was: the clock anchored at the bundle's time
//! (every timestamp moves with it, ages stay), each primary's archiver as it answered, and
//! the finding codes found when it was taken (training reveals them; a reload is checked
//! against them).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::model::archiver::ArchiverReading;

/// The Scenario document of a bundle.
pub fn document(
    name: &str,
    description: &str,
    taken_at: DateTime<Utc>,
    expect: &[String],
    archivers: &[ArchiverReading],
) -> anyhow::Result<Vec<u8>> {
    let doc = json!({
        "apiVersion": crate::model::domain::SCENARIO_API_VERSION,
        "kind": "Scenario",
        "metadata": {"name": name},
        "spec": {
            "description": description,
            "clock": {"anchor": rfc3339(taken_at)},
            "expect": expect,
            "archivers": archiver_specs(archivers),
        }
    });
    Ok(serde_yaml::to_string(&doc)?.into_bytes())
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Each primary's newest reading as the simulator's `spec.archivers`; where the primary was
/// read twice, the growth of its backlog between the two becomes `readyWalFilesPerHour`.
fn archiver_specs(readings: &[ArchiverReading]) -> Vec<Value> {
    let mut newest: Vec<&ArchiverReading> = Vec::new();
    for r in readings {
        match newest
            .iter_mut()
            .find(|n| n.namespace == r.namespace && n.cluster == r.cluster)
        {
            Some(n) if n.taken_at < r.taken_at => *n = r,
            Some(_) => {}
            None => newest.push(r),
        }
    }
    newest
        .into_iter()
        .map(|r| {
            let mut spec = json!({"cluster": format!("{}/{}", r.namespace, r.cluster)});
            match &r.status {
                Ok(s) => {
                    spec["readyWalFiles"] = json!(s.ready_wal_files);
                    if let Some(rate) = growth(readings, r) {
                        spec["readyWalFilesPerHour"] = json!(rate);
                    }
                    let times = [
                        ("lastArchivedWAL", &s.last_archived_wal),
                        ("lastFailedWAL", &s.last_failed_wal),
                    ];
                    for (key, wal) in times {
                        if let Some(w) = wal {
                            spec[key] = json!(w);
                        }
                    }
                    if let Some(t) = s.last_archived_time {
                        spec["lastArchivedWALTime"] = json!(rfc3339(t));
                    }
                    if let Some(t) = s.last_failed_time {
                        spec["lastFailedWALTime"] = json!(rfc3339(t));
                    }
                }
                Err(why) => {
                    spec["unreachable"] = json!(if why.contains("timed out") {
                        "timeout"
                    } else {
                        "refused"
                    });
                }
            }
            if let Ok(v) = &r.volume {
                spec["walVolume"] = json!({
                    "capacity": v.capacity_bytes.to_string(),
                    "used": v.used_bytes.to_string(),
                });
            }
            spec
        })
        .collect()
}

/// WAL files per hour added to the backlog between the two readings of one primary.
fn growth(readings: &[ArchiverReading], newest: &ArchiverReading) -> Option<f64> {
    let older = readings
        .iter()
        .filter(|r| {
            r.namespace == newest.namespace
                && r.cluster == newest.cluster
                && r.pod == newest.pod
                && r.taken_at < newest.taken_at
        })
        .max_by_key(|r| r.taken_at)?;
    let (a, b) = (older.status.as_ref().ok()?, newest.status.as_ref().ok()?);
    let hours = (newest.taken_at - older.taken_at).num_milliseconds() as f64 / 3_600_000.0;
    (hours > 0.0 && b.ready_wal_files > a.ready_wal_files)
        .then(|| (b.ready_wal_files - a.ready_wal_files) as f64 / hours)
}

/// `ground.json`: what the bucket and each primary's archiver said, beside the status
/// fields the objects carry (the check's report says what the rules made of it).
pub fn ground(f: &crate::model::facts::Facts) -> anyhow::Result<String> {
    use crate::model::bucket::ProofOutcome;
    let stores: Vec<Value> = f
        .stores
        .iter()
        .map(|p| {
            let (outcome, detail, window) = match &p.outcome {
                ProofOutcome::Unknown(why) => ("unknown", Some(why.clone()), None),
                ProofOutcome::Failed(why) => ("failed", Some(why.clone()), None),
                ProofOutcome::Proven(b) => (
                    "read",
                    None,
                    b.window
                        .as_ref()
                        .map(|w| json!({"from": w.from.map(rfc3339), "to": w.to.map(rfc3339)})),
                ),
            };
            json!({
                "namespace": p.namespace, "store": p.store, "in_tree": p.in_tree,
                "server_name": p.server_name, "destination": p.destination,
                "checked_at": rfc3339(p.checked_at), "outcome": outcome,
                "why": detail, "window": window,
            })
        })
        .collect();
    let archivers: Vec<Value> = f
        .archivers
        .iter()
        .map(|r| {
            let status = match &r.status {
                Ok(s) => json!({
                    "is_archiving": s.is_archiving,
                    "ready_wal_files": s.ready_wal_files,
                    "last_archived_wal": s.last_archived_wal,
                    "last_archived_time": s.last_archived_time.map(rfc3339),
                    "last_failed_wal": s.last_failed_wal,
                    "last_failed_time": s.last_failed_time.map(rfc3339),
                    "current_wal": s.current_wal,
                }),
                Err(why) => json!({"error": why}),
            };
            let volume = match &r.volume {
                Ok(v) => json!({"pvc": v.pvc, "used_bytes": v.used_bytes,
                    "capacity_bytes": v.capacity_bytes, "source": v.source}),
                Err(why) => json!({"error": why}),
            };
            json!({
                "namespace": r.namespace, "cluster": r.cluster, "pod": r.pod,
                "taken_at": rfc3339(r.taken_at), "status": status, "volume": volume,
                "metrics": r.metrics.as_ref().err().map(|why| json!({"error": why})),
            })
        })
        .collect();
    let doc = json!({"stores": stores, "archivers": archivers});
    let mut text = serde_json::to_string_pretty(&doc)?;
    text = crate::redact::redact(&text).into_owned();
    Ok(text)
}
