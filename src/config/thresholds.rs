//! Thresholds by name, as `--threshold NAME=VALUE` and the config's `check.thresholds` give
//! them: one parser for both, so a value the flag takes the file takes too.

use std::time::Duration;

use crate::assess::Thresholds;
use crate::model::kubefmt::parse_duration;

/// The names a user may set, in the order the help and the errors list them.
pub(crate) const NAMES: [&str; 13] = [
    "backup-max-age",
    "backup-slow",
    "pending-stuck",
    "running-stuck",
    "restarts",
    "cert-expiry",
    "min-throughput",
    "archiver-ready-wal",
    "wal-volume-warning",
    "wal-volume-critical",
    "wal-runway",
    "archiver-sample-gap",
    "drill-max-age",
];

/// A duration, or a number of days (`14d`), which certificate lifetimes are counted in.
fn days_or_duration(v: &str) -> Result<Duration, String> {
    match v
        .strip_suffix('d')
        .and_then(|n| n.trim().parse::<f64>().ok())
    {
        // A negative, huge or NaN count of days is not a duration: say so, do not panic.
        Some(days) => Duration::try_from_secs_f64(days * 86_400.0)
            .map_err(|_| format!("'{v}' is not a duration: days must be a positive number")),
        None => parse_duration(v),
    }
}

/// A percentage of a volume, `85` or `85%`, from 0 to 100.
fn percent(v: &str) -> Result<f64, String> {
    v.trim()
        .trim_end_matches('%')
        .parse::<f64>()
        .ok()
        .filter(|p| (0.0..=100.0).contains(p))
        .ok_or_else(|| format!("'{v}' is not a percentage from 0 to 100"))
}

/// Applies one `name=value` threshold.
pub(crate) fn set(th: &mut Thresholds, name: &str, value: &str) -> Result<(), String> {
    let bad = |e: String| format!("threshold {name}={value}: {e}");
    match name {
        "backup-max-age" => th.backup_max_age = days_or_duration(value).map_err(bad)?,
        "backup-slow" => th.backup_slow = days_or_duration(value).map_err(bad)?,
        "pending-stuck" => th.pending_stuck = days_or_duration(value).map_err(bad)?,
        "running-stuck" => th.running_stuck = days_or_duration(value).map_err(bad)?,
        "cert-expiry" => th.cert_expiry = days_or_duration(value).map_err(bad)?,
        "restarts" => {
            th.restarts = value
                .parse()
                .map_err(|_| bad("a whole number is needed".into()))?
        }
        "min-throughput" => {
            th.min_throughput_mb_s = value
                .parse()
                .map_err(|_| bad("a number of MB/s is needed".into()))?
        }
        "archiver-ready-wal" => {
            th.archiver_ready_wal = value
                .parse()
                .map_err(|_| bad("a whole number of WAL files is needed".into()))?
        }
        "wal-volume-warning" => th.wal_volume_warning = percent(value).map_err(bad)?,
        "wal-volume-critical" => th.wal_volume_critical = percent(value).map_err(bad)?,
        "wal-runway" => th.wal_runway = days_or_duration(value).map_err(bad)?,
        "archiver-sample-gap" => th.archiver_sample_gap = days_or_duration(value).map_err(bad)?,
        "drill-max-age" => th.drill_max_age = days_or_duration(value).map_err(bad)?,
        other => {
            let (last, rest) = NAMES.split_last().unwrap_or((&"", &[]));
            return Err(format!(
                "unknown threshold '{other}': use {} or {last}",
                rest.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_days_and_numbers_are_read_and_nonsense_is_named() {
        let mut th = Thresholds::default();
        set(&mut th, "backup-max-age", "30h").expect("hours");
        set(&mut th, "cert-expiry", "7d").expect("days");
        set(&mut th, "restarts", "5").expect("count");
        set(&mut th, "min-throughput", "2.5").expect("MB/s");
        assert_eq!(th.backup_max_age, Duration::from_secs(30 * 3600));
        assert_eq!(th.cert_expiry, Duration::from_secs(7 * 86_400));
        assert_eq!((th.restarts, th.min_throughput_mb_s), (5, 2.5));

        for (name, value, said) in [
            ("cert-expiry", "-1d", "days must be a positive number"),
            ("backup-slow", "fast", "'fast' is not a duration"),
            ("restarts", "many", "a whole number is needed"),
            (
                "speed",
                "1",
                "unknown threshold 'speed': use backup-max-age, ",
            ),
        ] {
            let e = set(&mut th, name, value).expect_err(value);
            assert!(e.contains(said), "{e}");
        }
        let e = set(&mut th, "speed", "1").expect_err("unknown");
        assert!(e.ends_with("archiver-sample-gap or drill-max-age"), "{e}");
        set(&mut th, "drill-max-age", "45d").expect("days");
        assert_eq!(th.drill_max_age, Duration::from_secs(45 * 86_400));
    }

    #[test]
    fn the_archiver_thresholds_are_read() {
        let mut th = Thresholds::default();
        set(&mut th, "archiver-ready-wal", "10").expect("count");
        set(&mut th, "wal-volume-warning", "75%").expect("percent");
        set(&mut th, "wal-volume-critical", "95").expect("percent");
        set(&mut th, "wal-runway", "2d").expect("days");
        set(&mut th, "archiver-sample-gap", "0s").expect("off");
        assert_eq!(
            (
                th.archiver_ready_wal,
                th.wal_volume_warning,
                th.wal_volume_critical
            ),
            (10, 75.0, 95.0)
        );
        assert_eq!(th.wal_runway, Duration::from_secs(2 * 86_400));
        assert!(th.archiver_sample_gap.is_zero());
        let e = set(&mut th, "wal-volume-critical", "120").expect_err("over 100");
        assert!(e.contains("not a percentage from 0 to 100"), "{e}");
    }
}
