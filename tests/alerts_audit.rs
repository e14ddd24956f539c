//! `backstop alerts audit` on saved manifests: a plugin Cluster whose only backup-age alert
//! reads the frozen in-core metric, the rules backstop generates, and a built-in scenario.

use std::process::Command;

use serde_json::Value;

fn backstop(args: &[&str], home: &std::path::Path) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn fixture() -> String {
    format!(
        "{}/tests/fixtures/alerts/plugin-cluster-frozen-rule.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json(out: &str) -> Value {
    serde_json::from_str(out).unwrap_or_else(|e| panic!("JSON ({e}): {out}"))
}

#[test]
fn a_rule_on_the_frozen_metric_is_reported_and_backstops_rules_cover_the_cluster() {
    let home = tempfile::tempdir().unwrap();
    let (code, out, err) = backstop(
        &["alerts", "audit", "--dump", &fixture(), "--format", "json"],
        home.path(),
    );
    assert_eq!(code, 1, "{out}{err}");
    let r = json(&out);
    let f = r["findings"].as_array().unwrap();
    let codes: Vec<&str> = f.iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["ALR001", "ALR002"]);
    assert_eq!(
        f[0]["summary"],
        "No alert watches the backup age or backup failure of Cluster app/pg-app"
    );
    assert!(f[1]["evidence"][0]
        .as_str()
        .unwrap()
        .starts_with("monitoring/cnpg-backups: CNPGBackupStale reads cnpg_collector_last_available_backup_timestamp"));

    // The text report shows the coverage per Cluster, with its own title.
    let (_, text, _) = backstop(&["alerts", "audit", "--dump", &fixture()], home.path());
    assert!(text.starts_with("backstop alerts audit"), "{text}");
    assert!(
        text.contains("Cluster app/pg-app (plugin): backup age ✗ none; backup failure ✗ none; WAL archiving ✓ monitoring/cnpg-backups: LastFailedArchiveTime;"),
        "{text}"
    );

    // With the Cluster and backstop's own rules only, nothing is missing.
    let (_, rules, _) = backstop(&["-n", "monitoring", "alerts", "rules"], home.path());
    let fixture_text = std::fs::read_to_string(fixture()).unwrap();
    let cluster_only = fixture_text.split("\n---\n").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.yaml");
    std::fs::write(&dump, format!("{cluster_only}\n---\n{rules}")).unwrap();
    let (code, out, err) = backstop(
        &[
            "alerts",
            "audit",
            "--dump",
            dump.to_str().unwrap(),
            "--format",
            "json",
        ],
        home.path(),
    );
    assert_eq!(json(&out)["findings"], serde_json::json!([]), "{out}{err}");
    assert_eq!(code, 0);
}

#[test]
fn without_prometheus_rules_the_audit_says_it_did_not_audit() {
    let home = tempfile::tempdir().unwrap();
    let fixture_text = std::fs::read_to_string(fixture()).unwrap();
    let cluster_only = fixture_text.split("\n---\n").next().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("dump.yaml");
    std::fs::write(&dump, cluster_only).unwrap();
    let (code, text, err) = backstop(
        &["alerts", "audit", "--dump", dump.to_str().unwrap()],
        home.path(),
    );
    assert_eq!(code, 0, "{text}{err}");
    assert!(
        text.contains("The PrometheusRule API is not served (no Prometheus Operator): alert coverage not audited"),
        "{text}"
    );
    assert!(!text.contains("ALR0"), "{text}");
}
