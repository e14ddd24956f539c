//! The migration from CloudNativePG's in-tree `spec.backup.barmanObjectStore` to the Barman
//! Cloud plugin: planned purely from what was read (the ObjectStore, the Cluster's one atomic
//! change, its ScheduledBackups and externalClusters, the pre-flight gates), written to the
//! cluster as kubectl commands or into a GitOps checkout, then verified, or rolled back.

pub mod alerts;
pub mod doc_edit;
pub mod gather;
pub mod manifest;
pub mod plan;
pub mod render;
pub mod repo_write;
pub mod rollback;
pub mod verify;
pub mod yaml_edit;

pub use gather::{Which, gather};
pub use plan::{Ask, Gathered, MigrationPlan, Verdict, plan};
