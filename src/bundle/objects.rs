//! The objects of a bundle: every kind backstop knows, listed page by page and written as
//! `kubectl get -o yaml` prints them, minus what must not leave the cluster: Secret values
//! (a Secret keeps its name and key names), `managedFields`, the last-applied annotation
//! (a copy of the object, Secret data included), and any credential a value carries.

use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use serde_json::Value;

use crate::model::domain::Kind;

/// Objects per page: as the watchers and `check` list.
const PAGE: u32 = 500;
/// How long one page may take.
const READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// The CRDs kept: those of the kinds backstop reads (others are the cluster's business).
const CRD_GROUPS: &[&str] = &[
    "postgresql.cnpg.io",
    "barmancloud.cnpg.io",
    "toolkit.fluxcd.io",
    "cert-manager.io",
    "monitoring.coreos.com",
];

/// One kind to list.
#[derive(Debug, Clone)]
pub struct Listed {
    pub kind: String,
    pub resource: ApiResource,
    /// Cluster-scoped: listed whole even when the bundle is of one namespace.
    pub cluster_scoped: bool,
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource {
        group: group.into(),
        version: version.into(),
        api_version: if group.is_empty() {
            version.into()
        } else {
            format!("{group}/{version}")
        },
        kind: kind.into(),
        plural: plural.into(),
    }
}

/// Every kind a bundle holds: the ones backstop reads, the namespaces and volume claims
/// around them, and the monitoring kinds the alert audit reads.
pub fn kinds() -> Vec<Listed> {
    let mut out: Vec<Listed> = Kind::ALL
        .iter()
        .map(|k| Listed {
            kind: k.name().to_string(),
            resource: resource(k.group(), k.version(), k.name(), k.plural()),
            cluster_scoped: *k == Kind::CustomResourceDefinition,
        })
        .collect();
    for (group, kind, plural, cluster_scoped) in [
        ("", "Namespace", "namespaces", true),
        ("", "PersistentVolumeClaim", "persistentvolumeclaims", false),
        (
            "monitoring.coreos.com",
            "PrometheusRule",
            "prometheusrules",
            false,
        ),
        ("monitoring.coreos.com", "PodMonitor", "podmonitors", false),
        (
            "monitoring.coreos.com",
            "ServiceMonitor",
            "servicemonitors",
            false,
        ),
    ] {
        out.push(Listed {
            kind: kind.into(),
            resource: resource(group, "v1", kind, plural),
            cluster_scoped,
        });
    }
    out
}

/// The path of a kind's `n`th page inside the bundle.
pub fn page_path(l: &Listed, n: usize) -> String {
    let r = &l.resource;
    if r.group.is_empty() {
        format!("objects/{}/{n:04}.yaml", r.plural)
    } else {
        format!("objects/{}.{}/{n:04}.yaml", r.plural, r.group)
    }
}

/// What listing one page gave.
pub enum Page {
    Done,
    /// The kind is not served (its CRD is not installed): nothing to say about it.
    NotServed,
    Failed(String),
    /// Handing a page over failed (writing the bundle): the whole bundle fails.
    Sink(anyhow::Error),
}

/// Lists a kind page by page, calling `each` with every page (cleaned) as it comes, so a
/// large kind is never held whole. Err: why it could not be listed (after some pages,
/// possibly).
pub async fn list(
    client: &kube::Client,
    l: &Listed,
    namespace: Option<&str>,
    mut each: impl FnMut(Vec<Value>) -> anyhow::Result<()>,
) -> Page {
    let api: Api<DynamicObject> = match namespace.filter(|_| !l.cluster_scoped) {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &l.resource),
        None => Api::all_with(client.clone(), &l.resource),
    };
    let mut token: Option<String> = None;
    let mut any = false;
    loop {
        let mut lp = ListParams::default().limit(PAGE);
        if let Some(t) = &token {
            lp = lp.continue_token(t);
        }
        let page = match tokio::time::timeout(READ_TIMEOUT, api.list(&lp)).await {
            Ok(Ok(page)) => page,
            Ok(Err(kube::Error::Api(s))) if s.code == 404 && !any => return Page::NotServed,
            Ok(Err(kube::Error::Api(s))) => {
                return Page::Failed(format!("{} ({})", s.message, s.code));
            }
            Ok(Err(e)) => return Page::Failed(e.to_string()),
            Err(_) => return Page::Failed(format!("listing {} timed out", l.resource.plural)),
        };
        any = true;
        let items: Vec<Value> = page
            .items
            .into_iter()
            .filter_map(|o| serde_json::to_value(o).ok())
            .filter(|o| keep(l, o))
            .map(|o| clean(l, o))
            .collect();
        if let Err(e) = each(items) {
            return Page::Sink(e);
        }
        token = page.metadata.continue_.filter(|c| !c.is_empty());
        if token.is_none() {
            return Page::Done;
        }
    }
}

fn keep(l: &Listed, o: &Value) -> bool {
    if l.kind != "CustomResourceDefinition" {
        return true;
    }
    let group = o
        .pointer("/spec/group")
        .and_then(Value::as_str)
        .unwrap_or("");
    CRD_GROUPS
        .iter()
        .any(|g| group == *g || group.ends_with(&format!(".{g}")))
}

/// The object as `kubectl get -o yaml` prints it, with nothing secret left in it.
pub fn clean(l: &Listed, mut o: Value) -> Value {
    if let Some(map) = o.as_object_mut() {
        map.insert(
            "apiVersion".into(),
            Value::String(l.resource.api_version.clone()),
        );
        map.insert("kind".into(), Value::String(l.kind.clone()));
    }
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
    }
    if l.kind == "Secret"
        && let Some(map) = o.as_object_mut()
    {
        // By name and key names only: the values never leave the cluster.
        map.remove("stringData");
        if let Some(data) = map.get_mut("data").and_then(Value::as_object_mut) {
            for v in data.values_mut() {
                *v = Value::String(String::new());
            }
        }
    }
    redact_values(&mut o);
    o
}

/// Every string through the one redactor, and the value of an environment variable the
/// redactor calls a credential (`AWS_SECRET_ACCESS_KEY`) masked whole. Other keys are not
/// judged by their names: `secretName` or `cnpg.io/pluginServerSecret` name a Secret, they
/// do not hold one, and the rules need those names.
fn redact_values(v: &mut Value) {
    match v {
        Value::String(s) => {
            if let std::borrow::Cow::Owned(r) = crate::redact::redact(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_values),
        Value::Object(map) => {
            let env_name = map
                .get("name")
                .and_then(Value::as_str)
                .filter(|_| map.contains_key("value"))
                .map(str::to_string);
            for (k, child) in map.iter_mut() {
                match (k.as_str(), child, &env_name) {
                    ("value", Value::String(s), Some(name)) if sensitive(name, s) => {
                        *s = "[redacted]".into();
                    }
                    (_, child, _) => redact_values(child),
                }
            }
        }
        _ => {}
    }
}

/// Whether the redactor masks `value` written as `key=value`: one rule for what a
/// credential is, the redactor's.
fn sensitive(key: &str, value: &str) -> bool {
    if value.is_empty() {
        return false;
    }
    let line = format!("{key}={value}");
    crate::redact::redact(&line) != line
}

/// The page as a `kind: List` YAML document.
pub fn page_yaml(items: Vec<Value>) -> anyhow::Result<Vec<u8>> {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    Ok(serde_yaml::to_string(&list)?.into_bytes())
}

/// Why a kind is not in the bundle.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    NotServed,
    Failed(String),
}

/// Lists every kind, one after the other (so one page at a time is held), handing each
/// page to `sink`; returns what each kind gave: (kind, objects, why not read). Err: the
/// sink failed.
pub async fn list_all(
    client: &kube::Client,
    namespace: Option<&str>,
    mut sink: impl FnMut(&Listed, usize, Vec<Value>) -> anyhow::Result<()>,
) -> anyhow::Result<Vec<(String, usize, Option<Why>)>> {
    let mut out = Vec::new();
    for l in kinds() {
        let mut count = 0usize;
        let mut pages = 0usize;
        let result = list(client, &l, namespace, |items| {
            if items.is_empty() {
                return Ok(());
            }
            pages += 1;
            count += items.len();
            sink(&l, pages, items)
        })
        .await;
        let why = match result {
            Page::Done => None,
            Page::NotServed => Some(Why::NotServed),
            Page::Failed(why) => Some(Why::Failed(why)),
            Page::Sink(e) => return Err(e),
        };
        out.push((l.kind.clone(), count, why));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listed(kind: &str) -> Listed {
        kinds()
            .into_iter()
            .find(|l| l.kind == kind)
            .expect("a known kind")
    }

    #[test]
    fn a_secret_keeps_its_key_names_and_loses_its_values() {
        let secret = serde_json::json!({
            "metadata": {"name": "s3-creds", "namespace": "orders",
                "managedFields": [{"manager": "kubectl"}],
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"ACCESS_SECRET_KEY\":\"c2VjcmV0\"}}"}},
            "data": {"ACCESS_KEY_ID": "QUtJQQ==", "ACCESS_SECRET_KEY": "c2VjcmV0"},
            "stringData": {"x": "y"}
        });
        let out = clean(&listed("Secret"), secret);
        let text = serde_json::to_string(&out).expect("json");
        assert!(
            !text.contains("c2VjcmV0") && !text.contains("QUtJQQ=="),
            "{text}"
        );
        assert!(text.contains("\"ACCESS_KEY_ID\":\"\""), "{text}");
        assert!(
            !text.contains("managedFields") && !text.contains("stringData"),
            "{text}"
        );
        assert_eq!(out["kind"], "Secret");
        assert_eq!(out["apiVersion"], "v1");
    }

    #[test]
    fn a_credential_in_an_env_value_or_a_message_is_masked() {
        let pod = serde_json::json!({
            "metadata": {"name": "p", "namespace": "n"},
            "spec": {"containers": [{"name": "c", "env": [
                {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMIK7MDENG"},
                {"name": "REGION", "value": "eu-west-1"}]}]},
            "status": {"message": "failed: password=hunter2hunter2"}
        });
        let text = serde_json::to_string(&clean(&listed("Pod"), pod)).expect("json");
        assert!(!text.contains("wJalrXUtnFEMIK7MDENG"), "{text}");
        assert!(!text.contains("hunter2hunter2"), "{text}");
        assert!(text.contains("eu-west-1"), "{text}");
    }
}
