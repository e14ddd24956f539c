//! The rules on checkouts written in memory, asserting what a user reads.

use crate::assess::{Finding, Severity};
use crate::gitops::index::Index;
use crate::gitops::lint::lint;
use crate::gitops::tests::{flux, index, obj};

const OPERATOR: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cnpg-controller-manager\n  namespace: cnpg-system\nspec:\n  template:\n    spec:\n      containers:\n        - name: manager\n          image: ghcr.io/cloudnative-pg/cloudnative-pg:1.30.0\n";
const PLUGIN: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: barman-cloud\n  namespace: cnpg-system\nspec:\n  template:\n    spec:\n      containers:\n        - name: barman-cloud\n          image: ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0\n";
const TIMES: &str = "  timeout: 10m0s\n  retryInterval: 2m0s\n";

fn codes(ix: &Index) -> Vec<&'static str> {
    let mut c: Vec<&str> = lint(ix).findings.iter().map(|f| f.code).collect();
    c.sort();
    c
}

fn one<'a>(fs: &'a [Finding], code: &str) -> &'a Finding {
    let hits: Vec<&Finding> = fs.iter().filter(|f| f.code == code).collect();
    assert_eq!(hits.len(), 1, "{code} in {fs:#?}");
    hits[0]
}

/// The operator, the plugin and the databases, each in its own Kustomization; `extra`
/// per Kustomization.
fn chain(op: &str, plugin: &str, db: &str) -> Index {
    let ks = format!(
        "{}---\n{}---\n{}",
        flux("cnpg-operator", "./infrastructure/cnpg-operator", op),
        flux(
            "barman-cloud-plugin",
            "./infrastructure/barman-cloud-plugin",
            plugin
        ),
        flux("databases", "./apps/databases", db)
    );
    index(
        &[
            ("clusters/prod/infrastructure.yaml", &ks),
            ("infrastructure/cnpg-operator/operator.yaml", OPERATOR),
            ("infrastructure/barman-cloud-plugin/plugin.yaml", PLUGIN),
            (
                "apps/databases/cluster.yaml",
                &obj(
                    "postgresql.cnpg.io/v1",
                    "Cluster",
                    "pg-inventory",
                    Some("inventory"),
                ),
            ),
        ],
        &[],
        &[],
    )
}

const PLUGIN_OK: &str = "  dependsOn:\n    - name: cnpg-operator\n  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: barman-cloud\n      namespace: cnpg-system\n  timeout: 10m0s\n  retryInterval: 2m0s\n";

#[test]
fn the_guides_chain_lints_clean() {
    let db = format!("  dependsOn:\n    - name: barman-cloud-plugin\n{TIMES}");
    assert_eq!(codes(&chain(TIMES, PLUGIN_OK, &db)), Vec::<&str>::new());
}

#[test]
fn a_dependency_through_another_kustomization_counts() {
    let mid = flux(
        "monitoring",
        "./monitoring",
        &format!("  dependsOn:\n    - name: barman-cloud-plugin\n{TIMES}"),
    );
    let mut ix = chain(
        TIMES,
        PLUGIN_OK,
        &format!("  dependsOn:\n    - name: monitoring\n{TIMES}"),
    );
    // The middle step, added by hand: databases → monitoring → plugin.
    let (docs, _) = crate::gitops::docs::parse(std::path::Path::new("m.yaml"), &mid);
    ix.fluxes
        .push(crate::gitops::objects::FluxKustomization::from_doc(
            &docs[0],
        ));
    assert!(!codes(&ix).contains(&"GIT005"), "{:?}", codes(&ix));
}

#[test]
fn databases_without_depends_on_name_the_plugins_kustomization_and_give_the_yaml() {
    let fs = lint(&chain(TIMES, PLUGIN_OK, TIMES)).findings;
    let f = one(&fs, "GIT005");
    assert_eq!(f.severity, Severity::Warning);
    assert_eq!(f.object.name, "databases");
    assert!(
        f.summary
            .contains("does not depend on Kustomization flux-system/barman-cloud-plugin"),
        "{}",
        f.summary
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("spec.dependsOn is not set")
                && e.starts_with("clusters/prod/infrastructure.yaml:")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("apps/databases/cluster.yaml:1 Cluster inventory/pg-inventory")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("plugin-barman-cloud:v0.14.0")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.remedy
            .contains("spec:\n  dependsOn:\n    - name: barman-cloud-plugin\n"),
        "{}",
        f.remedy
    );
}

#[test]
fn the_plugin_without_the_operator_dependency_or_health_checks() {
    let fs = lint(&chain(
        TIMES,
        TIMES,
        &format!("  dependsOn:\n    - name: barman-cloud-plugin\n{TIMES}"),
    ))
    .findings;
    let f = one(&fs, "GIT006");
    assert!(
        f.summary
            .contains("does not depend on Kustomization flux-system/cnpg-operator"),
        "{}",
        f.summary
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("cloudnative-pg:1.30.0")),
        "{:?}",
        f.evidence
    );
    let h = one(&fs, "GIT007");
    assert!(
        h.evidence
            .iter()
            .any(|e| e.contains("spec.healthChecks is not set")),
        "{:?}",
        h.evidence
    );
    assert!(
        h.evidence
            .iter()
            .any(|e| e.contains("spec.wait is not true")),
        "{:?}",
        h.evidence
    );
    assert!(
        h.remedy
            .contains("kind: Deployment\n      name: barman-cloud\n      namespace: cnpg-system"),
        "{}",
        h.remedy
    );
    // wait: true is enough.
    let waits = format!("  dependsOn:\n    - name: cnpg-operator\n  wait: true\n{TIMES}");
    let fs = lint(&chain(
        TIMES,
        &waits,
        &format!("  dependsOn:\n    - name: barman-cloud-plugin\n{TIMES}"),
    ))
    .findings;
    assert!(!fs.iter().any(|f| f.code == "GIT007"), "{fs:#?}");
}

#[test]
fn unset_timeouts_say_the_flux_defaults_that_apply() {
    let fs = lint(&chain(
        TIMES,
        "  dependsOn:\n    - name: cnpg-operator\n  wait: true\n",
        &format!("  dependsOn:\n    - name: barman-cloud-plugin\n{TIMES}"),
    ))
    .findings;
    let f = one(&fs, "GIT008");
    assert_eq!(f.object.name, "barman-cloud-plugin");
    assert!(
        f.evidence.iter().any(|e| e
            .contains("spec.timeout is not set (Flux uses interval - 30s, at least 30s: 9m30s)")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence.iter().any(|e| e.contains(
            "spec.retryInterval is not set (Flux retries a failure after spec.interval: 10m)"
        )),
        "{:?}",
        f.evidence
    );
    assert!(
        f.remedy
            .contains("  timeout: 10m0s\n  retryInterval: 2m0s\n"),
        "{}",
        f.remedy
    );
}

#[test]
fn missing_paths_and_unparsable_files_name_file_and_line() {
    let ix = index(
        &[
            (
                "ks.yaml",
                &format!(
                    "{}---\n{}",
                    flux("db", "./apps", ""),
                    flux("gone", "./nowhere", "")
                ),
            ),
            (
                "apps/kustomization.yaml",
                "resources:\n  - cluster.yaml\n  - missing.yaml\n  - empty-dir\n  - https://example.com/x.yaml\n",
            ),
            ("apps/cluster.yaml", "kind: Cluster\nmetadata:\n\tname: x\n"),
            ("apps/empty-dir/notes.txt", "x"),
            ("docs/example.yaml", "a: [\n"),
        ],
        &[],
        &[],
    );
    let fs = lint(&ix).findings;
    let missing: Vec<&Finding> = fs.iter().filter(|f| f.code == "GIT004").collect();
    assert_eq!(missing.len(), 3, "{fs:#?}");
    assert!(
        missing
            .iter()
            .any(|f| f.evidence[0] == "apps/kustomization.yaml:3 resources: missing.yaml"),
        "{missing:#?}"
    );
    assert!(
        missing.iter().any(|f| f
            .summary
            .contains("empty-dir, which has no kustomization.yaml")),
        "{missing:#?}"
    );
    assert!(
        missing.iter().any(|f| f
            .summary
            .contains("Kustomization flux-system/gone applies ./nowhere")),
        "{missing:#?}"
    );
    let bad = one(&fs, "GIT009");
    assert!(
        bad.evidence[0].starts_with("apps/cluster.yaml:3: "),
        "{:?}",
        bad.evidence
    );
    assert_eq!(bad.severity, Severity::Critical);
    assert_eq!(one(&fs, "GIT010").severity, Severity::Info);
}

#[test]
fn the_trap_under_a_generated_path_is_silent_and_under_a_listed_one_named() {
    let sb = obj(
        "postgresql.cnpg.io/v1",
        "ScheduledBackup",
        "daily",
        Some("inventory"),
    );
    let ix = index(
        &[
            (
                "ks.yaml",
                &format!(
                    "{}---\n{}",
                    flux("gen", "./gen", ""),
                    flux("listed", "./listed", "")
                ),
            ),
            ("gen/scheduled-backup.yaml", &sb),
            (
                "listed/kustomization.yaml",
                "resources:\n  - scheduled-backup.yaml\n",
            ),
            ("listed/scheduled-backup.yaml", &sb),
            ("listed/tracked-backup.yaml", &sb),
        ],
        &["gen/scheduled-backup.yaml", "listed/scheduled-backup.yaml"],
        &[
            ("gen/scheduled-backup.yaml", "*backup*.yaml"),
            ("listed/scheduled-backup.yaml", "*backup*.yaml"),
            ("listed/tracked-backup.yaml", "*backup*.yaml"),
        ],
    );
    let fs = lint(&ix).findings;
    let silent = one(&fs, "GIT002");
    assert_eq!(silent.object.name, "gen");
    assert!(
        silent
            .summary
            .contains("Flux never applies it and still reports success"),
        "{}",
        silent.summary
    );
    assert!(silent.evidence.iter().any(|e| e == "gen/scheduled-backup.yaml: ignored by .gitignore:1:*backup*.yaml (git check-ignore -v)"), "{:?}", silent.evidence);
    let named = one(&fs, "GIT001");
    assert_eq!(named.object.name, "listed");
    assert!(
        named.evidence[0]
            == "listed/kustomization.yaml:2 resources: lists listed/scheduled-backup.yaml",
        "{:?}",
        named.evidence
    );
    let pattern = one(&fs, "GIT003");
    assert_eq!(pattern.object.name, ".gitignore:1");
    assert!(
        pattern
            .summary
            .contains("matches 3 manifest file(s), 2 of them not in Git"),
        "{}",
        pattern.summary
    );
    assert!(
        pattern
            .evidence
            .iter()
            .any(|e| e.contains("listed/tracked-backup.yaml (tracked despite the pattern")),
        "{:?}",
        pattern.evidence
    );
    assert!(
        pattern
            .remedy
            .contains("backups/\n  *.backup\n  *-backup-data-*"),
        "{}",
        pattern.remedy
    );
}

#[test]
fn steps_whose_files_do_not_show_what_they_deliver_are_known_by_health_checks_and_names() {
    // The operator and the plugin come from elsewhere (a remote base); only the databases
    // are in the checkout.
    let ks = format!(
        "{}---\n{}---\n{}",
        flux("cnpg-operator", "./infrastructure/cnpg-operator", TIMES),
        flux(
            "barman-cloud-plugin",
            "./infrastructure/barman-cloud-plugin",
            PLUGIN_OK
        ),
        flux("databases", "./apps/databases", TIMES)
    );
    let remote = "resources:\n  - https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml\n";
    let ix = index(
        &[
            ("ks.yaml", &ks),
            ("infrastructure/cnpg-operator/kustomization.yaml", remote),
            (
                "infrastructure/barman-cloud-plugin/kustomization.yaml",
                remote,
            ),
            (
                "apps/databases/cluster.yaml",
                &obj("postgresql.cnpg.io/v1", "Cluster", "pg", Some("db")),
            ),
        ],
        &[],
        &[],
    );
    let fs = lint(&ix).findings;
    let f = one(&fs, "GIT005");
    assert!(
        f.summary.contains("flux-system/barman-cloud-plugin"),
        "{}",
        f.summary
    );
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("its spec.healthChecks name Deployment cnpg-system/barman-cloud")),
        "{:?}",
        f.evidence
    );
    assert!(
        !fs.iter().any(|f| f.code == "GIT006" || f.code == "GIT007"),
        "{fs:#?}"
    );
}

#[test]
fn helm_releases_are_known_by_their_charts_and_a_health_checked_release_counts() {
    let hr = |name: &str, chart: &str| {
        format!(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\n  name: {name}\n  namespace: cnpg-system\nspec:\n  chart:\n    spec:\n      chart: {chart}\n"
        )
    };
    let checked = "  dependsOn:\n    - name: cnpg-operator\n  healthChecks:\n    - apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease\n      name: plugin-barman-cloud\n      namespace: cnpg-system\n  timeout: 10m0s\n  retryInterval: 2m0s\n";
    let ks = |plugin: &str| {
        format!(
            "{}---\n{}---\n{}",
            flux("cnpg-operator", "./operator", TIMES),
            flux("barman-cloud-plugin", "./plugin", plugin),
            flux("databases", "./apps", TIMES)
        )
    };
    let build = |plugin: &str| {
        index(
            &[
                ("ks.yaml", &ks(plugin)),
                ("operator/hr.yaml", &hr("cnpg", "cloudnative-pg")),
                (
                    "plugin/hr.yaml",
                    &hr("plugin-barman-cloud", "plugin-barman-cloud"),
                ),
                ("apps/hr.yaml", &hr("pg-billing", "cluster")),
            ],
            &[],
            &[],
        )
    };
    let fs = lint(&build(checked)).findings;
    let f = one(&fs, "GIT005");
    assert!(
        f.evidence
            .iter()
            .any(|e| e.contains("HelmRelease cnpg-system/pg-billing (chart cluster: a Cluster)")),
        "{:?}",
        f.evidence
    );
    assert!(
        f.evidence.iter().any(|e| e
            .contains("HelmRelease cnpg-system/plugin-barman-cloud (chart plugin-barman-cloud)")),
        "{:?}",
        f.evidence
    );
    assert_eq!(codes(&build(checked)), vec!["GIT005"]);
    let unchecked = lint(&build(TIMES)).findings;
    let h = one(&unchecked, "GIT007");
    assert!(h.remedy.contains("apiVersion: helm.toolkit.fluxcd.io/v2\n      kind: HelmRelease\n      name: plugin-barman-cloud"), "{}", h.remedy);
    one(&unchecked, "GIT006");
}
