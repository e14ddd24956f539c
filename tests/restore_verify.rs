//! A drill's own verification: the person's SQL, run by psql in the restored primary through
//! `pods/exec`. The simulator stands in for Kubernetes only: its exec runs the real psql
//! against a real PostgreSQL 15 on loopback (the scenario's `recovery.postgres`).

mod common;
#[path = "common/real.rs"]
mod real;

use std::process::{Command, Stdio};

use common::Served;
use real::Pg;

fn drill(s: &Served, sql: &str) -> (Option<i32>, String, String) {
    let file = s.dir.path().join("verify.sql");
    std::fs::write(&file, sql).expect("the SQL file");
    let report = s.dir.path().join("drill.md");
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .arg("--kubeconfig")
        .arg(&s.kubeconfig)
        .arg("--log-file")
        .arg(s.dir.path().join("backstop.log"))
        .args([
            "restore",
            "drill",
            "orders/pg-orders",
            "--yes",
            "--timeout",
            "60s",
            "--database",
            "postgres",
        ])
        .arg("--verify")
        .arg(&file)
        .arg("--report")
        .arg(&report)
        .stdin(Stdio::null())
        .output()
        .expect("backstop runs");
    (
        out.status.code(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
        std::fs::read_to_string(&report).unwrap_or_default(),
    )
}

#[test]
fn the_persons_sql_runs_in_the_restored_primary_and_its_failure_fails_the_drill() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let mut pg = Pg::init(&dir.path().join("pg"));
    pg.start();
    let scenario = dir.path().join("verify.yaml");
    std::fs::write(
        &scenario,
        format!(
            "apiVersion: sim.backstop.dev/v1\nkind: Scenario\nmetadata: {{name: verify}}\nspec:\n  base: healthy\n  recovery:\n    postgres:\n      host: 127.0.0.1\n      port: {}\n      user: postgres\n",
            pg.port
        ),
    )
    .expect("the scenario");
    let s = Served::start(scenario.to_str().expect("a UTF-8 path"));
    let (code, said, report) = drill(&s, "select 40 + 2 as answer;\n");
    assert_eq!(code, Some(0), "{said}");
    assert!(said.contains("verification query succeeded"), "{said}");
    assert!(
        report.contains("- **Verification query**: succeeded"),
        "{report}"
    );
    assert!(report.contains("\n42\n"), "{report}");
    let (code, said, report) = drill(&s, "select * from orders_that_do_not_exist;\n");
    assert_eq!(code, Some(2), "{said}");
    assert!(said.contains("verification query failed"), "{said}");
    assert!(
        report.contains("relation \"orders\\_that\\_do\\_not\\_exist\" does not exist"),
        "{report}"
    );
    assert!(
        said.contains("is gone"),
        "the drill's namespace goes either way: {said}"
    );
    pg.stop();
}
