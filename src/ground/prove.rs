//! From a listing of a server's prefix and its parsed `backup.info` files to what they
//! prove, without IO: the WAL per timeline, every gap after a base backup's begin WAL, the
//! recovery window and whether the newest completed backup can be restored at all.
//!
//! Segment numbers are positions in the WAL stream shared by all timelines: a child timeline
//! starts at the segment holding its switch point, so a backup on timeline 1 reaches a WAL on
//! timeline 2 through every segment of 1 before that point, then 2's from it on.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use super::layout::{self, WalObject};
use crate::model::bucket::{
    BaseBackup, BucketFacts, EndWalCheck, RecoveryWindow, TimelineWal, WalGap,
};

/// One object under `wals/`: its key and when it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct WalEntry {
    pub key: String,
    pub modified: Option<DateTime<Utc>>,
}

/// What the reader brings back.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub wals: Vec<WalEntry>,
    pub backups: Vec<BaseBackup>,
    /// Why the listing stopped early, when it did.
    pub truncated: Option<String>,
    pub requests: u64,
    pub objects: u64,
    pub elapsed_ms: u64,
}

/// (timeline, segment number) → when it was written.
type Segments = BTreeMap<u32, BTreeMap<u64, Option<DateTime<Utc>>>>;

/// A walk along the WAL from a backup's begin: where its first unbroken run ends, and every
/// gap met on the way to the newest segment.
struct Walk {
    end: (u32, u64),
    gaps: Vec<(u32, u64, u32, u64, u64)>,
}

/// The next timeline after `tli` that branches at or after `from` (an earlier branch cannot
/// descend from a position past it).
fn child(segs: &Segments, tli: u32, from: u64) -> Option<(u32, u64)> {
    segs.range(tli + 1..).find_map(|(t, s)| {
        let first = *s.keys().next()?;
        (first > from).then_some((*t, first))
    })
}

fn walk(segs: &Segments, tli: u32, start: u64) -> Option<Walk> {
    let on = segs.get(&tli)?;
    on.get(&start)?;
    let (mut tli, mut cur) = (tli, start);
    let mut end = None;
    let mut gaps = Vec::new();
    loop {
        let here = segs.get(&tli)?;
        let next = child(segs, tli, cur);
        let limit = next.map(|(_, sw)| sw);
        // The run from `cur` on this timeline, stopping before the child's switch segment.
        while here.contains_key(&(cur + 1)) && limit.is_none_or(|sw| cur + 1 < sw) {
            cur += 1;
        }
        match next {
            Some((nt, sw)) => {
                if cur + 1 < sw {
                    // Either the next segment of this timeline, or the switch: whichever the
                    // stream continues with.
                    let resume = here.range(cur + 1..sw).next().map(|(s, _)| *s);
                    match resume {
                        Some(r) => {
                            gaps.push((tli, cur, tli, r, r - cur - 1));
                            end.get_or_insert((tli, cur));
                            cur = r;
                            continue;
                        }
                        None => {
                            gaps.push((tli, cur, nt, sw, sw - cur - 1));
                            end.get_or_insert((tli, cur));
                        }
                    }
                }
                tli = nt;
                cur = sw;
            }
            None => {
                if let Some((r, _)) = here.range(cur + 1..).next() {
                    gaps.push((tli, cur, tli, *r, r - cur - 1));
                    end.get_or_insert((tli, cur));
                    cur = *r;
                    continue;
                }
                return Some(Walk {
                    end: end.unwrap_or((tli, cur)),
                    gaps,
                });
            }
        }
    }
}

/// Turns a listing into what it proves.
pub fn prove(listing: &Listing) -> BucketFacts {
    let segment_size = listing
        .backups
        .iter()
        .find_map(|b| b.segment_size)
        .filter(|s| s.is_power_of_two() && *s >= 1 << 20)
        .unwrap_or(layout::DEFAULT_SEGMENT_SIZE);
    let name = |tli: u32, seg: u64| layout::segment_name(tli, seg, segment_size);
    let pos = |w: &str| layout::parse_segment(w, segment_size);

    let mut segs: Segments = BTreeMap::new();
    let mut partial: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut history = BTreeSet::new();
    let mut last_listed: Option<(u32, u64)> = None;
    for e in &listing.wals {
        match layout::parse_wal_key(&e.key, segment_size) {
            Some(WalObject::Segment { timeline, segno }) => {
                segs.entry(timeline).or_default().insert(segno, e.modified);
                last_listed = last_listed.max(Some((timeline, segno)));
            }
            Some(WalObject::Partial { timeline, segno }) => {
                partial
                    .entry(timeline)
                    .or_default()
                    .push(format!("{}.partial", name(timeline, segno)));
            }
            Some(WalObject::History { timeline }) => {
                history.insert(timeline);
            }
            Some(WalObject::BackupLabel { .. }) | None => {}
        }
    }
    let timelines: Vec<TimelineWal> = segs
        .iter()
        .filter_map(|(t, s)| {
            let (first, _) = s.first_key_value()?;
            let (last, _) = s.last_key_value()?;
            Some(TimelineWal {
                timeline: *t,
                first: name(*t, *first),
                last: name(*t, *last),
                count: s.len() as u64,
                newest_at: s.values().flatten().max().copied(),
                partial: partial.remove(t).unwrap_or_default(),
            })
        })
        .collect();
    let newest = segs
        .iter()
        .next_back()
        .and_then(|(t, s)| s.last_key_value().map(|(n, at)| (*t, *n, *at)));

    // Every DONE backup, oldest first, with the walk from its begin WAL.
    let mut done: Vec<&BaseBackup> = listing.backups.iter().filter(|b| b.done()).collect();
    done.sort_by(|a, b| (a.end_time, &a.id).cmp(&(b.end_time, &b.id)));
    let walks: Vec<(&BaseBackup, Option<Walk>)> = done
        .iter()
        .map(|b| {
            let w = b
                .begin_wal
                .as_deref()
                .and_then(pos)
                .and_then(|(t, s)| walk(&segs, t, s));
            (*b, w)
        })
        .collect();
    let restorable = |b: &BaseBackup, w: &Walk| {
        b.end_wal
            .as_deref()
            .and_then(pos)
            .is_some_and(|(_, end)| w.end.1 >= end)
    };
    let furthest = walks
        .iter()
        .filter_map(|(b, w)| w.as_ref().filter(|w| restorable(b, w)).map(|w| w.end))
        .max_by_key(|(t, s)| (*s, *t));
    let window = furthest.and_then(|far| {
        let (b, _) = walks
            .iter()
            .find(|(b, w)| w.as_ref().is_some_and(|w| restorable(b, w) && w.end == far))?;
        Some(RecoveryWindow {
            from: b.end_time,
            to: segs
                .get(&far.0)
                .and_then(|s| s.get(&far.1))
                .copied()
                .flatten(),
            backup: b.id.clone(),
            last_wal: name(far.0, far.1),
        })
    });

    // Gaps, once each, with the backups they cut.
    let mut seen = BTreeSet::new();
    let mut gaps = Vec::new();
    for (_, w) in &walks {
        for &(t, after, nt, before, missing) in w.iter().flat_map(|w| &w.gaps) {
            if !seen.insert((t, after)) {
                continue;
            }
            let begins = |b: &&BaseBackup| b.begin_wal.as_deref().and_then(pos).map(|(_, s)| s);
            let cuts = done
                .iter()
                .rfind(|b| begins(b).is_some_and(|s| s <= after))
                .map(|b| b.id.clone());
            let fatal = !walks.iter().any(|(b, w)| {
                begins(b).is_some_and(|s| s >= before)
                    && w.as_ref().is_some_and(|w| restorable(b, w))
            });
            gaps.push(WalGap {
                timeline: t,
                after: name(t, after),
                before: name(nt, before),
                missing,
                cuts_backup: cuts,
                fatal,
            });
        }
    }

    let end_wal = done.last().and_then(|b| {
        let end = b.end_wal.clone()?;
        let (t, s) = pos(&end)?;
        let present = segs.get(&t).is_some_and(|m| m.contains_key(&s));
        let archived = if present {
            Some(true)
        } else if listing.truncated.is_some() && last_listed.is_none_or(|l| (t, s) > l) {
            None
        } else {
            Some(false)
        };
        Some(EndWalCheck {
            backup: b.id.clone(),
            end_wal: end,
            archived,
        })
    });

    let system_ids: Vec<String> = listing
        .backups
        .iter()
        .filter_map(|b| b.systemid.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();

    BucketFacts {
        backups: listing.backups.clone(),
        timelines,
        history: history.into_iter().collect(),
        window,
        gaps,
        end_wal,
        newest_wal: newest.map(|(t, s, _)| name(t, s)),
        newest_wal_at: newest.and_then(|(_, _, at)| at),
        system_ids,
        segment_size,
        truncated: listing.truncated.clone(),
        listed_up_to: listing
            .truncated
            .as_ref()
            .and(last_listed)
            .map(|(t, s)| name(t, s)),
        requests: listing.requests,
        objects: listing.objects,
        elapsed_ms: listing.elapsed_ms,
    }
}

#[cfg(test)]
mod tests;
