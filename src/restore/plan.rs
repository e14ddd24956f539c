//! A restore, planned purely: the recovery Cluster for the source's shape, the target judged
//! against the recovery window, and what to run. Refused with the reasons when the target
//! cannot be reached or the recovery would write the source's own archive.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::manifest::{self, Recovery, Shape};
use super::target::Target;
use super::window::{Judgement, Window, judge};
use crate::model::facts::Facts;
use crate::sanitize::clean_line;

/// What the person asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub target: Target,
    /// Start from this base backup instead of the one PostgreSQL would choose.
    pub from_backup: Option<String>,
    /// (namespace, name) of the recovery Cluster; default: the source's namespace and
    /// `<source>-restore`.
    pub into: Option<(String, String)>,
    /// Archive the restored cluster to the same store under this server name.
    pub archive_as: Option<String>,
    pub instances: Option<i64>,
    /// Labels and annotations of backstop's own (a drill's).
    pub labels: Map<String, Value>,
    pub annotations: Map<String, Value>,
}

impl Ask {
    pub fn new(target: Target) -> Ask {
        Ask {
            target,
            from_backup: None,
            into: None,
            archive_as: None,
            instances: None,
            labels: Map::new(),
            annotations: Map::new(),
        }
    }
}

/// What is known of the source: the Cluster and its ObjectStore as the API serves them, and
/// the facts a check gathered (Backups, the store's status, the bucket's proof, the
/// archiver's reading).
pub struct Source<'a> {
    pub cluster: &'a Value,
    pub store: Option<&'a Value>,
    pub facts: &'a Facts,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RestorePlan {
    pub source: (String, String),
    pub into: (String, String),
    pub shape: Shape,
    pub ask: Ask,
    pub window: Window,
    pub warnings: Vec<String>,
    /// What the plan chose and why, for the reader.
    pub notes: Vec<String>,
    /// In the order to apply them.
    pub objects: Vec<Value>,
    /// Secrets (with the keys used) the target namespace must hold, when it is not the
    /// source's.
    pub secrets: Vec<(String, Vec<String>)>,
    pub planned_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Refused {
    pub reasons: Vec<String>,
    pub window: Option<Box<Window>>,
}

impl Refused {
    fn new(reason: String) -> Refused {
        Refused {
            reasons: vec![reason],
            window: None,
        }
    }

    pub fn text(&self) -> String {
        let mut out = vec!["Refused: this restore would not work:".to_string()];
        out.extend(self.reasons.iter().map(|r| format!("  - {r}")));
        if let Some(w) = &self.window {
            out.extend(w.describe());
        }
        clean_line_all(&out)
    }
}

fn clean_line_all(lines: &[String]) -> String {
    lines
        .iter()
        .map(|l| clean_line(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

fn text_at<'a>(v: &'a Value, ptr: &str) -> &'a str {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default()
}

/// A Backup object's name where a base backup ID was asked for: its `status.backupId`.
fn backup_id_of(facts: &Facts, ns: &str, cluster: &str, id: &str) -> Option<(String, String)> {
    facts
        .snapshot
        .backups
        .rows
        .iter()
        .find(|b| b.namespace == ns && b.cluster == cluster && b.name == id)
        .and_then(|b| Some((b.name.clone(), b.backup_id.clone()?)))
}

pub fn plan(src: &Source, mut ask: Ask, now: DateTime<Utc>) -> Result<RestorePlan, Refused> {
    let (ns, name) = (
        text_at(src.cluster, "/metadata/namespace").to_string(),
        text_at(src.cluster, "/metadata/name").to_string(),
    );
    // People name Backups; barman names base backups. A Backup's name becomes its ID.
    let mut notes = Vec::new();
    for slot in [
        match &mut ask.target {
            Target::Backup(id) => Some(id),
            _ => None,
        },
        ask.from_backup.as_mut(),
    ]
    .into_iter()
    .flatten()
    {
        if let Some((backup, id)) = backup_id_of(src.facts, &ns, &name, slot) {
            notes.push(format!("Backup {backup} is base backup {id}."));
            *slot = id;
        }
    }
    let shape = Shape::of(src.cluster).map_err(Refused::new)?;
    let store_name = match &shape {
        Shape::Plugin { store, .. } => store.clone(),
        Shape::InTree { .. } => name.clone(),
    };
    let window = Window::of(src.facts, &ns, &name, &store_name, shape.server());
    let Judgement {
        mut refuse,
        mut warn,
    } = judge(&window, &ask.target, ask.from_backup.as_deref(), now);
    let into = ask
        .into
        .clone()
        .unwrap_or_else(|| (ns.clone(), format!("{name}-restore")));
    if into == (ns.clone(), name.clone()) {
        refuse.push(format!(
            "the recovery Cluster would be {ns}/{name} itself: restore into a new Cluster (--into NAMESPACE/NAME), then switch the applications over"
        ));
    }
    if let Some(new_server) = ask.archive_as.as_deref() {
        if new_server == shape.server() {
            refuse.push(format!(
                "archiving as {new_server} would write into the source's own archive: the restored cluster would stop in 'Setting up primary' with 'Expected empty archive', and must never share it; pick a new server name"
            ));
        } else if let Some(o) = src
            .facts
            .snapshot
            .object_stores
            .rows
            .iter()
            .find(|o| o.namespace == ns && o.name == store_name)
            && o.servers.iter().any(|s| s.server == new_server)
        {
            refuse.push(format!(
                "server {new_server} already holds backups in ObjectStore {ns}/{store_name}: the restored cluster would stop with 'Expected empty archive'; pick a server name never used there"
            ));
        }
        notes.push(format!(
            "The restored cluster archives to the same store as server {new_server}, never as {}.",
            shape.server()
        ));
    } else {
        notes.push(
            "The restored cluster does not archive (no plugins entry, no backup section): the source's archive is never written. Add archiving under a new serverName once it is to live on."
                .into(),
        );
    }
    let other_namespace = into.0 != ns;
    let mut objects = Vec::new();
    let mut secrets = Vec::new();
    match (&shape, src.store) {
        (Shape::Plugin { store, .. }, None) => refuse.push(format!(
            "ObjectStore {ns}/{store}, which Cluster {name} archives to, could not be read"
        )),
        (Shape::Plugin { store, .. }, Some(o)) => {
            if other_namespace {
                objects.push(manifest::store_copy(o, &into.0, &ask.labels));
                secrets =
                    manifest::secret_refs(o.pointer("/spec/configuration").unwrap_or(&Value::Null));
                notes.push(format!(
                    "ObjectStore {store} is copied into {} (an ObjectStore is read from the Cluster's own namespace) without its retention policy, with {} of memory for the restore sidecar.",
                    into.0,
                    manifest::RESTORE_SIDECAR_MEMORY_LIMIT
                ));
            } else {
                let limit = o
                    .pointer("/spec/instanceSidecarConfiguration/resources/limits/memory")
                    .and_then(manifest::quantity_bytes);
                if let Some(l) = limit.filter(|l| *l < manifest::RESTORE_SIDECAR_MEMORY_FLOOR) {
                    warn.push(format!(
                        "ObjectStore {store} limits the plugin sidecar to {} MiB of memory: restoring a base backup needs more than archiving, and a sidecar sized for archiving gets OOMKilled mid-restore; raise spec.instanceSidecarConfiguration.resources.limits.memory to {} for the restore",
                        l / (1024 * 1024),
                        manifest::RESTORE_SIDECAR_MEMORY_LIMIT
                    ));
                }
            }
        }
        (Shape::InTree { .. }, _) => {
            if other_namespace {
                secrets = manifest::secret_refs(
                    src.cluster
                        .pointer("/spec/backup/barmanObjectStore")
                        .unwrap_or(&Value::Null),
                );
            }
        }
    }
    if !refuse.is_empty() {
        return Err(Refused {
            reasons: refuse,
            window: Some(Box::new(window)),
        });
    }
    if !secrets.is_empty() {
        notes.push(format!(
            "Namespace {} must hold the credentials Secret(s) {} (same keys as in {ns}); the commands below copy them without showing their values.",
            into.0,
            secrets
                .iter()
                .map(|(s, _)| s.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let instances = ask.instances.unwrap_or_else(|| {
        src.cluster
            .pointer("/spec/instances")
            .and_then(Value::as_i64)
            .unwrap_or(1)
    });
    let mut annotations = ask.annotations.clone();
    annotations.insert(
        "backstop.dev/restored-from".into(),
        json!(format!("{ns}/{name}")),
    );
    annotations.insert(
        "backstop.dev/restore-target".into(),
        json!(ask.target.describe()),
    );
    objects.push(manifest::cluster(&Recovery {
        source: src.cluster,
        shape: &shape,
        namespace: &into.0,
        name: &into.1,
        target: &ask.target,
        from_backup: ask.from_backup.as_deref(),
        instances,
        archive_as: ask.archive_as.as_deref(),
        labels: ask.labels.clone(),
        annotations,
    }));
    Ok(RestorePlan {
        source: (ns, name),
        into,
        shape,
        ask,
        window,
        warnings: warn,
        notes,
        objects,
        secrets,
        planned_at: now,
    })
}

impl RestorePlan {
    /// The manifests, as a file for `kubectl apply -f` or a Git repository: a comment
    /// header saying what, from where, to when, and what was checked.
    pub fn yaml(&self) -> String {
        let mut out = vec![
            format!(
                "# Restore of Cluster {}/{} into {}/{}, to {}.",
                self.source.0,
                self.source.1,
                self.into.0,
                self.into.1,
                self.ask.target.describe()
            ),
            format!(
                "# Planned by backstop at {}.",
                crate::model::kubefmt::ts(self.planned_at)
            ),
        ];
        out.extend(self.window.describe().iter().map(|l| format!("# {l}")));
        out.extend(self.warnings.iter().map(|w| format!("# WARNING: {w}")));
        let mut text = clean_line_all(&out);
        text.push('\n');
        for o in &self.objects {
            text.push_str("---\n");
            // serde_yaml writes strings that need it quoted and escaped.
            text.push_str(&serde_yaml::to_string(o).unwrap_or_default());
        }
        text
    }

    /// The commands that apply and follow it, `file` being where the YAML was written.
    pub fn commands(&self, file: &str) -> Vec<String> {
        let (ns, name) = &self.into;
        let mut out = Vec::new();
        if self.into.0 != self.source.0 {
            // Idempotent, and read by any API server (a typed `create` sends protobuf).
            out.push(format!(
                "kubectl create namespace {ns} --dry-run=client -o yaml | kubectl apply -f -"
            ));
        }
        for (secret, _) in &self.secrets {
            out.push(format!(
                "kubectl get secret {secret} -n {} -o json | jq 'del(.metadata.namespace, .metadata.uid, .metadata.resourceVersion, .metadata.creationTimestamp, .metadata.ownerReferences, .metadata.managedFields)' | kubectl apply -n {ns} -f -",
                self.source.0
            ));
        }
        out.push(format!("kubectl apply -f {file}"));
        out.push(format!("kubectl get cluster {name} -n {ns} -w"));
        out.push(format!("kubectl cnpg status {name} -n {ns}"));
        out
    }

    /// The plan as a person reads it before applying it.
    pub fn text(&self, file: &str) -> String {
        let mut out = vec![format!(
            "Restore {}/{} into Cluster {}/{}, to {} ({}).",
            self.source.0,
            self.source.1,
            self.into.0,
            self.into.1,
            self.ask.target.describe(),
            match &self.shape {
                Shape::Plugin { store, server } =>
                    format!("Barman Cloud plugin: ObjectStore {store}, server {server}"),
                Shape::InTree { server } => format!("in-tree barmanObjectStore, server {server}"),
            }
        )];
        out.extend(self.window.describe());
        if let Some(id) = &self.ask.from_backup {
            out.push(format!("Starting from base backup {id} (pinned)."));
        }
        for w in &self.warnings {
            out.push(format!("WARNING: {w}"));
        }
        out.extend(self.notes.iter().cloned());
        out.push(String::new());
        out.push("Commands:".into());
        out.extend(self.commands(file).iter().map(|c| format!("  {c}")));
        clean_line_all(&out)
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
