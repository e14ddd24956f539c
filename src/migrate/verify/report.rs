//! The verification as text (one line a check, its evidence and what to do below it) and
//! as JSON. Every string from the cluster was cleaned when the check was written.

use serde_json::json;

use super::{Status, Verification};

/// The text report.
pub fn text(v: &Verification) -> String {
    let mut out = format!("Migration check of Cluster {}/{}\n", v.namespace, v.cluster);
    for c in &v.checks {
        out.push_str(&format!(
            "{:<4}  {:<16}  {}\n",
            c.status.word(),
            c.check,
            c.summary
        ));
        for e in &c.evidence {
            out.push_str(&format!("{:24}{e}\n", ""));
        }
        if let Some(r) = &c.remedy
            && c.status != Status::Pass
        {
            out.push_str(&format!("{:24}→ {r}\n", ""));
        }
    }
    for a in &v.actions {
        out.push_str(&format!("Done by verify: {a}\n"));
    }
    out.push_str(&format!(
        "Result: {}",
        match v.exit_code() {
            0 => "the migration is proven",
            1 => "migrated, with warnings",
            2 => "not proven: a check failed",
            _ => "cannot tell: a check could not be made from here",
        }
    ));
    out
}

/// The JSON report: the checks, what verify did, and the exit code.
pub fn json(v: &Verification) -> String {
    let value = json!({
        "namespace": v.namespace,
        "cluster": v.cluster,
        "checks": v.checks,
        "actions": v.actions,
        "exitCode": v.exit_code(),
    });
    serde_json::to_string_pretty(&value).unwrap_or_else(|_| "{}".into())
}
