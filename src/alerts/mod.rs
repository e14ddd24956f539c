//! Alerting around backups: the Prometheus rules backstop generates (`rules.rs`), built on
//! metrics that keep working once a Cluster backs up through the Barman Cloud plugin.

pub mod rules;
