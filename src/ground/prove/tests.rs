use chrono::{Duration, TimeZone};

use super::*;
use crate::ground::layout::{DEFAULT_SEGMENT_SIZE, segment_name};

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0)
        .single()
        .unwrap_or_default()
}

/// Segment `n` on timeline `tli`, archived `n` minutes after t0, gzip-compressed.
fn wal(tli: u32, n: u64) -> WalEntry {
    let name = segment_name(tli, n, DEFAULT_SEGMENT_SIZE);
    WalEntry {
        key: format!("pg/pg/wals/{}/{name}.gz", &name[..16]),
        modified: Some(t0() + Duration::minutes(n as i64)),
    }
}

fn backup(id: &str, tli: u32, begin: u64, end: u64, status: &str) -> BaseBackup {
    BaseBackup {
        id: id.into(),
        status: status.into(),
        begin_wal: Some(segment_name(tli, begin, DEFAULT_SEGMENT_SIZE)),
        end_wal: Some(segment_name(tli, end, DEFAULT_SEGMENT_SIZE)),
        begin_time: Some(t0() + Duration::minutes(begin as i64)),
        end_time: Some(t0() + Duration::minutes(end as i64) + Duration::seconds(30)),
        timeline: Some(tli),
        systemid: Some("7442300000000000001".into()),
        ..Default::default()
    }
}

fn listing(wals: Vec<WalEntry>, backups: Vec<BaseBackup>) -> Listing {
    Listing {
        objects: wals.len() as u64,
        wals,
        backups,
        ..Default::default()
    }
}

#[test]
fn a_healthy_archive_is_restorable_from_the_oldest_backup_to_the_newest_wal() {
    let f = prove(&listing(
        (2..=300).map(|n| wal(1, n)).collect(),
        vec![
            backup("b1", 1, 2, 3, "DONE"),
            backup("b2", 1, 100, 101, "DONE"),
        ],
    ));
    let w = f.window.expect("a window");
    assert_eq!(w.backup, "b1");
    assert_eq!(
        w.from,
        Some(t0() + Duration::minutes(3) + Duration::seconds(30))
    );
    assert_eq!(w.to, Some(t0() + Duration::minutes(300)));
    assert_eq!(w.last_wal, "00000001000000010000002C");
    assert!(f.gaps.is_empty());
    assert_eq!(f.end_wal.and_then(|e| e.archived), Some(true));
    assert_eq!(f.timelines.len(), 1);
    assert_eq!(f.timelines[0].count, 299);
    assert_eq!(f.timelines[0].first, "000000010000000000000002");
    assert_eq!(f.newest_wal.as_deref(), Some("00000001000000010000002C"));
    assert_eq!(f.system_ids, vec!["7442300000000000001".to_string()]);
}

#[test]
fn a_gap_after_the_newest_backup_ends_the_window_and_is_fatal() {
    let mut wals: Vec<WalEntry> = (2..=20).map(|n| wal(1, n)).collect();
    wals.retain(|w| !w.key.ends_with("000000010000000000000010.gz"));
    let f = prove(&listing(wals, vec![backup("b1", 1, 2, 3, "DONE")]));
    let w = f.window.expect("a window up to the gap");
    assert_eq!(w.last_wal, "00000001000000000000000F");
    assert_eq!(f.gaps.len(), 1);
    let g = &f.gaps[0];
    assert_eq!(
        (g.timeline, g.after.as_str(), g.before.as_str(), g.missing),
        (1, "00000001000000000000000F", "000000010000000000000011", 1)
    );
    assert_eq!(g.cuts_backup.as_deref(), Some("b1"));
    assert!(g.fatal);
}

#[test]
fn a_gap_between_two_backups_is_not_fatal_and_the_window_starts_after_it() {
    let wals: Vec<WalEntry> = (2..=40)
        .filter(|n| !(10..13).contains(n))
        .map(|n| wal(1, n))
        .collect();
    let f = prove(&listing(
        wals,
        vec![
            backup("b1", 1, 2, 3, "DONE"),
            backup("b2", 1, 20, 21, "DONE"),
        ],
    ));
    assert_eq!(f.window.as_ref().map(|w| w.backup.as_str()), Some("b2"));
    assert_eq!(f.gaps.len(), 1);
    assert_eq!(f.gaps[0].missing, 3);
    assert!(!f.gaps[0].fatal);
}

#[test]
fn a_missing_end_wal_makes_the_newest_backup_unrestorable() {
    // The plugin #652 shape: the backup's last segment never reached the bucket.
    let wals: Vec<WalEntry> = (2..=9).map(|n| wal(1, n)).collect();
    let f = prove(&listing(
        wals,
        vec![
            backup("b1", 1, 2, 3, "DONE"),
            backup("b2", 1, 9, 10, "DONE"),
        ],
    ));
    let e = f.end_wal.expect("checked");
    assert_eq!(
        (e.backup.as_str(), e.end_wal.as_str()),
        ("b2", "00000001000000000000000A")
    );
    assert_eq!(e.archived, Some(false));
    assert_eq!(f.window.map(|w| w.backup), Some("b1".to_string()));
}

#[test]
fn a_truncated_listing_concludes_nothing_past_where_it_stopped() {
    let mut l = listing(
        (2..=9).map(|n| wal(1, n)).collect(),
        vec![backup("b1", 1, 2, 10, "DONE")],
    );
    l.truncated = Some("stopped at 8 objects".into());
    let f = prove(&l);
    assert_eq!(f.end_wal.and_then(|e| e.archived), None);
    assert!(f.gaps.is_empty());
    assert_eq!(f.listed_up_to.as_deref(), Some("000000010000000000000009"));
}

#[test]
fn the_window_follows_a_promotion_onto_the_next_timeline() {
    // Timeline 1 up to segment 9; the promoted standby writes timeline 2 from segment 9 on,
    // with the history file and the old timeline's last segment as .partial.
    let mut wals: Vec<WalEntry> = (2..=8).map(|n| wal(1, n)).collect();
    wals.extend((9..=15).map(|n| wal(2, n)));
    wals.push(WalEntry {
        key: "pg/pg/wals/00000002.history.gz".into(),
        modified: None,
    });
    wals.push(WalEntry {
        key: "pg/pg/wals/0000000100000000/000000010000000000000009.partial".into(),
        modified: None,
    });
    let f = prove(&listing(wals, vec![backup("b1", 1, 2, 3, "DONE")]));
    assert_eq!(f.history, vec![2]);
    assert_eq!(f.timelines.len(), 2);
    assert_eq!(
        f.timelines[0].partial,
        vec!["000000010000000000000009.partial".to_string()]
    );
    let w = f.window.expect("across the switch");
    assert_eq!(w.last_wal, "00000002000000000000000F");
    assert!(f.gaps.is_empty(), "{:?}", f.gaps);
}

#[test]
fn a_hole_before_the_switch_is_a_gap_across_timelines() {
    let mut wals: Vec<WalEntry> = (2..=6).map(|n| wal(1, n)).collect();
    wals.extend((9..=12).map(|n| wal(2, n)));
    let f = prove(&listing(wals, vec![backup("b1", 1, 2, 3, "DONE")]));
    assert_eq!(f.gaps.len(), 1);
    let g = &f.gaps[0];
    assert_eq!(
        (g.after.as_str(), g.before.as_str(), g.missing),
        ("000000010000000000000006", "000000020000000000000009", 2)
    );
    assert_eq!(
        f.window.map(|w| w.last_wal),
        Some("000000010000000000000006".to_string())
    );
}

#[test]
fn failed_backups_and_two_servers_are_told_apart() {
    let mut other = backup("b2", 1, 2, 3, "DONE");
    other.systemid = Some("7442399999999999999".into());
    let f = prove(&listing(
        (2..=5).map(|n| wal(1, n)).collect(),
        vec![
            backup("b0", 1, 2, 2, "FAILED"),
            backup("b1", 1, 2, 3, "DONE"),
            other,
        ],
    ));
    assert_eq!(f.system_ids.len(), 2);
    // No backup at all: no window, nothing to cut.
    let none = prove(&listing((2..=5).map(|n| wal(1, n)).collect(), vec![]));
    assert_eq!(none.window, None);
    assert_eq!(none.end_wal, None);
    assert_eq!(none.newest_wal.as_deref(), Some("000000010000000000000005"));
}
