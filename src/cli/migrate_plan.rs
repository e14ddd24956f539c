//! `backstop migrate plan`: the in-tree → plugin migration of one, several or every legacy
//! Cluster, gated, with a copy of everything it changes saved first; printed, written as a
//! script of kubectl commands, or written into the GitOps checkout that declares them.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use serde_json::{Value, json};

use super::ConnectArgs;
use crate::files::write_atomically;
use crate::migrate::{self, Ask, MigrationPlan, Which, render};

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// The Clusters: NAME (in --namespace or the context's namespace) or NAMESPACE/NAME.
    #[arg(
        value_name = "CLUSTER",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub clusters: Vec<String>,
    /// Every Cluster that still archives in-tree, in every namespace.
    #[arg(long)]
    pub all: bool,
    /// A GitOps checkout: write the change where each object is declared there (Kustomize files and overlays), nothing else.
    #[arg(long, value_name = "PATH")]
    pub repo: Option<PathBuf>,
    /// With --repo: write the change as a patch (`git apply`) instead of into the files.
    #[arg(long, value_name = "FILE", requires = "repo")]
    pub patch: Option<PathBuf>,
    /// Where the copy of every object the plan changes is saved (what `migrate rollback` reads).
    #[arg(long, value_name = "DIR", default_value = crate::migrate::rollback::saved::DEFAULT_DIR)]
    pub backup_dir: PathBuf,
    /// The ObjectStore's name (one Cluster only; default NAME-store).
    #[arg(long, value_name = "NAME")]
    pub store_name: Option<String>,
    /// Write the kubectl commands as a shell script, in the order that works.
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Write the migrated objects as Git should declare them (ObjectStores, Clusters, ScheduledBackups).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print only those objects.
    #[arg(long, conflicts_with = "json")]
    pub yaml: bool,
    /// Print the plan as JSON (gates, changes, commands).
    #[arg(long)]
    pub json: bool,
}

fn which(args: &PlanArgs, default_ns: &str) -> anyhow::Result<Which> {
    if args.all {
        return Ok(Which::All);
    }
    let out = args
        .clusters
        .iter()
        .map(|c| super::common::cluster_ref(c, default_ns))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if args.store_name.is_some() && out.len() != 1 {
        anyhow::bail!("--store-name names one ObjectStore: give exactly one Cluster");
    }
    Ok(Which::Named(out))
}

/// Why an asked-for Cluster is not in the plan.
fn not_planned(g: &migrate::Gathered, plan: &MigrationPlan) -> Vec<String> {
    g.clusters
        .iter()
        .filter_map(|c| {
            let ns = c.pointer("/metadata/namespace").and_then(Value::as_str)?;
            let name = c.pointer("/metadata/name").and_then(Value::as_str)?;
            if plan.clusters.iter().any(|p| p.legacy.namespace == ns && p.legacy.name == name) {
                return None;
            }
            let plugin = c
                .pointer("/spec/plugins")
                .and_then(Value::as_array)
                .is_some_and(|p| {
                    p.iter().any(|x| {
                        x.get("name").and_then(Value::as_str)
                            == Some(crate::model::domain::PLUGIN_NAME)
                    })
                });
            Some(if plugin {
                format!("Cluster {ns}/{name} already archives through the Barman Cloud plugin: nothing to migrate")
            } else {
                format!("Cluster {ns}/{name} has no spec.backup.barmanObjectStore: nothing to migrate")
            })
        })
        .collect()
}

/// Saves the copy of each Cluster's objects; (cluster id, path) of each file.
fn save(
    plan: &MigrationPlan,
    dir: &Path,
    context: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for cp in &plan.clusters {
        let path = dir
            .join(&cp.legacy.namespace)
            .join(format!("{}.pre-migration.yaml", cp.legacy.name));
        write_atomically(&path, &render::pre_migration(cp, context, now)).with_context(|| {
            format!(
                "saving Cluster {} before the migration (--backup-dir {})",
                cp.id(),
                dir.display()
            )
        })?;
        out.push((cp.id(), path.display().to_string()));
    }
    Ok(out)
}

fn json_of(plan: &MigrationPlan, saved: &[(String, String)]) -> Value {
    json!({
        "ready": !plan.blocked(),
        "gates": plan.gates,
        "saved": saved.iter().map(|(c, p)| json!({"cluster": c, "path": p})).collect::<Vec<_>>(),
        "clusters": plan.clusters.iter().map(|cp| json!({
            "cluster": cp.id(),
            "objectStore": cp.store,
            "newObjectStores": cp.new_stores,
            "clusterPatch": cp.cluster_patch,
            "scheduledBackups": cp.scheduled.iter().map(|(n, _, p)| json!({"name": n, "patch": p})).collect::<Vec<_>>(),
            "flux": cp.flux.as_ref().map(|(ns, n)| format!("{ns}/{n}")),
            "commands": render::commands(cp),
        })).collect::<Vec<_>>(),
    })
}

pub async fn plan_cmd(args: PlanArgs, connect_args: ConnectArgs) -> anyhow::Result<i32> {
    let (client, default_ns, context) = super::common::connect(&connect_args).await?;
    let which = which(&args, &default_ns)?;
    let gathered = migrate::gather(&client, &which)
        .await
        .map_err(|e| anyhow::anyhow!(e))?;
    let now = chrono::Utc::now();
    let ask = Ask {
        store_name: args.store_name.clone(),
        to_git: args.repo.is_some(),
    };
    let plan = migrate::plan(&gathered, &ask, now);
    let skipped = not_planned(&gathered, &plan);
    if plan.clusters.is_empty() {
        let mut msg = skipped.join("\n");
        if msg.is_empty() {
            msg = "No Cluster archives with spec.backup.barmanObjectStore: nothing to migrate."
                .into();
        }
        super::print(&msg)?;
        return Ok(0);
    }
    let saved = save(&plan, &args.backup_dir, &context, now)?;
    let repo_note = match &args.repo {
        Some(repo) => Some(
            crate::migrate::repo_write::write(&plan, repo, args.patch.as_deref())
                .map_err(|e| anyhow::anyhow!(e))?,
        ),
        None => None,
    };
    if let Some(path) = &args.script {
        write_atomically(path, &render::script(&plan, now))
            .with_context(|| format!("writing the script {}", path.display()))?;
    }
    if let Some(path) = &args.output {
        write_atomically(path, &render::declared_yaml(&plan))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if args.yaml {
        super::print_raw(&render::declared_yaml(&plan))?;
    } else if args.json {
        let text = serde_json::to_string_pretty(&json_of(&plan, &saved))
            .context("writing the plan as JSON")?;
        super::print_raw(&text)?;
    } else {
        let mut text = render::text(&plan, &saved, repo_note.as_deref());
        for s in &skipped {
            text.push_str(&format!("\n{s}"));
        }
        if let Some(path) = &args.script {
            text.push_str(&format!("\nScript: {} (sh {0})", path.display()));
        }
        if let Some(path) = &args.output {
            text.push_str(&format!("\nManifests for Git: {}", path.display()));
        }
        super::print(&text)?;
    }
    Ok(if plan.blocked() { 2 } else { 0 })
}
