//! The exporter's page (Prometheus text exposition format 0.0.4) read into the archiver
//! samples backstop uses. A small parser of its own: only untyped `name{labels} value`
//! samples are needed, comments and types are skipped, and a malformed line is skipped
//! rather than failing the page (one bad custom query must not hide the archiver).

use crate::model::archiver::ArchiverMetrics;

/// One sample: its name, its labels in order, its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

/// Every well-formed sample of a page; `# HELP`/`# TYPE` and malformed lines are skipped.
pub fn samples(page: &str) -> Vec<Sample> {
    page.lines().filter_map(sample).collect()
}

fn sample(line: &str) -> Option<Sample> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(inner) = rest.strip_prefix('{') {
        let (parsed, after) = label_set(inner)?;
        labels = parsed;
        rest = after;
    }
    // The value, then an optional timestamp.
    let value = value(rest.split_whitespace().next()?)?;
    Some(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// `a="x",b="y\"z"}` → the labels and what follows the closing brace.
fn label_set(mut s: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut out = Vec::new();
    loop {
        s = s.trim_start();
        if let Some(after) = s.strip_prefix('}') {
            return Some((out, after));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim().to_string();
        s = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut val = String::new();
        let mut chars = s.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => val.push('\n'),
                    other => val.push(other),
                },
                '"' => break i,
                c => val.push(c),
            }
        };
        out.push((key, val));
        s = s[end + 1..].trim_start();
        s = s.strip_prefix(',').unwrap_or(s);
    }
}

fn value(v: &str) -> Option<f64> {
    match v {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => v.parse().ok(),
    }
}

/// The archiver's samples of an exporter page. A page with none of them is an error: the
/// port answered, but not as CloudNativePG's exporter.
pub fn archiver_metrics(page: &str) -> Result<ArchiverMetrics, String> {
    let all = samples(page);
    let find = |name: &str, label: Option<&str>| {
        all.iter()
            .find(|s| {
                s.name == name
                    && label
                        .is_none_or(|want| s.labels.iter().any(|(k, v)| k == "value" && v == want))
            })
            .map(|s| s.value)
            .filter(|v| !v.is_nan())
    };
    let arch = |m: &str| find(&format!("cnpg_pg_stat_archiver_{m}"), None);
    let plugin = |m: &str| find(&format!("barman_cloud_cloudnative_pg_io_{m}"), None);
    let m = ArchiverMetrics {
        archived_count: arch("archived_count"),
        failed_count: arch("failed_count"),
        seconds_since_last_archival: arch("seconds_since_last_archival"),
        seconds_since_last_failure: arch("seconds_since_last_failure"),
        last_archived_time: arch("last_archived_time"),
        last_failed_time: arch("last_failed_time"),
        last_archived_wal_start_lsn: arch("last_archived_wal_start_lsn"),
        last_failed_wal_start_lsn: arch("last_failed_wal_start_lsn"),
        wal_ready: find("cnpg_collector_pg_wal_archive_status", Some("ready")),
        wal_done: find("cnpg_collector_pg_wal_archive_status", Some("done")),
        wal_bytes: find("cnpg_collector_pg_wal", Some("size")),
        wal_volume_bytes: find("cnpg_collector_pg_wal", Some("volume_size")),
        plugin_last_backup: plugin("last_available_backup_timestamp"),
        plugin_last_failed_backup: plugin("last_failed_backup_timestamp"),
        plugin_first_recoverability_point: plugin("first_recoverability_point"),
    };
    if m == ArchiverMetrics::default() {
        return Err(
            "the page has no cnpg_pg_stat_archiver_*, cnpg_collector_pg_wal* or barman_cloud_cloudnative_pg_io_* sample"
                .into(),
        );
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An excerpt in the exporter's format: HELP/TYPE lines, the default monitoring
    /// queries' gauges, the collector's labelled gauges (NaN for a volume_size without
    /// walStorage), and the plugin's gauges.
    const PAGE: &str = r#"# HELP cnpg_collector_pg_wal Total size in bytes of WAL segments in the '/var/lib/postgresql/data/pgdata/pg_wal' directory  computed as (wal_segment_size * count)
# TYPE cnpg_collector_pg_wal gauge
cnpg_collector_pg_wal{value="count"} 12
cnpg_collector_pg_wal{value="keep"} 32
cnpg_collector_pg_wal{value="max"} 64
cnpg_collector_pg_wal{value="min"} 5
cnpg_collector_pg_wal{value="size"} 2.01326592e+08
cnpg_collector_pg_wal{value="slots_max"} NaN
cnpg_collector_pg_wal{value="volume_max"} NaN
cnpg_collector_pg_wal{value="volume_size"} NaN
# HELP cnpg_collector_pg_wal_archive_status Number of WAL segments in the '/var/lib/postgresql/data/pgdata/pg_wal/archive_status' directory (ready, done)
# TYPE cnpg_collector_pg_wal_archive_status gauge
cnpg_collector_pg_wal_archive_status{value="done"} 9
cnpg_collector_pg_wal_archive_status{value="ready"} 3
# HELP cnpg_pg_stat_archiver_archived_count Number of WAL files that have been successfully archived
# TYPE cnpg_pg_stat_archiver_archived_count counter
cnpg_pg_stat_archiver_archived_count 1285
# HELP cnpg_pg_stat_archiver_failed_count Number of failed attempts for archiving WAL files
# TYPE cnpg_pg_stat_archiver_failed_count counter
cnpg_pg_stat_archiver_failed_count 7
cnpg_pg_stat_archiver_last_archived_time 1.764e+09
cnpg_pg_stat_archiver_last_archived_wal_start_lsn 1.09051904e+08
cnpg_pg_stat_archiver_last_failed_time -1
cnpg_pg_stat_archiver_last_failed_wal_start_lsn -1
cnpg_pg_stat_archiver_seconds_since_last_archival 41.52
cnpg_pg_stat_archiver_seconds_since_last_failure -1
# HELP barman_cloud_cloudnative_pg_io_last_available_backup_timestamp The last available backup as a unix timestamp
# TYPE barman_cloud_cloudnative_pg_io_last_available_backup_timestamp gauge
barman_cloud_cloudnative_pg_io_last_available_backup_timestamp 1.7639496e+09
cnpg_pg_replication_slots_active{slot_name="_cnpg_pg_orders_2",slot_type="physical",database=""} 1
"#;

    #[test]
    fn the_archiver_samples_are_read_from_an_exporter_page() {
        let m = archiver_metrics(PAGE).expect("parses");
        assert_eq!(
            (m.archived_count, m.failed_count),
            (Some(1285.0), Some(7.0))
        );
        assert_eq!(m.seconds_since_last_archival, Some(41.52));
        assert_eq!(m.seconds_since_last_failure, Some(-1.0));
        assert_eq!(m.last_archived_wal_start_lsn, Some(109_051_904.0));
        assert_eq!(
            (m.last_archived_time, m.last_failed_time),
            (Some(1.764e9), Some(-1.0))
        );
        assert_eq!((m.wal_ready, m.wal_done), (Some(3.0), Some(9.0)));
        assert_eq!(m.wal_bytes, Some(201_326_592.0));
        assert_eq!(m.wal_volume_bytes, None, "NaN means no walStorage");
        assert_eq!(m.plugin_last_backup, Some(1_763_949_600.0));
        assert_eq!(m.plugin_first_recoverability_point, None);
    }

    #[test]
    fn labels_with_escapes_timestamps_and_bad_lines() {
        let got = samples(
            "a{x=\"q\\\"uo,te\",y=\"new\\nline\"} 1.5 1700000000000\nbroken{x=\"open 3\n9bad 1\nb +Inf\nc notanumber\n",
        );
        assert_eq!(
            got,
            vec![
                Sample {
                    name: "a".into(),
                    labels: vec![
                        ("x".into(), "q\"uo,te".into()),
                        ("y".into(), "new\nline".into())
                    ],
                    value: 1.5,
                },
                Sample {
                    name: "b".into(),
                    labels: vec![],
                    value: f64::INFINITY,
                },
            ]
        );
    }

    #[test]
    fn a_page_without_archiver_samples_is_not_the_exporter() {
        let e = archiver_metrics("# HELP go_goroutines x\ngo_goroutines 12\n").unwrap_err();
        assert!(e.contains("no cnpg_pg_stat_archiver_"), "{e}");
    }
}
