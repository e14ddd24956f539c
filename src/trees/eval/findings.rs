//! The checks that mirror finding codes: answered from the health rules' own outcome, so a
//! walk and `backstop check` never disagree. A finding out of the walk's scope does not
//! count; an area the rules could not read makes the answer Unknown.

use super::{Answer, Env, Verdict, answer};
use crate::assess::Finding;
use crate::assess::catalog;

/// Evidence lines kept of each finding.
const EVIDENCE_PER_FINDING: usize = 4;

/// Pass when none of `codes` is found about the walk's objects; the findings are the evidence.
fn no_finding(env: &Env, codes: &[&str], ok: &str) -> Answer {
    let found: Vec<&Finding> = env
        .assessed
        .findings
        .iter()
        .filter(|f| codes.contains(&f.code) && env.in_scope(f))
        .collect();
    let Some(first) = found.first() else {
        let areas: Vec<&str> = codes.iter().map(|c| catalog::area(c).0).collect();
        let blind: Vec<String> = env
            .assessed
            .unknown
            .iter()
            .filter(|u| areas.contains(&u.area))
            .map(|u| format!("{}: {}", u.area, u.reason))
            .collect();
        if !blind.is_empty() {
            return answer(Verdict::Unknown, "could not read what this needs", blind);
        }
        return answer(Verdict::Pass, ok, vec![]);
    };
    let mut evidence = Vec::new();
    for f in &found {
        evidence.push(format!("{} {}", f.code, f.summary));
        evidence.extend(
            f.evidence
                .iter()
                .take(EVIDENCE_PER_FINDING)
                .map(|e| format!("  {e}")),
        );
    }
    answer(Verdict::Fail, first.summary.clone(), evidence)
}

/// Pass when one of `codes` is found (the check asks "is it this?").
fn has_finding(env: &Env, codes: &[&str], no: &str) -> Answer {
    let a = no_finding(env, codes, no);
    let verdict = match a.verdict {
        Verdict::Fail => Verdict::Pass,
        Verdict::Pass => Verdict::Fail,
        other => other,
    };
    Answer { verdict, ..a }
}

pub(super) fn plugin_registered(env: &Env) -> Answer {
    no_finding(
        env,
        &["PLG002", "PLG003"],
        "the plugin's Service is registered in the operator's namespace",
    )
}

pub(super) fn plugin_pods_ready(env: &Env) -> Answer {
    no_finding(env, &["PLG004"], "the plugin pods are ready")
}

pub(super) fn plugin_oom_killed(env: &Env) -> Answer {
    has_finding(env, &["PLG005"], "no plugin container was OOMKilled")
}

pub(super) fn operator_ready(env: &Env) -> Answer {
    no_finding(env, &["PLG007"], "the CNPG operator has a ready replica")
}

pub(super) fn manifests_applied(env: &Env) -> Answer {
    no_finding(
        env,
        &["FLX009", "OBJ001"],
        "every object the backup setup names exists",
    )
}

pub(super) fn cluster_plugin_configured(env: &Env) -> Answer {
    no_finding(
        env,
        &["BKP006", "BKP010"],
        "the Cluster's plugin entry is complete",
    )
}

pub(super) fn objectstore_exists(env: &Env) -> Answer {
    no_finding(
        env,
        &["OBJ001"],
        "every ObjectStore a Cluster names exists in its namespace",
    )
}

pub(super) fn credentials_present(env: &Env) -> Answer {
    no_finding(
        env,
        &["OBJ002"],
        "every Secret and key the ObjectStores reference exists",
    )
}

/// OBJ005 comes only from network probes: without them its absence proves nothing.
pub(super) fn endpoint_reachable(env: &Env) -> Answer {
    if !env.facts.probed {
        return answer(
            Verdict::Unknown,
            "no network probe ran (saved manifests, or a simulated cluster)",
            vec![],
        );
    }
    no_finding(
        env,
        &["OBJ005"],
        "every endpoint resolves and accepts connections",
    )
}

pub(super) fn latest_backup_ok(env: &Env) -> Answer {
    no_finding(
        env,
        &["BKP001"],
        "the newest backup of each Cluster completed",
    )
}

pub(super) fn backups_not_stuck(env: &Env) -> Answer {
    no_finding(env, &["BKP004"], "no backup is stuck")
}

pub(super) fn schedules_ok(env: &Env) -> Answer {
    no_finding(
        env,
        &["BKP007", "BKP008"],
        "every ScheduledBackup runs, with the plugin method",
    )
}

/// `finding: {code}`: Pass when the rules found it.
pub(super) fn finding(env: &Env, code: &str) -> Answer {
    has_finding(env, &[code], &format!("no {code} finding"))
}
