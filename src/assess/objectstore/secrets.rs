//! OBJ002: the secret data an ObjectStore references.

use std::collections::BTreeSet;

use super::AREA;
use crate::assess::{Facts, Finding, Kind, ObjectRef, Outcome, Severity};
use crate::model::relate::clusters_using;

/// OBJ002: every `{name, key}` under the credentials and endpointCA must resolve.
pub(super) fn secrets_present(f: &Facts, out: &mut Outcome) {
    let with_refs = f
        .snapshot
        .object_stores
        .rows
        .iter()
        .any(|o| !o.secret_refs.is_empty());
    if !with_refs {
        return;
    }
    if let Err(reason) = f.secrets.rows_or_why(&Kind::Secret.qualified()) {
        out.unknown(AREA, reason);
        return;
    }
    for o in f.snapshot.object_stores.rows.iter() {
        let ns = &o.namespace;
        let mut evidence = Vec::new();
        let mut fixes = Vec::new();
        let mut missing = BTreeSet::new();
        let mut checked = BTreeSet::new();
        for (secret, key) in &o.secret_refs {
            if !checked.insert((secret, key)) {
                continue;
            }
            match f
                .secrets
                .rows
                .iter()
                .find(|s| &s.namespace == ns && &s.name == secret)
            {
                None => {
                    evidence.push(format!(
                        "ObjectStore {ns}/{} references key {key} of secret {secret}; secret {ns}/{secret} is not found",
                        o.name
                    ));
                    fixes.push(format!(
                        "kubectl -n {ns} create secret generic {secret} --from-literal={key}=..."
                    ));
                }
                Some(s) if !s.keys.iter().any(|k| k == key) => {
                    evidence.push(format!(
                        "ObjectStore {ns}/{} references key {key} of secret {secret}; secret {ns}/{secret} has keys [{}]",
                        o.name,
                        s.keys.join(", ")
                    ));
                    fixes.push(format!(
                        "kubectl -n {ns} patch secret {secret} --type=merge -p '{{\"stringData\":{{\"{key}\":\"...\"}}}}'"
                    ));
                }
                Some(_) => continue,
            }
            missing.insert((secret.clone(), key.clone()));
        }
        if evidence.is_empty() {
            continue;
        }
        // The plugin's own words, where a cluster of this store shows them.
        for c in clusters_using(&f.snapshot.clusters.rows, ns, &o.name) {
            if let Some(cond) = c.archiving().filter(|a| !a.is_true())
                && missing
                    .iter()
                    .any(|(secret, _)| cond.message.contains(secret.as_str()))
            {
                evidence.push(format!(
                    "Cluster {ns}/{} condition ContinuousArchiving={}: {}",
                    c.name, cond.status, cond.message
                ));
            }
        }
        let names: Vec<String> = missing.iter().map(|(s, k)| format!("{s}/{k}")).collect();
        out.push(Finding {
            code: "OBJ002",
            severity: Severity::Critical,
            object: ObjectRef::new(Kind::ObjectStore, ns, &o.name),
            summary: format!("ObjectStore {ns}/{} references missing secret data: {}", o.name, names.join(", ")),
            evidence,
            remedy: format!(
                "Restore the secret data (or fix the reference in the ObjectStore); if the Secret is managed in Git \
                 (SOPS, External Secrets…) fix it there. {}",
                fixes.join(" ; ")
            ),
        });
    }
}
