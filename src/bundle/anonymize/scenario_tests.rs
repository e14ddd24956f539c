//! The anonymizer on the built-in scenarios, laid out as a bundle: thousands of real object
//! shapes and log lines, where a leak would be a name nobody thought to list.

use super::*;
use std::collections::BTreeSet;

const SCENARIOS: &[(&str, &str)] = &[
    ("healthy", include_str!("../../sim/scenarios/healthy.yaml")),
    (
        "legacy-fleet",
        include_str!("../../sim/scenarios/legacy-fleet.yaml"),
    ),
    (
        "objectstore-credentials",
        include_str!("../../sim/scenarios/objectstore-credentials.yaml"),
    ),
    (
        "flux-stuck-dependency",
        include_str!("../../sim/scenarios/flux-stuck-dependency.yaml"),
    ),
];

use super::SYSTEM_NAMESPACES as SYSTEM;

/// A scenario file as `backstop report` lays out a bundle: the scenario without its logs,
/// one List per kind, one file per log.
fn as_bundle(text: &str) -> Vec<Entry> {
    let mut docs = serde_yaml::Deserializer::from_str(text)
        .map(|d| Value::deserialize(d).expect("the scenario parses"));
    let mut scenario = docs.next().expect("a Scenario first");
    let mut entries = Vec::new();
    if let Some(logs) = scenario["spec"]["logs"].as_sequence() {
        for l in logs {
            let pod = l["pod"].as_str().expect("pod");
            let container = l["container"].as_str().expect("container");
            let lines: Vec<&str> = l["lines"]
                .as_sequence()
                .map(|s| s.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            entries.push((
                format!("logs/{pod}/{container}.log"),
                lines.join("\n").into_bytes(),
            ));
        }
    }
    if let Some(spec) = scenario["spec"].as_mapping_mut() {
        spec.remove("logs");
    }
    let mut by_kind: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for doc in docs.filter(|d| !d.is_null()) {
        let kind = doc["kind"].as_str().unwrap_or("Unknown").to_lowercase();
        by_kind.entry(kind).or_default().push(doc);
    }
    for (kind, items) in by_kind {
        let mut list = serde_yaml::Mapping::new();
        list.insert("apiVersion".into(), "v1".into());
        list.insert("kind".into(), "List".into());
        list.insert("items".into(), Value::Sequence(items));
        entries.push((
            format!("objects/{kind}s/0001.yaml"),
            serde_yaml::to_string(&list).expect("YAML").into_bytes(),
        ));
    }
    entries.push((
        "scenario.yaml".to_string(),
        serde_yaml::to_string(&scenario).expect("YAML").into_bytes(),
    ));
    entries
}

use serde::Deserialize;

/// What a reader would call identifying, found independently of the anonymizer's own
/// collection: user namespaces, Clusters, ObjectStores, buckets, hosts.
fn identifying(entries: &[Entry]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (path, bytes) in entries.iter().filter(|(p, _)| p.starts_with("objects/")) {
        let doc: Value = serde_yaml::from_slice(bytes).expect(path);
        for item in doc["items"].as_sequence().into_iter().flatten() {
            let kind = item["kind"].as_str().unwrap_or("");
            if let Some(ns) = item["metadata"]["namespace"].as_str() {
                out.insert(ns.to_string());
            }
            if matches!(kind, "Cluster" | "ObjectStore" | "Namespace") {
                out.insert(item["metadata"]["name"].as_str().unwrap_or("").to_string());
            }
            if let Some(node) = item["spec"]["nodeName"].as_str() {
                out.insert(node.to_string());
            }
            for dest in [
                &item["spec"]["configuration"]["destinationPath"],
                &item["spec"]["backup"]["barmanObjectStore"]["destinationPath"],
            ] {
                if let Some(rest) = dest.as_str().and_then(|d| d.split_once("://")) {
                    let first = rest.1.split('/').next().unwrap_or("");
                    out.insert(first.split('.').next().unwrap_or("").to_string());
                }
            }
            for url in [
                &item["spec"]["configuration"]["endpointURL"],
                &item["spec"]["backup"]["barmanObjectStore"]["endpointURL"],
            ] {
                if let Some(host) = url.as_str().and_then(collect::url_host) {
                    out.insert(host.to_string());
                }
            }
        }
    }
    // A public cloud's endpoint names the provider, not the user: kept on purpose.
    let public = |s: &str| s.ends_with(".amazonaws.com") || s.ends_with(".googleapis.com");
    out.retain(|s| s.len() >= 3 && !SYSTEM.contains(&s.as_str()) && !public(s));
    out
}

/// Every string value, and every key that can only be a name, one per line.
fn strings(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Sequence(items) => items.iter().for_each(|x| strings(x, out)),
        Value::Mapping(map) => {
            for (k, v) in map {
                if let Some(k) = k.as_str().filter(|k| k.contains(['-', '.', '/'])) {
                    out.push_str(k);
                    out.push('\n');
                }
                strings(v, out);
            }
        }
        Value::Tagged(t) => strings(&t.value, out),
        _ => {}
    }
}

fn occurs(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].bytes().last();
        let after = text[i + word.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_alphanumeric())
            && !after.is_some_and(|b| b.is_ascii_alphanumeric())
    })
}

#[test]
fn no_identifying_string_of_a_built_in_scenario_survives() {
    for (name, text) in SCENARIOS {
        let bundle = as_bundle(text);
        let originals = identifying(&bundle);
        assert!(!originals.is_empty(), "{name}: {originals:?}");
        let a = anonymize(&bundle).unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert_eq!(a.entries.len(), bundle.len(), "{name}");
        for (path, bytes) in &a.entries {
            let text = String::from_utf8_lossy(bytes);
            // Field names stay whatever a namespace is called (`inventory` is one in
            // legacy-fleet, and a Kustomization's status field): read values, not keys.
            let text = if path.ends_with(".yaml") {
                let mut values = String::new();
                let doc: Value = serde_yaml::from_str(&text).expect("re-parses");
                strings(&doc, &mut values);
                values
            } else {
                text.into_owned()
            };
            for o in &originals {
                assert!(
                    !occurs(&text, o) && !occurs(path, o),
                    "{name}: {o} survives in {path}"
                );
            }
            if path.starts_with("objects/") {
                let doc: Value = serde_yaml::from_slice(bytes).expect("re-parses");
                assert!(doc["items"].is_sequence(), "{name}: {path}");
            }
        }
        // The plugin's name is what the checks look for: it must be intact.
        let objects = |entries: &[Entry]| -> String {
            entries
                .iter()
                .filter(|(p, _)| p.starts_with("objects/"))
                .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
                .collect()
        };
        let (before, after) = (objects(&bundle), objects(&a.entries));
        for kept in ["barman-cloud.cloudnative-pg.io", "namespace: cnpg-system"] {
            assert_eq!(
                before.matches(kept).count(),
                after.matches(kept).count(),
                "{name}: {kept}"
            );
        }
    }
}
