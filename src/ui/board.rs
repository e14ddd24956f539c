//! The main screen's state: the data in view (rows, the rules' findings), the four panes
//! built from it with their selection and filter, and what each rebuild cost.

use std::cell::RefCell;
use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::panes::{self, Ground, Health, PaneView, ViewRow};
use super::rules_task::RulesInput;
use crate::assess::{self, Finding, Severity, Thresholds, Unknown};
use crate::checks::Extras;
use crate::model::archiver::{ArchiverReading, keep_recent};
use crate::model::bucket::StoreProof;
use crate::model::{Kind, ObjectRef, Snapshot, relate};

pub const PANES: usize = 4;

#[derive(Debug, Clone, Default)]
pub struct PaneState {
    pub selected: usize,
    /// The user moved the cursor: it follows its object through rebuilds. Until then it
    /// stays at the top, whatever arrives.
    pub chosen: bool,
    pub filter: String,
}

/// A filter and the rows that pass it.
type Filtered = (String, Vec<usize>);

/// Below this a rebuild is cheap enough for every clock tick.
const CHEAP_REFRESH: std::time::Duration = std::time::Duration::from_millis(2);

pub struct Board {
    pub now: DateTime<Utc>,
    pub snapshot: Snapshot,
    /// What the rules read beside the snapshot; None until first gathered.
    pub extras: Option<Extras>,
    /// What reading each store's bucket proved, on its own slower cadence.
    pub proofs: Vec<StoreProof>,
    /// The recent readings of each primary's archiver (two per pod: a rate needs two).
    pub archivers: Vec<ArchiverReading>,
    pub findings: Vec<Finding>,
    pub unknown: Vec<Unknown>,
    /// The API server's version once asked, or why it could not be reached.
    pub server_status: Option<Result<String, String>>,
    pub views: [PaneView; PANES],
    pub focus: usize,
    pub panes: [PaneState; PANES],
    /// Each pane's rows that pass its filter, for the filter they were computed with;
    /// emptied when the views change.
    visible_cache: RefCell<[Option<Filtered>; PANES]>,
    /// What the last rebuild cost and when it ran, and what the last rules' run cost.
    refresh_cost: std::time::Duration,
    refreshed: std::time::Instant,
    rules_cost: std::time::Duration,
    /// Read by every frame, so computed once per rebuild rather than per frame over every
    /// row: each pane's worst health, its row count (headings aside), the newest backup.
    pub pane_health: [Health; PANES],
    pub pane_rows: [usize; PANES],
    pub newest_backup: Option<DateTime<Utc>>,
    /// How many verdicts the rules have given: moves with each one.
    pub verdicts: u64,
}

/// The worst finding about each object: what marks its row.
fn marks_of(findings: &[Finding]) -> HashMap<(Kind, &str, &str), Severity> {
    let mut worst: HashMap<(Kind, &str, &str), Severity> = HashMap::new();
    for f in findings {
        let o = &f.object;
        let e = worst
            .entry((o.kind, o.namespace.as_str(), o.name.as_str()))
            .or_insert(f.severity);
        *e = (*e).max(f.severity);
    }
    worst
}

impl Board {
    pub fn new(now: DateTime<Utc>, th: &Thresholds) -> Board {
        let snapshot = Snapshot::default();
        let mut board = Board {
            now,
            views: panes::panes(&snapshot, now, th, Ground::default()),
            snapshot,
            extras: None,
            proofs: Vec::new(),
            archivers: Vec::new(),
            findings: Vec::new(),
            unknown: Vec::new(),
            server_status: None,
            focus: 0,
            panes: Default::default(),
            visible_cache: Default::default(),
            refresh_cost: std::time::Duration::ZERO,
            refreshed: std::time::Instant::now(),
            rules_cost: std::time::Duration::ZERO,
            pane_health: [Health::Ok; PANES],
            pane_rows: [0; PANES],
            newest_backup: None,
            verdicts: 0,
        };
        board.summarise();
        board
    }

    fn summarise(&mut self) {
        for (i, v) in self.views.iter().enumerate() {
            self.pane_health[i] = v.worst();
            self.pane_rows[i] = v.rows.iter().filter(|r| !r.heading).count();
        }
        self.newest_backup = relate::newest_good_backup(&self.snapshot);
    }

    /// New data shown at once; the findings stay until the rules' verdict on it comes
    /// (on a large cluster the rules take as long again as the panes, and run beside
    /// the UI rather than before the changed row appears).
    pub fn set_rows(&mut self, s: Snapshot, th: &Thresholds) {
        self.snapshot = s;
        self.rebuild(th);
    }

    /// Newly gathered facts: the archiver readings join the history (the newest two of each
    /// current primary), the rest replaces what was there.
    pub fn set_extras(&mut self, mut extras: Extras, th: &Thresholds) {
        self.archivers.append(&mut extras.archivers);
        let current: Vec<(String, String, String)> = self
            .snapshot
            .clusters
            .rows
            .iter()
            .filter_map(|c| Some((c.namespace.clone(), c.name.clone(), c.primary.clone()?)))
            .collect();
        keep_recent(&mut self.archivers, &current, 2);
        self.extras = Some(extras);
        self.rebuild(th);
    }

    /// A new reading of the stores: shown at once, judged with the next verdict.
    pub fn set_proofs(&mut self, proofs: Vec<StoreProof>, th: &Thresholds) {
        self.proofs = proofs;
        self.rebuild(th);
    }

    /// Everything shown was about a scope left behind.
    pub fn forget(&mut self, th: &Thresholds) {
        self.extras = None;
        self.proofs.clear();
        self.archivers.clear();
        self.findings.clear();
        self.unknown.clear();
        self.set_rows(Snapshot::default(), th);
    }

    /// The clock moved: ages change. Backup rows format their ages when drawn; the rest
    /// is rebuilt on every tick while that is cheap, and on a large cluster as often as
    /// keeps the rebuilds under about 0.1 % of a core (at 50k, about once a minute).
    /// True when the panes were rebuilt: the rules are due too.
    pub fn tick(&mut self, now: DateTime<Utc>, th: &Thresholds) -> bool {
        self.now = now;
        let cost = self.refresh_cost + self.rules_cost;
        let due = cost < CHEAP_REFRESH || self.refreshed.elapsed() >= cost * 1000;
        if due {
            self.rebuild(th);
        }
        due
    }

    /// Everything the rules read, as the dashboard holds it: the watched snapshot, the
    /// gathered kinds and logs, the buckets' proofs and the archiver history. The verdicts
    /// and a walk's checks both judge this, so they never disagree. None until gathered.
    pub fn facts(&self) -> Option<crate::assess::Facts> {
        let mut facts = self.extras.as_ref()?.facts(&self.snapshot);
        facts.stores = self.proofs.clone();
        facts.archivers = self.archivers.clone();
        Some(facts)
    }

    /// What the rules need: None until the extra kinds are gathered.
    pub fn rules_input(&self, th: &Thresholds) -> Option<RulesInput> {
        Some(RulesInput {
            facts: self.facts()?,
            now: self.now,
            thresholds: th.clone(),
        })
    }

    /// The rules' verdict, without the silenced codes. Rows are rebuilt only when it marks
    /// other objects than before: a large cluster's findings rarely change with one event.
    pub fn set_outcome(
        &mut self,
        outcome: assess::Outcome,
        took: std::time::Duration,
        silence: &[String],
        th: &Thresholds,
    ) {
        self.rules_cost = took;
        self.verdicts += 1;
        let findings: Vec<Finding> = outcome
            .findings
            .into_iter()
            .filter(|f| !silence.iter().any(|s| s == f.code))
            .collect();
        let remark = marks_of(&findings) != marks_of(&self.findings);
        self.findings = findings;
        self.unknown = outcome.unknown;
        if remark {
            self.rebuild(th);
        }
    }

    /// The findings about one object.
    pub fn findings_about<'a>(&'a self, o: &'a ObjectRef) -> impl Iterator<Item = &'a Finding> {
        self.findings.iter().filter(move |f| f.object == *o)
    }

    /// The panes from the snapshot, marked with the findings as they stand.
    fn rebuild(&mut self, th: &Thresholds) {
        let began = std::time::Instant::now();
        // The cursor stays on the object it was on: rows appear above it as kinds arrive
        // and verdicts reorder nothing, so an index alone would land on another object.
        let selected: [Option<ObjectRef>; PANES] = std::array::from_fn(|i| {
            if !self.panes[i].chosen {
                return None;
            }
            let visible = self.visible(i);
            visible
                .get(self.panes[i].selected)
                .and_then(|&r| self.views[i].rows.get(r))
                .and_then(|row| row.target())
        });
        let ground = Ground {
            proofs: &self.proofs,
            archivers: &self.archivers,
        };
        self.views = panes::panes(&self.snapshot, self.now, th, ground);
        self.visible_cache
            .borrow_mut()
            .iter_mut()
            .for_each(|c| *c = None);
        self.mark_rows();
        for (i, was) in selected.iter().enumerate() {
            let Some(was) = was else {
                // Untouched: the top row, whatever was there before.
                if !self.panes[i].chosen {
                    self.panes[i].selected = 0;
                }
                continue;
            };
            let key = (was.kind, was.namespace.as_str(), was.name.as_str());
            let found = {
                let visible = self.visible(i);
                let rows = &self.views[i].rows;
                visible
                    .iter()
                    .position(|&r| rows.get(r).and_then(|row| row.target_key()) == Some(key))
            };
            if let Some(at) = found {
                self.panes[i].selected = at;
            }
        }
        // Each cursor stays in its pane and on a row, never on a heading.
        for i in 0..PANES {
            self.move_selection_in(i, 0);
        }
        self.summarise();
        self.refreshed = std::time::Instant::now();
        self.refresh_cost = self.refreshed - began;
    }

    /// Each row takes the state of its worst finding when that is worse.
    fn mark_rows(&mut self) {
        let worst = marks_of(&self.findings);
        if worst.is_empty() {
            return;
        }
        let mut marks = Vec::new();
        for (p, v) in self.views.iter().enumerate() {
            for (i, r) in v.rows.iter().enumerate() {
                if let Some(key) = r.target_key()
                    && let Some(sev) = worst.get(&key)
                {
                    marks.push((p, i, *sev));
                }
            }
        }
        for (p, i, sev) in marks {
            let row = &mut self.views[p].rows[i];
            row.health = row.health.max(Health::from(sev));
        }
    }

    /// Indices into `views[pane].rows` that pass the pane's filter. Headings go when filtering.
    pub fn visible(&self, pane: usize) -> Vec<usize> {
        let rows = &self.views[pane].rows;
        let filter = self.panes[pane].filter.to_lowercase();
        if filter.is_empty() {
            return (0..rows.len()).collect();
        }
        let mut cache = self.visible_cache.borrow_mut();
        if let Some((f, list)) = &cache[pane]
            && *f == filter
        {
            return list.clone();
        }
        let list: Vec<usize> = rows
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                !r.heading
                    && (r
                        .cells(self.now)
                        .iter()
                        .any(|c| c.to_lowercase().contains(&filter))
                        || r.health.word().contains(&filter))
            })
            .map(|(i, _)| i)
            .collect();
        cache[pane] = Some((filter, list.clone()));
        list
    }

    pub fn selected_row(&self) -> Option<&ViewRow> {
        let visible = self.visible(self.focus);
        visible
            .get(self.panes[self.focus].selected)
            .map(|i| &self.views[self.focus].rows[*i])
    }

    /// The object of the selected row.
    pub fn selected_object(&self) -> Option<ObjectRef> {
        self.selected_row().and_then(|r| r.target())
    }

    /// Moves the focused pane's selection by `delta` rows, stepping over headings.
    /// The user moves the focused pane's cursor: from now on it follows its object.
    pub fn move_selection(&mut self, delta: isize) {
        self.panes[self.focus].chosen = true;
        self.move_selection_in(self.focus, delta);
    }

    /// Moves pane `pane`'s selection by `delta` rows (0: keeps it in range), stepping over
    /// headings.
    fn move_selection_in(&mut self, pane: usize, delta: isize) {
        let visible = self.visible(pane);
        if visible.is_empty() {
            self.panes[pane].selected = 0;
            return;
        }
        let rows = &self.views[pane].rows;
        let last = visible.len() as isize - 1;
        let mut at = (self.panes[pane].selected as isize)
            .saturating_add(delta)
            .clamp(0, last);
        // Headings are not rows to act on: step over them in the direction of travel,
        // and back the other way at the end.
        let step = if delta < 0 { -1 } else { 1 };
        for dir in [step, -step] {
            while rows[visible[at as usize]].heading {
                let next = at + dir;
                if !(0..=last).contains(&next) {
                    break;
                }
                at = next;
            }
        }
        self.panes[pane].selected = at as usize;
    }

    /// The focused pane's filter, applied as it is typed (like k9s).
    pub fn set_filter(&mut self, text: String) {
        self.panes[self.focus].filter = text;
        self.panes[self.focus].selected = 0;
        self.panes[self.focus].chosen = false;
        self.move_selection_in(self.focus, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KindState;
    use crate::model::rows::KustomizationRow;

    fn ks(name: &str) -> KustomizationRow {
        KustomizationRow {
            namespace: "flux-system".into(),
            name: name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_cursor_stays_on_its_object_when_rows_arrive_above_it() {
        let th = Thresholds::default();
        let mut b = Board::new(chrono::Utc::now(), &th);
        // The sources arrive first: the pane starts with their heading, the cursor steps
        // over it onto the GitRepository.
        let mut s = Snapshot {
            git_repos: KindState::live(vec![crate::model::rows::GitRepositoryRow {
                namespace: "flux-system".into(),
                name: "flux-system".into(),
                ..Default::default()
            }]),
            ..Default::default()
        };
        b.set_rows(s.clone(), &th);
        s.kustomizations = KindState::live(vec![ks("flux-system")]);
        b.set_rows(s.clone(), &th);
        b.focus = 3;
        let on = |b: &Board| {
            let v = b.visible(3);
            b.views[3].rows[v[b.panes[3].selected]]
                .target()
                .map(|t| t.name)
        };
        assert_eq!(on(&b).as_deref(), Some("flux-system"));
        // Untouched, the cursor stays at the top as rows arrive above.
        s.kustomizations = KindState::live(vec![ks("apps-postgresql"), ks("flux-system")]);
        b.set_rows(s.clone(), &th);
        assert_eq!(on(&b).as_deref(), Some("apps-postgresql"));
        // Once the user moved it, it follows its object when a row arrives above.
        b.move_selection(1);
        assert_eq!(on(&b).as_deref(), Some("flux-system"));
        s.kustomizations = KindState::live(vec![
            ks("apps-analytics"),
            ks("apps-postgresql"),
            ks("flux-system"),
        ]);
        b.set_rows(s, &th);
        assert_eq!(on(&b).as_deref(), Some("flux-system"));
    }
}
