//! The migration the user's guide is about, end to end on the `legacy-fleet` scenario: a
//! GitOps checkout made with real git (its `.gitignore` trap included) is linted, the plan
//! is written into it and the manifests it builds pass the CRD schemas, the change is
//! applied with kubectl, the pods roll, and `migrate verify` proves it against a real
//! bucket (moto) that a real PostgreSQL 15 archives into with barman-cloud; then `migrate
//! rollback` puts the saved in-tree spec back.

mod common;
#[path = "common/real.rs"]
mod real;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{Served, eventually, output_text as text};
use real::{KEY_ID, Moto, Pg, SECRET};

const DEST: &str = "s3://backups/ledger";
const SERVER: &str = "pg-ledger-v2";

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The newest base backup id under the server's `base/`.
fn newest_backup(moto: &Moto) -> String {
    let listed = real::run(
        Command::new(real::tool("python3"))
            .args([
                "-c",
                "import sys, boto3; r = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1').list_objects_v2(Bucket='backups', Prefix='ledger/pg-ledger-v2/base/', Delimiter='/'); print(sorted(p['Prefix'].split('/')[-2] for p in r['CommonPrefixes'])[-1])",
                &moto.endpoint(),
            ])
            .envs(real::aws_env()),
    );
    let id = String::from_utf8_lossy(&listed.stdout).trim().to_string();
    assert_eq!(id.len(), 15, "a backup id: {id}");
    id
}

/// Runs `backstop args` while playing the plugin sidecar's archiver: every WAL segment
/// PostgreSQL finishes from now on goes to the bucket with barman-cloud-wal-archive.
fn while_archiving(s: &Served, pg: &Pg, moto: &Moto, cwd: &Path, args: &[&str]) -> Output {
    let t0 = std::time::SystemTime::now();
    let mut archived = std::collections::BTreeSet::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("backstop runs");
    let deadline = Instant::now() + Duration::from_secs(150);
    while child.try_wait().expect("waiting").is_none() {
        assert!(Instant::now() < deadline, "backstop {args:?} did not end");
        let fresh: Vec<String> = pg
            .spooled()
            .iter()
            .filter(|p| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .is_ok_and(|m| m >= t0)
            })
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .filter(|f| f.len() == 24 && !archived.contains(f))
            .collect();
        if !fresh.is_empty() {
            pg.archive(&moto.endpoint(), DEST, SERVER, |f| {
                fresh.iter().any(|x| x == f)
            });
            archived.extend(fresh);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn the_legacy_fleet_is_linted_planned_into_git_applied_verified_and_rolled_back() {
    let dir = tempfile::tempdir().expect("a temp dir");
    // The in-tree archive as CloudNativePG's instance manager left it: a base backup and
    // the WAL since, under pg-ledger's server name.
    let moto = Moto::start(false);
    moto.create_bucket("backups");
    let mut pg = Pg::init(&dir.path().join("pg"));
    pg.start();
    pg.backup(&moto.endpoint(), DEST, SERVER);
    pg.churn(2);
    pg.archive(&moto.endpoint(), DEST, SERVER, |_| true);
    let scenario = dir.path().join("fleet.yaml");
    std::fs::write(
        &scenario,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: fleet-on-moto}}\nspec:\n  base: legacy-fleet\n  objectStore:\n    endpointURL: {}\n    destinationPath: {DEST}/\n    accessKeyId: {KEY_ID}\n    secretAccessKey: {SECRET}\n    region: us-east-1\n    stores: [ledger/pg-ledger]\n  recovery:\n    postgres:\n      host: 127.0.0.1\n      port: {}\n      user: postgres\n",
            moto.endpoint(),
            pg.port
        ),
    )
    .expect("the scenario");
    let s = Served::start(scenario.to_str().expect("utf-8"));
    let repo = common::gitops::legacy_fleet_checkout(dir.path());
    let repo_arg = repo.to_str().expect("utf-8");
    let work = s.dir.path();

    // 1. The checkout: the trap and the missing dependency.
    let out = s.backstop(work, &["gitops", "lint", repo_arg]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(
        said.contains("GIT002") && said.contains("apps/databases/inventory/scheduled-backup.yaml"),
        "{said}"
    );
    assert!(
        said.contains("ignored by .gitignore:") && said.contains("*backup*.yaml"),
        "{said}"
    );
    assert!(
        said.contains("GIT005") && said.contains("Kustomization flux-system/databases"),
        "{said}"
    );

    // 2. The plan, into Git, with its gates.
    let out = s.backstop(
        work,
        &[
            "migrate",
            "plan",
            "--all",
            "--repo",
            repo_arg,
            "-o",
            "declared.yaml",
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for line in [
        "PASS    the change goes where Flux reads it [Kustomization flux-system/databases]",
        "WARN    Flux applies the Clusters after the plugin [Kustomization flux-system/databases]",
        // The bucket, read with the Cluster's own Secret: the real archive.
        "PASS    the object store reachable with the store's Secret [ledger/pg-ledger]",
        "listed s3://backups/ledger/ (server pg-ledger-v2): 1 base backups",
        "apps/databases/ledger/pg-ledger.yaml: Cluster ledger/pg-ledger: spec.backup.barmanObjectStore → plugins[barman-cloud.cloudnative-pg.io] (its manifest)",
        "apps/databases/reports/archiving.yaml: Cluster reports/pg-reports: spec.backup.barmanObjectStore → plugins[barman-cloud.cloudnative-pg.io] (the patch over apps/databases/reports/base/cluster.yaml)",
        "apps/databases/reports/base/cluster.yaml: Cluster reports/pg-reports: externalClusters read through the plugin (its manifest)",
        "apps/databases/reports/kustomization.yaml: resources += objectstore-pg-reports-store.yaml",
        "apps/databases/inventory/scheduled-backup.yaml is ignored by git",
        "clusters/prod/databases.yaml: Kustomization flux-system/databases: dependsOn += barman-cloud-plugin",
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }
    for c in [
        "inventory/pg-inventory",
        "ledger/pg-ledger",
        "reports/pg-reports",
    ] {
        let saved = work.join(format!("backstop-migration-backup/{c}.pre-migration.yaml"));
        assert!(saved.exists(), "{} saved", saved.display());
    }
    // What Git now declares builds, and passes the CRD schemas the simulator enforces.
    let reports = ok(Command::new("kubectl")
        .arg("kustomize")
        .arg(repo.join("apps/databases/reports"))
        .output()
        .expect("kubectl kustomize runs"));
    assert!(
        reports.contains("barmanObjectName: pg-reports-store"),
        "{reports}"
    );
    assert!(!reports.contains("barmanObjectStore"), "{reports}");
    let mut built = reports;
    for f in [
        "apps/databases/ledger/pg-ledger.yaml",
        "apps/databases/ledger/objectstore-pg-ledger-store.yaml",
        "apps/databases/ledger/pg-ledger-nightly.yaml",
        "apps/databases/inventory/pg-inventory.yaml",
        "apps/databases/inventory/objectstore-pg-inventory-store.yaml",
        "apps/databases/inventory/scheduled-backup.yaml",
    ] {
        built.push_str("\n---\n");
        built.push_str(&std::fs::read_to_string(repo.join(f)).expect(f));
    }
    // Judged as new objects on a cluster that has none of them: kubectl's client-side
    // apply onto the live in-tree objects would keep spec.backup (it removes only what it
    // applied itself) and the admission webhook would rightly refuse the mix. Flux owns the
    // fields it applied, so its server-side apply does remove them.
    let fresh = Served::start("healthy");
    ok(fresh.kubectl(&["apply", "-f", "-"],
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: inventory\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ledger\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: reports\n",
    ));
    let declared = std::fs::read_to_string(work.join("declared.yaml")).expect("declared.yaml");
    for manifests in [&built, &declared] {
        ok(fresh.kubectl(
            &["apply", "--dry-run=server", "--validate=strict", "-f", "-"],
            manifests,
        ));
    }
    drop(fresh);

    // 3. Applied with kubectl, in the plan's order; the pods roll to get the sidecar.
    let out = s.backstop(
        work,
        &["migrate", "plan", "--all", "--script", "migrate.sh"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    ok(Command::new("sh")
        .arg("migrate.sh")
        .current_dir(work)
        .env("KUBECONFIG", &s.kubeconfig)
        .output()
        .expect("sh runs"));
    eventually(
        "pg-ledger's pods run the plugin sidecar and the Cluster is healthy",
        Duration::from_secs(60),
        || {
            let pods = text(&s.kubectl(&[
                    "get",
                    "pods",
                    "-n",
                    "ledger",
                    "-o",
                    "jsonpath={range .items[*]}{.metadata.name} {.spec.initContainers[*].name}{\"\\n\"}{end}",
                ],
                "",
            ));
            let phase = text(&s.kubectl(
                &[
                    "get",
                    "cluster",
                    "-n",
                    "ledger",
                    "pg-ledger",
                    "-o",
                    "jsonpath={.status.phase}",
                ],
                "",
            ));
            (pods
                .lines()
                .filter(|l| l.contains("plugin-barman-cloud"))
                .count()
                == 3
                && phase == "Cluster in healthy state")
                .then_some(())
        },
    );

    // The first plugin backup, as the sidecar takes it with barman-cloud-backup; the
    // simulator's Backup object names it.
    pg.backup(&moto.endpoint(), DEST, SERVER);
    let id = newest_backup(&moto);
    ok(s.kubectl(&["apply", "-f", "-"],
        "apiVersion: postgresql.cnpg.io/v1\nkind: Backup\nmetadata:\n  name: pg-ledger-first-plugin\n  namespace: ledger\nspec:\n  cluster:\n    name: pg-ledger\n  method: plugin\n  pluginConfiguration:\n    name: barman-cloud.cloudnative-pg.io\n",
    ));
    eventually(
        "the plugin Backup completes",
        Duration::from_secs(60),
        || {
            let phase = text(&s.kubectl(
                &[
                    "get",
                    "backup",
                    "-n",
                    "ledger",
                    "pg-ledger-first-plugin",
                    "-o",
                    "jsonpath={.status.phase}",
                ],
                "",
            ));
            (phase == "completed").then_some(())
        },
    );
    ok(s.kubectl(
        &[
            "patch",
            "backup",
            "-n",
            "ledger",
            "pg-ledger-first-plugin",
            "--subresource=status",
            "--type",
            "merge",
            "-p",
            &format!(r#"{{"status":{{"backupId":"{id}","stoppedAt":"2099-01-01T00:00:00Z"}}}}"#),
        ],
        "",
    ));
    // The alert moved to the plugin's metric, as verify asks.
    let rule = ok(s.kubectl(
        &[
            "get",
            "prometheusrule",
            "-n",
            "monitoring",
            "cnpg-backup-alerts",
            "-o",
            "json",
        ],
        "",
    ));
    let renamed = rule.replace(
        "cnpg_collector_last_available_backup_timestamp",
        "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
    );
    ok(s.kubectl(&["replace", "-f", "-"], &renamed));

    // 4. Verify: a WAL switched through pods/exec reaches the bucket, the backup is there.
    let out = while_archiving(
        &s,
        &pg,
        &moto,
        work,
        &[
            "migrate",
            "verify",
            "ledger/pg-ledger",
            "--yes",
            "--timeout",
            "90s",
        ],
    );
    let said = text(&out);
    assert_eq!(out.status.code(), Some(0), "{said}");
    for line in [
        "PASS  plugin-entry",
        "PASS  double-archiving",
        "PASS  continuity",
        "PASS  sidecar           all 3 instance pod(s) run the plugin-barman-cloud sidecar",
        "PASS  wal-archived",
        &format!("PASS  plugin-backup     the first plugin backup is in the bucket ({id})"),
        "PASS  alerts",
    ] {
        assert!(said.contains(line), "{line:?} missing from:\n{said}");
    }

    // 5. Rolled back to the saved in-tree spec, Flux held.
    let out = s.backstop(
        work,
        &[
            "migrate",
            "rollback",
            "ledger/pg-ledger",
            "--yes",
            "--timeout",
            "60s",
        ],
    );
    let said = text(&out);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{said}");
    let cluster: serde_json::Value = serde_json::from_str(&ok(s.kubectl(
        &["get", "cluster", "-n", "ledger", "pg-ledger", "-o", "json"],
        "",
    )))
    .expect("JSON");
    assert_eq!(
        cluster.pointer("/spec/backup/barmanObjectStore/serverName"),
        Some(&serde_json::json!(SERVER)),
        "{cluster}"
    );
    assert!(
        cluster
            .pointer("/spec/plugins")
            .is_none_or(|p| p.as_array().is_some_and(Vec::is_empty)),
        "{cluster}"
    );
    let suspended = ok(s.kubectl(
        &[
            "get",
            "kustomization",
            "-n",
            "flux-system",
            "databases",
            "-o",
            "jsonpath={.spec.suspend}",
        ],
        "",
    ));
    assert_eq!(suspended, "true");
    let method = ok(s.kubectl(
        &[
            "get",
            "scheduledbackup",
            "-n",
            "ledger",
            "pg-ledger-nightly",
            "-o",
            "jsonpath={.spec.method}",
        ],
        "",
    ));
    assert_eq!(method, "barmanObjectStore");
    pg.stop();
}
