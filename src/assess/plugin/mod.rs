//! PLG: the Barman Cloud plugin and the CloudNativePG operator. Is CNPG served, is the
//! plugin installed where the operator discovers it (a labelled Service in the operator's
//! namespace, with the annotations and Secrets it needs), are its pods running, its certificates valid, its version the one the
//! Clusters report, and is its sidecar in every instance pod?
//!
//! The rules are split by what they look at: the operator and the plugin's install
//! (`operator`), the plugin's pods (`pods`), its certificates (`certs`) and the Clusters
//! that use it (`clusters`). `rules` reads every kind once into a `Ctx` they share.

mod certs;
mod clusters;
mod operator;
pub use operator::{OperatorRelease, operator_releases, switchover_fixed};
mod pods;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::read::{cond_line, inventory_id, inventory_owner, plugin_deployment, plugin_services};
use super::{Facts, Outcome, Thresholds};
use crate::model::Kind;
use crate::model::domain::{PLUGIN_CLIENT_SECRET_ANNOTATION, PLUGIN_SERVER_SECRET_ANNOTATION};
use crate::model::rows::{ClusterRow, Condition, DeploymentRow, PodRow, ServiceRow};
use crate::model::state::{Readable, of_namespace};

const AREA: &str = "plugin";
const TLS_ANNOTATIONS: [&str; 2] = [
    PLUGIN_SERVER_SECRET_ANNOTATION,
    PLUGIN_CLIENT_SECRET_ANNOTATION,
];
const INSTALL_PLUGIN: &str = "kubectl apply -f https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml";
const INSTALL_CNPG: &str = "kubectl apply --server-side -f https://raw.githubusercontent.com/cloudnative-pg/cloudnative-pg/release-1.30/releases/cnpg-1.30.0.yaml";

fn false_conditions(conds: &[Condition]) -> impl Iterator<Item = String> + '_ {
    conds.iter().filter(|c| c.status == "False").map(cond_line)
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
        let id = inventory_id(
            Kind::Deployment,
            &self.svc.namespace,
            self.deployment_name(),
        );
        match inventory_owner(f, &id) {
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

/// What the plugin rules read, read once: each kind's rows, or None when it could not be.
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
    let pods = match s.pods.rows_or_why(&Kind::Pod.qualified()) {
        Ok(r) => Some(r),
        Err(why) => {
            out.unknown(AREA, why);
            None
        }
    };
    // Deployments only sharpen what the pods show; a rule that needs them says so itself.
    let (deployments, deployments_unknown) =
        match f.deployments.rows_or_why(&Kind::Deployment.qualified()) {
            Ok(r) => (Some(r), None),
            Err(why) => (None, Some(why)),
        };
    let clusters = match s.clusters.readable(&Kind::Cluster.qualified()) {
        Readable::Rows(r) => Some(r),
        Readable::NotInstalled(what) => {
            out.push(operator::cnpg_not_installed(what));
            None
        }
        Readable::Unknown(why) => {
            out.unknown(AREA, why);
            None
        }
    };
    let plugins = match s.services.rows_or_why(&Kind::Service.qualified()) {
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
        .filter(|p| operator::is_operator(&p.labels))
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

    operator::installed(&mut out, &c);
    operator::operator_namespace(&mut out, &c);
    operator::registration(&mut out, &c);
    operator::operator_ready(&mut out, &c);
    operator::operator_version(&mut out, &c);
    for p in c.plugins.iter().flatten() {
        pods::plugin_pods(&mut out, &c, p);
    }
    certs::certificates(&mut out, &c);
    if let Some(clusters) = c.clusters {
        clusters::cluster_phase(&mut out, &c, clusters);
        clusters::version_skew(&mut out, &c, clusters);
        clusters::sidecars(&mut out, &c, clusters);
    }
    out.unknown.sort();
    out.unknown.dedup();
    out
}
