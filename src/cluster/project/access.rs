//! How a barman-cloud store is reached, compacted from its configuration: an ObjectStore's
//! `spec.configuration` or a Cluster's in-tree `spec.backup.barmanObjectStore` (the same
//! fields, barman-cloud's `api.BarmanObjectStoreConfiguration`). Secret references only.

use serde_json::Value;

use crate::model::bucket::{Credentials, SecretKeyRef, StoreAccess};

fn text(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .map(|s| crate::sanitize::clean(s).into_owned())
        .filter(|s| !s.is_empty())
}

fn key_ref(v: Option<&Value>) -> Option<SecretKeyRef> {
    let v = v?;
    Some(SecretKeyRef {
        name: text(v.get("name"))?,
        key: text(v.get("key"))?,
    })
}

fn flag(v: &Value, name: &str) -> bool {
    v.get(name).and_then(Value::as_bool).unwrap_or(false)
}

pub fn store_access(cfg: Option<&Value>) -> StoreAccess {
    let Some(cfg) = cfg else {
        return StoreAccess::default();
    };
    let credentials = if let Some(s) = cfg.get("s3Credentials").filter(|v| v.is_object()) {
        Credentials::S3 {
            access_key_id: key_ref(s.get("accessKeyId")),
            secret_access_key: key_ref(s.get("secretAccessKey")),
            session_token: key_ref(s.get("sessionToken")),
            region: key_ref(s.get("region")),
            inherit_from_iam_role: flag(s, "inheritFromIAMRole"),
        }
    } else if let Some(a) = cfg.get("azureCredentials").filter(|v| v.is_object()) {
        Credentials::Azure {
            connection_string: key_ref(a.get("connectionString")),
            storage_account: key_ref(a.get("storageAccount")),
            storage_key: key_ref(a.get("storageKey")),
            storage_sas_token: key_ref(a.get("storageSasToken")),
            inherit_from_azure_ad: flag(a, "inheritFromAzureAD"),
            use_default_azure_credentials: flag(a, "useDefaultAzureCredentials"),
        }
    } else if let Some(g) = cfg.get("googleCredentials").filter(|v| v.is_object()) {
        Credentials::Google {
            application_credentials: key_ref(g.get("applicationCredentials")),
            gke_environment: flag(g, "gkeEnvironment"),
        }
    } else {
        Credentials::None
    };
    StoreAccess {
        destination: text(cfg.get("destinationPath")).unwrap_or_default(),
        endpoint: text(cfg.get("endpointURL")),
        endpoint_ca: key_ref(cfg.get("endpointCA")),
        server_name: text(cfg.get("serverName")),
        credentials,
    }
}
