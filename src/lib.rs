//! backstop: a terminal dashboard for PostgreSQL backups on Kubernetes (CloudNativePG with
//! the Barman Cloud plugin, delivered by Flux), and the simulated cluster it is tested on.

pub mod actions;
pub mod alerts;
pub mod assess;
pub mod bundle;
pub mod checks;
pub mod cli;
pub mod cluster;
pub mod config;
pub mod exporter;
pub mod files;
pub mod fleet;
pub mod gitops;
pub mod ground;
pub mod migrate;
pub mod model;
pub mod redact;
pub mod restore;
pub mod sanitize;
pub mod sim;
pub mod timings;
pub mod trees;
pub mod ui;
