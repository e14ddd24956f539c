//! Which container's log tells about an object: the plugin's own container for its pods,
//! the plugin sidecar of the instance a backup ran on (or of the primary), the Flux
//! controller that reconciles a Flux object.

use super::domain::{Kind, PLUGIN_CONTAINER, SIDECAR};
use super::object::ObjectRef;
use super::relate;
use super::snapshot::Snapshot;

/// One container of one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSource {
    pub namespace: String,
    pub pod: String,
    pub container: String,
}

/// The containers whose log a pod's own view shows first, in order.
const MAIN_CONTAINERS: [&str; 3] = [PLUGIN_CONTAINER, "manager", SIDECAR];

/// The log for `target`, or why there is none to show.
pub fn log_source(s: &Snapshot, target: &ObjectRef) -> Result<LogSource, String> {
    let pod_in = |ns: &str, name: &str| {
        s.pods
            .rows
            .iter()
            .find(|p| p.namespace == ns && p.name == name)
    };
    let sidecar = |ns: &str, pod: &str| -> Result<LogSource, String> {
        let p = pod_in(ns, pod).ok_or_else(|| {
            format!("pod {ns}/{pod} is not in view (deleted, or outside the namespace scope)")
        })?;
        let container = if p.images.iter().any(|(c, _)| c == SIDECAR) {
            SIDECAR.to_string()
        } else {
            p.images.first().map(|(c, _)| c.clone()).unwrap_or_default()
        };
        Ok(LogSource {
            namespace: ns.into(),
            pod: pod.into(),
            container,
        })
    };
    let (ns, name) = (target.namespace.as_str(), target.name.as_str());
    match target.kind {
        Kind::Pod => {
            let p = pod_in(ns, name).ok_or("the pod is gone")?;
            let container = MAIN_CONTAINERS
                .iter()
                .find(|c| p.images.iter().any(|(n, _)| n == *c))
                .map(|c| c.to_string())
                .or_else(|| p.images.first().map(|(c, _)| c.clone()))
                .ok_or("the pod has no container")?;
            Ok(LogSource {
                namespace: p.namespace.clone(),
                pod: p.name.clone(),
                container,
            })
        }
        Kind::Backup => {
            let b = s
                .backups
                .rows
                .iter()
                .find(|b| b.namespace == ns && b.name == name)
                .ok_or("the backup is gone")?;
            let pod = b.pod.as_deref().ok_or(
                "this backup has not run on an instance yet (no status.instanceID.podName)",
            )?;
            sidecar(&b.namespace, pod)
        }
        Kind::Cluster => {
            let c = s
                .clusters
                .rows
                .iter()
                .find(|c| c.namespace == ns && c.name == name)
                .ok_or("the cluster is gone")?;
            let primary = c
                .primary
                .as_deref()
                .ok_or("the cluster reports no primary yet")?;
            sidecar(&c.namespace, primary)
        }
        Kind::ObjectStore => {
            let user = relate::clusters_using(&s.clusters.rows, ns, name)
                .next()
                .ok_or("no Cluster uses this ObjectStore, so no sidecar writes to it")?;
            let primary = user
                .primary
                .as_deref()
                .ok_or("its cluster reports no primary yet")?;
            sidecar(&user.namespace, primary)
        }
        Kind::Kustomization
        | Kind::GitRepository
        | Kind::HelmRelease
        | Kind::HelmRepository
        | Kind::OCIRepository => {
            let controller = match target.kind {
                Kind::Kustomization => "kustomize-controller",
                Kind::HelmRelease => "helm-controller",
                _ => "source-controller",
            };
            let p = s
                .pods
                .rows
                .iter()
                .find(|p| p.labels.get("app").map(String::as_str) == Some(controller))
                .ok_or_else(|| {
                    format!(
                        "no {controller} pod in view: Flux logs live in its namespace (flux-system)"
                    )
                })?;
            Ok(LogSource {
                namespace: p.namespace.clone(),
                pod: p.name.clone(),
                container: "manager".into(),
            })
        }
        other => Err(format!("no log for a {other}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::rows::{BackupRow, PodRow};
    use crate::model::state::KindState;

    fn pod(name: &str, containers: &[&str]) -> PodRow {
        PodRow {
            namespace: "db".into(),
            name: name.into(),
            images: containers
                .iter()
                .map(|c| (c.to_string(), "img".to_string()))
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn a_backup_reads_the_sidecar_of_the_instance_it_ran_on() {
        let mut s = Snapshot {
            pods: KindState::live(vec![pod("pg-2", &["postgres", SIDECAR])]),
            ..Default::default()
        };
        s.backups.rows = Arc::new(vec![Arc::new(BackupRow {
            namespace: "db".into(),
            name: "b1".into(),
            pod: Some("pg-2".into()),
            ..Default::default()
        })]);
        let src = log_source(&s, &ObjectRef::new(Kind::Backup, "db", "b1"));
        assert_eq!(
            src.map(|l| (l.pod, l.container)),
            Ok(("pg-2".to_string(), SIDECAR.to_string()))
        );
    }

    #[test]
    fn a_backup_not_yet_run_says_why_there_is_no_log() {
        let mut s = Snapshot::default();
        s.backups.rows = Arc::new(vec![Arc::new(BackupRow {
            namespace: "db".into(),
            name: "b1".into(),
            ..Default::default()
        })]);
        let err = log_source(&s, &ObjectRef::new(Kind::Backup, "db", "b1"));
        assert!(err.is_err_and(|e| e.contains("not run on an instance")));
    }

    #[test]
    fn the_plugin_pod_shows_its_own_container_first() {
        let s = Snapshot {
            pods: KindState::live(vec![pod("barman-cloud-x", &["init", PLUGIN_CONTAINER])]),
            ..Default::default()
        };
        let src = log_source(&s, &ObjectRef::new(Kind::Pod, "db", "barman-cloud-x"));
        assert_eq!(src.map(|l| l.container), Ok(PLUGIN_CONTAINER.to_string()));
    }
}
