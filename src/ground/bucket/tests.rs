use super::*;
use crate::model::bucket::{Credentials, SecretKeyRef};

fn r(key: &str) -> Option<SecretKeyRef> {
    Some(SecretKeyRef {
        name: "creds".into(),
        key: key.into(),
    })
}

fn s3(inherit: bool) -> StoreAccess {
    StoreAccess {
        destination: "s3://backups/pg".into(),
        endpoint: Some("http://127.0.0.1:9".into()),
        credentials: Credentials::S3 {
            access_key_id: r("ACCESS_KEY_ID"),
            secret_access_key: r("ACCESS_SECRET_KEY"),
            session_token: None,
            region: None,
            inherit_from_iam_role: inherit,
        },
        ..Default::default()
    }
}

fn values() -> SecretValues {
    let mut v = SecretValues::default();
    v.insert("creds", "ACCESS_KEY_ID", Ok("AKIAEXAMPLEKEY000001".into()));
    v.insert(
        "creds",
        "ACCESS_SECRET_KEY",
        Ok("s3cr3t-Value-Never-Shown".into()),
    );
    v
}

fn outcome(a: &StoreAccess, v: &SecretValues) -> ProofOutcome {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let limits = Limits {
        timeout: std::time::Duration::from_secs(5),
        ..Default::default()
    };
    rt.block_on(read(a, "pg", v, limits))
}

fn unknown(o: ProofOutcome) -> String {
    match o {
        ProofOutcome::Unknown(why) => why,
        other => panic!("not unknown: {other:?}"),
    }
}

#[test]
fn ambient_identities_are_unknown_with_the_reason() {
    assert!(unknown(outcome(&s3(true), &values())).contains("inheritFromIAMRole"));
    let azure = StoreAccess {
        destination: "https://acct.blob.core.windows.net/cont/pg".into(),
        credentials: Credentials::Azure {
            connection_string: None,
            storage_account: None,
            storage_key: None,
            storage_sas_token: None,
            inherit_from_azure_ad: true,
            use_default_azure_credentials: false,
        },
        ..Default::default()
    };
    assert!(unknown(outcome(&azure, &values())).contains("inheritFromAzureAD"));
    let gcs = StoreAccess {
        destination: "gs://b/pg".into(),
        credentials: Credentials::Google {
            application_credentials: None,
            gke_environment: true,
        },
        ..Default::default()
    };
    assert!(unknown(outcome(&gcs, &values())).contains("gkeEnvironment"));
    let none = StoreAccess {
        destination: "s3://b/pg".into(),
        ..Default::default()
    };
    assert!(unknown(outcome(&none, &values())).contains("no credentials are named"));
}

#[test]
fn a_missing_key_names_the_secret_and_the_key_never_a_value() {
    let mut v = SecretValues::default();
    v.insert("creds", "ACCESS_KEY_ID", Ok("AKIAEXAMPLEKEY000001".into()));
    v.insert(
        "creds",
        "ACCESS_SECRET_KEY",
        Err("secret db/creds has no key \"ACCESS_SECRET_KEY\"".into()),
    );
    let why = unknown(outcome(&s3(false), &v));
    assert!(
        why.contains("secretAccessKey") && why.contains("ACCESS_SECRET_KEY"),
        "{why}"
    );
    assert!(!why.contains("AKIAEXAMPLEKEY000001"), "{why}");
}

#[test]
fn secret_values_never_print() {
    let shown = format!("{:?}", values());
    assert!(shown.contains("<redacted>"), "{shown}");
    assert!(
        !shown.contains("s3cr3t") && !shown.contains("AKIAEXAMPLE"),
        "{shown}"
    );
}

#[test]
fn wrong_shapes_fail_with_what_is_wrong_and_no_secret() {
    let mut a = s3(false);
    a.destination = "gs://b/pg".into();
    let ProofOutcome::Failed(why) = outcome(&a, &values()) else {
        panic!("a provider mismatch fails")
    };
    assert!(why.contains("another provider"), "{why}");

    let mut a = s3(false);
    a.endpoint_ca = r("ca.crt");
    let mut v = values();
    v.insert(
        "creds",
        "ca.crt",
        Ok("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n".into()),
    );
    let ProofOutcome::Failed(why) = outcome(&a, &v) else {
        panic!("a broken CA fails")
    };
    assert!(why.contains("endpointCA"), "{why}");

    // A closed port: the cause is said, the secret is not.
    let ProofOutcome::Failed(why) = outcome(&s3(false), &values()) else {
        panic!("a closed port fails")
    };
    assert!(why.to_lowercase().contains("connect"), "{why}");
    assert!(!why.contains("s3cr3t-Value-Never-Shown"), "{why}");
}
