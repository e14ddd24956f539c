//! `log_matches` over the plugin's and the sidecars' logs.

use super::*;

fn tail(pod: &str, container: &str, lines: Result<Vec<&str>, &str>) -> LogTail {
    LogTail {
        namespace: "db".into(),
        pod: pod.into(),
        container: container.into(),
        lines: lines
            .map(|l| l.iter().map(|s| s.to_string()).collect())
            .map_err(str::to_string),
    }
}

fn instance(name: &str, cluster: &str) -> PodRow {
    PodRow {
        namespace: "db".into(),
        name: name.into(),
        labels: labels(&[("cnpg.io/cluster", cluster)]),
        ..Default::default()
    }
}

#[test]
fn log_matches_quotes_the_lines_that_say_it() {
    let check = |container| Check::LogMatches {
        pattern: "Access Denied".into(),
        container,
    };
    let plugin = |lines| Facts {
        logs: vec![tail("barman-cloud-1", "barman-cloud", lines)],
        ..Default::default()
    };
    assert_eq!(
        on(
            check(LogSource::Plugin),
            &plugin(Ok(vec!["starting", "upload: access denied (403)"]))
        ),
        said(
            Verdict::Pass,
            "the logs say 'Access Denied'",
            &["log db/barman-cloud-1 (barman-cloud): upload: access denied (403)"]
        )
    );
    assert_eq!(
        on(check(LogSource::Plugin), &plugin(Ok(vec!["all good"]))),
        said(Verdict::Fail, "no recent line says 'Access Denied'", &[])
    );
    assert_eq!(
        on(check(LogSource::Plugin), &plugin(Err("pods is forbidden"))),
        said(
            Verdict::Unknown,
            "a log could not be read",
            &["log db/barman-cloud-1 (barman-cloud): pods is forbidden"]
        )
    );
    assert_eq!(
        on(check(LogSource::Plugin), &Facts::default()),
        said(Verdict::Unknown, "no such log was read", &[])
    );
}

#[test]
fn sidecar_logs_are_those_of_the_walks_clusters() {
    let facts = Facts {
        snapshot: Snapshot {
            clusters: live(vec![cluster("pg", "store"), cluster("other", "store")]),
            pods: live(vec![instance("pg-1", "pg"), instance("other-1", "other")]),
            ..Default::default()
        },
        logs: vec![
            tail("pg-1", SIDECAR_NAME, Ok(vec!["wal archived"])),
            tail("other-1", SIDECAR_NAME, Ok(vec!["access denied"])),
        ],
        ..Default::default()
    };
    let check = Check::LogMatches {
        pattern: "access denied".into(),
        container: LogSource::Sidecar,
    };
    assert_eq!(
        on(check.clone(), &facts).evidence,
        ["log db/other-1 (plugin-barman-cloud): access denied"]
    );
    let pg = ObjectRef::new(Kind::Cluster, "db", "pg");
    assert_eq!(
        ask(&check, &facts, &Assessed::default(), Some(&pg)).verdict,
        Verdict::Fail
    );
    assert_eq!(
        on(
            Check::LogMatches {
                pattern: "access denied".into(),
                container: LogSource::Plugin,
            },
            &facts
        ),
        said(Verdict::Unknown, "no such log was read", &[]),
        "a sidecar's log is not the plugin's"
    );
}

const SIDECAR_NAME: &str = crate::model::domain::SIDECAR;
