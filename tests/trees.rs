//! The built-in trees: they pass lint, and autopilot over every built-in scenario reaches
//! the leaf EXPECTED.yaml names. Plus the trees commands as a user runs them.

use std::collections::BTreeMap;
use std::process::Command;

use backstop::assess::{self, Thresholds};
use backstop::checks::facts_from_scenario;
use backstop::sim::scenario::builtin_names;
use backstop::trees::eval::Env;
use backstop::trees::walk::autopilot;
use chrono::{DateTime, Utc};

const NOW: &str = "2026-11-24T06:00:00Z";

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(NOW)
        .expect("now")
        .with_timezone(&Utc)
}

#[test]
fn the_seeds_trees_are_all_built_in() {
    let names: Vec<String> = backstop::trees::builtin()
        .into_iter()
        .map(|t| t.name)
        .collect();
    for want in [
        "plugin-issue",
        "flux-reconciliation-failing",
        "backup-failing",
        "plugin-pods-not-starting",
        "objectstore-connection",
        "backup-performance",
        "flux-stuck",
        "pre-migration-checklist",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} in {names:?}");
    }
}

#[tokio::test]
async fn autopilot_reaches_the_expected_leaf_on_every_scenario() {
    let expected: BTreeMap<String, BTreeMap<String, String>> =
        serde_yaml::from_str(backstop::trees::EXPECTED).expect("EXPECTED.yaml parses");
    let trees = backstop::trees::builtin();
    let mut wrong = Vec::new();
    for scenario in builtin_names() {
        let facts = facts_from_scenario(scenario, now()).await.expect("facts");
        let assessed = assess::assess(&facts, now(), &Thresholds::default());
        let env = Env {
            facts: &facts,
            assessed: &assessed,
            context: None,
            now: now(),
            git: None,
        };
        for tree in &trees {
            let Some(want) = expected.get(&tree.name).and_then(|m| m.get(scenario)) else {
                wrong.push(format!("{}/{scenario}: no expectation", tree.name));
                continue;
            };
            let (steps, end) = autopilot(tree, &env);
            if &end.label() != want {
                let path: Vec<String> = steps
                    .iter()
                    .map(|s| format!("{}={}", s.node, s.answer.verdict.branch()))
                    .collect();
                wrong.push(format!(
                    "{}/{scenario}: reached {} (path {}), expected {want}",
                    tree.name,
                    end.label(),
                    path.join(" → ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn backstop(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .env(
            "BACKSTOP_LOG_FILE",
            std::env::temp_dir().join("backstop-trees-test.log"),
        )
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("backstop-trees-test-config"),
        )
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn lint_and_list_as_a_user_runs_them() {
    let (code, out) = backstop(&["trees", "list"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("plugin-issue") && out.contains("built in"),
        "{out}"
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let bad = dir.path().join("mine.yaml");
    std::fs::write(&bad, "apiVersion: backstop.dev/v1\nkind: Tree\nmetadata: {name: mine, title: Mine}\nstart: a\nnodes:\n  - id: a\n    check: {operator_ready: {}}\n    pass: b\n    fail: gone\n  - id: b\n    leaf: {diagnosis: ok}\n").expect("write");
    let (code, out) = backstop(&["trees", "lint", bad.to_str().expect("utf-8")]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "{}:9: node 'a': fail goes to 'gone', which is not a node of this tree",
            bad.display()
        )),
        "{out}"
    );
    let good = format!(
        "{}/src/trees/builtin/plugin-issue.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out) = backstop(&["trees", "lint", &good]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn walk_follows_the_gitignore_trap_into_a_real_checkout() {
    let repo = tempfile::tempdir().expect("temp dir");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(repo.path())
            .args(args)
            .output()
            .expect("git runs")
    };
    git(&["init", "-q"]);
    std::fs::create_dir_all(repo.path().join("infrastructure/cnpg-barman-plugin")).expect("mkdir");
    std::fs::write(repo.path().join(".gitignore"), "*backup*.yaml\n").expect("write");
    std::fs::write(
        repo.path()
            .join("infrastructure/cnpg-barman-plugin/postgresql-backup-plugin.yaml"),
        "kind: ObjectStore\n",
    )
    .expect("write");
    let dump = format!(
        "{}/src/sim/scenarios/gitignore-trap.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, out) = backstop(&[
        "trees",
        "walk",
        "flux-reconciliation-failing",
        "--dump",
        &dump,
        "--now",
        NOW,
        "--repo",
        repo.path().to_str().expect("utf-8"),
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Diagnosis") && out.to_lowercase().contains("gitignore"),
        "{out}"
    );
}

#[tokio::test]
async fn a_training_transcript_says_where_the_path_left_the_evidence() {
    use backstop::trees::transcript::{Export, markdown};
    use backstop::trees::walk::Walk;
    let facts = facts_from_scenario("plugin-crashloop-oom", now())
        .await
        .expect("facts");
    let assessed = assess::assess(&facts, now(), &Thresholds::default());
    let env = Env {
        facts: &facts,
        assessed: &assessed,
        context: None,
        now: now(),
        git: None,
    };
    let tree = backstop::trees::builtin()
        .into_iter()
        .find(|t| t.name == "plugin-issue")
        .expect("plugin-issue is built in");
    let mut walk = Walk::new(tree.clone(), None, true, now());
    walk.run_check(&env);
    // The Service is registered; the trainee says it is not, then follows the tree.
    walk.choose("plugin-wrong-namespace", &env)
        .expect("a branch");
    walk.set_note("checked with AKIAIOSFODNN7EXAMPLE".into());
    walk.accept(&env).expect("the evidence decides");
    let (_, end) = autopilot(&tree, &env);
    let md = markdown(&Export {
        walk: &walk,
        cluster: "demo",
        now: now(),
        findings: Some(&assessed.findings),
        evidence_leads_to: Some(end.label()),
    });
    for want in [
        "- **Chosen**: fail → `plugin-wrong-namespace` — **override**: the evidence proposed `plugin-running`",
        "## Training",
        "- Score: 50/100 (1 of 2 choices followed the evidence, 0 steps taken back)",
        "- The evidence leads to `oom-killed`; this walk ended at `plugin-api-served` (elsewhere).",
        "Not reached: the walk stopped at \"Is the ObjectStore API installed at all?\"",
        "> checked with [redacted]",
    ] {
        assert!(md.contains(want), "{want:?} in:\n{md}");
    }
    assert!(!md.contains("AKIAIOSFODNN7EXAMPLE"), "{md}");
}

/// `trees walk` on a fixture, as a user runs it.
fn walk_fixture(tree: &str, fixture: &str) -> String {
    let dump = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let (code, out) = backstop(&["trees", "walk", tree, "--dump", &dump, "--now", NOW]);
    assert_eq!(code, 0, "{out}");
    out
}

#[test]
fn a_health_check_waiting_on_a_rolling_cluster_walks_to_wait_not_to_flux() {
    for tree in ["flux-reconciliation-failing", "flux-stuck"] {
        let out = walk_fixture(tree, "flux-cnpg-rolling.yaml");
        assert!(
            out.contains("Diagnosis [clusters-rolling]") && out.contains("Finding: FLX014"),
            "{tree}: {out}"
        );
        assert!(
            out.contains("https://cloudnative-pg.io/documentation/current/rolling_update/"),
            "{tree}: {out}"
        );
    }
}

#[test]
fn a_failed_helm_upgrade_walks_the_helmrelease_branch() {
    let out = walk_fixture("helmrelease-failing", "flux-helm.yaml");
    for step in [
        "[release-ready]",
        "[release-suspended]",
        "[chart-source-ready]",
        "OCIRepository flux-system/plugin-barman-cloud Ready=True Succeeded",
        "[upgrade-failed]",
        "pass → helm-controller says UpgradeFailed",
        "[upgrade-retries]",
        "HelmRelease cnpg-system/plugin-barman-cloud runs chart 0.6.1 (status.history[0].chartVersion); last attempted 0.7.0 (status.lastAttemptedRevision)",
        "Diagnosis [upgrade-retrying]",
        "Finding: FLX011",
        "flux reconcile helmrelease <name> -n <namespace> --with-source",
        "https://fluxcd.io/flux/components/helm/helmreleases/#upgrade-remediation",
    ] {
        assert!(out.contains(step), "{step}\n{out}");
    }
}

#[tokio::test]
async fn a_walk_about_one_helm_release_looks_at_that_release_only() {
    use backstop::model::{Kind, ObjectRef};
    let dump = format!(
        "{}/tests/fixtures/flux-helm.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let facts = facts_from_scenario(&dump, now()).await.expect("facts");
    let assessed = assess::assess(&facts, now(), &Thresholds::default());
    let tree = backstop::trees::builtin()
        .into_iter()
        .find(|t| t.name == "helmrelease-failing")
        .expect("built in");
    let end_about = |name: &str| {
        let about = ObjectRef::new(Kind::HelmRelease, "cnpg-system", name);
        let env = Env {
            facts: &facts,
            assessed: &assessed,
            context: Some(&about),
            now: now(),
            git: None,
        };
        autopilot(&tree, &env).1.label()
    };
    assert_eq!(end_about("plugin-barman-cloud"), "upgrade-retrying");
    // The operator's release is Ready on the chart it attempted, whatever the plugin's does.
    assert_eq!(end_about("cnpg"), "releases-healthy");
}
