//! The HelmRelease checks: is the release Ready, suspended, is its chart source Ready, which
//! reason helm-controller gives, did it give up (retries exhausted) or does it still retry,
//! and does the chart version it last attempted run. Each answers about the release the
//! walk is about (a HelmRelease, or the releases of an OCIRepository or HelmRepository),
//! else the one named, else every one.

use super::{Answer, Env, Verdict, answer, readable};
use crate::model::rows::{Condition, GitRepositoryRow, HelmReleaseRow, condition};
use crate::model::{Kind, ObjectRef};

/// The conditions helm-controller summarises into Ready (internal/reconcile/release.go).
const SAID: &[&str] = &["Ready", "Released", "Remediated", "TestSuccess"];

fn line(r: &HelmReleaseRow, c: &Condition) -> String {
    format!(
        "HelmRelease {}/{} {}={} {}: {}",
        r.namespace, r.name, c.kind, c.status, c.reason, c.message
    )
}

/// Whether the walk is about this release.
fn about(env: &Env, r: &HelmReleaseRow) -> bool {
    match env.context {
        Some(c) if c.kind == Kind::HelmRelease => c.namespace == r.namespace && c.name == r.name,
        Some(c) if matches!(c.kind, Kind::OCIRepository | Kind::HelmRepository) => {
            r.source.kind == c.kind.name()
                && r.source.namespace == c.namespace
                && r.source.name == c.name
        }
        _ => true,
    }
}

/// Whether a finding about a HelmRelease or a chart repository concerns the walk's release.
pub(super) fn finding_about(env: &Env, o: &ObjectRef) -> bool {
    let Some(ctx) = env.context else { return true };
    if !matches!(
        ctx.kind,
        Kind::HelmRelease | Kind::OCIRepository | Kind::HelmRepository
    ) {
        return true;
    }
    if o.kind == ctx.kind {
        return o.namespace == ctx.namespace && o.name == ctx.name;
    }
    let releases = &env.facts.snapshot.helm_releases.rows;
    match o.kind {
        Kind::HelmRelease => releases
            .iter()
            .any(|r| r.namespace == o.namespace && r.name == o.name && about(env, r)),
        Kind::OCIRepository | Kind::HelmRepository => releases.iter().any(|r| {
            about(env, r)
                && r.source.kind == o.kind.name()
                && r.source.namespace == o.namespace
                && r.source.name == o.name
        }),
        _ => true,
    }
}

/// The releases a check looks at, or the Unknown answer saying why there are none.
fn releases<'a>(env: &'a Env, name: Option<&str>) -> Result<Vec<&'a HelmReleaseRow>, Answer> {
    let rows = readable(&env.facts.snapshot.helm_releases, "helmreleases")?;
    let picked: Vec<&HelmReleaseRow> = rows
        .iter()
        .map(|r| r.as_ref())
        .filter(|r| name.is_none_or(|n| n == r.name) && about(env, r))
        .collect();
    if picked.is_empty() {
        return Err(answer(
            Verdict::Unknown,
            "no HelmRelease matches: nothing here is installed through helm-controller",
            vec![],
        ));
    }
    Ok(picked)
}

/// What helm-controller says on a release: its summary conditions that are present.
fn said(r: &HelmReleaseRow) -> Vec<&Condition> {
    SAID.iter()
        .filter_map(|k| condition(&r.conditions, k))
        .collect()
}

fn not_ready(r: &HelmReleaseRow) -> bool {
    !r.ready().is_some_and(|c| c.is_true())
}

/// `helmreleases_ready`: Ready=True on every release looked at.
pub(super) fn ready(env: &Env, name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let bad: Vec<String> = rels
        .iter()
        .filter(|r| not_ready(r))
        .map(|r| match r.ready() {
            Some(c) => line(r, c),
            None => format!(
                "HelmRelease {}/{}: no Ready condition yet",
                r.namespace, r.name
            ),
        })
        .collect();
    if bad.is_empty() {
        answer(Verdict::Pass, "the HelmReleases are Ready", vec![])
    } else {
        answer(
            Verdict::Fail,
            format!("{} HelmRelease(s) not Ready", bad.len()),
            bad,
        )
    }
}

/// `helmrelease_suspended`: passes when a release looked at is suspended.
pub(super) fn suspended(env: &Env, name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let paused: Vec<String> = rels
        .iter()
        .filter(|r| r.suspended)
        .map(|r| format!("HelmRelease {}/{} spec.suspend: true", r.namespace, r.name))
        .collect();
    if paused.is_empty() {
        answer(Verdict::Fail, "no HelmRelease is suspended", vec![])
    } else {
        answer(
            Verdict::Pass,
            "helm-controller skips a suspended HelmRelease",
            paused,
        )
    }
}

/// `helm_chart_source_ready`: the OCIRepository or HelmRepository each release's chart
/// comes from (`spec.chartRef` or `spec.chart.spec.sourceRef`) exists, is not suspended and
/// is Ready.
pub(super) fn source_ready(env: &Env, name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let s = &env.facts.snapshot;
    let mut bad = Vec::new();
    let mut seen = Vec::new();
    for r in rels {
        let (state, what) = match r.source.kind.as_str() {
            "OCIRepository" => (&s.oci_repos, "ocirepositories"),
            "HelmRepository" => (&s.helm_repos, "helmrepositories"),
            // A HelmChart or another kind: not read here.
            _ => continue,
        };
        let rows = match readable(state, what) {
            Ok(rows) => rows,
            Err(unknown) => return unknown,
        };
        let src = format!("{} {}/{}", r.source.kind, r.source.namespace, r.source.name);
        let found: Option<&GitRepositoryRow> = rows
            .iter()
            .map(|x| x.as_ref())
            .find(|x| x.namespace == r.source.namespace && x.name == r.source.name);
        match found {
            None => bad.push(format!(
                "HelmRelease {}/{} takes its chart from {src}: not found",
                r.namespace, r.name
            )),
            Some(x) if x.suspended => bad.push(format!("{src} spec.suspend: true")),
            Some(x) => match x.ready() {
                Some(c) if c.is_true() => {
                    seen.push(format!("{src} Ready=True {}: {}", c.reason, c.message))
                }
                Some(c) => bad.push(format!(
                    "{src} Ready={} {}: {}",
                    c.status, c.reason, c.message
                )),
                None => bad.push(format!("{src}: no Ready condition yet")),
            },
        }
    }
    if bad.is_empty() {
        answer(Verdict::Pass, "the chart sources are Ready", seen)
    } else {
        answer(Verdict::Fail, "a chart source is not Ready", bad)
    }
}

/// `helmrelease_reason`: a release that is not Ready carries one of `reasons` on its Ready,
/// Released, Remediated or TestSuccess condition. The evidence is those conditions.
pub(super) fn reason(env: &Env, reasons: &[String], name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let failing: Vec<&HelmReleaseRow> = rels.into_iter().filter(|r| not_ready(r)).collect();
    let hit = |r: &&&HelmReleaseRow| said(r).iter().any(|c| reasons.contains(&c.reason));
    let matching: Vec<String> = failing
        .iter()
        .filter(hit)
        .flat_map(|r| said(r).into_iter().map(|c| line(r, c)))
        .collect();
    if !matching.is_empty() {
        let mut heard: Vec<&str> = Vec::new();
        for c in failing.iter().filter(hit).flat_map(|r| said(r)) {
            if reasons.contains(&c.reason) && !heard.contains(&c.reason.as_str()) {
                heard.push(&c.reason);
            }
        }
        return answer(
            Verdict::Pass,
            format!("helm-controller says {}", heard.join(", ")),
            matching,
        );
    }
    let wanted = reasons.join(", ");
    let other: Vec<String> = failing
        .iter()
        .flat_map(|r| said(r).into_iter().map(|c| line(r, c)))
        .collect();
    answer(
        Verdict::Fail,
        format!("helm-controller does not say {wanted}"),
        other,
    )
}

/// `helm_retries_exhausted`: helm-controller gave up on a release (Stalled=True,
/// RetriesExceeded or MissingRollbackTarget, internal/reconcile/atomic_release.go) and
/// waits for a change or a reset; Fail while it still retries (Reconciling=True
/// ProgressingWithRetry). The evidence says which chart version runs and which was tried.
pub(super) fn retries_exhausted(env: &Env, name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let versions = |r: &HelmReleaseRow| {
        format!(
            "HelmRelease {}/{} runs chart {} (status.history[0].chartVersion); last attempted {} (status.lastAttemptedRevision)",
            r.namespace,
            r.name,
            r.applied.as_deref().unwrap_or("none"),
            r.attempted.as_deref().unwrap_or("none")
        )
    };
    let failing: Vec<&HelmReleaseRow> = rels.into_iter().filter(|r| not_ready(r)).collect();
    let stalled: Vec<String> = failing
        .iter()
        .filter_map(|r| {
            let c = condition(&r.conditions, "Stalled").filter(|c| c.is_true())?;
            Some([line(r, c), versions(r)])
        })
        .flatten()
        .collect();
    if !stalled.is_empty() {
        return answer(
            Verdict::Pass,
            "helm-controller gave up: the remediation retries are exhausted",
            stalled,
        );
    }
    let retrying: Vec<String> = failing
        .iter()
        .flat_map(|r| {
            condition(&r.conditions, "Reconciling")
                .map(|c| line(r, c))
                .into_iter()
                .chain([versions(r)])
        })
        .collect();
    answer(
        Verdict::Fail,
        "helm-controller has not given up (no Stalled condition): it retries on its own",
        retrying,
    )
}

/// `helm_chart_version_applied`: the chart version each release last attempted is the one
/// its newest release runs.
pub(super) fn version_applied(env: &Env, name: Option<&str>) -> Answer {
    let rels = match releases(env, name) {
        Ok(r) => r,
        Err(unknown) => return unknown,
    };
    let bad: Vec<String> = rels
        .iter()
        .filter(|r| r.attempted.is_some() && r.attempted != r.applied)
        .map(|r| {
            format!(
                "HelmRelease {}/{} status.lastAttemptedRevision {} ≠ status.history[0].chartVersion {}",
                r.namespace,
                r.name,
                r.attempted.as_deref().unwrap_or("-"),
                r.applied.as_deref().unwrap_or("none")
            )
        })
        .collect();
    if bad.is_empty() {
        answer(
            Verdict::Pass,
            "every HelmRelease runs the chart version it last attempted",
            vec![],
        )
    } else {
        answer(
            Verdict::Fail,
            "the chart version last attempted is not the one running",
            bad,
        )
    }
}
