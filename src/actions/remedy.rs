//! What a diagnosis's action acts on: the verb, and the object the dashboard sees that it
//! means (which pod is the plugin, which Kustomization, which Cluster). Pure, so the walker
//! shows each action with its target, or why there is none, before anything is asked.

use super::Verb;
use crate::model::domain::{
    OPERATOR_APP, OPERATOR_LABEL, PLUGIN_LABEL, PLUGIN_NAME, PLUGIN_SELECTOR,
};
use crate::model::rows::{KustomizationRow, ServiceRow};
use crate::model::{Kind, ObjectRef, Snapshot};
use crate::trees::model::RemedyAction;

/// The inventory entry of the plugin's Deployment in the Kustomization that delivers it,
/// as the manifest names it (the Helm chart's name carries its release: found by Service).
const PLUGIN_DEPLOYMENT_ENTRY: &str = "_barman-cloud_apps_Deployment";

/// The verb `action` means and the object it acts on, from what is in view and the object
/// the walk is about; or why it has nothing to act on.
pub fn resolve(
    action: RemedyAction,
    snapshot: &Snapshot,
    context: Option<&ObjectRef>,
) -> Result<(Verb, ObjectRef), String> {
    let (verb, target) = match action {
        RemedyAction::RestartPlugin => (Verb::Restart, plugin_pod(snapshot)),
        RemedyAction::RestartOperator => (
            Verb::Restart,
            pod_labelled(snapshot, OPERATOR_LABEL, OPERATOR_APP),
        ),
        RemedyAction::Reconcile => (Verb::Reconcile, kustomization(snapshot, context, false)),
        RemedyAction::ReconcileWithSource => (
            Verb::ReconcileWithSource,
            kustomization(snapshot, context, false),
        ),
        // Suspending is the seed's emergency stop for the plugin: its Kustomization first.
        RemedyAction::Suspend => (Verb::ToggleSuspend, kustomization(snapshot, context, true)),
        RemedyAction::Resume => (Verb::ToggleSuspend, suspended(snapshot, context)),
        RemedyAction::BackupNow => (Verb::BackupNow, cluster(snapshot, context)),
    };
    target.map(|t| (verb, t))
}

/// The first pod in view labelled `key=value`.
fn pod_labelled(s: &Snapshot, key: &str, value: &str) -> Result<ObjectRef, String> {
    s.pods
        .rows
        .iter()
        .find(|p| p.labels.get(key).map(String::as_str) == Some(value))
        .map(|p| ObjectRef::new(Kind::Pod, &p.namespace, &p.name))
        .ok_or_else(|| format!("no pod labelled {key}={value} in view"))
}

/// The plugin's Services: the ones the operator finds it by.
fn plugin_services(s: &Snapshot) -> impl Iterator<Item = &ServiceRow> {
    s.services
        .rows
        .iter()
        .map(|x| x.as_ref())
        .filter(|x| x.labels.get(PLUGIN_LABEL).map(String::as_str) == Some(PLUGIN_NAME))
}

/// The first pod a plugin Service selects: the manifest and the Helm chart label the
/// plugin's pods differently, but both Services select them.
fn plugin_pod(s: &Snapshot) -> Result<ObjectRef, String> {
    plugin_services(s)
        .find_map(|svc| {
            s.pods
                .in_namespace(&svc.namespace)
                .iter()
                .find(|p| svc.selects(p))
        })
        .map(|p| ObjectRef::new(Kind::Pod, &p.namespace, &p.name))
        .ok_or_else(|| format!("no pod selected by a Service labelled {PLUGIN_SELECTOR} in view"))
}

/// What resuming means: the walk's own HelmRelease when it is suspended, else the first
/// suspended Kustomization.
fn suspended(s: &Snapshot, context: Option<&ObjectRef>) -> Result<ObjectRef, String> {
    if let Some(c) = context.filter(|c| c.kind == Kind::HelmRelease) {
        return match s
            .helm_releases
            .in_namespace(&c.namespace)
            .iter()
            .find(|h| h.name == c.name)
        {
            Some(h) if h.suspended => Ok(c.clone()),
            Some(_) => Err(format!(
                "HelmRelease {}/{} is not suspended",
                c.namespace, c.name
            )),
            None => Err(format!(
                "HelmRelease {}/{} is not in view",
                c.namespace, c.name
            )),
        };
    }
    s.kustomizations
        .rows
        .iter()
        .find(|k| k.suspended)
        .map(|k| kustomization_ref(k))
        .ok_or_else(|| "no suspended Kustomization in view".to_string())
}

fn kustomization_ref(k: &KustomizationRow) -> ObjectRef {
    ObjectRef::new(Kind::Kustomization, &k.namespace, &k.name)
}

/// The object a Flux action means: the walk's own Kustomization or HelmRelease; else a
/// failing Kustomization or the one that delivers the plugin (that one first when
/// `plugin_first`); else the first.
fn kustomization(
    s: &Snapshot,
    context: Option<&ObjectRef>,
    plugin_first: bool,
) -> Result<ObjectRef, String> {
    if let Some(c) = context.filter(|c| matches!(c.kind, Kind::Kustomization | Kind::HelmRelease)) {
        return Ok(c.clone());
    }
    // A walk about a chart's repository acts on the release that installs from it: a
    // reconcile with source fetches the chart again, then upgrades.
    if let Some(c) =
        context.filter(|c| matches!(c.kind, Kind::OCIRepository | Kind::HelmRepository))
    {
        return s
            .helm_releases
            .rows
            .iter()
            .find(|h| {
                // The projection fills an omitted source namespace with the release's.
                h.source.kind == c.kind.name()
                    && h.source.name == c.name
                    && h.source.namespace == c.namespace
            })
            .map(|h| ObjectRef::new(Kind::HelmRelease, &h.namespace, &h.name))
            .ok_or_else(|| {
                format!(
                    "no HelmRelease in view installs from {} {}/{}",
                    c.kind, c.namespace, c.name
                )
            });
    }
    let rows = &s.kustomizations.rows;
    let failing = || {
        rows.iter()
            .find(|k| k.ready().is_some_and(|r| !r.is_true()))
    };
    // The plugin's Services as inventory entries (core group: `<ns>_<name>__Service`).
    let services: Vec<String> = plugin_services(s)
        .map(|x| format!("{}_{}__Service", x.namespace, x.name))
        .collect();
    let plugin = || {
        rows.iter().find(|k| {
            k.inventory
                .iter()
                .any(|i| i.ends_with(PLUGIN_DEPLOYMENT_ENTRY) || services.contains(i))
        })
    };
    let found = if plugin_first {
        plugin().or_else(failing)
    } else {
        failing().or_else(plugin)
    };
    found
        .or(rows.first())
        .map(|k| kustomization_ref(k))
        .ok_or_else(|| "no Kustomization in view".to_string())
}

/// The Cluster to back up: the walk's (its Backup or schedule plans it for their Cluster),
/// else the first that uses the plugin.
fn cluster(s: &Snapshot, context: Option<&ObjectRef>) -> Result<ObjectRef, String> {
    if let Some(c) =
        context.filter(|c| matches!(c.kind, Kind::Cluster | Kind::Backup | Kind::ScheduledBackup))
    {
        return Ok(c.clone());
    }
    s.clusters
        .rows
        .iter()
        .find(|c| c.plugin.as_ref().is_some_and(|p| p.enabled))
        .map(|c| ObjectRef::new(Kind::Cluster, &c.namespace, &c.name))
        .ok_or_else(|| "no Cluster using the plugin in view".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindState;
    use crate::model::rows::{ClusterRow, Condition, PluginRef, PodRow, ServiceRow};

    fn pod(ns: &str, name: &str, label: (&str, &str)) -> PodRow {
        PodRow {
            namespace: ns.into(),
            name: name.into(),
            labels: [(label.0.to_string(), label.1.to_string())].into(),
            ..Default::default()
        }
    }

    fn ks(name: &str, ready: &str, suspended: bool, inventory: &[&str]) -> KustomizationRow {
        KustomizationRow {
            namespace: "flux-system".into(),
            name: name.into(),
            suspended,
            conditions: vec![Condition {
                kind: "Ready".into(),
                status: ready.into(),
                ..Default::default()
            }],
            inventory: inventory.iter().map(|i| i.to_string()).collect(),
            ..Default::default()
        }
    }

    fn cluster(name: &str, plugin: bool) -> ClusterRow {
        ClusterRow {
            namespace: "db".into(),
            name: name.into(),
            plugin: Some(PluginRef {
                enabled: plugin,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// A plugin and an operator pod; Kustomizations `apps` (failing), `infra` (delivers
    /// the plugin) and `old` (suspended); Cluster `legacy` without the plugin, `pg` with it.
    fn snapshot() -> Snapshot {
        Snapshot {
            pods: KindState::live(vec![
                pod("cnpg-system", "barman-cloud-7d9", ("app", "barman-cloud")),
                pod(
                    "cnpg-system",
                    "cnpg-controller-manager-5f",
                    ("app.kubernetes.io/name", "cloudnative-pg"),
                ),
            ]),
            kustomizations: KindState::live(vec![
                ks("apps", "False", false, &[]),
                ks(
                    "infra",
                    "True",
                    false,
                    &["cnpg-system_barman-cloud_apps_Deployment"],
                ),
                ks("old", "True", true, &[]),
            ]),
            services: KindState::live(vec![plugin_service(("app", "barman-cloud"))]),
            clusters: KindState::live(vec![cluster("legacy", false), cluster("pg", true)]),
            ..Default::default()
        }
    }

    /// The plugin's Service in cnpg-system, named as the manifest names it.
    fn plugin_service(selects: (&str, &str)) -> ServiceRow {
        ServiceRow {
            namespace: "cnpg-system".into(),
            name: "barman-cloud".into(),
            labels: [(PLUGIN_LABEL.to_string(), PLUGIN_NAME.to_string())].into(),
            selector: [(selects.0.to_string(), selects.1.to_string())].into(),
            ..Default::default()
        }
    }

    #[test]
    fn restart_plugin_finds_the_helm_charts_pod_through_its_service() {
        // The chart labels its pods app.kubernetes.io/name=plugin-barman-cloud, and names
        // its Deployment and Service after the release.
        let chart = ("app.kubernetes.io/name", "plugin-barman-cloud");
        let s = Snapshot {
            pods: KindState::live(vec![
                pod("cnpg-system", "unrelated-7d9", ("app", "barman-cloud-docs")),
                pod("cnpg-system", "backup-plugin-barman-cloud-6c5-q8w", chart),
            ]),
            services: KindState::live(vec![ServiceRow {
                name: "backup-plugin-barman-cloud".into(),
                ..plugin_service(chart)
            }]),
            kustomizations: KindState::live(vec![
                ks("apps", "True", false, &[]),
                ks(
                    "infra",
                    "True",
                    false,
                    &["cnpg-system_backup-plugin-barman-cloud__Service"],
                ),
            ]),
            ..Default::default()
        };
        assert_eq!(
            shown(resolve(RemedyAction::RestartPlugin, &s, None)),
            Ok((
                Verb::Restart,
                "Pod cnpg-system/backup-plugin-barman-cloud-6c5-q8w".into()
            ))
        );
        // The Kustomization that delivers the chart's Service is the plugin's.
        assert_eq!(
            shown(resolve(RemedyAction::Suspend, &s, None)),
            Ok((
                Verb::ToggleSuspend,
                "Kustomization flux-system/infra".into()
            ))
        );
    }

    fn shown(r: Result<(Verb, ObjectRef), String>) -> Result<(Verb, String), String> {
        r.map(|(v, t)| (v, t.display()))
    }

    #[test]
    fn the_restarts_act_on_the_plugin_and_operator_pods() {
        let s = snapshot();
        assert_eq!(
            shown(resolve(RemedyAction::RestartPlugin, &s, None)),
            Ok((Verb::Restart, "Pod cnpg-system/barman-cloud-7d9".into()))
        );
        assert_eq!(
            shown(resolve(RemedyAction::RestartOperator, &s, None)),
            Ok((
                Verb::Restart,
                "Pod cnpg-system/cnpg-controller-manager-5f".into()
            ))
        );
        assert_eq!(
            resolve(RemedyAction::RestartPlugin, &Snapshot::default(), None),
            Err("no pod selected by a Service labelled cnpg.io/pluginName=barman-cloud.cloudnative-pg.io in view".into())
        );
    }

    #[test]
    fn reconcile_means_a_failing_kustomization_and_suspend_the_plugins() {
        let s = snapshot();
        assert_eq!(
            shown(resolve(RemedyAction::Reconcile, &s, None)),
            Ok((Verb::Reconcile, "Kustomization flux-system/apps".into()))
        );
        assert_eq!(
            shown(resolve(RemedyAction::ReconcileWithSource, &s, None)),
            Ok((
                Verb::ReconcileWithSource,
                "Kustomization flux-system/apps".into()
            ))
        );
        assert_eq!(
            shown(resolve(RemedyAction::Suspend, &s, None)),
            Ok((
                Verb::ToggleSuspend,
                "Kustomization flux-system/infra".into()
            ))
        );
        assert_eq!(
            shown(resolve(RemedyAction::Resume, &s, None)),
            Ok((Verb::ToggleSuspend, "Kustomization flux-system/old".into()))
        );
    }

    #[test]
    fn the_walks_own_object_comes_first() {
        let s = snapshot();
        let own = ObjectRef::new(Kind::Kustomization, "tenants", "mine");
        for action in [RemedyAction::Reconcile, RemedyAction::Suspend] {
            assert_eq!(
                resolve(action, &s, Some(&own)).map(|(_, t)| t),
                Ok(own.clone()),
                "{action:?}"
            );
        }
        let backup = ObjectRef::new(Kind::Backup, "db", "pg-20261124");
        assert_eq!(
            resolve(RemedyAction::BackupNow, &s, Some(&backup)),
            Ok((Verb::BackupNow, backup.clone())),
            "plan() finds the Backup's Cluster"
        );
        let pod = ObjectRef::new(Kind::Pod, "db", "pg-1");
        assert_eq!(
            shown(resolve(RemedyAction::BackupNow, &s, Some(&pod))),
            Ok((Verb::BackupNow, "Cluster db/pg".into())),
            "a context of another kind is passed over: the first Cluster using the plugin"
        );
    }

    #[test]
    fn a_helm_release_walk_acts_on_its_release_also_from_its_chart_repository() {
        use crate::model::rows::{HelmReleaseRow, SourceRef};
        let mut s = snapshot();
        let release = |name: &str, suspended: bool| HelmReleaseRow {
            namespace: "cnpg-system".into(),
            name: name.into(),
            suspended,
            source: SourceRef {
                kind: "OCIRepository".into(),
                namespace: "cnpg-system".into(),
                name: format!("{name}-chart"),
            },
            ..Default::default()
        };
        s.helm_releases = KindState::live(vec![
            release("plugin-barman-cloud", false),
            release("cloudnative-pg", true),
        ]);
        let plugin = ObjectRef::new(Kind::HelmRelease, "cnpg-system", "plugin-barman-cloud");
        assert_eq!(
            resolve(RemedyAction::ReconcileWithSource, &s, Some(&plugin)),
            Ok((Verb::ReconcileWithSource, plugin.clone()))
        );
        // Its chart's OCIRepository: the release that installs from it.
        let chart = ObjectRef::new(
            Kind::OCIRepository,
            "cnpg-system",
            "plugin-barman-cloud-chart",
        );
        assert_eq!(
            resolve(RemedyAction::ReconcileWithSource, &s, Some(&chart)),
            Ok((Verb::ReconcileWithSource, plugin.clone()))
        );
        let orphan = ObjectRef::new(Kind::HelmRepository, "cnpg-system", "unused");
        assert_eq!(
            resolve(RemedyAction::Reconcile, &s, Some(&orphan)),
            Err("no HelmRelease in view installs from HelmRepository cnpg-system/unused".into())
        );
        // Resume means the walk's release when it is the suspended one, never a Kustomization.
        let operator = ObjectRef::new(Kind::HelmRelease, "cnpg-system", "cloudnative-pg");
        assert_eq!(
            resolve(RemedyAction::Resume, &s, Some(&operator)),
            Ok((Verb::ToggleSuspend, operator.clone()))
        );
        assert_eq!(
            resolve(RemedyAction::Resume, &s, Some(&plugin)),
            Err("HelmRelease cnpg-system/plugin-barman-cloud is not suspended".into())
        );
    }

    #[test]
    fn nothing_to_act_on_says_what_is_missing() {
        let empty = Snapshot::default();
        assert_eq!(
            resolve(RemedyAction::Reconcile, &empty, None),
            Err("no Kustomization in view".into())
        );
        assert_eq!(
            resolve(RemedyAction::Resume, &snapshot_without_suspended(), None),
            Err("no suspended Kustomization in view".into())
        );
        assert_eq!(
            resolve(RemedyAction::BackupNow, &empty, None),
            Err("no Cluster using the plugin in view".into())
        );
    }

    fn snapshot_without_suspended() -> Snapshot {
        Snapshot {
            kustomizations: KindState::live(vec![ks("apps", "True", false, &[])]),
            ..Default::default()
        }
    }

    #[test]
    fn without_a_failing_one_reconcile_takes_the_plugins_then_the_first() {
        let mut s = snapshot();
        s.kustomizations = KindState::live(vec![
            ks("apps", "True", false, &[]),
            ks(
                "infra",
                "True",
                false,
                &["cnpg-system_barman-cloud_apps_Deployment"],
            ),
        ]);
        assert_eq!(
            shown(resolve(RemedyAction::Reconcile, &s, None)),
            Ok((Verb::Reconcile, "Kustomization flux-system/infra".into()))
        );
        s.kustomizations = KindState::live(vec![ks("apps", "True", false, &[])]);
        assert_eq!(
            shown(resolve(RemedyAction::Reconcile, &s, None)),
            Ok((Verb::Reconcile, "Kustomization flux-system/apps".into()))
        );
    }
}
