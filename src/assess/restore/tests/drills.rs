//! RST009 and RST010: the drill record on each Cluster that backs up.

use super::*;
use crate::model::recovery::DrillRecord;

fn drilled(
    record: Option<DrillRecord>,
    passed: Option<chrono::DateTime<chrono::Utc>>,
) -> ClusterRow {
    ClusterRow {
        last_drill: record,
        last_passed_drill: passed,
        ..source()
    }
}

fn drills(out: &Outcome) -> Vec<(&'static str, Severity)> {
    out.findings
        .iter()
        .filter(|f| f.code == "RST009" || f.code == "RST010")
        .map(|f| (f.code, f.severity))
        .collect()
}

#[test]
fn a_recent_pass_is_quiet_and_never_is_info() {
    let out = run(&facts(vec![source()], vec![], vec![]));
    assert_eq!(drills(&out), []);
    let out = run(&facts(vec![drilled(None, None)], vec![], vec![]));
    assert_eq!(drills(&out), [("RST010", Severity::Info)]);
    let f = one(&out, "RST010");
    assert_eq!(
        f.summary,
        "Cluster orders/pg-orders has never been restore-drilled: no restore of its backups was ever proven"
    );
    assert!(
        f.remedy
            .ends_with("backstop restore drill pg-orders -n orders"),
        "{}",
        f.remedy
    );
    // Nothing to drill: no backups configured, or a drill's own recovery Cluster.
    let mut bare = drilled(None, None);
    bare.plugin = None;
    let mut scratch = drilled(None, None);
    scratch.namespace = "backstop-drill-pg-orders-a1b2c3".into();
    assert_eq!(
        drills(&run(&facts(vec![bare, scratch], vec![], vec![]))),
        []
    );
}

#[test]
fn rst009_a_stale_pass_and_a_failed_drill_are_told_apart() {
    let old = drilled(None, Some(ago(24 * 45, 0)));
    let out = run(&facts(vec![old], vec![], vec![]));
    assert_eq!(drills(&out), [("RST009", Severity::Warning)]);
    assert_eq!(
        one(&out, "RST009").summary,
        "No restore drill of Cluster orders/pg-orders passed within 30d: the last passed 45d ago"
    );
    let failed = DrillRecord {
        at: Some(ago(24 * 2, 0)),
        result: "failed".into(),
        reason: Some("recovery pod OOMKilled".into()),
        namespace: Some("backstop-drill-pg-orders-a1b2c3".into()),
        ..Default::default()
    };
    let out = run(&facts(
        vec![drilled(Some(failed), Some(ago(24 * 40, 0)))],
        vec![],
        vec![],
    ));
    let f = one(&out, "RST009");
    assert_eq!(
        f.summary,
        "The last restore drill of Cluster orders/pg-orders failed 48h ago: recovery pod OOMKilled; the last passed 40d ago (limit 30d)"
    );
    assert_eq!(
        f.evidence[0],
        "Cluster orders/pg-orders metadata.annotations[backstop.dev/last-drill]: result failed at 2026-11-22T06:00:00Z, reason: recovery pod OOMKilled, namespace backstop-drill-pg-orders-a1b2c3"
    );
    // A record that says passed counts even without the second annotation; the
    // threshold is the user's.
    let passed = DrillRecord {
        at: Some(ago(24 * 10, 0)),
        result: "passed".into(),
        ..Default::default()
    };
    let c = drilled(Some(passed), None);
    assert_eq!(drills(&run(&facts(vec![c.clone()], vec![], vec![]))), []);
    let strict = Thresholds {
        drill_max_age: std::time::Duration::from_secs(7 * 86_400),
        ..Default::default()
    };
    let out = rules(&facts(vec![c], vec![], vec![]), now(), &strict);
    assert_eq!(drills(&out), [("RST009", Severity::Warning)]);
}

#[test]
fn a_restoring_cluster_is_not_asked_for_a_drill() {
    let out = run(&facts(
        vec![drilled(None, None), restoring()],
        vec![],
        vec![],
    ));
    assert!(
        out.findings
            .iter()
            .all(|f| !(f.object.name == RESTORE && (f.code == "RST009" || f.code == "RST010"))),
        "{:#?}",
        out.findings
    );
}

/// A drill's copies are judged by the restore rules only: the same ObjectStore whose Secret
/// is missing is OBJ002 in a real namespace and nothing in a drill's.
#[test]
fn a_drills_scratch_namespace_is_judged_by_the_restore_rules_only() {
    use crate::assess::testing::{live, store};
    let judged = |ns: &str| {
        let mut f = crate::model::facts::Facts::default();
        f.snapshot.object_stores = live(vec![store(ns, "orders-store", vec![])]);
        f.secrets = live(vec![]);
        crate::assess::assess(&f, crate::assess::testing::now(), &Default::default())
            .findings
            .iter()
            .map(|x| x.code)
            .collect::<Vec<_>>()
    };
    assert!(
        judged("orders").contains(&"OBJ002"),
        "{:?}",
        judged("orders")
    );
    assert!(
        judged("backstop-drill-pg-orders-0a1b2c").is_empty(),
        "{:?}",
        judged("backstop-drill-pg-orders-0a1b2c")
    );
}

/// The newest word counts: a drill that failed after a recent pass is RST009, a pass after
/// a failure is quiet.
#[test]
fn a_drill_that_failed_after_a_recent_pass_is_rst009() {
    let failed = |at| DrillRecord {
        at: Some(at),
        result: "failed".into(),
        reason: Some("RST006: the backup it restores is the suspect".into()),
        ..Default::default()
    };
    let out = run(&facts(
        vec![drilled(Some(failed(ago(1, 0))), Some(ago(24 * 7, 0)))],
        vec![],
        vec![],
    ));
    assert_eq!(drills(&out), [("RST009", Severity::Warning)]);
    assert!(
        one(&out, "RST009").summary.starts_with(
            "The last restore drill of Cluster orders/pg-orders failed 1h ago: RST006"
        ),
        "{}",
        one(&out, "RST009").summary
    );
    let healed = run(&facts(
        vec![drilled(Some(failed(ago(24 * 8, 0))), Some(ago(24 * 7, 0)))],
        vec![],
        vec![],
    ));
    assert_eq!(drills(&healed), []);
}
