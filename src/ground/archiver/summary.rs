//! The kubelet's `/stats/summary` (through the API server's `nodes/proxy`), read for one
//! PersistentVolumeClaim's usage: `pods[].volume[]` entries carry `pvcRef`, `usedBytes`
//! and `capacityBytes` as the kubelet measured the mounted filesystem. Pure.

use serde_json::Value;

use crate::model::archiver::VolumeUsage;

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
