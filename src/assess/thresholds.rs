//! The limits the rules compare against: FINDINGS.md's defaults, which the config file and
//! `--threshold` override (cli/ parses them).

use std::time::Duration;

/// Defaults from FINDINGS.md; the config file and --threshold override them.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// BKP002: no successful backup newer than this.
    pub backup_max_age: Duration,
    /// BKP003: a completed backup that took longer.
    pub backup_slow: Duration,
    /// BKP004: pending longer than this is stuck.
    pub pending_stuck: Duration,
    /// BKP004: started/running longer than this is stuck.
    pub running_stuck: Duration,
    /// PLG006: restarts at or above this.
    pub restarts: i64,
    /// PLG009: a certificate expiring within this.
    pub cert_expiry: Duration,
    /// BKP011: throughput under this many MB/s.
    pub min_throughput_mb_s: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            backup_max_age: Duration::from_secs(26 * 3600),
            backup_slow: Duration::from_secs(30 * 60),
            pending_stuck: Duration::from_secs(10 * 60),
            running_stuck: Duration::from_secs(6 * 3600),
            restarts: 3,
            cert_expiry: Duration::from_secs(14 * 24 * 3600),
            min_throughput_mb_s: 10.0,
        }
    }
}
