//! Migrating from CloudNativePG's in-tree barmanObjectStore to the Barman Cloud plugin:
//! verify that it worked, and roll it back.

pub mod alerts;
pub mod rollback;
pub mod verify;
