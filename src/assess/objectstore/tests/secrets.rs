//! OBJ002: the secret data a store references.

use super::*;

#[test]
fn obj002_a_missing_key_and_a_missing_secret() {
    let mut f = healthy();
    f.secrets = live(vec![secret("orders", "creds", &["ACCESS_KEY_ID"])]);
    let out = run(&f);
    let x = one(&out, "OBJ002");
    assert_eq!(
        (x.object.kind.name(), x.object.name.as_str()),
        ("ObjectStore", "pg-orders-s3")
    );
    assert_eq!(
        x.evidence,
        vec![
            "ObjectStore orders/pg-orders-s3 references key ACCESS_SECRET_KEY of secret creds; secret orders/creds has keys [ACCESS_KEY_ID]"
        ]
    );
    assert!(
        x.remedy
            .contains("kubectl -n orders patch secret creds --type=merge")
    );

    f.secrets = live(vec![secret(
        "other",
        "creds",
        &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY"],
    )]);
    let out = run(&f);
    let x = one(&out, "OBJ002");
    assert_eq!(x.evidence.len(), 2);
    assert!(x.remedy.contains(
        "kubectl -n orders create secret generic creds --from-literal=ACCESS_KEY_ID=..."
    ));
}

#[test]
fn obj002_near_miss_every_key_present() {
    let mut f = healthy();
    f.secrets = live(vec![secret(
        "orders",
        "creds",
        &["ACCESS_KEY_ID", "ACCESS_SECRET_KEY", "REGION"],
    )]);
    assert!(!codes(&run(&f)).contains(&"OBJ002"));
}

#[test]
fn obj002_unknown_when_secrets_cannot_be_listed() {
    let mut f = healthy();
    f.secrets = forbidden("secrets");
    let out = run(&f);
    assert!(!codes(&out).contains(&"OBJ002"));
    assert_eq!(out.unknown.len(), 1);
    assert_eq!(
        (out.unknown[0].area, out.unknown[0].reason.as_str()),
        ("objectstore", "secrets: forbidden: may not list secrets")
    );
}
