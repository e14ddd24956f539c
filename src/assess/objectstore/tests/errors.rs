//! OBJ006-OBJ009: the store's errors, wherever they surface.

use super::*;

#[test]
fn obj006_credentials_rejected_in_backup_error_and_sidecar_log() {
    let mut f = healthy();
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261123020000",
            "completed",
            ago(28, 0),
            None,
        ),
        backup(
            "pg-orders-daily-20261124020000",
            "failed",
            ago(4, 0),
            Some(SIG),
        ),
    ]);
    f.logs = vec![log(
        "orders",
        "pg-orders-1",
        &[
            r#"{"level":"info","ts":"2026-11-24T05:59:27.820217660Z","msg":"ERROR: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"}"#,
        ],
    )];
    let out = run(&f);
    let x = one(&out, "OBJ006");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        (x.object.kind.name(), x.object.name.as_str()),
        ("ObjectStore", "pg-orders-s3")
    );
    assert_eq!(
        x.evidence[0],
        format!("Backup orders/pg-orders-daily-20261124020000 status.error: {SIG}")
    );
    assert_eq!(
        x.evidence[1],
        "log orders/pg-orders-1 (plugin-barman-cloud) 2026-11-24T05:59:27Z: ERROR: An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"
    );
    assert!(x.remedy.contains(
        "kubectl -n orders create secret generic creds --from-literal=ACCESS_KEY_ID=..."
    ));
    assert!(x.remedy.contains("kubectl cnpg backup pg-orders -n orders --method=plugin --plugin-name=barman-cloud.cloudnative-pg.io"));
}

#[test]
fn obj006_near_miss_resolved_errors_other_clusters_and_403_in_names() {
    let mut f = healthy();
    // A failure that a later backup superseded.
    f.snapshot.backups = live(vec![
        backup(
            "pg-orders-daily-20261123020000",
            "failed",
            ago(28, 0),
            Some(SIG),
        ),
        backup(
            "pg-orders-daily-20261124030000",
            "completed",
            ago(3, 0),
            None,
        ),
    ]);
    f.logs = vec![
        // Before the last completed backup: resolved.
        log(
            "orders",
            "pg-orders-2",
            &["2026-11-23T02:00:07Z ERROR (InvalidAccessKeyId) on upload"],
        ),
        // Another cluster's pod in the same namespace.
        log(
            "orders",
            "pg-other-1",
            &["2026-11-24T05:00:00Z ERROR (InvalidAccessKeyId) on upload"],
        ),
        // 403 inside a backup name, not an HTTP status.
        log(
            "orders",
            "pg-orders-1",
            &[r#"{"msg":"Starting backup","backupName":"pg-orders-daily-20261124030000"}"#],
        ),
    ];
    f.snapshot.pods = live(vec![
        pod("orders", "pg-orders-1", "pg-orders"),
        pod("orders", "pg-orders-2", "pg-orders"),
        pod("orders", "pg-other-1", "pg-other"),
    ]);
    let out = run(&f);
    assert!(out.findings.is_empty(), "{:#?}", out.findings);
}

#[test]
fn obj006_http_403_spelled_by_the_client() {
    let mut f = healthy();
    f.logs = vec![log(
        "orders",
        "pg-orders-1",
        &[
            "2026-11-24T05:00:00Z botocore: An error occurred (403) when calling the HeadObject operation: Forbidden",
        ],
    )];
    f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
    assert_eq!(codes(&run(&f)), vec!["OBJ006"]);
}

#[test]
fn logs_match_instance_names_when_pods_cannot_be_listed() {
    let mut f = healthy();
    f.snapshot.pods = forbidden("pods");
    f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
    let line = "2026-11-24T05:00:00Z ERROR (InvalidAccessKeyId) on upload";
    f.logs = vec![
        log("orders", "pg-orders-3", &[line]),
        log("orders", "pg-orders-pooler-x", &[line]),
    ];
    let out = run(&f);
    let x = one(&out, "OBJ006");
    assert_eq!(
        x.evidence,
        vec![
            "log orders/pg-orders-3 (plugin-barman-cloud) 2026-11-24T05:00:00Z: ERROR (InvalidAccessKeyId) on upload"
        ]
    );
}

#[test]
fn obj007_no_such_bucket_in_the_archiving_condition() {
    let mut f = healthy();
    let msg = "rpc error: code = Unknown desc = barman-cloud-wal-archive: An error occurred (NoSuchBucket) when calling the PutObject operation: The specified bucket does not exist";
    f.snapshot.clusters = live(vec![archiving_failing(msg)]);
    let out = run(&f);
    let x = one(&out, "OBJ007");
    assert_eq!(x.severity, Severity::Critical);
    assert_eq!(
        x.evidence,
        vec![format!(
            "Cluster orders/pg-orders condition ContinuousArchiving=False: {msg}"
        )]
    );
    assert!(x.remedy.contains("s3://backups/orders/"));
}

#[test]
fn obj007_near_miss_the_condition_is_true_again() {
    let mut f = healthy();
    let mut c = archiving_failing("An error occurred (NoSuchBucket)");
    c.conditions[0].status = "True".into();
    f.snapshot.clusters = live(vec![c]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn obj008_region_is_wrong() {
    let mut f = healthy();
    f.snapshot.clusters = live(vec![archiving_failing(
        "An error occurred (AuthorizationHeaderMalformed): The authorization header is malformed; the region 'us-east-1' is wrong; expecting 'eu-central-1'",
    )]);
    let out = run(&f);
    let x = one(&out, "OBJ008");
    assert_eq!(x.severity, Severity::Warning);
    let mut f = healthy();
    f.snapshot.clusters = live(vec![archiving_failing(
        "the region 'us-east-1' is wrong; expecting 'eu-central-1'",
    )]);
    assert_eq!(codes(&run(&f)), vec!["OBJ008"]);
}

#[test]
fn obj008_near_miss_a_region_mentioned_without_error() {
    let mut f = healthy();
    f.snapshot.clusters = live(vec![archiving_failing(
        "exit status 4 while uploading to the region eu-central-1",
    )]);
    assert!(run(&f).findings.is_empty());
}

#[test]
fn obj009_checksum_mismatch_in_the_sidecar_log() {
    let mut f = healthy();
    f.logs = vec![log(
        "orders",
        "pg-orders-1",
        &[
            "2026-11-24T05:00:00Z ERROR: An error occurred (InvalidArgument): x-amz-content-sha256 must be UNSIGNED-PAYLOAD",
        ],
    )];
    f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
    let out = run(&f);
    let x = one(&out, "OBJ009");
    assert_eq!(x.severity, Severity::Warning);
    assert!(
        x.remedy
            .contains("kubectl -n orders patch objectstore pg-orders-s3 --type=merge -p")
    );
    assert!(
        x.remedy
            .contains(r#"{"name":"AWS_REQUEST_CHECKSUM_CALCULATION","value":"when_required"}"#)
    );
    assert!(
        x.remedy
            .contains(r#"{"name":"AWS_RESPONSE_CHECKSUM_VALIDATION","value":"when_required"}"#)
    );
}

#[test]
fn obj009_near_miss_an_old_line_before_the_last_completed_backup() {
    let mut f = healthy();
    f.logs = vec![log(
        "orders",
        "pg-orders-1",
        &["2026-11-23T05:00:00Z ERROR: Checksum Type mismatch"],
    )];
    assert!(run(&f).findings.is_empty());
}

#[test]
fn store_errors_keep_five_evidence_lines_newest_first() {
    let mut f = healthy();
    let lines: Vec<String> = (0..12)
        .map(|i| format!("2026-11-24T05:{i:02}:00Z ERROR (ExpiredToken) #{i}"))
        .collect();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    f.logs = vec![log("orders", "pg-orders-1", &refs)];
    f.snapshot.clusters = live(vec![archiving_failing("exit status 4")]);
    let out = run(&f);
    let x = one(&out, "OBJ006");
    assert_eq!(x.evidence.len(), 6);
    assert!(x.evidence[0].ends_with("#11"));
    assert_eq!(x.evidence[5], "… 7 more matching messages");
}
