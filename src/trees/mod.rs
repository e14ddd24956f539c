//! Troubleshooting decision trees as data (docs/TREES.md): the model, loading with lint,
//! and the evaluation of their checks against a cluster's facts.

pub mod eval;
pub mod git;
pub mod load;
pub mod model;
pub mod walk;

use self::load::{Tree, parse};

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
