//! PLG009: the plugin's certificates.

use super::*;

#[test]
fn plg009_certificate_expiring_within_14_days_not_20() {
    let mut f = healthy();
    f.certificates = live(vec![
        cert("barman-cloud-server", "2026-12-04T06:00:00Z"),
        cert("barman-cloud-client", "2027-01-19T13:05:11Z"),
    ]);
    let out = run(&f);
    let x = one(&out, "PLG009");
    assert_eq!(
        x.object,
        ObjectRef::new(Kind::Certificate, "cnpg-system", "barman-cloud-server")
    );
    assert!(x.summary.contains("expires in 10d"));
    assert!(
        x.evidence
            .contains(&"status.notAfter: 2026-12-04T06:00:00Z".to_string())
    );
    assert!(
        x.remedy
            .contains("cmctl renew barman-cloud-server -n cnpg-system")
    );
    // The plugin reloads certificates per connection: a restart (an outage under
    // Recreate) is only for old versions.
    assert!(x.remedy.contains("No restart is needed"));
    assert!(
        x.remedy
            .contains("Only with older versions restart the plugin")
    );

    f.certificates = live(vec![cert("barman-cloud-server", "2026-12-14T06:00:00Z")]);
    assert!(!codes(&run(&f)).contains(&"PLG009"));
}

#[test]
fn plg009_certificate_not_ready_and_only_the_plugins() {
    let mut f = healthy();
    let broken = CertificateRow {
        conditions: vec![cond(
            "Ready",
            "False",
            "DoesNotExist",
            "Issuing certificate as Secret does not exist",
        )],
        ..cert("barman-cloud-client", "2027-01-19T13:05:11Z")
    };
    let unrelated = CertificateRow {
        name: "webhook".into(),
        secret_name: Some("webhook-tls".into()),
        conditions: vec![],
        ..cert("x", "2026-11-25T00:00:00Z")
    };
    f.certificates = live(vec![broken, unrelated]);
    let out = run(&f);
    let x = one(&out, "PLG009");
    assert_eq!(x.object.name, "barman-cloud-client");
    assert_eq!(
        x.evidence[0],
        "condition Ready=False DoesNotExist: Issuing certificate as Secret does not exist"
    );
}

#[test]
fn plg009_does_not_apply_without_cert_manager_and_is_unknown_when_forbidden() {
    let mut f = healthy();
    f.certificates = state(SyncState::NotInstalled {
        what: "cert-manager is not installed".into(),
    });
    assert_eq!(run(&f), Outcome::default());
    f.certificates = forbidden("certificates.cert-manager.io");
    let out = run(&f);
    assert!(out.findings.is_empty());
    assert_eq!(
        out.unknown[0].reason,
        "certificates.cert-manager.io: forbidden: may not list certificates.cert-manager.io"
    );
}
