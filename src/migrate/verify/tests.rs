//! The checks on fixtures shaped as the API serves them: what a user reads.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use super::Status;
use super::checks::{self, Archive};
use super::proof::{self, Bucket};
use crate::model::bucket::{BaseBackup, BucketFacts};

fn cluster(plugin: Value, backup: Option<Value>) -> Value {
    let mut c = json!({
        "apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
        "metadata": {"namespace": "ledger", "name": "pg-ledger"},
        "spec": {"instances": 2, "plugins": [plugin]},
        "status": {"currentPrimary": "pg-ledger-1", "conditions": [
            {"type": "ContinuousArchiving", "status": "True", "reason": "ContinuousArchivingSuccess", "message": "Continuous archiving is working"}
        ]}
    });
    if let Some(b) = backup {
        c["spec"]["backup"] = b;
    }
    c
}

fn migrated() -> Value {
    cluster(
        json!({"name": "barman-cloud.cloudnative-pg.io", "isWALArchiver": true,
               "parameters": {"barmanObjectName": "ledger-store", "serverName": "pg-ledger-v2"}}),
        None,
    )
}

fn store() -> Value {
    json!({"metadata": {"namespace": "ledger", "name": "ledger-store"},
           "spec": {"configuration": {"destinationPath": "s3://backups/ledger/"}}})
}

fn pod(name: &str, sidecar: Option<Value>) -> Value {
    let mut init = vec![json!({"name": "bootstrap-controller"})];
    let mut statuses = vec![];
    if let Some(st) = sidecar {
        init.push(json!({"name": "plugin-barman-cloud", "restartPolicy": "Always"}));
        statuses.push(st);
    }
    json!({"metadata": {"name": name}, "spec": {"initContainers": init, "containers": [{"name": "postgres"}]},
           "status": {"initContainerStatuses": statuses}})
}

fn running(ready: bool) -> Value {
    json!({"name": "plugin-barman-cloud", "ready": ready, "state": {"running": {"startedAt": "2026-12-04T10:00:00Z"}}})
}

#[test]
fn continuity_warns_when_the_plugin_writes_elsewhere_than_the_old_backups() {
    let c = checks::continuity(
        &migrated(),
        Some(&store()),
        Some(&(
            "s3://backups/ledger".into(),
            "pg-ledger".into(),
            "the pre-migration file f".into(),
        )),
    );
    assert_eq!(c.status, Status::Warn);
    assert_eq!(
        c.summary,
        "the plugin writes to s3://backups/ledger/, server pg-ledger-v2; the backups from before the migration are in s3://backups/ledger, server pg-ledger"
    );
    assert!(c.remedy.as_deref().is_some_and(|r| r.starts_with(
        "a point-in-time recovery to before the migration goes through the old location"
    )));
    let same = checks::continuity(
        &migrated(),
        Some(&store()),
        Some(&(
            "s3://backups/ledger".into(),
            "pg-ledger-v2".into(),
            "f".into(),
        )),
    );
    assert_eq!(
        same.status,
        Status::Pass,
        "a trailing slash is the same place"
    );
}

#[test]
fn a_clash_with_another_clusters_destination_names_it() {
    let all = vec![
        Archive {
            who: "Cluster ledger/pg-ledger (ObjectStore ledger-store)".into(),
            destination: "s3://backups/ledger/".into(),
            server: "pg-ledger-v2".into(),
        },
        Archive {
            who: "Cluster reports/pg-reports (in-tree barmanObjectStore)".into(),
            destination: "s3://backups/ledger".into(),
            server: "pg-ledger-v2".into(),
        },
    ];
    let c = checks::double_archiving(&migrated(), Some(&store()), &all);
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.evidence,
        ["Cluster reports/pg-reports (in-tree barmanObjectStore)"]
    );
}

#[test]
fn a_crashing_sidecar_and_a_pod_not_rolled_fail_the_sidecar_check() {
    let crash = json!({"name": "plugin-barman-cloud", "ready": false,
                       "state": {"waiting": {"reason": "CrashLoopBackOff"}}});
    let c = proof::sidecar(
        "pg-ledger",
        &[
            pod("pg-ledger-1", Some(running(true))),
            pod("pg-ledger-2", Some(crash)),
            pod("pg-ledger-3", None),
        ],
    );
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.summary,
        "2 of 3 instance pod(s) lack a working plugin-barman-cloud sidecar"
    );
    assert_eq!(
        c.evidence,
        [
            "pg-ledger-2: plugin-barman-cloud CrashLoopBackOff",
            "pg-ledger-3: no plugin-barman-cloud container: not rolled yet",
            "pg-ledger-1: plugin-barman-cloud running and ready",
        ]
    );
}

#[test]
fn the_wal_check_needs_a_segment_written_after_the_primarys_sidecar_started() {
    let pods = [pod("pg-ledger-1", Some(running(true)))];
    let mut facts = BucketFacts {
        newest_wal: Some("000000010000000000000007".into()),
        newest_wal_at: Some(Utc.with_ymd_and_hms(2026, 12, 4, 9, 0, 0).unwrap()),
        ..Default::default()
    };
    let old = proof::wal(&migrated(), &pods, Bucket::Read(&facts), None);
    assert_eq!(old.status, Status::Warn);
    assert!(
        old.remedy
            .as_deref()
            .is_some_and(|r| r.contains("SELECT pg_walfile_name(pg_switch_wal())"))
    );
    facts.newest_wal_at = Some(Utc.with_ymd_and_hms(2026, 12, 4, 10, 5, 0).unwrap());
    let fresh = proof::wal(&migrated(), &pods, Bucket::Read(&facts), None);
    assert_eq!(fresh.status, Status::Pass);
    assert_eq!(
        fresh.summary,
        "a fresh WAL is in the bucket: 000000010000000000000007"
    );
    let iam = proof::wal(
        &migrated(),
        &pods,
        Bucket::NotRead("the store uses inheritFromIAMRole: this host has no such identity"),
        None,
    );
    assert_eq!(iam.status, Status::Skip, "not readable is not a pass");
    let mut failing = migrated();
    failing["status"]["conditions"][0] = json!({"type": "ContinuousArchiving", "status": "False", "reason": "ContinuousArchivingFailing", "message": "unexpected failure invoking barman-cloud-wal-archive: exit status 4"});
    let f = proof::wal(&failing, &pods, Bucket::Read(&facts), None);
    assert_eq!(f.status, Status::Fail);
    assert_eq!(
        f.evidence,
        [
            "ContinuousArchiving False (ContinuousArchivingFailing: unexpected failure invoking barman-cloud-wal-archive: exit status 4)"
        ]
    );
}

#[test]
fn a_completed_backup_whose_folder_is_not_done_fails() {
    let backups = [json!({"metadata": {"name": "pg-ledger-first"},
        "spec": {"cluster": {"name": "pg-ledger"}, "method": "plugin"},
        "status": {"phase": "completed", "backupId": "20261204T100000", "stoppedAt": "2026-12-04T10:01:00Z"}})];
    let facts = BucketFacts {
        backups: vec![BaseBackup {
            id: "20261204T100000".into(),
            status: "FAILED".into(),
            error: Some("failure uploading data".into()),
            ..Default::default()
        }],
        ..Default::default()
    };
    let c = proof::plugin_backup(&migrated(), &backups, Bucket::Read(&facts), None);
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.summary,
        "backup 20261204T100000 is in the bucket but not DONE"
    );
    assert_eq!(
        c.evidence[1],
        "base/20261204T100000/backup.info: status FAILED (failure uploading data)"
    );
}
