//! The key layout barman-cloud writes, read without IO: `<path>/<server>/base/<id>/backup.info`
//! for each base backup and `<path>/<server>/wals/<tli><log>/<segment>[.partial][.<compression>]`
//! for the WAL (history files directly under `wals/`). Names and suffixes as barman's
//! `xlog.py` and `cloud.py` (barman 3.x) write and accept them.

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::model::bucket::BaseBackup;

/// The compression suffixes barman-cloud-wal-archive appends (gzip, bzip2, xz, snappy,
/// zstd, lz4).
pub const COMPRESSION_SUFFIXES: &[&str] = &[".gz", ".bz2", ".xz", ".snappy", ".zst", ".lz4"];

/// PostgreSQL's default WAL segment size, which barman assumes when backup.info says none.
pub const DEFAULT_SEGMENT_SIZE: u64 = 1 << 24;

/// What one object under `wals/` is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WalObject {
    Segment {
        timeline: u32,
        segno: u64,
    },
    Partial {
        timeline: u32,
        segno: u64,
    },
    /// `<segment>.<offset>.backup`: the label PostgreSQL archives at a backup's end.
    BackupLabel {
        timeline: u32,
        segno: u64,
    },
    History {
        timeline: u32,
    },
}

fn hex8(s: &str) -> Option<u32> {
    (s.len() == 8 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(s, 16).ok())
        .flatten()
}

/// Segments per 4 GiB "log" file for a segment size.
pub fn segments_per_log(segment_size: u64) -> u64 {
    (0x1_0000_0000u64 / segment_size.max(1)).max(1)
}

/// `000000010000000200000003` → (timeline 1, segment number) for a segment size.
pub fn parse_segment(name: &str, segment_size: u64) -> Option<(u32, u64)> {
    if name.len() != 24 {
        return None;
    }
    let tli = hex8(&name[0..8])?;
    let log = u64::from(hex8(&name[8..16])?);
    let seg = u64::from(hex8(&name[16..24])?);
    let per = segments_per_log(segment_size);
    (seg < per).then_some((tli, log * per + seg))
}

/// The file name of a segment number on a timeline.
pub fn segment_name(timeline: u32, segno: u64, segment_size: u64) -> String {
    let per = segments_per_log(segment_size);
    format!("{timeline:08X}{:08X}{:08X}", segno / per, segno % per)
}

/// Reads the last component of a key under `wals/`, with at most one compression suffix,
/// as barman's `get_wal_paths` accepts it. Anything else is not WAL.
pub fn parse_wal_key(key: &str, segment_size: u64) -> Option<WalObject> {
    let base = key.rsplit('/').next().unwrap_or(key);
    let bare = COMPRESSION_SUFFIXES
        .iter()
        .find_map(|s| base.strip_suffix(s))
        .unwrap_or(base);
    if let Some(t) = bare.strip_suffix(".history") {
        return hex8(t).map(|timeline| WalObject::History { timeline });
    }
    if let Some(seg) = bare.strip_suffix(".partial") {
        let (timeline, segno) = parse_segment(seg, segment_size)?;
        return Some(WalObject::Partial { timeline, segno });
    }
    if let Some(rest) = bare.strip_suffix(".backup") {
        let (seg, offset) = rest.split_once('.')?;
        hex8(offset)?;
        let (timeline, segno) = parse_segment(seg, segment_size)?;
        return Some(WalObject::BackupLabel { timeline, segno });
    }
    let (timeline, segno) = parse_segment(bare, segment_size)?;
    Some(WalObject::Segment { timeline, segno })
}

/// The base backup id of a key `…/base/<id>/…`, when the key is under `base_prefix`.
pub fn backup_id_of(key: &str, base_prefix: &str) -> Option<String> {
    let rest = key.strip_prefix(base_prefix)?.trim_start_matches('/');
    let (id, _) = rest.split_once('/')?;
    (!id.is_empty()).then(|| id.to_string())
}

/// A barman time: `2026-11-24 06:00:00.123456+00:00`, as Python's `str(datetime)` writes
/// it, or ISO 8601. A naive time is read as UTC (barman would take the local zone of the
/// host that wrote it, which is unknowable here; CloudNativePG's pods run in UTC).
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s == "None" {
        return None;
    }
    let t = s.replacen(' ', "T", 1);
    if let Ok(d) = DateTime::parse_from_rfc3339(&t) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(&t, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(d) = NaiveDateTime::parse_from_str(&t, f) {
            return Some(d.and_utc());
        }
    }
    None
}

fn value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && v != "None").then(|| v.to_string())
}

/// Bounded, redacted and cleaned: backup.info is written by whoever can write the bucket.
fn untrusted(v: &str) -> String {
    // Redacted whole before it is cut, so a credential is never cut in two and missed.
    crate::sanitize::bounded(&crate::sanitize::untrusted(v), 512).into_owned()
}

/// Parses a `backup.info` (`key=value` lines, as barman's `FieldListFile.save` writes them).
/// Unknown keys are skipped; a field that does not read stays None.
pub fn parse_backup_info(id: &str, text: &str) -> BaseBackup {
    let mut b = BaseBackup {
        id: id.to_string(),
        ..Default::default()
    };
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim() {
            "status" => b.status = value(v).map(|s| untrusted(&s)).unwrap_or_default(),
            "begin_wal" => b.begin_wal = value(v),
            "end_wal" => b.end_wal = value(v),
            "begin_time" => b.begin_time = parse_time(v),
            "end_time" => b.end_time = parse_time(v),
            "timeline" => b.timeline = value(v).and_then(|t| t.parse().ok()),
            "systemid" => b.systemid = value(v).map(|s| untrusted(&s)),
            "xlog_segment_size" => b.segment_size = value(v).and_then(|t| t.parse().ok()),
            "backup_name" => b.name = value(v).map(|s| untrusted(&s)),
            "error" => b.error = value(v).map(|s| untrusted(&s)),
            _ => {}
        }
    }
    // A begin/end WAL that is not a 24-hex-digit name is not one.
    let valid = |w: &Option<String>| {
        w.as_ref()
            .is_some_and(|w| w.len() == 24 && w.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    if !valid(&b.begin_wal) {
        b.begin_wal = None;
    }
    if !valid(&b.end_wal) {
        b.end_wal = None;
    }
    b
}

/// Where a `destinationPath` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    S3 {
        bucket: String,
        path: String,
    },
    Gcs {
        bucket: String,
        path: String,
    },
    /// `https://<account>.blob.core.windows.net/<container>/<path>`, or an emulator's
    /// `http://host:port/<account>/<container>/<path>`.
    Azure {
        account: Option<String>,
        /// `scheme://host[:port]` for an emulator; None for the public cloud.
        emulator: Option<String>,
        container: String,
        path: String,
    },
}

fn split_bucket(rest: &str) -> Option<(String, String)> {
    let (bucket, path) = rest.split_once('/').unwrap_or((rest, ""));
    (!bucket.is_empty()).then(|| (bucket.to_string(), path.trim_matches('/').to_string()))
}

/// Reads a `destinationPath` as barman-cloud does (scheme decides the provider; an Azure URL
/// whose host is not `*.blob.core.windows.net` is an emulator with the account first).
pub fn parse_destination(dest: &str) -> Result<Destination, String> {
    let d = dest.trim();
    if let Some(rest) = d.strip_prefix("s3://") {
        let (bucket, path) = split_bucket(rest).ok_or("s3:// names no bucket")?;
        return Ok(Destination::S3 { bucket, path });
    }
    if let Some(rest) = d.strip_prefix("gs://") {
        let (bucket, path) = split_bucket(rest).ok_or("gs:// names no bucket")?;
        return Ok(Destination::Gcs { bucket, path });
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = d.strip_prefix(scheme) {
            let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
            let mut parts = path.split('/').filter(|p| !p.is_empty());
            if host.ends_with(".blob.core.windows.net") {
                let account = host.split('.').next().map(str::to_string);
                let container = parts.next().ok_or("the Azure URL names no container")?;
                return Ok(Destination::Azure {
                    account,
                    emulator: None,
                    container: container.to_string(),
                    path: parts.collect::<Vec<_>>().join("/"),
                });
            }
            let account = parts
                .next()
                .ok_or("the emulated Azure URL names no account")?;
            let container = parts
                .next()
                .ok_or("the emulated Azure URL names no container")?;
            return Ok(Destination::Azure {
                account: Some(account.to_string()),
                emulator: Some(format!("{scheme}{host}")),
                container: container.to_string(),
                path: parts.collect::<Vec<_>>().join("/"),
            });
        }
    }
    Err("the destinationPath is neither s3://, gs:// nor an https:// Azure Blob URL".into())
}

/// `<path>/<server>` with no leading or doubled slash: the server's prefix in the bucket.
pub fn server_prefix(path: &str, server: &str) -> String {
    [path.trim_matches('/'), server.trim_matches('/')]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests;
