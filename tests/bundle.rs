//! Incident bundles end to end: `backstop report` against each built-in scenario served on
//! loopback, then `check --dump BUNDLE` must find what `check` found on the cluster; no
//! credential planted in a Secret, an env value, a log line or an event reaches the bundle;
//! a bundle that is not one is refused with its name.

mod common;

use std::collections::BTreeSet;
use std::io::Read;

use common::{Served, output_text};
use serde_json::Value;

/// (code, object) of every finding of a `check --format json`.
fn findings(out: &std::process::Output) -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check printed JSON ({e}): {}", output_text(out)));
    doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap_or("").to_string(),
                f["object"].to_string(),
            )
        })
        .collect()
}

/// Every entry of a .tar.gz: (path, text).
fn entries(path: &std::path::Path) -> Vec<(String, String)> {
    let file = std::fs::File::open(path).expect("the bundle opens");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    archive
        .entries()
        .expect("a tar")
        .map(|e| {
            let mut e = e.expect("an entry");
            let name = e.path().expect("a path").to_string_lossy().into_owned();
            let mut text = String::new();
            e.read_to_string(&mut text).expect("text");
            (name, text)
        })
        .collect()
}

#[test]
fn a_bundle_of_each_builtin_scenario_reloads_with_the_same_findings() {
    for scenario in backstop::sim::scenario::builtin_names() {
        let served = Served::start(scenario);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let live = served.backstop(dir.path(), &["check", "--format", "json"]);
        let bundle = dir.path().join("b.tar.gz");
        let out = served.backstop(
            dir.path(),
            &["report", "-o", bundle.to_str().expect("utf-8")],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{scenario}: {}",
            output_text(&out)
        );
        let said = output_text(&out);
        assert!(said.contains("b.tar.gz written:"), "{scenario}: {said}");

        let dumped = served.backstop(
            dir.path(),
            &[
                "check",
                "--dump",
                bundle.to_str().expect("utf-8"),
                "--format",
                "json",
            ],
        );
        assert_eq!(
            findings(&dumped),
            findings(&live),
            "{scenario}: the bundle's findings differ from the cluster's"
        );

        let all = entries(&bundle);
        let names: BTreeSet<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        for must in [
            "manifest.json",
            "scenario.yaml",
            "check.json",
            "check.md",
            "ground.json",
        ] {
            assert!(names.contains(must), "{scenario}: no {must} in {names:?}");
        }
        assert!(
            names
                .iter()
                .any(|n| n.starts_with("objects/backups.postgresql.cnpg.io/")),
            "{scenario}: {names:?}"
        );
        assert!(
            names.iter().any(|n| n.starts_with("logs/")),
            "{scenario}: {names:?}"
        );
        let manifest: Value = serde_json::from_str(
            &all.iter()
                .find(|(n, _)| n == "manifest.json")
                .expect("a manifest")
                .1,
        )
        .expect("the manifest is JSON");
        assert_eq!(manifest["format"], "backstop-bundle/v1");
        assert!(
            manifest["objects"]["Cluster"].as_u64().unwrap_or(0) > 0,
            "{manifest}"
        );
        assert!(
            all.iter().all(|(_, text)| !text.contains("managedFields")),
            "{scenario}: managedFields are dropped"
        );

        // Anonymized: none of the names a user would mind sharing is left, and the check
        // on what is left finds the same codes.
        let anonymized = dir.path().join("b-anonymized.tar.gz");
        let out = served.backstop(
            dir.path(),
            &["report", "anonymize", bundle.to_str().expect("utf-8")],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{scenario}: {}",
            output_text(&out)
        );
        let shared = entries(&anonymized);
        let text: String = shared.iter().map(|(n, t)| format!("{n}\n{t}\n")).collect();
        for original in identifying(&all) {
            assert!(
                !contains_word(&text, &original),
                "{scenario}: {original} is still in the anonymized bundle"
            );
        }
        let codes = |set: BTreeSet<(String, String)>| {
            let mut c: Vec<String> = set.into_iter().map(|(code, _)| code).collect();
            c.sort();
            c
        };
        let reloaded = served.backstop(
            dir.path(),
            &[
                "check",
                "--dump",
                anonymized.to_str().expect("utf-8"),
                "--format",
                "json",
            ],
        );
        assert_eq!(
            codes(findings(&reloaded)),
            codes(findings(&live)),
            "{scenario}: the anonymized bundle's findings differ"
        );
    }
}

/// The namespaces (other than the system ones), Cluster and ObjectStore names and buckets
/// of a bundle's objects.
fn identifying(all: &[(String, String)]) -> BTreeSet<String> {
    use backstop::bundle::anonymize::SYSTEM_NAMESPACES as SYSTEM;
    let mut out = BTreeSet::new();
    for (name, text) in all {
        let kind = if name.starts_with("objects/clusters.postgresql") {
            "Cluster"
        } else if name.starts_with("objects/objectstores.") {
            "ObjectStore"
        } else {
            continue;
        };
        let list: Value = serde_yaml::from_str(text).expect("a List");
        for item in list["items"].as_array().into_iter().flatten() {
            let ns = item["metadata"]["namespace"].as_str().unwrap_or("");
            if !SYSTEM.contains(&ns) {
                out.insert(ns.to_string());
            }
            out.insert(item["metadata"]["name"].as_str().unwrap_or("").to_string());
            let path = if kind == "Cluster" {
                &item["spec"]["backup"]["barmanObjectStore"]["destinationPath"]
            } else {
                &item["spec"]["configuration"]["destinationPath"]
            };
            if let Some(bucket) = path
                .as_str()
                .and_then(|p| p.split_once("://"))
                .and_then(|(_, rest)| rest.split('/').next())
            {
                out.insert(bucket.to_string());
            }
        }
    }
    out.retain(|s| s.len() >= 3);
    out
}

/// `word` in `text` with no letter or digit on either side, and not as a YAML key of its
/// own (`inventory:` is Flux's field, whatever a namespace is called).
fn contains_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let rest = &text[i + word.len()..];
        let after = rest.chars().next();
        let line_start = text[..i].rsplit('\n').next().unwrap_or("");
        let a_key = line_start.trim().is_empty() && rest.starts_with(':');
        !a_key
            && !before.is_some_and(|c| c.is_ascii_alphanumeric())
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

/// A scenario with credentials planted where a careless bundle would copy them.
const PLANTED: &str = r#"
apiVersion: sim.backstop.dev/v1
kind: Scenario
metadata: {name: planted}
spec:
  base: healthy
  logs:
    - pod: cnpg-system/barman-cloud-fttg7fqgd5-zrklv
      container: barman-cloud
      lines:
        - '{"level":"error","msg":"upload failed","AWS_SECRET_ACCESS_KEY":"MARKERLOGKEY7f3a9"}'
        - 'connecting with password=MARKERLOGPASS2b8c'
---
apiVersion: v1
kind: Secret
metadata:
  name: planted-creds
  namespace: orders
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data":{"ACCESS_SECRET_KEY":"TUFSS0VSQU5OT1Q="},"stringData":{"k":"MARKERANNOTATION9d"}}'
data:
  ACCESS_KEY_ID: TUFSS0VSREFUQUlE
  ACCESS_SECRET_KEY: TUFSS0VSREFUQVNFQ1JFVA==
stringData:
  extra: MARKERSTRINGDATA4e
---
apiVersion: v1
kind: Pod
metadata: {name: planted-pod, namespace: orders}
spec:
  containers:
    - name: app
      image: busybox
      env:
        - {name: AWS_SECRET_ACCESS_KEY, value: MARKERENVVALUE5c1d}
        - {name: DATABASE_URL, value: "postgres://app:MARKERURLPASS6a@db:5432/app"}
      args: ["--token=MARKERARGTOKEN8e"]
---
apiVersion: v1
kind: Event
metadata: {name: planted-event, namespace: orders}
involvedObject: {kind: Pod, name: planted-pod, namespace: orders}
reason: Failed
message: "login failed: secret_access_key: MARKEREVENT3f"
type: Warning
"#;

#[test]
fn no_planted_credential_reaches_the_bundle() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("planted.yaml");
    std::fs::write(&file, PLANTED).expect("written");
    let sim = backstop::sim::Sim::from_scenario(file.to_str().expect("utf-8"))
        .unwrap_or_else(|e| panic!("the planted scenario loads: {e:#}"));
    let served = Served::with(sim);
    let bundle = dir.path().join("b.tar.gz");
    let out = served.backstop(
        dir.path(),
        &["report", "-o", bundle.to_str().expect("utf-8")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", output_text(&out));
    let all = entries(&bundle);
    let text: String = all.iter().map(|(n, t)| format!("=== {n}\n{t}\n")).collect();
    for marker in [
        "MARKERLOGKEY7f3a9",
        "MARKERLOGPASS2b8c",
        "TUFSS0VSQU5OT1Q=",
        "MARKERANNOTATION9d",
        "TUFSS0VSREFUQUlE",
        "TUFSS0VSREFUQVNFQ1JFVA==",
        "MARKERSTRINGDATA4e",
        "MARKERENVVALUE5c1d",
        "MARKERURLPASS6a",
        "MARKERARGTOKEN8e",
        "MARKEREVENT3f",
    ] {
        assert!(!text.contains(marker), "{marker} leaked into the bundle");
    }
    // By name and key names only: the Secret is there, its keys too.
    assert!(text.contains("planted-creds") && text.contains("ACCESS_SECRET_KEY"));
    assert!(text.contains("planted-pod") && text.contains("upload failed"));
}

#[test]
fn a_file_that_is_not_a_bundle_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let fake = dir.path().join("notes.tar.gz");
    std::fs::write(&fake, b"this is not gzip").expect("written");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["check", "--dump"])
        .arg(&fake)
        .output()
        .expect("backstop runs");
    let said = output_text(&out);
    assert_eq!(out.status.code(), Some(3), "{said}");
    assert!(said.contains("notes.tar.gz"), "{said}");
    assert!(!said.contains("panicked"), "{said}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn b_in_the_dashboard_writes_a_bundle_with_the_walks_transcript() {
    use backstop::ui::app::Settings;
    use crossterm::event::KeyCode;
    let files = tempfile::tempdir().expect("a temporary folder");
    let mut w = common::world::World::with(
        "plugin-crashloop-oom",
        Settings {
            restore_files: files.path().to_path_buf(),
            ..Settings::default()
        },
    )
    .await
    .gathered()
    .await;
    // A walk under way (left, so kept): its transcript goes into the bundle.
    w.press(KeyCode::Char('w')).await;
    w.press(KeyCode::Enter).await;
    assert!(w.app.walk.is_some(), "a walk started");
    w.press(KeyCode::Esc).await;
    w.press(KeyCode::Char('B')).await;
    // A second B while the first writes does not start another (same second, same name).
    w.press(KeyCode::Char('B')).await;
    w.until("the second B says one is being written", |a| {
        a.message
            .as_ref()
            .is_some_and(|(_, m)| m.starts_with("a bundle is already being written to"))
    })
    .await;
    w.until("the bundle is written", |a| {
        a.message
            .as_ref()
            .is_some_and(|(_, m)| m.starts_with("bundle written to") || m.starts_with("no bundle"))
    })
    .await;
    let said = w.app.message.clone().map(|(_, m)| m).unwrap_or_default();
    assert!(said.starts_with("bundle written to"), "{said}");
    let bundle = std::fs::read_dir(files.path())
        .expect("listed")
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap_or_else(|| panic!("no bundle in the folder; the footer said: {said}"));
    assert!(said.contains(&bundle.display().to_string()), "{said}");
    let all = entries(&bundle);
    let transcript = all
        .iter()
        .find(|(n, _)| n == "transcript.md")
        .unwrap_or_else(|| {
            panic!(
                "no transcript.md: {:?}",
                all.iter().map(|(n, _)| n).collect::<Vec<_>>()
            )
        });
    assert!(transcript.1.contains("plugin"), "{}", transcript.1);
    let check = &all
        .iter()
        .find(|(n, _)| n == "check.json")
        .expect("check.json")
        .1;
    assert!(check.contains("PLG"), "{check}");
}
