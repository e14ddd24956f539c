//! A restore drill: the plan run for real in a scratch namespace, followed to a healthy
//! primary or a named failure, verified, measured (RTO, RPO), torn down, recorded.

pub mod observe;
pub mod record;
pub mod report;
pub mod run;
pub mod scratch;
pub mod verify;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::plan::Ask;
use super::target::Target;

pub use record::{DrillRecord, Verdict};
pub use run::{DrillOptions, Progress, run};

/// How long a drill's namespace may live before a later run treats it as stale.
pub const TTL: chrono::Duration = chrono::Duration::hours(2);

/// The request a drill plans: one instance, restored into a fresh scratch namespace.
pub fn ask(
    source_ns: &str,
    source: &str,
    target: Target,
    from_backup: Option<String>,
    now: DateTime<Utc>,
    suffix: u32,
) -> Ask {
    let mut ask = Ask::new(target);
    ask.from_backup = from_backup;
    ask.into = Some((
        scratch::namespace_name(source, suffix),
        scratch::cluster_name(source),
    ));
    ask.instances = Some(1);
    ask.labels = scratch::labels(source_ns, source);
    ask.annotations.insert(
        scratch::EXPIRES_AT.into(),
        json!((now + TTL).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    );
    ask
}
