//! Restores: the planner (a recovery Cluster for the source's shape, its target judged
//! against the recovery window the bucket proved) and the drill that runs one in a scratch
//! namespace, measures it and tears it down.

pub mod drill;
pub mod gather;
pub mod manifest;
pub mod plan;
pub mod target;
pub mod window;

pub use gather::{Gathered, gather};
pub use plan::{Ask, Refused, RestorePlan, Source, plan};
pub use target::{Target, parse_backup_id, parse_to};
