//! `backstop gitops lint` on real git checkouts written by the test: the guide's
//! `*backup*.yaml` trap under a Flux path Flux generates a kustomization for (silent) and one
//! with a kustomization.yaml (named), the operator → plugin → backup chain, a clean checkout,
//! a directory that is not a checkout, and the JSON report.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A checkout of `files`, with `.gitignore` holding `ignore`, committed with `git add .`
/// (which leaves out what the patterns ignore, as it did for the guide's author).
fn checkout(files: &[(&str, &str)], ignore: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    git(dir.path(), &["init", "-q"]);
    std::fs::write(dir.path().join(".gitignore"), ignore).expect("write");
    for (p, text) in files {
        let p = dir.path().join(p);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    git(dir.path(), &["add", "."]);
    git(dir.path(), &["commit", "-q", "-m", "init"]);
    dir
}

fn lint(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(["gitops", "lint"])
        .arg(dir)
        .args(extra)
        .env(
            "BACKSTOP_LOG_FILE",
            std::env::temp_dir().join("backstop-gitops-test.log"),
        )
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("backstop-gitops-test-config"),
        )
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("NO_COLOR", "1")
        .output()
        .expect("backstop runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(dir: &Path) -> (i32, Value) {
    let (code, out, err) = lint(dir, &["--format", "json"]);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON ({e}): {out}\n{err}"));
    (code, v)
}

fn findings<'a>(v: &'a Value, code: &str) -> Vec<&'a Value> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == code)
        .collect()
}

fn flux(name: &str, path: &str, extra: &str) -> String {
    format!(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: {name}\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: {path}\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n  timeout: 10m0s\n  retryInterval: 2m0s\n{extra}"
    )
}

const OPERATOR: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cnpg-controller-manager\n  namespace: cnpg-system\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          image: ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0\n";
const PLUGIN: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: barman-cloud\n  namespace: cnpg-system\nspec:\n  template:\n    spec:\n      containers:\n        - name: barman-cloud\n          image: ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0\n";
const CLUSTER: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-inventory\n  namespace: inventory\nspec:\n  instances: 1\n";
const SCHEDULED: &str = "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: pg-inventory-daily\n  namespace: inventory\nspec:\n  schedule: '0 0 0 * * *'\n  cluster:\n    name: pg-inventory\n";
const PLUGIN_STEP: &str = "  dependsOn:\n    - name: cnpg-operator\n  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: barman-cloud\n      namespace: cnpg-system\n";
const DB_STEP: &str = "  dependsOn:\n    - name: barman-cloud-plugin\n";

/// The guide's layout: operator, plugin, databases, each its own Flux Kustomization.
fn fleet(
    plugin_step: &str,
    db_step: &str,
    databases: &[(&str, &str)],
    ignore: &str,
) -> tempfile::TempDir {
    let ks = format!(
        "{}---\n{}---\n{}",
        flux("cnpg-operator", "./infrastructure/cnpg-operator", ""),
        flux(
            "barman-cloud-plugin",
            "./infrastructure/barman-cloud-plugin",
            plugin_step
        ),
        flux("databases", "./apps/databases", db_step)
    );
    let mut files = vec![
        ("clusters/production/infrastructure.yaml", ks.as_str()),
        ("infrastructure/cnpg-operator/operator.yaml", OPERATOR),
        ("infrastructure/barman-cloud-plugin/plugin.yaml", PLUGIN),
    ];
    files.extend_from_slice(databases);
    checkout(&files, ignore)
}

#[test]
fn a_clean_checkout_exits_0() {
    let repo = fleet(
        PLUGIN_STEP,
        DB_STEP,
        &[("apps/databases/inventory/cluster.yaml", CLUSTER)],
        "backups/\n*.backup\n",
    );
    let (code, out, err) = lint(repo.path(), &[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("Nothing to report: every rule passed."),
        "{out}"
    );
    assert!(out.starts_with("backstop gitops lint · "), "{out}");
    let (_, md, _) = lint(repo.path(), &["--format", "markdown"]);
    assert!(md.starts_with("# GitOps checkout lint: OK"), "{md}");
}

#[test]
fn the_trap_under_a_generated_flux_path_is_found_with_its_pattern() {
    let repo = fleet(
        PLUGIN_STEP,
        DB_STEP,
        &[
            ("apps/databases/inventory/cluster.yaml", CLUSTER),
            ("apps/databases/inventory/scheduled-backup.yaml", SCHEDULED),
        ],
        "*backup*.yaml\n",
    );
    let (code, out, _) = lint(repo.path(), &[]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("GIT002"), "{out}");
    assert!(
        out.contains("apps/databases/inventory/scheduled-backup.yaml is under a Flux path but not in Git: Flux never applies it and still reports success"),
        "{out}"
    );
    assert!(
        out.contains("ignored by .gitignore:1:*backup*.yaml"),
        "{out}"
    );
    assert!(
        out.contains("applied by Kustomization flux-system/databases"),
        "{out}"
    );
    let (_, v) = json(repo.path());
    let pattern = findings(&v, "GIT003");
    assert_eq!(pattern.len(), 1, "{v:#}");
    assert_eq!(pattern[0]["object"]["name"], ".gitignore:1");
    let ev: Vec<&str> = pattern[0]["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        ev.iter()
            .any(|e| e.contains("apps/databases/inventory/scheduled-backup.yaml (NOT in Git")),
        "{ev:?}"
    );
}

#[test]
fn the_trap_under_a_kustomization_yaml_names_the_entry() {
    let repo = fleet(
        PLUGIN_STEP,
        DB_STEP,
        &[
            (
                "apps/databases/kustomization.yaml",
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - cluster.yaml\n  - scheduled-backup.yaml\n",
            ),
            ("apps/databases/cluster.yaml", CLUSTER),
            ("apps/databases/scheduled-backup.yaml", SCHEDULED),
        ],
        "# backups\n*backup*.yaml\n",
    );
    let (code, v) = json(repo.path());
    assert_eq!(code, 2, "{v:#}");
    let f = findings(&v, "GIT001");
    assert_eq!(f.len(), 1, "{v:#}");
    assert_eq!(f[0]["severity"], "critical");
    assert_eq!(
        f[0]["evidence"][0],
        "apps/databases/kustomization.yaml:5 resources: lists apps/databases/scheduled-backup.yaml"
    );
    assert!(f[0]["evidence"].as_array().expect("evidence").iter().any(|e| e == "apps/databases/scheduled-backup.yaml: ignored by .gitignore:2:*backup*.yaml (git check-ignore -v)"), "{:#}", f[0]);
    assert!(findings(&v, "GIT002").is_empty(), "{v:#}");
}

#[test]
fn a_missing_depends_on_and_missing_health_checks_are_found() {
    let repo = fleet(
        "  dependsOn:\n    - name: cnpg-operator\n",
        "",
        &[("apps/databases/inventory/cluster.yaml", CLUSTER)],
        "",
    );
    let (code, v) = json(repo.path());
    assert_eq!(code, 1, "{v:#}");
    let dep = findings(&v, "GIT005");
    assert_eq!(dep.len(), 1, "{v:#}");
    // In text, the YAML to add stays under its arrow.
    let (_, text, _) = lint(repo.path(), &[]);
    assert!(
        text.contains(
            "\n        spec:\n          dependsOn:\n            - name: barman-cloud-plugin\n"
        ),
        "{text}"
    );
    assert_eq!(
        dep[0]["object"],
        serde_json::json!({"kind": "Kustomization", "namespace": "flux-system", "name": "databases"})
    );
    assert!(
        dep[0]["remedy"]
            .as_str()
            .expect("remedy")
            .contains("  dependsOn:\n    - name: barman-cloud-plugin\n"),
        "{:#}",
        dep[0]
    );
    let hc = findings(&v, "GIT007");
    assert_eq!(hc.len(), 1, "{v:#}");
    assert_eq!(hc[0]["object"]["name"], "barman-cloud-plugin");
    assert!(
        hc[0]["evidence"][0]
            .as_str()
            .expect("evidence")
            .starts_with("clusters/production/infrastructure.yaml:"),
        "{:#}",
        hc[0]
    );
}

#[test]
fn a_directory_that_is_not_a_checkout_exits_3_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, out, err) = lint(dir.path(), &[]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(
        out.contains(&format!("{} is not a git checkout", dir.path().display())),
        "{out}"
    );
    let (code, v) = json(dir.path());
    assert_eq!(code, 3);
    assert_eq!(v["status"], "unknown");
    assert_eq!(v["unknown"][0]["area"], "gitops");
}

#[test]
fn the_json_report_has_the_check_contract_and_min_severity_filters() {
    let repo = fleet(
        "",
        "",
        &[("apps/databases/inventory/cluster.yaml", CLUSTER)],
        "",
    );
    let (_, v) = json(repo.path());
    for key in ["status", "generated_at", "source", "findings", "unknown"] {
        assert!(v.get(key).is_some(), "{key} in {v:#}");
    }
    for f in v["findings"].as_array().expect("findings") {
        for key in [
            "code", "severity", "object", "summary", "evidence", "remedy",
        ] {
            assert!(f.get(key).is_some(), "{key} in {f:#}");
        }
        assert!(f["code"].as_str().expect("code").starts_with("GIT"));
    }
    let (code, out, _) = lint(
        repo.path(),
        &["--min-severity", "critical", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!((code, v["status"].as_str()), (0, Some("ok")), "{v:#}");
}

#[test]
fn text_from_the_checkout_is_cleaned() {
    let evil = "apiVersion: postgresql.cnpg.io/v1\nkind: ScheduledBackup\nmetadata:\n  name: \"x\\e[2J\\e]52;c;aGk=\\a\"\n  namespace: inventory\n";
    let repo = fleet(
        PLUGIN_STEP,
        DB_STEP,
        &[("apps/databases/x-backup.yaml", evil)],
        "*backup*.yaml\n",
    );
    let (code, out, _) = lint(repo.path(), &["--format", "markdown"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("GIT002"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    let (_, out, _) = lint(repo.path(), &[]);
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}

/// The catalog and docs/FINDINGS.md list the same GIT codes with the same severities.
#[test]
fn the_catalog_and_the_findings_document_agree_on_the_git_codes() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/FINDINGS.md"))
            .expect("FINDINGS.md");
    let documented: Vec<(String, String)> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| GIT"))
        .map(|l| {
            let mut cells = l.split(" | ");
            let code = format!("GIT{}", cells.next().unwrap_or("").trim());
            (code, cells.next().unwrap_or("").trim().to_string())
        })
        .collect();
    let catalog: Vec<(String, String)> = (1..100)
        .filter_map(|n| backstop::assess::catalog::find(&format!("GIT{n:03}")))
        .map(|c| (c.code.to_string(), c.severity.as_str().to_string()))
        .collect();
    assert!(!catalog.is_empty());
    assert_eq!(catalog, documented);
}

/// The API `migrate plan --repo` reads: where an object is declared, which Flux
/// Kustomization applies a file, where a new file must be listed, and git's view of a path
/// that does not exist yet.
#[test]
fn the_repo_api_answers_on_a_real_checkout() {
    let repo = fleet(
        PLUGIN_STEP,
        DB_STEP,
        &[
            ("apps/databases/inventory/cluster.yaml", CLUSTER),
            (
                "apps/databases/reports/kustomization.yaml",
                "namespace: reports\nresources:\n  - cluster.yaml\n",
            ),
            (
                "apps/databases/reports/cluster.yaml",
                "apiVersion: postgresql.cnpg.io/v1\nkind: Cluster\nmetadata:\n  name: pg-reports\n",
            ),
        ],
        "*backup*.yaml\n",
    );
    let r =
        backstop::gitops::Repo::open(&repo.path().join("apps")).expect("opens from a subdirectory");
    let d = r.declarations("Cluster", "reports", "pg-reports");
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(
        (d[0].file.as_path(), d[0].line, d[0].doc_index),
        (Path::new("apps/databases/reports/cluster.yaml"), 1, 0)
    );
    assert_eq!(d[0].role, backstop::gitops::Role::Resource);
    assert_eq!(
        r.flux_owner(Path::new("apps/databases/inventory/cluster.yaml")),
        Some(("flux-system".to_string(), "databases".to_string()))
    );
    assert_eq!(
        r.kustomization_for(Path::new("apps/databases/inventory")),
        None
    );
    assert_eq!(
        r.kustomization_for(Path::new("apps/databases/reports")),
        Some(Path::new("apps/databases/reports/kustomization.yaml").to_path_buf())
    );
    let new_file = Path::new("apps/databases/inventory/objectstore-backup.yaml");
    let ignored = r.checkout().ignored(new_file).expect("git check-ignore");
    assert_eq!(
        ignored.map(|i| i.display()),
        Some(".gitignore:1:*backup*.yaml".to_string())
    );
    assert_eq!(r.checkout().tracked(new_file).ok(), Some(false));
    assert_eq!(
        r.checkout()
            .tracked(Path::new("apps/databases/inventory/cluster.yaml"))
            .ok(),
        Some(true)
    );
}
