//! `spec.objectStore`: a real S3-compatible endpoint (a test's moto or MinIO on loopback)
//! written into the scenario's ObjectStores and in-tree Clusters (`spec.backup.barmanObjectStore`),
//! with the credentials Secret they reference, so
//! a bucket reader reads a real bucket through the simulated cluster. Values may come from
//! the environment (`${env:NAME}`) or a file (`${file:PATH}`, trimmed): a test that starts
//! the server on a random port points the scenario at it without writing the scenario.

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ScenarioError;

/// Where the scenario's ObjectStores write, instead of what their manifests say.
#[derive(Debug, Clone, Deserialize, Default, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ObjectStoreEndpoint {
    #[serde(rename = "endpointURL")]
    pub endpoint_url: String,
    /// `s3://bucket/path/`; absent: each store keeps its own.
    #[serde(default)]
    pub destination_path: Option<String>,
    pub access_key_id: String,
    pub secret_access_key: String,
    #[serde(default)]
    pub region: Option<String>,
    /// `namespace/name` of the ObjectStores and in-tree Clusters to point there; absent: every one.
    #[serde(default)]
    pub stores: Vec<String>,
}

/// A Secret to write: namespace, name, and its (key, value) pairs.
type SecretKeys = (String, String, Vec<(String, String)>);

/// A value, or what its `${env:…}` / `${file:…}` indirection names.
fn resolve(v: &str, field: &str) -> Result<String, ScenarioError> {
    resolve_at(v, &format!("spec.objectStore.{field}"))
}

/// The same for a field of another section (`place` is its path in the document).
pub(super) fn resolve_at(v: &str, place: &str) -> Result<String, ScenarioError> {
    let bad = |m: String| ScenarioError::Invalid(format!("{place}: {m}"));
    let Some(inner) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
        return Ok(v.to_string());
    };
    match inner.split_once(':') {
        Some(("env", name)) => std::env::var(name)
            .map_err(|_| bad(format!("the environment variable {name} is not set"))),
        Some(("file", path)) => {
            // One value (an endpoint, a key): anything larger is the wrong file.
            let text = std::fs::read(path).map_err(|e| bad(format!("cannot read {path}: {e}")))?;
            if text.len() > 64 * 1024 {
                return Err(bad(format!(
                    "{path} is over 64 KiB: it should hold one value"
                )));
            }
            String::from_utf8(text)
                .map(|t| t.trim().to_string())
                .map_err(|_| bad(format!("{path} is not UTF-8")))
        }
        _ => Err(bad(format!(
            "'{v}': write a value, ${{env:NAME}} or ${{file:PATH}}"
        ))),
    }
}

/// Resolves the recovery's PostgreSQL and checks that it is on this machine: exec runs psql
/// against it, so it must not reach anything beyond loopback.
pub fn resolve_postgres(pg: &mut super::PostgresSpec) -> Result<(), ScenarioError> {
    let place = "spec.recovery.postgres";
    pg.host = resolve_at(&pg.host, &format!("{place}.host"))?;
    pg.port = resolve_at(&pg.port, &format!("{place}.port"))?;
    for (field, v) in [
        ("user", &mut pg.user),
        ("database", &mut pg.database),
        ("password", &mut pg.password),
    ] {
        if let Some(v) = v {
            *v = resolve_at(v, &format!("{place}.{field}"))?;
        }
    }
    if !matches!(pg.host.as_str(), "127.0.0.1" | "::1" | "localhost") && !pg.host.starts_with('/') {
        return Err(ScenarioError::Invalid(format!(
            "{place}.host: '{}' is not on this machine: give 127.0.0.1, ::1, localhost or a socket directory",
            pg.host
        )));
    }
    if pg.port.parse::<u16>().is_err() {
        return Err(ScenarioError::Invalid(format!(
            "{place}.port: '{}' is not a port number",
            pg.port
        )));
    }
    Ok(())
}

/// The endpoint's resolved values.
struct Target<'a> {
    url: &'a str,
    dest: Option<&'a str>,
    key_id: &'a str,
    secret: &'a str,
    region: Option<&'a str>,
}

impl Target<'_> {
    /// Rewrites one barman configuration (an ObjectStore's `spec.configuration` or a
    /// Cluster's `spec.backup.barmanObjectStore`): the endpoint, the destination, S3
    /// credentials in the Secret it names (or `<owner>-s3`). Returns that Secret's name and keys.
    fn point(
        &self,
        conf: &mut serde_json::Map<String, Value>,
        owner: &str,
    ) -> (String, Vec<(String, String)>) {
        let refs = |field: &str, default_key: &str| {
            let r = conf.get("s3Credentials").and_then(|c| c.get(field));
            (
                r.and_then(|r| r.get("name"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                r.and_then(|r| r.get("key"))
                    .and_then(Value::as_str)
                    .unwrap_or(default_key)
                    .to_string(),
            )
        };
        let (id_secret, id_key) = refs("accessKeyId", "ACCESS_KEY_ID");
        let (_, secret_key) = refs("secretAccessKey", "ACCESS_SECRET_KEY");
        let (_, region_key) = refs("region", "REGION");
        let secret_name = id_secret.unwrap_or_else(|| format!("{owner}-s3"));
        let mut creds = json!({
            "accessKeyId": {"name": secret_name, "key": id_key},
            "secretAccessKey": {"name": secret_name, "key": secret_key},
        });
        let mut keys = vec![
            (id_key, self.key_id.to_string()),
            (secret_key, self.secret.to_string()),
        ];
        if let Some(r) = self.region {
            creds["region"] = json!({"name": secret_name, "key": region_key});
            keys.push((region_key, r.to_string()));
        }
        for gone in ["azureCredentials", "googleCredentials", "endpointCA"] {
            conf.remove(gone);
        }
        conf.insert("s3Credentials".into(), creds);
        conf.insert("endpointURL".into(), json!(self.url));
        if let Some(d) = self.dest {
            conf.insert("destinationPath".into(), json!(d));
        }
        (secret_name, keys)
    }
}

/// Points the selected ObjectStores and in-tree Clusters at the endpoint and writes the credentials into the
/// Secret their `s3Credentials` name (created, or its keys added), replacing any Azure or
/// Google credentials: the store is an S3 one now.
pub fn apply(ep: &ObjectStoreEndpoint, objects: &mut Vec<Value>) -> Result<(), ScenarioError> {
    let url = resolve(&ep.endpoint_url, "endpointURL")?;
    let dest = ep
        .destination_path
        .as_deref()
        .map(|d| resolve(d, "destinationPath"))
        .transpose()?;
    let key_id = resolve(&ep.access_key_id, "accessKeyId")?;
    let secret = resolve(&ep.secret_access_key, "secretAccessKey")?;
    let region = ep
        .region
        .as_deref()
        .map(|r| resolve(r, "region"))
        .transpose()?;
    let mut secrets: Vec<SecretKeys> = Vec::new();
    let target = Target {
        url: &url,
        dest: dest.as_deref(),
        key_id: &key_id,
        secret: &secret,
        region: region.as_deref(),
    };
    for o in objects.iter_mut() {
        // ObjectStores, and the Clusters still archiving in-tree (their
        // spec.backup.barmanObjectStore has the same shape), so both paths of a migration
        // reach the same bucket.
        let at = match o.get("kind").and_then(Value::as_str) {
            Some("ObjectStore") => "/spec/configuration",
            Some("Cluster") => "/spec/backup/barmanObjectStore",
            _ => continue,
        };
        let ns = o
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let name = o
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        if !ep.stores.is_empty() && !ep.stores.iter().any(|s| *s == format!("{ns}/{name}")) {
            continue;
        }
        let Some(conf) = o.pointer_mut(at).and_then(Value::as_object_mut) else {
            continue;
        };
        let (secret_name, keys) = target.point(conf, &name);
        secrets.push((ns, secret_name, keys));
    }
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
    for (ns, name, keys) in secrets {
        let existing = objects.iter_mut().find(|o| {
            o.get("kind").and_then(Value::as_str) == Some("Secret")
                && o.pointer("/metadata/namespace").and_then(Value::as_str) == Some(&ns)
                && o.pointer("/metadata/name").and_then(Value::as_str) == Some(&name)
        });
        let secret = match existing {
            Some(s) => s,
            None => {
                objects.push(
                    json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                    "metadata": {"name": name, "namespace": ns}, "data": {}}),
                );
                let last = objects.len() - 1;
                &mut objects[last]
            }
        };
        if !secret.get("data").is_some_and(Value::is_object) {
            secret["data"] = json!({});
        }
        for (k, v) in keys {
            secret["data"][k] = json!(b64(&v));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(cred: Value) -> Value {
        json!({"apiVersion": "barmancloud.cnpg.io/v1", "kind": "ObjectStore",
               "metadata": {"name": "billing-azure-store", "namespace": "billing"},
               "spec": {"configuration": {"destinationPath": "https://acct.blob.core.windows.net/pg/",
                        "azureCredentials": cred, "wal": {"compression": "gzip"}}}})
    }

    #[test]
    fn the_stores_point_at_the_endpoint_and_their_secret_holds_the_keys() {
        let dir = tempfile::tempdir().expect("tmp");
        let port = dir.path().join("port");
        std::fs::write(&port, "http://127.0.0.1:45123\n").expect("write");
        let ep = ObjectStoreEndpoint {
            endpoint_url: format!("${{file:{}}}", port.display()),
            destination_path: Some("s3://backups/billing/".into()),
            access_key_id: "testing".into(),
            secret_access_key: "testing-secret".into(),
            region: Some("us-east-1".into()),
            stores: vec![],
        };
        let mut objects = vec![store(json!({"storageAccount": {"name": "x", "key": "y"}}))];
        apply(&ep, &mut objects).expect("applies");
        let conf = &objects[0]["spec"]["configuration"];
        assert_eq!(conf["endpointURL"], "http://127.0.0.1:45123");
        assert_eq!(conf["destinationPath"], "s3://backups/billing/");
        assert!(conf.get("azureCredentials").is_none());
        assert_eq!(conf["wal"]["compression"], "gzip", "the rest is kept");
        assert_eq!(
            conf["s3Credentials"]["accessKeyId"],
            json!({"name": "billing-azure-store-s3", "key": "ACCESS_KEY_ID"})
        );
        let secret = &objects[1];
        assert_eq!(secret["metadata"]["name"], "billing-azure-store-s3");
        assert_eq!(secret["data"]["ACCESS_KEY_ID"], "dGVzdGluZw==");
        assert_eq!(secret["data"]["REGION"], "dXMtZWFzdC0x");
    }

    #[test]
    fn an_in_tree_cluster_points_at_the_endpoint_with_its_own_secret() {
        let ep = ObjectStoreEndpoint {
            endpoint_url: "http://127.0.0.1:45124".into(),
            destination_path: Some("s3://legacy/inventory/".into()),
            access_key_id: "testing".into(),
            secret_access_key: "testing-secret".into(),
            region: None,
            stores: vec!["inventory/pg-inventory".into()],
        };
        let cluster = |name: &str| {
            json!({"apiVersion": "postgresql.cnpg.io/v1", "kind": "Cluster",
                   "metadata": {"name": name, "namespace": "inventory"},
                   "spec": {"backup": {"retentionPolicy": "7d", "barmanObjectStore": {
                       "destinationPath": "s3://acme/inventory/", "endpointURL": "https://s3.example.com",
                       "s3Credentials": {"accessKeyId": {"name": "pg-inventory-s3-creds", "key": "ACCESS_KEY_ID"},
                                         "secretAccessKey": {"name": "pg-inventory-s3-creds", "key": "ACCESS_SECRET_KEY"}},
                       "wal": {"compression": "gzip"}}}}})
        };
        let mut objects = vec![cluster("pg-inventory"), cluster("pg-other")];
        apply(&ep, &mut objects).expect("applies");
        let conf = &objects[0]["spec"]["backup"]["barmanObjectStore"];
        assert_eq!(conf["endpointURL"], "http://127.0.0.1:45124");
        assert_eq!(conf["destinationPath"], "s3://legacy/inventory/");
        assert_eq!(conf["wal"]["compression"], "gzip");
        assert_eq!(objects[0]["spec"]["backup"]["retentionPolicy"], "7d");
        assert_eq!(
            objects[1]["spec"]["backup"]["barmanObjectStore"]["endpointURL"],
            "https://s3.example.com",
            "a Cluster not named keeps its store"
        );
        let secret = &objects[2];
        assert_eq!(secret["metadata"]["name"], "pg-inventory-s3-creds");
        assert_eq!(secret["data"]["ACCESS_SECRET_KEY"], "dGVzdGluZy1zZWNyZXQ=");
    }

    #[test]
    fn an_unset_variable_or_a_bad_indirection_is_named() {
        let ep = ObjectStoreEndpoint {
            endpoint_url: "${env:BACKSTOP_TEST_SURELY_UNSET_VARIABLE}".into(),
            access_key_id: "${nope:x}".into(),
            ..Default::default()
        };
        let e = apply(&ep, &mut vec![]).expect_err("unset");
        assert!(
            e.to_string()
                .contains("spec.objectStore.endpointURL: the environment variable BACKSTOP_TEST_SURELY_UNSET_VARIABLE is not set"),
            "{e}"
        );
        let ep = ObjectStoreEndpoint {
            endpoint_url: "http://x".into(),
            access_key_id: "${nope:x}".into(),
            ..Default::default()
        };
        let e = apply(&ep, &mut vec![]).expect_err("bad");
        assert!(
            e.to_string()
                .contains("write a value, ${env:NAME} or ${file:PATH}"),
            "{e}"
        );
    }

    #[test]
    fn the_exec_postgres_must_be_on_this_machine() {
        let mut pg = super::super::PostgresSpec {
            host: "db.example.com".into(),
            port: "5432".into(),
            ..Default::default()
        };
        let e = resolve_postgres(&mut pg).unwrap_err().to_string();
        assert!(
            e.contains("spec.recovery.postgres.host: 'db.example.com' is not on this machine"),
            "{e}"
        );
        let mut pg = super::super::PostgresSpec {
            host: "127.0.0.1".into(),
            port: "${env:BACKSTOP_TEST_SURELY_UNSET_VARIABLE}".into(),
            ..Default::default()
        };
        let e = resolve_postgres(&mut pg).unwrap_err().to_string();
        assert!(
            e.contains("spec.recovery.postgres.port: the environment variable"),
            "{e}"
        );
    }
}
