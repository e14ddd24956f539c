//! Custom resources checked against their CRD's schema as a real apiserver checks them:
//! through kubectl (which sends fieldValidation=Strict by default) and through plain
//! non-strict writes, and every built-in scenario's objects against the CRDs they use.

mod common;

use std::process::{Command, Output, Stdio};

use backstop::sim::registry::from_crd;
use backstop::sim::scenario::{BUILTIN, load};
use backstop::sim::{known_crd, schema};
use common::Served;
use serde_json::Value;

fn kubectl(served: &Served, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let cache = served.dir.path().join("kube-cache");
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&served.kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kubectl runs: install kubectl 1.32 (the CI machine has it)");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or("").as_bytes())
            .expect("manifest written to kubectl");
    }
    child.wait_with_output().expect("kubectl finishes")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const BAD_BACKUP: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata:
  name: manual-1
  namespace: orders
spec:
  method: foo
";

const BAD_STORE: &str = "apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: broken-store
  namespace: orders
spec:
  configuration:
    s3Credentials:
      inheritFromIAMRole: true
";

const GOOD_BACKUP: &str = "apiVersion: postgresql.cnpg.io/v1
kind: Backup
metadata:
  name: manual-2
  namespace: orders
spec:
  cluster:
    name: pg-orders
  method: plugin
  pluginConfiguration:
    name: barman-cloud.cloudnative-pg.io
";

#[test]
fn kubectl_apply_of_an_invalid_backup_is_refused_as_the_apiserver_words_it() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(BAD_BACKUP));
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        // kubectl prints the causes of the 422 one per line, as with a real cluster.
        msg.contains(r#"The Backup "manual-1" is invalid"#),
        "{msg}"
    );
    assert!(
        msg.contains(r#"spec.method: Unsupported value: "foo": supported values: "barmanObjectStore", "volumeSnapshot", "plugin""#),
        "{msg}"
    );
    assert!(msg.contains("spec.cluster: Required value"), "{msg}");
}

#[test]
fn kubectl_apply_of_an_objectstore_without_destination_is_refused() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(BAD_STORE));
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains("spec.configuration.destinationPath: Required value"),
        "{msg}"
    );
}

#[test]
fn a_valid_manifest_goes_through_with_its_defaults() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(GOOD_BACKUP));
    assert!(out.status.success(), "{}", text(&out));
    let out = kubectl(
        &s,
        &["get", "backup", "manual-2", "-n", "orders", "-o", "json"],
        None,
    );
    let obj: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(obj["spec"]["method"], "plugin");
    assert_eq!(obj["spec"]["onlineConfiguration"], Value::Null);
}

#[test]
fn unknown_fields_are_pruned_unless_the_request_is_strict() {
    let s = Served::start("healthy");
    let with_extra = format!("{GOOD_BACKUP}  retention: 30d\n");
    // kubectl's default --validate=strict asks fieldValidation=Strict: refused, named.
    let out = kubectl(&s, &["apply", "-f", "-"], Some(&with_extra));
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(r#"unknown field "spec.retention""#),
        "{}",
        text(&out)
    );
    // --validate=false asks nothing: the field is dropped silently.
    let out = kubectl(
        &s,
        &["create", "--validate=false", "-f", "-"],
        Some(&with_extra),
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = kubectl(
        &s,
        &["get", "backup", "manual-2", "-n", "orders", "-o", "json"],
        None,
    );
    let obj: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(obj["spec"]["retention"], Value::Null, "{obj}");
    assert_eq!(obj["spec"]["cluster"]["name"], "pg-orders");
}

#[test]
fn a_merge_patch_that_breaks_an_object_is_refused() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(GOOD_BACKUP));
    assert!(out.status.success(), "{}", text(&out));
    let out = kubectl(
        &s,
        &[
            "patch",
            "backup",
            "manual-2",
            "-n",
            "orders",
            "--type",
            "merge",
            "-p",
            r#"{"spec":{"cluster":null,"online":"yes"}}"#,
        ],
        None,
    );
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(msg.contains("spec.cluster: Required value"), "{msg}");
    assert!(
        msg.contains(r#"spec.online: Invalid value: "string": spec.online in body must be of type boolean: "string""#),
        "{msg}"
    );
    // Nothing was written.
    let out = kubectl(
        &s,
        &["get", "backup", "manual-2", "-n", "orders", "-o", "json"],
        None,
    );
    let obj: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(obj["spec"]["cluster"]["name"], "pg-orders");
}

#[test]
fn a_backups_spec_cannot_change_once_set_as_cnpgs_transition_rule_says() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(GOOD_BACKUP));
    assert!(out.status.success(), "{}", text(&out));
    let patch = |p: &str| {
        kubectl(
            &s,
            &[
                "patch", "backup", "manual-2", "-n", "orders", "--type", "merge", "-p", p,
            ],
            None,
        )
    };
    let out = patch(r#"{"spec":{"target":"primary"}}"#);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("BackupSpec is immutable once set"),
        "{}",
        text(&out)
    );
    // A change elsewhere (a label) is no change of the spec: accepted.
    let out = patch(r#"{"metadata":{"labels":{"team":"db"}}}"#);
    assert!(out.status.success(), "{}", text(&out));
}

const STORE_WITH_SERVER_NAME: &str = "apiVersion: barmancloud.cnpg.io/v1
kind: ObjectStore
metadata:
  name: named-store
  namespace: orders
spec:
  configuration:
    destinationPath: s3://backups/orders
    serverName: pg-orders
";

#[test]
fn kubectl_apply_of_an_objectstore_naming_its_server_is_refused_by_the_crd_rule() {
    let s = Served::start("healthy");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(STORE_WITH_SERVER_NAME));
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains(r#"The ObjectStore "named-store" is invalid"#),
        "{msg}"
    );
    assert!(
        msg.contains("spec.configuration.serverName: Forbidden: use the 'serverName' plugin parameter in the Cluster resource"),
        "{msg}"
    );
}

#[test]
fn kubectl_apply_of_a_retention_policy_off_its_pattern_is_refused() {
    let s = Served::start("healthy");
    let manifest = STORE_WITH_SERVER_NAME
        .replace("    serverName: pg-orders\n", "")
        .replace("spec:\n", "spec:\n  retentionPolicy: 30 days\n");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(&manifest));
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains(r#"spec.retentionPolicy: Invalid value: "30 days": spec.retentionPolicy in body should match '^[1-9][0-9]*[dwm]$'"#),
        "{msg}"
    );
    let fixed = manifest.replace("30 days", "30d");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(&fixed));
    assert!(out.status.success(), "{}", text(&out));
}

const HELM_RELEASE: &str = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: plugin-barman-cloud
  namespace: orders
spec:
  interval: 10m
";

#[test]
fn kubectl_apply_of_a_helmrelease_with_both_or_neither_chart_source_is_refused() {
    let s = Served::start("healthy");
    let crd = format!(
        "{}/src/sim/crds/helm.toolkit.fluxcd.io_helmreleases.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let out = kubectl(&s, &["apply", "-f", &crd], None);
    assert!(out.status.success(), "{}", text(&out));
    let chart = "  chart:\n    spec:\n      chart: plugin-barman-cloud\n      sourceRef:\n        kind: HelmRepository\n        name: cnpg\n";
    let chart_ref = "  chartRef:\n    kind: OCIRepository\n    name: plugin-barman-cloud\n";
    for manifest in [
        HELM_RELEASE.to_string(),
        format!("{HELM_RELEASE}{chart}{chart_ref}"),
    ] {
        let out = kubectl(&s, &["apply", "-f", "-"], Some(&manifest));
        assert!(!out.status.success(), "{}", text(&out));
        let msg = text(&out);
        assert!(
            msg.contains(r#"spec: Invalid value: "object": either chart or chartRef must be set"#),
            "{msg}"
        );
    }
    let out = kubectl(
        &s,
        &["apply", "-f", "-"],
        Some(&format!("{HELM_RELEASE}{chart_ref}")),
    );
    assert!(out.status.success(), "{}", text(&out));
    // Its short name, as the CRD states it, reaches kubectl through discovery.
    let out = kubectl(&s, &["get", "hr", "-n", "orders", "-o", "name"], None);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "helmrelease.helm.toolkit.fluxcd.io/plugin-barman-cloud",
        "{}",
        text(&out)
    );
}

#[test]
fn kubectl_refuses_a_crd_whose_pattern_does_not_compile() {
    let s = Served::start("healthy");
    let crd = include_str!("../src/sim/crds/source.toolkit.fluxcd.io_ocirepositories.yaml")
        .replace("pattern: ^oci://.*$", "pattern: ^oci://(.*$");
    let out = kubectl(&s, &["apply", "-f", "-"], Some(&crd));
    assert!(!out.status.success(), "{}", text(&out));
    let msg = text(&out);
    assert!(
        msg.contains(r#"properties[url].pattern: Invalid value: "^oci://(.*$": must be a valid regular expression, but isn't"#),
        "{msg}"
    );
}

#[test]
fn flux_short_names_work_against_the_simulator() {
    let s = Served::start("healthy");
    for (short, kind) in [("ks", "kustomization"), ("gitrepo", "gitrepository")] {
        let out = kubectl(&s, &["get", short, "-A", "-o", "name"], None);
        assert!(out.status.success(), "{}", text(&out));
        let names = String::from_utf8_lossy(&out.stdout);
        assert!(
            names
                .lines()
                .next()
                .is_some_and(|l| l.starts_with(&format!("{kind}."))),
            "{short}: {names}"
        );
    }
}

/// Every custom object of every built-in scenario would be accepted by a real apiserver
/// serving the CRDs beside the simulator (unknown fields included).
#[test]
fn built_in_scenarios_hold_only_objects_their_crds_accept() {
    let mut refused = Vec::new();
    for (name, _) in BUILTIN {
        let sc = load(name, chrono::Utc::now()).expect("built-in scenario loads");
        for obj in &sc.objects {
            let av = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = obj.get("kind").and_then(Value::as_str).unwrap_or("");
            let group = av.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            let Some(t) = known_crd(group, kind).as_ref().and_then(from_crd) else {
                continue;
            };
            let Some(s) = t.schema.clone() else { continue };
            let mut copy = obj.clone();
            if let Err(e) = schema::validate(&t, &s, &mut copy, None, true) {
                refused.push(format!("{name}: {kind} {}", e.message));
            }
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}

/// The Flux kinds backstop reads are known with their schema and printer columns, so a
/// scenario holding them gets them served like on a cluster running Flux 2.7.
#[test]
fn flux_kinds_are_known_with_schema_and_columns() {
    for (group, kind, columns) in [
        ("helm.toolkit.fluxcd.io", "HelmRelease", 3),
        ("source.toolkit.fluxcd.io", "HelmRepository", 4),
        ("source.toolkit.fluxcd.io", "OCIRepository", 4),
        ("source.toolkit.fluxcd.io", "GitRepository", 4),
        ("kustomize.toolkit.fluxcd.io", "Kustomization", 3),
    ] {
        let crd = known_crd(group, kind).unwrap_or_else(|| panic!("{kind} known"));
        let n = crd
            .pointer("/spec/versions/0/additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(Vec::len);
        assert_eq!(n, Some(columns), "{kind}");
        let t = from_crd(&crd).unwrap_or_else(|| panic!("{kind} parses"));
        let s = t.schema.clone().expect("schema");
        let mut no_interval = serde_json::json!({"metadata": {"name": "x"}, "spec": {}});
        let e = schema::validate(&t, &s, &mut no_interval, None, false);
        if kind != "HelmRepository" {
            let e = e.expect_err(kind);
            assert!(
                e.message.contains("spec.interval: Required value"),
                "{}",
                e.message
            );
        }
    }
}

/// The monitors an exporter deployment or CloudNativePG's `enablePodMonitor` creates are
/// served with prometheus-operator's schema: a well-formed one is accepted, a scrape interval
/// Prometheus would not parse is refused as the real API server refuses it.
#[test]
fn pod_and_service_monitors_are_served_with_their_schema() {
    for (kind, endpoints) in [
        ("PodMonitor", "podMetricsEndpoints"),
        ("ServiceMonitor", "endpoints"),
    ] {
        let crd =
            known_crd("monitoring.coreos.com", kind).unwrap_or_else(|| panic!("{kind} known"));
        let t = from_crd(&crd).unwrap_or_else(|| panic!("{kind} parses"));
        let s = t.schema.clone().expect("schema");
        let mut good = serde_json::json!({
            "metadata": {"name": "pg-main", "namespace": "db"},
            "spec": {"selector": {"matchLabels": {"cnpg.io/cluster": "pg-main"}},
                     endpoints: [{"port": "metrics", "interval": "30s"}]},
        });
        schema::validate(&t, &s, &mut good, None, true)
            .unwrap_or_else(|e| panic!("{kind}: {}", e.message));
        let mut bad = good.clone();
        bad["spec"][endpoints][0]["interval"] = "half a minute".into();
        let e = schema::validate(&t, &s, &mut bad, None, true).expect_err(kind);
        assert!(e.message.contains("interval"), "{kind}: {}", e.message);
    }
}
