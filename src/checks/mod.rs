//! Gathering the facts the health rules read, from a live cluster or from saved manifests
//! (loaded into the simulator in-process): one-shot lists, the recent log lines of the
//! plugin and of each instance's sidecar, and network probes of ObjectStore endpoints.
//! Every read is bounded in time and concurrency; what fails becomes a sync state, never
//! a crash.

pub mod archiver;
pub mod bucket;
pub mod dump;
pub mod monitoring;
pub use dump::{facts_from_dump, facts_from_scenario};
pub mod probe;
pub mod report;
pub mod secrets;
pub mod site;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};

use crate::assess::Facts;
use crate::cluster::project::Project;
use crate::cluster::watch::{KindSpec, malformed_note, state_of};
use crate::model::facts::LogTail;
use crate::model::{Kind, KindState, Snapshot, SyncState};

/// How long one read may take before it counts as failed.
const READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Log reads and probes at once.
const CONCURRENCY: usize = 4;
/// Lines of each log the rules search.
const LOG_TAIL: i64 = 200;

/// Lists one kind whole (500 a page) into rows, with the state an error leaves.
pub async fn list_kind<R: Project>(
    client: &kube::Client,
    spec: KindSpec,
    namespace: Option<&str>,
) -> KindState<R> {
    // Lean, as the watchers read: one malformed object does not fail the list.
    let api: Api<crate::cluster::lean::Lean> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &spec.resource),
        None => Api::all_with(client.clone(), &spec.resource),
    };
    let mut rows = Vec::new();
    let mut malformed = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut lp = ListParams::default().limit(500);
        if let Some(sel) = spec.selector {
            lp = lp.labels(sel);
        }
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = match tokio::time::timeout(READ_TIMEOUT, api.list(&lp)).await {
            Ok(Ok(page)) => page,
            Ok(Err(e)) => {
                return KindState::without_rows(state_of(&e, &spec, "list", false));
            }
            Err(_) => {
                return KindState::without_rows(SyncState::Error(format!(
                    "listing {} timed out",
                    spec.label
                )));
            }
        };
        rows.extend(page.items.iter().map(|o| Arc::new(R::project(&o.0))));
        malformed.extend(
            page.items
                .iter()
                .filter_map(|o| malformed_note(&spec, &o.0, &o.1)),
        );
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        if token.is_none() {
            break;
        }
    }
    KindState {
        rows: Arc::new(rows),
        sync: SyncState::Live,
        version: 1,
        rv: 0,
        malformed: Arc::new(malformed),
    }
}

/// What to gather besides the kinds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reach {
    /// Read the plugin's and the sidecars' logs.
    pub logs: bool,
    /// Resolve and connect to ObjectStore endpoints.
    pub network: bool,
    /// Read the barman-cloud stores themselves with their credentials (`checks::bucket`).
    /// Without `network`, only stores on this machine's loopback are read: a simulated
    /// cluster's other endpoints are fictional.
    pub bucket: bool,
    /// Read each primary's archiver through `pods/proxy` (and `nodes/proxy` for its
    /// volume), with a second reading for a rate where the first calls for one.
    pub archiver: bool,
}

/// Everything the rules read, from a cluster reached through `client`.
pub async fn collect(client: &kube::Client, namespace: Option<&str>, reach: Reach) -> Facts {
    let ns = namespace;
    let (pods, services, object_stores, backups, clusters, scheduled, kustomizations, git_repos) = tokio::join!(
        list_kind(client, KindSpec::of(Kind::Pod), ns),
        // The plugin's Service lives in the operator's namespace, whatever the scope.
        list_kind(client, KindSpec::plugin_services(), None),
        list_kind(client, KindSpec::of(Kind::ObjectStore), ns),
        list_kind(client, KindSpec::of(Kind::Backup), ns),
        list_kind(client, KindSpec::of(Kind::Cluster), ns),
        list_kind(client, KindSpec::of(Kind::ScheduledBackup), ns),
        list_kind(client, KindSpec::of(Kind::Kustomization), ns),
        list_kind(client, KindSpec::of(Kind::GitRepository), ns),
    );
    let (helm_releases, helm_repos, oci_repos) = tokio::join!(
        list_kind(client, KindSpec::of(Kind::HelmRelease), ns),
        list_kind(client, KindSpec::of(Kind::HelmRepository), ns),
        list_kind(client, KindSpec::of(Kind::OCIRepository), ns),
    );
    let snapshot = Snapshot {
        taken: Some(Utc::now()),
        pods,
        services,
        object_stores,
        backups,
        clusters,
        scheduled,
        kustomizations,
        git_repos,
        helm_releases,
        helm_repos,
        oci_repos,
    };
    // A one-shot check has no earlier reading: it takes a second one where a rate matters.
    let gap = crate::assess::Thresholds::default().archiver_sample_gap;
    gather(client, ns, &snapshot, reach, Some(gap))
        .await
        .facts(&snapshot)
}

/// What the dashboard adds to its watched snapshot for the rules: the kinds it does not
/// watch, and the logs. Refreshed on a slow cadence.
#[derive(Debug, Clone, Default)]
pub struct Extras {
    pub deployments: KindState<crate::model::rows::DeploymentRow>,
    pub secrets: KindState<crate::model::rows::SecretRow>,
    pub certificates: KindState<crate::model::rows::CertificateRow>,
    pub events: KindState<crate::model::rows::EventRow>,
    pub logs: Vec<LogTail>,
    pub endpoints: Vec<crate::model::facts::EndpointProbe>,
    /// Whether the endpoints were probed this time.
    pub probed: bool,
    /// What reading the object stores proved (empty unless `Reach::bucket`).
    pub stores: Vec<crate::model::bucket::StoreProof>,
    /// The archiver readings, when they were asked for.
    pub archivers: Vec<crate::model::archiver::ArchiverReading>,
    pub prometheus_rules: KindState<crate::model::alerting::PromRuleRow>,
    pub pod_monitors: KindState<crate::model::alerting::MonitorRow>,
    pub service_monitors: KindState<crate::model::alerting::MonitorRow>,
    /// What Alertmanager said is firing, when the dashboard has one configured: `Err` says
    /// why it could not be read.
    pub firing: Option<Result<Vec<crate::model::alerting::FiringAlert>, String>>,
}

/// `network` adds the ObjectStore endpoint probes (a walker's check asks for them; the
/// periodic refresh does not, to keep its cost flat). Each refresh reads every primary's
/// archiver once: the dashboard keeps earlier readings for a rate, so it never waits for a
/// second one here.
pub async fn extras(
    client: &kube::Client,
    namespace: Option<&str>,
    snapshot: &Snapshot,
    network: bool,
) -> Extras {
    gather(
        client,
        namespace,
        snapshot,
        Reach {
            logs: true,
            network,
            bucket: false,
            archiver: true,
        },
        None,
    )
    .await
}

/// The kinds the rules read beside the watched ones, the referenced Secrets' key names,
/// and, as `reach` says, the logs and the endpoint probes.
async fn gather(
    client: &kube::Client,
    namespace: Option<&str>,
    snapshot: &Snapshot,
    reach: Reach,
    second_reading: Option<std::time::Duration>,
) -> Extras {
    let logs = async {
        if reach.logs {
            log_tails(client, snapshot).await
        } else {
            Vec::new()
        }
    };
    let probes = async {
        if reach.network {
            probe::endpoints(&snapshot.object_stores.rows).await
        } else {
            Vec::new()
        }
    };
    let stores = async {
        if reach.bucket {
            bucket::prove(
                client,
                snapshot,
                bucket::BucketLimits {
                    loopback_only: !reach.network,
                    ..Default::default()
                },
            )
            .await
        } else {
            Vec::new()
        }
    };
    let archivers = async {
        if reach.archiver {
            archiver::readings(client, snapshot, second_reading).await
        } else {
            Vec::new()
        }
    };
    let (prometheus_rules, pod_monitors, service_monitors) = tokio::join!(
        monitoring::prometheus_rules(client, namespace),
        monitoring::monitors(client, namespace, monitoring::POD_MONITOR),
        monitoring::monitors(client, namespace, monitoring::SERVICE_MONITOR),
    );
    let (deployments, secrets, certificates, events, logs, endpoints, stores, archivers) = tokio::join!(
        list_kind(client, KindSpec::of(Kind::Deployment), namespace),
        secrets::referenced(
            client,
            &snapshot.object_stores.rows,
            &snapshot.services.rows
        ),
        list_kind(client, KindSpec::of(Kind::Certificate), namespace),
        list_kind(client, KindSpec::of(Kind::Event), namespace),
        logs,
        probes,
        stores,
        archivers,
    );
    Extras {
        deployments,
        secrets,
        certificates,
        events,
        logs,
        endpoints,
        probed: reach.network,
        stores,
        archivers,
        prometheus_rules,
        pod_monitors,
        service_monitors,
        firing: None,
    }
}

impl Extras {
    /// The facts the rules read: the live snapshot with these beside it.
    pub fn facts(&self, snapshot: &Snapshot) -> Facts {
        Facts {
            snapshot: snapshot.clone(),
            deployments: self.deployments.clone(),
            secrets: self.secrets.clone(),
            certificates: self.certificates.clone(),
            events: self.events.clone(),
            logs: self.logs.clone(),
            endpoints: self.endpoints.clone(),
            probed: self.probed,
            stores: self.stores.clone(),
            archivers: self.archivers.clone(),
            prometheus_rules: self.prometheus_rules.clone(),
            pod_monitors: self.pod_monitors.clone(),
            service_monitors: self.service_monitors.clone(),
        }
    }
}

/// The containers whose logs tell about backups: the plugin's own, the
/// plugin-barman-cloud sidecar of every instance of a cluster that uses the plugin, and the
/// recovery pods of a Cluster being restored.
pub fn log_targets(s: &Snapshot) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for svc in s.services.rows.iter() {
        for p in s
            .pods
            .in_namespace(&svc.namespace)
            .iter()
            .filter(|p| svc.selects(p))
        {
            if let Some((c, _)) = p
                .images
                .iter()
                .find(|(c, _)| c == "barman-cloud")
                .or(p.images.first())
            {
                out.push((p.namespace.clone(), p.name.clone(), c.clone()));
            }
        }
    }
    for c in s
        .clusters
        .rows
        .iter()
        .filter(|c| c.plugin.as_ref().is_some_and(|p| p.enabled))
    {
        for p in s.pods.in_namespace(&c.namespace).iter().filter(|p| {
            p.labels.get("cnpg.io/cluster") == Some(&c.name)
                && p.sidecars
                    .iter()
                    .any(|sc| sc == crate::model::domain::SIDECAR)
        }) {
            out.push((
                p.namespace.clone(),
                p.name.clone(),
                crate::model::domain::SIDECAR.to_string(),
            ));
        }
    }
    // A recovery Job's sidecar is an instance sidecar above too: read once.
    for t in recovery_log_targets(s) {
        if !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// Recovery pods read at most, per restoring Cluster: the newest attempts say why it fails.
const RECOVERY_PODS: usize = 3;

/// The recovery pods of each Cluster still being restored (the `full-recovery` Job's, or an
/// instance pod bootstrapping in its `bootstrap-instance` init container), with the
/// containers of theirs that tell about the restore.
fn recovery_log_targets(s: &Snapshot) -> Vec<(String, String, String)> {
    use crate::assess::restore::{PHASE_HEALTHY, RECOVERY_CONTAINERS, is_recovery_pod};
    let mut out = Vec::new();
    for c in s
        .clusters
        .rows
        .iter()
        .filter(|c| c.recovery.is_some() && c.phase != PHASE_HEALTHY)
    {
        let mut pods: Vec<_> = s
            .pods
            .in_namespace(&c.namespace)
            .iter()
            .filter(|p| is_recovery_pod(c, p) && p.phase != "Succeeded")
            .collect();
        pods.sort_by_key(|p| std::cmp::Reverse(p.created));
        for p in pods.into_iter().take(RECOVERY_PODS) {
            for (container, _) in p
                .images
                .iter()
                .filter(|(name, _)| RECOVERY_CONTAINERS.contains(&name.as_str()))
            {
                out.push((p.namespace.clone(), p.name.clone(), container.clone()));
            }
        }
    }
    out
}

async fn log_tails(client: &kube::Client, s: &Snapshot) -> Vec<LogTail> {
    futures::stream::iter(log_targets(s))
        .map(|(namespace, pod, container)| {
            let api: Api<Pod> = Api::namespaced(client.clone(), &namespace);
            async move {
                let params = LogParams {
                    container: Some(container.clone()),
                    tail_lines: Some(LOG_TAIL),
                    ..Default::default()
                };
                let lines = match tokio::time::timeout(READ_TIMEOUT, api.logs(&pod, &params)).await
                {
                    // Credentials a process printed stay out of every finding quoting it.
                    Ok(Ok(text)) => Ok(text
                        .lines()
                        .map(|l| crate::redact::redact(l).into_owned())
                        .collect()),
                    Ok(Err(kube::Error::Api(s))) => Err(format!("{} ({})", s.message, s.code)),
                    Ok(Err(e)) => Err(e.to_string()),
                    Err(_) => Err("reading the log timed out".to_string()),
                };
                LogTail {
                    namespace,
                    pod,
                    container,
                    lines,
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await
}

/// Every object read with a malformed field, named with the field, over all the kinds the
/// rules read: `check` lists them as notes.
pub fn malformed(f: &Facts) -> Vec<String> {
    let s = &f.snapshot;
    [
        &s.pods.malformed,
        &s.services.malformed,
        &s.object_stores.malformed,
        &s.backups.malformed,
        &s.clusters.malformed,
        &s.scheduled.malformed,
        &s.kustomizations.malformed,
        &s.git_repos.malformed,
        &s.helm_releases.malformed,
        &s.helm_repos.malformed,
        &s.oci_repos.malformed,
        &f.deployments.malformed,
        &f.certificates.malformed,
        &f.events.malformed,
    ]
    .iter()
    .flat_map(|m| m.iter().cloned())
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::recovery::Recovery;
    use crate::model::rows::{ClusterRow, PodRow};

    #[test]
    fn a_restoring_clusters_recovery_pods_are_read_in_both_shapes() {
        let pod = |name: &str, role: Option<&str>, containers: &[&str]| {
            let mut labels = std::collections::BTreeMap::from([(
                "cnpg.io/cluster".to_string(),
                "pg-restore".to_string(),
            )]);
            if let Some(r) = role {
                labels.insert("cnpg.io/jobRole".into(), r.into());
            }
            PodRow {
                namespace: "orders".into(),
                name: name.into(),
                labels,
                images: containers
                    .iter()
                    .map(|c| (c.to_string(), "img".to_string()))
                    .collect(),
                ..Default::default()
            }
        };
        let restoring = ClusterRow {
            namespace: "orders".into(),
            name: "pg-restore".into(),
            phase: "Setting up primary".into(),
            recovery: Some(Recovery::default()),
            ..Default::default()
        };
        let s = Snapshot {
            clusters: KindState::live(vec![restoring.clone()]),
            pods: KindState::live(vec![
                pod(
                    "pg-restore-1-full-recovery-x7k2p",
                    Some("full-recovery"),
                    &[
                        "full-recovery",
                        "bootstrap-controller",
                        "plugin-barman-cloud",
                    ],
                ),
                pod(
                    "pg-restore-1",
                    None,
                    &["postgres", "bootstrap-controller", "bootstrap-instance"],
                ),
                pod("pg-restore-1-initdb-abcde", Some("initdb"), &["initdb"]),
            ]),
            ..Default::default()
        };
        let t = |p: &str, c: &str| ("orders".to_string(), p.to_string(), c.to_string());
        let mut read = recovery_log_targets(&s);
        read.sort();
        assert_eq!(
            read,
            [
                t("pg-restore-1", "bootstrap-instance"),
                t("pg-restore-1-full-recovery-x7k2p", "full-recovery"),
                t("pg-restore-1-full-recovery-x7k2p", "plugin-barman-cloud"),
            ]
        );
        // Restored: nothing more to read.
        let done = Snapshot {
            clusters: KindState::live(vec![ClusterRow {
                phase: "Cluster in healthy state".into(),
                ..restoring
            }]),
            ..s
        };
        assert!(recovery_log_targets(&done).is_empty());
    }
}
