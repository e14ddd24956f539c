use super::*;

#[test]
fn segment_names_round_trip_for_16_mib_and_other_sizes() {
    let n = "000000010000000200000003";
    assert_eq!(
        parse_segment(n, DEFAULT_SEGMENT_SIZE),
        Some((1, 2 * 256 + 3))
    );
    assert_eq!(segment_name(1, 2 * 256 + 3, DEFAULT_SEGMENT_SIZE), n);
    // 64 MiB segments: 64 a log file, so 0x40 is not a segment.
    assert_eq!(parse_segment("000000010000000000000040", 64 << 20), None);
    assert_eq!(segment_name(2, 65, 64 << 20), "000000020000000100000001");
    assert_eq!(
        parse_segment("00000001000000000000000", DEFAULT_SEGMENT_SIZE),
        None
    );
    assert_eq!(
        parse_segment("0000000G0000000000000001", DEFAULT_SEGMENT_SIZE),
        None
    );
}

#[test]
fn every_wal_key_barman_cloud_writes_is_read() {
    let s = DEFAULT_SEGMENT_SIZE;
    let seg = WalObject::Segment {
        timeline: 1,
        segno: 3,
    };
    for suffix in ["", ".gz", ".bz2", ".xz", ".snappy", ".zst", ".lz4"] {
        let key = format!("pg/pg/wals/0000000100000000/000000010000000000000003{suffix}");
        assert_eq!(parse_wal_key(&key, s), Some(seg.clone()), "{key}");
    }
    assert_eq!(
        parse_wal_key(
            "p/wals/0000000200000000/000000020000000000000005.partial.gz",
            s
        ),
        Some(WalObject::Partial {
            timeline: 2,
            segno: 5
        })
    );
    assert_eq!(
        parse_wal_key("p/wals/00000002.history", s),
        Some(WalObject::History { timeline: 2 })
    );
    assert_eq!(
        parse_wal_key(
            "p/wals/0000000100000000/000000010000000000000002.00000028.backup",
            s
        ),
        Some(WalObject::BackupLabel {
            timeline: 1,
            segno: 2
        })
    );
    // Two suffixes, unknown suffixes and other files are not WAL.
    assert_eq!(
        parse_wal_key("p/wals/0000000100000000/000000010000000000000003.gz.gz", s),
        None
    );
    assert_eq!(
        parse_wal_key("p/wals/0000000100000000/000000010000000000000003.rar", s),
        None
    );
    assert_eq!(parse_wal_key("p/wals/readme.txt", s), None);
}

#[test]
fn backup_info_as_barman_writes_it() {
    let text = "backup_label='START WAL LOCATION: 0/2000028'\n\
        backup_name=None\n\
        begin_time=2026-11-24 06:00:01.123456+00:00\n\
        begin_wal=000000010000000000000002\n\
        end_time=2026-11-24 06:00:05+00:00\n\
        end_wal=000000010000000000000002\n\
        error=None\n\
        status=DONE\n\
        systemid=7442300123456789012\n\
        timeline=1\n\
        version=150010\n\
        xlog_segment_size=16777216\n";
    let b = parse_backup_info("20261124T060000", text);
    assert_eq!(b.id, "20261124T060000");
    assert!(b.done());
    assert_eq!(b.begin_wal.as_deref(), Some("000000010000000000000002"));
    assert_eq!(b.end_wal.as_deref(), Some("000000010000000000000002"));
    assert_eq!(b.timeline, Some(1));
    assert_eq!(b.systemid.as_deref(), Some("7442300123456789012"));
    assert_eq!(b.segment_size, Some(16 << 20));
    assert_eq!(b.name, None);
    assert_eq!(b.error, None);
    assert_eq!(
        b.begin_time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-24T06:00:01.123456+00:00")
    );
    assert_eq!(
        b.end_time.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-24T06:00:05+00:00")
    );
}

#[test]
fn a_hostile_backup_info_is_bounded_and_never_panics() {
    let text = format!(
        "status=FAILED\nerror=upload to https://AKIAIOSFODNN7EXAMPLE:hunter2@host failed \x1b[31m{}\nend_wal=../../etc\nbegin_time=yesterday\ntimeline=-1\n",
        "x".repeat(5000)
    );
    let b = parse_backup_info("x", &text);
    let e = b.error.unwrap_or_default();
    assert!(e.chars().count() < 600, "{}", e.len());
    assert!(!e.contains('\x1b'));
    assert!(!e.contains("hunter2"), "{e}");
    assert_eq!(b.end_wal, None);
    assert_eq!(b.begin_time, None);
    assert_eq!(b.timeline, None);
}

#[test]
fn destinations_of_each_provider() {
    assert_eq!(
        parse_destination("s3://backups/pg/"),
        Ok(Destination::S3 {
            bucket: "backups".into(),
            path: "pg".into()
        })
    );
    assert_eq!(
        parse_destination("s3://backups"),
        Ok(Destination::S3 {
            bucket: "backups".into(),
            path: "".into()
        })
    );
    assert_eq!(
        parse_destination("gs://b/a/b"),
        Ok(Destination::Gcs {
            bucket: "b".into(),
            path: "a/b".into()
        })
    );
    assert_eq!(
        parse_destination("https://acct.blob.core.windows.net/cont/pg"),
        Ok(Destination::Azure {
            account: Some("acct".into()),
            emulator: None,
            container: "cont".into(),
            path: "pg".into()
        })
    );
    assert_eq!(
        parse_destination("http://azurite:10000/devstoreaccount1/cont/x/y"),
        Ok(Destination::Azure {
            account: Some("devstoreaccount1".into()),
            emulator: Some("http://azurite:10000".into()),
            container: "cont".into(),
            path: "x/y".into()
        })
    );
    assert!(parse_destination("file:///tmp").is_err());
    assert!(parse_destination("s3://").is_err());
    assert_eq!(server_prefix("/pg/", "main"), "pg/main");
    assert_eq!(server_prefix("", "main"), "main");
}
