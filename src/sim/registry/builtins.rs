//! The kinds Kubernetes itself serves: the table of those the simulator knows, the groups
//! they come from, and the generic entry for a built-in kind the table lacks.

use super::{ResourceType, plural_of};
use crate::sim::table::Printer;

/// API groups whose kinds are part of Kubernetes itself: a kind of these groups that the
/// simulator has no entry for is still served as a built-in, never through a CRD.
pub fn is_builtin_group(group: &str) -> bool {
    matches!(
        group,
        "" | "apps"
            | "batch"
            | "autoscaling"
            | "policy"
            | "networking.k8s.io"
            | "rbac.authorization.k8s.io"
            | "storage.k8s.io"
            | "coordination.k8s.io"
            | "discovery.k8s.io"
            | "scheduling.k8s.io"
            | "node.k8s.io"
            | "admissionregistration.k8s.io"
            | "certificates.k8s.io"
            | "flowcontrol.apiserver.k8s.io"
            | "apiextensions.k8s.io"
            | "apiregistration.k8s.io"
            | "authorization.k8s.io"
            | "authentication.k8s.io"
            | "events.k8s.io"
            | "resource.k8s.io"
    )
}

pub(super) struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    status: bool,
}

pub(super) const BUILTINS: &[Builtin] = &[
    b("", "v1", "Namespace", "namespaces", &["ns"], false, true),
    b("", "v1", "Pod", "pods", &["po"], true, true),
    b("", "v1", "Service", "services", &["svc"], true, true),
    b("", "v1", "Secret", "secrets", &[], true, false),
    b("", "v1", "ConfigMap", "configmaps", &["cm"], true, false),
    b("", "v1", "Event", "events", &["ev"], true, false),
    b(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        &["sa"],
        true,
        false,
    ),
    b("", "v1", "Node", "nodes", &["no"], false, true),
    b("", "v1", "Endpoints", "endpoints", &["ep"], true, false),
    b(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
        true,
        true,
    ),
    b(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        &["pv"],
        false,
        true,
    ),
    b(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        &["deploy"],
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        &["rs"],
        true,
        true,
    ),
    b(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        &["sts"],
        true,
        true,
    ),
    b("apps", "v1", "DaemonSet", "daemonsets", &["ds"], true, true),
    b("batch", "v1", "Job", "jobs", &[], true, true),
    b("batch", "v1", "CronJob", "cronjobs", &["cj"], true, true),
    b(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        &["pdb"],
        true,
        true,
    ),
    b(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        &["ing"],
        true,
        true,
    ),
    b(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        &["netpol"],
        true,
        false,
    ),
    b(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        &[],
        true,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        &[],
        true,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        &[],
        true,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        &[],
        false,
        false,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
        false,
    ),
    b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
        false,
        true,
    ),
    b(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        &["sc"],
        false,
        false,
    ),
];

#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    status: bool,
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        short,
        namespaced,
        status,
    }
}

pub(super) fn builtin_type(bt: &Builtin) -> ResourceType {
    ResourceType {
        group: bt.group.into(),
        version: bt.version.into(),
        kind: bt.kind.into(),
        plural: bt.plural.into(),
        singular: bt.kind.to_ascii_lowercase(),
        short_names: bt.short.iter().map(|s| s.to_string()).collect(),
        categories: if matches!(
            bt.plural,
            "pods"
                | "services"
                | "deployments"
                | "replicasets"
                | "statefulsets"
                | "daemonsets"
                | "jobs"
                | "cronjobs"
        ) {
            vec!["all".into()]
        } else {
            vec![]
        },
        namespaced: bt.namespaced,
        builtin: true,
        status_subresource: bt.status,
        log_subresource: bt.plural == "pods",
        create_only: false,
        printer: Printer::builtin(bt.plural),
        schema: None,
    }
}

/// A built-in kind the simulator has no table entry for (from a dump): served generically.
pub fn derived_builtin(group: &str, version: &str, kind: &str, namespaced: bool) -> ResourceType {
    ResourceType {
        group: group.into(),
        version: version.into(),
        kind: kind.into(),
        plural: plural_of(kind),
        singular: kind.to_ascii_lowercase(),
        short_names: vec![],
        categories: vec![],
        namespaced,
        builtin: true,
        status_subresource: true,
        log_subresource: false,
        create_only: false,
        printer: Printer::Default,
        schema: None,
    }
}

pub(super) fn ssar_type() -> ResourceType {
    ResourceType {
        group: "authorization.k8s.io".into(),
        version: "v1".into(),
        kind: "SelfSubjectAccessReview".into(),
        plural: "selfsubjectaccessreviews".into(),
        singular: "selfsubjectaccessreview".into(),
        short_names: vec![],
        categories: vec![],
        namespaced: false,
        builtin: true,
        status_subresource: false,
        log_subresource: false,
        create_only: true,
        printer: Printer::Default,
        schema: None,
    }
}
