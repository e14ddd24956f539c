//! `backstop migrate plan` against the simulator, through the binary, the real kubectl and
//! the real git: an in-tree Cluster is planned, its copy saved, the script applied with
//! kubectl moves it to the plugin in one guarded change; the plan written into a GitOps
//! checkout edits only the declarations (comments kept), lands the ObjectStore where
//! kustomize reads it, builds with `kubectl kustomize` and passes the CRD schemas; a patch
//! applies with `git apply`; a failed gate says NOT READY with exit 2.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{Served, output_text as text};

fn git(dir: &Path, args: &[&str]) -> Output {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success() || args[0] == "status",
        "git {args:?}: {}",
        text(&out)
    );
    out
}

const CLUSTER: &str = "# The ledger's database. Owner: payments.
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: pg-ledger
spec:
  instances: 2   # two zones
  storage:
    size: 1Gi
  # Nightly base backups and WAL to the ledger bucket.
  backup:
    retentionPolicy: 30d
    barmanObjectStore:
      destinationPath: s3://ledger/prod
      endpointURL: http://minio.storage:9000
      serverName: pg-ledger-v2
      s3Credentials:
        accessKeyId:
          name: ledger-s3
          key: ACCESS_KEY_ID
        secretAccessKey:
          name: ledger-s3
          key: ACCESS_SECRET_KEY
      wal:
        compression: gzip
";

const SCHEDULE: &str = "apiVersion: postgresql.cnpg.io/v1
kind: ScheduledBackup
metadata:
  name: pg-ledger-nightly
spec:
  schedule: \"0 0 2 * * *\"
  cluster:
    name: pg-ledger
";

/// The ledger namespace, its credentials, the Cluster and its schedule, applied as Flux
/// would (labelled with the Kustomization `apps`), the schedule by hand (no labels).
fn seed(s: &Served) {
    let ns = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ledger\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: ledger-s3\n  namespace: ledger\nstringData:\n  ACCESS_KEY_ID: AKIAFAKE\n  ACCESS_SECRET_KEY: fake\n";
    let o = s.kubectl(&["apply", "-f", "-"], ns);
    assert!(o.status.success(), "{}", text(&o));
    let labelled = CLUSTER.replace(
        "  name: pg-ledger\n",
        "  name: pg-ledger\n  namespace: ledger\n  labels:\n    kustomize.toolkit.fluxcd.io/name: apps\n    kustomize.toolkit.fluxcd.io/namespace: flux-system\n",
    );
    let schedule = SCHEDULE.replace(
        "  name: pg-ledger-nightly\n",
        "  name: pg-ledger-nightly\n  namespace: ledger\n",
    );
    let o = s.kubectl(&["apply", "-f", "-"], &format!("{labelled}---\n{schedule}"));
    assert!(o.status.success(), "{}", text(&o));
}

fn cluster_json(s: &Served) -> serde_json::Value {
    let o = s.kubectl(
        &["get", "cluster", "-n", "ledger", "pg-ledger", "-o", "json"],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    serde_json::from_slice(&o.stdout).expect("JSON")
}

#[test]
fn the_script_moves_a_cluster_to_the_plugin_in_one_guarded_change_after_saving_it() {
    let s = Served::start("healthy");
    seed(&s);
    let work = s.dir.path();
    let out = s.backstop(
        work,
        &[
            "migrate",
            "plan",
            "ledger/pg-ledger",
            "--script",
            "migrate.sh",
            "-o",
            "git.yaml",
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for line in [
        "PASS    CloudNativePG 1.26 or newer",
        "PASS    the Barman Cloud plugin installed, registered and Ready",
        "Secret ledger/ledger-s3: keys ACCESS_KEY_ID, ACCESS_SECRET_KEY",
        "WARN    the change goes where Flux reads it [Kustomization flux-system/apps]",
        "flux suspend kustomization apps -n flux-system",
        "ScheduledBackup ledger/pg-ledger-nightly has no kustomize.toolkit.fluxcd.io labels",
        "ObjectStore ledger/pg-ledger-store (new)",
        "serverName: pg-ledger-v2",
        "retentionPolicy 30d",
        "3. ScheduledBackups → method: plugin: pg-ledger-nightly",
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }
    let saved = std::fs::read_to_string(
        work.join("backstop-migration-backup/ledger/pg-ledger.pre-migration.yaml"),
    )
    .expect("the copy is saved");
    assert!(saved.contains("# Applied by Flux Kustomization flux-system/apps."));
    assert!(saved.contains("barmanObjectStore:") && saved.contains("name: pg-ledger-nightly"));
    assert!(!saved.contains("resourceVersion") && !saved.contains("status:"));

    // The Git manifests pass the CRD schemas as they are.
    let git_yaml = std::fs::read_to_string(work.join("git.yaml")).expect("manifests");
    let o = s.kubectl(
        &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
        &git_yaml,
    );
    assert!(o.status.success(), "{}\n{git_yaml}", text(&o));

    // The sim has no Kustomization `apps`: the script stops at its first line, before
    // anything changed, as `set -eu` promises.
    let o = Command::new("sh")
        .arg("migrate.sh")
        .current_dir(work)
        .env("KUBECONFIG", &s.kubeconfig)
        .output()
        .expect("sh runs");
    assert!(!o.status.success());
    assert!(
        text(&o).contains("kustomizations.kustomize.toolkit.fluxcd.io \"apps\" not found"),
        "{}",
        text(&o)
    );
    assert!(
        cluster_json(&s)
            .pointer("/spec/backup/barmanObjectStore")
            .is_some()
    );

    // Not applied by Flux: the script goes through.
    let o = s.kubectl(
        &[
            "label",
            "cluster",
            "-n",
            "ledger",
            "pg-ledger",
            "kustomize.toolkit.fluxcd.io/name-",
            "kustomize.toolkit.fluxcd.io/namespace-",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = s.backstop(
        work,
        &[
            "migrate",
            "plan",
            "ledger/pg-ledger",
            "--script",
            "migrate.sh",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let run = || {
        Command::new("sh")
            .arg("migrate.sh")
            .current_dir(work)
            .env("KUBECONFIG", &s.kubeconfig)
            .output()
            .expect("sh runs")
    };
    let o = run();
    assert!(o.status.success(), "{}", text(&o));
    let c = cluster_json(&s);
    assert!(c.pointer("/spec/backup").is_none(), "{c}");
    assert_eq!(
        c.pointer("/spec/plugins/0/parameters"),
        Some(
            &serde_json::json!({"barmanObjectName": "pg-ledger-store", "serverName": "pg-ledger-v2"})
        )
    );
    assert_eq!(
        c.pointer("/spec/plugins/0/isWALArchiver"),
        Some(&serde_json::json!(true))
    );
    let o = s.kubectl(&[
            "get",
            "objectstore",
            "-n",
            "ledger",
            "pg-ledger-store",
            "-o",
            "jsonpath={.spec.retentionPolicy} {.spec.configuration.destinationPath} {.spec.configuration.serverName}",
        ],
        "",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "30d s3://ledger/prod"
    );
    let o = s.kubectl(
        &[
            "get",
            "scheduledbackup",
            "-n",
            "ledger",
            "pg-ledger-nightly",
            "-o",
            "jsonpath={.spec.method} {.spec.pluginConfiguration.name}",
        ],
        "",
    );
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "plugin barman-cloud.cloudnative-pg.io"
    );
    // Run twice: the guard refuses the second change whole.
    let o = run();
    assert!(!o.status.success());
    assert!(
        text(&o).contains("/spec/backup/barmanObjectStore/destinationPath"),
        "{}",
        text(&o)
    );
    assert_eq!(
        cluster_json(&s)
            .pointer("/spec/plugins")
            .map(|p| p.as_array().map(Vec::len)),
        Some(Some(1))
    );
    // And the plan now has nothing to do.
    let out = s.backstop(work, &["migrate", "plan", "ledger/pg-ledger"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out).contains("Cluster ledger/pg-ledger already archives through the Barman Cloud plugin: nothing to migrate"), "{}", text(&out));
}

/// A checkout as a team keeps it: Flux Kustomizations, a kustomize folder per app, and the
/// user's guide's `.gitignore` trap over the schedule.
fn checkout(dir: &Path) {
    let files = [
        (".gitignore", "*backup*.yaml\n"),
        (
            "clusters/prod/apps.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n---\napiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: infrastructure-cnpg-barman-plugin\n  namespace: flux-system\nspec:\n  interval: 1h\n  path: ./infrastructure/plugin\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        (
            "infrastructure/plugin/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - https://github.com/cloudnative-pg/plugin-barman-cloud/releases/download/v0.14.0/manifest.yaml\n",
        ),
        (
            "apps/ledger/kustomization.yaml",
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: ledger\nresources:\n  - cluster.yaml\n  - scheduled-backup.yaml\n",
        ),
        ("apps/ledger/cluster.yaml", CLUSTER),
        ("apps/ledger/scheduled-backup.yaml", SCHEDULE),
    ];
    for (path, body) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a folder")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    git(dir, &["init", "-q"]);
    git(dir, &["config", "user.email", "ops@example.com"]);
    git(dir, &["config", "user.name", "ops"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-qm", "ledger database"]);
}

#[test]
fn the_plan_written_into_a_checkout_edits_only_the_declarations_and_builds() {
    let s = Served::start("healthy");
    seed(&s);
    let repo = s.dir.path().join("fleet");
    checkout(&repo);
    let out = s.backstop(
        s.dir.path(),
        &[
            "migrate",
            "plan",
            "ledger/pg-ledger",
            "--repo",
            repo.to_str().expect("utf-8"),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for line in [
        "PASS    the change goes where Flux reads it [Kustomization flux-system/apps]",
        "apps/ledger/cluster.yaml: Cluster ledger/pg-ledger: spec.backup.barmanObjectStore → plugins[barman-cloud.cloudnative-pg.io] (its manifest)",
        "apps/ledger/objectstore-pg-ledger-store.yaml: ObjectStore pg-ledger-store (new)",
        "apps/ledger/kustomization.yaml: resources += objectstore-pg-ledger-store.yaml",
        "apps/ledger/scheduled-backup.yaml: ScheduledBackup ledger/pg-ledger-nightly: method: plugin",
        "apps/ledger/scheduled-backup.yaml is ignored by git (.gitignore:1:*backup*.yaml)",
        "clusters/prod/apps.yaml: Kustomization flux-system/apps: dependsOn += infrastructure-cnpg-barman-plugin",
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }
    let cluster = std::fs::read_to_string(repo.join("apps/ledger/cluster.yaml")).expect("read");
    assert!(
        cluster.starts_with("# The ledger's database. Owner: payments.\n"),
        "{cluster}"
    );
    assert!(
        cluster.contains("  instances: 2   # two zones\n"),
        "{cluster}"
    );
    assert!(
        !cluster.contains("barmanObjectStore") && !cluster.contains("retentionPolicy"),
        "{cluster}"
    );
    assert!(cluster.contains("  plugins:\n    - name: barman-cloud.cloudnative-pg.io\n      isWALArchiver: true\n      parameters:\n        barmanObjectName: pg-ledger-store\n        serverName: pg-ledger-v2\n"), "{cluster}");
    // Only the declarations changed, and the new file is one git keeps.
    let status =
        String::from_utf8_lossy(&git(&repo, &["status", "--porcelain"]).stdout).to_string();
    let mut lines: Vec<&str> = status.lines().collect();
    lines.sort();
    assert_eq!(
        lines,
        vec![
            " M apps/ledger/cluster.yaml",
            " M apps/ledger/kustomization.yaml",
            " M clusters/prod/apps.yaml",
            "?? apps/ledger/objectstore-pg-ledger-store.yaml",
        ]
    );
    let flux = std::fs::read_to_string(repo.join("clusters/prod/apps.yaml")).expect("read");
    assert!(
        flux.contains("  dependsOn:\n    - name: infrastructure-cnpg-barman-plugin\n"),
        "{flux}"
    );
    assert!(flux.contains("  healthChecks:\n    - apiVersion: apps/v1\n      kind: Deployment\n      name: barman-cloud\n      namespace: cnpg-system\n"), "{flux}");

    // kustomize builds it (the ignored schedule is on disk here, as it is nowhere in Git),
    // and what it builds passes the CRD schemas.
    let built = Command::new("kubectl")
        .args(["kustomize"])
        .arg(repo.join("apps/ledger"))
        .output()
        .expect("kubectl kustomize runs");
    assert!(built.status.success(), "{}", text(&built));
    let yaml = String::from_utf8_lossy(&built.stdout).to_string();
    assert!(
        yaml.contains("kind: ObjectStore") && yaml.contains("method: plugin"),
        "{yaml}"
    );
    let o = s.kubectl(
        &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
        &yaml,
    );
    assert!(o.status.success(), "{}\n{yaml}", text(&o));
}

#[test]
fn a_patch_leaves_the_checkout_alone_and_applies_with_git() {
    let s = Served::start("healthy");
    seed(&s);
    let repo = s.dir.path().join("fleet");
    checkout(&repo);
    let patch = s.dir.path().join("migration.patch");
    let out = s.backstop(
        s.dir.path(),
        &[
            "migrate",
            "plan",
            "ledger/pg-ledger",
            "--repo",
            repo.to_str().expect("utf-8"),
            "--patch",
            patch.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("no file of the checkout was touched"));
    let status = git(&repo, &["status", "--porcelain"]);
    assert!(status.stdout.is_empty(), "{}", text(&status));
    let o = git(&repo, &["apply", "--check", patch.to_str().expect("utf-8")]);
    assert!(o.status.success());
    git(&repo, &["apply", patch.to_str().expect("utf-8")]);
    let cluster = std::fs::read_to_string(repo.join("apps/ledger/cluster.yaml")).expect("read");
    assert!(cluster.contains("barmanObjectName: pg-ledger-store"));
    assert!(
        repo.join("apps/ledger/objectstore-pg-ledger-store.yaml")
            .exists()
    );
}

#[test]
fn a_failed_gate_says_not_ready_and_what_to_do() {
    let s = Served::start("healthy");
    seed(&s);
    let o = s.kubectl(&[
            "patch",
            "deployment",
            "-n",
            "cnpg-system",
            "cnpg-controller-manager",
            "--type",
            "json",
            "-p",
            r#"[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"ghcr.io/cloudnative-pg/cloudnative-pg:1.25.4"}]"#,
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let out = s.backstop(s.dir.path(), &["migrate", "plan", "ledger/pg-ledger"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("FAIL    CloudNativePG 1.26 or newer"),
        "{said}"
    );
    assert!(said.contains("cloudnative-pg:1.25.4"), "{said}");
    assert!(
        said.contains("the Barman Cloud plugin needs CloudNativePG 1.26 or newer"),
        "{said}"
    );
    assert!(said.contains("NOT READY: a gate failed"), "{said}");

    let out = s.backstop(s.dir.path(), &["migrate", "plan", "nowhere/pg"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("Cluster nowhere/pg not found"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_cluster_the_cluster_chart_renders_is_migrated_in_its_values() {
    let s = Served::start("healthy");
    seed(&s);
    let o = s.kubectl(
        &[
            "label",
            "cluster",
            "-n",
            "ledger",
            "pg-ledger",
            "--overwrite",
            "kustomize.toolkit.fluxcd.io/name-",
            "kustomize.toolkit.fluxcd.io/namespace-",
            "helm.toolkit.fluxcd.io/name=pg-ledger",
            "helm.toolkit.fluxcd.io/namespace=ledger",
        ],
        "",
    );
    assert!(o.status.success(), "{}", text(&o));
    let repo = s.dir.path().join("fleet");
    let release = "apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: pg-ledger
  namespace: ledger
spec:
  interval: 1h
  chart:
    spec:
      chart: cluster
      sourceRef: {kind: HelmRepository, name: cnpg, namespace: flux-system}
  values:
    fullnameOverride: pg-ledger
    backups:
      enabled: true   # since March
      provider: s3
      destinationPath: s3://ledger/prod
      retentionPolicy: 30d
      scheduledBackups:
        - name: daily
          schedule: \"0 0 0 * * *\"
";
    for (path, body) in [
        (
            "clusters/prod/apps.yaml",
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
        ),
        ("apps/ledger/release.yaml", release),
    ] {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().expect("a folder")).expect("mkdir");
        std::fs::write(p, body).expect("write");
    }
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    let out = s.backstop(
        s.dir.path(),
        &[
            "migrate",
            "plan",
            "ledger/pg-ledger",
            "--repo",
            repo.to_str().expect("utf-8"),
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(
        said.contains("ObjectStore ledger/pg-ledger-backups (new)"),
        "{said}"
    );
    assert!(
        said.contains(
            "apps/ledger/release.yaml: HelmRelease ledger/pg-ledger: values.backups.method: plugin"
        ),
        "{said}"
    );
    assert!(
        said.contains("on each of its 1 values.backups.scheduledBackups entries"),
        "{said}"
    );
    let edited = std::fs::read_to_string(repo.join("apps/ledger/release.yaml")).expect("read");
    assert_eq!(
        edited,
        release.replace(
            "          schedule: \"0 0 0 * * *\"\n",
            "          schedule: \"0 0 0 * * *\"\n      method: plugin\n      pluginConfiguration:\n        name: barman-cloud.cloudnative-pg.io\n",
        )
    );
}
