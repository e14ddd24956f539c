//! Alerting around backups: the Prometheus rules backstop generates (`rules.rs`), built on
//! metrics that keep working once a Cluster backs up through the Barman Cloud plugin, and
//! the alerts Alertmanager says are firing (`alertmanager.rs`).

pub mod alertmanager;
pub mod rules;
