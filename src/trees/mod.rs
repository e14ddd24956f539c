//! Troubleshooting decision trees as data (docs/TREES.md): the model, loading with lint,
//! and the evaluation of their checks against a cluster's facts.

pub mod eval;
pub mod git;
pub mod load;
pub mod model;
pub mod transcript;
pub mod walk;

use self::load::{Tree, parse};
use crate::model::Kind;

/// The built-in trees, from the seed's decision trees, common issues and checklist.
const BUILTIN: &[(&str, &str)] = &[
    (
        "plugin-issue.yaml",
        include_str!("builtin/plugin-issue.yaml"),
    ),
    (
        "flux-reconciliation-failing.yaml",
        include_str!("builtin/flux-reconciliation-failing.yaml"),
    ),
    (
        "backup-failing.yaml",
        include_str!("builtin/backup-failing.yaml"),
    ),
    (
        "plugin-pods-not-starting.yaml",
        include_str!("builtin/plugin-pods-not-starting.yaml"),
    ),
    (
        "objectstore-connection.yaml",
        include_str!("builtin/objectstore-connection.yaml"),
    ),
    (
        "backup-performance.yaml",
        include_str!("builtin/backup-performance.yaml"),
    ),
    ("flux-stuck.yaml", include_str!("builtin/flux-stuck.yaml")),
    (
        "pre-migration-checklist.yaml",
        include_str!("builtin/pre-migration-checklist.yaml"),
    ),
    (
        "helmrelease-failing.yaml",
        include_str!("builtin/helmrelease-failing.yaml"),
    ),
    (
        "restore-failing.yaml",
        include_str!("builtin/restore-failing.yaml"),
    ),
];

/// Where autopilot should end on each built-in scenario, per tree (tests read it).
pub const EXPECTED: &str = include_str!("builtin/EXPECTED.yaml");

/// The built-in trees. They are linted by the tests, so one that fails lint here is a bug:
/// it is logged and left out rather than taking the app down.
pub fn builtin() -> Vec<Tree> {
    BUILTIN
        .iter()
        .filter_map(|(file, text)| match parse(&format!("{file} (built in)"), text) {
            Ok(mut t) => {
                t.origin = "built in".into();
                Some(t)
            }
            Err(e) => {
                tracing::error!(file, errors = %load::render(file, &e), "a built-in tree does not pass lint");
                None
            }
        })
        .collect()
}

/// The code prefix of the restore findings (`assess::restore`).
const RESTORE_AREA: &str = "RST";

/// The area most of a tree's findings are in (PLG, FLX, OBJ, BKP).
fn main_area(tree: &Tree) -> Option<&str> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for f in &tree.findings {
        let area = f.get(..3).unwrap_or("");
        match counts.iter_mut().find(|(a, _)| *a == area) {
            Some((_, n)) => *n += 1,
            None => counts.push((area, 1)),
        }
    }
    counts.into_iter().max_by_key(|(_, n)| *n).map(|(a, _)| a)
}

/// The tree that fits an object: among the trees that explain its first explained finding
/// code (worst first), the one about that code's area, then the most specific (listing the
/// fewest findings); else the tree for its kind. With the reason, said to the engineer.
pub fn fitting(trees: &[Tree], codes: &[&str], kind: Kind) -> Option<(usize, String)> {
    // A restore that fails explains the rest of a restoring Cluster's findings (no archiving,
    // no backup yet): its codes go first, whatever their severity.
    let restore = codes.iter().filter(|c| c.starts_with(RESTORE_AREA));
    let others = codes.iter().filter(|c| !c.starts_with(RESTORE_AREA));
    for code in restore.chain(others) {
        let best = trees
            .iter()
            .enumerate()
            .filter(|(_, t)| t.findings.iter().any(|f| f == code))
            .min_by_key(|(_, t)| (main_area(t) != code.get(..3), t.findings.len()));
        if let Some((i, _)) = best {
            return Some((i, format!("it explains {code}")));
        }
    }
    let by_kind = match kind {
        Kind::Pod | Kind::Deployment | Kind::Service | Kind::Certificate => "plugin-issue",
        Kind::ObjectStore | Kind::Secret => "objectstore-connection",
        Kind::Backup | Kind::ScheduledBackup | Kind::Cluster => "backup-failing",
        Kind::Kustomization | Kind::GitRepository => "flux-reconciliation-failing",
        Kind::HelmRelease | Kind::HelmRepository | Kind::OCIRepository => "helmrelease-failing",
        _ => return None,
    };
    trees
        .iter()
        .position(|t| t.name == by_kind)
        .map(|i| (i, format!("it is the tree for a {kind}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_tree_that_explains_the_worst_code_fits() {
        let trees = builtin();
        let name = |r: Option<(usize, String)>| r.map(|(i, _)| trees[i].name.clone());
        // The primary tree explains OBJ001 too; the ObjectStore tree is the specific one.
        assert_eq!(
            name(fitting(&trees, &["OBJ001"], Kind::ObjectStore)),
            Some("objectstore-connection".into())
        );
        assert_eq!(
            name(fitting(&trees, &["PLG005"], Kind::Pod)),
            Some("plugin-pods-not-starting".into())
        );
        assert_eq!(
            name(fitting(&trees, &[], Kind::Kustomization)),
            Some("flux-reconciliation-failing".into())
        );
        // A HelmRelease walks the HelmRelease tree, not the Kustomizations' one, and so do
        // its findings.
        assert_eq!(
            name(fitting(&trees, &[], Kind::HelmRelease)),
            Some("helmrelease-failing".into())
        );
        assert_eq!(
            name(fitting(&trees, &["FLX013"], Kind::OCIRepository)),
            Some("helmrelease-failing".into())
        );
        assert_eq!(
            name(fitting(&trees, &["FLX011"], Kind::HelmRelease)),
            Some("helmrelease-failing".into())
        );
        assert_eq!(name(fitting(&trees, &[], Kind::Event)), None);
        // A restoring Cluster walks the restore tree, even when a worse finding of another
        // area (its archiving not started yet) comes first.
        assert_eq!(
            name(fitting(&trees, &["BKP005", "RST008"], Kind::Cluster)),
            Some("restore-failing".into())
        );
        assert_eq!(
            name(fitting(&trees, &["RST010"], Kind::Cluster)),
            Some("restore-failing".into())
        );
    }
}
