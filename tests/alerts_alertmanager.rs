//! Firing alerts read from a real Alertmanager (Debian's prometheus-alertmanager) on
//! loopback: an alert posted to its API comes back in `backstop check`, matched to its
//! Cluster, in JSON and text; a silenced one does not; an unreachable one is said, not fatal.

mod alertmanager;

use std::process::Command;
use std::time::Duration;

use alertmanager::{eventually, free_port, http, start};

fn backstop(args: &[&str]) -> (i32, String) {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_backstop"))
        .args(args)
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn dump() -> String {
    format!(
        "{}/tests/fixtures/alerts/plugin-cluster-frozen-rule.yaml",
        env!("CARGO_MANIFEST_DIR")
    )
}

#[test]
fn a_posted_alert_is_shown_beside_the_findings_and_a_silenced_one_is_not() {
    let am = start();
    let alerts = r#"[
      {"labels": {"alertname": "BackstopBackupTooOld", "severity": "critical", "namespace": "app", "cluster": "pg-app"},
       "annotations": {"summary": "The last good backup of Cluster app/pg-app is older than 26h"}},
      {"labels": {"alertname": "Quiet", "severity": "warning", "namespace": "app", "cluster": "pg-app"}}
    ]"#;
    let (status, body) = http(am.port, "POST", "/api/v2/alerts", alerts).expect("posting alerts");
    assert_eq!(status, 200, "{body}");
    let silence = r#"{"matchers": [{"name": "alertname", "value": "Quiet", "isRegex": false, "isEqual": true}],
      "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2100-01-01T00:00:00Z", "createdBy": "test", "comment": "quiet"}"#;
    let (status, body) = http(am.port, "POST", "/api/v2/silences", silence).expect("silencing");
    assert_eq!(status, 200, "{body}");
    // Alertmanager applies the silence on its next pass: wait until its own API agrees.
    eventually("the silence applied", Duration::from_secs(30), || {
        let (_, b) = http(
            am.port,
            "GET",
            "/api/v2/alerts?active=true&silenced=false&inhibited=false",
            "",
        )?;
        (b.contains("BackstopBackupTooOld") && !b.contains("Quiet")).then_some(())
    });

    let url = format!("http://ops:s3cret@127.0.0.1:{}", am.port);
    let (code, out) = backstop(&[
        "check",
        "--dump",
        &dump(),
        "--format",
        "json",
        "--alertmanager",
        &url,
    ]);
    assert_eq!(
        code, 2,
        "the findings decide the exit code (PLG002: no plugin here): {out}"
    );
    assert!(!out.contains("s3cret"), "{out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let a = &r["alertmanager"];
    assert_eq!(a["url"], format!("http://127.0.0.1:{}", am.port));
    let firing = a["firing"].as_array().unwrap();
    assert_eq!(firing.len(), 1, "{a}");
    assert_eq!(firing[0]["name"], "BackstopBackupTooOld");
    assert_eq!(firing[0]["namespace"], "app");
    assert_eq!(firing[0]["cluster"], "pg-app");
    assert_eq!(firing[0]["severity"], "critical");

    let (_, text) = backstop(&["check", "--dump", &dump(), "--alertmanager", &url]);
    assert!(
        text.contains(&format!(
            "Firing alerts (Alertmanager http://127.0.0.1:{})",
            am.port
        )),
        "{text}"
    );
    assert!(
        text.contains("Cluster app/pg-app: BackstopBackupTooOld (critical) since "),
        "{text}"
    );
    let (_, md) = backstop(&[
        "check",
        "--dump",
        &dump(),
        "--alertmanager",
        &url,
        "--format",
        "markdown",
    ]);
    assert!(md.contains("## Firing alerts"), "{md}");
}

#[test]
fn an_unreachable_alertmanager_is_said_and_the_check_still_reports() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, out) = backstop(&[
        "check",
        "--dump",
        &dump(),
        "--format",
        "json",
        "--alertmanager",
        &url,
    ]);
    assert_eq!(code, 2, "the findings decide the exit code: {out}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
    let e = r["alertmanager"]["error"].as_str().unwrap();
    assert!(e.starts_with(&format!("Alertmanager {url}: ")), "{e}");
    let (code, out) = backstop(&["check", "--dump", &dump(), "--alertmanager", "ftp://x"]);
    assert_eq!(
        code, 2,
        "the findings decide the exit code (PLG002: no plugin here): {out}"
    );
    assert!(
        out.contains("not read: 'ftp://x' is not an http(s) URL"),
        "{out}"
    );
}
