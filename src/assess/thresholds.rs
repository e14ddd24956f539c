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
    /// ARC003: WAL files waiting to be archived (`readyWalFiles`) at or above this.
    pub archiver_ready_wal: u64,
    /// ARC004: the WAL volume used at or above this percentage.
    pub wal_volume_warning: f64,
    /// ARC005: the WAL volume used at or above this percentage.
    pub wal_volume_critical: f64,
    /// ARC006: the WAL volume full within this, at the rate between two readings.
    pub wal_runway: Duration,
    /// The least time between two readings of one primary for a rate (ARC003's growth,
    /// ARC006's runway); `check` takes its second reading this long after the first.
    pub archiver_sample_gap: Duration,
    /// RST009: no restore drill passed within this (a drill backstop recorded on the
    /// source Cluster, `backstop.dev/last-passed-drill`).
    pub drill_max_age: Duration,
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
            archiver_ready_wal: 64,
            wal_volume_warning: 80.0,
            wal_volume_critical: 90.0,
            wal_runway: Duration::from_secs(24 * 3600),
            archiver_sample_gap: Duration::from_secs(5),
            drill_max_age: Duration::from_secs(30 * 24 * 3600),
        }
    }
}
