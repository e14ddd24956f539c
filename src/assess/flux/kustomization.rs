//! One Kustomization at a time: FLX001 (not Ready), FLX002 (build failed), FLX003 (waits
//! on a dependency), FLX004 (health checks failed), FLX005 (no usable artifact), FLX006
//! (suspended), FLX007 (stalled or past its timeout), FLX008 (the newest revision failed),
//! and FLX014 instead of FLX004 when the health check only waits on rolling Clusters.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{is_ready, not_ready, rolling, source_of};
use crate::assess::read::{cond_line, selects, warning_events};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::kubefmt::{human_duration, ts};
use crate::model::rows::{GitRepositoryRow, KustomizationRow, condition, short_revision};

/// A Go duration as Flux writes them: `5m0s`, `1h0m0s`, `30s`, `1.5h`, `500ms`.
pub(super) fn go_duration(s: &str) -> Option<chrono::Duration> {
    let mut rest = s.trim();
    if rest.is_empty() {
        return None;
    }
    let mut millis = 0f64;
    while !rest.is_empty() {
        let end = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        if end == 0 {
            return None;
        }
        let n: f64 = rest[..end].parse().ok()?;
        rest = &rest[end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let per = match &rest[..unit_end] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        millis += n * per;
        rest = &rest[unit_end..];
    }
    Some(chrono::Duration::milliseconds(millis.round() as i64))
}

/// How long one reconciliation may take, and the evidence for it: `spec.timeout`, else
/// Flux's default of interval - 30s; kustomize-controller raises either to at least 30s.
fn timeout(k: &KustomizationRow) -> Option<(chrono::Duration, String)> {
    let floor = chrono::Duration::seconds(30);
    if let Some(t) = k
        .timeout
        .as_deref()
        .and_then(|t| go_duration(t).map(|d| (t, d)))
    {
        let ev = if t.1 < floor {
            format!("spec.timeout: {} (Flux applies at least 30s)", t.0)
        } else {
            format!("spec.timeout: {}", t.0)
        };
        return Some((t.1.max(floor), ev));
    }
    let interval = k.interval.as_deref()?;
    let d = go_duration(interval)?;
    Some((
        (d - floor).max(floor),
        format!("spec.interval: {interval} (no spec.timeout: the default is interval - 30s)"),
    ))
}

/// FLX001-FLX004, FLX005 (ArtifactFailed), FLX006-FLX008 for one Kustomization.
pub(super) fn kustomization(
    out: &mut Outcome,
    f: &Facts,
    all: &[Arc<KustomizationRow>],
    repos: Option<&[Arc<GitRepositoryRow>]>,
    k: &KustomizationRow,
    now: DateTime<Utc>,
) {
    let (ns, name) = (k.namespace.as_str(), k.name.as_str());
    let subject = || ObjectRef::new(Kind::Kustomization, ns, name);
    // A suspended Kustomization refuses `flux reconcile`.
    let then_reconcile = if k.suspended {
        format!("flux resume kustomization {name} -n {ns} (it is suspended)")
    } else {
        format!("flux reconcile kustomization {name} -n {ns} --with-source")
    };

    if k.suspended {
        out.push(Finding {
            code: "FLX006",
            severity: Severity::Warning,
            object: subject(),
            summary: format!(
                "Kustomization {ns}/{name} is suspended: changes in Git are not applied"
            ),
            evidence: vec!["spec.suspend: true".into()],
            remedy: format!("flux resume kustomization {name} -n {ns}"),
        });
    }

    if let Some(r) = k.ready().filter(|r| r.status == "False") {
        let mut evidence = vec![cond_line(r)];
        let events = warning_events(f, Kind::Kustomization, ns, name, 2)
            .into_iter()
            .filter(|e| !e.ends_with(&r.message));
        match r.reason.as_str() {
            "BuildFailed" => {
                evidence.extend(events);
                let path = k.path.as_deref().unwrap_or("./");
                out.push(Finding {
                    code: "FLX002",
                    severity: Severity::Critical,
                    object: subject(),
                    summary: format!("Kustomization {ns}/{name} cannot build its manifests (BuildFailed)"),
                    evidence,
                    remedy: format!(
                        "Reproduce the build from a checkout of the repository: flux build kustomization {name} -n {ns} --path {path}; fix it in Git, then: {then_reconcile}"
                    ),
                });
            }
            "DependencyNotReady" => dependency(out, all, k, evidence),
            // kustomize-controller (v1.8 and newer) cancels a running health check when a
            // newer revision arrives and starts over with it: a transient, not a failure.
            // A reconcile that never settles is still FLX007's.
            "HealthCheckCanceled" => {}
            "HealthCheckFailed" => {
                let healthy =
                    condition(&k.conditions, "Healthy").filter(|h| h.message != r.message);
                evidence.extend(healthy.map(cond_line));
                let objects = unhealthy_objects(&r.message);
                for o in &objects {
                    evidence.push(format!("unhealthy object: {o}"));
                }
                for o in &objects {
                    evidence.extend(object_detail(f, o));
                }
                match rolling::judge(f, &objects, now) {
                    Ok(roll) => {
                        out.push(rolling::finding(k, evidence, roll));
                        return kustomization_rest(out, k, now, &then_reconcile);
                    }
                    Err(notes) => evidence.extend(notes),
                }
                evidence.extend(events);
                let first = objects
                    .first()
                    .and_then(|o| o.split_whitespace().next())
                    .map(|o| format!(": {o} is not healthy"))
                    .unwrap_or_default();
                let look = objects
                    .first()
                    .and_then(|o| o.split_whitespace().next())
                    .and_then(|o| {
                        let parts: Vec<&str> = o.split('/').collect();
                        match parts.as_slice() {
                            [kind, ons, oname] => Some(format!(
                                "kubectl -n {ons} describe {} {oname}; ",
                                kind.to_lowercase()
                            )),
                            _ => None,
                        }
                    })
                    .unwrap_or_default();
                out.push(Finding {
                    code: "FLX004",
                    severity: Severity::Critical,
                    object: subject(),
                    summary: format!("Kustomization {ns}/{name} failed its health checks{first}"),
                    evidence,
                    remedy: format!(
                        "Find why the object is unhealthy: {look}flux events --for Kustomization/{name} -n {ns}; fix it in Git (or revert the change that broke it), then: {then_reconcile}"
                    ),
                });
            }
            "ArtifactFailed" => {
                let src = source_of(repos, k);
                // A source that is not Ready has its own finding, told once for all its users.
                if !src.is_some_and(not_ready) {
                    evidence.extend(src.and_then(|s| s.ready()).map(|c| {
                        format!(
                            "GitRepository {}/{} {}",
                            k.source.namespace,
                            k.source.name,
                            cond_line(c)
                        )
                    }));
                    evidence.extend(events);
                    let (src_ns, src_name) = (&k.source.namespace, &k.source.name);
                    out.push(Finding {
                        code: "FLX005",
                        severity: Severity::Critical,
                        object: subject(),
                        summary: format!(
                            "Kustomization {ns}/{name} has no usable artifact from its source {}/{src_ns}/{src_name} (ArtifactFailed)",
                            k.source.kind
                        ),
                        evidence,
                        remedy: format!(
                            "flux get sources all -n {src_ns}; flux reconcile source {} {src_name} -n {src_ns}; check that spec.path {} exists in that revision; then: {then_reconcile}",
                            source_cli(&k.source.kind),
                            k.path.as_deref().unwrap_or("./")
                        ),
                    });
                }
            }
            other => {
                evidence.extend(events);
                out.push(Finding {
                    code: "FLX001",
                    severity: Severity::Critical,
                    object: subject(),
                    summary: format!("Kustomization {ns}/{name} is not Ready ({other})"),
                    evidence,
                    remedy: format!(
                        "flux events --for Kustomization/{name} -n {ns}; fix the cause in Git, then: {then_reconcile}"
                    ),
                });
            }
        }
    }
    kustomization_rest(out, k, now, &then_reconcile);
}

/// The `flux reconcile source <x>` word for a source kind.
fn source_cli(kind: &str) -> &'static str {
    match kind {
        "OCIRepository" => "oci",
        "Bucket" => "bucket",
        _ => "git",
    }
}

/// FLX007 and FLX008: independent of the Ready reason.
fn kustomization_rest(
    out: &mut Outcome,
    k: &KustomizationRow,
    now: DateTime<Utc>,
    then_reconcile: &str,
) {
    let (ns, name) = (k.namespace.as_str(), k.name.as_str());
    let logs = format!("flux logs --kind=Kustomization --name={name} -n {ns}");
    if let Some(st) = condition(&k.conditions, "Stalled").filter(|c| c.is_true()) {
        out.push(Finding {
            code: "FLX007",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Kustomization, ns, name),
            summary: format!("Kustomization {ns}/{name} is stalled ({}): Flux will not retry it", st.reason),
            evidence: vec![cond_line(st)],
            remedy: format!("Fix the terminal error named in the condition, then: {then_reconcile}; details: {logs}"),
        });
    } else if let Some(rc) = condition(&k.conditions, "Reconciling").filter(|c| c.is_true())
        // A failed Ready (a health check retried, a build failing) is the Ready finding's:
        // the long Reconciling is that failure being retried, not a second problem.
        && k.ready().is_none_or(|r| r.status != "False")
        && let (Some(since), Some((limit, limit_ev))) = (rc.since, timeout(k))
        && now - since > limit
    {
        out.push(Finding {
            code: "FLX007",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Kustomization, ns, name),
            summary: format!(
                "Kustomization {ns}/{name} has been reconciling for {}, longer than its timeout of {}",
                human_duration(now - since),
                human_duration(limit)
            ),
            evidence: vec![
                cond_line(rc),
                format!("status.conditions[Reconciling].lastTransitionTime: {}", ts(since)),
                limit_ev,
            ],
            remedy: format!("See what it waits for: {logs}; flux events --for Kustomization/{name} -n {ns}"),
        });
    }

    let in_flight = k.ready().is_some_and(|r| r.status == "Unknown");
    if let Some(attempted) = &k.attempted
        && k.applied.as_ref() != Some(attempted)
        && !in_flight
    {
        let applied = k.applied.as_deref().unwrap_or("none");
        let mut evidence = vec![
            format!("status.lastAttemptedRevision: {attempted}"),
            format!("status.lastAppliedRevision: {applied}"),
        ];
        evidence.extend(k.ready().map(cond_line));
        out.push(Finding {
            code: "FLX008",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Kustomization, ns, name),
            summary: format!(
                "Kustomization {ns}/{name} failed to apply the newest revision {}: the cluster still runs {}",
                short_revision(attempted),
                k.applied.as_deref().map(short_revision).unwrap_or_else(|| "nothing from it".into())
            ),
            evidence,
            remedy: format!(
                "See why {} fails: flux events --for Kustomization/{name} -n {ns}; fix it in Git (a new commit is tried on the next run), or retry now: {then_reconcile}",
                short_revision(attempted)
            ),
        });
    }
}

fn find<'a>(ks: &'a [Arc<KustomizationRow>], ns: &str, name: &str) -> Option<&'a KustomizationRow> {
    ks.iter()
        .map(|k| k.as_ref())
        .find(|k| k.namespace == ns && k.name == name)
}

/// FLX003: the evidence names every dependency and its state, and the Kustomization at
/// the end of the chain that is failing for a reason of its own.
fn dependency(
    out: &mut Outcome,
    all: &[Arc<KustomizationRow>],
    k: &KustomizationRow,
    mut evidence: Vec<String>,
) {
    let (ns, name) = (k.namespace.as_str(), k.name.as_str());
    let state = |d: &KustomizationRow| {
        d.ready()
            .map(cond_line)
            .unwrap_or_else(|| "no Ready condition".into())
    };
    let mut blocking: Option<String> = None;
    for (dns, dname) in &k.depends_on {
        match find(all, dns, dname) {
            Some(d) => {
                evidence.push(format!("dependsOn {dns}/{dname}: {}", state(d)));
                if !is_ready(d) && blocking.is_none() {
                    blocking = Some(format!("{dns}/{dname}"));
                }
            }
            None => {
                evidence.push(format!("dependsOn {dns}/{dname}: not found"));
                blocking.get_or_insert_with(|| format!("{dns}/{dname}"));
            }
        }
    }
    // Walk the chain: a dependency that itself waits is not the cause.
    let mut roots: Vec<(&KustomizationRow, bool)> = Vec::new();
    let mut seen = BTreeSet::from([(ns.to_string(), name.to_string())]);
    let mut queue: Vec<(String, String)> = k.depends_on.clone();
    while let Some((dns, dname)) = queue.pop() {
        if !seen.insert((dns.clone(), dname.clone())) {
            continue;
        }
        let Some(d) = find(all, &dns, &dname) else {
            continue;
        };
        if is_ready(d) {
            continue;
        }
        let waits = d.ready().is_some_and(|r| r.reason == "DependencyNotReady");
        if waits {
            queue.extend(d.depends_on.iter().cloned());
        } else {
            let direct = k.depends_on.iter().any(|(a, b)| *a == dns && *b == dname);
            roots.push((d, direct));
        }
    }
    for (r, direct) in &roots {
        if !direct {
            evidence.push(format!(
                "root cause {}/{}: {}",
                r.namespace,
                r.name,
                state(r)
            ));
        }
    }
    let blocked_by = blocking.clone().unwrap_or_else(|| "a dependency".into());
    let root_text = roots
        .iter()
        .map(|(r, _)| format!("{}/{}", r.namespace, r.name))
        .filter(|r| *r != blocked_by)
        .collect::<Vec<_>>();
    let summary = if root_text.is_empty() {
        format!("Kustomization {ns}/{name} waits on {blocked_by}, which is not Ready")
    } else {
        format!(
            "Kustomization {ns}/{name} waits on {blocked_by}, which waits on {}",
            root_text.join(", ")
        )
    };
    let remedy = match roots.first() {
        Some((r, _)) => format!(
            "Reconciling or resuming {ns}/{name} cannot help while it waits. Fix {}/{} first (see its own finding), then: flux reconcile kustomization {} -n {} --with-source; {name} follows on its next retry",
            r.namespace, r.name, r.name, r.namespace
        ),
        None if blocking.is_some() => format!(
            "Create the missing dependency {blocked_by} or correct spec.dependsOn of {ns}/{name} in Git"
        ),
        None => {
            format!("Its dependencies are Ready now: flux reconcile kustomization {name} -n {ns}")
        }
    };
    out.push(Finding {
        code: "FLX003",
        severity: Severity::Warning,
        object: ObjectRef::new(Kind::Kustomization, ns, name),
        summary,
        evidence,
        remedy,
    });
}

/// The objects a health-check message names: `[Deployment/ns/name status: 'Failed', …]`.
fn unhealthy_objects(message: &str) -> Vec<String> {
    let Some(start) = message.find('[') else {
        return Vec::new();
    };
    let Some(len) = message[start..].find(']') else {
        return Vec::new();
    };
    message[start + 1..start + len]
        .split(", ")
        .map(str::trim)
        .filter(|s| s.contains('/'))
        .map(String::from)
        .collect()
}

/// What the cluster shows about an unhealthy Deployment: its failing conditions and the
/// pods that are not ready.
fn object_detail(f: &Facts, object: &str) -> Vec<String> {
    let Some(id) = object.split_whitespace().next() else {
        return Vec::new();
    };
    let parts: Vec<&str> = id.split('/').collect();
    let [kind, ns, name] = parts.as_slice() else {
        return Vec::new();
    };
    if *kind != Kind::Deployment.name() {
        return Vec::new();
    }
    let Some(d) = f
        .deployments
        .rows
        .iter()
        .find(|d| d.namespace == *ns && d.name == *name)
    else {
        return Vec::new();
    };
    let mut ev: Vec<String> = d
        .conditions
        .iter()
        .filter(|c| c.status == "False")
        .map(|c| format!("Deployment {ns}/{name} {}", cond_line(c)))
        .collect();
    ev.extend(
        f.snapshot
            .pods
            .rows
            .iter()
            .filter(|p| p.namespace == *ns && !p.is_ready() && selects(&d.selector, &p.labels))
            .map(|p| format!("Pod {ns}/{} STATUS: {}", p.name, p.status)),
    );
    ev
}
