//! The alerts Alertmanager says are firing: `GET /api/v2/alerts` (active, not silenced, not
//! inhibited), bounded in time and size, over the TLS client the bucket reader uses.

use std::time::Duration;

use crate::model::alerting::{FiringAlert, parse_firing};

/// The most bytes of one answer read.
const MAX_BODY: usize = 4 * 1024 * 1024;

/// The base URL as a user may write it, checked: http(s), no query.
pub fn check_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed)
        .map_err(|e| format!("'{}' is not a URL: {e}", shown(trimmed)))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("'{}' is not an http(s) URL", shown(trimmed)));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(format!(
            "'{}': give Alertmanager's base URL, without a query",
            shown(trimmed)
        ));
    }
    Ok(trimmed.to_string())
}

/// The URL as it may be shown: a password in it never is.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string().trim_end_matches('/').to_string()
        }
        _ => crate::redact::redact(url).into_owned(),
    }
}

/// An error with its causes: reqwest's own text ("error sending request") says little.
fn chain(e: reqwest::Error) -> String {
    let mut out = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        out.push_str(&format!(": {c}"));
        cause = c.source();
    }
    out
}

/// The firing alerts, or why they could not be read (the error names the URL without
/// credentials).
pub async fn firing(base: &str, timeout: Duration) -> Result<Vec<FiringAlert>, String> {
    // reqwest is built without a crypto provider of its own: the one kube uses, ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let base = check_url(base)?;
    let where_ = shown(&base);
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| format!("Alertmanager {where_}: building the client: {e}"))?;
    let url = format!("{base}/api/v2/alerts?active=true&silenced=false&inhibited=false");
    let mut resp = client
        .get(&url)
        .header("Accept", "application/json")
        .send()
        .await
        .map_err(|e| format!("Alertmanager {where_}: {}", chain(e.without_url())))?;
    if !resp.status().is_success() {
        return Err(format!("Alertmanager {where_} answered {}", resp.status()));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        format!(
            "Alertmanager {where_}: reading the answer: {}",
            e.without_url()
        )
    })? {
        if body.len() + chunk.len() > MAX_BODY {
            return Err(format!(
                "Alertmanager {where_}: the answer is over {} MiB",
                MAX_BODY / (1024 * 1024)
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let v: serde_json::Value = serde_json::from_slice(&body)
        .map_err(|e| format!("Alertmanager {where_}: the answer is not JSON: {e}"))?;
    parse_firing(&v).map_err(|e| format!("Alertmanager {where_}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_in_the_url_is_never_shown() {
        assert_eq!(
            shown("https://ops:s3cret@am.example:9093"),
            "https://am.example:9093"
        );
        assert!(check_url("ftp://am").is_err());
        assert!(check_url("http://am:9093/?x=1").is_err());
        assert_eq!(check_url("http://am:9093/").unwrap(), "http://am:9093");
        let e = check_url("https://ops:s3cret@").unwrap_err();
        assert!(!e.contains("s3cret"), "{e}");
    }
}
