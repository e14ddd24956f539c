//! The kinds the simulator serves: Kubernetes built-ins, always; custom kinds while their
//! CustomResourceDefinition exists, as on a real cluster.

mod builtins;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};

use self::builtins::{BUILTINS, builtin_type, ssar_type};
pub use self::builtins::{derived_builtin, is_builtin_group};
use super::table::{Column, Printer};

/// The API group that holds CRDs; their objects define the other custom kinds.
pub const CRD_GROUP: &str = "apiextensions.k8s.io";

/// Identifies a collection: (group, plural). The core group is "".
pub type ResKey = (String, String);

#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub namespaced: bool,
    /// Built-in kinds accept strategic merge patches; custom resources answer 415.
    pub builtin: bool,
    pub status_subresource: bool,
    /// Only pods have logs.
    pub log_subresource: bool,
    /// Kinds that are only ever created (SelfSubjectAccessReview) are not stored.
    pub create_only: bool,
    pub printer: Printer,
    /// The served version's `openAPIV3Schema`; built-in kinds are not validated here.
    pub schema: Option<Arc<Value>>,
}

impl ResourceType {
    pub fn key(&self) -> ResKey {
        (self.group.clone(), self.plural.clone())
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `backups.postgresql.cnpg.io`, `pods`: how Status messages name a resource.
    pub fn qualified(&self) -> String {
        qualified(&self.group, &self.plural)
    }

    pub fn verbs(&self) -> Vec<&'static str> {
        if self.create_only {
            vec!["create"]
        } else {
            vec![
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ]
        }
    }

    /// The APIResource entry of a legacy discovery document.
    pub fn api_resource(&self) -> Vec<Value> {
        let mut out = vec![json!({
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": self.verbs(),
            "shortNames": self.short_names,
            "categories": self.categories,
        })];
        if self.status_subresource {
            out.push(json!({
                "name": format!("{}/status", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
        if self.log_subresource {
            out.push(json!({
                "name": format!("{}/log", self.plural),
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get"],
            }));
        }
        out
    }

    /// The entry of an aggregated (apidiscovery.k8s.io/v2) discovery document.
    pub fn aggregated_resource(&self) -> Value {
        let mut subs = Vec::new();
        if self.status_subresource {
            subs.push(json!({"subresource": "status", "responseKind": {"group": self.group, "version": self.version, "kind": self.kind}, "verbs": ["get", "patch", "update"]}));
        }
        if self.log_subresource {
            subs.push(json!({"subresource": "log", "responseKind": {"group": "", "version": "", "kind": "Pod"}, "verbs": ["get"]}));
        }
        let mut r = json!({
            "resource": self.plural,
            "responseKind": {"group": self.group, "version": self.version, "kind": self.kind},
            "scope": if self.namespaced { "Namespaced" } else { "Cluster" },
            "singularResource": self.singular,
            "verbs": self.verbs(),
        });
        if !self.short_names.is_empty() {
            r["shortNames"] = json!(self.short_names);
        }
        if !self.categories.is_empty() {
            r["categories"] = json!(self.categories);
        }
        if !subs.is_empty() {
            r["subresources"] = Value::Array(subs);
        }
        r
    }
}

/// `plural.group`, or the plural alone for the core group.
pub fn qualified(group: &str, plural: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

/// English plural of a kind, as Kubernetes derives resource names: lower case, `y` → `ies`,
/// `s`/`x`/`ch`/`sh` → `es`, else `s`.
pub fn plural_of(kind: &str) -> String {
    let lower = kind.to_ascii_lowercase();
    if let Some(stem) = lower.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'i', 'o', 'u'])
    {
        return format!("{stem}ies");
    }
    if lower.ends_with('s')
        || lower.ends_with('x')
        || lower.ends_with("ch")
        || lower.ends_with("sh")
    {
        return format!("{lower}es");
    }
    format!("{lower}s")
}

/// Reads a custom kind from a CustomResourceDefinition object. None when the CRD is
/// malformed (then the kind is not served, as a real apiserver would not establish it).
pub fn from_crd(crd: &Value) -> Option<ResourceType> {
    let spec = crd.get("spec")?;
    let group = spec.get("group")?.as_str()?.to_string();
    let names = spec.get("names")?;
    let kind = names.get("kind")?.as_str()?.to_string();
    let plural = names.get("plural")?.as_str()?.to_string();
    let singular = names
        .get("singular")
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| kind.to_ascii_lowercase());
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions = spec.get("versions")?.as_array()?;
    // Serve the storage version (or the first served one): the simulator keeps one version.
    let version = versions
        .iter()
        .find(|v| v.get("storage").and_then(Value::as_bool) == Some(true))
        .or_else(|| versions.first())?;
    let version_name = version.get("name")?.as_str()?.to_string();
    let columns = version
        .get("additionalPrinterColumns")
        .and_then(Value::as_array)
        .map(|cols| cols.iter().filter_map(Column::from_crd).collect::<Vec<_>>())
        .unwrap_or_default();
    Some(ResourceType {
        group,
        version: version_name,
        kind,
        plural,
        singular,
        short_names: strings(names.get("shortNames")),
        categories: strings(names.get("categories")),
        namespaced: spec.get("scope").and_then(Value::as_str) != Some("Cluster"),
        builtin: false,
        status_subresource: version
            .get("subresources")
            .and_then(|s| s.get("status"))
            .is_some(),
        log_subresource: false,
        create_only: false,
        printer: if columns.is_empty() {
            Printer::Default
        } else {
            Printer::Columns(columns)
        },
        schema: version
            .pointer("/schema/openAPIV3Schema")
            .cloned()
            .map(Arc::new),
    })
}

/// Every kind currently served, indexed by collection and by (group, kind).
#[derive(Debug, Clone, Default)]
pub struct Registry {
    by_key: BTreeMap<ResKey, Arc<ResourceType>>,
    by_kind: BTreeMap<(String, String), ResKey>,
}

impl Registry {
    pub fn with_builtins() -> Self {
        let mut r = Registry::default();
        for bt in BUILTINS {
            r.insert(builtin_type(bt));
        }
        r.insert(ssar_type());
        r
    }

    pub fn insert(&mut self, t: ResourceType) -> Arc<ResourceType> {
        let t = Arc::new(t);
        self.by_kind
            .insert((t.group.clone(), t.kind.clone()), t.key());
        self.by_key.insert(t.key(), t.clone());
        t
    }

    pub fn remove(&mut self, key: &ResKey) -> Option<Arc<ResourceType>> {
        let t = self.by_key.remove(key)?;
        self.by_kind.remove(&(t.group.clone(), t.kind.clone()));
        Some(t)
    }

    pub fn get(&self, key: &ResKey) -> Option<&Arc<ResourceType>> {
        self.by_key.get(key)
    }

    /// Looks a collection up as a request path names it; the version must be the served one.
    pub fn resolve(&self, group: &str, version: &str, plural: &str) -> Option<&Arc<ResourceType>> {
        self.by_key
            .get(&(group.to_string(), plural.to_string()))
            .filter(|t| t.version == version)
    }

    pub fn by_kind(&self, group: &str, kind: &str) -> Option<&Arc<ResourceType>> {
        self.by_kind
            .get(&(group.to_string(), kind.to_string()))
            .and_then(|k| self.by_key.get(k))
    }

    pub fn types(&self) -> impl Iterator<Item = &Arc<ResourceType>> {
        self.by_key.values()
    }

    /// Served group/versions, core first, as discovery lists them.
    pub fn group_versions(&self) -> Vec<(String, String)> {
        let mut gvs: Vec<(String, String)> = self
            .by_key
            .values()
            .filter(|t| !t.group.is_empty())
            .map(|t| (t.group.clone(), t.version.clone()))
            .collect();
        gvs.sort();
        gvs.dedup();
        gvs
    }

    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<&Arc<ResourceType>> {
        self.by_key
            .values()
            .filter(|t| t.group == group && t.version == version)
            .collect()
    }
}

/// Splits `apiVersion` into (group, version).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_kubernetes_rules() {
        assert_eq!(plural_of("Ingress"), "ingresses");
        assert_eq!(plural_of("HelmRepository"), "helmrepositories");
        assert_eq!(plural_of("Gateway"), "gateways");
        assert_eq!(plural_of("HelmRelease"), "helmreleases");
        assert_eq!(plural_of("Issuer"), "issuers");
        assert_eq!(plural_of("Box"), "boxes");
    }

    #[test]
    fn crd_printer_columns_and_scope_are_read() {
        let crd = json!({"spec": {"group": "postgresql.cnpg.io", "scope": "Namespaced",
            "names": {"kind": "Backup", "plural": "backups", "singular": "backup"},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "Phase", "type": "string", "jsonPath": ".status.phase"}]}]}});
        let t = from_crd(&crd).expect("valid CRD");
        assert_eq!(t.qualified(), "backups.postgresql.cnpg.io");
        assert!(t.namespaced && t.status_subresource && !t.builtin);
        assert!(matches!(t.printer, Printer::Columns(ref c) if c.len() == 1));
    }
}
