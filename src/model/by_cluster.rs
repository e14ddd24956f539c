//! Each Cluster's Backups, newest first, grouped in one pass. Several rules and the Backups
//! pane read a cluster's history; grouping 50,000 backups once instead of per rule and per
//! cluster is what keeps a rebuild cheap on a large cluster (BENCHMARKS.md).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::model::rows::BackupRow;

/// Backups by (namespace, cluster), each group newest first: by creation (else start),
/// then by name, descending, so the first of a group is the one the operator made last.
#[derive(Debug, Default)]
pub struct ByCluster<'a> {
    /// In (namespace, cluster) order.
    groups: Vec<((&'a str, &'a str), Vec<&'a BackupRow>)>,
}

fn order(b: &BackupRow) -> (Option<DateTime<Utc>>, &str) {
    (b.created.or(b.started), b.name.as_str())
}

impl<'a> ByCluster<'a> {
    pub fn new(backups: &'a [Arc<BackupRow>]) -> ByCluster<'a> {
        let mut at: HashMap<(&str, &str), usize> = HashMap::new();
        let mut groups: Vec<((&str, &str), Vec<&BackupRow>)> = Vec::new();
        let mut last: Option<((&str, &str), usize)> = None;
        for b in backups {
            let key = (b.namespace.as_str(), b.cluster.as_str());
            // Rows come in (namespace, name) order and a cluster's backups share a name
            // prefix, so the group is nearly always the previous row's: no hashing.
            let i = match last {
                Some((k, i)) if k == key => i,
                _ => *at.entry(key).or_insert_with(|| {
                    groups.push((key, Vec::new()));
                    groups.len() - 1
                }),
            };
            groups[i].1.push(b);
            last = Some((key, i));
        }
        groups.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for (_, list) in &mut groups {
            list.sort_by(|a, b| order(b).cmp(&order(a)));
        }
        ByCluster { groups }
    }

    /// A cluster's backups, newest first; empty when it has none.
    pub fn of(&self, namespace: &str, cluster: &str) -> &[&'a BackupRow] {
        match self
            .groups
            .binary_search_by(|(k, _)| (k.0, k.1).cmp(&(namespace, cluster)))
        {
            Ok(i) => &self.groups[i].1,
            Err(_) => &[],
        }
    }

    /// Every (namespace, cluster) with its backups, newest first, in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&'a str, &'a str, &[&'a BackupRow])> {
        self.groups
            .iter()
            .map(|((ns, c), list)| (*ns, *c, list.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::testing::at;

    fn backup(ns: &str, cluster: &str, name: &str, created: &str) -> Arc<BackupRow> {
        Arc::new(BackupRow {
            namespace: ns.into(),
            cluster: cluster.into(),
            name: name.into(),
            created: Some(at(created)),
            ..Default::default()
        })
    }

    #[test]
    fn groups_by_cluster_newest_first_whatever_the_row_order() {
        // Key order, as watchers keep rows: the clusters' names interleave.
        let rows = vec![
            backup("a", "pg", "a-1", "2026-11-01T00:00:00Z"),
            backup("a", "other", "b-1", "2026-11-03T00:00:00Z"),
            backup("a", "pg", "c-1", "2026-11-02T00:00:00Z"),
            backup("b", "pg", "a-1", "2026-11-05T00:00:00Z"),
            backup("b", "pg", "a-2", "2026-11-05T00:00:00Z"),
        ];
        let by = ByCluster::new(&rows);
        let names = |ns, c| -> Vec<&str> { by.of(ns, c).iter().map(|b| b.name.as_str()).collect() };
        assert_eq!(names("a", "pg"), ["c-1", "a-1"]);
        assert_eq!(names("a", "other"), ["b-1"]);
        // Same creation time: the later name first.
        assert_eq!(names("b", "pg"), ["a-2", "a-1"]);
        assert!(by.of("b", "other").is_empty());
        let keys: Vec<(&str, &str)> = by.iter().map(|(ns, c, _)| (ns, c)).collect();
        assert_eq!(keys, [("a", "other"), ("a", "pg"), ("b", "pg")]);
    }
}
