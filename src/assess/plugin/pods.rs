//! The plugin's own pods: PLG004 (not running), PLG005 (OOMKilled), PLG006 (restarting).

use super::{AREA, Ctx, INSTALL_PLUGIN, Plugin, TLS_ANNOTATIONS, false_conditions};
use crate::assess::read::{FAILING, namespace_in_view, selector_text, warning_events};
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::PLUGIN_CONTAINER;
use crate::model::kubefmt::{human_duration, ts};
use crate::model::rows::PodRow;

/// How long a pod may take to become ready before "not ready" counts as stuck: pulling an
/// image and passing the first readiness probe fit well within it.
const START_GRACE_SECS: i64 = 300;
/// PLG006 counts restarts only when the last one ended within this many hours: a pod that
/// restarted three times months ago and has run since is healthy.
const RESTART_WINDOW_HOURS: i64 = 24;
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

fn memory_patch(ns: &str, dep: &str, container: &str) -> String {
    format!(
        "kubectl -n {ns} patch deployment {dep} --type=merge -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"{container}\",\"resources\":{{\"limits\":{{\"memory\":\"256Mi\"}}}}}}]}}}}}}}}'"
    )
}

/// PLG004, PLG005, PLG006 for one plugin install.
pub(super) fn plugin_pods(out: &mut Outcome, c: &Ctx, p: &Plugin) {
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
            evidence.extend(warning_events(c.f, Kind::Pod, &pod.namespace, &pod.name, 3));
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
                summary: match pod.restarts {
                    0 | 1 => format!(
                        "Barman Cloud plugin container {container} in pod {}/{} was OOMKilled",
                        pod.namespace, pod.name
                    ),
                    n => format!(
                        "Barman Cloud plugin container {container} in pod {}/{} was OOMKilled ({n} restarts)",
                        pod.namespace, pod.name
                    ),
                },
                evidence,
                remedy: format!(
                    "Raise its memory limit: {}.{}",
                    memory_patch(ns, dep, container),
                    p.gitops_note(c.f)
                ),
            });
        }
        // The lifetime count never goes down: only a restart within the window is news.
        let recent = pod
            .last_termination_at
            .is_none_or(|at| c.now - at <= chrono::Duration::hours(RESTART_WINDOW_HOURS));
        // Restarts whose last one ended OOMKilled are PLG005's: one cause, one finding.
        if pod.restarts >= c.th.restarts && recent && !oom {
            let mut evidence = pod_evidence(pod);
            evidence.extend(warning_events(c.f, Kind::Pod, &pod.namespace, &pod.name, 2));
            out.push(Finding {
                code: "PLG006",
                severity: Severity::Warning,
                object: ObjectRef::new(Kind::Pod, &pod.namespace, &pod.name),
                summary: match pod.last_termination_at {
                    Some(at) => format!(
                        "Barman Cloud plugin pod {}/{} restarted {} times (threshold {}), the last {} ago",
                        pod.namespace,
                        pod.name,
                        pod.restarts,
                        c.th.restarts,
                        human_duration(c.now - at)
                    ),
                    None => format!(
                        "Barman Cloud plugin pod {}/{} restarted {} times (threshold {})",
                        pod.namespace, pod.name, pod.restarts, c.th.restarts
                    ),
                },
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
            evidence.extend(warning_events(
                c.f,
                Kind::Deployment,
                &d.namespace,
                &d.name,
                2,
            ));
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
