//! The panes on fixture rows.

use super::*;
use crate::model::KindState;
use crate::model::rows::BackupRow;
use std::sync::Arc;

fn backup(
    cluster: &str,
    name: &str,
    phase: &str,
    hours_ago: i64,
    now: DateTime<Utc>,
) -> Arc<BackupRow> {
    Arc::new(BackupRow {
        namespace: "db".into(),
        name: name.into(),
        cluster: cluster.into(),
        method: "plugin".into(),
        phase: phase.into(),
        started: Some(now - chrono::Duration::hours(hours_ago)),
        stopped: Some(now - chrono::Duration::hours(hours_ago) + chrono::Duration::minutes(3)),
        ..Default::default()
    })
}

#[test]
fn an_old_failure_followed_by_success_is_history_not_the_pane_state() {
    let now = Utc::now();
    let mut s = Snapshot {
        backups: KindState {
            rows: Arc::new(vec![
                backup("pg", "old", "failed", 48, now),
                backup("pg", "new", "completed", 2, now),
            ]),
            sync: SyncState::Live,
            version: 1,
            rv: 0,
            malformed: Default::default(),
        },
        ..Default::default()
    };
    s.clusters.sync = SyncState::Live;
    s.scheduled.sync = SyncState::Live;
    let v = backups::pane(&s, now, &Thresholds::default());
    assert_eq!(v.worst(), Health::Ok);
    let failed = v
        .rows
        .iter()
        .find(|r| r.cells(now).get(2).is_some_and(|c| c == "old"))
        .map(|r| r.health);
    assert_eq!(
        failed,
        Some(Health::Critical),
        "the old failure still shows its glyph"
    );

    s.backups.rows = Arc::new(vec![
        backup("pg", "old", "completed", 48, now),
        backup("pg", "new", "failed", 2, now),
    ]);
    assert_eq!(
        backups::pane(&s, now, &Thresholds::default()).worst(),
        Health::Critical
    );
}
