//! FLX010: the Flux controllers that fetch sources and apply Kustomizations.

use std::collections::BTreeSet;

use super::AREA;
use crate::assess::read::{cond_line, warning_events};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::rows::{DeploymentRow, PodRow};

/// The controllers without which nothing is fetched or applied.
const CONTROLLERS: &[&str] = &["kustomize-controller", "source-controller"];

/// FLX010: the controllers that fetch and apply.
pub(super) fn controllers(out: &mut Outcome, f: &Facts) {
    let pods = f.snapshot.pods.rows_or_why(&Kind::Pod.qualified());
    let deps = f.deployments.rows_or_why(&Kind::Deployment.qualified());
    if let (Err(why), Err(_)) = (&pods, &deps) {
        out.unknown(AREA, why.clone());
        return;
    }
    // One pass over every pod for all the controllers.
    let mut pods_of: [Vec<&PodRow>; CONTROLLERS.len()] = Default::default();
    for p in pods.iter().flat_map(|r| r.iter()) {
        if p.status == "Terminating" {
            continue;
        }
        let Some(app) = p.labels.get("app") else {
            continue;
        };
        if let Some(i) = CONTROLLERS.iter().position(|c| c == app) {
            pods_of[i].push(p);
        }
    }
    for (app, ps) in CONTROLLERS.iter().zip(pods_of) {
        let ds: Vec<&DeploymentRow> = deps
            .iter()
            .flat_map(|r| r.iter())
            .map(|d| d.as_ref())
            .filter(|d| {
                d.name == *app
                    && (d
                        .labels
                        .get("app.kubernetes.io/part-of")
                        .map(String::as_str)
                        == Some("flux")
                        || d.namespace == "flux-system")
            })
            .collect();
        let namespaces: BTreeSet<&str> = ps
            .iter()
            .map(|p| p.namespace.as_str())
            .chain(ds.iter().map(|d| d.namespace.as_str()))
            .collect();
        for ns in namespaces {
            let here: Vec<&&PodRow> = ps.iter().filter(|p| p.namespace == ns).collect();
            let dep = ds.iter().find(|d| d.namespace == ns);
            // The pods decide when they can be read; the Deployment's counters otherwise.
            let down = if pods.is_ok() {
                !here.iter().any(|p| p.is_ready())
            } else {
                dep.is_some_and(|d| d.ready == 0)
            };
            if !down {
                continue;
            }
            let mut evidence: Vec<String> = here
                .iter()
                .map(|p| {
                    let mut s = format!(
                        "Pod {ns}/{} STATUS: {}, READY: {}/{}, restarts: {}",
                        p.name, p.status, p.ready.0, p.ready.1, p.restarts
                    );
                    if let Some(t) = &p.last_termination {
                        s.push_str(&format!(", last termination: {t}"));
                    }
                    s
                })
                .collect();
            if pods.is_ok() && here.is_empty() {
                evidence.push(format!("pods in {ns} labelled app={app}: none"));
            }
            if let Some(d) = dep {
                evidence.push(format!(
                    "Deployment {ns}/{} status.readyReplicas: {}",
                    d.name, d.ready
                ));
                evidence.extend(
                    d.conditions
                        .iter()
                        .filter(|c| c.status == "False")
                        .map(|c| format!("Deployment {ns}/{} {}", d.name, cond_line(c))),
                );
                evidence.extend(warning_events(f, Kind::Deployment, ns, &d.name, 2));
            }
            let what = if *app == "source-controller" {
                "no source is fetched"
            } else {
                "no Kustomization is applied"
            };
            out.push(Finding {
                code: "FLX010",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::Deployment, ns, app),
                summary: format!("Flux {app} in {ns} has no ready pod: {what}"),
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe deployment {app}; kubectl -n {ns} logs deployment/{app} --previous; flux check"
                ),
            });
        }
    }
}
