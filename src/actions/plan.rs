//! Planning an action from what the dashboard sees: one function per verb, each saying
//! in words for the footer why it does not apply to a kind or an object.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::json;

use super::{Body, Follow, Plan, Request, Verb};
use crate::assess::read::is_plugin_image;
use crate::model::Snapshot;
use crate::model::domain::{CLUSTER_LABEL, PLUGIN_LABEL, PLUGIN_NAME, REQUESTED_AT, RESTARTED_AT};
use crate::model::rows::DeploymentRow;
use crate::model::{Kind, ObjectRef};

/// Plans `verb` on `target`, from what the dashboard sees. An action that does not apply
/// says why, in words for the footer.
pub fn plan(
    verb: Verb,
    target: &ObjectRef,
    snapshot: &Snapshot,
    deployments: &[Arc<DeploymentRow>],
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    match verb {
        Verb::Reconcile | Verb::ReconcileWithSource => reconcile(verb, target, snapshot, now),
        Verb::ToggleSuspend => toggle_suspend(target, snapshot),
        Verb::Restart => restart(target, snapshot, deployments, now),
        Verb::BackupNow => backup_now(target, snapshot, now),
    }
}

/// Flux's "reconcile now": the requestedAt annotation on the object.
fn annotate(kind: Kind, namespace: &str, name: &str, at: &str) -> Request {
    Request {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        body: Body::Merge,
        payload: json!({"metadata": {"annotations": {REQUESTED_AT: at}}}),
    }
}

fn suspend(kind: Kind, namespace: &str, name: &str, to: bool) -> Request {
    Request {
        kind,
        namespace: namespace.to_string(),
        name: name.to_string(),
        body: Body::Merge,
        payload: json!({"spec": {"suspend": to}}),
    }
}

/// The Deployment that owns a pod: the one in its namespace whose selector it matches.
fn deployment_of<'a>(
    deployments: &'a [Arc<DeploymentRow>],
    namespace: &str,
    labels: &BTreeMap<String, String>,
) -> Option<&'a DeploymentRow> {
    deployments.iter().map(|d| d.as_ref()).find(|d| {
        d.namespace == namespace
            && !d.selector.is_empty()
            && d.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    })
}

/// Reconcile (with its source, for `Verb::ReconcileWithSource`) a Kustomization or a
/// GitRepository, as `flux reconcile` does.
fn reconcile(
    verb: Verb,
    target: &ObjectRef,
    snapshot: &Snapshot,
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let nanos = now.to_rfc3339_opts(SecondsFormat::Nanos, true);
    let follow = Follow::Reconcile {
        namespace: ns.into(),
        name: name.into(),
        requested_at: nanos.clone(),
    };
    let (what, commands, requests) = match target.kind {
        Kind::Kustomization => reconcile_kustomization(verb, target, snapshot, &nanos)?,
        Kind::GitRepository | Kind::OCIRepository | Kind::HelmRepository => {
            let kind = target.kind;
            (
                format!(
                    "Asks source-controller to fetch {kind} {ns}/{name} now: sets metadata.annotations[{REQUESTED_AT}] and waits until status.lastHandledReconcileAt matches."
                ),
                vec![format!(
                    "flux reconcile source {} {name} -n {ns}",
                    flux_source_word(kind)
                )],
                vec![annotate(kind, ns, name, &nanos)],
            )
        }
        Kind::HelmRelease => reconcile_helm_release(verb, target, snapshot, &nanos)?,
        Kind::Pod => {
            return Err(
                "r on a plugin or operator pod restarts its Deployment; reconcile is for Flux rows"
                    .into(),
            );
        }
        kind => {
            return Err(format!(
                "a {kind} cannot be reconciled: select a Kustomization, HelmRelease or Flux source"
            ));
        }
    };
    Ok(Plan {
        verb,
        target: target.clone(),
        what,
        commands,
        requests,
        follow,
    })
}

/// The word `flux reconcile source` and `flux suspend source` use for a source kind.
fn flux_source_word(kind: Kind) -> &'static str {
    match kind {
        Kind::OCIRepository => "oci",
        Kind::HelmRepository => "helm",
        _ => "git",
    }
}

/// A HelmRelease's reconcile, as `flux reconcile helmrelease` does: helm-controller honours
/// the same annotation; `--with-source` asks its chart's OCI or Helm repository first.
fn reconcile_helm_release(
    verb: Verb,
    target: &ObjectRef,
    snapshot: &Snapshot,
    nanos: &str,
) -> Result<(String, Vec<String>, Vec<Request>), String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let hr = snapshot
        .helm_releases
        .in_namespace(ns)
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| format!("HelmRelease {ns}/{name} is not in view any more"))?;
    if hr.suspended {
        // As flux refuses: helm-controller ignores a suspended release's request, so the
        // follow would wait for a lastHandledReconcileAt that never comes.
        return Err(format!(
            "HelmRelease {ns}/{name} is suspended: resume it first (s)"
        ));
    }
    let mut requests = Vec::new();
    let mut what = String::new();
    let mut command = format!("flux reconcile helmrelease {name} -n {ns}");
    if verb == Verb::ReconcileWithSource {
        let source = match hr.source.kind.as_str() {
            "OCIRepository" => Kind::OCIRepository,
            "HelmRepository" => Kind::HelmRepository,
            other => {
                return Err(format!(
                    "HelmRelease {ns}/{name}'s chart comes from a {other}: reconcile that source itself"
                ));
            }
        };
        let (sns, sname) = (hr.source.namespace.as_str(), hr.source.name.as_str());
        requests.push(annotate(source, sns, sname, nanos));
        what.push_str(&format!(
            "Asks source-controller to fetch {source} {sns}/{sname}, then "
        ));
        command.push_str(" --with-source");
    }
    requests.push(annotate(Kind::HelmRelease, ns, name, nanos));
    what.push_str(&format!(
        "asks helm-controller to reconcile HelmRelease {ns}/{name} now: sets metadata.annotations[{REQUESTED_AT}] and waits until status.lastHandledReconcileAt matches, then reports Ready."
    ));
    if let Some(first) = what.get(..1) {
        what = first.to_uppercase() + &what[1..];
    }
    Ok((what, vec![command], requests))
}

/// What a Kustomization's reconcile will do, its commands and its requests: its source's
/// first when asked `--with-source`.
fn reconcile_kustomization(
    verb: Verb,
    target: &ObjectRef,
    snapshot: &Snapshot,
    nanos: &str,
) -> Result<(String, Vec<String>, Vec<Request>), String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let ks = snapshot
        .kustomizations
        .in_namespace(ns)
        .iter()
        .find(|k| k.name == name)
        .ok_or_else(|| format!("Kustomization {ns}/{name} is not in view any more"))?;
    if ks.suspended {
        // As flux refuses: a suspended object ignores the request.
        return Err(format!(
            "Kustomization {ns}/{name} is suspended: resume it first (s)"
        ));
    }
    let mut requests = Vec::new();
    let mut what = String::new();
    let mut flag = "";
    if verb == Verb::ReconcileWithSource {
        let source = &ks.source;
        if source.kind != Kind::GitRepository.name() {
            return Err(format!(
                "its source is a {}: backstop reconciles GitRepository sources",
                source.kind
            ));
        }
        requests.push(annotate(
            Kind::GitRepository,
            &source.namespace,
            &source.name,
            nanos,
        ));
        what.push_str(&format!(
            "Asks source-controller to fetch GitRepository {}/{} now, then ",
            source.namespace, source.name
        ));
        flag = " --with-source";
    }
    requests.push(annotate(Kind::Kustomization, ns, name, nanos));
    what.push_str(&format!(
        "{}sks kustomize-controller to reconcile Kustomization {ns}/{name} now: sets metadata.annotations[{REQUESTED_AT}] and waits until status.lastHandledReconcileAt matches, then reports Ready.",
        if what.is_empty() { "A" } else { "a" }
    ));
    let commands = vec![
        format!("flux reconcile kustomization {name} -n {ns}{flag}"),
        format!(
            "kubectl annotate --field-manager=flux-client-side-apply --overwrite -n {ns} kustomization/{name} {REQUESTED_AT}=\"{nanos}\""
        ),
    ];
    Ok((what, commands, requests))
}

/// Suspend a running Kustomization, HelmRelease, OCI or Helm source, or ScheduledBackup;
/// resume a suspended one.
fn toggle_suspend(target: &ObjectRef, snapshot: &Snapshot) -> Result<Plan, String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let gone = || format!("{} {ns}/{name} is not in view any more", target.kind);
    let (to, effect, flux) = match target.kind {
        Kind::Kustomization => {
            let ks = snapshot
                .kustomizations
                .in_namespace(ns)
                .iter()
                .find(|k| k.name == name)
                .ok_or_else(gone)?;
            let to = !ks.suspended;
            let (word, effect) = if to {
                (
                    "suspend",
                    "Flux stops applying it (and everything that depends on it waits) until it is resumed",
                )
            } else {
                (
                    "resume",
                    "setting spec.suspend bumps metadata.generation, so Flux reconciles it at once",
                )
            };
            (
                to,
                effect,
                Some(format!("flux {word} kustomization {name} -n {ns}")),
            )
        }
        Kind::HelmRelease | Kind::OCIRepository | Kind::HelmRepository => {
            let suspended = match target.kind {
                Kind::HelmRelease => snapshot
                    .helm_releases
                    .in_namespace(ns)
                    .iter()
                    .find(|r| r.name == name)
                    .map(|r| r.suspended),
                Kind::OCIRepository => snapshot
                    .oci_repos
                    .in_namespace(ns)
                    .iter()
                    .find(|r| r.name == name)
                    .map(|r| r.suspended),
                _ => snapshot
                    .helm_repos
                    .in_namespace(ns)
                    .iter()
                    .find(|r| r.name == name)
                    .map(|r| r.suspended),
            }
            .ok_or_else(gone)?;
            let to = !suspended;
            let word = if to { "suspend" } else { "resume" };
            let effect = if to {
                "Flux stops reconciling it until it is resumed"
            } else {
                "setting spec.suspend bumps metadata.generation, so Flux reconciles it at once"
            };
            let flux = if target.kind == Kind::HelmRelease {
                format!("flux {word} helmrelease {name} -n {ns}")
            } else {
                format!(
                    "flux {word} source {} {name} -n {ns}",
                    flux_source_word(target.kind)
                )
            };
            (to, effect, Some(flux))
        }
        Kind::ScheduledBackup => {
            let sb = snapshot
                .scheduled
                .in_namespace(ns)
                .iter()
                .find(|b| b.name == name)
                .ok_or_else(gone)?;
            let to = !sb.suspended;
            let effect = if to {
                "no backup is scheduled until it is resumed"
            } else {
                "backups are scheduled again from its next run"
            };
            (to, effect, None)
        }
        kind => {
            return Err(format!(
                "a {kind} cannot be suspended: select a Kustomization, HelmRelease, Flux source or ScheduledBackup"
            ));
        }
    };
    let singular = target.kind.name().to_lowercase();
    let kubectl = format!(
        "kubectl -n {ns} patch {singular} {name} --type merge -p '{{\"spec\":{{\"suspend\":{to}}}}}'"
    );
    Ok(Plan {
        verb: Verb::ToggleSuspend,
        target: target.clone(),
        what: format!(
            "Sets spec.suspend: {to} on {} {ns}/{name}: {effect}.",
            target.kind
        ),
        commands: flux.into_iter().chain([kubectl]).collect(),
        requests: vec![suspend(target.kind, ns, name, to)],
        follow: Follow::Done,
    })
}

/// `kubectl rollout restart` of the Deployment, or of the one that owns the pod.
fn restart(
    target: &ObjectRef,
    snapshot: &Snapshot,
    deployments: &[Arc<DeploymentRow>],
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let deployment = match target.kind {
        Kind::Deployment => deployments
            .iter()
            .map(|d| d.as_ref())
            .find(|d| d.namespace == ns && d.name == name),
        Kind::Pod => {
            let pod = snapshot
                .pods
                .in_namespace(ns)
                .iter()
                .find(|p| p.name == name)
                .ok_or_else(|| format!("pod {ns}/{name} is not in view any more"))?;
            deployment_of(deployments, ns, &pod.labels)
        }
        kind => {
            return Err(format!(
                "a {kind} cannot be restarted: select a plugin or operator pod"
            ));
        }
    }
    .ok_or_else(|| format!("no Deployment owns {ns}/{name} (or Deployments could not be read)"))?;
    let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
    let d = &deployment.name;
    // The plugin's manifest and Helm chart both use strategy Recreate (the operator keeps
    // one connection per plugin Service): its restart is a short full outage. The
    // operator's own Deployment keeps the default RollingUpdate.
    let how = if is_plugin_deployment(deployment, snapshot) {
        "the plugin's Deployment uses strategy Recreate: its pod is stopped before the new one starts, a short outage of the plugin (Cluster reconciles and backups that need it fail meanwhile)"
    } else {
        "its pods are replaced one by one as the rollout strategy allows"
    };
    Ok(Plan {
        verb: Verb::Restart,
        target: target.clone(),
        what: format!(
            "Restarts Deployment {ns}/{d}: sets spec.template.metadata.annotations[{RESTARTED_AT}], so {how}."
        ),
        commands: vec![format!("kubectl -n {ns} rollout restart deployment/{d}")],
        requests: vec![Request {
            kind: Kind::Deployment,
            namespace: ns.into(),
            name: d.clone(),
            body: Body::Strategic,
            payload: json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}),
        }],
        follow: Follow::Rollout {
            namespace: ns.into(),
            name: d.clone(),
        },
    })
}

/// Whether a Deployment runs the Barman Cloud plugin: a plugin Service selects its pods,
/// or its image is the plugin's.
fn is_plugin_deployment(d: &DeploymentRow, snapshot: &Snapshot) -> bool {
    let ours = |labels: &BTreeMap<String, String>| {
        !d.selector.is_empty() && d.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    };
    let pods = snapshot.pods.in_namespace(&d.namespace);
    snapshot
        .services
        .in_namespace(&d.namespace)
        .iter()
        .filter(|s| s.labels.get(PLUGIN_LABEL).map(String::as_str) == Some(PLUGIN_NAME))
        .any(|s| pods.iter().any(|p| s.selects(p) && ours(&p.labels)))
        || d.images.iter().any(|(_, i)| is_plugin_image(i))
}

/// `kubectl cnpg backup` of the Cluster, or of the one a Backup or schedule is for.
fn backup_now(target: &ObjectRef, snapshot: &Snapshot, now: DateTime<Utc>) -> Result<Plan, String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let cluster_name = match target.kind {
        Kind::Cluster => name.to_string(),
        Kind::Backup => snapshot
            .backups
            .in_namespace(ns)
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.cluster.clone())
            .ok_or("the backup is not in view any more")?,
        Kind::ScheduledBackup => snapshot
            .scheduled
            .in_namespace(ns)
            .iter()
            .find(|b| b.name == name)
            .map(|b| b.cluster.clone())
            .ok_or("the schedule is not in view any more")?,
        kind => {
            return Err(format!(
                "no backup for a {kind}: select a Cluster, a Backup or a ScheduledBackup"
            ));
        }
    };
    let cluster = snapshot
        .clusters
        .in_namespace(ns)
        .iter()
        .find(|c| c.name == cluster_name)
        .ok_or_else(|| format!("Cluster {ns}/{cluster_name} is not in view"))?;
    let plugin = cluster.plugin.as_ref().is_some_and(|p| p.enabled);
    if !plugin && !cluster.legacy_barman {
        return Err(format!(
            "Cluster {ns}/{cluster_name} has no backup configured (no plugin, no barmanObjectStore)"
        ));
    }
    // As `kubectl cnpg backup` names it: CLUSTER-YYYYMMDDhhmmss.
    let backup = format!("{cluster_name}-{}", now.format("%Y%m%d%H%M%S"));
    let (method, spec, flags) = if plugin {
        (
            "plugin",
            json!({"cluster": {"name": cluster_name}, "method": "plugin", "pluginConfiguration": {"name": PLUGIN_NAME}}),
            format!(" --method plugin --plugin-name {PLUGIN_NAME}"),
        )
    } else {
        (
            "barmanObjectStore",
            json!({"cluster": {"name": cluster_name}, "method": "barmanObjectStore"}),
            " --method barmanObjectStore".to_string(),
        )
    };
    Ok(Plan {
        verb: Verb::BackupNow,
        target: target.clone(),
        what: format!(
            "Creates Backup {ns}/{backup} (method {method}) for Cluster {cluster_name}, and follows it through its phases until it ends (completed, failed, walArchivingFailing or invalid backup definition)."
        ),
        commands: vec![format!(
            "kubectl cnpg backup {cluster_name} -n {ns} --backup-name {backup}{flags}"
        )],
        requests: vec![Request {
            kind: Kind::Backup,
            namespace: ns.into(),
            name: backup.clone(),
            body: Body::Create,
            payload: json!({
                "apiVersion": Kind::Backup.api_version(),
                "kind": Kind::Backup.name(),
                // `kubectl cnpg backup` labels it with its Cluster, as the operator's own
                // scheduled backups are.
                "metadata": {"name": backup, "namespace": ns, "labels": {CLUSTER_LABEL: cluster_name}},
                "spec": spec,
            }),
        }],
        follow: Follow::Backup {
            namespace: ns.into(),
            name: backup,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testing::{labels, live, now};
    use crate::model::rows::{ClusterRow, KustomizationRow, PluginRef, PodRow, ServiceRow};

    fn deploy(ns: &str, name: &str, app: &[(&str, &str)], image: &str) -> Arc<DeploymentRow> {
        Arc::new(DeploymentRow {
            namespace: ns.into(),
            name: name.into(),
            selector: labels(app),
            images: vec![("manager".into(), image.into())],
            ..Default::default()
        })
    }

    fn pod(ns: &str, name: &str, app: &[(&str, &str)]) -> PodRow {
        PodRow {
            namespace: ns.into(),
            name: name.into(),
            labels: labels(app),
            ..Default::default()
        }
    }

    #[test]
    fn restarting_the_plugin_says_recreate_is_an_outage_the_operator_rolls() {
        // The Helm chart's names: the plugin found through what its Service selects.
        let chart = [
            ("app.kubernetes.io/name", "plugin-barman-cloud"),
            ("app.kubernetes.io/instance", "backup"),
        ];
        let operator = [("app.kubernetes.io/name", "cloudnative-pg")];
        let snapshot = Snapshot {
            pods: live(vec![
                pod("cnpg-system", "backup-plugin-barman-cloud-7c9d-x2x", &chart),
                pod("cnpg-system", "cnpg-cloudnative-pg-5f4-abcde", &operator),
            ]),
            services: live(vec![ServiceRow {
                namespace: "cnpg-system".into(),
                name: "backup-plugin-barman-cloud".into(),
                labels: labels(&[(PLUGIN_LABEL, PLUGIN_NAME)]),
                selector: labels(&chart),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let deployments = vec![
            deploy(
                "cnpg-system",
                "backup-plugin-barman-cloud",
                &chart,
                "registry.example.com/mirror/sidecar:v0.14.0",
            ),
            deploy(
                "cnpg-system",
                "cnpg-cloudnative-pg",
                &operator,
                "ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0",
            ),
        ];
        let target = ObjectRef::new(
            Kind::Pod,
            "cnpg-system",
            "backup-plugin-barman-cloud-7c9d-x2x",
        );
        let p = plan(Verb::Restart, &target, &snapshot, &deployments, now()).expect("plans");
        assert_eq!(
            p.commands[0],
            "kubectl -n cnpg-system rollout restart deployment/backup-plugin-barman-cloud"
        );
        assert!(p.what.contains("strategy Recreate"), "{}", p.what);
        assert!(
            p.what.contains("a short outage of the plugin"),
            "{}",
            p.what
        );
        assert!(!p.what.contains("one by one"), "{}", p.what);

        let target = ObjectRef::new(Kind::Pod, "cnpg-system", "cnpg-cloudnative-pg-5f4-abcde");
        let p = plan(Verb::Restart, &target, &snapshot, &deployments, now()).expect("plans");
        assert!(p.what.contains("replaced one by one"), "{}", p.what);
    }

    #[test]
    fn resuming_says_flux_reconciles_at_once() {
        let snapshot = Snapshot {
            kustomizations: live(vec![KustomizationRow {
                namespace: "flux-system".into(),
                name: "apps".into(),
                suspended: true,
                ..Default::default()
            }]),
            ..Default::default()
        };
        let target = ObjectRef::new(Kind::Kustomization, "flux-system", "apps");
        let p = plan(Verb::ToggleSuspend, &target, &snapshot, &[], now()).expect("plans");
        assert!(
            p.what
                .ends_with("bumps metadata.generation, so Flux reconciles it at once."),
            "{}",
            p.what
        );
    }

    #[test]
    fn backup_now_labels_the_backup_with_its_cluster_like_kubectl_cnpg() {
        let snapshot = Snapshot {
            clusters: live(vec![ClusterRow {
                namespace: "orders".into(),
                name: "pg-orders".into(),
                plugin: Some(PluginRef {
                    enabled: true,
                    wal_archiver: true,
                    object_store: Some("orders-store".into()),
                    server_name: None,
                }),
                ..Default::default()
            }]),
            ..Default::default()
        };
        let target = ObjectRef::new(Kind::Cluster, "orders", "pg-orders");
        let p = plan(Verb::BackupNow, &target, &snapshot, &[], now()).expect("plans");
        let meta = &p.requests[0].payload["metadata"];
        assert_eq!(meta["labels"]["cnpg.io/cluster"], "pg-orders");
        assert!(
            p.what
                .contains("walArchivingFailing or invalid backup definition")
        );
    }

    #[test]
    fn a_helm_release_reconciles_with_its_oci_source_and_suspends_as_flux_does() {
        use crate::model::rows::{HelmReleaseRow, SourceRef};
        let snapshot = Snapshot {
            helm_releases: live(vec![HelmReleaseRow {
                namespace: "cnpg-system".into(),
                name: "plugin-barman-cloud".into(),
                chart: "plugin-barman-cloud".into(),
                source: SourceRef {
                    kind: "OCIRepository".into(),
                    namespace: "flux-system".into(),
                    name: "plugin-barman-cloud".into(),
                },
                ..Default::default()
            }]),
            ..Default::default()
        };
        let target = ObjectRef::new(Kind::HelmRelease, "cnpg-system", "plugin-barman-cloud");
        let p = reconcile(Verb::ReconcileWithSource, &target, &snapshot, now())
            .unwrap_or_else(|e| panic!("plans: {e}"));
        assert_eq!(
            p.commands,
            ["flux reconcile helmrelease plugin-barman-cloud -n cnpg-system --with-source"]
        );
        let kinds: Vec<Kind> = p.requests.iter().map(|r| r.kind).collect();
        assert_eq!(
            kinds,
            [Kind::OCIRepository, Kind::HelmRelease],
            "the source first"
        );
        assert!(
            p.what
                .starts_with("Asks source-controller to fetch OCIRepository"),
            "{}",
            p.what
        );
        let p = toggle_suspend(&target, &snapshot).unwrap_or_else(|e| panic!("plans: {e}"));
        assert_eq!(
            p.commands[0],
            "flux suspend helmrelease plugin-barman-cloud -n cnpg-system"
        );
        assert!(
            p.commands[1].contains("kubectl -n cnpg-system patch helmrelease plugin-barman-cloud")
        );
        let source = ObjectRef::new(Kind::OCIRepository, "flux-system", "plugin-barman-cloud");
        assert!(toggle_suspend(&source, &snapshot).is_err(), "not in view");
        // A suspended release ignores the request, as flux says: refused before anything is sent.
        let mut suspended = snapshot.clone();
        let mut hr = suspended.helm_releases.rows[0].as_ref().clone();
        hr.suspended = true;
        suspended.helm_releases = live(vec![hr]);
        assert_eq!(
            reconcile(Verb::Reconcile, &target, &suspended, now()).map(|p| p.commands),
            Err(
                "HelmRelease cnpg-system/plugin-barman-cloud is suspended: resume it first (s)"
                    .into()
            )
        );
    }
}
