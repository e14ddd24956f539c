//! The checks that mirror finding codes, and how a walk's scope filters the findings.

use super::*;

/// The checks answered by the rules' findings: the code that fails each, and its Pass.
fn mirrored() -> Vec<(Check, &'static str, &'static str)> {
    vec![
        (
            Check::PluginRegistered {},
            "PLG003",
            "the plugin's Service is registered in the operator's namespace",
        ),
        (
            Check::PluginPodsReady {},
            "PLG004",
            "the plugin pods are ready",
        ),
        (
            Check::OperatorReady {},
            "PLG007",
            "the CNPG operator has a ready replica",
        ),
        (
            Check::ManifestsApplied {},
            "FLX009",
            "every object the backup setup names exists",
        ),
        (
            Check::ClusterPluginConfigured {},
            "BKP010",
            "the Cluster's plugin entry is complete",
        ),
        (
            Check::ObjectstoreExists {},
            "OBJ001",
            "every ObjectStore a Cluster names exists in its namespace",
        ),
        (
            Check::CredentialsPresent {},
            "OBJ002",
            "every Secret and key the ObjectStores reference exists",
        ),
        (
            Check::EndpointReachable {},
            "OBJ005",
            "every endpoint resolves and accepts connections",
        ),
        (
            Check::LatestBackupOk {},
            "BKP001",
            "the newest backup of each Cluster completed",
        ),
        (Check::BackupsNotStuck {}, "BKP004", "no backup is stuck"),
        (
            Check::SchedulesOk {},
            "BKP008",
            "every ScheduledBackup runs, with the plugin method",
        ),
    ]
}

#[test]
fn a_check_that_mirrors_a_code_fails_on_its_finding_and_is_unknown_when_its_area_is() {
    let facts = Facts {
        probed: true,
        ..Default::default()
    };
    for (check, code, ok) in mirrored() {
        let check = &check;
        assert_eq!(
            ask(check, &facts, &Assessed::default(), None),
            said(Verdict::Pass, ok, &[]),
            "{check:?}"
        );
        let f = finding(code, Kind::Cluster, "pg", &["status.phase: failed"]);
        assert_eq!(
            ask(check, &facts, &found(vec![f]), None),
            said(
                Verdict::Fail,
                &format!("{code} about pg"),
                &[&format!("{code} {code} about pg"), "  status.phase: failed"]
            ),
            "{check:?}"
        );
        let area = crate::assess::catalog::area(code).0;
        let blind = Assessed {
            findings: vec![],
            unknown: vec![Unknown {
                area,
                reason: "pods: not read yet".into(),
            }],
        };
        assert_eq!(
            ask(check, &facts, &blind, None),
            said(
                Verdict::Unknown,
                "could not read what this needs",
                &[&format!("{area}: pods: not read yet")]
            ),
            "{check:?}"
        );
    }
}

#[test]
fn is_it_this_checks_pass_on_the_finding() {
    let facts = Facts::default();
    let oom = found(vec![finding(
        "PLG005",
        Kind::Pod,
        "barman-cloud-1",
        &["lastState.terminated.reason: OOMKilled"],
    )]);
    assert_eq!(
        ask(&Check::PluginOomKilled {}, &facts, &oom, None),
        said(
            Verdict::Pass,
            "PLG005 about barman-cloud-1",
            &[
                "PLG005 PLG005 about barman-cloud-1",
                "  lastState.terminated.reason: OOMKilled"
            ]
        )
    );
    assert_eq!(
        on(Check::PluginOomKilled {}, &facts),
        said(Verdict::Fail, "no plugin container was OOMKilled", &[])
    );
    let code = Check::Finding {
        code: "PLG005".into(),
    };
    assert_eq!(ask(&code, &facts, &oom, None).verdict, Verdict::Pass);
    assert_eq!(
        on(code, &facts),
        said(Verdict::Fail, "no PLG005 finding", &[])
    );
}

#[test]
fn a_finding_shows_four_evidence_lines_and_the_first_finding_is_the_summary() {
    let many = found(vec![
        finding("BKP001", Kind::Cluster, "a", &["1", "2", "3", "4", "5"]),
        finding("BKP001", Kind::Cluster, "b", &[]),
    ]);
    let a = ask(&Check::LatestBackupOk {}, &Facts::default(), &many, None);
    assert_eq!(a.summary, "BKP001 about a");
    assert_eq!(
        a.evidence,
        [
            "BKP001 BKP001 about a",
            "  1",
            "  2",
            "  3",
            "  4",
            "BKP001 BKP001 about b"
        ]
    );
}

#[test]
fn a_walk_about_a_cluster_counts_only_its_own_findings() {
    let facts = Facts {
        snapshot: Snapshot {
            clusters: live(vec![cluster("pg", "store"), cluster("other", "elsewhere")]),
            ..Default::default()
        },
        ..Default::default()
    };
    let pg = ObjectRef::new(Kind::Cluster, "db", "pg");
    let about_other = found(vec![
        finding("BKP001", Kind::Cluster, "other", &[]),
        finding("OBJ001", Kind::ObjectStore, "elsewhere", &[]),
    ]);
    for check in [Check::LatestBackupOk {}, Check::ObjectstoreExists {}] {
        assert_eq!(
            ask(&check, &facts, &about_other, Some(&pg)).verdict,
            Verdict::Pass,
            "{check:?}: another Cluster's finding is not this walk's"
        );
        assert_eq!(
            ask(&check, &facts, &about_other, None).verdict,
            Verdict::Fail
        );
    }
    let about_its_store = found(vec![finding("OBJ001", Kind::ObjectStore, "store", &[])]);
    assert_eq!(
        ask(
            &Check::ObjectstoreExists {},
            &facts,
            &about_its_store,
            Some(&pg)
        )
        .summary,
        "OBJ001 about store"
    );
}

#[test]
fn without_network_probes_reachability_is_unknown() {
    let facts = Facts::default();
    let unreachable = found(vec![finding("OBJ005", Kind::ObjectStore, "store", &[])]);
    assert_eq!(
        ask(&Check::EndpointReachable {}, &facts, &unreachable, None),
        said(
            Verdict::Unknown,
            "no network probe ran (saved manifests, or a simulated cluster)",
            &[]
        )
    );
}
