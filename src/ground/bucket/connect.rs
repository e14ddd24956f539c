//! An `object_store` client for a barman-cloud destination, built from the store's
//! configuration and the values of the Secret keys it references. The values live only in
//! the [`SecretValues`] the gather hands in and in the client built here; neither prints
//! them.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use object_store::client::{
    HttpClient, HttpConnector, HttpError, HttpRequest, HttpResponse, HttpService, ReqwestConnector,
};
use object_store::{BackoffConfig, ClientOptions, ObjectStore, RetryConfig};

use super::super::layout::{self, Destination};
use crate::model::bucket::{Credentials, SecretKeyRef, StoreAccess};

/// The values of the Secret keys a store references, read by the gather. `Debug` never
/// shows a value.
#[derive(Clone, Default)]
pub struct SecretValues {
    values: BTreeMap<(String, String), Result<String, String>>,
}

impl std::fmt::Debug for SecretValues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.values.iter().map(|((n, k), v)| {
                (
                    format!("{n}/{k}"),
                    match v {
                        Ok(_) => "<redacted>".to_string(),
                        Err(why) => why.clone(),
                    },
                )
            }))
            .finish()
    }
}

impl SecretValues {
    /// A key's value, or why it could not be read (`secret "x" has no key "y"`, forbidden).
    pub fn insert(&mut self, secret: &str, key: &str, value: Result<String, String>) {
        self.values
            .insert((secret.to_string(), key.to_string()), value);
    }

    fn get(&self, r: &SecretKeyRef) -> Result<&str, String> {
        match self.values.get(&(r.name.clone(), r.key.clone())) {
            Some(Ok(v)) => Ok(v.trim()),
            Some(Err(why)) => Err(why.clone()),
            None => Err(format!("secret {:?} key {:?} was not read", r.name, r.key)),
        }
    }
}

/// Every Secret key a store's access names.
pub fn secret_refs(a: &StoreAccess) -> Vec<SecretKeyRef> {
    let mut out: Vec<SecretKeyRef> = a.endpoint_ca.iter().cloned().collect();
    match &a.credentials {
        Credentials::None => {}
        Credentials::S3 {
            access_key_id,
            secret_access_key,
            session_token,
            region,
            ..
        } => out.extend(
            [access_key_id, secret_access_key, session_token, region]
                .into_iter()
                .flatten()
                .cloned(),
        ),
        Credentials::Azure {
            connection_string,
            storage_account,
            storage_key,
            storage_sas_token,
            ..
        } => out.extend(
            [
                connection_string,
                storage_account,
                storage_key,
                storage_sas_token,
            ]
            .into_iter()
            .flatten()
            .cloned(),
        ),
        Credentials::Google {
            application_credentials,
            ..
        } => out.extend(application_credentials.iter().cloned()),
    }
    out
}

/// Why a store cannot be read, before any request.
#[derive(Debug, Clone, PartialEq)]
pub enum NotReadable {
    /// Not from here: an ambient identity, nothing named, a Secret key missing.
    Unknown(String),
    /// The configuration itself is wrong (a destination that does not parse).
    Failed(String),
}

/// A client and where the server's files are in it.
pub struct Connection {
    pub store: Arc<dyn ObjectStore>,
    /// `<path>/<server>` inside the bucket or container.
    pub prefix: String,
    pub requests: Arc<AtomicU64>,
}

/// Counts the requests a client sends: what a proof cost.
#[derive(Debug)]
struct Counting {
    inner: HttpClient,
    requests: Arc<AtomicU64>,
}

impl HttpService for Counting {
    fn call<'a, 'b>(
        &'a self,
        req: HttpRequest,
    ) -> Pin<Box<dyn Future<Output = Result<HttpResponse, HttpError>> + Send + 'b>>
    where
        'a: 'b,
        Self: 'b,
    {
        self.requests.fetch_add(1, Ordering::Relaxed);
        Box::pin(self.inner.execute(req))
    }
}

#[derive(Debug)]
struct CountingConnector(Arc<AtomicU64>);

impl HttpConnector for CountingConnector {
    fn connect(&self, options: &ClientOptions) -> object_store::Result<HttpClient> {
        let inner = ReqwestConnector::default().connect(options)?;
        Ok(HttpClient::new(Counting {
            inner,
            requests: self.0.clone(),
        }))
    }
}

fn unknown(s: impl Into<String>) -> NotReadable {
    NotReadable::Unknown(s.into())
}

fn need(v: &SecretValues, r: &Option<SecretKeyRef>, what: &str) -> Result<String, NotReadable> {
    let r = r
        .as_ref()
        .ok_or_else(|| unknown(format!("{what} is not set in the credentials")))?;
    v.get(r)
        .map(str::to_string)
        .map_err(|why| unknown(format!("{what}: {why}")))
}

fn optional(
    v: &SecretValues,
    r: &Option<SecretKeyRef>,
    what: &str,
) -> Result<Option<String>, NotReadable> {
    match r {
        None => Ok(None),
        Some(_) => need(v, r, what).map(Some),
    }
}

fn failed(what: &str, e: object_store::Error) -> NotReadable {
    NotReadable::Failed(crate::sanitize::untrusted(&format!(
        "{what}: {}",
        super::chain(&e)
    )))
}

/// Options every client gets: bounded requests, a few quick retries, the endpoint's CA.
fn client_options(
    a: &StoreAccess,
    v: &SecretValues,
    timeout: Duration,
) -> Result<ClientOptions, NotReadable> {
    let mut o = ClientOptions::new()
        .with_timeout(timeout)
        .with_connect_timeout(Duration::from_secs(10));
    if a.endpoint
        .as_deref()
        .is_some_and(|e| e.starts_with("http://"))
        || a.destination.starts_with("http://")
    {
        o = o.with_allow_http(true);
    }
    if a.endpoint_ca.is_some() {
        let pem = need(v, &a.endpoint_ca, "endpointCA")?;
        let certs = object_store::Certificate::from_pem_bundle(pem.as_bytes())
            .map_err(|e| failed("the endpointCA does not read as PEM", e))?;
        for c in certs {
            o = o.with_root_certificate(c);
        }
    }
    Ok(o)
}

fn retry(timeout: Duration) -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig::default(),
        max_retries: 2,
        retry_timeout: timeout,
    }
}

/// Builds the client, or says why the store cannot be read from here.
pub async fn connect(
    a: &StoreAccess,
    server: &str,
    v: &SecretValues,
    timeout: Duration,
) -> Result<Connection, NotReadable> {
    // reqwest is built without a crypto provider of its own: the one kube uses, ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dest = layout::parse_destination(&a.destination).map_err(NotReadable::Failed)?;
    let options = client_options(a, v, timeout)?;
    let requests = Arc::new(AtomicU64::new(0));
    let counting = CountingConnector(requests.clone());
    let (store, path): (Arc<dyn ObjectStore>, String) = match (&dest, &a.credentials) {
        (
            Destination::S3 { bucket, path },
            Credentials::S3 {
                access_key_id,
                secret_access_key,
                session_token,
                region,
                inherit_from_iam_role,
            },
        ) => {
            if *inherit_from_iam_role {
                return Err(unknown(
                    "inheritFromIAMRole: the credentials are the pod's IAM role (IRSA), which cannot be assumed from here",
                ));
            }
            let mut b = object_store::aws::AmazonS3Builder::new()
                .with_bucket_name(bucket)
                .with_access_key_id(need(v, access_key_id, "accessKeyId")?)
                .with_secret_access_key(need(v, secret_access_key, "secretAccessKey")?)
                .with_retry(retry(timeout))
                .with_http_connector(counting);
            if let Some(t) = optional(v, session_token, "sessionToken")? {
                b = b.with_token(t);
            }
            let region = match optional(v, region, "region")? {
                Some(r) => r,
                None if a.endpoint.is_none() => {
                    object_store::aws::resolve_bucket_region(bucket, &options)
                        .await
                        .map_err(|e| failed("finding the bucket's region", e))?
                }
                None => "us-east-1".to_string(),
            };
            b = b.with_region(region);
            if let Some(e) = &a.endpoint {
                // A custom endpoint (MinIO, Ceph, moto) is addressed by path, as those
                // servers expect.
                b = b
                    .with_endpoint(e.trim_end_matches('/'))
                    .with_virtual_hosted_style_request(false);
            } else if !bucket.contains('.') {
                // AWS itself: virtual-hosted, as boto3 addresses it; a dotted name stays
                // path-style, since *.s3.amazonaws.com's certificate covers one label.
                b = b.with_virtual_hosted_style_request(true);
            }
            let s = b
                .with_client_options(options)
                .build()
                .map_err(|e| failed("configuring the S3 client", e))?;
            (Arc::new(s), path.clone())
        }
        (
            Destination::Azure {
                account,
                emulator,
                container,
                path,
            },
            Credentials::Azure {
                connection_string,
                storage_account,
                storage_key,
                storage_sas_token,
                inherit_from_azure_ad,
                use_default_azure_credentials,
            },
        ) => {
            if *inherit_from_azure_ad || *use_default_azure_credentials {
                return Err(unknown(
                    "inheritFromAzureAD/useDefaultAzureCredentials: the credentials are the pod's workload identity, which cannot be used from here",
                ));
            }
            let mut b = object_store::azure::MicrosoftAzureBuilder::new()
                .with_container_name(container)
                .with_retry(retry(timeout))
                .with_http_connector(counting);
            let mut account = account.clone();
            let mut key = optional(v, storage_key, "storageKey")?;
            let mut sas = optional(v, storage_sas_token, "storageSasToken")?;
            if let Some(a) = optional(v, storage_account, "storageAccount")? {
                account = Some(a);
            }
            let mut endpoint = emulator
                .as_ref()
                .map(|e| format!("{e}/{}", account.clone().unwrap_or_default()));
            if let Some(cs) = optional(v, connection_string, "connectionString")? {
                for part in cs.split(';') {
                    match part.split_once('=') {
                        Some(("AccountName", x)) => account = Some(x.to_string()),
                        Some(("AccountKey", x)) => key = Some(x.to_string()),
                        Some(("SharedAccessSignature", x)) => sas = Some(x.to_string()),
                        Some(("BlobEndpoint", x)) => {
                            endpoint = Some(x.trim_end_matches('/').to_string())
                        }
                        _ => {}
                    }
                }
            }
            let account = account.ok_or_else(|| unknown("no storage account is named"))?;
            b = b.with_account(account);
            if let Some(k) = key {
                b = b.with_access_key(k);
            } else if let Some(s) = sas {
                let pairs: Vec<(String, String)> =
                    form_urlencoded::parse(s.trim_start_matches('?').as_bytes())
                        .into_owned()
                        .collect();
                b = b.with_sas_authorization(pairs);
            } else {
                return Err(unknown(
                    "neither storageKey, storageSasToken nor a connectionString with a key is set",
                ));
            }
            if let Some(e) = endpoint {
                b = b.with_endpoint(e).with_allow_http(true);
            }
            let s = b
                .with_client_options(options)
                .build()
                .map_err(|e| failed("configuring the Azure client", e))?;
            (Arc::new(s), path.clone())
        }
        (
            Destination::Gcs { bucket, path },
            Credentials::Google {
                application_credentials,
                gke_environment,
            },
        ) => {
            if *gke_environment || application_credentials.is_none() {
                return Err(unknown(
                    "gkeEnvironment: the credentials are the pod's GKE workload identity, which cannot be used from here",
                ));
            }
            let s = object_store::gcp::GoogleCloudStorageBuilder::new()
                .with_bucket_name(bucket)
                .with_service_account_key(need(
                    v,
                    application_credentials,
                    "applicationCredentials",
                )?)
                .with_retry(retry(timeout))
                .with_http_connector(counting)
                .with_client_options(options)
                .build()
                .map_err(|e| failed("configuring the GCS client", e))?;
            (Arc::new(s), path.clone())
        }
        (_, Credentials::None) => {
            return Err(unknown(
                "no credentials are named: barman-cloud uses the pod's environment, which cannot be used from here",
            ));
        }
        _ => {
            return Err(NotReadable::Failed(
                "the credentials are for another provider than the destinationPath".into(),
            ));
        }
    };
    Ok(Connection {
        store,
        prefix: layout::server_prefix(&path, server),
        requests,
    })
}
