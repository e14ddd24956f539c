//! PLG: the Barman Cloud plugin and the CloudNativePG operator. Is CNPG served, is the
//! plugin installed where the operator discovers it (a labelled Service in the operator's
//! namespace), are its pods running, its certificates valid, its version the one the
//! Clusters report, and is its sidecar in every instance pod?

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{Facts, Finding, Kind, ObjectRef, Outcome, Severity, Thresholds};
use crate::model::domain::PLUGIN_NAME;
use crate::model::rows::{
    CertificateRow, ClusterRow, Condition, DeploymentRow, PodRow, ServiceRow, condition, image_tag,
};
use crate::model::state::of_namespace;
use crate::model::{KindState, SyncState};

const AREA: &str = "plugin";
/// The native sidecar the plugin injects into every instance pod.
pub(super) const SIDECAR: &str = "plugin-barman-cloud";
const PLUGIN_LABEL: &str = "cnpg.io/pluginName";
const OPERATOR_LABEL: &str = "app.kubernetes.io/name";
const OPERATOR_APP: &str = "cloudnative-pg";
/// The plugin's container, in the released manifest and the Helm chart alike.
const PLUGIN_CONTAINER: &str = "barman-cloud";
/// The Service name both the manifest and the chart use: the server certificate names it.
pub(super) const PLUGIN_SERVICE: &str = "barman-cloud";
const CLUSTERS: &str = "clusters.postgresql.cnpg.io";
const OBJECT_STORES: &str = "objectstores.barmancloud.cnpg.io";
const TLS_ANNOTATIONS: [&str; 2] = ["cnpg.io/pluginServerSecret", "cnpg.io/pluginClientSecret"];
const INSTALL_PLUGIN: &str = "kubectl apply -f https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml";
const INSTALL_CNPG: &str = "kubectl apply --server-side -f https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.30/releases/cnpg-1.30.0.yaml";
/// How long a pod may take to become ready before "not ready" counts as stuck: pulling an
/// image and passing the first readiness probe fit well within it.
const START_GRACE_SECS: i64 = 300;
/// kubectl STATUS values that mean a container cannot run, whatever its age.
const FAILING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "StartError",
    "ContainerStatusUnknown",
    "Error",
    "OOMKilled",
];
/// kubectl STATUS values that are a container's waiting reason (the others are a
/// termination reason or the pod phase).
const WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "ContainerCreating",
];

/// What a rule may conclude from one kind.
pub(super) enum View<'a, R> {
    /// The rows: the whole list when live, the last known when stale.
    Rows(&'a [Arc<R>]),
    /// The API is not served; the text says what that means.
    NotInstalled(&'a str),
    /// Could not be read: the reason names the resource.
    Unknown(String),
}

pub(super) fn view<'a, R>(k: &'a KindState<R>, resource: &str) -> View<'a, R> {
    match &k.sync {
        SyncState::Live => View::Rows(&k.rows),
        // Last known rows still prove what they show; only an absence needs a live list.
        SyncState::Stale { .. } if !k.rows.is_empty() => View::Rows(&k.rows),
        SyncState::Stale { since, reason } => {
            View::Unknown(format!("{resource}: stale since {}: {reason}", ts(*since)))
        }
        SyncState::Syncing => View::Unknown(format!("{resource}: not read yet")),
        SyncState::Forbidden { verb, resource: r } => {
            let r = if r.is_empty() { resource } else { r.as_str() };
            View::Unknown(format!("{r}: forbidden ({verb})"))
        }
        SyncState::NotInstalled { what } => View::NotInstalled(what),
        SyncState::Error(m) => View::Unknown(format!("{resource}: {m}")),
    }
}

/// The rows of a kind every cluster serves: not served counts as unreadable.
pub(super) fn rows_of<'a, R>(k: &'a KindState<R>, resource: &str) -> Result<&'a [Arc<R>], String> {
    match view(k, resource) {
        View::Rows(r) => Ok(r),
        View::NotInstalled(what) => Err(format!("{resource}: {what}")),
        View::Unknown(why) => Err(why),
    }
}

/// Whether the rows are the whole current list, so that an absence proves something.
pub(super) fn complete<R>(k: &KindState<R>) -> bool {
    k.sync == SyncState::Live
}

pub(super) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A condition as evidence: `condition Ready=False HealthCheckFailed: <message>`.
pub(super) fn cond_line(c: &Condition) -> String {
    let mut s = format!("condition {}={}", c.kind, c.status);
    if !c.reason.is_empty() {
        s.push(' ');
        s.push_str(&c.reason);
    }
    if !c.message.is_empty() {
        s.push_str(": ");
        s.push_str(&c.message);
    }
    s
}

/// The newest Warning events about one object, verbatim, at most `max`.
pub(super) fn warning_events(
    f: &Facts,
    kind: &str,
    ns: &str,
    name: &str,
    max: usize,
) -> Vec<String> {
    let mut evs: Vec<_> = f
        .events
        .rows
        .iter()
        .filter(|e| {
            e.kind == "Warning"
                && e.involved_kind == kind
                && e.involved_namespace == ns
                && e.involved_name == name
        })
        .collect();
    evs.sort_by_key(|e| std::cmp::Reverse(e.last_seen));
    let mut seen = BTreeSet::new();
    evs.into_iter()
        .filter(|e| seen.insert((e.reason.clone(), e.message.clone())))
        .take(max)
        .map(|e| format!("event Warning {}: {}", e.reason, e.message))
        .collect()
}

pub(super) fn selects(
    selector: &BTreeMap<String, String>,
    labels: &BTreeMap<String, String>,
) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

pub(super) fn selector_text(selector: &BTreeMap<String, String>) -> String {
    selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The Services the operator discovers the plugin through.
pub(super) fn plugin_services(f: &Facts) -> Vec<&ServiceRow> {
    f.snapshot
        .services
        .rows
        .iter()
        .map(|s| s.as_ref())
        .filter(|s| s.labels.get(PLUGIN_LABEL).map(String::as_str) == Some(PLUGIN_NAME))
        .collect()
}

/// Whether anything of a namespace is in view: a read scoped to other namespaces shows
/// the plugin's cluster-wide Service but none of its pods, which proves nothing.
pub(super) fn namespace_in_view(f: &Facts, ns: &str) -> bool {
    !f.snapshot.pods.in_namespace(ns).is_empty()
        || f.deployments.rows.iter().any(|d| d.namespace == ns)
}

/// The Deployment behind a plugin Service: one whose pods the Service selects, or whose
/// selector agrees with the Service's, or that carries its name (the manifest's layout).
pub(super) fn plugin_deployment<'a>(
    svc: &ServiceRow,
    pods: &[&PodRow],
    deployments: &'a [Arc<DeploymentRow>],
) -> Option<&'a DeploymentRow> {
    let subset = |a: &BTreeMap<String, String>, b: &BTreeMap<String, String>| {
        !a.is_empty() && a.iter().all(|(k, v)| b.get(k) == Some(v))
    };
    let ours = |d: &DeploymentRow| {
        pods.iter().any(|p| selects(&d.selector, &p.labels))
            || subset(&d.selector, &svc.selector)
            || subset(&svc.selector, &d.selector)
    };
    let in_ns = || deployments.iter().filter(|d| d.namespace == svc.namespace);
    in_ns()
        .find(|d| ours(d))
        .or_else(|| in_ns().find(|d| d.name == svc.name))
        .map(|d| d.as_ref())
}

/// The plugin's container among (container, image) pairs: by name, else by image, else
/// the first.
fn plugin_image(images: &[(String, String)]) -> Option<(&str, &str)> {
    images
        .iter()
        .find(|(c, _)| c == PLUGIN_CONTAINER)
        .or_else(|| images.iter().find(|(_, i)| is_plugin_image(i)))
        .or(images.first())
        .map(|(c, i)| (c.as_str(), i.as_str()))
}

/// Whether an image is the plugin's own (not its sidecar's).
pub(super) fn is_plugin_image(image: &str) -> bool {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split(['@', ':']).next() == Some("plugin-barman-cloud")
}

/// The one main container of a pod, when there is exactly one: evidence can then name it.
fn main_container(p: &PodRow) -> Option<&str> {
    let mut main = p.images.iter().filter(|(c, _)| !p.sidecars.contains(c));
    match (main.next(), main.next()) {
        (Some((c, _)), None) => Some(c.as_str()),
        _ => None,
    }
}

fn is_failing(p: &PodRow) -> bool {
    let s = p.status.strip_prefix("Init:").unwrap_or(&p.status);
    FAILING.contains(&s)
}

fn pod_evidence(p: &PodRow) -> Vec<String> {
    let path = |field: &str| match main_container(p) {
        Some(c) => format!("status.containerStatuses[{c}].{field}"),
        None => format!("status.containerStatuses[*].{field}"),
    };
    let mut ev = Vec::new();
    if WAITING.contains(&p.status.as_str()) {
        ev.push(format!("{}: {}", path("state.waiting.reason"), p.status));
    } else {
        ev.push(format!("STATUS: {}", p.status));
    }
    ev.push(format!("READY: {}/{}", p.ready.0, p.ready.1));
    if p.restarts > 0 {
        ev.push(format!("{}: {}", path("restartCount"), p.restarts));
    }
    if let Some(r) = &p.last_termination {
        ev.push(format!("{}: {r}", path("lastState.terminated.reason")));
        if let Some(at) = p.last_termination_at {
            ev.push(format!(
                "{}: {}",
                path("lastState.terminated.finishedAt"),
                ts(at)
            ));
        }
    }
    ev
}

/// The newest error lines of a pod's logs, verbatim.
fn error_logs(f: &Facts, ns: &str, pod: &str, max: usize) -> Vec<String> {
    f.logs
        .iter()
        .filter(|l| l.namespace == ns && l.pod == pod)
        .flat_map(|l| {
            let lines = l.lines.as_deref().unwrap_or_default();
            lines
                .iter()
                .rev()
                .filter(|x| x.contains("\"level\":\"error\""))
                .take(max)
                .map(|x| format!("log {}: {x}", l.container))
                .collect::<Vec<_>>()
        })
        .take(max)
        .collect()
}

fn false_conditions(conds: &[Condition]) -> impl Iterator<Item = String> + '_ {
    conds.iter().filter(|c| c.status == "False").map(cond_line)
}

fn memory_patch(ns: &str, dep: &str, container: &str) -> String {
    format!(
        "kubectl -n {ns} patch deployment {dep} --type=merge -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"{container}\",\"resources\":{{\"limits\":{{\"memory\":\"256Mi\"}}}}}}]}}}}}}}}'"
    )
}

/// One plugin install, as found through its Service.
struct Plugin<'a> {
    svc: &'a ServiceRow,
    pods: Vec<&'a PodRow>,
    deployment: Option<&'a DeploymentRow>,
}

impl Plugin<'_> {
    fn deployment_name(&self) -> &str {
        self.deployment
            .map(|d| d.name.as_str())
            .unwrap_or(&self.svc.name)
    }

    /// A sentence to append when Flux owns the Deployment and would revert a live edit.
    fn gitops_note(&self, f: &Facts) -> String {
        let id = format!(
            "{}_{}_apps_Deployment",
            self.svc.namespace,
            self.deployment_name()
        );
        match super::flux::inventory_owner(f, &id) {
            Some(k) => format!(
                " The Deployment is applied by Kustomization {}/{}: make the same change in Git{}, or Flux reverts it.",
                k.namespace,
                k.name,
                k.path
                    .as_deref()
                    .map(|p| format!(" (under {p})"))
                    .unwrap_or_default()
            ),
            None => String::new(),
        }
    }
}

struct Ctx<'a> {
    f: &'a Facts,
    now: DateTime<Utc>,
    th: &'a Thresholds,
    pods: Option<&'a [Arc<PodRow>]>,
    deployments: Option<&'a [Arc<DeploymentRow>]>,
    /// Why the Deployments could not be read, for the rules that cannot do without them.
    deployments_unknown: Option<String>,
    clusters: Option<&'a [Arc<ClusterRow>]>,
    /// None when the plugin Services could not be read.
    plugins: Option<Vec<Plugin<'a>>>,
    /// The CNPG operator's pods, found once: several rules read them, and finding them
    /// means reading every pod's labels.
    operator_pods: Vec<&'a PodRow>,
}

pub fn rules(f: &Facts, now: DateTime<Utc>, th: &Thresholds) -> Outcome {
    let mut out = Outcome::default();
    let s = &f.snapshot;
    let pods = match rows_of(&s.pods, "pods") {
        Ok(r) => Some(r),
        Err(why) => {
            out.unknown(AREA, why);
            None
        }
    };
    // Deployments only sharpen what the pods show; a rule that needs them says so itself.
    let (deployments, deployments_unknown) = match rows_of(&f.deployments, "deployments.apps") {
        Ok(r) => (Some(r), None),
        Err(why) => (None, Some(why)),
    };
    let clusters = match view(&s.clusters, CLUSTERS) {
        View::Rows(r) => Some(r),
        View::NotInstalled(what) => {
            out.push(cnpg_not_installed(what));
            None
        }
        View::Unknown(why) => {
            out.unknown(AREA, why);
            None
        }
    };
    let plugins = match rows_of(&s.services, "services") {
        Ok(_) => Some(
            plugin_services(f)
                .into_iter()
                .map(|svc| {
                    // A Service selects pods of its own namespace only.
                    let selected: Vec<&PodRow> =
                        of_namespace(pods.unwrap_or_default(), &svc.namespace)
                            .iter()
                            .map(|p| p.as_ref())
                            .filter(|p| svc.selects(p))
                            .collect();
                    let deployment = deployments.and_then(|d| plugin_deployment(svc, &selected, d));
                    Plugin {
                        svc,
                        pods: selected,
                        deployment,
                    }
                })
                .collect(),
        ),
        Err(why) => {
            out.unknown(AREA, why);
            None
        }
    };
    let operator_pods = pods
        .unwrap_or_default()
        .iter()
        .map(|p| p.as_ref())
        .filter(|p| is_operator(&p.labels))
        .collect();
    let c = Ctx {
        f,
        now,
        th,
        operator_pods,
        pods,
        deployments,
        deployments_unknown,
        clusters,
        plugins,
    };

    installed(&mut out, &c);
    operator_namespace(&mut out, &c);
    operator_ready(&mut out, &c);
    for p in c.plugins.iter().flatten() {
        plugin_pods(&mut out, &c, p);
    }
    certificates(&mut out, &c);
    if let Some(clusters) = c.clusters {
        cluster_phase(&mut out, clusters);
        version_skew(&mut out, &c, clusters);
        sidecars(&mut out, &c, clusters);
    }
    out.unknown.sort();
    out.unknown.dedup();
    out
}

/// PLG001.
fn cnpg_not_installed(what: &str) -> Finding {
    Finding {
        code: "PLG001",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::CustomResourceDefinition, "", CLUSTERS),
        summary:
            "CloudNativePG is not installed: the clusters.postgresql.cnpg.io API is not served"
                .into(),
        evidence: vec![format!("{CLUSTERS}: not served ({what})")],
        remedy: format!(
            "Install the CloudNativePG operator (1.26 or newer), through your GitOps repository or directly: {INSTALL_CNPG}"
        ),
    }
}

/// PLG002: some Cluster names the plugin, but the operator cannot find it.
fn installed(out: &mut Outcome, c: &Ctx) {
    let Some(clusters) = c.clusters else { return };
    let naming: Vec<&ClusterRow> = clusters
        .iter()
        .map(|x| x.as_ref())
        .filter(|x| x.plugin.is_some())
        .collect();
    if naming.is_empty() {
        return;
    }
    let named: Vec<String> = naming
        .iter()
        .take(5)
        .map(|x| {
            format!(
                "Cluster {}/{} spec.plugins[].name: {PLUGIN_NAME}",
                x.namespace, x.name
            )
        })
        .collect();
    let who = naming
        .iter()
        .map(|x| format!("{}/{}", x.namespace, x.name))
        .collect::<Vec<_>>()
        .join(", ");
    if let View::NotInstalled(what) = view(&c.f.snapshot.object_stores, OBJECT_STORES) {
        let mut evidence = vec![format!("{OBJECT_STORES}: not served ({what})")];
        evidence.extend(named);
        out.push(Finding {
            code: "PLG002",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::CustomResourceDefinition, "", OBJECT_STORES),
            summary: format!(
                "The Barman Cloud plugin is not installed (no {OBJECT_STORES}), yet Cluster {who} uses it"
            ),
            evidence,
            remedy: format!(
                "Install the plugin in the operator's namespace, through your GitOps repository or directly: {INSTALL_PLUGIN}"
            ),
        });
        return;
    }
    // Only a complete list proves the Service is absent.
    let Some(plugins) = &c.plugins else { return };
    if !plugins.is_empty() || !complete(&c.f.snapshot.services) {
        return;
    }
    let ns = operator_namespaces(c)
        .into_iter()
        .next()
        .unwrap_or_else(|| "cnpg-system".into());
    let mut evidence = vec![format!(
        "services -l {PLUGIN_LABEL}={PLUGIN_NAME} (all namespaces): none"
    )];
    evidence.extend(named);
    out.push(Finding {
        code: "PLG002",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Service, &ns, PLUGIN_SERVICE),
        summary: format!(
            "No Service is labelled {PLUGIN_LABEL}={PLUGIN_NAME}: the operator cannot find the Barman Cloud plugin that Cluster {who} uses"
        ),
        evidence,
        remedy: format!(
            "Install the plugin in the operator's namespace ({ns}), or restore its Service with the label {PLUGIN_LABEL}={PLUGIN_NAME}: {INSTALL_PLUGIN}; check with: kubectl get services -A -l {PLUGIN_LABEL}={PLUGIN_NAME}"
        ),
    });
}

fn is_operator(labels: &BTreeMap<String, String>) -> bool {
    labels.get(OPERATOR_LABEL).map(String::as_str) == Some(OPERATOR_APP)
}

/// Namespaces the CNPG operator runs in, from its Deployments, else its pods.
fn operator_namespaces(c: &Ctx) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = c
        .deployments
        .unwrap_or_default()
        .iter()
        .filter(|d| is_operator(&d.labels))
        .map(|d| d.namespace.clone())
        .collect();
    if set.is_empty() {
        set = c
            .operator_pods
            .iter()
            .map(|p| p.namespace.clone())
            .collect();
    }
    set
}

/// PLG003.
fn operator_namespace(out: &mut Outcome, c: &Ctx) {
    let Some(plugins) = &c.plugins else { return };
    if plugins.is_empty() {
        return;
    }
    let op_ns = operator_namespaces(c);
    if op_ns.is_empty() {
        if c.deployments.is_none() && c.pods.is_none() {
            out.unknown(AREA, c.deployments_unknown.clone().unwrap_or_default());
        }
        return;
    }
    let op = op_ns.iter().cloned().collect::<Vec<_>>().join(", ");
    for p in plugins.iter().filter(|p| !op_ns.contains(&p.svc.namespace)) {
        let (ns, svc) = (&p.svc.namespace, &p.svc.name);
        let mut evidence = vec![format!("Service {ns}/{svc} metadata.namespace: {ns}")];
        match c.deployments {
            Some(deps) => {
                evidence.extend(deps.iter().filter(|d| is_operator(&d.labels)).map(|d| {
                    format!(
                        "Deployment {}/{} ({OPERATOR_LABEL}={OPERATOR_APP}) metadata.namespace: {}",
                        d.namespace, d.name, d.namespace
                    )
                }))
            }
            None => evidence.extend(c.operator_pods.iter().map(|x| {
                format!(
                    "Pod {}/{} ({OPERATOR_LABEL}={OPERATOR_APP}) metadata.namespace: {}",
                    x.namespace, x.name, x.namespace
                )
            })),
        }
        out.push(Finding {
            code: "PLG003",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Service, ns, svc),
            summary: format!(
                "The Barman Cloud plugin Service {ns}/{svc} is not in the CNPG operator's namespace ({op}): the operator only discovers plugins in its own namespace"
            ),
            evidence,
            remedy: format!(
                "Install the plugin into the operator's namespace {op} (its namespace in Git, or helm install --namespace {op}), then remove the copy in {ns}: kubectl -n {ns} delete deployment {} && kubectl -n {ns} delete service {svc}",
                p.deployment_name()
            ),
        });
    }
}

/// PLG007.
fn operator_ready(out: &mut Outcome, c: &Ctx) {
    let op_pods = &c.operator_pods;
    if let Some(deps) = c.deployments {
        for d in deps
            .iter()
            .filter(|d| is_operator(&d.labels) && d.ready == 0)
        {
            let mut evidence = vec![format!("status.readyReplicas: {}", d.ready)];
            if let Some(r) = d.replicas {
                evidence.push(format!("spec.replicas: {r}"));
            }
            evidence.extend(false_conditions(&d.conditions));
            evidence.extend(
                op_pods
                    .iter()
                    .filter(|p| p.namespace == d.namespace && selects(&d.selector, &p.labels))
                    .map(|p| format!("Pod {}/{} STATUS: {}", p.namespace, p.name, p.status)),
            );
            evidence.extend(warning_events(c.f, "Deployment", &d.namespace, &d.name, 2));
            let (ns, n) = (&d.namespace, &d.name);
            out.push(Finding {
                code: "PLG007",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::Deployment, ns, n),
                summary: format!("The CloudNativePG operator Deployment {ns}/{n} has no ready replica"),
                evidence,
                remedy: if d.replicas == Some(0) {
                    format!("The operator is scaled to zero: kubectl -n {ns} scale deployment {n} --replicas=1")
                } else {
                    format!(
                        "Find why its pods are not ready: kubectl -n {ns} describe deployment {n}; kubectl -n {ns} get pods -l {OPERATOR_LABEL}={OPERATOR_APP}; kubectl -n {ns} logs deployment/{n}"
                    )
                },
            });
        }
        return;
    }
    if c.pods.is_none() || op_pods.is_empty() {
        // Neither the operator's Deployment nor its pods are in view: not evaluated.
        out.unknown(AREA, c.deployments_unknown.clone().unwrap_or_default());
        return;
    }
    let namespaces: BTreeSet<&str> = op_pods.iter().map(|p| p.namespace.as_str()).collect();
    for ns in namespaces {
        let here: Vec<&PodRow> = op_pods
            .iter()
            .copied()
            .filter(|p| p.namespace == ns)
            .collect();
        let Some(first) = here.first().filter(|_| !here.iter().any(|p| p.is_ready())) else {
            continue;
        };
        let mut evidence: Vec<String> = here
            .iter()
            .map(|p| {
                format!(
                    "Pod {}/{} STATUS: {}, READY: {}/{}",
                    p.namespace, p.name, p.status, p.ready.0, p.ready.1
                )
            })
            .collect();
        evidence.extend(
            c.deployments_unknown
                .iter()
                .map(|w| format!("the Deployment could not be read: {w}")),
        );
        out.push(Finding {
            code: "PLG007",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Pod, ns, &first.name),
            summary: format!("The CloudNativePG operator in {ns} has no ready pod"),
            evidence,
            remedy: format!(
                "kubectl -n {ns} describe pod {p}; kubectl -n {ns} logs {p} --previous",
                p = first.name
            ),
        });
    }
}

/// PLG004, PLG005, PLG006 for one plugin install.
fn plugin_pods(out: &mut Outcome, c: &Ctx, p: &Plugin) {
    let ns = &p.svc.namespace;
    let dep = p.deployment_name();
    if c.pods.is_none() {
        // Without pods only the Deployment's counters can tell.
        if let Some(d) = p.deployment.filter(|d| d.available == 0) {
            let mut evidence = vec![format!("status.availableReplicas: {}", d.available)];
            evidence.extend(false_conditions(&d.conditions));
            out.push(Finding {
                code: "PLG004",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::Deployment, &d.namespace, &d.name),
                summary: format!(
                    "The Barman Cloud plugin Deployment {}/{} has no available replica",
                    d.namespace, d.name
                ),
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe deployment {dep}; kubectl -n {ns} get pods -l {}",
                    selector_text(&p.svc.selector)
                ),
            });
        }
        return;
    }
    if p.pods.is_empty() {
        if p.deployment.is_some() || namespace_in_view(c.f, ns) {
            no_plugin_pod(out, c, p);
        } else {
            out.unknown(AREA, format!("pods and deployments in {ns}: none in view, so the plugin's pods cannot be checked"));
        }
        return;
    }
    let any_ready = p.pods.iter().any(|x| x.is_ready());
    let deployment_evidence: Vec<String> = p
        .deployment
        .map(|d| {
            let mut v = vec![format!(
                "Deployment {}/{} status.availableReplicas: {}",
                d.namespace, d.name, d.available
            )];
            v.extend(
                false_conditions(&d.conditions)
                    .map(|l| format!("Deployment {}/{} {l}", d.namespace, d.name)),
            );
            v
        })
        .unwrap_or_default();
    for pod in &p.pods {
        let container = main_container(pod).unwrap_or(PLUGIN_CONTAINER);
        let oom = pod.last_termination.as_deref() == Some("OOMKilled");
        let young = pod
            .created
            .is_some_and(|t| c.now - t < chrono::Duration::seconds(START_GRACE_SECS));
        // Not ready while another replica serves is a rollout, not an outage.
        let stuck = !pod.is_ready() && !any_ready && !young && pod.status != "Terminating";
        if is_failing(pod) || stuck {
            let mut evidence = pod_evidence(pod);
            evidence.extend(deployment_evidence.iter().cloned());
            evidence.extend(warning_events(c.f, "Pod", &pod.namespace, &pod.name, 3));
            evidence.extend(error_logs(c.f, &pod.namespace, &pod.name, 2));
            let status = pod.status.strip_prefix("Init:").unwrap_or(&pod.status);
            let remedy = if oom {
                format!(
                    "The container is killed for lack of memory: raise its limit (see PLG005): {}.{}",
                    memory_patch(ns, dep, container),
                    p.gitops_note(c.f)
                )
            } else if matches!(
                status,
                "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName"
            ) {
                format!(
                    "The image cannot be pulled: check its tag and the registry credentials: kubectl -n {ns} get deployment {dep} -o jsonpath='{{.spec.template.spec.containers[*].image}}'; kubectl -n {ns} describe pod {}",
                    pod.name
                )
            } else if matches!(status, "ContainerCreating" | "Pending") {
                let mut secrets: Vec<&str> = TLS_ANNOTATIONS
                    .iter()
                    .filter_map(|a| p.svc.annotations.get(*a).map(String::as_str))
                    .collect();
                if secrets.is_empty() {
                    secrets = vec!["barman-cloud-server-tls", "barman-cloud-client-tls"];
                }
                format!(
                    "A missing TLS secret keeps the pod in ContainerCreating: kubectl -n {ns} describe pod {}; kubectl -n {ns} get secret {}",
                    pod.name,
                    secrets.join(" ")
                )
            } else {
                format!(
                    "Read why it fails: kubectl -n {ns} logs {p} -c {container} --previous; kubectl -n {ns} describe pod {p}; once fixed: kubectl rollout restart deployment {dep} -n {ns}",
                    p = pod.name
                )
            };
            out.push(Finding {
                code: "PLG004",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::Pod, &pod.namespace, &pod.name),
                summary: format!(
                    "Barman Cloud plugin pod {}/{} is in {} (ready {}/{})",
                    pod.namespace, pod.name, pod.status, pod.ready.0, pod.ready.1
                ),
                evidence,
                remedy,
            });
        }
        if oom {
            let mut evidence = pod_evidence(pod);
            evidence.extend(error_logs(c.f, &pod.namespace, &pod.name, 1));
            out.push(Finding {
                code: "PLG005",
                severity: Severity::Critical,
                object: ObjectRef::new(Kind::Pod, &pod.namespace, &pod.name),
                summary: format!(
                    "Barman Cloud plugin container {container} in pod {}/{} was OOMKilled",
                    pod.namespace, pod.name
                ),
                evidence,
                remedy: format!(
                    "Raise its memory limit: {}.{}",
                    memory_patch(ns, dep, container),
                    p.gitops_note(c.f)
                ),
            });
        }
        if pod.restarts >= c.th.restarts {
            let mut evidence = pod_evidence(pod);
            evidence.extend(warning_events(c.f, "Pod", &pod.namespace, &pod.name, 2));
            out.push(Finding {
                code: "PLG006",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::Pod, &pod.namespace, &pod.name),
                summary: format!(
                    "Barman Cloud plugin pod {}/{} restarted {} times (threshold {})",
                    pod.namespace, pod.name, pod.restarts, c.th.restarts
                ),
                evidence,
                remedy: format!(
                    "Read why the previous run ended: kubectl -n {ns} logs {p} -c {container} --previous; kubectl -n {ns} describe pod {p}",
                    p = pod.name
                ),
            });
        }
    }
}

/// PLG004 when the plugin Service selects no pod at all.
fn no_plugin_pod(out: &mut Outcome, c: &Ctx, p: &Plugin) {
    let ns = &p.svc.namespace;
    let sel = selector_text(&p.svc.selector);
    let mut evidence = vec![
        format!("Service {}/{} spec.selector: {sel}", ns, p.svc.name),
        format!("pods in {ns} matching {sel}: none"),
    ];
    let (object, remedy) = match p.deployment {
        Some(d) => {
            evidence.push(format!(
                "Deployment {}/{} status.availableReplicas: {}",
                d.namespace, d.name, d.available
            ));
            if let Some(r) = d.replicas {
                evidence.push(format!(
                    "Deployment {}/{} spec.replicas: {r}",
                    d.namespace, d.name
                ));
            }
            evidence.extend(
                false_conditions(&d.conditions)
                    .map(|l| format!("Deployment {}/{} {l}", d.namespace, d.name)),
            );
            evidence.extend(warning_events(c.f, "Deployment", &d.namespace, &d.name, 2));
            let remedy = if d.replicas == Some(0) {
                format!(
                    "The plugin is scaled to zero: kubectl -n {ns} scale deployment {} --replicas=1",
                    d.name
                )
            } else {
                format!(
                    "kubectl -n {ns} describe deployment {}; kubectl -n {ns} get replicasets,pods -l {sel}; kubectl -n {ns} get events --field-selector involvedObject.kind=ReplicaSet",
                    d.name
                )
            };
            (
                ObjectRef::new(Kind::Deployment, &d.namespace, &d.name),
                remedy,
            )
        }
        None => (
            ObjectRef::new(Kind::Service, ns, &p.svc.name),
            format!(
                "No Deployment runs the plugin: reinstall it in {ns} ({INSTALL_PLUGIN}), or restore its Deployment in Git (see FLX009)"
            ),
        ),
    };
    out.push(Finding {
        code: "PLG004",
        severity: Severity::Critical,
        object,
        summary: format!(
            "The Barman Cloud plugin has no pod: Service {}/{} selects none",
            ns, p.svc.name
        ),
        evidence,
        remedy,
    });
}

/// PLG009: the plugin's cert-manager Certificates (nothing to check without cert-manager).
fn certificates(out: &mut Outcome, c: &Ctx) {
    let Some(plugins) = &c.plugins else { return };
    if plugins.is_empty() {
        return;
    }
    let certs = match view(&c.f.certificates, "certificates.cert-manager.io") {
        View::Rows(r) => r,
        View::NotInstalled(_) => return,
        View::Unknown(why) => {
            out.unknown(AREA, why);
            return;
        }
    };
    let limit = chrono::Duration::from_std(c.th.cert_expiry).unwrap_or(chrono::Duration::MAX);
    for p in plugins {
        let secrets: BTreeSet<&str> = TLS_ANNOTATIONS
            .iter()
            .filter_map(|a| p.svc.annotations.get(*a).map(String::as_str))
            .collect();
        // The Service's annotations name the plugin's secrets; without them, fall back to
        // the names the manifest and the chart derive from the Service.
        let ours = |cert: &CertificateRow| {
            cert.namespace == p.svc.namespace
                && if secrets.is_empty() {
                    cert.name.starts_with(&p.svc.name) || cert.dns_names.contains(&p.svc.name)
                } else {
                    cert.secret_name
                        .as_deref()
                        .is_some_and(|s| secrets.contains(s))
                }
        };
        for cert in certs.iter().filter(|x| ours(x)) {
            let ready = condition(&cert.conditions, "Ready");
            let not_ready = !ready.is_some_and(Condition::is_true);
            let left = cert.not_after.map(|t| t - c.now);
            let expiring = left.is_some_and(|l| l < limit);
            if !not_ready && !expiring {
                continue;
            }
            let mut evidence = vec![match ready {
                Some(r) => cond_line(r),
                None => "condition Ready: absent".into(),
            }];
            if let Some(t) = cert.not_after {
                evidence.push(format!("status.notAfter: {}", ts(t)));
            }
            if let Some(s) = &cert.secret_name {
                evidence.push(format!("spec.secretName: {s}"));
            }
            evidence.extend(warning_events(
                c.f,
                "Certificate",
                &cert.namespace,
                &cert.name,
                2,
            ));
            let when = match left {
                Some(l) if l < chrono::Duration::zero() => format!("expired {} ago", human(-l)),
                Some(l) => format!("expires in {}", human(l)),
                None => "has no expiry date yet".into(),
            };
            let summary = if not_ready {
                format!(
                    "The plugin's Certificate {}/{} is not Ready ({when})",
                    cert.namespace, cert.name
                )
            } else {
                format!(
                    "The plugin's Certificate {}/{} {when}",
                    cert.namespace, cert.name
                )
            };
            out.push(Finding {
                code: "PLG009",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::Certificate, &cert.namespace, &cert.name),
                summary,
                evidence,
                remedy: format!(
                    "kubectl -n {ns} describe certificate {n}; to renew now: cmctl renew {n} -n {ns}; then restart the plugin so it loads the new certificate: kubectl rollout restart deployment {dep} -n {ns}",
                    ns = cert.namespace,
                    n = cert.name,
                    dep = p.deployment_name()
                ),
            });
        }
    }
}

/// PLG008.
fn cluster_phase(out: &mut Outcome, clusters: &[Arc<ClusterRow>]) {
    for cl in clusters.iter() {
        let lower = cl.phase.to_lowercase();
        if !(lower.contains("unknown plugin")
            || lower.contains("error while interacting with plugins"))
        {
            continue;
        }
        let mut evidence = vec![format!("status.phase: {}", cl.phase)];
        if let Some(r) = &cl.phase_reason {
            evidence.push(format!("status.phaseReason: {r}"));
        }
        out.push(Finding {
            code: "PLG008",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} cannot reconcile: the operator cannot use the Barman Cloud plugin",
                cl.namespace, cl.name
            ),
            evidence,
            remedy: format!(
                "Make the plugin reachable first (its Service labelled {PLUGIN_LABEL}={PLUGIN_NAME} in the operator's namespace, its pods Ready: see PLG002-PLG004): kubectl get services -A -l {PLUGIN_LABEL}={PLUGIN_NAME}; if the plugin is healthy and the phase stays, restart the operator so it rediscovers plugins: kubectl rollout restart deployment -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP}"
            ),
        });
    }
}

/// PLG010.
fn version_skew(out: &mut Outcome, c: &Ctx, clusters: &[Arc<ClusterRow>]) {
    let reporting: Vec<&ClusterRow> = clusters
        .iter()
        .map(|x| x.as_ref())
        .filter(|x| x.plugin_version.is_some())
        .collect();
    if reporting.is_empty() {
        return;
    }
    let Some(p) = c.plugins.as_ref().and_then(|p| p.first()) else {
        return;
    };
    // Where the running image was read, and the image.
    let source = match p.deployment {
        Some(d) => plugin_image(&d.images).map(|(ctr, img)| {
            (
                format!(
                    "Deployment {}/{} spec.template.spec.containers[{ctr}].image",
                    d.namespace, d.name
                ),
                img,
            )
        }),
        None => p.pods.iter().find_map(|pod| {
            let (ctr, img) = plugin_image(&pod.images)?;
            Some((
                format!(
                    "Pod {}/{} spec.containers[{ctr}].image",
                    pod.namespace, pod.name
                ),
                img,
            ))
        }),
    };
    let Some((path, image)) = source else {
        if let Some(why) = &c.deployments_unknown {
            out.unknown(AREA, why.clone());
        }
        return;
    };
    let tag = image_tag(image);
    // A digest or an implicit tag says nothing about the version.
    if image.contains('@') || tag == "latest" {
        return;
    }
    let bare = |v: &str| v.strip_prefix('v').unwrap_or(v).to_string();
    for cl in reporting {
        let Some(v) = &cl.plugin_version else {
            continue;
        };
        if bare(v) == bare(&tag) {
            continue;
        }
        out.push(Finding {
            code: "PLG010",
            severity: Severity::Warning,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} reports Barman Cloud plugin {v}, but the plugin runs {tag}",
                cl.namespace, cl.name
            ),
            evidence: vec![
                format!("status.pluginStatus[{PLUGIN_NAME}].version: {v}"),
                format!("{path}: {image}"),
            ],
            remedy: format!(
                "Restart the plugin, then the operator, so the operator reloads the plugin's metadata: kubectl rollout restart deployment {} -n {}; then kubectl rollout restart deployment -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP}",
                p.deployment_name(),
                p.svc.namespace
            ),
        });
    }
}

/// PLG011.
fn sidecars(out: &mut Outcome, c: &Ctx, clusters: &[Arc<ClusterRow>]) {
    let using: Vec<&ClusterRow> = clusters
        .iter()
        .map(|x| x.as_ref())
        .filter(|x| x.plugin.as_ref().is_some_and(|p| p.enabled))
        .collect();
    if using.is_empty() {
        return;
    }
    let Some(pods) = c.pods else { return };
    // One pass over each namespace's pods, not one per cluster: a namespace may hold
    // thousands of pods and several clusters.
    let mut missing_of: BTreeMap<(&str, &str), Vec<&PodRow>> = BTreeMap::new();
    let mut namespaces: Vec<&str> = using.iter().map(|cl| cl.namespace.as_str()).collect();
    namespaces.dedup();
    for ns in namespaces {
        for p in of_namespace(pods, ns) {
            if p.labels.get("cnpg.io/podRole").map(String::as_str) != Some("instance")
                || p.status == "Terminating"
                || p.sidecars.iter().any(|s| s == SIDECAR)
            {
                continue;
            }
            if let Some(cluster) = p.labels.get("cnpg.io/cluster") {
                missing_of.entry((ns, cluster)).or_default().push(p);
            }
        }
    }
    for cl in using {
        let missing = missing_of
            .get(&(cl.namespace.as_str(), cl.name.as_str()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        if missing.is_empty() {
            continue;
        }
        let names = missing
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let evidence = missing
            .iter()
            .map(|p| {
                let sc = if p.sidecars.is_empty() {
                    "none".to_string()
                } else {
                    p.sidecars.join(", ")
                };
                format!(
                    "Pod {}/{} spec.initContainers with restartPolicy Always: {sc}",
                    p.namespace, p.name
                )
            })
            .collect();
        out.push(Finding {
            code: "PLG011",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Cluster, &cl.namespace, &cl.name),
            summary: format!(
                "Cluster {}/{} uses the Barman Cloud plugin, but instance pod {names} has no {SIDECAR} sidecar: it neither archives WAL nor takes backups",
                cl.namespace, cl.name
            ),
            evidence,
            remedy: format!(
                "The sidecar is injected when a pod is created, and only while the plugin is reachable: make sure it is (PLG002-PLG004; native sidecars need Kubernetes 1.29+), then recreate the pods: kubectl cnpg restart {} -n {}",
                cl.name, cl.namespace
            ),
        });
    }
}

pub(super) fn human(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    if days > 0 {
        format!("{days}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m")
    } else if m > 0 {
        format!("{m}m")
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testing::{at, labels, live, one, state};
    use crate::model::rows::{ObjectStoreRow, PluginRef};

    fn forbidden<R: crate::model::rows::Row>(resource: &str) -> KindState<R> {
        state(SyncState::Forbidden {
            verb: "list".into(),
            resource: resource.into(),
        })
    }

    fn now() -> DateTime<Utc> {
        at("2026-11-24T06:00:00Z")
    }

    fn cond(kind: &str, status: &str, reason: &str, message: &str) -> Condition {
        Condition {
            kind: kind.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            since: None,
        }
    }

    fn plugin_pod() -> PodRow {
        PodRow {
            namespace: "cnpg-system".into(),
            name: "barman-cloud-7d9-abcde".into(),
            labels: labels(&[("app", "barman-cloud")]),
            ready: (1, 1),
            status: "Running".into(),
            phase: "Running".into(),
            created: Some(at("2026-11-02T09:14:00Z")),
            images: vec![(
                "barman-cloud".into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".into(),
            )],
            ..Default::default()
        }
    }

    fn operator_pod() -> PodRow {
        PodRow {
            namespace: "cnpg-system".into(),
            name: "cnpg-controller-manager-abc-12345".into(),
            labels: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
            ready: (1, 1),
            status: "Running".into(),
            images: vec![(
                "manager".into(),
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.27.1".into(),
            )],
            ..Default::default()
        }
    }

    fn instance_pod(name: &str) -> PodRow {
        PodRow {
            namespace: "db".into(),
            name: name.into(),
            labels: labels(&[("cnpg.io/cluster", "pg"), ("cnpg.io/podRole", "instance")]),
            ready: (2, 2),
            status: "Running".into(),
            images: vec![
                (
                    "postgres".into(),
                    "ghcr.io/cloudnative-pg/postgresql:17".into(),
                ),
                (
                    SIDECAR.into(),
                    "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0".into(),
                ),
            ],
            sidecars: vec![SIDECAR.into()],
            ..Default::default()
        }
    }

    fn plugin_service() -> ServiceRow {
        ServiceRow {
            namespace: "cnpg-system".into(),
            name: "barman-cloud".into(),
            labels: labels(&[(PLUGIN_LABEL, PLUGIN_NAME)]),
            annotations: labels(&[
                ("cnpg.io/pluginServerSecret", "barman-cloud-server-tls"),
                ("cnpg.io/pluginClientSecret", "barman-cloud-client-tls"),
            ]),
            selector: labels(&[("app", "barman-cloud")]),
        }
    }

    fn plugin_deploy() -> DeploymentRow {
        DeploymentRow {
            namespace: "cnpg-system".into(),
            name: "barman-cloud".into(),
            labels: labels(&[("app", "barman-cloud")]),
            replicas: Some(1),
            available: 1,
            ready: 1,
            images: vec![(
                "barman-cloud".into(),
                "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".into(),
            )],
            selector: labels(&[("app", "barman-cloud")]),
            ..Default::default()
        }
    }

    fn operator_deploy() -> DeploymentRow {
        DeploymentRow {
            namespace: "cnpg-system".into(),
            name: "cnpg-controller-manager".into(),
            labels: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
            replicas: Some(1),
            available: 1,
            ready: 1,
            selector: labels(&[(OPERATOR_LABEL, OPERATOR_APP)]),
            ..Default::default()
        }
    }

    fn cluster() -> ClusterRow {
        ClusterRow {
            namespace: "db".into(),
            name: "pg".into(),
            phase: "Cluster in healthy state".into(),
            plugin: Some(PluginRef {
                enabled: true,
                wal_archiver: true,
                object_store: Some("store".into()),
                server_name: None,
            }),
            plugin_version: Some("0.14.0".into()),
            ..Default::default()
        }
    }

    fn cert(name: &str, not_after: &str) -> CertificateRow {
        CertificateRow {
            namespace: "cnpg-system".into(),
            name: name.into(),
            secret_name: Some(format!("{name}-tls")),
            conditions: vec![cond(
                "Ready",
                "True",
                "Ready",
                "Certificate is up to date and has not expired",
            )],
            not_after: Some(at(not_after)),
            dns_names: vec![],
        }
    }

    /// A healthy install: every rule has something to look at and nothing to say.
    fn healthy() -> Facts {
        let mut f = Facts::default();
        f.snapshot.pods = live(vec![
            plugin_pod(),
            operator_pod(),
            instance_pod("pg-1"),
            instance_pod("pg-2"),
        ]);
        f.snapshot.services = live(vec![plugin_service()]);
        f.snapshot.clusters = live(vec![cluster()]);
        f.snapshot.object_stores = live(vec![ObjectStoreRow {
            namespace: "db".into(),
            name: "store".into(),
            ..Default::default()
        }]);
        f.snapshot.kustomizations = state(SyncState::NotInstalled {
            what: "Flux is not installed".into(),
        });
        f.deployments = live(vec![plugin_deploy(), operator_deploy()]);
        f.certificates = live(vec![
            cert("barman-cloud-server", "2027-01-19T13:05:11Z"),
            cert("barman-cloud-client", "2027-01-19T13:05:11Z"),
        ]);
        f.events = live(vec![]);
        f
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

    fn with_pods(f: &mut Facts, pods: Vec<PodRow>) {
        f.snapshot.pods = live(pods);
    }

    #[test]
    fn a_healthy_install_has_no_finding_and_nothing_unknown() {
        let out = run(&healthy());
        assert_eq!(out, Outcome::default());
    }

    #[test]
    fn plg001_cnpg_not_served() {
        let mut f = healthy();
        f.snapshot.clusters = state(SyncState::NotInstalled {
            what: "CloudNativePG is not installed".into(),
        });
        let out = run(&f);
        let x = one(&out, "PLG001");
        assert_eq!(
            x.object,
            ObjectRef::new(
                Kind::CustomResourceDefinition,
                "",
                "clusters.postgresql.cnpg.io"
            )
        );
        assert_eq!(x.severity, Severity::Critical);
        assert!(out.unknown.is_empty());

        let mut near = healthy();
        near.snapshot.clusters = live(vec![]);
        assert!(!codes(&run(&near)).contains(&"PLG001"));
    }

    #[test]
    fn plg002_objectstores_not_served_while_a_cluster_names_the_plugin() {
        let mut f = healthy();
        f.snapshot.object_stores = state(SyncState::NotInstalled {
            what: "the Barman Cloud plugin is not installed".into(),
        });
        let out = run(&f);
        let x = one(&out, "PLG002");
        assert_eq!(
            x.object,
            ObjectRef::new(
                Kind::CustomResourceDefinition,
                "",
                "objectstores.barmancloud.cnpg.io"
            )
        );
        assert!(x.evidence.iter().any(|e| e.contains("Cluster db/pg")));
        assert!(x.remedy.contains("kubectl apply -f"));
    }

    #[test]
    fn plg002_no_labelled_service() {
        let mut f = healthy();
        f.snapshot.services = live(vec![]);
        let out = run(&f);
        let x = one(&out, "PLG002");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Service, "cnpg-system", "barman-cloud")
        );
        assert!(x.evidence[0].ends_with("none"));

        // Near miss: nobody names the plugin, so its absence is not a finding.
        let mut near = f.clone();
        near.snapshot.clusters = live(vec![ClusterRow {
            plugin: None,
            ..cluster()
        }]);
        assert!(!codes(&run(&near)).contains(&"PLG002"));

        // A service of another plugin does not count.
        let mut other = f.clone();
        other.snapshot.services = live(vec![ServiceRow {
            labels: labels(&[(PLUGIN_LABEL, "other.example.com")]),
            ..plugin_service()
        }]);
        assert!(codes(&run(&other)).contains(&"PLG002"));
    }

    #[test]
    fn plg002_needs_a_complete_service_list() {
        let mut f = healthy();
        f.snapshot.services = state(SyncState::Stale {
            since: at("2026-11-24T05:50:00Z"),
            reason: "connection refused".into(),
        });
        let out = run(&f);
        assert!(!codes(&out).contains(&"PLG002"));
        assert_eq!(out.unknown.len(), 1);
        assert!(
            out.unknown[0]
                .reason
                .starts_with("services: stale since 2026-11-24T05:50:00Z")
        );
    }

    #[test]
    fn plg003_plugin_outside_the_operator_namespace() {
        let mut f = healthy();
        let svc = ServiceRow {
            namespace: "backups".into(),
            ..plugin_service()
        };
        let pod = PodRow {
            namespace: "backups".into(),
            ..plugin_pod()
        };
        let dep = DeploymentRow {
            namespace: "backups".into(),
            ..plugin_deploy()
        };
        f.snapshot.services = live(vec![svc]);
        with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
        f.deployments = live(vec![dep, operator_deploy()]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["PLG003"]);
        let x = one(&out, "PLG003");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Service, "backups", "barman-cloud")
        );
        assert!(
            x.evidence
                .iter()
                .any(|e| e.contains("Deployment cnpg-system/cnpg-controller-manager"))
        );
        assert!(x.remedy.contains("cnpg-system"));
        // Near miss: the healthy install shares the operator's namespace.
        assert!(!codes(&run(&healthy())).contains(&"PLG003"));
    }

    #[test]
    fn plg004_crashloop() {
        let mut f = healthy();
        let pod = PodRow {
            ready: (0, 1),
            status: "CrashLoopBackOff".into(),
            restarts: 1,
            last_termination: Some("Error".into()),
            ..plugin_pod()
        };
        with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
        f.deployments = live(vec![
            DeploymentRow {
                available: 0,
                ready: 0,
                conditions: vec![cond(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.",
                )],
                ..plugin_deploy()
            },
            operator_deploy(),
        ]);
        f.events = live(vec![crate::model::rows::EventRow {
            involved_kind: "Pod".into(),
            involved_namespace: "cnpg-system".into(),
            involved_name: "barman-cloud-7d9-abcde".into(),
            kind: "Warning".into(),
            reason: "BackOff".into(),
            message: "Back-off restarting failed container barman-cloud".into(),
            ..Default::default()
        }]);
        let out = run(&f);
        assert_eq!(codes(&out), vec!["PLG004"]);
        let x = one(&out, "PLG004");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Pod, "cnpg-system", "barman-cloud-7d9-abcde")
        );
        assert!(x.summary.contains("CrashLoopBackOff"));
        assert!(
            x.evidence.contains(
                &"status.containerStatuses[barman-cloud].state.waiting.reason: CrashLoopBackOff"
                    .to_string()
            )
        );
        assert!(
            x.evidence.contains(
                &"status.containerStatuses[barman-cloud].lastState.terminated.reason: Error"
                    .to_string()
            )
        );
        assert!(x.evidence.contains(
            &"event Warning BackOff: Back-off restarting failed container barman-cloud".to_string()
        ));
        assert!(
            x.evidence
                .iter()
                .any(|e| e.contains("Available=False MinimumReplicasUnavailable"))
        );
        assert!(
            x.remedy
                .contains("kubectl rollout restart deployment barman-cloud -n cnpg-system")
        );
    }

    #[test]
    fn plg004_image_pull_and_stuck_creating_but_not_a_young_pod() {
        let mut f = healthy();
        with_pods(
            &mut f,
            vec![PodRow {
                ready: (0, 1),
                status: "ImagePullBackOff".into(),
                ..plugin_pod()
            }],
        );
        let x = run(&f);
        assert!(one(&x, "PLG004").remedy.contains("cannot be pulled"));

        let creating = |created: &str| PodRow {
            ready: (0, 1),
            status: "ContainerCreating".into(),
            created: Some(at(created)),
            ..plugin_pod()
        };
        with_pods(&mut f, vec![creating("2026-11-24T05:50:00Z")]);
        let x = run(&f);
        assert!(one(&x, "PLG004").remedy.contains("barman-cloud-server-tls"));

        // Near miss: created a minute ago, still starting.
        with_pods(&mut f, vec![creating("2026-11-24T05:59:00Z")]);
        assert!(!codes(&run(&f)).contains(&"PLG004"));
    }

    #[test]
    fn plg004_not_when_another_replica_serves() {
        let mut f = healthy();
        let starting = PodRow {
            name: "barman-cloud-new".into(),
            ready: (0, 1),
            status: "Running".into(),
            ..plugin_pod()
        };
        with_pods(&mut f, vec![plugin_pod(), starting.clone()]);
        assert!(!codes(&run(&f)).contains(&"PLG004"));
        // Without the ready one, the same pod is an outage.
        with_pods(&mut f, vec![starting]);
        assert_eq!(one(&run(&f), "PLG004").object.name, "barman-cloud-new");
    }

    #[test]
    fn plg004_no_pod_at_all() {
        let mut f = healthy();
        with_pods(&mut f, vec![operator_pod(), instance_pod("pg-1")]);
        f.deployments = live(vec![
            DeploymentRow {
                available: 0,
                ready: 0,
                replicas: Some(0),
                ..plugin_deploy()
            },
            operator_deploy(),
        ]);
        let out = run(&f);
        let x = one(&out, "PLG004");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Deployment, "cnpg-system", "barman-cloud")
        );
        assert!(
            x.remedy
                .contains("kubectl -n cnpg-system scale deployment barman-cloud --replicas=1")
        );
    }

    #[test]
    fn plg004_not_concluded_when_the_plugin_namespace_is_out_of_view() {
        let mut f = healthy();
        with_pods(&mut f, vec![instance_pod("pg-1")]);
        f.deployments = live(vec![]);
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert_eq!(
            out.unknown[0].reason,
            "pods and deployments in cnpg-system: none in view, so the plugin's pods cannot be checked"
        );
    }

    #[test]
    fn plg005_oomkilled_even_once_recovered() {
        let mut f = healthy();
        let pod = PodRow {
            restarts: 1,
            last_termination: Some("OOMKilled".into()),
            last_termination_at: Some(at("2026-11-24T05:57:29Z")),
            ..plugin_pod()
        };
        with_pods(&mut f, vec![pod, operator_pod(), instance_pod("pg-1")]);
        let out = run(&f);
        // Ready again after the kill: PLG005 without PLG004.
        assert_eq!(codes(&out), vec!["PLG005"]);
        let x = one(&out, "PLG005");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Pod, "cnpg-system", "barman-cloud-7d9-abcde")
        );
        assert!(
            x.evidence.contains(
                &"status.containerStatuses[barman-cloud].lastState.terminated.reason: OOMKilled"
                    .to_string()
            )
        );
        assert!(x.remedy.contains(r#"kubectl -n cnpg-system patch deployment barman-cloud --type=merge -p '{"spec":{"template":{"spec":{"containers":[{"name":"barman-cloud","resources":{"limits":{"memory":"256Mi"}}}]}}}}'"#));

        // Near miss: terminated for another reason.
        let pod = PodRow {
            restarts: 1,
            last_termination: Some("Error".into()),
            ..plugin_pod()
        };
        with_pods(&mut f, vec![pod]);
        assert!(!codes(&run(&f)).contains(&"PLG005"));
    }

    #[test]
    fn plg006_restarts_at_the_threshold_not_below() {
        let mut f = healthy();
        with_pods(
            &mut f,
            vec![PodRow {
                restarts: 3,
                ..plugin_pod()
            }],
        );
        let out = run(&f);
        let x = one(&out, "PLG006");
        assert_eq!(x.severity, Severity::Warning);
        assert!(
            x.evidence
                .contains(&"status.containerStatuses[barman-cloud].restartCount: 3".to_string())
        );

        with_pods(
            &mut f,
            vec![PodRow {
                restarts: 2,
                ..plugin_pod()
            }],
        );
        assert!(!codes(&run(&f)).contains(&"PLG006"));

        // The threshold comes from the configuration.
        let th = Thresholds {
            restarts: 2,
            ..Thresholds::default()
        };
        assert!(codes(&rules(&f, now(), &th)).contains(&"PLG006"));
    }

    #[test]
    fn plg007_operator_without_ready_replica() {
        let mut f = healthy();
        f.deployments = live(vec![
            plugin_deploy(),
            DeploymentRow {
                ready: 0,
                available: 0,
                ..operator_deploy()
            },
        ]);
        with_pods(
            &mut f,
            vec![
                plugin_pod(),
                PodRow {
                    ready: (0, 1),
                    status: "ImagePullBackOff".into(),
                    ..operator_pod()
                },
                instance_pod("pg-1"),
            ],
        );
        let out = run(&f);
        // The operator's own pod failing is not the plugin's PLG004.
        assert_eq!(codes(&out), vec!["PLG007"]);
        let x = one(&out, "PLG007");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Deployment, "cnpg-system", "cnpg-controller-manager")
        );
        assert!(x.evidence.contains(&"status.readyReplicas: 0".to_string()));
        assert!(
            x.evidence
                .iter()
                .any(|e| e.ends_with("STATUS: ImagePullBackOff"))
        );

        // Near miss: one ready replica while a new one fails to pull.
        f.deployments = live(vec![plugin_deploy(), operator_deploy()]);
        assert!(!codes(&run(&f)).contains(&"PLG007"));
    }

    #[test]
    fn plg007_from_pods_when_deployments_are_forbidden() {
        let mut f = healthy();
        f.deployments = forbidden("deployments.apps");
        with_pods(
            &mut f,
            vec![
                plugin_pod(),
                PodRow {
                    ready: (0, 1),
                    status: "CrashLoopBackOff".into(),
                    ..operator_pod()
                },
            ],
        );
        let out = run(&f);
        let x = one(&out, "PLG007");
        assert_eq!(x.object.kind, Kind::Pod);
        assert!(out.unknown.is_empty());
    }

    #[test]
    fn unknown_when_deployments_are_forbidden_and_no_operator_pod_is_in_view() {
        let mut f = healthy();
        f.deployments = forbidden("deployments.apps");
        with_pods(&mut f, vec![plugin_pod(), instance_pod("pg-1")]);
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert_eq!(
            out.unknown,
            vec![super::super::Unknown {
                area: "plugin",
                reason: "deployments.apps: forbidden (list)".into()
            }]
        );
    }

    #[test]
    fn plg008_plugin_phases() {
        for phase in [
            "Cluster cannot proceed to reconciliation due to an unknown plugin being required",
            "Cluster cannot proceed to reconciliation due to an error while interacting with plugins",
        ] {
            let mut f = healthy();
            f.snapshot.clusters = live(vec![ClusterRow {
                phase: phase.into(),
                phase_reason: Some("Error while discovering plugins: requested plugin is not available: barman-cloud.cloudnative-pg.io".into()),
                ..cluster()
            }]);
            let out = run(&f);
            let x = one(&out, "PLG008");
            assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
            assert_eq!(x.evidence[0], format!("status.phase: {phase}"));
            assert!(
                x.evidence[1].starts_with("status.phaseReason: Error while discovering plugins")
            );
        }
        let mut near = healthy();
        near.snapshot.clusters = live(vec![ClusterRow {
            phase: "Setting up primary".into(),
            ..cluster()
        }]);
        assert!(!codes(&run(&near)).contains(&"PLG008"));
    }

    #[test]
    fn plg009_certificate_expiring_within_14_days_not_20() {
        let mut f = healthy();
        f.certificates = live(vec![
            cert("barman-cloud-server", "2026-12-04T06:00:00Z"),
            cert("barman-cloud-client", "2027-01-19T13:05:11Z"),
        ]);
        let out = run(&f);
        let x = one(&out, "PLG009");
        assert_eq!(
            x.object,
            ObjectRef::new(Kind::Certificate, "cnpg-system", "barman-cloud-server")
        );
        assert!(x.summary.contains("expires in 10d0h"));
        assert!(
            x.evidence
                .contains(&"status.notAfter: 2026-12-04T06:00:00Z".to_string())
        );
        assert!(
            x.remedy
                .contains("cmctl renew barman-cloud-server -n cnpg-system")
        );

        f.certificates = live(vec![cert("barman-cloud-server", "2026-12-14T06:00:00Z")]);
        assert!(!codes(&run(&f)).contains(&"PLG009"));
    }

    #[test]
    fn plg009_certificate_not_ready_and_only_the_plugins() {
        let mut f = healthy();
        let broken = CertificateRow {
            conditions: vec![cond(
                "Ready",
                "False",
                "DoesNotExist",
                "Issuing certificate as Secret does not exist",
            )],
            ..cert("barman-cloud-client", "2027-01-19T13:05:11Z")
        };
        let unrelated = CertificateRow {
            name: "webhook".into(),
            secret_name: Some("webhook-tls".into()),
            conditions: vec![],
            ..cert("x", "2026-11-25T00:00:00Z")
        };
        f.certificates = live(vec![broken, unrelated]);
        let out = run(&f);
        let x = one(&out, "PLG009");
        assert_eq!(x.object.name, "barman-cloud-client");
        assert_eq!(
            x.evidence[0],
            "condition Ready=False DoesNotExist: Issuing certificate as Secret does not exist"
        );
    }

    #[test]
    fn plg009_does_not_apply_without_cert_manager_and_is_unknown_when_forbidden() {
        let mut f = healthy();
        f.certificates = state(SyncState::NotInstalled {
            what: "cert-manager is not installed".into(),
        });
        assert_eq!(run(&f), Outcome::default());
        f.certificates = forbidden("certificates.cert-manager.io");
        let out = run(&f);
        assert!(out.findings.is_empty());
        assert_eq!(
            out.unknown[0].reason,
            "certificates.cert-manager.io: forbidden (list)"
        );
    }

    #[test]
    fn plg010_version_skew_ignores_a_leading_v() {
        let mut f = healthy();
        f.snapshot.clusters = live(vec![ClusterRow {
            plugin_version: Some("0.13.0".into()),
            ..cluster()
        }]);
        let out = run(&f);
        let x = one(&out, "PLG010");
        assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
        assert_eq!(
            x.evidence,
            vec![
                "status.pluginStatus[barman-cloud.cloudnative-pg.io].version: 0.13.0".to_string(),
                "Deployment cnpg-system/barman-cloud spec.template.spec.containers[barman-cloud].image: ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0".to_string(),
            ]
        );
        assert!(
            x.remedy
                .contains("kubectl rollout restart deployment barman-cloud -n cnpg-system")
        );

        f.snapshot.clusters = live(vec![ClusterRow {
            plugin_version: Some("v0.14.0".into()),
            ..cluster()
        }]);
        assert!(!codes(&run(&f)).contains(&"PLG010"));
    }

    #[test]
    fn plg011_instance_pod_without_the_sidecar() {
        let mut f = healthy();
        let bare = PodRow {
            sidecars: vec![],
            images: vec![(
                "postgres".into(),
                "ghcr.io/cloudnative-pg/postgresql:17".into(),
            )],
            ..instance_pod("pg-2")
        };
        with_pods(
            &mut f,
            vec![
                plugin_pod(),
                operator_pod(),
                instance_pod("pg-1"),
                bare.clone(),
            ],
        );
        let out = run(&f);
        assert_eq!(codes(&out), vec!["PLG011"]);
        let x = one(&out, "PLG011");
        assert_eq!(x.object, ObjectRef::new(Kind::Cluster, "db", "pg"));
        assert_eq!(
            x.evidence,
            vec!["Pod db/pg-2 spec.initContainers with restartPolicy Always: none".to_string()]
        );
        assert!(x.remedy.contains("kubectl cnpg restart pg -n db"));

        // Near miss: the plugin entry is disabled, so no sidecar is expected.
        let mut near = f.clone();
        let disabled = PluginRef {
            enabled: false,
            wal_archiver: false,
            object_store: Some("store".into()),
            server_name: None,
        };
        near.snapshot.clusters = live(vec![ClusterRow {
            plugin: Some(disabled),
            ..cluster()
        }]);
        assert!(!codes(&run(&near)).contains(&"PLG011"));

        // Near miss: a pod of another cluster, or not an instance.
        let other = PodRow {
            labels: labels(&[
                ("cnpg.io/cluster", "pg-other"),
                ("cnpg.io/podRole", "instance"),
            ]),
            ..bare.clone()
        };
        let pooler = PodRow {
            labels: labels(&[("cnpg.io/cluster", "pg"), ("cnpg.io/podRole", "pooler")]),
            ..bare
        };
        with_pods(&mut f, vec![plugin_pod(), operator_pod(), other, pooler]);
        assert!(!codes(&run(&f)).contains(&"PLG011"));
    }

    #[test]
    fn unknown_when_pods_are_forbidden() {
        let mut f = healthy();
        f.snapshot.pods = forbidden("pods");
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        assert!(
            out.unknown
                .iter()
                .any(|u| u.reason == "pods: forbidden (list)")
        );
    }

    #[test]
    fn unknown_when_services_or_clusters_cannot_be_read() {
        let mut f = healthy();
        f.snapshot.services = state(SyncState::Error(
            "the server is currently unable to handle the request".into(),
        ));
        f.snapshot.clusters = state(SyncState::Syncing);
        let out = run(&f);
        assert!(out.findings.is_empty(), "{:#?}", out.findings);
        let reasons: Vec<&str> = out.unknown.iter().map(|u| u.reason.as_str()).collect();
        assert_eq!(
            reasons,
            vec![
                "clusters.postgresql.cnpg.io: not read yet",
                "services: the server is currently unable to handle the request"
            ]
        );
    }

    #[test]
    fn images_are_told_apart_from_the_sidecar() {
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0"
        ));
        assert!(is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud@sha256:8db0"
        ));
        assert!(!is_plugin_image(
            "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0"
        ));
    }

    #[tokio::test]
    async fn builtin_scenarios_give_exactly_their_plg_codes() -> anyhow::Result<()> {
        let now: DateTime<Utc> = "2026-11-24T06:00:00Z".parse()?;
        for name in crate::sim::scenario::builtin_names() {
            let facts = crate::checks::facts_from_scenario(name, now).await?;
            let out = rules(&facts, now, &Thresholds::default());
            let got: BTreeSet<String> = out.findings.iter().map(|f| f.code.to_string()).collect();
            let expected: BTreeSet<String> = crate::sim::scenario::load(name, now)?
                .expect
                .into_iter()
                .filter(|c| c.starts_with("PLG"))
                .collect();
            assert_eq!(got, expected, "scenario {name}");
            assert!(out.unknown.is_empty(), "scenario {name}: {:?}", out.unknown);
        }
        Ok(())
    }
}
