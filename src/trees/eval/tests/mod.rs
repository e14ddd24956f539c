//! Every check on fixture facts: a Pass, a Fail, and an Unknown where its data can be
//! unreadable, each with the summary and evidence a person reads.

mod backup;
mod findings;
mod flux;
mod generic;
mod helm;
mod logs;
mod restore;

use super::*;
use crate::assess::testing::{at, labels, live, state};
use crate::assess::{Severity, Unknown};
use crate::model::facts::LogTail;
use crate::model::rows::*;
use crate::model::{Snapshot, SyncState};
use crate::trees::model::LogSource;

const NOW: &str = "2026-11-24T06:00:00Z";

fn ask(check: &Check, facts: &Facts, assessed: &Assessed, context: Option<&ObjectRef>) -> Answer {
    evaluate(
        check,
        &Env {
            facts,
            assessed,
            context,
            now: at(NOW),
            git: None,
        },
    )
}

/// A check on facts alone: no findings, no context.
fn on(check: Check, facts: &Facts) -> Answer {
    ask(&check, facts, &Assessed::default(), None)
}

fn said(verdict: Verdict, summary: &str, evidence: &[&str]) -> Answer {
    answer(
        verdict,
        summary,
        evidence.iter().map(|e| e.to_string()).collect(),
    )
}

fn forbidden(resource: &str) -> SyncState {
    SyncState::Forbidden {
        verb: "list".into(),
        resource: resource.into(),
    }
}

use crate::assess::testing::cond;

fn ks(name: &str, conditions: Vec<Condition>) -> KustomizationRow {
    KustomizationRow {
        namespace: "flux-system".into(),
        name: name.into(),
        conditions,
        ..Default::default()
    }
}

fn ready_ks(name: &str) -> KustomizationRow {
    ks(
        name,
        vec![cond("Ready", "True", "ReconciliationSucceeded", "Applied")],
    )
}

fn cluster(name: &str, store: &str) -> ClusterRow {
    ClusterRow {
        namespace: "db".into(),
        name: name.into(),
        plugin: Some(PluginRef {
            enabled: true,
            object_store: Some(store.into()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn backup(name: &str, cluster: &str, phase: &str, started: &str, stopped: &str) -> BackupRow {
    BackupRow {
        namespace: "db".into(),
        name: name.into(),
        cluster: cluster.into(),
        phase: phase.into(),
        started: Some(at(started)),
        stopped: Some(at(stopped)),
        ..Default::default()
    }
}

fn finding(code: &'static str, kind: Kind, name: &str, evidence: &[&str]) -> Finding {
    Finding {
        code,
        severity: Severity::Critical,
        object: ObjectRef::new(kind, "db", name),
        summary: format!("{code} about {name}"),
        evidence: evidence.iter().map(|e| e.to_string()).collect(),
        remedy: String::new(),
    }
}

fn found(findings: Vec<Finding>) -> Assessed {
    Assessed {
        findings,
        unknown: vec![],
    }
}

#[test]
fn each_verdict_takes_its_own_branch() {
    use crate::trees::model::Branch;
    assert_eq!(
        [
            Verdict::Pass,
            Verdict::Fail,
            Verdict::Unknown,
            Verdict::Error
        ]
        .map(Verdict::branch),
        Branch::ALL
    );
}
