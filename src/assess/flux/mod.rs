//! FLX: GitOps delivery through Flux. Does each Kustomization apply its newest revision,
//! from a ready source, with passing health checks, and did everything the backup setup
//! needs actually reach the cluster (the `.gitignore` trap: a manifest that never reached
//! Git leaves Flux green and the object absent)?

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::plugin::{
    PLUGIN_SERVICE, View, complete, cond_line, human, is_plugin_image, namespace_in_view,
    plugin_deployment, plugin_services, rows_of, selector_text, ts, view, warning_events,
};
use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::domain::PLUGIN_NAME;
use crate::model::rows::{
    ClusterRow, DeploymentRow, GitRepositoryRow, KustomizationRow, PodRow, condition,
    short_revision,
};

const AREA: &str = "flux";
const KUSTOMIZATIONS: &str = "kustomizations.kustomize.toolkit.fluxcd.io";
const GIT_REPOSITORIES: &str = "gitrepositories.source.toolkit.fluxcd.io";
const CLUSTERS: &str = "clusters.postgresql.cnpg.io";
const OBJECT_STORES: &str = "objectstores.barmancloud.cnpg.io";
/// The controllers without which nothing is fetched or applied.
const CONTROLLERS: &[&str] = &["kustomize-controller", "source-controller"];

/// The Kustomization whose inventory lists an object id (`<ns>_<name>_<group>_<Kind>`).
pub(super) fn inventory_owner<'a>(f: &'a Facts, id: &str) -> Option<&'a KustomizationRow> {
    f.snapshot
        .kustomizations
        .rows
        .iter()
        .map(|k| k.as_ref())
        .find(|k| k.inventory.iter().any(|e| e == id))
}

/// An inventory id split like cli-utils does: (namespace, name, group, kind).
fn parse_id(id: &str) -> Option<(String, String, String, String)> {
    let (ns, rest) = id.split_once('_')?;
    let (rest, kind) = rest.rsplit_once('_')?;
    let (name, group) = rest.rsplit_once('_')?;
    Some((
        ns.into(),
        name.replace("__", ":"),
        group.into(),
        kind.into(),
    ))
}

/// A Go duration as Flux writes them: `5m0s`, `1h0m0s`, `30s`, `1.5h`, `500ms`.
fn go_duration(s: &str) -> Option<chrono::Duration> {
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
/// Flux's default of interval - 30s with a 30s floor.
fn timeout(k: &KustomizationRow) -> Option<(chrono::Duration, String)> {
    if let Some(t) = k
        .timeout
        .as_deref()
        .and_then(|t| go_duration(t).map(|d| (t, d)))
    {
        return Some((t.1, format!("spec.timeout: {}", t.0)));
    }
    let interval = k.interval.as_deref()?;
    let d = go_duration(interval)?;
    let floor = chrono::Duration::seconds(30);
    Some((
        (d - floor).max(floor),
        format!("spec.interval: {interval} (no spec.timeout: the default is interval - 30s)"),
    ))
}

fn find<'a>(ks: &'a [Arc<KustomizationRow>], ns: &str, name: &str) -> Option<&'a KustomizationRow> {
    ks.iter()
        .map(|k| k.as_ref())
        .find(|k| k.namespace == ns && k.name == name)
}

fn source_of<'a>(
    repos: Option<&'a [Arc<GitRepositoryRow>]>,
    k: &KustomizationRow,
) -> Option<&'a GitRepositoryRow> {
    if k.source.kind != "GitRepository" {
        return None;
    }
    repos?
        .iter()
        .map(|r| r.as_ref())
        .find(|r| r.namespace == k.source.namespace && r.name == k.source.name)
}

fn not_ready(r: &GitRepositoryRow) -> bool {
    r.ready().is_some_and(|c| c.status == "False")
}

fn is_ready(k: &KustomizationRow) -> bool {
    k.ready().is_some_and(|c| c.is_true())
}

pub fn rules(f: &Facts, now: DateTime<Utc>, _th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let ks = match view(&s.kustomizations, KUSTOMIZATIONS) {
        // No Flux: nothing is delivered through it, so there is nothing to check.
        View::NotInstalled(_) => return out,
        View::Unknown(why) => {
            out.unknown(AREA, why);
            None
        }
        View::Rows(r) => Some(r),
    };
    if let Some(ks) = ks {
        let repos = match view(&s.git_repos, GIT_REPOSITORIES) {
            View::Rows(r) => Some(r),
            View::NotInstalled(_) => None,
            View::Unknown(why) => {
                if ks.iter().any(|k| k.source.kind == "GitRepository") {
                    out.unknown(AREA, why);
                }
                None
            }
        };
        for k in ks.iter() {
            kustomization(&mut out, f, ks, repos, k, now);
        }
        sources(&mut out, f, ks, repos);
        object_stores_absent(&mut out, f, ks);
        plugin_absent(&mut out, f, ks);
    }
    controllers(&mut out, f);
    out.unknown.sort();
    out.unknown.dedup();
    out
}

/// FLX001-FLX004, FLX005 (ArtifactFailed), FLX006-FLX008 for one Kustomization.
fn kustomization(
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
        let events = warning_events(f, "Kustomization", ns, name, 2)
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
        && let (Some(since), Some((limit, limit_ev))) = (rc.since, timeout(k))
        && now - since > limit
    {
        out.push(Finding {
            code: "FLX007",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Kustomization, ns, name),
            summary: format!(
                "Kustomization {ns}/{name} has been reconciling for {}, longer than its timeout of {}",
                human(now - since),
                human(limit)
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
    if *kind != "Deployment" {
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
            .filter(|p| {
                p.namespace == *ns
                    && !p.is_ready()
                    && super::plugin::selects(&d.selector, &p.labels)
            })
            .map(|p| format!("Pod {ns}/{} STATUS: {}", p.name, p.status)),
    );
    ev
}

/// FLX005 and FLX006 for the GitRepositories Kustomizations use.
fn sources(
    out: &mut Outcome,
    f: &Facts,
    ks: &[Arc<KustomizationRow>],
    repos: Option<&[Arc<GitRepositoryRow>]>,
) {
    let Some(repos) = repos else { return };
    for r in repos.iter() {
        let users: Vec<&KustomizationRow> = ks
            .iter()
            .map(|k| k.as_ref())
            .filter(|k| source_of(Some(repos), k).is_some_and(|s| std::ptr::eq(s, r.as_ref())))
            .collect();
        if users.is_empty() {
            continue;
        }
        let who = users
            .iter()
            .map(|k| format!("{}/{}", k.namespace, k.name))
            .collect::<Vec<_>>()
            .join(", ");
        let (ns, name) = (r.namespace.as_str(), r.name.as_str());
        if not_ready(r) {
            let mut evidence: Vec<String> = r.ready().map(cond_line).into_iter().collect();
            evidence.push(format!("spec.url: {}", r.url));
            if let Some(rev) = &r.revision {
                evidence.push(format!("status.artifact.revision: {rev}"));
            }
            for k in &users {
                if let Some(c) = k.ready().filter(|c| !c.is_true()) {
                    evidence.push(format!(
                        "Kustomization {}/{} {}",
                        k.namespace,
                        k.name,
                        cond_line(c)
                    ));
                }
            }
            evidence.extend(warning_events(f, "GitRepository", ns, name, 2));
            out.push(Finding {
                code: "FLX005",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::GitRepository, ns, name),
                summary: format!("GitRepository {ns}/{name} is not Ready: Kustomization {who} cannot get new revisions"),
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe gitrepository {name} (for AuthenticationFailed check the secret in spec.secretRef and the deploy key); then: flux reconcile source git {name} -n {ns}"
                ),
            });
        }
        if r.suspended {
            out.push(Finding {
                code: "FLX006",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::GitRepository, ns, name),
                summary: format!("GitRepository {ns}/{name} is suspended: no new commits reach Kustomization {who}"),
                evidence: vec!["spec.suspend: true".into()],
                remedy: format!("flux resume source git {name} -n {ns}"),
            });
        }
    }
}

/// Who delivers the objects of a Cluster: the Kustomization listing the Cluster, else any
/// Ready one listing its namespace or something in it.
fn delivery<'a>(
    ks: &'a [Arc<KustomizationRow>],
    cl: &ClusterRow,
) -> Option<(&'a KustomizationRow, String)> {
    let cluster_id = format!("{}_{}_postgresql.cnpg.io_Cluster", cl.namespace, cl.name);
    if let Some(k) = ks.iter().find(|k| k.inventory.contains(&cluster_id)) {
        return Some((k, cluster_id));
    }
    let ns_id = format!("_{}__Namespace", cl.namespace);
    let prefix = format!("{}_", cl.namespace);
    ks.iter().filter(|k| is_ready(k)).find_map(|k| {
        k.inventory
            .iter()
            .find(|e| **e == ns_id)
            .or_else(|| k.inventory.iter().find(|e| e.starts_with(&prefix)))
            .map(|e| (k.as_ref(), e.clone()))
    })
}

fn gitignore_remedy(k: &KustomizationRow, needle: &str) -> String {
    let path = k.path.as_deref().unwrap_or(".");
    format!(
        "The manifest never reached Git, so Flux had nothing to apply and stays green. In a checkout of the repository behind {} {}/{}, ask git why: grep -rl '{needle}' {path} | xargs git check-ignore -v --no-index (it prints the .gitignore line that hides the file; if grep finds nothing, the manifest was never written). Fix that pattern, git add the file, commit and push, then: flux reconcile kustomization {} -n {} --with-source",
        k.source.kind, k.source.namespace, k.source.name, k.name, k.namespace
    )
}

fn delivery_evidence(k: &KustomizationRow, listed: &str) -> Vec<String> {
    let mut ev = vec![format!(
        "Kustomization {}/{} status.inventory lists: {listed}",
        k.namespace, k.name
    )];
    ev.extend(
        k.ready()
            .map(|c| format!("Kustomization {}/{} {}", k.namespace, k.name, cond_line(c))),
    );
    if let Some(p) = &k.path {
        ev.push(format!(
            "Kustomization {}/{} spec.path: {p}",
            k.namespace, k.name
        ));
    }
    ev
}

/// FLX009 for the ObjectStores Clusters name.
fn object_stores_absent(out: &mut Outcome, f: &Facts, ks: &[Arc<KustomizationRow>]) {
    let s = &f.snapshot;
    let clusters = match view(&s.clusters, CLUSTERS) {
        View::Rows(r) => r,
        View::NotInstalled(_) => return,
        View::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    let naming: Vec<(&ClusterRow, &str)> = clusters
        .iter()
        .filter_map(|c| Some((c.as_ref(), c.plugin.as_ref()?.object_store.as_deref()?)))
        .collect();
    if naming.is_empty() {
        return;
    }
    let stores = match view(&s.object_stores, OBJECT_STORES) {
        // Only a complete list proves an ObjectStore is absent.
        View::Rows(r) if complete(&s.object_stores) => r,
        View::Rows(_) => {
            out.unknown(
                AREA,
                format!("{OBJECT_STORES}: stale, so an absent ObjectStore proves nothing"),
            );
            return;
        }
        View::NotInstalled(_) => return,
        View::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    for (cl, store) in naming {
        if stores
            .iter()
            .any(|o| o.namespace == cl.namespace && o.name == store)
        {
            continue;
        }
        let id = format!("{}_{store}_barmancloud.cnpg.io_ObjectStore", cl.namespace);
        if ks.iter().any(|k| k.inventory.contains(&id)) {
            continue;
        }
        let Some((k, listed)) = delivery(ks, cl) else {
            continue;
        };
        if !is_ready(k) {
            continue;
        }
        let mut evidence = vec![
            format!(
                "Cluster {}/{} spec.plugins[{PLUGIN_NAME}].parameters.barmanObjectName: {store}",
                cl.namespace, cl.name
            ),
            format!("{OBJECT_STORES} {}/{store}: not found", cl.namespace),
            format!("status.inventory of every Kustomization: no {id}"),
        ];
        evidence.extend(delivery_evidence(k, &listed));
        out.push(Finding {
            code: "FLX009",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, &cl.namespace, store),
            summary: format!(
                "ObjectStore {ns}/{store}, named by Cluster {ns}/{}, does not exist and no Kustomization applies it, yet Kustomization {}/{} is Ready",
                cl.name,
                k.namespace,
                k.name,
                ns = cl.namespace
            ),
            evidence,
            remedy: gitignore_remedy(k, &format!("name: {store}")),
        });
    }
}

/// FLX009 for the plugin's own Deployment and Service, where the facts prove one came
/// through Flux and the other did not.
fn plugin_absent(out: &mut Outcome, f: &Facts, ks: &[Arc<KustomizationRow>]) {
    let s = &f.snapshot;
    if !complete(&s.services) {
        return;
    }
    let services = plugin_services(f);
    let in_any = |id: &str| ks.iter().any(|k| k.inventory.iter().any(|e| e == id));

    // The Service is missing beside a Deployment Flux applied.
    let named = match view(&s.clusters, CLUSTERS) {
        View::Rows(r) => r.iter().any(|c| c.plugin.is_some()),
        _ => false,
    };
    if services.is_empty() && named {
        match rows_of(&f.deployments, "deployments.apps") {
            Err(why) => out.unknown(AREA, why),
            Ok(deps) => {
                for d in deps
                    .iter()
                    .filter(|d| d.images.iter().any(|(_, i)| is_plugin_image(i)))
                {
                    let dep_id = format!("{}_{}_apps_Deployment", d.namespace, d.name);
                    let Some(k) = ks.iter().find(|k| k.inventory.contains(&dep_id)) else {
                        continue;
                    };
                    if !is_ready(k) {
                        continue;
                    }
                    let svc_ids = [
                        format!("{}_{PLUGIN_SERVICE}__Service", d.namespace),
                        format!("{}_{}__Service", d.namespace, d.name),
                    ];
                    if svc_ids.iter().any(|i| in_any(i)) {
                        continue;
                    }
                    let mut evidence = vec![
                        format!(
                            "services -l cnpg.io/pluginName={PLUGIN_NAME} (all namespaces): none"
                        ),
                        format!("status.inventory of every Kustomization: no {}", svc_ids[0]),
                    ];
                    evidence.extend(delivery_evidence(k, &dep_id));
                    out.push(Finding {
                        code: "FLX009",
                        severity: Severity::Critical,
                        object: ObjectRef::new(Kind::Service, &d.namespace, PLUGIN_SERVICE),
                        summary: format!(
                            "The Barman Cloud plugin Service is absent and in no Kustomization's inventory, while Kustomization {}/{} applied the plugin Deployment {}/{} and is Ready",
                            k.namespace, k.name, d.namespace, d.name
                        ),
                        evidence,
                        remedy: gitignore_remedy(k, "kind: Service"),
                    });
                }
            }
        }
    }

    // The Deployment is missing behind a Service Flux applied.
    if services.is_empty() {
        return;
    }
    let (pods, deps) = match (
        rows_of(&s.pods, "pods"),
        rows_of(&f.deployments, "deployments.apps"),
    ) {
        (Ok(p), Ok(d)) if complete(&s.pods) && complete(&f.deployments) => (p, d),
        (Err(why), _) | (_, Err(why)) => {
            out.unknown(AREA, why);
            return;
        }
        _ => return,
    };
    for svc in services {
        let selected: Vec<&PodRow> = pods
            .iter()
            .map(|p| p.as_ref())
            .filter(|p| svc.selects(p))
            .collect();
        // In a namespace-scoped read the plugin's namespace is out of view: its absence
        // there proves nothing.
        if !selected.is_empty()
            || plugin_deployment(svc, &selected, deps).is_some()
            || !namespace_in_view(f, &svc.namespace)
        {
            continue;
        }
        let svc_id = format!("{}_{}__Service", svc.namespace, svc.name);
        let Some(k) = ks.iter().find(|k| k.inventory.contains(&svc_id)) else {
            continue;
        };
        if !is_ready(k) {
            continue;
        }
        // An inventoried Deployment that is gone was deleted after the apply: drift, not
        // a manifest that never reached Git.
        let existing: BTreeSet<(&str, &str)> = deps
            .iter()
            .map(|d| (d.namespace.as_str(), d.name.as_str()))
            .collect();
        let drifted = ks
            .iter()
            .flat_map(|k| k.inventory.iter())
            .filter_map(|e| parse_id(e))
            .any(|(ins, iname, group, kind)| {
                ins == svc.namespace
                    && group == "apps"
                    && kind == "Deployment"
                    && !existing.contains(&(ins.as_str(), iname.as_str()))
            });
        if drifted {
            continue;
        }
        let mut evidence = vec![
            format!(
                "Service {}/{} spec.selector: {}",
                svc.namespace,
                svc.name,
                selector_text(&svc.selector)
            ),
            format!(
                "pods and deployments in {} matching it: none",
                svc.namespace
            ),
            format!(
                "status.inventory of every Kustomization: no Deployment in {} that is absent",
                svc.namespace
            ),
        ];
        evidence.extend(delivery_evidence(k, &svc_id));
        out.push(Finding {
            code: "FLX009",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Deployment, &svc.namespace, &svc.name),
            summary: format!(
                "The Barman Cloud plugin Deployment is absent and in no Kustomization's inventory, while Kustomization {}/{} applied its Service {}/{} and is Ready",
                k.namespace, k.name, svc.namespace, svc.name
            ),
            evidence,
            remedy: gitignore_remedy(k, "kind: Deployment"),
        });
    }
}

/// FLX010: the controllers that fetch and apply.
fn controllers(out: &mut Outcome, f: &Facts) {
    let pods = rows_of(&f.snapshot.pods, "pods");
    let deps = rows_of(&f.deployments, "deployments.apps");
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
                evidence.extend(warning_events(f, "Deployment", ns, &d.name, 2));
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

#[cfg(test)]
mod tests {

    use super::*;
    use crate::assess::testing::{at, labels, live, one, state};
    use crate::model::SyncState;
    use crate::model::rows::{Condition, ObjectStoreRow, PluginRef, ServiceRow, SourceRef};

    fn now() -> DateTime<Utc> {
        at("2026-11-24T06:00:00Z")
    }

    fn cond(kind: &str, status: &str, reason: &str, message: &str) -> Condition {
        Condition {
            kind: kind.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            since: Some(at("2026-11-24T05:08:33Z")),
        }
    }

    const REV: &str = "main@sha1:bc0f908f960f1b0880775eb4ffaf3557c22536d3";
    const NEW: &str = "main@sha1:67cb6360b65b4fb2b5e978aea27be67efd61c0c0";

    fn ks(name: &str, inventory: &[&str]) -> KustomizationRow {
        KustomizationRow {
            namespace: "flux-system".into(),
            name: name.into(),
            conditions: vec![cond(
                "Ready",
                "True",
                "ReconciliationSucceeded",
                &format!("Applied revision: {REV}"),
            )],
            applied: Some(REV.into()),
            attempted: Some(REV.into()),
            source: SourceRef {
                kind: "GitRepository".into(),
                namespace: "flux-system".into(),
                name: "flux-system".into(),
            },
            path: Some(format!("./{name}")),
            interval: Some("10m0s".into()),
            inventory: inventory.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn not_ready(k: KustomizationRow, reason: &str, message: &str) -> KustomizationRow {
        KustomizationRow {
            conditions: vec![cond("Ready", "False", reason, message)],
            ..k
        }
    }

    fn apps() -> KustomizationRow {
        ks(
            "apps",
            &[
                "_db__Namespace",
                "db_pg_postgresql.cnpg.io_Cluster",
                "db_store_barmancloud.cnpg.io_ObjectStore",
            ],
        )
    }

    fn infra() -> KustomizationRow {
        ks(
            "infra",
            &[
                "cnpg-system_barman-cloud__Service",
                "cnpg-system_barman-cloud_apps_Deployment",
            ],
        )
    }

    fn repo() -> GitRepositoryRow {
        GitRepositoryRow {
            namespace: "flux-system".into(),
            name: "flux-system".into(),
            url: "ssh://git@github.com/example/platform-gitops".into(),
            revision: Some(REV.into()),
            conditions: vec![cond(
                "Ready",
                "True",
                "Succeeded",
                "stored artifact for revision 'main@sha1:bc0f908f'",
            )],
            ..Default::default()
        }
    }

    fn pod(ns: &str, name: &str, app: &str) -> PodRow {
        PodRow {
            namespace: ns.into(),
            name: name.into(),
            labels: labels(&[("app", app)]),
            ready: (1, 1),
            status: "Running".into(),
            ..Default::default()
        }
    }

    fn deploy(ns: &str, name: &str, app: &str, image: &str) -> DeploymentRow {
        DeploymentRow {
            namespace: ns.into(),
            name: name.into(),
            labels: labels(&[("app", app)]),
            replicas: Some(1),
            available: 1,
            ready: 1,
            images: vec![(app.into(), image.into())],
            selector: labels(&[("app", app)]),
            ..Default::default()
        }
    }

    fn plugin_service() -> ServiceRow {
        ServiceRow {
            namespace: "cnpg-system".into(),
            name: "barman-cloud".into(),
            labels: labels(&[("cnpg.io/pluginName", PLUGIN_NAME)]),
            selector: labels(&[("app", "barman-cloud")]),
            ..Default::default()
        }
    }

    fn cluster() -> ClusterRow {
        ClusterRow {
            namespace: "db".into(),
            name: "pg".into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some("store".into()),
                server_name: None,
            }),
            ..Default::default()
        }
    }

    fn healthy() -> Facts {
        let mut f = Facts::default();
        f.snapshot.kustomizations = live(vec![apps(), infra()]);
        f.snapshot.git_repos = live(vec![repo()]);
        f.snapshot.clusters = live(vec![cluster()]);
        f.snapshot.object_stores = live(vec![ObjectStoreRow {
            namespace: "db".into(),
            name: "store".into(),
            ..Default::default()
        }]);
        f.snapshot.services = live(vec![plugin_service()]);
        f.snapshot.pods = live(vec![
            pod(
                "flux-system",
                "kustomize-controller-abc-1",
                "kustomize-controller",
            ),
            pod(
                "flux-system",
                "source-controller-abc-1",
                "source-controller",
            ),
            pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud"),
        ]);
        f.deployments = live(vec![
            deploy(
                "flux-system",
                "kustomize-controller",
                "kustomize-controller",
                "ghcr.io/fluxcd/kustomize-controller:v1.9.4",
            ),
            deploy(
                "flux-system",
                "source-controller",
                "source-controller",
                "ghcr.io/fluxcd/source-controller:v1.9.0",
            ),
            deploy(
                "cnpg-system",
                "barman-cloud",
                "barman-cloud",
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0",
            ),
        ]);
        f.events = live(vec![]);
        f
    }

    fn set_ks(f: &mut Facts, list: Vec<KustomizationRow>) {
        f.snapshot.kustomizations = live(list);
    }

    fn run(f: &Facts) -> Outcome {
        rules(f, now(), &Thresholds::default())
    }

    fn codes(out: &Outcome) -> Vec<&'static str> {
        let mut c: Vec<_> = out.findings.iter().map(|f| f.code).collect();
        c.sort();
        c.dedup();
        c
    }

    #[test]
    fn a_healthy_delivery_has_no_finding_and_nothing_unknown() {
        assert_eq!(run(&healthy()), Outcome::default());
    }

    #[test]
    fn no_flux_is_neither_a_finding_nor_unknown() {
        let mut f = healthy();
        f.snapshot.kustomizations = state(SyncState::NotInstalled {
            what: "Flux is not installed".into(),
        });
        f.snapshot.object_stores = live(vec![]);
        f.snapshot.pods = live(vec![]);
        assert_eq!(run(&f), Outcome::default());
    }

    #[test]
    fn flx001_other_ready_reasons() {
        let mut f = healthy();
        set_ks(
            &mut f,
            vec![
                not_ready(
                    apps(),
                    "ReconciliationFailed",
                    "Cluster/db/pg dry-run failed: admission webhook denied the request",
                ),
                infra(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX001"]);
        let x = one(&out, "FLX001");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
        );
        assert_eq!(
            x.evidence[0],
            "condition Ready=False ReconciliationFailed: Cluster/db/pg dry-run failed: admission webhook denied the request"
        );
        assert!(
            x.remedy
                .contains("flux reconcile kustomization apps -n flux-system --with-source")
        );

        // Near miss: in progress is not a failure.
        set_ks(
            &mut f,
            vec![
                KustomizationRow {
                    conditions: vec![cond(
                        "Ready",
                        "Unknown",
                        "Progressing",
                        "Reconciliation in progress",
                    )],
                    ..apps()
                },
                infra(),
            ],
        );
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn flx002_build_failed_not_flx001() {
        let mut f = healthy();
        set_ks(
            &mut f,
            vec![
                not_ready(
                    apps(),
                    "BuildFailed",
                    "kustomize build failed: accumulating resources: 'apps/postgresql/orders' not found",
                ),
                infra(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX002"]);
        assert!(
            one(&out, "FLX002")
                .remedy
                .contains("flux build kustomization apps -n flux-system --path ./apps")
        );
    }

    #[test]
    fn flx003_dependency_not_ready_not_flx001_and_names_the_chain() {
        let mut f = healthy();
        let operator = not_ready(
            ks("operator", &[]),
            "HealthCheckFailed",
            "health check failed after 10s: failed early due to stalled resources: [Deployment/cnpg-system/cnpg-controller-manager status: 'Failed']",
        );
        let plugin = KustomizationRow {
            depends_on: vec![("flux-system".into(), "operator".into())],
            ..not_ready(
                infra(),
                "DependencyNotReady",
                "dependency 'flux-system/operator' is not ready",
            )
        };
        let waiting = KustomizationRow {
            depends_on: vec![("flux-system".into(), "infra".into())],
            ..not_ready(
                apps(),
                "DependencyNotReady",
                "dependency 'flux-system/infra' is not ready",
            )
        };
        set_ks(&mut f, vec![waiting, plugin, operator]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX003", "FLX004"]);
        let apps_finding = out
            .findings
            .iter()
            .find(|x| x.code == "FLX003" && x.object.name == "apps")
            .expect("FLX003 on apps");
        assert_eq!(apps_finding.severity, Severity::Warning);
        assert!(
            apps_finding
                .summary
                .contains("waits on flux-system/infra, which waits on flux-system/operator")
        );
        assert!(apps_finding.evidence.contains(&"dependsOn flux-system/infra: condition Ready=False DependencyNotReady: dependency 'flux-system/operator' is not ready".to_string()));
        assert!(apps_finding.evidence.iter().any(|e| e.starts_with(
            "root cause flux-system/operator: condition Ready=False HealthCheckFailed"
        )));
        assert!(
            apps_finding
                .remedy
                .contains("flux reconcile kustomization operator -n flux-system --with-source")
        );
    }

    #[test]
    fn flx004_health_check_names_the_unhealthy_object() {
        let mut f = healthy();
        let msg = "health check failed after 10.004311298s: failed early due to stalled resources: [Deployment/cnpg-system/barman-cloud status: 'Failed']";
        set_ks(
            &mut f,
            vec![apps(), not_ready(infra(), "HealthCheckFailed", msg)],
        );
        f.deployments = live(vec![DeploymentRow {
            available: 0,
            ready: 0,
            conditions: vec![cond(
                "Progressing",
                "False",
                "ProgressDeadlineExceeded",
                "ReplicaSet \"barman-cloud-x\" has timed out progressing.",
            )],
            ..deploy(
                "cnpg-system",
                "barman-cloud",
                "barman-cloud",
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0",
            )
        }]);
        f.snapshot.pods = live(vec![
            pod(
                "flux-system",
                "kustomize-controller-abc-1",
                "kustomize-controller",
            ),
            pod(
                "flux-system",
                "source-controller-abc-1",
                "source-controller",
            ),
            PodRow {
                ready: (0, 1),
                status: "CrashLoopBackOff".into(),
                ..pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud")
            },
        ]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX004"]);
        let x = one(&out, "FLX004");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Kustomization, "flux-system", "infra")
        );
        assert!(
            x.summary
                .ends_with("Deployment/cnpg-system/barman-cloud is not healthy")
        );
        assert!(x.evidence.contains(
            &"unhealthy object: Deployment/cnpg-system/barman-cloud status: 'Failed'".to_string()
        ));
        assert!(
            x.evidence.contains(
                &"Pod cnpg-system/barman-cloud-abc-1 STATUS: CrashLoopBackOff".to_string()
            )
        );
        assert!(
            x.remedy
                .contains("kubectl -n cnpg-system describe deployment barman-cloud")
        );
    }

    #[test]
    fn flx005_artifact_failed_on_the_kustomization() {
        let mut f = healthy();
        set_ks(
            &mut f,
            vec![
                not_ready(
                    apps(),
                    "ArtifactFailed",
                    "kustomization path not found: stat /tmp/apps: no such file or directory",
                ),
                infra(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX005"]);
        assert_eq!(
            one(&out, "FLX005").object,
            ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
        );
    }

    #[test]
    fn flx005_source_not_ready_is_told_once_on_the_gitrepository() {
        let mut f = healthy();
        f.snapshot.git_repos = live(vec![GitRepositoryRow {
            conditions: vec![cond(
                "Ready",
                "False",
                "AuthenticationFailed",
                "failed to checkout and determine revision: unable to clone: ssh: handshake failed",
            )],
            ..repo()
        }]);
        set_ks(
            &mut f,
            vec![
                not_ready(
                    apps(),
                    "ArtifactFailed",
                    "Source is not ready, artifact not found, retrying in 30s",
                ),
                infra(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX005"]);
        let x = one(&out, "FLX005");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::GitRepository, "flux-system", "flux-system")
        );
        assert!(x.summary.contains("flux-system/apps, flux-system/infra"));
        assert!(x.evidence[0].starts_with("condition Ready=False AuthenticationFailed"));
        assert!(
            x.remedy
                .contains("flux reconcile source git flux-system -n flux-system")
        );

        // Near miss: a broken repository nothing uses.
        let mut near = healthy();
        near.snapshot.git_repos = live(vec![
            repo(),
            GitRepositoryRow {
                name: "unused".into(),
                conditions: vec![cond("Ready", "False", "GitOperationFailed", "x")],
                ..repo()
            },
        ]);
        assert!(run(&near).findings.is_empty());
    }

    #[test]
    fn flx006_suspended_kustomization_or_source() {
        let mut f = healthy();
        set_ks(
            &mut f,
            vec![
                KustomizationRow {
                    suspended: true,
                    ..apps()
                },
                infra(),
            ],
        );
        let out = run(&f);
        let x = one(&out, "FLX006");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Kustomization, "flux-system", "apps")
        );
        assert_eq!(x.remedy, "flux resume kustomization apps -n flux-system");

        let mut g = healthy();
        g.snapshot.git_repos = live(vec![GitRepositoryRow {
            suspended: true,
            ..repo()
        }]);
        let out = run(&g);
        let x = one(&out, "FLX006");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::GitRepository, "flux-system", "flux-system")
        );
        assert_eq!(
            x.remedy,
            "flux resume source git flux-system -n flux-system"
        );

        assert!(!codes(&run(&healthy())).contains(&"FLX006"));
    }

    #[test]
    fn flx007_stalled() {
        let mut f = healthy();
        let mut k = apps();
        k.conditions.push(cond(
            "Stalled",
            "True",
            "InvalidCELExpression",
            "failed to parse healthCheckExprs",
        ));
        set_ks(&mut f, vec![k, infra()]);
        let out = run(&f);
        let x = one(&out, "FLX007");
        assert_eq!(
            x.evidence,
            vec![
                "condition Stalled=True InvalidCELExpression: failed to parse healthCheckExprs"
                    .to_string()
            ]
        );
    }

    #[test]
    fn flx007_reconciling_longer_than_the_timeout() {
        let reconciling = |since: &str, timeout: Option<&str>| {
            let mut k = apps();
            k.timeout = timeout.map(String::from);
            k.conditions.push(Condition {
                since: Some(at(since)),
                ..cond(
                    "Reconciling",
                    "True",
                    "ProgressingWithRetry",
                    "Running health checks",
                )
            });
            k
        };
        let mut f = healthy();
        // No spec.timeout: interval 10m0s - 30s.
        set_ks(
            &mut f,
            vec![reconciling("2026-11-24T05:50:00Z", None), infra()],
        );
        let out = run(&f);
        let x = one(&out, "FLX007");
        assert!(
            x.summary
                .contains("reconciling for 10m, longer than its timeout of 9m")
        );
        assert!(x.evidence.contains(
            &"status.conditions[Reconciling].lastTransitionTime: 2026-11-24T05:50:00Z".to_string()
        ));
        assert!(x.evidence[2].starts_with("spec.interval: 10m0s"));

        // Near misses: within the default, or within an explicit longer timeout.
        set_ks(
            &mut f,
            vec![reconciling("2026-11-24T05:55:00Z", None), infra()],
        );
        assert!(!codes(&run(&f)).contains(&"FLX007"));
        set_ks(
            &mut f,
            vec![reconciling("2026-11-24T05:40:00Z", Some("30m0s")), infra()],
        );
        assert!(!codes(&run(&f)).contains(&"FLX007"));
        set_ks(
            &mut f,
            vec![reconciling("2026-11-24T05:40:00Z", Some("5m0s")), infra()],
        );
        assert_eq!(one(&run(&f), "FLX007").evidence[2], "spec.timeout: 5m0s");
    }

    #[test]
    fn flx008_attempted_is_not_applied() {
        let mut f = healthy();
        let k = KustomizationRow {
            attempted: Some(NEW.into()),
            ..not_ready(
                infra(),
                "ReconciliationFailed",
                "Deployment/cnpg-system/barman-cloud dry-run failed",
            )
        };
        set_ks(&mut f, vec![apps(), k.clone()]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX001", "FLX008"]);
        let x = one(&out, "FLX008");
        assert!(x.summary.contains("main@67cb636"));
        assert_eq!(
            x.evidence[0],
            format!("status.lastAttemptedRevision: {NEW}")
        );
        assert_eq!(x.evidence[1], format!("status.lastAppliedRevision: {REV}"));

        // Near miss: the newest revision is being applied right now.
        let in_flight = KustomizationRow {
            conditions: vec![cond(
                "Ready",
                "Unknown",
                "Progressing",
                "Reconciliation in progress",
            )],
            ..k
        };
        set_ks(&mut f, vec![apps(), in_flight]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn flx009_objectstore_that_never_reached_git() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![]);
        set_ks(
            &mut f,
            vec![
                ks(
                    "apps",
                    &["_db__Namespace", "db_pg_postgresql.cnpg.io_Cluster"],
                ),
                infra(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX009"]);
        let x = one(&out, "FLX009");
        assert_eq!(x.object, ObjectRef::new(Kind::ObjectStore, "db", "store"));
        assert!(x.summary.contains("named by Cluster db/pg"));
        assert!(x.evidence.contains(&"Kustomization flux-system/apps status.inventory lists: db_pg_postgresql.cnpg.io_Cluster".to_string()));
        assert!(
            x.evidence
                .iter()
                .any(|e| e.starts_with("Kustomization flux-system/apps condition Ready=True"))
        );
        assert!(x.remedy.contains("git check-ignore -v --no-index"));
        assert!(x.remedy.contains("grep -rl 'name: store' ./apps"));

        // Near misses: the store is in an inventory (deleted after the apply), or the
        // Kustomization is not Ready (its own finding says why).
        let mut listed = f.clone();
        set_ks(&mut listed, vec![apps(), infra()]);
        assert!(!codes(&run(&listed)).contains(&"FLX009"));
        let mut failing = f.clone();
        set_ks(
            &mut failing,
            vec![
                not_ready(
                    ks("apps", &["db_pg_postgresql.cnpg.io_Cluster"]),
                    "ReconciliationFailed",
                    "x",
                ),
                infra(),
            ],
        );
        assert!(!codes(&run(&failing)).contains(&"FLX009"));
        // Near miss: nothing Flux delivers touches that namespace.
        let mut unmanaged = f.clone();
        set_ks(
            &mut unmanaged,
            vec![ks("apps", &["other_x_postgresql.cnpg.io_Cluster"]), infra()],
        );
        assert!(run(&unmanaged).findings.is_empty());
    }

    #[test]
    fn flx009_falls_back_to_the_kustomization_of_the_namespace() {
        let mut f = healthy();
        f.snapshot.object_stores = live(vec![]);
        set_ks(&mut f, vec![ks("namespaces", &["_db__Namespace"]), infra()]);
        let x = run(&f);
        assert!(
            one(&x, "FLX009").evidence.contains(
                &"Kustomization flux-system/namespaces status.inventory lists: _db__Namespace"
                    .to_string()
            )
        );
    }

    #[test]
    fn flx009_needs_a_live_objectstore_list() {
        let mut f = healthy();
        f.snapshot.object_stores = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: OBJECT_STORES.into(),
        });
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(
            out.unknown[0].reason,
            "objectstores.barmancloud.cnpg.io: forbidden (list)"
        );
    }

    #[test]
    fn flx009_plugin_service_absent_beside_its_deployment() {
        let mut f = healthy();
        f.snapshot.services = live(vec![]);
        set_ks(
            &mut f,
            vec![
                apps(),
                ks("infra", &["cnpg-system_barman-cloud_apps_Deployment"]),
            ],
        );
        let out = run(&f);
        let x = one(&out, "FLX009");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Service, "cnpg-system", "barman-cloud")
        );
        // Near miss: the Service was applied (and lost its label, or was deleted since).
        set_ks(&mut f, vec![apps(), infra()]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn flx009_plugin_deployment_absent_behind_its_service() {
        let mut f = healthy();
        f.deployments = live(vec![
            deploy(
                "flux-system",
                "kustomize-controller",
                "kustomize-controller",
                "x",
            ),
            deploy("flux-system", "source-controller", "source-controller", "x"),
        ]);
        f.snapshot.pods = live(vec![
            pod(
                "flux-system",
                "kustomize-controller-abc-1",
                "kustomize-controller",
            ),
            pod(
                "flux-system",
                "source-controller-abc-1",
                "source-controller",
            ),
            pod("cnpg-system", "cnpg-controller-manager-abc-1", "cnpg"),
        ]);
        set_ks(
            &mut f,
            vec![apps(), ks("infra", &["cnpg-system_barman-cloud__Service"])],
        );
        let out = run(&f);
        let x = one(&out, "FLX009");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Deployment, "cnpg-system", "barman-cloud")
        );
        // Near miss: nothing of cnpg-system is in view (a namespace-scoped read).
        let mut scoped = f.clone();
        scoped.snapshot.pods = live(vec![pod(
            "flux-system",
            "source-controller-abc-1",
            "source-controller",
        )]);
        assert!(!codes(&run(&scoped)).contains(&"FLX009"));
        // Near miss: the inventory lists the Deployment: it was applied, then removed.
        set_ks(&mut f, vec![apps(), infra()]);
        assert!(run(&f).findings.is_empty());
    }

    #[test]
    fn flx010_controller_without_ready_pod() {
        let mut f = healthy();
        f.snapshot.pods = live(vec![
            PodRow {
                ready: (0, 1),
                status: "CrashLoopBackOff".into(),
                restarts: 9,
                last_termination: Some("OOMKilled".into()),
                ..pod(
                    "flux-system",
                    "kustomize-controller-abc-1",
                    "kustomize-controller",
                )
            },
            pod(
                "flux-system",
                "source-controller-abc-1",
                "source-controller",
            ),
            pod("cnpg-system", "barman-cloud-abc-1", "barman-cloud"),
        ]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["FLX010"]);
        let x = one(&out, "FLX010");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Deployment, "flux-system", "kustomize-controller")
        );
        assert_eq!(
            x.evidence[0],
            "Pod flux-system/kustomize-controller-abc-1 STATUS: CrashLoopBackOff, READY: 0/1, restarts: 9, last termination: OOMKilled"
        );
        assert!(x.remedy.contains("flux check"));

        // Near miss: Flux not installed, so its controllers are not this tool's business.
        f.snapshot.kustomizations = state(SyncState::NotInstalled {
            what: "Flux is not installed".into(),
        });
        assert_eq!(run(&f), Outcome::default());
    }

    #[test]
    fn flx010_from_the_deployment_when_pods_are_forbidden() {
        let mut f = healthy();
        f.snapshot.pods = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: "pods".into(),
        });
        f.deployments = live(vec![
            DeploymentRow {
                ready: 0,
                available: 0,
                labels: labels(&[("app.kubernetes.io/part-of", "flux")]),
                ..deploy("flux-system", "source-controller", "source-controller", "x")
            },
            deploy(
                "flux-system",
                "kustomize-controller",
                "kustomize-controller",
                "x",
            ),
            deploy(
                "cnpg-system",
                "barman-cloud",
                "barman-cloud",
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0",
            ),
        ]);
        let out = run(&f);
        assert_eq!(one(&out, "FLX010").object.name, "source-controller");
    }

    #[test]
    fn unknown_when_kustomizations_are_forbidden() {
        let mut f = healthy();
        f.snapshot.kustomizations = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: KUSTOMIZATIONS.into(),
        });
        f.snapshot.object_stores = live(vec![]);
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert_eq!(
            out.unknown,
            vec![super::super::Unknown {
                area: "flux",
                reason: "kustomizations.kustomize.toolkit.fluxcd.io: forbidden (list)".into()
            }]
        );
    }

    #[test]
    fn unknown_when_sources_cannot_be_read() {
        let mut f = healthy();
        f.snapshot.git_repos = state(SyncState::Error("connection refused".into()));
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(
            out.unknown[0].reason,
            "gitrepositories.source.toolkit.fluxcd.io: connection refused"
        );
    }

    #[test]
    fn unknown_when_controllers_cannot_be_seen() {
        let mut f = healthy();
        f.snapshot.pods = state(SyncState::Syncing);
        f.deployments = state(SyncState::Forbidden {
            verb: "list".into(),
            resource: "deployments.apps".into(),
        });
        let out = run(&f);
        assert!(!codes(&out).contains(&"FLX010"));
        assert!(out.unknown.iter().any(|u| u.reason == "pods: not read yet"));
    }

    #[test]
    fn durations_and_ids_parse_like_flux() {
        let d = |s: &str| go_duration(s).map(|d| d.num_milliseconds());
        assert_eq!(d("5m0s"), Some(300_000));
        assert_eq!(d("1h0m0s"), Some(3_600_000));
        assert_eq!(d("1.5h"), Some(5_400_000));
        assert_eq!(d("500ms"), Some(500));
        assert_eq!(d("10"), None);
        assert_eq!(d(""), None);
        assert_eq!(
            parse_id("cnpg-system_barman-cloud__Service"),
            Some((
                "cnpg-system".into(),
                "barman-cloud".into(),
                "".into(),
                "Service".into()
            ))
        );
        assert_eq!(
            parse_id("_system__aggregate-to-view_rbac.authorization.k8s.io_ClusterRole"),
            Some((
                "".into(),
                "system:aggregate-to-view".into(),
                "rbac.authorization.k8s.io".into(),
                "ClusterRole".into()
            ))
        );
    }

    #[tokio::test]
    async fn builtin_scenarios_give_exactly_their_flx_codes() -> anyhow::Result<()> {
        let now: DateTime<Utc> = "2026-11-24T06:00:00Z".parse()?;
        for name in crate::sim::scenario::builtin_names() {
            let facts = crate::checks::facts_from_scenario(name, now).await?;
            let out = rules(&facts, now, &Thresholds::default());
            let got: BTreeSet<String> = out.findings.iter().map(|f| f.code.to_string()).collect();
            let expected: BTreeSet<String> = crate::sim::scenario::load(name, now)?
                .expect
                .into_iter()
                .filter(|c| c.starts_with("FLX"))
                .collect();
            assert_eq!(got, expected, "scenario {name}");
            assert!(out.unknown.is_empty(), "scenario {name}: {:?}", out.unknown);
        }
        Ok(())
    }
}
