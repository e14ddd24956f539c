//! The CloudNativePG operator and where the plugin is installed: PLG001 (CNPG not served),
//! PLG002 (the plugin not installed or not discoverable), PLG003 (the plugin outside the
//! operator's namespace), PLG007 (the operator has no ready replica), PLG012 (a plugin
//! Service the operator does not register), PLG013 (an operator too old for the plugin), PLG014 (an operator
//! older than recommended, or without the switchover fix a migration needs).

use std::collections::{BTreeMap, BTreeSet};

use super::{AREA, Ctx, INSTALL_CNPG, INSTALL_PLUGIN, false_conditions};
use crate::assess::read::{selects, warning_events};
use crate::assess::{Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::domain::{
    OPERATOR_APP, OPERATOR_LABEL, PLUGIN_CLIENT_SECRET_ANNOTATION, PLUGIN_EVENT_SOURCE,
    PLUGIN_NAME, PLUGIN_PORT_ANNOTATION, PLUGIN_SELECTOR, PLUGIN_SERVER_SECRET_ANNOTATION,
    PLUGIN_SERVICE,
};
use crate::model::rows::{ClusterRow, DeploymentRow, PodRow};
use crate::model::rows::{EventRow, image_tag};
use crate::model::state::Readable;
use std::sync::Arc;

/// PLG001.
pub(super) fn cnpg_not_installed(what: &str) -> Finding {
    let crd = Kind::Cluster.qualified();
    Finding {
        code: "PLG001",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::CustomResourceDefinition, "", &crd),
        summary: format!("CloudNativePG is not installed: the {crd} API is not served"),
        evidence: vec![format!("{crd}: not served ({what})")],
        remedy: format!(
            "Install the CloudNativePG operator (1.26 or newer), through your GitOps repository or directly: {INSTALL_CNPG}"
        ),
    }
}

/// PLG002: some Cluster names the plugin, but the operator cannot find it.
pub(super) fn installed(out: &mut Outcome, c: &Ctx) {
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
    let stores = Kind::ObjectStore.qualified();
    if let Readable::NotInstalled(what) = c.f.snapshot.object_stores.readable(&stores) {
        let mut evidence = vec![format!("{stores}: not served ({what})")];
        evidence.extend(named);
        out.push(Finding {
            code: "PLG002",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::CustomResourceDefinition, "", &stores),
            summary: format!(
                "The Barman Cloud plugin is not installed (no {stores}), yet Cluster {who} uses it"
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
    if !plugins.is_empty() || !c.f.snapshot.services.complete() {
        return;
    }
    let ns = operator_namespaces(c)
        .into_iter()
        .next()
        .unwrap_or_else(|| "cnpg-system".into());
    let mut evidence = vec![format!(
        "services -l {PLUGIN_SELECTOR} (all namespaces): none"
    )];
    evidence.extend(named);
    out.push(Finding {
        code: "PLG002",
        severity: Severity::Critical,
        object: ObjectRef::new(Kind::Service, &ns, PLUGIN_SERVICE),
        summary: format!(
            "No Service is labelled {PLUGIN_SELECTOR}: the operator cannot find the Barman Cloud plugin that Cluster {who} uses"
        ),
        evidence,
        remedy: format!(
            "Install the plugin in the operator's namespace ({ns}), or restore its Service with the label {PLUGIN_SELECTOR}: {INSTALL_PLUGIN}; check with: kubectl get services -A -l {PLUGIN_SELECTOR}"
        ),
    });
}

pub(super) fn is_operator(labels: &BTreeMap<String, String>) -> bool {
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
pub(super) fn operator_namespace(out: &mut Outcome, c: &Ctx) {
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

/// The Warning reasons of the operator's plugin registration, recorded on the Service.
const REGISTRATION_WARNINGS: [&str; 6] = [
    "ServerSecretNotFound",
    "ClientSecretNotFound",
    "InvalidPortAnnotation",
    "InvalidClientCertificate",
    "InvalidServerCertificate",
    "PluginRegistrationFailed",
];
/// The Normal reason once the plugin is registered.
const REGISTERED: &str = "PluginRegistered";

/// The newest registration event about a Service, when it is a failure: an older failure
/// followed by PluginRegistered is resolved.
fn failed_registration<'a>(c: &Ctx<'a>, ns: &str, name: &str) -> Option<&'a EventRow> {
    c.f.events
        .rows
        .iter()
        .map(|e| e.as_ref())
        .filter(|e| {
            e.involved_kind == Kind::Service.name()
                && e.involved_namespace == ns
                && e.involved_name == name
                && e.source == PLUGIN_EVENT_SOURCE
                && (e.reason == REGISTERED || REGISTRATION_WARNINGS.contains(&e.reason.as_str()))
        })
        .max_by_key(|e| e.last_seen)
        .filter(|e| e.reason != REGISTERED)
}

/// PLG012: a labelled plugin Service the operator skips or fails to register. It needs the
/// label and three annotations (else it skips the Service without a word), then both
/// Secrets with parseable certificates; since 1.29 it records each failure as an event.
pub(super) fn registration(out: &mut Outcome, c: &Ctx) {
    let Some(plugins) = &c.plugins else { return };
    let op_ns = operator_namespaces(c);
    // A Service outside the operator's namespace is PLG003's: it is never registered.
    for p in plugins
        .iter()
        .filter(|p| op_ns.is_empty() || op_ns.contains(&p.svc.namespace))
    {
        let (ns, svc) = (p.svc.namespace.as_str(), p.svc.name.as_str());
        let annotation = |a: &str| {
            p.svc
                .annotations
                .get(a)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let missing: Vec<&str> = [
            PLUGIN_SERVER_SECRET_ANNOTATION,
            PLUGIN_CLIENT_SECRET_ANNOTATION,
            PLUGIN_PORT_ANNOTATION,
        ]
        .into_iter()
        .filter(|a| annotation(a).is_none())
        .collect();
        let bad_port = annotation(PLUGIN_PORT_ANNOTATION).filter(|v| v.parse::<u16>().is_err());
        let event = failed_registration(c, ns, svc);
        // The Secrets the annotations name, where the Secrets were read whole: an absent
        // one stops the registration on every CNPG version, with or without its event.
        let secrets = &c.f.secrets;
        let absent: Vec<(&str, &str)> = [
            PLUGIN_SERVER_SECRET_ANNOTATION,
            PLUGIN_CLIENT_SECRET_ANNOTATION,
        ]
        .into_iter()
        .filter_map(|a| annotation(a).map(|name| (a, name)))
        .filter(|(_, name)| {
            secrets.complete() && !secrets.in_namespace(ns).iter().any(|sec| sec.name == *name)
        })
        .collect();
        if missing.is_empty() && bad_port.is_none() && event.is_none() && absent.is_empty() {
            continue;
        }
        let mut evidence: Vec<String> = missing
            .iter()
            .map(|a| format!("Service {ns}/{svc} metadata.annotations[{a}]: absent"))
            .collect();
        if let Some(v) = bad_port {
            evidence.push(format!(
                "Service {ns}/{svc} metadata.annotations[{PLUGIN_PORT_ANNOTATION}]: {v:?} (not a port number)"
            ));
        }
        evidence.extend(
            absent
                .iter()
                .map(|(a, name)| format!("Secret {ns}/{name} (named by {a}): absent")),
        );
        evidence.extend(event.map(|e| {
            format!(
                "event {} {} ({}): {}",
                e.kind, e.reason, e.source, e.message
            )
        }));
        let (summary, remedy) = if !missing.is_empty() {
            (
                format!(
                    "The operator skips the Barman Cloud plugin Service {ns}/{svc}: it lacks the annotation {}",
                    missing.join(", ")
                ),
                format!(
                    "Add the missing annotations to the Service, in Git if Flux applies it, as the plugin's manifest and Helm chart set them: {PLUGIN_SERVER_SECRET_ANNOTATION} and {PLUGIN_CLIENT_SECRET_ANNOTATION} name the plugin's server and client TLS Secrets in {ns} (kubectl -n {ns} get secrets --field-selector type=kubernetes.io/tls), {PLUGIN_PORT_ANNOTATION} the port it listens on (\"9090\"); for example: kubectl -n {ns} annotate service {svc} {PLUGIN_PORT_ANNOTATION}=9090. The operator registers the plugin as soon as the Service is complete, without a restart"
                ),
            )
        } else if let Some(v) = bad_port {
            (
                format!(
                    "The operator cannot register the Barman Cloud plugin from Service {ns}/{svc}: {PLUGIN_PORT_ANNOTATION} is {v:?}, not a port number"
                ),
                format!(
                    "Set the annotation to the port the plugin listens on (9090 in the plugin's manifest and Helm chart), in Git if Flux applies it: kubectl -n {ns} annotate service {svc} --overwrite {PLUGIN_PORT_ANNOTATION}=9090"
                ),
            )
        } else if let Some((_, name)) = absent.first() {
            (
                format!(
                    "The operator cannot register the Barman Cloud plugin from Service {ns}/{svc}: its TLS Secret {name} does not exist"
                ),
                format!(
                    "Create or restore the Secret the Service names: with cert-manager, see why its Certificate has not issued it: kubectl -n {ns} get certificates; kubectl -n {ns} describe certificate <the one with secretName {name}>. The operator watches these Secrets and registers the plugin once it can read them, without a restart"
                ),
            )
        } else {
            let e = event.map(|e| e.reason.as_str()).unwrap_or_default();
            let secret = |a: &str| annotation(a).unwrap_or("<secret>").to_string();
            let remedy = match e {
                "ServerSecretNotFound" | "ClientSecretNotFound" => {
                    let name = if e == "ServerSecretNotFound" {
                        secret(PLUGIN_SERVER_SECRET_ANNOTATION)
                    } else {
                        secret(PLUGIN_CLIENT_SECRET_ANNOTATION)
                    };
                    format!(
                        "The TLS Secret the Service names does not exist (or the operator may not read it): kubectl -n {ns} get secret {name}; with cert-manager, see why its Certificate has not issued it: kubectl -n {ns} get certificates; kubectl -n {ns} describe certificate <the one with secretName {name}>. The operator watches these Secrets and registers the plugin once it can read them, without a restart"
                    )
                }
                "InvalidClientCertificate" | "InvalidServerCertificate" => format!(
                    "The Secret does not hold a usable PEM certificate and key (tls.crt, tls.key): kubectl -n {ns} describe secret {} {} (key names and sizes only); with cert-manager, re-issue it: kubectl -n {ns} get certificates, then cmctl renew <certificate> -n {ns}. The operator registers the plugin again once the Secret changes",
                    secret(PLUGIN_SERVER_SECRET_ANNOTATION),
                    secret(PLUGIN_CLIENT_SECRET_ANNOTATION)
                ),
                _ => format!(
                    "Read why in the operator's log: kubectl logs -n <operator namespace> -l {OPERATOR_LABEL}={OPERATOR_APP} --tail=500 | grep -i plugin; fix the Service or its Secrets, and the operator retries by itself"
                ),
            };
            (
                format!(
                    "The operator could not register the Barman Cloud plugin from Service {ns}/{svc} ({e})"
                ),
                remedy,
            )
        };
        out.push(Finding {
            code: "PLG012",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::Service, ns, svc),
            summary,
            evidence,
            remedy,
        });
    }
}

/// PLG007.
pub(super) fn operator_ready(out: &mut Outcome, c: &Ctx) {
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
            evidence.extend(warning_events(
                c.f,
                Kind::Deployment,
                &d.namespace,
                &d.name,
                2,
            ));
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

/// A release as `major.minor.patch` from an image tag (`1.30.0`, `v1.28.3`); None for
/// anything else (a digest, `latest`, a branch build).
fn release(tag: &str) -> Option<(u32, u32, u32)> {
    let mut parts = tag.strip_prefix('v').unwrap_or(tag).splitn(3, '.');
    let num = |p: Option<&str>| -> Option<u32> {
        let p = p?;
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse().ok()
    };
    Some((num(parts.next())?, num(parts.next())?, num(parts.next())?))
}

/// Whether a release has the fix for the switchover deadlock of a Cluster moved to the
/// plugin with primaryUpdateMethod switchover (1.28.4, 1.29.2, 1.30.0 and newer).
pub fn switchover_fixed(v: (u32, u32, u32)) -> bool {
    match v {
        (1, 28, p) => p >= 4,
        (1, 29, p) => p >= 2,
        (1, m, _) => m >= 30,
        (major, _, _) => major > 1,
    }
}

/// The CloudNativePG operator's release, read off its Deployment's image.
pub struct OperatorRelease<'a> {
    pub deployment: &'a DeploymentRow,
    pub container: &'a str,
    pub image: &'a str,
    pub tag: String,
    pub version: (u32, u32, u32),
}

/// The operator Deployments whose image names a release (a digest names none).
pub fn operator_releases(deps: &[Arc<DeploymentRow>]) -> Vec<OperatorRelease<'_>> {
    let mut out = Vec::new();
    for d in deps.iter().filter(|d| is_operator(&d.labels)) {
        let Some((ctr, image)) = d.images.iter().find(|(_, i)| {
            let last = i.rsplit('/').next().unwrap_or(i);
            last.starts_with("cloudnative-pg:") || last.starts_with("cloudnative-pg@")
        }) else {
            continue;
        };
        if image.contains('@') {
            continue;
        }
        let tag = image_tag(image);
        let Some(version) = release(&tag) else {
            continue;
        };
        out.push(OperatorRelease {
            deployment: d,
            container: ctr,
            image,
            tag,
            version,
        });
    }
    out
}

/// PLG013 and PLG014: the CloudNativePG operator's version, from its Deployment's image, against what
/// the plugin needs (1.26), recommends (1.27) and what a migration needs (the switchover fix).
pub(super) fn operator_version(out: &mut Outcome, c: &Ctx) {
    let wanted = c.plugins.as_ref().is_some_and(|p| !p.is_empty())
        || c.clusters
            .is_some_and(|cl| cl.iter().any(|x| x.plugin.is_some()));
    let Some(deps) = c.deployments.filter(|_| wanted) else {
        return;
    };
    for r in operator_releases(deps) {
        let (d, ctr, image, tag, v) = (r.deployment, r.container, r.image, r.tag, r.version);
        let too_old = v < (1, 26, 0);
        let mut gaps = Vec::new();
        if too_old {
            gaps.push("the Barman Cloud plugin needs CloudNativePG 1.26 or newer".to_string());
        } else if v < (1, 27, 0) {
            gaps.push("the plugin recommends CloudNativePG 1.27 or newer".to_string());
        }
        if !switchover_fixed(v) {
            gaps.push("moving a Cluster with primaryUpdateMethod: switchover to the plugin can deadlock its former primary until 1.28.4, 1.29.2 or 1.30.0".to_string());
        }
        if gaps.is_empty() {
            continue;
        }
        let (ns, n) = (&d.namespace, &d.name);
        let mut evidence = vec![format!(
            "Deployment {ns}/{n} spec.template.spec.containers[{ctr}].image: {image}"
        )];
        evidence.extend(gaps.iter().cloned());
        // The catalog gives each code one severity: below the minimum is PLG013, the
        // recommended version and the migration fix are PLG014.
        let (code, severity) = if too_old {
            ("PLG013", Severity::Critical)
        } else {
            ("PLG014", Severity::Warning)
        };
        out.push(Finding {
            code,
            severity,
            object: ObjectRef::new(Kind::Deployment, ns, n),
            summary: format!(
                "The CloudNativePG operator {ns}/{n} runs {tag}: {}",
                gaps.join("; ")
            ),
            evidence,
            remedy: format!(
                "Upgrade the operator (in Git if Flux applies it) to the newest patch of a supported minor, at least 1.28.4, 1.29.2 or 1.30.0, before moving Clusters to the plugin: {INSTALL_CNPG}; see the CloudNativePG release notes, https://cloudnative-pg.io/documentation/current/release_notes/"
            ),
        });
    }
}
