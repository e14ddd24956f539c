//! Injected faults: latency, failing paths, dropped watches, forbidden kinds, a 410 on the
//! next watch. Forbidden rules are also the scenario's permissions: SelfSubjectAccessReview
//! answers from them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;

use super::status::ApiError;

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorRule {
    pub path: String,
    pub rate: f64,
    #[serde(default = "default_code")]
    pub code: u16,
}

fn default_code() -> u16 {
    503
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Forbid {
    #[serde(default)]
    pub group: String,
    pub resource: String,
    #[serde(default)]
    pub verbs: Vec<String>,
    #[serde(default)]
    pub namespace: Option<String>,
}

impl Forbid {
    fn covers(&self, group: &str, resource: &str, verb: &str, ns: Option<&str>) -> bool {
        self.group == group
            && (self.resource == resource || self.resource == "*")
            && (self.verbs.is_empty() || self.verbs.iter().any(|v| v == verb || v == "*"))
            && self.namespace.as_deref().is_none_or(|n| Some(n) == ns)
    }
}

#[derive(Debug, Default)]
pub struct Faults {
    pub latency: Option<Duration>,
    /// Replaceable while serving, so tests can break a path and mend it.
    errors: std::sync::RwLock<Vec<ErrorRule>>,
    pub drop_watches_after: Option<Duration>,
    pub forbidden: Vec<Forbid>,
    expire_next_watch: AtomicBool,
    dice: AtomicU64,
}

fn reason_for(code: u16) -> &'static str {
    match code {
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "InternalError",
    }
}

impl Faults {
    pub fn new(
        latency: Option<Duration>,
        errors: Vec<ErrorRule>,
        drop_watches_after: Option<Duration>,
        forbidden: Vec<Forbid>,
        expire_next_watch: bool,
    ) -> Self {
        Faults {
            latency,
            errors: std::sync::RwLock::new(errors),
            drop_watches_after,
            forbidden,
            expire_next_watch: AtomicBool::new(expire_next_watch),
            dice: AtomicU64::new(0x2545_f491_4f6c_dd1d),
        }
    }

    /// A deterministic sequence in [0, 1): the same scenario fails the same requests.
    fn roll(&self) -> f64 {
        let mut x = self
            .dice
            .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn injected_error(&self, path: &str) -> Option<ApiError> {
        let errors = self.errors.read().unwrap_or_else(|e| e.into_inner());
        let rule = errors.iter().find(|r| path.starts_with(&r.path))?.clone();
        (self.roll() < rule.rate).then(|| {
            ApiError::new(
                rule.code,
                reason_for(rule.code),
                format!("injected by the simulator for {}", rule.path),
            )
        })
    }

    /// Replaces the failing paths (an empty list mends them all).
    pub fn set_errors(&self, rules: Vec<ErrorRule>) {
        *self.errors.write().unwrap_or_else(|e| e.into_inner()) = rules;
    }

    pub fn forbids(&self, group: &str, resource: &str, verb: &str, ns: Option<&str>) -> bool {
        self.forbidden
            .iter()
            .any(|f| f.covers(group, resource, verb, ns))
    }

    pub fn expire_next_watch(&self) {
        self.expire_next_watch.store(true, Ordering::SeqCst);
    }

    pub fn take_expire(&self) -> bool {
        self.expire_next_watch.swap(false, Ordering::SeqCst)
    }
}

/// The 403 a real apiserver gives, naming the verb and the resource.
pub fn forbidden_error(
    group: &str,
    resource: &str,
    verb: &str,
    ns: Option<&str>,
    name: Option<&str>,
) -> ApiError {
    let what = super::registry::qualified(group, resource);
    let named = name.map(|n| format!(" \"{n}\"")).unwrap_or_default();
    let scope = match ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    ApiError::new(
        403,
        "Forbidden",
        format!(
            "{what}{named} is forbidden: User \"system:serviceaccount:backstop:trainee\" cannot {verb} resource \"{resource}\" in API group \"{group}\" {scope}"
        ),
    )
    // kube-rs cannot read a Status whose details carry null fields: leave them out.
    .with_details(match name {
        Some(n) => serde_json::json!({"group": group, "kind": resource, "name": n}),
        None => serde_json::json!({"group": group, "kind": resource}),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_rules_match_verbs_and_namespaces() {
        let f = Faults::new(
            None,
            vec![],
            None,
            vec![Forbid {
                group: "".into(),
                resource: "secrets".into(),
                verbs: vec!["get".into(), "list".into()],
                namespace: Some("orders".into()),
            }],
            false,
        );
        assert!(f.forbids("", "secrets", "list", Some("orders")));
        assert!(!f.forbids("", "secrets", "list", Some("billing")));
        assert!(!f.forbids("", "secrets", "watch", Some("orders")));
        let e = forbidden_error("postgresql.cnpg.io", "backups", "list", None, None);
        assert!(e.message.contains("cannot list resource \"backups\" in API group \"postgresql.cnpg.io\" at the cluster scope"));
    }

    #[test]
    fn error_rate_is_a_share_of_requests() {
        let f = Faults::new(
            None,
            vec![ErrorRule {
                path: "/apis/x".into(),
                rate: 0.25,
                code: 503,
            }],
            None,
            vec![],
            false,
        );
        let failed = (0..4000)
            .filter(|_| f.injected_error("/apis/x/v1/things").is_some())
            .count();
        assert!((800..1200).contains(&failed), "{failed} of 4000 failed");
        assert!(f.injected_error("/api/v1/pods").is_none());
    }
}
