//! `backstop check` as cron and monitoring run it: the JSON contract of FINDINGS.md, exit
//! codes, every built-in scenario's expected findings, silences and thresholds, and the
//! live check against `sim serve` agreeing with `--dump` of the same scenario.

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use backstop::sim::scenario;
use serde_json::Value;

const NOW: &str = "2026-11-24T06:00:00Z";

fn backstop(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .env(
            "BACKSTOP_LOG_FILE",
            std::env::temp_dir().join("backstop-check-test.log"),
        )
        // No user config leaks into the tests.
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("backstop-check-test-config"),
        )
        .output()
        .expect("backstop runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn builtin_file(name: &str) -> String {
    format!(
        "{}/src/sim/scenarios/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn json_of(args: &[&str]) -> (i32, Value) {
    let (code, out, err) = backstop(args);
    let v: Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("JSON ({e}): {out}\n{err}"));
    (code, v)
}

fn codes(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|f| f["code"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object()
        .map(|m| m.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn the_json_report_keeps_the_contract() {
    let (_, r) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--dump",
        &builtin_file("objectstore-credentials"),
    ]);
    // The five keys always; `stores` and `drills` when there is something to say (FINDINGS.md).
    let required = BTreeSet::from(["status", "generated_at", "source", "findings", "unknown"]);
    let optional = BTreeSet::from(["stores", "drills"]);
    assert!(keys(&r).is_superset(&required), "{r}");
    assert!(
        keys(&r).difference(&required).all(|k| optional.contains(k)),
        "{r}"
    );
    for d in r["drills"].as_array().into_iter().flatten() {
        assert_eq!(
            keys(d),
            BTreeSet::from([
                "object",
                "result",
                "at",
                "last_passed",
                "rto_seconds",
                "rpo_seconds",
                "line"
            ]),
            "{d}"
        );
    }
    assert!(["ok", "warning", "critical", "unknown"].contains(&r["status"].as_str().unwrap_or("")));
    assert_eq!(r["generated_at"], NOW);
    let findings = r["findings"].as_array().expect("findings");
    assert!(!findings.is_empty());
    for f in findings {
        assert_eq!(
            keys(f),
            BTreeSet::from([
                "code", "severity", "object", "summary", "evidence", "remedy"
            ]),
            "{f}"
        );
        assert_eq!(
            keys(&f["object"]),
            BTreeSet::from(["kind", "namespace", "name"]),
            "{f}"
        );
        assert!(
            ["critical", "warning", "info"].contains(&f["severity"].as_str().unwrap_or("")),
            "{f}"
        );
        assert!(
            f["evidence"].as_array().is_some_and(|e| !e.is_empty()),
            "every finding carries its proof: {f}"
        );
        let code = f["code"].as_str().unwrap_or("");
        let catalog = backstop::assess::catalog::find(code)
            .unwrap_or_else(|| panic!("{code} is in the catalog"));
        assert_eq!(
            f["severity"],
            catalog.severity.as_str(),
            "{code} keeps the severity of FINDINGS.md"
        );
    }
    for u in r["unknown"].as_array().expect("unknown") {
        assert_eq!(keys(u), BTreeSet::from(["area", "reason"]));
    }
}

#[test]
fn every_builtin_scenario_gives_its_expected_findings() {
    for name in scenario::builtin_names() {
        let expect: BTreeSet<String> = scenario::load(name, chrono::Utc::now())
            .expect("loads")
            .expect
            .into_iter()
            .collect();
        let (code, r) = json_of(&[
            "check",
            "--format",
            "json",
            "--now",
            NOW,
            "--dump",
            &builtin_file(name),
        ]);
        assert_eq!(
            codes(&r),
            expect,
            "{name}: {}",
            serde_json::to_string_pretty(&r["findings"]).unwrap_or_default()
        );
        let status = r["status"].as_str().unwrap_or("");
        let want = match status {
            "ok" => 0,
            "warning" => 1,
            "critical" => 2,
            _ => 3,
        };
        assert_eq!(code, want, "{name}: exit code follows the status");
        if name == "healthy" {
            assert_eq!((status, code), ("ok", 0));
        }
    }
}

#[test]
fn fail_on_silence_and_thresholds() {
    let creds = builtin_file("objectstore-credentials");
    let (code, r) = json_of(&["check", "--format", "json", "--now", NOW, "--dump", &creds]);
    assert_eq!((r["status"].as_str(), code), (Some("critical"), 2));

    // slow-backups: BKP002 is a warning there, because a newer backup is running.
    let slow = builtin_file("slow-backups");
    let (code, r) = json_of(&["check", "--format", "json", "--now", NOW, "--dump", &slow]);
    assert_eq!((r["status"].as_str(), code), (Some("warning"), 1));
    let (code, _) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--dump",
        &slow,
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 0, "warnings pass with --fail-on critical");
    let (code, r) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--dump",
        &slow,
        "--silence",
        "BKP002,BKP003,bkp004",
    ]);
    assert_eq!(
        (r["status"].as_str(), code),
        (Some("ok"), 0),
        "silenced codes are not reported: {r}"
    );
    // Backups of 46 to 84 minutes are not slow under a 2-hour threshold.
    let (_, r) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--dump",
        &slow,
        "--threshold",
        "backup-slow=2h",
    ]);
    assert!(
        !codes(&r).contains("BKP003") && codes(&r).contains("BKP004"),
        "{:?}",
        codes(&r)
    );
    let (code, _, err) = backstop(&["check", "--dump", &slow, "--threshold", "speed=fast"]);
    assert_ne!(code, 0);
    assert!(err.contains("unknown threshold 'speed'"), "{err}");
}

#[test]
fn the_config_file_silences_and_sets_thresholds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "check:\n  silence: [BKP002]\n  thresholds:\n    backup-slow: 2h\n",
    )
    .expect("config");
    let (_, r) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--dump",
        &builtin_file("slow-backups"),
        "--config",
        cfg.to_str().expect("utf-8"),
    ]);
    let found = codes(&r);
    assert!(
        !found.contains("BKP002") && !found.contains("BKP003") && found.contains("BKP004"),
        "{found:?}"
    );
}

#[test]
fn a_config_that_does_not_hold_is_unknown_with_every_problem_named() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cfg = dir.path().join("config.yaml");
    let dump = builtin_file("slow-backups");
    let check = |extra: &[&str]| {
        let mut args = vec!["check", "--now", NOW, "--dump", &dump];
        args.extend(extra);
        backstop(&args)
    };
    let path = cfg.to_str().expect("utf-8");
    // A key backstop does not know: refused whole, with its line.
    std::fs::write(
        &cfg,
        "check:\n  silence: [BKP010]\n  treshold:\n    restarts: 5\n",
    )
    .expect("config");
    let (code, out, err) = check(&["--config", path]);
    assert_eq!(code, 3, "{out}");
    assert!(
        err.contains(&format!("{path}: line 3: check: unknown field `treshold`")),
        "{err}"
    );
    // Values that parse but do not hold: every one named, in the file's order, and the bad
    // flags beside them are named too.
    std::fs::write(
        &cfg,
        "check:\n  silence: [NOPE01]\n  thresholds:\n    backup-slow: fast\n    speed: 3\n",
    )
    .expect("config");
    let (code, _, err) = check(&["--config", path]);
    assert_eq!(code, 3);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 3, "{err}");
    assert!(
        lines[0].contains(&format!("{path}: line 2: check.silence: 'NOPE01'")),
        "{err}"
    );
    assert!(
        lines[1].contains(&format!(
            "{path}: line 4: check.thresholds: threshold backup-slow=fast"
        )),
        "{err}"
    );
    assert!(
        lines[2].contains(&format!(
            "{path}: line 5: check.thresholds: unknown threshold 'speed'"
        )),
        "{err}"
    );

    std::fs::write(&cfg, "check:\n  silence: [BKP010]\n").expect("config");
    let (code, _, err) = check(&[
        "--config",
        path,
        "--threshold",
        "speed=1",
        "--silence",
        "NOPE02",
    ]);
    assert_eq!(code, 3);
    assert!(
        err.contains("unknown threshold 'speed'") && err.contains("cannot silence 'NOPE02'"),
        "{err}"
    );
}

#[test]
fn the_documented_example_config_changes_no_finding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, example, _) = backstop(&["config", "example"]);
    assert_eq!(code, 0);
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, &example).expect("config");
    for scenario in ["slow-backups", "plugin-crashloop-oom"] {
        let dump = builtin_file(scenario);
        let args = ["check", "--format", "json", "--now", NOW, "--dump", &dump];
        let (plain_code, plain) = json_of(&args);
        let mut with = args.to_vec();
        with.extend(["--config", cfg.to_str().expect("utf-8")]);
        let (code, r) = json_of(&with);
        assert_eq!((code, codes(&r)), (plain_code, codes(&plain)), "{scenario}");
    }
}

#[test]
fn text_and_markdown_read_well() {
    let file = builtin_file("plugin-crashloop-oom");
    let (_, text, _) = backstop(&["check", "--now", NOW, "--dump", &file]);
    assert!(
        text.starts_with(&format!(
            "backstop check · {file} · {NOW}\nstatus: CRITICAL"
        )),
        "{text}"
    );
    assert!(
        text.contains("Plugin and operator") && text.contains("PLG005") && text.contains("→ "),
        "{text}"
    );
    assert!(!text.contains("\x1b["), "no colour when not a terminal");
    let (_, md, _) = backstop(&[
        "check", "--format", "markdown", "--now", NOW, "--dump", &file,
    ]);
    assert!(md.starts_with("# Backup health check: CRITICAL"), "{md}");
    assert!(
        md.contains("| Severity | Code | Object | Summary |")
            && md.contains("### PLG005 · critical · `Pod cnpg-system/"),
        "{md}"
    );
}

#[test]
fn an_unreachable_cluster_is_unknown_with_exit_3() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kc = dir.path().join("kubeconfig");
    backstop::files::write_atomically(
        &kc,
        &backstop::sim::kubeconfig("127.0.0.1:9".parse().expect("addr"), "nowhere"),
    )
    .expect("kubeconfig");
    let (code, r) = json_of(&[
        "check",
        "--format",
        "json",
        "--kubeconfig",
        kc.to_str().expect("utf-8"),
    ]);
    assert_eq!((r["status"].as_str(), code), (Some("unknown"), 3));
    assert!(
        r["unknown"][0]["reason"]
            .as_str()
            .is_some_and(|s| s.contains("unreachable")),
        "{r}"
    );
}

#[test]
fn live_against_sim_serve_agrees_with_the_dump() {
    let everywhere: &[&str] = &[];
    let orders: &[&str] = &["-n", "orders"];
    // `-n` scopes a dump as it scopes a live check (it used to be ignored with --dump).
    for (name, scope) in [
        ("gitignore-trap", everywhere),
        ("objectstore-credentials", everywhere),
        ("legacy-fleet", everywhere),
        ("healthy", orders),
        ("objectstore-credentials", orders),
    ] {
        // The simulator is loaded as of the anchor, so live and dump see the same instant.
        let sc = scenario::load(
            name,
            chrono::DateTime::parse_from_rfc3339(NOW)
                .expect("now")
                .with_timezone(&chrono::Utc),
        )
        .expect("loads");
        let served = common::Served::with(backstop::sim::Sim::new(&sc).expect("sim"));
        let check = |source: &[&str]| {
            let mut args = vec!["check", "--format", "json", "--now", NOW];
            args.extend(scope);
            args.extend(source);
            json_of(&args)
        };
        let (live_code, live) =
            check(&["--kubeconfig", served.kubeconfig.to_str().expect("utf-8")]);
        let (dump_code, dump) = check(&["--dump", &builtin_file(name)]);
        let pairs = |r: &Value| -> BTreeSet<String> {
            r["findings"]
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|f| format!("{} {}", f["code"], f["object"]))
                        .collect()
                })
                .unwrap_or_default()
        };
        assert_eq!(pairs(&live), pairs(&dump), "{name} {scope:?}");
        assert_eq!(
            (&live["status"], live_code),
            (&dump["status"], dump_code),
            "{name} {scope:?}"
        );
        if scope == orders {
            assert!(
                !pairs(&dump).iter().any(|p| p.contains("billing")),
                "{name}: {:?}",
                pairs(&dump)
            );
        }
    }
}

#[test]
fn an_unreadable_log_is_an_unknown_entry_not_silence() {
    let fixture = format!("{}/tests/fixtures/no-logs.yaml", env!("CARGO_MANIFEST_DIR"));
    let (code, r) = json_of(&[
        "check", "--format", "json", "--now", NOW, "--dump", &fixture,
    ]);
    assert_eq!((r["status"].as_str(), code), (Some("unknown"), 3), "{r}");
    let reasons: Vec<&str> = r["unknown"]
        .as_array()
        .expect("unknown")
        .iter()
        .filter_map(|u| u["reason"].as_str())
        .collect();
    assert!(
        reasons
            .iter()
            .any(|s| s.contains("(plugin-barman-cloud)") && s.contains("forbidden")),
        "{reasons:?}"
    );
    assert!(
        r["unknown"]
            .as_array()
            .expect("unknown")
            .iter()
            .all(|u| u["area"] == "objectstore")
    );
}

#[test]
fn a_huge_error_is_cut_and_says_how_much() {
    let dir = tempfile::tempdir().expect("temp dir");
    let dump = dir.path().join("huge.yaml");
    let error = format!("barman-cloud-backup failed: {}", "e".repeat(100_000));
    let name = format!("pg-orders-{}", "n".repeat(200));
    std::fs::write(
        &dump,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: huge}}\nspec: {{base: healthy}}\n---\n\
             apiVersion: postgresql.cnpg.io/v1\nkind: Backup\n\
             metadata: {{name: {name}, namespace: orders, creationTimestamp: '2026-11-24T05:50:00Z'}}\n\
             spec: {{cluster: {{name: pg-orders}}, method: plugin, pluginConfiguration: {{name: barman-cloud.cloudnative-pg.io}}}}\n\
             status: {{phase: failed, error: '{error}', startedAt: '2026-11-24T05:50:00Z', stoppedAt: '2026-11-24T05:51:00Z'}}\n"
        ),
    )
    .expect("dump written");
    let dump = dump.display().to_string();
    for format in ["text", "markdown"] {
        let (_, out, _) = backstop(&["check", "--now", NOW, "--format", format, "--dump", &dump]);
        assert!(out.contains("BKP001"), "{out}");
        assert!(out.contains("more characters)"), "{out}");
        assert!(out.len() < 40_000, "{format}: {} bytes", out.len());
    }
}

/// Real-shaped Clusters with one switch, record or place each: every CLU finding, from the
/// objects as the operator and the plugin write them.
#[test]
fn cluster_switches_certificates_and_archive_places_from_real_objects() {
    let dump = format!(
        "{}/tests/fixtures/cluster-switches.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (_, r) = json_of(&["check", "--format", "json", "--now", NOW, "--dump", &dump]);
    let clu: BTreeSet<String> = codes(&r)
        .into_iter()
        .filter(|c| c.starts_with("CLU"))
        .collect();
    let expected: BTreeSet<String> = [
        "CLU001", "CLU002", "CLU003", "CLU004", "CLU005", "CLU006", "CLU007", "CLU008", "CLU009",
        "CLU010",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(clu, expected, "{r:#}");
    let text = r.to_string();
    // The text and Markdown reports list every finding the JSON holds: none is dropped for
    // belonging to an area a report does not know.
    for format in ["text", "markdown"] {
        let (_, out, _) = backstop(&["check", "--format", format, "--now", NOW, "--dump", &dump]);
        for f in r["findings"].as_array().into_iter().flatten() {
            let code = f["code"].as_str().unwrap_or_default();
            assert!(out.contains(code), "{format} report lacks {code}:\n{out}");
        }
    }
    for seen in [
        // Certificate time read from Go's format, with the operator's text kept.
        "status.certificates.expirations[pg-orders-replication]: 2026-11-29 10:10:10 +0000 UTC",
        "Clusters orders/pg-orders-copy and orders/pg-orders-restore archive to the same place: s3://acme-pg/orders/pg-orders-copy",
        "ScheduledBackup orders/pg-orders-daily spec.pluginConfiguration.parameters.barmanObjectName: orders-archive-s3",
        "event Warning RetentionPolicyFailed: Retention policy failed",
        "Cluster orders/pg-legacy image: ghcr.io/cloudnative-pg/postgresql:16.10-minimal-trixie",
    ] {
        assert!(text.contains(seen), "{seen}\n{r:#}");
    }
}

/// HelmReleases from an OCIRepository and a HelmRepository: the plugin's failed upgrade is a
/// critical FLX011 that says which version still runs.
#[test]
fn a_failed_helm_upgrade_of_the_plugin_is_critical() {
    let dump = format!(
        "{}/tests/fixtures/flux-helm.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (_, r) = json_of(&["check", "--format", "json", "--now", NOW, "--dump", &dump]);
    let flx: Vec<&Value> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("FLX01")))
        .collect();
    assert_eq!(flx.len(), 1, "{r:#}");
    let f = flx[0];
    assert_eq!(f["code"], "FLX011");
    assert_eq!(f["severity"], "critical");
    assert_eq!(
        f["summary"],
        "HelmRelease cnpg-system/plugin-barman-cloud is not Ready: UpgradeFailed (chart plugin-barman-cloud: backups depend on it) (version 0.6.1 still runs; 0.7.0 did not take)"
    );
    assert!(
        f["evidence"][0].as_str().is_some_and(
            |e| e.contains("Helm upgrade failed for release cnpg-system/plugin-barman-cloud")
        ),
        "{f:#}"
    );
}

#[test]
fn the_archiver_read_live_gives_its_findings_and_says_why_a_part_is_unknown() {
    let fixture = format!(
        "{}/tests/fixtures/archiver.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, r) = json_of(&[
        "check", "--format", "json", "--now", NOW, "--dump", &fixture,
    ]);
    assert_eq!(
        codes(&r),
        BTreeSet::from(["ARC001", "ARC005", "ARC007"].map(String::from)),
        "{r}"
    );
    assert_eq!((r["status"].as_str(), code), (Some("critical"), 2));
    let findings = r["findings"].as_array().expect("findings");
    let of = |code: &str, ns: &str| {
        findings
            .iter()
            .find(|f| f["code"] == code && f["object"]["namespace"] == ns)
            .unwrap_or_else(|| panic!("{code} in {ns}: {r}"))
    };
    let evidence = |f: &Value| f["evidence"].to_string();
    // A NetworkPolicy: the API server's proxy times out; RBAC: pods/proxy is not granted.
    let orders = of("ARC001", "orders");
    assert!(
        evidence(orders).contains(":8000: i/o timeout (503 ServiceUnavailable)"),
        "{orders}"
    );
    let billing = of("ARC001", "billing");
    assert!(
        evidence(billing).contains("cannot get resource \\\"pods/proxy\\\"")
            && evidence(billing).contains("(403 Forbidden)"),
        "{billing}"
    );
    assert!(
        billing["remedy"]
            .as_str()
            .is_some_and(|s| s.starts_with("The API server refused the read (403).")
                && s.contains("kubectl auth can-i get pods --subresource=proxy -n billing")),
        "{billing}"
    );
    let unknown: Vec<&str> = r["unknown"]
        .as_array()
        .expect("unknown")
        .iter()
        .filter(|u| u["area"] == "archiver")
        .filter_map(|u| u["reason"].as_str())
        .collect();
    assert_eq!(
        unknown.len(),
        4,
        "status and metrics of two primaries: {unknown:?}"
    );
    assert!(
        unknown.iter().any(|u| u.starts_with(
            "the instance status (/pg/status on port 8000) of orders/pg-orders-1: GET /api/v1/namespaces/orders/pods/https:pg-orders-1:8000/proxy/pg/status: error trying to reach service"
        )),
        "{unknown:?}"
    );
    let backup = of("ARC007", "analytics");
    assert_eq!(
        backup["summary"],
        "Backup analytics/pg-analytics-nightly-20261124053000's end WAL 00000001000000B3000000FC is not archived: the backup cannot be restored yet"
    );
    let full = of("ARC005", "analytics");
    assert!(
        full["summary"].as_str().is_some_and(|s| s
            .contains("data volume (which holds pg_wal: no separate walStorage)")
            && s.contains("is 95% full")),
        "{full}"
    );

    // The same through `sim serve` and a kubeconfig, as against a real cluster.
    let sc = scenario::load(
        &fixture,
        chrono::DateTime::parse_from_rfc3339(NOW)
            .expect("now")
            .with_timezone(&chrono::Utc),
    )
    .expect("loads");
    let served = common::Served::with(backstop::sim::Sim::new(&sc).expect("sim"));
    let (live_code, live) = json_of(&[
        "check",
        "--format",
        "json",
        "--now",
        NOW,
        "--kubeconfig",
        served.kubeconfig.to_str().expect("utf-8"),
    ]);
    assert_eq!((codes(&live), live_code), (codes(&r), code), "{live}");
}

#[test]
fn stuck_restores_are_found_from_their_manifests_with_the_exact_fix() {
    let fixture = format!(
        "{}/tests/fixtures/restore-stuck.yaml",
        env!("CARGO_MANIFEST_DIR")
    );
    let (code, r) = json_of(&[
        "check", "--format", "json", "--now", NOW, "--dump", &fixture,
    ]);
    assert_eq!(code, 2, "{r:#}");
    let rst: Vec<(&str, &str)> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["code"].as_str().is_some_and(|c| c.starts_with("RST")))
        .map(|f| {
            (
                f["code"].as_str().unwrap_or(""),
                f["object"]["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        rst,
        [
            ("RST001", "pg-same-archive"),
            ("RST003", "pg-by-name"),
            ("RST005", "pg-oom"),
            ("RST007", "pg-lost"),
        ],
        "{r:#}"
    );
    let of = |code: &str| {
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["code"] == code)
            .cloned()
            .unwrap_or_default()
    };
    // The recovery Job's sidecar is not an instance's: no CLU008 beside RST005.
    assert_eq!(of("CLU008"), Value::Null, "{r:#}");
    let by_name = of("RST003");
    let remedy = by_name["remedy"].as_str().unwrap_or("");
    for want in [
        "barmanObjectName: orders-s3",
        "serverName: pg-orders",
        "backupID: 20261124T020004",
        "kubectl delete cluster pg-by-name -n orders",
    ] {
        assert!(remedy.contains(want), "{want} in {remedy}");
    }
    assert!(
        of("RST005")["remedy"]
            .as_str()
            .is_some_and(|m| m.contains("kubectl patch objectstore orders-s3 -n orders")),
        "{r:#}"
    );
    // The restore tree, walked over every Cluster, stops at the first cause it asks about.
    let (code, out, _) = backstop(&[
        "trees",
        "walk",
        "restore-failing",
        "--dump",
        &fixture,
        "--now",
        NOW,
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("Diagnosis [archive-not-empty]") && out.contains("Finding: RST001"),
        "{out}"
    );
}
