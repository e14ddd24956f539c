//! Rewrites an incident bundle so it can be shared: the names, namespaces, buckets and
//! hosts that say whose cluster it is become pseudonyms (`ns-1`, `cluster-1`, `store-1`,
//! `bucket-1`, `host-1.example.invalid`), the same everywhere (objects, logs, paths,
//! manifest, ground truth, transcript), while what every installation has (system
//! namespaces, the components, CRDs, the plugin's name) stays readable.
//!
//! Only values are rewritten: a namespace called `backup` must not turn a Cluster's
//! `backup:` into something the API would refuse. The exception is a key that can only be
//! a name (it holds a `-`, `.` or `/`, which no Kubernetes field name does, and it is not a
//! label or annotation key): CloudNativePG keys its status maps by instance name.

mod collect;
mod replace;

#[cfg(test)]
mod scenario_tests;
#[cfg(test)]
mod tests;

use anyhow::{Context, anyhow};
use collect::Collector;
pub use collect::SYSTEM_NAMESPACES;
use replace::Replacer;
use serde_yaml::Value;
use std::collections::BTreeMap;

/// One entry of a bundle: its path in the archive and its bytes.
pub type Entry = (String, Vec<u8>);

/// A bundle after [`anonymize`].
pub struct Anonymized {
    pub entries: Vec<Entry>,
    /// how many distinct originals were replaced, by category
    pub replaced: BTreeMap<&'static str, usize>,
}

/// The annotation kubectl writes with the whole object as it was applied: a second copy of
/// every name, in JSON, better dropped than rewritten.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Maps whose keys are label or annotation keys, never names.
const LABEL_MAPS: &[&str] = &[
    "labels",
    "annotations",
    "matchLabels",
    "nodeSelector",
    "selector",
];

enum Parsed {
    Yaml(Value),
    Json(serde_json::Value),
    Text(String),
    Bytes(Vec<u8>),
}

fn yaml(path: &str, bytes: &[u8]) -> anyhow::Result<Value> {
    serde_yaml::from_slice(bytes).map_err(|e| match e.location() {
        Some(at) => anyhow!("{path}: not valid YAML at line {}: {e}", at.line()),
        None => anyhow!("{path}: not valid YAML: {e}"),
    })
}

fn json(path: &str, bytes: &[u8]) -> anyhow::Result<serde_json::Value> {
    serde_json::from_slice(bytes)
        .map_err(|e| anyhow!("{path}: not valid JSON at line {}: {e}", e.line()))
}

fn is_object_list(path: &str) -> bool {
    path.starts_with("objects/") && (path.ends_with(".yaml") || path.ends_with(".yml"))
}

/// The items of an `objects/` List (or the document itself when it is a single object).
fn items(doc: &Value) -> Vec<&Value> {
    match doc.get("items").and_then(Value::as_sequence) {
        Some(items) => items.iter().collect(),
        None if doc.is_mapping() => vec![doc],
        None => Vec::new(),
    }
}

/// Rewrites a bundle's entries; `check.json` and `check.md` are left out (they are
/// regenerated from the rewritten objects, so they cannot carry an original).
pub fn anonymize(entries: &[Entry]) -> anyhow::Result<Anonymized> {
    // barman-cloud prints its destination on every command line: a bucket whose store was
    // not read (forbidden, cut) is still named in the sidecar's log and the ground truth.
    let destination = regex::Regex::new(
        r"(?:s3|gs)://[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?|https://[A-Za-z0-9-]+\.blob\.core\.windows\.net/[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)?",
    )
    .context("compiling the destination pattern")?;
    let endpoint = regex::Regex::new(r#"endpoint-url[\s"',=]+(https?://[^\s"',]+)"#)
        .context("compiling the endpoint pattern")?;
    let mut collector = Collector::default();
    let mut parsed = Vec::with_capacity(entries.len());
    for (path, bytes) in entries {
        let p = match path.as_str() {
            "check.json" | "check.md" => continue,
            "manifest.json" => {
                let doc = json(path, bytes)?;
                collect::manifest(&mut collector, &doc);
                Parsed::Json(doc)
            }
            "scenario.yaml" => {
                let doc = yaml(path, bytes)?;
                collect::scenario(&mut collector, &doc);
                Parsed::Yaml(doc)
            }
            p if p.ends_with(".json") => Parsed::Json(json(path, bytes)?),
            p if is_object_list(p) => {
                let doc = yaml(path, bytes)?;
                for item in items(&doc) {
                    collect::object(&mut collector, item);
                }
                Parsed::Yaml(doc)
            }
            p if p.starts_with("logs/") => {
                if let Some((ns, pod)) = log_pod(p) {
                    collector.add("namespace", ns);
                    collector.add("name", pod);
                }
                Parsed::Text(String::from_utf8_lossy(bytes).into_owned())
            }
            _ => match String::from_utf8(bytes.clone()) {
                Ok(text) => Parsed::Text(text),
                Err(_) => Parsed::Bytes(bytes.clone()),
            },
        };
        if !matches!(p, Parsed::Bytes(_)) {
            let text = String::from_utf8_lossy(bytes);
            for m in destination.find_iter(&text) {
                collector.add_destination(m.as_str());
            }
            for c in endpoint.captures_iter(&text) {
                if let Some(url) = c.get(1) {
                    collector.add_url_host(url.as_str());
                }
            }
        }
        parsed.push((path.as_str(), p));
    }

    let (pseudonyms, replaced) = collector.pseudonyms();
    let replacer = Replacer::new(
        collect::KEPT_WORDS
            .iter()
            .map(|w| (*w, *w))
            .chain(pseudonyms.iter().map(|(o, p)| (o.as_str(), p.as_str()))),
    );

    let mut out = Vec::with_capacity(parsed.len());
    for (path, p) in parsed {
        let bytes = match p {
            Parsed::Yaml(mut doc) => {
                rewrite_yaml(&mut doc, &replacer, false);
                serde_yaml::to_string(&doc)
                    .with_context(|| format!("writing the anonymized {path}"))?
                    .into_bytes()
            }
            Parsed::Json(mut doc) => {
                rewrite_json(&mut doc, &replacer);
                serde_json::to_vec_pretty(&doc)
                    .with_context(|| format!("writing the anonymized {path}"))?
            }
            Parsed::Text(text) => replacer.apply(&text).into_bytes(),
            Parsed::Bytes(bytes) => bytes,
        };
        out.push((rename(path, &replacer), bytes));
    }
    Ok(Anonymized {
        entries: out,
        replaced,
    })
}

/// `logs/<namespace>/<pod>/<container>.log` → (namespace, pod).
fn log_pod(path: &str) -> Option<(&str, &str)> {
    let mut parts = path.strip_prefix("logs/")?.split('/');
    Some((parts.next()?, parts.next()?))
}

/// A log's path follows its pod; every other path is the bundle's fixed layout.
fn rename(path: &str, r: &Replacer) -> String {
    match path.strip_prefix("logs/") {
        Some(rest) => format!("logs/{}", r.apply(rest)),
        None => path.to_string(),
    }
}

/// A key that can only be a name: Kubernetes field names are letters and digits.
fn name_like_key(k: &str) -> bool {
    k.contains(['-', '.', '/'])
}

fn rewrite_yaml(v: &mut Value, r: &Replacer, keys_are_labels: bool) {
    match v {
        Value::String(s) => *s = r.apply(s),
        Value::Sequence(seq) => seq.iter_mut().for_each(|x| rewrite_yaml(x, r, false)),
        Value::Tagged(t) => rewrite_yaml(&mut t.value, r, false),
        Value::Mapping(map) => {
            let old = std::mem::take(map);
            for (k, mut val) in old {
                let key_text = k.as_str().unwrap_or("");
                if key_text == LAST_APPLIED {
                    continue;
                }
                // A type is vocabulary, never a user's name: `apps/v1` stays whatever a
                // namespace is called, and the Scenario document stays one.
                if key_text != "apiVersion" && key_text != "kind" {
                    let labels = LABEL_MAPS.contains(&key_text);
                    rewrite_yaml(&mut val, r, labels);
                }
                let k = match &k {
                    Value::String(s) if !keys_are_labels && name_like_key(s) => {
                        Value::String(r.apply(s))
                    }
                    _ => k,
                };
                map.insert(k, val);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn rewrite_json(v: &mut serde_json::Value, r: &Replacer) {
    use serde_json::Value as J;
    match v {
        J::String(s) => *s = r.apply(s),
        J::Array(items) => items.iter_mut().for_each(|x| rewrite_json(x, r)),
        J::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut val) in old {
                rewrite_json(&mut val, r);
                let k = if name_like_key(&k) { r.apply(&k) } else { k };
                map.insert(k, val);
            }
        }
        J::Null | J::Bool(_) | J::Number(_) => {}
    }
}
