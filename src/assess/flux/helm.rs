//! HelmReleases (FLX011-FLX013): how the plugin and the operator are now mostly installed.
//! A release that failed its install or upgrade, a suspended one, and the OCI or Helm
//! repository its chart comes from when that is not Ready.

use super::AREA;
use crate::assess::read::cond_line;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::rows::{GitRepositoryRow, HelmReleaseRow};
use crate::model::state::Readable;

/// The charts that deliver what backups depend on.
pub(super) const BACKUP_CHARTS: &[&str] = &["plugin-barman-cloud", "cloudnative-pg"];

fn delivers_backups(r: &HelmReleaseRow) -> bool {
    BACKUP_CHARTS.contains(&r.chart.as_str())
}

pub(super) fn rules(f: &Facts, out: &mut Outcome) {
    let s = &f.snapshot;
    let releases = match s.helm_releases.readable(&Kind::HelmRelease.qualified()) {
        // helm-controller is optional: without it nothing is installed through it, and a
        // kind not listed yet says nothing either way.
        Readable::NotInstalled(_) => return,
        Readable::Unknown(_) if s.helm_releases.sync == crate::model::SyncState::Syncing => return,
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
        Readable::Rows(r) => r,
    };
    for r in releases {
        release(r, out);
        source(f, r, out);
    }
}

/// FLX011 (not Ready) and FLX012 (suspended).
fn release(r: &HelmReleaseRow, out: &mut Outcome) {
    let (ns, name) = (&r.namespace, &r.name);
    let what = if delivers_backups(r) {
        format!(" (chart {}: backups depend on it)", r.chart)
    } else {
        String::new()
    };
    if r.suspended {
        out.push(Finding::new(
            "FLX012",
            Severity::Warning,
            ObjectRef::new(Kind::HelmRelease, ns, name),
            format!(
                "HelmRelease {ns}/{name} is suspended{what}: Flux does not upgrade or repair it"
            ),
            vec![format!("HelmRelease {ns}/{name} spec.suspend: true")],
            format!("Resume it when the reason is gone: flux resume helmrelease {name} -n {ns}"),
        ));
    }
    let Some(ready) = r.ready().filter(|c| c.status == "False") else {
        return;
    };
    let mut evidence = vec![format!("HelmRelease {ns}/{name} {}", cond_line(ready))];
    if let Some(applied) = &r.applied {
        evidence.push(format!(
            "HelmRelease {ns}/{name} status.history[0].chartVersion: {applied}"
        ));
    }
    if let Some(attempted) = &r.attempted {
        evidence.push(format!(
            "HelmRelease {ns}/{name} status.lastAttemptedRevision: {attempted}"
        ));
    }
    let running = match (&r.applied, &r.attempted) {
        (Some(a), Some(t)) if a != t => format!(" (version {a} still runs; {t} did not take)"),
        _ => String::new(),
    };
    out.push(Finding::new(
        "FLX011",
        if delivers_backups(r) {
            Severity::Critical
        } else {
            Severity::Warning
        },
        ObjectRef::new(Kind::HelmRelease, ns, name),
        format!(
            "HelmRelease {ns}/{name} is not Ready: {}{what}{running}",
            ready.reason
        ),
        evidence,
        format!(
            "Read what Helm said: kubectl describe helmrelease {name} -n {ns}; flux logs --kind=HelmRelease --name={name} -n {ns}. Once the cause is fixed: flux reconcile helmrelease {name} -n {ns} --with-source"
        ),
    ));
}

/// FLX013: the repository the chart comes from is not Ready: no new chart version arrives.
fn source(f: &Facts, r: &HelmReleaseRow, out: &mut Outcome) {
    let s = &f.snapshot;
    let (kind, repos) = match r.source.kind.as_str() {
        "OCIRepository" => (Kind::OCIRepository, &s.oci_repos.rows),
        "HelmRepository" => (Kind::HelmRepository, &s.helm_repos.rows),
        _ => return,
    };
    let Some(repo): Option<&GitRepositoryRow> = repos
        .iter()
        .map(|x| x.as_ref())
        .find(|x| x.namespace == r.source.namespace && x.name == r.source.name)
    else {
        return;
    };
    let Some(ready) = repo.ready().filter(|c| c.status == "False") else {
        return;
    };
    let (ns, name) = (&repo.namespace, &repo.name);
    out.push(Finding::new(
        "FLX013",
        if delivers_backups(r) {
            Severity::Critical
        } else {
            Severity::Warning
        },
        ObjectRef::new(kind, ns, name),
        format!(
            "{kind} {ns}/{name} is not Ready: HelmRelease {}/{} gets no new chart from it",
            r.namespace, r.name
        ),
        vec![
            format!("{kind} {ns}/{name} {}", cond_line(ready)),
            format!("{kind} {ns}/{name} spec.url: {}", repo.url),
        ],
        format!(
            "Check the URL and its credentials (spec.secretRef), then: flux reconcile source {} {name} -n {ns}",
            if kind == Kind::OCIRepository { "oci" } else { "helm" }
        ),
    ));
}
