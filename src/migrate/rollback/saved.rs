//! The pre-migration file `backstop migrate plan` writes and rollback reads:
//! `<backup-dir>/<namespace>/<cluster>.pre-migration.yaml`, multi-document YAML, first the
//! Cluster, then each ScheduledBackup of it, each as the API served it minus status and
//! server-set metadata; a leading `#` comment says when, from which context, and the Flux
//! object that manages the Cluster. Read strictly: a file for another Cluster, or one
//! that is not what the plan writes, is an error naming the file and the line.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::model::Kind;

/// The default backup directory.
pub const DEFAULT_DIR: &str = "./backstop-migration-backup";

/// The largest pre-migration file read: a Cluster and its schedules are a few KB.
const MAX_BYTES: u64 = 1024 * 1024;

/// Where the pre-migration file of `ns/name` is under `dir`.
pub fn path_of(dir: &Path, ns: &str, name: &str) -> PathBuf {
    dir.join(ns).join(format!("{name}.pre-migration.yaml"))
}

/// The Flux object that applies the Cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manager {
    /// Kustomization or HelmRelease.
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl Manager {
    /// `flux <verb> kustomization NAME -n NS`.
    pub fn flux(&self, verb: &str) -> String {
        let word = if self.kind == Kind::HelmRelease {
            "helmrelease"
        } else {
            "kustomization"
        };
        format!("flux {verb} {word} {} -n {}", self.name, self.namespace)
    }
}

/// The Flux labels an applied object carries (kustomize-controller's, helm-controller's).
pub fn manager_from_labels(obj: &Value) -> Option<Manager> {
    let label = |k: &str| {
        obj.pointer(&format!("/metadata/labels/{}", k.replace('/', "~1")))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    for (kind, prefix) in [
        (Kind::Kustomization, "kustomize.toolkit.fluxcd.io"),
        (Kind::HelmRelease, "helm.toolkit.fluxcd.io"),
    ] {
        if let (Some(name), Some(ns)) = (
            label(&format!("{prefix}/name")),
            label(&format!("{prefix}/namespace")),
        ) {
            return Some(Manager {
                kind,
                namespace: ns.to_string(),
                name: name.to_string(),
            });
        }
    }
    None
}

/// A manager named in the header: `Kustomization NS/NAME` or `HelmRelease NS/NAME`
/// anywhere in a comment line.
fn manager_from_header(header: &[String]) -> Option<Manager> {
    let re = regex::Regex::new(
        r"\b(Kustomization|HelmRelease)\s+([a-z0-9]([-a-z0-9.]*[a-z0-9])?)/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)",
    )
    .ok()?;
    header.iter().find_map(|l| {
        let c = re.captures(l)?;
        Some(Manager {
            kind: if &c[1] == "HelmRelease" {
                Kind::HelmRelease
            } else {
                Kind::Kustomization
            },
            namespace: c[2].to_string(),
            name: c[4].to_string(),
        })
    })
}

/// A pre-migration file, read and checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Saved {
    /// The file, as shown.
    pub file: String,
    /// The leading comment, without its `#`.
    pub header: Vec<String>,
    pub cluster: Value,
    pub scheduled: Vec<Value>,
    /// The Flux object the header or the saved Cluster's labels name.
    pub manager: Option<Manager>,
}

/// Reads the file of `ns/name` under `dir`.
pub fn read(dir: &Path, ns: &str, name: &str) -> Result<Saved, String> {
    let path = path_of(dir, ns, name);
    let shown = crate::sanitize::clean(&path.display().to_string()).into_owned();
    let meta = std::fs::metadata(&path).map_err(|e| {
        format!("reading the pre-migration file {shown}: {e} (`backstop migrate plan` writes it; --from DIR names its directory)")
    })?;
    if meta.len() > MAX_BYTES {
        return Err(format!(
            "{shown}: {} bytes: a pre-migration file is a few KB, check the path",
            meta.len()
        ));
    }
    let text = crate::files::read_text(&path, crate::files::DUMP_LIMIT)
        .map_err(|e| format!("reading the pre-migration file {shown}: {e}"))?;
    parse(&shown, &text, ns, name)
}

fn at<'a>(v: &'a Value, ptr: &str) -> Option<&'a str> {
    v.pointer(ptr).and_then(Value::as_str)
}

/// Parses and checks the text of `file` as the pre-migration file of `ns/name`.
pub fn parse(file: &str, text: &str, ns: &str, name: &str) -> Result<Saved, String> {
    let header: Vec<String> = text
        .lines()
        .take_while(|l| l.trim_start().starts_with('#') || l.trim().is_empty() || l.trim() == "---")
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .map(|l| crate::sanitize::clean(l.trim()).into_owned())
        .collect();
    // Each document with the line it starts on.
    let mut docs: Vec<(usize, String)> = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") {
            docs.push((i + 2, String::new()));
        } else if let Some((_, d)) = docs.last_mut() {
            d.push_str(line);
            d.push('\n');
        }
    }
    let mut objects: Vec<(usize, Value)> = Vec::new();
    for (start, doc) in docs {
        let meaningful = doc
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
        if !meaningful {
            continue;
        }
        let v: Value = serde_yaml::from_str(&doc).map_err(|e| {
            let line = e.location().map(|l| start + l.line() - 1).unwrap_or(start);
            format!(
                "{file}:{line}: not YAML: {}",
                crate::sanitize::untrusted(&e.to_string())
            )
        })?;
        if !v.is_object() {
            return Err(format!("{file}:{start}: a document that is not an object"));
        }
        objects.push((start, v));
    }
    let Some((line, cluster)) = objects.first().cloned() else {
        return Err(format!(
            "{file}: no document: the Cluster should come first"
        ));
    };
    let kind = at(&cluster, "/kind").unwrap_or_default();
    if kind != "Cluster"
        || !at(&cluster, "/apiVersion")
            .unwrap_or_default()
            .starts_with("postgresql.cnpg.io/")
    {
        return Err(format!(
            "{file}:{line}: the first document is a {}, not a postgresql.cnpg.io Cluster",
            crate::sanitize::clean(if kind.is_empty() {
                "document without kind"
            } else {
                kind
            })
        ));
    }
    let same = |v: &Value, what: &str, line: usize| -> Result<(), String> {
        let n = at(v, "/metadata/name").unwrap_or_default();
        let s = at(v, "/metadata/namespace").unwrap_or(ns);
        if s != ns {
            return Err(format!(
                "{file}:{line}: {what} is in namespace {}, not {ns}: this file is for another cluster",
                crate::sanitize::clean(s)
            ));
        }
        if what == "the Cluster" && n != name {
            return Err(format!(
                "{file}:{line}: the Cluster is {}, not {name}: this file is for another cluster",
                crate::sanitize::clean(n)
            ));
        }
        Ok(())
    };
    same(&cluster, "the Cluster", line)?;
    if !cluster.get("spec").is_some_and(Value::is_object) {
        return Err(format!("{file}:{line}: the Cluster has no spec to restore"));
    }
    let mut scheduled = Vec::new();
    for (line, v) in objects.iter().skip(1) {
        let kind = at(v, "/kind").unwrap_or_default();
        if kind != "ScheduledBackup" {
            return Err(format!(
                "{file}:{line}: a {}: after the Cluster, the file holds only its ScheduledBackups",
                crate::sanitize::clean(if kind.is_empty() {
                    "document without kind"
                } else {
                    kind
                })
            ));
        }
        let sb_name = at(v, "/metadata/name").unwrap_or_default();
        if sb_name.is_empty() {
            return Err(format!("{file}:{line}: a ScheduledBackup without a name"));
        }
        same(
            v,
            &format!("ScheduledBackup {}", crate::sanitize::clean(sb_name)),
            *line,
        )?;
        let of = at(v, "/spec/cluster/name").unwrap_or_default();
        if of != name {
            return Err(format!(
                "{file}:{line}: ScheduledBackup {} is for Cluster {}, not {name}",
                crate::sanitize::clean(sb_name),
                crate::sanitize::clean(of)
            ));
        }
        scheduled.push(v.clone());
    }
    let manager = manager_from_header(&header).or_else(|| manager_from_labels(&cluster));
    Ok(Saved {
        file: file.to_string(),
        header,
        cluster,
        scheduled,
        manager,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "# Saved by backstop migrate plan at 2026-12-04T10:00:00Z from context prod\n# Managed by Flux Kustomization flux-system/databases\n---\napiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-ledger\n  namespace: ledger\nspec:\n  instances: 1\n  backup:\n    barmanObjectStore:\n      destinationPath: s3://b/ledger\n      serverName: pg-ledger-v2\n---\napiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: pg-ledger-nightly\n  namespace: ledger\nspec:\n  schedule: '0 0 2 * * *'\n  cluster:\n    name: pg-ledger\n";

    #[test]
    fn the_plans_file_gives_the_cluster_its_schedules_and_the_kustomization() {
        let s = parse("f.yaml", GOOD, "ledger", "pg-ledger").expect("parses");
        assert_eq!(
            s.cluster
                .pointer("/spec/backup/barmanObjectStore/serverName"),
            Some(&serde_json::json!("pg-ledger-v2"))
        );
        assert_eq!(s.scheduled.len(), 1);
        assert_eq!(
            s.manager,
            Some(Manager {
                kind: Kind::Kustomization,
                namespace: "flux-system".into(),
                name: "databases".into()
            })
        );
        assert_eq!(
            s.manager.as_ref().map(|m| m.flux("resume")).as_deref(),
            Some("flux resume kustomization databases -n flux-system")
        );
    }

    #[test]
    fn a_file_for_another_cluster_or_a_broken_one_names_the_file_and_line() {
        let e = parse("f.yaml", GOOD, "ledger", "pg-other").expect_err("another cluster");
        assert_eq!(
            e,
            "f.yaml:4: the Cluster is pg-ledger, not pg-other: this file is for another cluster"
        );
        let e = parse("f.yaml", GOOD, "orders", "pg-ledger").expect_err("another namespace");
        assert!(
            e.starts_with("f.yaml:4: the Cluster is in namespace ledger, not orders"),
            "{e}"
        );
        let other = GOOD.replace("    name: pg-ledger\n", "    name: pg-x\n");
        let e = parse("f.yaml", &other, "ledger", "pg-ledger").expect_err("schedule of another");
        assert_eq!(
            e,
            "f.yaml:16: ScheduledBackup pg-ledger-nightly is for Cluster pg-x, not pg-ledger"
        );
        let broken = GOOD.replace("  instances: 1\n", "  instances: [1\n");
        let e = parse("f.yaml", &broken, "ledger", "pg-ledger").expect_err("bad yaml");
        assert!(
            e.starts_with("f.yaml:1") && e.contains(": not YAML: "),
            "{e}"
        );
        let e = parse("f.yaml", "# nothing\n", "ledger", "pg-ledger").expect_err("empty");
        assert!(e.contains("no document"), "{e}");
    }
}
