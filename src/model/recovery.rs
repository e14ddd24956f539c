//! A Cluster's recovery bootstrap as CloudNativePG reads it, and the restore drills backstop
//! records on a source Cluster. Lenient: every field optional, unknown values kept as text.

use chrono::{DateTime, Utc};

use super::bucket::StoreAccess;

/// `spec.bootstrap.recovery`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recovery {
    /// `recovery.source`: the `externalClusters` entry restored from.
    pub source: Option<String>,
    /// `recovery.backup.name`: a Backup object in the Cluster's namespace.
    pub backup_name: Option<String>,
    pub target: RecoveryTarget,
    /// The `externalClusters` entry `source` names; None when there is no such entry.
    pub origin: Option<RecoveryOrigin>,
}

/// `recovery.recoveryTarget`, as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecoveryTarget {
    pub backup_id: Option<String>,
    /// As written: CloudNativePG reads a time without an offset as UTC.
    pub target_time: Option<String>,
    pub target_lsn: Option<String>,
    pub target_xid: Option<String>,
    pub target_name: Option<String>,
    pub target_immediate: bool,
    pub target_tli: Option<String>,
    pub exclusive: Option<bool>,
}

impl RecoveryTarget {
    /// How a person names the target: "latest", "time 2026-…", "backup <id> (immediate)".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(t) = &self.target_time {
            parts.push(format!("time {t}"));
        }
        if let Some(l) = &self.target_lsn {
            parts.push(format!("LSN {l}"));
        }
        if let Some(x) = &self.target_xid {
            parts.push(format!("xid {x}"));
        }
        if let Some(n) = &self.target_name {
            parts.push(format!("restore point {n}"));
        }
        if self.target_immediate {
            parts.push("immediate".into());
        }
        if let Some(b) = &self.backup_id {
            parts.push(format!("backup {b}"));
        }
        if parts.is_empty() {
            "latest".into()
        } else {
            parts.join(", ")
        }
    }

    /// A target past which PostgreSQL must replay to (not the end of the archive).
    pub fn is_point_in_time(&self) -> bool {
        self.target_time.is_some()
            || self.target_lsn.is_some()
            || self.target_xid.is_some()
            || self.target_name.is_some()
    }
}

/// The `externalClusters` entry a recovery reads from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RecoveryOrigin {
    pub name: String,
    /// `plugin`: the CNPG-I plugin the entry names, with its parameters.
    pub plugin: Option<PluginSource>,
    /// `barmanObjectStore`: the in-tree store.
    pub barman: Option<InTreeSource>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct PluginSource {
    /// `plugin.name`.
    pub name: String,
    /// `plugin.parameters.barmanObjectName`.
    pub store: Option<String>,
    /// `plugin.parameters.serverName`, as written.
    pub server_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct InTreeSource {
    pub destination: String,
    /// `barmanObjectStore.serverName`, as written.
    pub server_name: Option<String>,
    pub access: StoreAccess,
}

impl Recovery {
    /// The server name the restore reads under. The Barman Cloud plugin defaults it to the
    /// name of the Cluster being created (plugin-barman-cloud
    /// `internal/cnpgi/operator/config/config.go`), the in-tree path to the entry's name
    /// (cloudnative-pg `api/v1/cluster_funcs.go` `ExternalCluster.GetServerName`).
    pub fn server_name(&self, cluster: &str) -> Option<String> {
        let o = self.origin.as_ref()?;
        if let Some(p) = &o.plugin {
            return Some(p.server_name.clone().unwrap_or_else(|| cluster.to_string()));
        }
        let b = o.barman.as_ref()?;
        Some(b.server_name.clone().unwrap_or_else(|| o.name.clone()))
    }

    /// The ObjectStore a plugin origin reads from.
    pub fn plugin_store(&self) -> Option<&str> {
        self.origin.as_ref()?.plugin.as_ref()?.store.as_deref()
    }
}

/// `backstop.dev/last-drill` on a source Cluster: the last restore drill backstop ran.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DrillRecord {
    pub at: Option<DateTime<Utc>>,
    /// "passed", "failed", or whatever else was written.
    pub result: String,
    pub reason: Option<String>,
    pub rto_seconds: Option<i64>,
    pub rpo_seconds: Option<i64>,
    /// "latest", an RFC3339 time or "backup <id>".
    pub target: Option<String>,
    /// The drill's scratch namespace.
    pub namespace: Option<String>,
    /// The annotation's text (shortened) when it is not the JSON backstop writes.
    pub unreadable: Option<String>,
}

impl DrillRecord {
    pub fn passed(&self) -> bool {
        self.result == "passed"
    }
}

/// The annotation backstop writes after each drill, and the one it adds when it passed.
pub const LAST_DRILL: &str = "backstop.dev/last-drill";
pub const LAST_PASSED_DRILL: &str = "backstop.dev/last-passed-drill";
/// A drill's scratch namespaces start with this.
pub const DRILL_NAMESPACE_PREFIX: &str = "backstop-drill-";

/// The longest text kept of a field or an unreadable annotation.
const MAX_TEXT: usize = 300;

fn bounded(s: &str) -> String {
    let mut out: String = s.chars().take(MAX_TEXT).collect();
    if s.chars().count() > MAX_TEXT {
        out.push('…');
    }
    out
}

/// An RFC3339 time; a bare date counts as its midnight UTC.
pub fn lenient_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
        .or_else(|| {
            chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc())
        })
}

/// Reads `backstop.dev/last-drill`. Text is taken as it is; the caller cleans it.
pub fn parse_drill(raw: &str) -> DrillRecord {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(raw) else {
        return DrillRecord {
            unreadable: Some(bounded(raw)),
            ..Default::default()
        };
    };
    let Some(obj) = v.as_object() else {
        return DrillRecord {
            unreadable: Some(bounded(raw)),
            ..Default::default()
        };
    };
    let text = |k: &str| {
        obj.get(k).and_then(|v| match v {
            serde_json::Value::String(s) if !s.is_empty() => Some(bounded(s)),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    };
    let seconds = |k: &str| {
        obj.get(k).and_then(|v| {
            v.as_i64()
                .or_else(|| v.as_f64().map(|f| f as i64))
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
        })
    };
    DrillRecord {
        at: text("at").and_then(|t| lenient_time(&t)),
        result: text("result").unwrap_or_default().to_ascii_lowercase(),
        reason: text("reason"),
        rto_seconds: seconds("rtoSeconds"),
        rpo_seconds: seconds("rpoSeconds"),
        target: text("target"),
        namespace: text("namespace"),
        unreadable: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drill_records_are_read_leniently() {
        let d = parse_drill(
            r#"{"at":"2026-11-20T03:00:00Z","result":"failed","reason":"recovery pod OOMKilled","rtoSeconds":"412","rpoSeconds":31.5,"target":"latest","namespace":"backstop-drill-pg-orders-a1b2c3","extra":true}"#,
        );
        assert_eq!(d.at, lenient_time("2026-11-20T03:00:00Z"));
        assert!(!d.passed());
        assert_eq!(d.reason.as_deref(), Some("recovery pod OOMKilled"));
        assert_eq!((d.rto_seconds, d.rpo_seconds), (Some(412), Some(31)));
        let garbage = parse_drill("passed yesterday");
        assert_eq!(garbage.unreadable.as_deref(), Some("passed yesterday"));
        assert_eq!(
            lenient_time("2026-11-01"),
            lenient_time("2026-11-01T00:00:00Z")
        );
        assert!(parse_drill(r#"{"result":"PASSED"}"#).passed());
    }

    #[test]
    fn the_server_name_defaults_as_each_path_does() {
        let plugin = Recovery {
            source: Some("origin".into()),
            origin: Some(RecoveryOrigin {
                name: "origin".into(),
                plugin: Some(PluginSource {
                    name: "barman-cloud.cloudnative-pg.io".into(),
                    store: Some("minio".into()),
                    server_name: None,
                }),
                barman: None,
            }),
            ..Default::default()
        };
        assert_eq!(plugin.server_name("pg-new").as_deref(), Some("pg-new"));
        let in_tree = Recovery {
            origin: Some(RecoveryOrigin {
                name: "origin".into(),
                plugin: None,
                barman: Some(InTreeSource::default()),
            }),
            ..Default::default()
        };
        assert_eq!(in_tree.server_name("pg-new").as_deref(), Some("origin"));
        assert_eq!(RecoveryTarget::default().describe(), "latest");
    }
}
