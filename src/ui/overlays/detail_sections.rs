//! The detail view of one object: its fields, its conditions verbatim, and the objects it
//! relates to (a Backup's Cluster, ObjectStore and pod; a Kustomization's source and
//! dependencies), all from the Snapshot.

use chrono::{DateTime, Utc};

use crate::assess::Thresholds;
use crate::model::ObjectRef;
use crate::model::kubefmt::human_duration;
use crate::model::rows::{Condition, short_revision};
use crate::model::{Kind, Snapshot, relate};
use crate::ui::panes::Ground;
use crate::ui::panes::{age, short};

pub use super::detail_parts::Section;
use super::detail_parts::{l, section, when};

/// The section of what the status fields claim about each server's window.
const WINDOWS: &str = "Recovery window per server (as the status claims)";

fn conditions(list: &[Condition], now: DateTime<Utc>) -> Section {
    let lines = if list.is_empty() {
        vec![l("", "no conditions reported (status unknown)")]
    } else {
        list.iter()
            .map(|c| {
                (
                    c.kind.clone(),
                    format!(
                        "{} {} {}{}",
                        c.status,
                        c.reason,
                        c.message,
                        c.since
                            .map(|t| format!("  (since {} ago)", age(Some(t), now)))
                            .unwrap_or_default()
                    ),
                )
            })
            .collect()
    };
    section("Conditions", lines)
}

/// Everything the detail view shows for `target`; None when it has gone from the cluster.
pub fn sections(
    s: &Snapshot,
    target: &ObjectRef,
    now: DateTime<Utc>,
    ground: Ground,
    th: &Thresholds,
) -> Option<Vec<Section>> {
    let proofs = ground.proofs;
    if target.kind == Kind::Cluster {
        let mut v = cluster(s, target, now)?;
        // A restore under way comes before everything else it would explain.
        let mut restore = super::detail_restore::sections(s, target, now);
        if let Some(first) = restore.first().filter(|x| !x.lines.is_empty()).cloned() {
            v.insert(1.min(v.len()), first);
            restore.remove(0);
        }
        v.extend(restore);
        v.push(super::detail_ground::archiver(
            ground.archivers,
            target,
            th,
            now,
        ));
        v.retain(|s| !s.lines.is_empty());
        return Some(v);
    }
    if target.kind == Kind::ObjectStore {
        let mut v = object_store(s, target, now)?;
        // What the bucket proves, right after what the status claims.
        let at = v
            .iter()
            .position(|x| x.title == WINDOWS)
            .map_or(v.len(), |i| i + 1);
        for (i, x) in super::detail_ground::store_proofs(proofs, target, now)
            .into_iter()
            .enumerate()
        {
            v.insert(at + i, x);
        }
        v.retain(|s| !s.lines.is_empty());
        return Some(v);
    }
    let of_kind = match target.kind {
        Kind::Pod => pod,
        Kind::ObjectStore => object_store,
        Kind::Backup => backup,
        Kind::Cluster => cluster,
        Kind::Kustomization => kustomization,
        Kind::GitRepository => git_repository,
        _ => return None,
    };
    let mut v = of_kind(s, target, now)?;
    v.retain(|s| !s.lines.is_empty());
    Some(v)
}

fn pod(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let p = s.pods.rows.iter().find(|p| same(&p.namespace, &p.name))?;
    let mut out = vec![section(
        "Pod",
        vec![
            l("status", format!("{} (phase {})", p.status, p.phase)),
            l("ready", format!("{}/{}", p.ready.0, p.ready.1)),
            l("restarts", p.restarts.to_string()),
            l(
                "last termination",
                match (&p.last_termination, p.last_termination_at) {
                    (Some(r), t) => format!("{r} {}", when(t, now)),
                    _ => "-".into(),
                },
            ),
            l("node", p.node.clone().unwrap_or_else(|| "-".into())),
            l("created", when(p.created, now)),
        ],
    )];
    out.push(section(
        "Containers",
        p.images
            .iter()
            .map(|(c, i)| {
                (
                    c.clone(),
                    format!(
                        "{i}{}",
                        if p.sidecars.contains(c) {
                            "  (native sidecar)"
                        } else {
                            ""
                        }
                    ),
                )
            })
            .collect(),
    ));
    out.push(section(
        "Labels",
        p.labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ));
    Some(out)
}

fn object_store(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let o = s
        .object_stores
        .rows
        .iter()
        .find(|o| same(&o.namespace, &o.name))?;
    let mut out = vec![section(
        "ObjectStore",
        vec![
            l("provider", o.provider.clone()),
            l("destination", o.destination.clone()),
            l("endpoint", o.endpoint.clone().unwrap_or_else(|| "-".into())),
            l(
                "retention",
                o.retention.clone().unwrap_or_else(|| "-".into()),
            ),
            l("created", when(o.created, now)),
        ],
    )];
    out.push(section(
        "Credentials (Secret keys referenced; values are read only to list the bucket, never shown)",
        o.secret_refs
            .iter()
            .map(|(n, k)| (n.clone(), k.clone()))
            .collect(),
    ));
    let mut windows = Vec::new();
    for w in &o.servers {
        windows.push((
            format!("{} first point", w.server),
            when(w.first_point, now),
        ));
        windows.push((
            format!("{} last success", w.server),
            when(w.last_success, now),
        ));
        windows.push((
            format!("{} last failure", w.server),
            when(w.last_failure, now),
        ));
    }
    if windows.is_empty() {
        windows.push(l(
            "",
            "no recovery window yet: no successful backup, or a serverName mismatch",
        ));
    }
    out.push(section(WINDOWS, windows));
    let users: Vec<(String, String)> = s
        .clusters
        .rows
        .iter()
        .filter(|c| c.namespace == o.namespace && relate::store_of(c) == Some(o.name.as_str()))
        .map(|c| {
            (
                format!("Cluster {}", c.name),
                format!("server {} · {}", c.server_name(), c.phase),
            )
        })
        .collect();
    out.push(section(
        "Used by",
        if users.is_empty() {
            vec![l("", "no Cluster names this store")]
        } else {
            users
        },
    ));
    Some(out)
}

fn backup(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let b = s
        .backups
        .rows
        .iter()
        .find(|b| same(&b.namespace, &b.name))?;
    let mut out = vec![section(
        "Backup",
        vec![
            l(
                "phase",
                if b.phase.is_empty() {
                    "new (not yet seen by the operator)".into()
                } else {
                    b.phase.clone()
                },
            ),
            l("method", b.method.clone()),
            l("started", when(b.started, now)),
            l("stopped", when(b.stopped, now)),
            l(
                "took",
                b.duration()
                    .map(human_duration)
                    .unwrap_or_else(|| "-".into()),
            ),
            l(
                "backup id",
                b.backup_id.clone().unwrap_or_else(|| "-".into()),
            ),
            l(
                "scheduled by",
                b.scheduled_by.clone().unwrap_or_else(|| "manual".into()),
            ),
        ],
    )];
    if let Some(e) = &b.error {
        out.push(section(
            "Error (verbatim)",
            e.lines().map(|line| l("", line)).collect(),
        ));
    }
    let mut related = Vec::new();
    match s
        .clusters
        .rows
        .iter()
        .find(|c| c.namespace == b.namespace && c.name == b.cluster)
    {
        Some(c) => {
            related.push((format!("Cluster {}", c.name), c.phase.clone()));
            if let Some(store) = c.plugin.as_ref().and_then(|p| p.object_store.clone()) {
                let found = s
                    .object_stores
                    .rows
                    .iter()
                    .any(|o| o.namespace == b.namespace && o.name == store);
                related.push((
                    format!("ObjectStore {store}"),
                    if found {
                        "present".into()
                    } else {
                        "MISSING in this namespace".into()
                    },
                ));
            }
        }
        None => related.push((format!("Cluster {}", b.cluster), "not found".into())),
    }
    if let Some(pod) = &b.pod {
        let state = s
            .pods
            .rows
            .iter()
            .find(|p| p.namespace == b.namespace && &p.name == pod)
            .map(|p| p.status.clone());
        related.push((
            format!("Pod {pod}"),
            state.unwrap_or_else(|| "not found".into()),
        ));
    }
    out.push(section("Related", related));
    Some(out)
}

fn cluster(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let c = s
        .clusters
        .rows
        .iter()
        .find(|c| same(&c.namespace, &c.name))?;
    let plugin = match &c.plugin {
        Some(p) => format!(
            "enabled {} · WAL archiver {} · ObjectStore {} · server {}",
            p.enabled,
            p.wal_archiver,
            relate::store_of(c).unwrap_or("(not set)"),
            c.server_name()
        ),
        None if c.legacy_barman => {
            "none: in-tree spec.backup.barmanObjectStore (deprecated)".into()
        }
        None => "none".into(),
    };
    let mut out = vec![section(
        "Cluster",
        vec![
            l("phase", c.phase.clone()),
            l(
                "reason",
                c.phase_reason.clone().unwrap_or_else(|| "-".into()),
            ),
            l(
                "instances",
                format!(
                    "{} ready of {}",
                    c.ready_instances.unwrap_or(0),
                    c.instances.unwrap_or(0)
                ),
            ),
            l("primary", c.primary.clone().unwrap_or_else(|| "-".into())),
            l("Barman Cloud plugin", plugin),
            l(
                "plugin version",
                c.plugin_version.clone().unwrap_or_else(|| "-".into()),
            ),
        ],
    )];
    out.push(conditions(&c.conditions, now));
    let sbs: Vec<(String, String)> = s
        .scheduled
        .rows
        .iter()
        .filter(|sb| sb.namespace == c.namespace && sb.cluster == c.name)
        .map(|sb| {
            (
                format!("ScheduledBackup {}", sb.name),
                format!(
                    "{} · method {} · {} · last {} · next {}",
                    sb.schedule,
                    sb.method
                        .as_deref()
                        .unwrap_or("barmanObjectStore (default)"),
                    if sb.suspended { "SUSPENDED" } else { "active" },
                    when(sb.last, now),
                    sb.next
                        .map(|n| n.format("%Y-%m-%d %H:%M UTC").to_string())
                        .unwrap_or_else(|| "-".into())
                ),
            )
        })
        .collect();
    out.push(section(
        "Schedules",
        if sbs.is_empty() {
            vec![l("", "no ScheduledBackup")]
        } else {
            sbs
        },
    ));
    // The annotations that switch archiving, reconciliation or the instances off.
    out.push(section(
        "Annotations (cnpg.io)",
        c.annotations
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ));
    out.push(section(
        "Certificates",
        c.certificates
            .iter()
            .map(|cert| {
                let when = match cert.expires {
                    Some(t) if t > now => format!("expires in {}", human_duration(t - now)),
                    Some(t) => format!("EXPIRED {} ago", human_duration(now - t)),
                    None => cert.raw.clone(),
                };
                (cert.secret.clone(), when)
            })
            .collect(),
    ));
    Some(out)
}

fn kustomization(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let k = s
        .kustomizations
        .rows
        .iter()
        .find(|k| same(&k.namespace, &k.name))?;
    let mut out = vec![section(
        "Kustomization",
        vec![
            l("suspended", k.suspended.to_string()),
            l("path", k.path.clone().unwrap_or_else(|| "./".into())),
            l("interval", k.interval.clone().unwrap_or_else(|| "-".into())),
            l(
                "applied revision",
                k.applied.clone().unwrap_or_else(|| "-".into()),
            ),
            l(
                "attempted revision",
                k.attempted.clone().unwrap_or_else(|| "-".into()),
            ),
            l("last reconciled", when(k.last_reconciled, now)),
            l(
                "last handled request",
                k.last_handled.clone().unwrap_or_else(|| "-".into()),
            ),
            l(
                "generation",
                format!(
                    "{} (observed {})",
                    k.generation.unwrap_or(0),
                    k.observed_generation.unwrap_or(-1)
                ),
            ),
            l("inventory", format!("{} objects", k.inventory.len())),
        ],
    )];
    out.push(conditions(&k.conditions, now));
    let mut related = Vec::new();
    let src = &k.source;
    let source_state = s
        .git_repos
        .rows
        .iter()
        .find(|g| src.kind == "GitRepository" && g.namespace == src.namespace && g.name == src.name)
        .map(|g| {
            let ready = g
                .ready()
                .map(|c| format!("Ready {} {}", c.status, c.reason))
                .unwrap_or_else(|| "Ready unknown".into());
            format!(
                "{ready} · {}",
                g.revision
                    .as_deref()
                    .map(short_revision)
                    .unwrap_or_else(|| "no artifact".into())
            )
        })
        .unwrap_or_else(|| "not found".into());
    related.push((
        format!("source {} {}/{}", src.kind, src.namespace, src.name),
        source_state,
    ));
    for (ns, name) in &k.depends_on {
        let dep = s
            .kustomizations
            .rows
            .iter()
            .find(|d| &d.namespace == ns && &d.name == name);
        let state = dep
            .and_then(|d| d.ready())
            .map(|c| format!("Ready {} {} {}", c.status, c.reason, short(&c.message, 80)))
            .unwrap_or_else(|| "not found".into());
        related.push((format!("depends on {ns}/{name}"), state));
    }
    out.push(section("Related", related));
    Some(out)
}

fn git_repository(s: &Snapshot, target: &ObjectRef, now: DateTime<Utc>) -> Option<Vec<Section>> {
    let same = |ns: &str, name: &str| ns == target.namespace && name == target.name;
    let g = s
        .git_repos
        .rows
        .iter()
        .find(|g| same(&g.namespace, &g.name))?;
    let mut out = vec![section(
        "GitRepository",
        vec![
            l("url", g.url.clone()),
            l("ref", g.reference.clone().unwrap_or_else(|| "-".into())),
            l("revision", g.revision.clone().unwrap_or_else(|| "-".into())),
            l("suspended", g.suspended.to_string()),
        ],
    )];
    out.push(conditions(&g.conditions, now));
    let users: Vec<(String, String)> = s
        .kustomizations
        .rows
        .iter()
        .filter(|k| k.source.name == g.name && k.source.namespace == g.namespace)
        .map(|k| {
            (
                format!("Kustomization {}", k.name),
                k.applied.as_deref().map(short_revision).unwrap_or_default(),
            )
        })
        .collect();
    out.push(section("Used by", users));
    Some(out)
}
