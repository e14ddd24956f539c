//! The Kubernetes objects that run the exporter, rendered as one multi-document YAML: a
//! ServiceAccount, a read-only ClusterRole over what `checks::collect` reads, Secrets only by
//! name (one Role per namespace, `get` with `resourceNames`: never `list`, which would bring
//! every value of every Secret over the wire), the Deployment, its Service and a
//! ServiceMonitor or PodMonitor. Pure: the Secrets to name are the caller's.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};

use crate::model::Kind;
use crate::model::Snapshot;
use crate::model::domain::{PLUGIN_CLIENT_SECRET_ANNOTATION, PLUGIN_SERVER_SECRET_ANNOTATION};

pub const NAME: &str = "backstop-exporter";
pub const PORT: u16 = 9963;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    ServiceMonitor,
    PodMonitor,
    None,
}

#[derive(Debug, Clone)]
pub struct Spec {
    pub namespace: String,
    pub image: String,
    pub monitor: Monitor,
    /// The exporter's evaluation interval, and the scrape interval (scraping more often
    /// would only read the same page again).
    pub interval: Duration,
    /// (namespace, name) of every Secret the exporter may get.
    pub secrets: BTreeSet<(String, String)>,
}

/// The Secrets the exporter reads by name: the ones ObjectStores and in-tree Clusters name
/// for their credentials and endpoint CA (the bucket read uses their values), and the
/// plugin Service's TLS Secrets (their key names tell whether the operator can register it).
pub fn secrets_named(s: &Snapshot) -> BTreeSet<(String, String)> {
    let stores = s.object_stores.rows.iter().flat_map(|o| {
        o.secret_refs
            .iter()
            .map(|(name, _)| (o.namespace.clone(), name.clone()))
            .chain(
                crate::ground::bucket::secret_refs(&o.access)
                    .into_iter()
                    .map(|r| (o.namespace.clone(), r.name)),
            )
            .collect::<Vec<_>>()
    });
    let in_tree = s.clusters.rows.iter().flat_map(|c| {
        c.barman_store
            .iter()
            .flat_map(crate::ground::bucket::secret_refs)
            .map(|r| (c.namespace.clone(), r.name))
            .collect::<Vec<_>>()
    });
    let tls = s.services.rows.iter().flat_map(|svc| {
        [
            PLUGIN_SERVER_SECRET_ANNOTATION,
            PLUGIN_CLIENT_SECRET_ANNOTATION,
        ]
        .into_iter()
        .filter_map(|a| svc.annotations.get(a).filter(|v| !v.is_empty()))
        .map(|name| (svc.namespace.clone(), name.clone()))
        .collect::<Vec<_>>()
    });
    stores
        .chain(in_tree)
        .chain(tls)
        .filter(|(ns, name)| !ns.is_empty() && !name.is_empty())
        .collect()
}

/// The kinds `checks::collect` lists, as (API group, resource), and the ones the alert
/// audit reads.
fn readable() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut by_group: BTreeMap<&'static str, Vec<&'static str>> = BTreeMap::new();
    for k in Kind::ALL {
        if matches!(k, Kind::Secret | Kind::CustomResourceDefinition) {
            continue;
        }
        by_group.entry(k.group()).or_default().push(k.plural());
    }
    by_group
        .entry("monitoring.coreos.com")
        .or_default()
        .extend(["prometheusrules", "podmonitors"]);
    by_group
}

fn labels() -> Value {
    json!({
        "app.kubernetes.io/name": NAME,
        "app.kubernetes.io/part-of": "backstop",
    })
}

/// Every object, in apply order.
pub fn objects(spec: &Spec) -> Vec<Value> {
    let ns = spec.namespace.as_str();
    let secs = spec.interval.as_secs().max(1);
    let mut rules: Vec<Value> = readable()
        .into_iter()
        .map(|(group, resources)| {
            json!({"apiGroups": [group], "resources": resources, "verbs": ["get", "list", "watch"]})
        })
        .collect();
    // Log tails of the plugin and the sidecars; each primary's instance manager and
    // exporter through the API server, and the kubelet's volume usage for its WAL.
    rules.push(
        json!({"apiGroups": [""], "resources": ["pods/log", "pods/proxy"], "verbs": ["get"]}),
    );
    rules.push(json!({"apiGroups": [""], "resources": ["nodes/proxy"], "verbs": ["get"]}));
    let subject = json!([{"kind": "ServiceAccount", "name": NAME, "namespace": ns}]);
    let mut out = vec![
        json!({
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": NAME, "namespace": ns, "labels": labels()},
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": NAME, "labels": labels()},
            "rules": rules,
        }),
        json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": NAME, "labels": labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": NAME},
            "subjects": subject,
        }),
    ];
    let mut by_ns: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (n, name) in &spec.secrets {
        by_ns.entry(n.as_str()).or_default().push(name.as_str());
    }
    for (secret_ns, names) in by_ns {
        let role = format!("{NAME}-secrets");
        out.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": role, "namespace": secret_ns, "labels": labels()},
            "rules": [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": names, "verbs": ["get"]}],
        }));
        out.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": role, "namespace": secret_ns, "labels": labels()},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": role},
            "subjects": subject,
        }));
    }
    out.push(deployment(spec, secs));
    out.push(json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": NAME, "namespace": ns, "labels": labels()},
        "spec": {
            "selector": {"app.kubernetes.io/name": NAME},
            "ports": [{"name": "metrics", "port": PORT, "targetPort": "metrics", "protocol": "TCP"}],
        },
    }));
    // The series carry the CNPG Cluster's own `namespace` and `cluster` labels, which the
    // generated alert rules join on: without honorLabels, Prometheus renames them to
    // `exported_namespace` in favour of the exporter pod's own namespace.
    let endpoint = json!({"port": "metrics", "path": "/metrics", "interval": format!("{secs}s"), "honorLabels": true});
    match spec.monitor {
        Monitor::ServiceMonitor => out.push(json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "ServiceMonitor",
            "metadata": {"name": NAME, "namespace": ns, "labels": labels()},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "endpoints": [endpoint],
            },
        })),
        Monitor::PodMonitor => out.push(json!({
            "apiVersion": "monitoring.coreos.com/v1",
            "kind": "PodMonitor",
            "metadata": {"name": NAME, "namespace": ns, "labels": labels()},
            "spec": {
                "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
                "podMetricsEndpoints": [endpoint],
            },
        })),
        Monitor::None => {}
    }
    out
}

fn deployment(spec: &Spec, secs: u64) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": NAME, "namespace": spec.namespace, "labels": labels()},
        "spec": {
            // One evaluator: two would double every read of the cluster and the buckets.
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": {"app.kubernetes.io/name": NAME}},
            "template": {
                "metadata": {"labels": labels()},
                "spec": {
                    "serviceAccountName": NAME,
                    "automountServiceAccountToken": true,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": 65532,
                        "runAsGroup": 65532,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [{
                        "name": "exporter",
                        "image": spec.image,
                        "args": [
                            "exporter",
                            "--listen", format!("0.0.0.0:{PORT}"),
                            "--interval", format!("{secs}s"),
                            // The log to the container's stderr, for kubectl logs and the
                            // cluster's log collector; nothing is written to disk.
                            "--log-file", "/dev/stderr",
                        ],
                        "ports": [{"name": "metrics", "containerPort": PORT, "protocol": "TCP"}],
                        "livenessProbe": {
                            "httpGet": {"path": "/healthz", "port": "metrics"},
                            "periodSeconds": secs.clamp(10, 300),
                            "failureThreshold": 3,
                            "timeoutSeconds": 5,
                        },
                        "resources": {
                            "requests": {"cpu": "50m", "memory": "128Mi"},
                            "limits": {"memory": "512Mi"},
                        },
                        "securityContext": {
                            "allowPrivilegeEscalation": false,
                            "readOnlyRootFilesystem": true,
                            "privileged": false,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }],
                },
            },
        },
    })
}

/// The objects as one YAML stream.
pub fn render(spec: &Spec) -> anyhow::Result<String> {
    let mut out = String::new();
    for o in objects(spec) {
        out.push_str("---\n");
        out.push_str(&serde_yaml::to_string(&o)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(secrets: &[(&str, &str)]) -> Spec {
        Spec {
            namespace: "backstop".into(),
            image: "registry.example/backstop:1".into(),
            monitor: Monitor::PodMonitor,
            interval: Duration::from_secs(60),
            secrets: secrets
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
        }
    }

    #[test]
    fn secrets_are_only_got_by_name_one_role_per_namespace() {
        let objs = objects(&spec(&[
            ("orders", "s3-creds"),
            ("orders", "ca"),
            ("billing", "az"),
        ]));
        let roles: Vec<&Value> = objs.iter().filter(|o| o["kind"] == "Role").collect();
        assert_eq!(roles.len(), 2);
        assert_eq!(roles[0]["metadata"]["namespace"], "billing");
        assert_eq!(
            roles[1]["rules"][0]["resourceNames"],
            json!(["ca", "s3-creds"])
        );
        for o in &objs {
            for r in o["rules"].as_array().into_iter().flatten() {
                let secrets = r["resources"]
                    .as_array()
                    .is_some_and(|rs| rs.iter().any(|x| x == "secrets" || x == "*"));
                if secrets {
                    assert_eq!(r["verbs"], json!(["get"]), "{r}");
                    assert!(r["resourceNames"].is_array(), "{r}");
                }
            }
        }
        let binding = objs
            .iter()
            .find(|o| o["kind"] == "RoleBinding")
            .expect("a binding");
        assert_eq!(binding["subjects"][0]["namespace"], "backstop");
    }

    #[test]
    fn the_deployment_runs_unprivileged_with_a_liveness_probe() {
        let objs = objects(&spec(&[]));
        let d = objs
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .expect("a Deployment");
        let c = &d["spec"]["template"]["spec"]["containers"][0];
        assert_eq!(c["securityContext"]["readOnlyRootFilesystem"], true);
        assert_eq!(c["securityContext"]["allowPrivilegeEscalation"], false);
        assert_eq!(
            d["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"],
            true
        );
        assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
        assert_eq!(c["args"][4], "60s");
        assert!(objs.iter().any(|o| o["kind"] == "PodMonitor"));
        assert!(
            !objs.iter().any(|o| o["kind"] == "Role"),
            "no Secret named, no Role"
        );
    }
}
