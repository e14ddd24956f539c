//! kubectl against the same cluster, for comparison: `get backups -A -o json` and
//! `get pods -A` with a warm discovery cache, wall time and peak RSS by wait4.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::case::Case;
use crate::helpers::{find_in_path, part};
use crate::measure::{Measured, measure};

/// A kubectl run that long is not repeated.
const KUBECTL_LONG_MS: f64 = 30_000.0;

pub fn bench_kubectl(case: &Case) -> Result<Value> {
    let kubectl = find_in_path("kubectl").context("kubectl is not on PATH")?;
    let cache = case.dir.join("kubectl-cache");
    let stderr_path = case.dir.join("kubectl.stderr");
    let limit = Duration::from_secs(600);
    let run = |args: &[&str]| -> Result<Measured> {
        let mut all: Vec<std::ffi::OsString> = vec![
            "--kubeconfig".into(),
            case.kubeconfig.clone().into(),
            "--cache-dir".into(),
            cache.clone().into(),
        ];
        all.extend(args.iter().map(Into::into));
        let m = measure(&kubectl, &all, &stderr_path, limit)?;
        if m.status != 0 {
            let err = std::fs::read_to_string(&stderr_path).unwrap_or_default();
            bail!(
                "kubectl {} exited with {}: {}",
                args.join(" "),
                m.status,
                err.trim().chars().take(500).collect::<String>()
            );
        }
        Ok(m)
    };
    // Warm the discovery cache first, as a user's would be.
    run(&["get", "namespaces", "-o", "name"])?;
    let mut out = serde_json::Map::new();
    out.insert("discovery_cache".into(), json!("warm"));
    for (name, args) in [
        ("backups_json", &["get", "backups", "-A", "-o", "json"][..]),
        ("pods", &["get", "pods", "-A"][..]),
    ] {
        let r = part(|| {
            // The median of `kubectl_runs`, or a single run when one takes over 30 s (at 50k
            // `get backups -o json` takes minutes: three would add ~5 min to the full run).
            let mut runs = vec![run(args)?];
            while runs.len() < case.plan.kubectl_runs
                && runs.iter().all(|m| m.wall_ms <= KUBECTL_LONG_MS)
            {
                runs.push(run(args)?);
            }
            runs.sort_by(|a, b| a.wall_ms.total_cmp(&b.wall_ms));
            let median = &runs[runs.len() / 2];
            Ok(json!({
                "ms": median.wall_ms,
                "peak_rss_mb": median.max_rss_mb,
                "max_peak_rss_mb": runs.iter().map(|m| m.max_rss_mb).fold(0.0, f64::max),
                "runs_ms": runs.iter().map(|m| m.wall_ms).collect::<Vec<_>>(),
            }))
        });
        out.insert(name.into(), r);
    }
    Ok(Value::Object(out))
}
