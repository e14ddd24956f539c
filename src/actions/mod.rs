//! Safe actions, planned purely: what will change, the equivalent flux or kubectl command,
//! the exact requests (the ones flux and kubectl send, DOMAIN §4.5 and §2.7), the
//! permissions they need, and how to follow them to their outcome. `exec` sends them.

pub mod exec;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::model::Snapshot;
use crate::model::rows::DeploymentRow;
use crate::model::{Kind, ObjectRef};

pub const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
pub const PLUGIN: &str = "barman-cloud.cloudnative-pg.io";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Reconcile,
    ReconcileWithSource,
    /// Suspend when running, resume when suspended.
    ToggleSuspend,
    Restart,
    BackupNow,
}

/// A resource as the API addresses it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
}

pub const KUSTOMIZATIONS: Resource = Resource {
    group: "kustomize.toolkit.fluxcd.io",
    version: "v1",
    kind: "Kustomization",
    plural: "kustomizations",
};
pub const GIT_REPOSITORIES: Resource = Resource {
    group: "source.toolkit.fluxcd.io",
    version: "v1",
    kind: "GitRepository",
    plural: "gitrepositories",
};
pub const DEPLOYMENTS: Resource = Resource {
    group: "apps",
    version: "v1",
    kind: "Deployment",
    plural: "deployments",
};
pub const BACKUPS: Resource = Resource {
    group: "postgresql.cnpg.io",
    version: "v1",
    kind: "Backup",
    plural: "backups",
};
pub const SCHEDULED_BACKUPS: Resource = Resource {
    group: "postgresql.cnpg.io",
    version: "v1",
    kind: "ScheduledBackup",
    plural: "scheduledbackups",
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Body {
    /// application/merge-patch+json
    Merge,
    /// application/strategic-merge-patch+json
    Strategic,
    /// A POST of a new object.
    Create,
}

/// One request, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub resource: Resource,
    pub namespace: String,
    /// The object patched; for a create, the new object's name.
    pub name: String,
    pub body: Body,
    pub payload: Value,
}

impl Request {
    /// The permission it needs: (verb, group, resource, namespace).
    pub fn access(&self) -> (&'static str, &'static str, &'static str, &str) {
        let verb = if self.body == Body::Create {
            "create"
        } else {
            "patch"
        };
        (
            verb,
            self.resource.group,
            self.resource.plural,
            &self.namespace,
        )
    }
}

/// How to know the action reached its end.
#[derive(Debug, Clone, PartialEq)]
pub enum Follow {
    /// Until status.lastHandledReconcileAt is the value sent, then the Ready condition.
    Reconcile {
        namespace: String,
        name: String,
        requested_at: String,
    },
    /// Through its phases until completed or failed.
    Backup { namespace: String, name: String },
    /// Until the Deployment's controller has observed the new generation.
    Rollout { namespace: String, name: String },
    /// The write is the outcome.
    Done,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub verb: Verb,
    pub target: ObjectRef,
    /// What will change, for the confirm dialog.
    pub what: String,
    /// The equivalent commands, to copy or to compare.
    pub commands: Vec<String>,
    pub requests: Vec<Request>,
    pub follow: Follow,
}

impl Plan {
    /// One line for the record: the first command.
    pub fn command(&self) -> &str {
        self.commands.first().map(String::as_str).unwrap_or("")
    }
}

fn annotate(resource: Resource, namespace: &str, name: &str, at: &str) -> Request {
    Request {
        resource,
        namespace: namespace.to_string(),
        name: name.to_string(),
        body: Body::Merge,
        payload: json!({"metadata": {"annotations": {REQUESTED_AT: at}}}),
    }
}

fn suspend(resource: Resource, namespace: &str, name: &str, to: bool) -> Request {
    Request {
        resource,
        namespace: namespace.to_string(),
        name: name.to_string(),
        body: Body::Merge,
        payload: json!({"spec": {"suspend": to}}),
    }
}

/// The Deployment that owns a pod: the one in its namespace whose selector it matches.
pub fn deployment_of<'a>(
    deployments: &'a [std::sync::Arc<DeploymentRow>],
    namespace: &str,
    labels: &std::collections::BTreeMap<String, String>,
) -> Option<&'a DeploymentRow> {
    deployments.iter().map(|d| d.as_ref()).find(|d| {
        d.namespace == namespace
            && !d.selector.is_empty()
            && d.selector.iter().all(|(k, v)| labels.get(k) == Some(v))
    })
}

/// Plans `verb` on `target`, from what the dashboard sees. An action that does not apply
/// says why, in words for the footer.
pub fn plan(
    verb: Verb,
    target: &ObjectRef,
    snapshot: &Snapshot,
    deployments: &[std::sync::Arc<DeploymentRow>],
    now: DateTime<Utc>,
) -> Result<Plan, String> {
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    let nanos = now.to_rfc3339_opts(SecondsFormat::Nanos, true);
    let plan = |what: String, commands: Vec<String>, requests: Vec<Request>, follow: Follow| {
        Ok(Plan {
            verb,
            target: target.clone(),
            what,
            commands,
            requests,
            follow,
        })
    };
    match (verb, target.kind) {
        (Verb::Reconcile | Verb::ReconcileWithSource, Kind::Kustomization) => {
            let ks = snapshot
                .kustomizations
                .rows
                .iter()
                .find(|k| k.namespace == ns && k.name == name)
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
                if ks.source.kind != "GitRepository" {
                    return Err(format!(
                        "its source is a {}: backstop reconciles GitRepository sources",
                        ks.source.kind
                    ));
                }
                requests.push(annotate(
                    GIT_REPOSITORIES,
                    &ks.source.namespace,
                    &ks.source.name,
                    &nanos,
                ));
                what.push_str(&format!(
                    "Asks source-controller to fetch GitRepository {}/{} now, then ",
                    ks.source.namespace, ks.source.name
                ));
                flag = " --with-source";
            }
            requests.push(annotate(KUSTOMIZATIONS, ns, name, &nanos));
            what.push_str(&format!(
                "{}sks kustomize-controller to reconcile Kustomization {ns}/{name} now: sets metadata.annotations[{REQUESTED_AT}] and waits until status.lastHandledReconcileAt matches, then reports Ready.",
                if what.is_empty() { "A" } else { "a" }
            ));
            plan(
                what,
                vec![
                    format!("flux reconcile kustomization {name} -n {ns}{flag}"),
                    format!(
                        "kubectl annotate --field-manager=flux-client-side-apply --overwrite -n {ns} kustomization/{name} {REQUESTED_AT}=\"{nanos}\""
                    ),
                ],
                requests,
                Follow::Reconcile {
                    namespace: ns.into(),
                    name: name.into(),
                    requested_at: nanos.clone(),
                },
            )
        }
        (Verb::Reconcile | Verb::ReconcileWithSource, Kind::GitRepository) => plan(
            format!(
                "Asks source-controller to fetch GitRepository {ns}/{name} now: sets metadata.annotations[{REQUESTED_AT}] and waits until status.lastHandledReconcileAt matches."
            ),
            vec![format!("flux reconcile source git {name} -n {ns}")],
            vec![annotate(GIT_REPOSITORIES, ns, name, &nanos)],
            Follow::Reconcile {
                namespace: ns.into(),
                name: name.into(),
                requested_at: nanos.clone(),
            },
        ),
        (Verb::ToggleSuspend, Kind::Kustomization) => {
            let ks = snapshot
                .kustomizations
                .rows
                .iter()
                .find(|k| k.namespace == ns && k.name == name)
                .ok_or_else(|| format!("Kustomization {ns}/{name} is not in view any more"))?;
            let to = !ks.suspended;
            let (word, effect) = if to {
                (
                    "suspend",
                    "Flux stops applying it (and everything that depends on it waits) until it is resumed",
                )
            } else {
                (
                    "resume",
                    "Flux applies it again at its next interval (resume does not request a reconcile: r does)",
                )
            };
            plan(
                format!("Sets spec.suspend: {to} on Kustomization {ns}/{name}: {effect}."),
                vec![
                    format!("flux {word} kustomization {name} -n {ns}"),
                    format!(
                        "kubectl -n {ns} patch kustomization {name} --type merge -p '{{\"spec\":{{\"suspend\":{to}}}}}'"
                    ),
                ],
                vec![suspend(KUSTOMIZATIONS, ns, name, to)],
                Follow::Done,
            )
        }
        (Verb::ToggleSuspend, Kind::ScheduledBackup) => {
            let sb = snapshot
                .scheduled
                .rows
                .iter()
                .find(|b| b.namespace == ns && b.name == name)
                .ok_or_else(|| format!("ScheduledBackup {ns}/{name} is not in view any more"))?;
            let to = !sb.suspended;
            let effect = if to {
                "no backup is scheduled until it is resumed"
            } else {
                "backups are scheduled again from its next run"
            };
            plan(
                format!("Sets spec.suspend: {to} on ScheduledBackup {ns}/{name}: {effect}."),
                vec![format!(
                    "kubectl -n {ns} patch scheduledbackup {name} --type merge -p '{{\"spec\":{{\"suspend\":{to}}}}}'"
                )],
                vec![suspend(SCHEDULED_BACKUPS, ns, name, to)],
                Follow::Done,
            )
        }
        (Verb::Restart, Kind::Pod | Kind::Deployment) => {
            let deployment = if target.kind == Kind::Deployment {
                deployments
                    .iter()
                    .map(|d| d.as_ref())
                    .find(|d| d.namespace == ns && d.name == name)
            } else {
                let pod = snapshot
                    .pods
                    .rows
                    .iter()
                    .find(|p| p.namespace == ns && p.name == name)
                    .ok_or_else(|| format!("pod {ns}/{name} is not in view any more"))?;
                deployment_of(deployments, ns, &pod.labels)
            }
            .ok_or_else(|| {
                format!("no Deployment owns {ns}/{name} (or Deployments could not be read)")
            })?;
            let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
            let d = &deployment.name;
            plan(
                format!(
                    "Restarts Deployment {ns}/{d}: sets spec.template.metadata.annotations[{RESTARTED_AT}], so its pods are replaced one by one as the rollout strategy allows."
                ),
                vec![format!("kubectl -n {ns} rollout restart deployment/{d}")],
                vec![Request {
                    resource: DEPLOYMENTS,
                    namespace: ns.into(),
                    name: d.clone(),
                    body: Body::Strategic,
                    payload: json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: at}}}}}),
                }],
                Follow::Rollout {
                    namespace: ns.into(),
                    name: d.clone(),
                },
            )
        }
        (Verb::BackupNow, Kind::Cluster | Kind::Backup | Kind::ScheduledBackup) => {
            let cluster_name = match target.kind {
                Kind::Cluster => name.to_string(),
                Kind::Backup => snapshot
                    .backups
                    .rows
                    .iter()
                    .find(|b| b.namespace == ns && b.name == name)
                    .map(|b| b.cluster.clone())
                    .ok_or("the backup is not in view any more")?,
                _ => snapshot
                    .scheduled
                    .rows
                    .iter()
                    .find(|b| b.namespace == ns && b.name == name)
                    .map(|b| b.cluster.clone())
                    .ok_or("the schedule is not in view any more")?,
            };
            let cluster = snapshot
                .clusters
                .rows
                .iter()
                .find(|c| c.namespace == ns && c.name == cluster_name)
                .ok_or_else(|| format!("Cluster {ns}/{cluster_name} is not in view"))?;
            let plugin = cluster.plugin.as_ref().is_some_and(|p| p.enabled);
            if !plugin && !cluster.legacy_barman {
                return Err(format!(
                    "Cluster {ns}/{cluster_name} has no backup configured (no plugin, no barmanObjectStore)"
                ));
            }
            // As `kubectl cnpg backup` names it: CLUSTER-YYYYMMDDhhmmss.
            let backup = format!("{cluster_name}-{}", now.format("%Y%m%d%H%M%S"));
            let spec = if plugin {
                json!({"cluster": {"name": cluster_name}, "method": "plugin", "pluginConfiguration": {"name": PLUGIN}})
            } else {
                json!({"cluster": {"name": cluster_name}, "method": "barmanObjectStore"})
            };
            let (method, flags) = if plugin {
                ("plugin", format!(" --method plugin --plugin-name {PLUGIN}"))
            } else {
                (
                    "barmanObjectStore",
                    " --method barmanObjectStore".to_string(),
                )
            };
            plan(
                format!(
                    "Creates Backup {ns}/{backup} (method {method}) for Cluster {cluster_name}, and follows it through its phases until completed or failed."
                ),
                vec![format!(
                    "kubectl cnpg backup {cluster_name} -n {ns} --backup-name {backup}{flags}"
                )],
                vec![Request {
                    resource: BACKUPS,
                    namespace: ns.into(),
                    name: backup.clone(),
                    body: Body::Create,
                    payload: json!({
                        "apiVersion": "postgresql.cnpg.io/v1",
                        "kind": "Backup",
                        "metadata": {"name": backup, "namespace": ns},
                        "spec": spec,
                    }),
                }],
                Follow::Backup {
                    namespace: ns.into(),
                    name: backup,
                },
            )
        }
        (verb, kind) => Err(match verb {
            Verb::Reconcile | Verb::ReconcileWithSource if kind == Kind::Pod => {
                "r on a plugin or operator pod restarts its Deployment; reconcile is for Flux rows"
                    .to_string()
            }
            Verb::Reconcile | Verb::ReconcileWithSource => {
                format!("a {kind} cannot be reconciled: select a Kustomization or GitRepository")
            }
            Verb::ToggleSuspend => {
                format!("a {kind} cannot be suspended: select a Kustomization or ScheduledBackup")
            }
            Verb::Restart => {
                format!("a {kind} cannot be restarted: select a plugin or operator pod")
            }
            Verb::BackupNow => {
                format!("no backup for a {kind}: select a Cluster, a Backup or a ScheduledBackup")
            }
        }),
    }
}
