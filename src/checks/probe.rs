//! Network probes of ObjectStore endpoints: does the name resolve, does it accept a TCP
//! connection. Bounded: a few seconds each, a few at once.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;

use crate::model::facts::EndpointProbe;
use crate::model::rows::ObjectStoreRow;

const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// host:port an ObjectStore talks to: its endpointURL, else the provider's from the
/// destination (s3:// → AWS, an Azure blob URL, gs:// → Google).
pub fn endpoint_of(os: &ObjectStoreRow) -> Option<String> {
    let url = os.endpoint.clone().or_else(|| {
        let d = &os.destination;
        if d.starts_with("s3://") {
            Some("https://s3.amazonaws.com".to_string())
        } else if d.starts_with("gs://") {
            Some("https://storage.googleapis.com".to_string())
        } else if d.starts_with("https://") || d.starts_with("http://") {
            Some(d.clone())
        } else {
            None
        }
    })?;
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url.as_str()));
    let authority = rest.split('/').next().unwrap_or(rest);
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    if authority.is_empty() {
        return None;
    }
    let has_port = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.chars().all(|c| c.is_ascii_digit()) && !p.is_empty());
    Some(if has_port {
        authority.to_string()
    } else {
        format!("{authority}:{}", if scheme == "http" { 80 } else { 443 })
    })
}

/// Resolves and connects to one host:port.
pub async fn reach(endpoint: &str) -> Result<(), String> {
    let addrs: Vec<std::net::SocketAddr> =
        match tokio::time::timeout(STEP_TIMEOUT, tokio::net::lookup_host(endpoint)).await {
            Ok(Ok(a)) => a.collect(),
            Ok(Err(e)) => return Err(format!("{endpoint} does not resolve: {e}")),
            Err(_) => {
                return Err(format!(
                    "{endpoint}: resolving timed out after {}s",
                    STEP_TIMEOUT.as_secs()
                ));
            }
        };
    let Some(first) = addrs.first() else {
        return Err(format!("{endpoint} resolves to no address"));
    };
    match tokio::time::timeout(STEP_TIMEOUT, tokio::net::TcpStream::connect(first)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(format!("{endpoint} ({first}) refuses connections: {e}")),
        Err(_) => Err(format!(
            "{endpoint} ({first}): connecting timed out after {}s",
            STEP_TIMEOUT.as_secs()
        )),
    }
}

pub async fn endpoints(stores: &[Arc<ObjectStoreRow>]) -> Vec<EndpointProbe> {
    let targets: Vec<(String, String, String)> = stores
        .iter()
        .filter_map(|os| Some((os.namespace.clone(), os.name.clone(), endpoint_of(os)?)))
        .collect();
    futures::stream::iter(targets)
        .map(|(namespace, store, endpoint)| async move {
            let result = reach(&endpoint).await;
            EndpointProbe {
                namespace,
                store,
                endpoint,
                result,
            }
        })
        .buffer_unordered(4)
        .collect()
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(endpoint: Option<&str>, destination: &str) -> ObjectStoreRow {
        ObjectStoreRow {
            endpoint: endpoint.map(str::to_string),
            destination: destination.into(),
            ..Default::default()
        }
    }

    #[test]
    fn endpoints_come_from_the_url_or_the_provider() {
        assert_eq!(
            endpoint_of(&store(Some("https://minio.backup.svc:9000"), "s3://b/")).as_deref(),
            Some("minio.backup.svc:9000")
        );
        assert_eq!(
            endpoint_of(&store(Some("http://10.0.0.5"), "s3://b/")).as_deref(),
            Some("10.0.0.5:80")
        );
        assert_eq!(
            endpoint_of(&store(None, "s3://bucket/x")).as_deref(),
            Some("s3.amazonaws.com:443")
        );
        assert_eq!(
            endpoint_of(&store(None, "https://acct.blob.core.windows.net/c")).as_deref(),
            Some("acct.blob.core.windows.net:443")
        );
        assert_eq!(endpoint_of(&store(None, "file:///x")), None);
    }

    #[tokio::test]
    async fn probes_connect_refuse_and_fail_to_resolve_on_loopback() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let open = listener.local_addr().expect("addr").to_string();
        assert_eq!(reach(&open).await, Ok(()));
        // Port 9 (discard) on loopback: nothing listens there.
        let refused = reach("127.0.0.1:9").await.expect_err("refused");
        assert!(refused.contains("refuses connections"), "{refused}");
        // Not a valid host name: fails before any query leaves the machine.
        let bad = reach("not a host:443").await.expect_err("does not resolve");
        assert!(bad.contains("does not resolve"), "{bad}");
    }
}
