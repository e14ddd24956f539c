//! The kubelet's `/stats/summary` (through the API server's `nodes/proxy`), read for one
//! PersistentVolumeClaim's usage: `pods[].volume[]` entries carry `pvcRef`, `usedBytes`
//! and `capacityBytes` as the kubelet measured the mounted filesystem. Pure.

use serde_json::Value;

use crate::model::archiver::{ArchiverMetrics, VolumeUsage};

/// A separate WAL volume's usage from the exporter when the kubelet cannot be asked:
/// `cnpg_collector_pg_wal{value="size"}` (segments in pg_wal) against `{value="volume_size"}`
/// (`spec.walStorage.size`). The volume holds pg_wal only, so this is its usage less the
/// filesystem's own overhead. None for PGDATA (the database shares it) or without both.
pub fn from_exporter(m: &ArchiverMetrics, pvc: &str, wal_only: bool) -> Option<VolumeUsage> {
    if !wal_only {
        return None;
    }
    let (used, capacity) = (m.wal_bytes?, m.wal_volume_bytes?);
    (used >= 0.0 && capacity > 0.0).then(|| VolumeUsage {
        pvc: pvc.to_string(),
        wal_only,
        used_bytes: used as u64,
        capacity_bytes: capacity as u64,
        source: "exporter: cnpg_collector_pg_wal size against volume_size, WAL segments only"
            .into(),
    })
}

/// The usage of claim `pvc` in namespace `ns`; an error says what the summary lacked.
pub fn pvc_usage(body: &str, ns: &str, pvc: &str, wal_only: bool) -> Result<VolumeUsage, String> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| format!("the kubelet's stats summary is not JSON ({e})"))?;
    let volumes = v
        .get("pods")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("volume").and_then(Value::as_array))
        .flatten();
    for vol in volumes {
        let Some(r) = vol.get("pvcRef") else {
            continue;
        };
        let is = |k: &str, want: &str| r.get(k).and_then(Value::as_str) == Some(want);
        if !(is("name", pvc) && is("namespace", ns)) {
            continue;
        }
        let bytes = |k: &str| vol.get(k).and_then(Value::as_u64);
        return match (bytes("usedBytes"), bytes("capacityBytes")) {
            (Some(used_bytes), Some(capacity_bytes)) => Ok(VolumeUsage {
                pvc: pvc.to_string(),
                wal_only,
                used_bytes,
                capacity_bytes,
                source: "kubelet stats summary".into(),
            }),
            _ => Err(format!(
                "the kubelet reports PersistentVolumeClaim {ns}/{pvc} without usedBytes and capacityBytes (a block volume, or stats not collected yet)"
            )),
        };
    }
    Err(format!(
        "the kubelet's stats summary has no volume of PersistentVolumeClaim {ns}/{pvc}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kubelet's shape (`k8s.io/kubelet/pkg/apis/stats/v1alpha1`), trimmed.
    const SUMMARY: &str = r#"{
      "node": {"nodeName": "worker-1", "fs": {"usedBytes": 1}},
      "pods": [
        {"podRef": {"name": "pg-orders-1", "namespace": "orders", "uid": "u"},
         "volume": [
           {"time": "2026-11-24T05:59:50Z", "availableBytes": 9663676416,
            "capacityBytes": 10726932480, "usedBytes": 1063256064, "inodesFree": 655000,
            "inodes": 655360, "inodesUsed": 360, "name": "pgdata",
            "pvcRef": {"name": "pg-orders-1", "namespace": "orders"}},
           {"time": "2026-11-24T05:59:50Z", "availableBytes": 429496729,
            "capacityBytes": 2147483648, "usedBytes": 1717986919, "name": "pg-wal",
            "pvcRef": {"name": "pg-orders-1-wal", "namespace": "orders"}},
           {"name": "scratch-data", "usedBytes": 4096}
         ]}
      ]
    }"#;

    #[test]
    fn the_claims_usage_is_found_by_its_pvc_ref() {
        let u = pvc_usage(SUMMARY, "orders", "pg-orders-1-wal", true).expect("found");
        assert_eq!(
            (u.used_bytes, u.capacity_bytes, u.wal_only),
            (1_717_986_919, 2_147_483_648, true)
        );
        assert_eq!(u.used_percent().map(|p| p.round()), Some(80.0));
        let data = pvc_usage(SUMMARY, "orders", "pg-orders-1", false).expect("found");
        assert_eq!(data.used_bytes, 1_063_256_064);
    }

    #[test]
    fn a_wal_volume_can_be_measured_by_the_exporter_but_pgdata_cannot() {
        let m = ArchiverMetrics {
            wal_bytes: Some(3_221_225_472.0),
            wal_volume_bytes: Some(42_949_672_960.0),
            ..Default::default()
        };
        let u = from_exporter(&m, "pg-orders-1-wal", true).expect("WAL volume");
        assert_eq!(u.used_percent().map(|p| p.round()), Some(8.0));
        assert!(u.source.starts_with("exporter"));
        assert_eq!(from_exporter(&m, "pg-orders-1", false), None);
        let no_wal_storage = ArchiverMetrics {
            wal_volume_bytes: None,
            ..m
        };
        assert_eq!(from_exporter(&no_wal_storage, "x-wal", true), None);
    }

    #[test]
    fn a_missing_claim_or_a_body_that_is_not_json_says_so() {
        let e = pvc_usage(SUMMARY, "billing", "pg-orders-1-wal", true).unwrap_err();
        assert!(
            e.contains("no volume of PersistentVolumeClaim billing/pg-orders-1-wal"),
            "{e}"
        );
        assert!(
            pvc_usage("Forbidden", "o", "p", true)
                .unwrap_err()
                .contains("not JSON")
        );
    }
}
