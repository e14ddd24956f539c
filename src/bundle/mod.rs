//! Incident bundles (`backstop report`): one .tar.gz holding what a backup incident needs,
//! the objects of every kind backstop knows, the events, bounded log tails, the check in
//! JSON and Markdown, the ground truth (bucket and archiver readings), the last walk's
//! transcript, and a manifest of what was and was not read. It is also a scenario: `check
//! --dump`, `demo --scenario` and `sim serve --scenario` load it whole. Written entry by
//! entry as it is read, so a large cluster never sits in memory as text.
//!
//! Layout: `manifest.json`, `scenario.yaml`, `objects/<plural>[.<group>]/<NNNN>.yaml` (each
//! a `kind: List` page), `logs/<namespace>/<pod>/<container>.log`, `check.json`,
//! `check.md`, `ground.json`, `transcript.md` (when there is a walk).

pub mod anonymize;
pub mod logs;
pub mod objects;
pub mod scenario;
pub mod take;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::archive::TarGzWriter;

/// The bundle format this build writes.
pub const FORMAT: &str = "backstop-bundle/v1";

/// What a bundle says about itself.
#[derive(Debug, Clone, Serialize, serde::Deserialize, Default)]
pub struct Manifest {
    pub format: String,
    pub taken_at: String,
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
    pub backstop_version: String,
    pub since_seconds: Option<i64>,
    /// Objects per kind.
    pub objects: std::collections::BTreeMap<String, usize>,
    pub logs: Vec<LogEntry>,
    /// Kinds this cluster does not serve (their CRDs are not installed).
    pub not_installed: Vec<String>,
    /// What could not be read, and why.
    pub unread: Vec<Unread>,
    /// What a bound cut short.
    pub cut: Vec<String>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct LogEntry {
    pub pod: String,
    pub container: String,
    pub lines: usize,
    pub cut: bool,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Unread {
    pub what: String,
    pub why: String,
}

/// Where the bundle is taken from.
#[derive(Debug, Clone)]
pub struct Source {
    pub context: String,
    pub server: String,
    pub namespace: Option<String>,
}

/// What the caller already rendered (the check's report, the ground truth, a walk).
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub check_json: String,
    pub check_md: String,
    pub ground_json: String,
    pub transcript: Option<String>,
    /// The finding codes of the check: the scenario's `expect`.
    pub expect: Vec<String>,
}

/// Progress, as it happens, for a bar or counters.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The cluster is being read and checked, as `backstop check` does.
    Checking,
    /// A page of a kind was written: the kind and its objects so far.
    Objects { kind: String, so_far: usize },
    /// A log was read: how many of how many.
    Logs { done: usize, of: usize },
    /// Everything is written; the archive is being finished.
    Finishing,
}

/// The most uncompressed bytes a bundle holds; past it, logs are left out (named in the
/// manifest's `cut`) rather than the bundle failing.
pub const MAX_BYTES: u64 = 1024 * 1024 * 1024;

/// Writes the bundle of the cluster behind `client` to `out`: the objects and logs read
/// now, with the caller's `rendered` parts and the facts' archiver readings. Whole or not at
/// all: an error leaves no file at `out`.
#[allow(clippy::too_many_arguments)]
pub async fn write(
    client: &kube::Client,
    source: &Source,
    taken_at: DateTime<Utc>,
    facts: &crate::model::facts::Facts,
    rendered: Rendered,
    bounds: logs::Bounds,
    out: &std::path::Path,
    mut progress: impl FnMut(Progress),
) -> anyhow::Result<Manifest> {
    let mut tar = TarGzWriter::create(out, taken_at.timestamp().max(0) as u64)?;
    let mut manifest = Manifest {
        format: FORMAT.into(),
        taken_at: taken_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        context: source.context.clone(),
        server: source.server.clone(),
        namespace: source.namespace.clone(),
        backstop_version: env!("CARGO_PKG_VERSION").into(),
        since_seconds: bounds.since_seconds,
        ..Manifest::default()
    };

    let listed = objects::list_all(client, source.namespace.as_deref(), |l, n, items| {
        let count = items.len();
        let yaml = objects::page_yaml(items)?;
        tar.add(&objects::page_path(l, n), &yaml)?;
        let so_far = manifest.objects.entry(l.kind.clone()).or_default();
        *so_far += count;
        progress(Progress::Objects {
            kind: l.kind.clone(),
            so_far: *so_far,
        });
        Ok(())
    })
    .await?;
    for (kind, _, why) in listed {
        match why {
            Some(objects::Why::NotServed) => manifest.not_installed.push(kind),
            Some(objects::Why::Failed(why)) => manifest.unread.push(Unread { what: kind, why }),
            None => {}
        }
    }

    let targets = logs::targets(&facts.snapshot);
    let of = targets.len();
    let mut done = 0usize;
    let mut write_error: Option<anyhow::Error> = None;
    logs::read(client, targets, bounds, |log| {
        done += 1;
        progress(Progress::Logs { done, of });
        let what = format!("{}/{} {}", log.namespace, log.pod, log.container);
        match &log.lines {
            Err(why) => manifest.unread.push(Unread {
                what: format!("log of {what}"),
                why: why.clone(),
            }),
            Ok(lines) => {
                let mut text = lines.join("\n");
                text.push('\n');
                if tar.written + text.len() as u64 > MAX_BYTES {
                    manifest.cut.push(format!(
                        "log of {what}: left out, the bundle reached {} MiB",
                        MAX_BYTES / (1024 * 1024)
                    ));
                    return;
                }
                if log.cut {
                    manifest.cut.push(format!(
                        "log of {what}: the last {} lines (or {} KiB) only",
                        bounds.lines,
                        bounds.bytes / 1024
                    ));
                }
                if let Err(e) = tar.add(&log.path(), text.as_bytes()) {
                    write_error.get_or_insert(e);
                }
                manifest.logs.push(LogEntry {
                    pod: format!("{}/{}", log.namespace, log.pod),
                    container: log.container.clone(),
                    lines: lines.len(),
                    cut: log.cut,
                });
            }
        }
    })
    .await;
    if let Some(e) = write_error {
        return Err(e);
    }
    manifest
        .logs
        .sort_by(|a, b| (&a.pod, &a.container).cmp(&(&b.pod, &b.container)));

    let name = format!(
        "bundle-{}-{}",
        source.context,
        taken_at.format("%Y%m%dT%H%M%SZ")
    );
    let description = format!(
        "Incident bundle of context {} ({}) taken {} by backstop {}",
        source.context,
        source.server,
        manifest.taken_at,
        env!("CARGO_PKG_VERSION")
    );
    tar.add(
        "scenario.yaml",
        &scenario::document(
            &name,
            &description,
            taken_at,
            &rendered.expect,
            &facts.archivers,
        )?,
    )?;
    tar.add("check.json", rendered.check_json.as_bytes())?;
    tar.add("check.md", rendered.check_md.as_bytes())?;
    tar.add("ground.json", rendered.ground_json.as_bytes())?;
    if let Some(t) = &rendered.transcript {
        tar.add("transcript.md", t.as_bytes())?;
    }
    tar.add("manifest.json", &serde_json::to_vec_pretty(&manifest)?)?;
    progress(Progress::Finishing);
    tar.finish()?;
    Ok(manifest)
}
