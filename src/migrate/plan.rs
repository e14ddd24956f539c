//! A migration planned purely from what was read: for each in-tree Cluster its ObjectStore,
//! the Cluster's one atomic change, its ScheduledBackups and externalClusters, the
//! pre-flight gates, and the steps in the order that works (plugin Ready, then the store,
//! then the Cluster, then its schedules).

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::manifest::{self, ClusterChange, Legacy};
use crate::assess::{self, Finding, Thresholds};
use crate::model::domain::PLUGIN_NAME;
use crate::model::facts::Facts;
use crate::model::rows::SecretRow;
use crate::model::state::{KindState, SyncState};

/// What the plan is made from.
pub struct Gathered {
    /// The Clusters to migrate, as the API serves them.
    pub clusters: Vec<Value>,
    /// Every ScheduledBackup in their namespaces.
    pub scheduled: Vec<Value>,
    /// Every ObjectStore in their namespaces.
    pub stores: Vec<Value>,
    /// The key names of the Secrets the in-tree sections reference (the facts hold only
    /// those ObjectStores reference).
    pub secrets: KindState<SecretRow>,
    pub facts: Facts,
}

/// What the person asked beyond the Clusters.
#[derive(Debug, Clone, Default)]
pub struct Ask {
    /// The ObjectStore's name (one Cluster only); default `<cluster>-store`.
    pub store_name: Option<String>,
    /// The change goes to Git (`--repo`), not to the cluster by kubectl.
    pub to_git: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Unknown,
    Warn,
    Fail,
}

impl Verdict {
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Unknown => "UNKNOWN",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
        }
    }
}

/// A pre-flight gate: what must hold before the change.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Gate {
    pub name: String,
    /// What it is about: a Cluster's `namespace/name`, or `Kustomization namespace/name`;
    /// None for the whole fleet.
    pub about: Option<String>,
    pub verdict: Verdict,
    pub evidence: Vec<String>,
    /// What to do when it does not pass.
    pub fix: Option<String>,
}

/// One Cluster's migration.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterPlan {
    pub legacy: Legacy,
    /// The ObjectStore it archives to afterwards.
    pub store: String,
    /// ObjectStores to create (declared form), the Cluster's first.
    pub new_stores: Vec<Value>,
    /// Every ObjectStore it uses afterwards, new or existing (declared form), the
    /// Cluster's first: what Git must declare.
    pub stores: Vec<Value>,
    /// The Cluster as it is to be declared.
    pub cluster: Value,
    /// The JSON patch that makes the change on the live object.
    pub cluster_patch: Value,
    /// (name, declared form, merge patch) of each ScheduledBackup that moves to the plugin.
    pub scheduled: Vec<(String, Value, Value)>,
    /// The objects as read, to save before anything changes (the Cluster first).
    pub before: Vec<Value>,
    /// The Flux Kustomization (namespace, name) that applies the Cluster.
    pub flux: Option<(String, String)>,
    /// The HelmRelease (namespace, name) that renders it.
    pub helm: Option<(String, String)>,
}

impl ClusterPlan {
    pub fn id(&self) -> String {
        format!("{}/{}", self.legacy.namespace, self.legacy.name)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct MigrationPlan {
    pub clusters: Vec<ClusterPlan>,
    pub gates: Vec<Gate>,
    /// The Flux Kustomization (namespace, name) that delivers the plugin, when one does.
    pub plugin_flux: Option<(String, String)>,
    /// The plugin's Deployment (namespace, name): what that Kustomization's health check names.
    pub plugin_deployment: Option<(String, String)>,
}

impl MigrationPlan {
    /// A gate failed: the change must not be made yet.
    pub fn blocked(&self) -> bool {
        self.gates.iter().any(|g| g.verdict == Verdict::Fail)
    }
}

fn text<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn label_pair(obj: &Value, prefix: &str) -> Option<(String, String)> {
    let name = text(obj, &format!("/metadata/labels/{prefix}~1name"))?;
    let ns = text(obj, &format!("/metadata/labels/{prefix}~1namespace")).unwrap_or("flux-system");
    Some((ns.to_string(), name.to_string()))
}

/// The Flux Kustomization that applied an object (its labels).
pub fn flux_owner(obj: &Value) -> Option<(String, String)> {
    label_pair(obj, "kustomize.toolkit.fluxcd.io")
}

/// The HelmRelease that rendered an object (its labels).
pub fn helm_owner(obj: &Value) -> Option<(String, String)> {
    label_pair(obj, "helm.toolkit.fluxcd.io")
}

/// Chooses the ObjectStore for a configuration in a namespace: one that exists there with
/// the same configuration, one this plan already creates, or a new name.
fn choose_store(
    ns: &str,
    config: &Value,
    wanted: &str,
    existing: &[Value],
    planned: &[Value],
) -> (String, bool) {
    let same = |s: &&Value| {
        text(s, "/metadata/namespace") == Some(ns)
            && s.pointer("/spec/configuration")
                .is_some_and(|c| manifest::same_store(c, config))
    };
    if let Some(s) = existing.iter().chain(planned).find(same) {
        return (
            text(s, "/metadata/name").unwrap_or(wanted).to_string(),
            false,
        );
    }
    let taken = |n: &str| {
        existing.iter().chain(planned).any(|s| {
            text(s, "/metadata/namespace") == Some(ns) && text(s, "/metadata/name") == Some(n)
        })
    };
    let mut name = wanted.to_string();
    let mut i = 2;
    while taken(&name) {
        name = format!("{wanted}-{i}");
        i += 1;
    }
    (name, true)
}

/// The ObjectStores one Cluster uses: those to create, and all of them as Git declares them.
#[derive(Default)]
struct Uses {
    new: Vec<Value>,
    all: Vec<Value>,
}

impl Uses {
    fn add(
        &mut self,
        g: &Gathered,
        ns: &str,
        name: &str,
        new: Option<Value>,
        planned: &mut Vec<Value>,
    ) {
        let declared = match new {
            Some(o) => {
                planned.push(o.clone());
                self.new.push(o.clone());
                o
            }
            None => {
                let known = g.stores.iter().chain(planned.iter()).find(|s| {
                    text(s, "/metadata/namespace") == Some(ns)
                        && text(s, "/metadata/name") == Some(name)
                });
                match known {
                    Some(o) => manifest::declared(o),
                    None => return,
                }
            }
        };
        if !self.all.contains(&declared) {
            self.all.push(declared);
        }
    }
}

/// Plans the migration of every gathered Cluster that archives in-tree.
pub fn plan(g: &Gathered, ask: &Ask, now: DateTime<Utc>) -> MigrationPlan {
    let outcome = assess::assess(&g.facts, now, &Thresholds::default());
    let mut planned_stores: Vec<Value> = Vec::new();
    let mut clusters = Vec::new();
    for c in &g.clusters {
        let Some(legacy) = Legacy::of(c) else {
            continue;
        };
        let ns = legacy.namespace.clone();
        let wanted = ask.store_name.clone().unwrap_or_else(|| {
            // The cloudnative-pg `cluster` chart names the store it creates so.
            let suffix = if helm_owner(c).is_some() {
                "backups"
            } else {
                "store"
            };
            format!("{}-{suffix}", legacy.name)
        });
        let (store, new) = choose_store(&ns, &legacy.config, &wanted, &g.stores, &planned_stores);
        let mut uses = Uses::default();
        uses.add(
            g,
            &ns,
            &store,
            new.then(|| {
                manifest::object_store(&store, &ns, &legacy.config, legacy.retention.as_deref())
            }),
            &mut planned_stores,
        );
        let mut external_stores = Vec::new();
        for (_, ext_name, config) in &legacy.external {
            let (s, new) = choose_store(
                &ns,
                config,
                &format!("{}-{ext_name}-store", legacy.name),
                &g.stores,
                &planned_stores,
            );
            // A source read for recovery or a replica: never pruned from here.
            uses.add(
                g,
                &ns,
                &s,
                new.then(|| manifest::object_store(&s, &ns, config, None)),
                &mut planned_stores,
            );
            external_stores.push(s);
        }
        let change = ClusterChange {
            legacy: &legacy,
            store: &store,
            external_stores: &external_stores,
        };
        let cluster_patch = manifest::cluster_patch(&change);
        let declared = manifest::declared(&manifest::migrated_cluster(c, &change));
        let mut before = vec![manifest::saved(c)];
        let mut scheduled = Vec::new();
        for sb in g.scheduled.iter().filter(|s| {
            text(s, "/metadata/namespace") == Some(ns.as_str())
                && text(s, "/spec/cluster/name") == Some(legacy.name.as_str())
        }) {
            before.push(manifest::saved(sb));
            if let Some(patch) = manifest::scheduled_patch(sb) {
                scheduled.push((
                    text(sb, "/metadata/name").unwrap_or_default().to_string(),
                    manifest::declared(&manifest::migrated_scheduled(sb)),
                    patch,
                ));
            }
        }
        clusters.push(ClusterPlan {
            flux: flux_owner(c),
            helm: helm_owner(c),
            legacy,
            store,
            new_stores: uses.new,
            stores: uses.all,
            cluster: declared,
            cluster_patch,
            scheduled,
            before,
        });
    }
    let plugin_flux = plugin_kustomization(&g.facts);
    let mut gates = fleet_gates(&g.facts, &outcome.findings, &clusters);
    gates.extend(kustomization_gates(g, &clusters, ask, plugin_flux.as_ref()));
    for cp in &clusters {
        gates.extend(cluster_gates(g, cp));
    }
    let plugin_deployment = g
        .facts
        .deployments
        .rows
        .iter()
        .find(|d| {
            d.images
                .iter()
                .any(|(_, i)| i.contains("plugin-barman-cloud"))
        })
        .map(|d| (d.namespace.clone(), d.name.clone()));
    MigrationPlan {
        clusters,
        gates,
        plugin_flux,
        plugin_deployment,
    }
}

/// The Kustomization that applies the plugin's Deployment (its Flux labels, else its
/// inventory).
fn plugin_kustomization(f: &Facts) -> Option<(String, String)> {
    let deps = f.deployments.rows.iter();
    let plugin = deps.clone().find(|d| {
        d.images
            .iter()
            .any(|(_, i)| i.contains("plugin-barman-cloud"))
    })?;
    if let Some(name) = plugin.labels.get("kustomize.toolkit.fluxcd.io/name") {
        let ns = plugin
            .labels
            .get("kustomize.toolkit.fluxcd.io/namespace")
            .cloned()
            .unwrap_or_else(|| "flux-system".into());
        return Some((ns, name.clone()));
    }
    let id = format!("{}_{}_apps_Deployment", plugin.namespace, plugin.name);
    f.snapshot
        .kustomizations
        .rows
        .iter()
        .find(|k| k.inventory.iter().any(|i| i == &id))
        .map(|k| (k.namespace.clone(), k.name.clone()))
}

fn codes<'a>(findings: &'a [Finding], wanted: &[&str]) -> Vec<&'a Finding> {
    findings
        .iter()
        .filter(|f| wanted.contains(&f.code))
        .collect()
}

fn gate(name: &str, verdict: Verdict, evidence: Vec<String>, fix: Option<String>) -> Gate {
    Gate {
        name: name.into(),
        about: None,
        verdict,
        evidence,
        fix,
    }
}

fn fleet_gates(f: &Facts, findings: &[Finding], clusters: &[ClusterPlan]) -> Vec<Gate> {
    let mut out = Vec::new();
    // The operator's version.
    let releases = assess::plugin::operator_releases(&f.deployments.rows);
    let name = "CloudNativePG 1.26 or newer (1.28.4, 1.29.2, 1.30.0 for switchover Clusters)";
    match releases.first() {
        None => out.push(gate(
            name,
            Verdict::Unknown,
            vec!["no CloudNativePG operator Deployment with a release tag was readable".into()],
            Some("Check the operator's version by hand: `kubectl get deploy -A -l app.kubernetes.io/name=cloudnative-pg -o jsonpath='{..image}'`".into()),
        )),
        Some(r) => {
            let v = r.version;
            let d = r.deployment;
            let ev = format!(
                "Deployment {}/{} spec.template.spec.containers[{}].image: {}",
                d.namespace, d.name, r.container, r.image
            );
            let switchover: Vec<String> = clusters
                .iter()
                .filter(|c| c.legacy.primary_update_method == "switchover")
                .map(ClusterPlan::id)
                .collect();
            let (verdict, mut evidence) = if v < (1, 26, 0) {
                (Verdict::Fail, vec![ev, "the Barman Cloud plugin needs CloudNativePG 1.26 or newer".into()])
            } else if !assess::plugin::switchover_fixed(v) && !switchover.is_empty() {
                (Verdict::Fail, vec![ev, format!(
                    "primaryUpdateMethod: switchover on {}: moving such a Cluster to the plugin can deadlock its former primary before 1.28.4, 1.29.2 or 1.30.0 (plugin-barman-cloud#901)",
                    switchover.join(", ")
                )])
            } else if v < (1, 27, 0) {
                (Verdict::Warn, vec![ev, "the plugin recommends CloudNativePG 1.27 or newer".into()])
            } else {
                (Verdict::Pass, vec![ev])
            };
            if releases.len() > 1 {
                evidence.push(format!("{} operator Deployments found; the first is judged", releases.len()));
            }
            let fix = (verdict != Verdict::Pass).then(|| {
                "Upgrade the operator (in Git if Flux applies it) to the newest patch of a supported minor, at least 1.28.4, 1.29.2 or 1.30.0: https://cloudnative-pg.io/documentation/current/installation_upgrade/".to_string()
            });
            out.push(gate(name, verdict, evidence, fix));
        }
    }
    // The plugin.
    let blockers = codes(
        findings,
        &["PLG001", "PLG002", "PLG003", "PLG004", "PLG005"],
    );
    let name = "the Barman Cloud plugin installed, registered and Ready";
    if blockers.is_empty() {
        let ready: Vec<String> = f
            .deployments
            .rows
            .iter()
            .filter(|d| {
                d.images
                    .iter()
                    .any(|(_, i)| i.contains("plugin-barman-cloud"))
            })
            .map(|d| format!("Deployment {}/{}: {} ready", d.namespace, d.name, d.ready))
            .collect();
        let verdict = if ready.is_empty() {
            Verdict::Unknown
        } else {
            Verdict::Pass
        };
        out.push(gate(name, verdict, ready, None));
    } else {
        out.push(gate(
            name,
            Verdict::Fail,
            blockers.iter().map(|x| format!("{}: {}", x.code, x.summary)).collect(),
            Some(format!(
                "Install the plugin first and wait until it is Ready (its Service registered with the operator): https://cloudnative-pg.io/plugin-barman-cloud/docs/installation/. {}",
                blockers[0].remedy
            )),
        ));
    }
    // Certificates for the plugin's gRPC connection.
    let name = "cert-manager, or the plugin's own certificates";
    let plugin_ready = out.last().is_some_and(|g| g.verdict == Verdict::Pass);
    if matches!(f.certificates.sync, SyncState::NotInstalled { .. }) {
        out.push(gate(
            name,
            if plugin_ready { Verdict::Pass } else { Verdict::Warn },
            vec![
                "cert-manager's Certificate kind is not served".into(),
                if plugin_ready {
                    "the plugin is Ready, so its certificates were provided another way".into()
                } else {
                    "the plugin is not Ready: its certificates may be what is missing".into()
                },
            ],
            (!plugin_ready).then(|| "Install cert-manager, or provide the plugin's server and client certificates yourself: https://cloudnative-pg.io/plugin-barman-cloud/docs/installation/".into()),
        ));
    } else {
        out.push(gate(
            name,
            Verdict::Pass,
            vec![format!(
                "cert-manager Certificates: {} readable",
                f.certificates.rows.len()
            )],
            None,
        ));
    }
    out
}

/// The gates of each Flux Kustomization that applies Clusters of the plan: where the
/// change must go, and whether it waits for the plugin.
fn kustomization_gates(
    g: &Gathered,
    clusters: &[ClusterPlan],
    ask: &Ask,
    plugin_flux: Option<&(String, String)>,
) -> Vec<Gate> {
    let mut owners: Vec<&(String, String)> =
        clusters.iter().filter_map(|c| c.flux.as_ref()).collect();
    owners.sort();
    owners.dedup();
    let mut out = Vec::new();
    for (fns, fname) in owners {
        let ids: Vec<String> = clusters
            .iter()
            .filter(|c| c.flux.as_ref() == Some(&(fns.clone(), fname.clone())))
            .map(ClusterPlan::id)
            .collect();
        let about = Some(format!("Kustomization {fns}/{fname}"));
        let applies = format!("it applies Cluster {}", ids.join(", "));
        let mut x = if ask.to_git {
            gate(
                "the change goes where Flux reads it",
                Verdict::Pass,
                vec![format!("{applies}; the change is written to the checkout")],
                None,
            )
        } else {
            gate(
                "the change goes where Flux reads it",
                Verdict::Warn,
                vec![format!(
                    "{applies} (their kustomize.toolkit.fluxcd.io labels)"
                )],
                Some(format!(
                    "Change Git, not the cluster: `backstop migrate plan {} --repo PATH` writes it into the checkout. Applying with kubectl, suspend it first (`flux suspend kustomization {fname} -n {fns}`) or its next reconciliation re-applies spec.backup and the admission webhook rejects the Cluster; resume only after Git has the change.",
                    ids.join(" ")
                )),
            )
        };
        x.about = about.clone();
        out.push(x);
        // The dependency chain the user's guide asks for.
        if let Some((pns, pname)) = plugin_flux {
            let chain = depends_on(&g.facts, (fns, fname), (pns, pname));
            let mut x = gate(
                "Flux applies the Clusters after the plugin",
                if chain { Verdict::Pass } else { Verdict::Warn },
                vec![if chain {
                    format!("it depends on {pns}/{pname}, which applies the plugin")
                } else {
                    format!("it does not depend (directly or through others) on {pns}/{pname}, which applies the plugin")
                }],
                (!chain).then(|| format!(
                    "Add to Kustomization {fns}/{fname} (`--repo PATH` does it):\n  spec:\n    dependsOn:\n      - name: {pname}{}\nand give {pns}/{pname} healthChecks on the plugin Deployment (or wait: true), so that a Cluster naming the plugin is never applied before the plugin is Ready. `backstop gitops lint PATH` checks the whole chain.",
                    if pns == fns { String::new() } else { format!("\n        namespace: {pns}") }
                )),
            );
            x.about = about;
            out.push(x);
        }
    }
    out
}

fn cluster_gates(g: &Gathered, cp: &ClusterPlan) -> Vec<Gate> {
    let id = cp.id();
    let l = &cp.legacy;
    let mut out = Vec::new();
    let mut push = |name: &str, verdict, evidence, fix| {
        let mut x = gate(name, verdict, evidence, fix);
        x.about = Some(id.clone());
        out.push(x);
    };
    if l.has_barman_plugin {
        push(
            "not half-migrated",
            Verdict::Fail,
            vec![format!(
                "Cluster {id} has spec.backup.barmanObjectStore and a {PLUGIN_NAME} plugin entry: WAL may be archived twice"
            )],
            Some("Remove one of the two by hand (the plugin entry, to start this migration clean), then plan again.".into()),
        );
    }
    // The Secrets the store reads, by key name.
    let ns = &l.namespace;
    let mut missing = Vec::new();
    let mut present = Vec::new();
    for (secret, keys) in crate::restore::manifest::secret_refs(&l.config) {
        match g
            .secrets
            .rows
            .iter()
            .find(|s| &s.namespace == ns && s.name == secret)
        {
            None if g.secrets.complete() => {
                missing.push(format!("Secret {ns}/{secret}: not found"))
            }
            None => missing.push(format!("Secret {ns}/{secret}: could not be read")),
            Some(s) => {
                let absent: Vec<&String> = keys.iter().filter(|k| !s.keys.contains(k)).collect();
                if absent.is_empty() {
                    present.push(format!("Secret {ns}/{secret}: keys {}", keys.join(", ")));
                } else {
                    missing.push(format!(
                        "Secret {ns}/{secret}: no key {}",
                        absent
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
            }
        }
    }
    // The bucket, read with those credentials.
    let proof = g
        .facts
        .stores
        .iter()
        .find(|p| p.in_tree && &p.namespace == ns && p.store == l.name);
    let name = "the object store reachable with the store's Secret";
    let mut evidence = present;
    evidence.extend(missing.iter().cloned());
    match proof.map(|p| &p.outcome) {
        _ if !missing.is_empty() => push(
            name,
            Verdict::Fail,
            evidence,
            Some(format!(
                "Create the Secret with those keys in {ns} before the ObjectStore: the plugin's sidecar reads it from the Cluster's namespace."
            )),
        ),
        Some(crate::model::bucket::ProofOutcome::Proven(b)) => {
            let p = proof.map(|p| p.destination.clone()).unwrap_or_default();
            evidence.push(format!(
                "listed {p} (server {}): {} base backups, newest WAL {}",
                l.server,
                b.backups.len(),
                b.newest_wal.as_deref().unwrap_or("none")
            ));
            push(name, Verdict::Pass, evidence, None);
        }
        Some(crate::model::bucket::ProofOutcome::Failed(e)) => {
            evidence.push(format!("reading the bucket: {e}"));
            push(name, Verdict::Fail, evidence, Some("Fix what the store's own error names (credentials, bucket, endpoint): the plugin would fail the same way.".into()));
        }
        Some(crate::model::bucket::ProofOutcome::Unknown(why)) => {
            evidence.push(format!("not read from here: {why}"));
            push(name, Verdict::Unknown, evidence, Some("Prove it from inside the cluster, e.g. a pod with the same credentials running `barman-cloud-check-wal-archive`.".into()));
        }
        None => {
            evidence.push(
                "the bucket was not read (no network to it from here, or a simulated endpoint)"
                    .into(),
            );
            push(name, Verdict::Unknown, evidence, None);
        }
    }
    // Continuity: the new store writes where the old backups are.
    let mut ev = vec![format!(
        "the ObjectStore {} keeps destinationPath {} and the plugin entry's serverName {}: backups and WAL archived so far stay in the recovery window",
        cp.store,
        text(&l.config, "/destinationPath").unwrap_or("(none)"),
        l.server
    )];
    if let Some(r) = &l.retention {
        ev.push(format!(
            "retentionPolicy {r} moves from the Cluster to the ObjectStore"
        ));
    }
    push("continuity of the recovery window", Verdict::Pass, ev, None);
    // Schedules Git does not deliver: the user's guide's lesson 1.
    if cp.flux.is_some() {
        for name in g.scheduled.iter().filter_map(|s| {
            let n = text(s, "/metadata/name")?;
            (text(s, "/metadata/namespace") == Some(ns.as_str())
                && text(s, "/spec/cluster/name") == Some(l.name.as_str())
                && flux_owner(s).is_none())
            .then_some(n)
        }) {
            push(
                "every object of the Cluster delivered by Git",
                Verdict::Warn,
                vec![format!(
                    "ScheduledBackup {ns}/{name} has no kustomize.toolkit.fluxcd.io labels while Cluster {id} does: it was applied by hand, and Git may not have it"
                )],
                Some(
                    "Find its file: a .gitignore pattern such as `*backup*.yaml` keeps such manifests out of Git while Flux reports success. `backstop gitops lint PATH` lists what is ignored; migrate the ScheduledBackup in Git too, or its next hand-made change is lost."
                .to_string()),
            );
        }
    }
    if let Some((hns, hname)) = &cp.helm {
        push(
            "the change goes where Flux reads it",
            Verdict::Warn,
            vec![format!(
                "Cluster {id} is rendered by HelmRelease {hns}/{hname}"
            )],
            Some(format!(
                "Change the chart's values in Git, not the cluster (`--repo PATH` does it): with the cloudnative-pg `cluster` chart (0.8 or newer), `backups.method: plugin` and `backups.pluginConfiguration.name: {PLUGIN_NAME}` make the chart write the plugin entry and create the ObjectStore `<fullname>-backups`; it writes no serverName, so the archive stays under {server}. The chart's default primaryUpdateMethod is switchover: see the operator gate. Suspend HelmRelease {hns}/{hname} before any kubectl change.",
                server = l.server
            )),
        );
    }
    out
}

/// Whether Kustomization `from` depends on `to`, directly or through others.
fn depends_on(f: &Facts, from: (&String, &String), to: (&String, &String)) -> bool {
    let rows = &f.snapshot.kustomizations.rows;
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut todo = vec![(from.0.clone(), from.1.clone())];
    while let Some(k) = todo.pop() {
        if seen.contains(&k) {
            continue;
        }
        let Some(row) = rows.iter().find(|r| r.namespace == k.0 && r.name == k.1) else {
            seen.push(k);
            continue;
        };
        for (dns, dname) in &row.depends_on {
            let ns = if dns.is_empty() { &row.namespace } else { dns };
            if ns == to.0 && dname == to.1 {
                return true;
            }
            todo.push((ns.clone(), dname.clone()));
        }
        seen.push(k);
    }
    false
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
