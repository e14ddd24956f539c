//! `backstop migrate`: the in-tree → Barman Cloud plugin migration.

use clap::Subcommand;

use super::ConnectArgs;
use super::migrate_plan::{PlanArgs, plan_cmd};

#[derive(Debug, Subcommand)]
pub enum MigrateCommand {
    /// Plan the move from spec.backup.barmanObjectStore to the Barman Cloud plugin: gates, the ObjectStore, the Cluster's one change, its schedules; saved copies first; kubectl commands, a script, or the edit in your GitOps checkout.
    #[command(
        after_long_help = "Exit codes: 0 planned (gates passed or only warned), 2 not ready (a gate failed), 3 the cluster or a flag could not be read."
    )]
    Plan(PlanArgs),
}

pub fn run(cmd: MigrateCommand, connect: ConnectArgs) -> anyhow::Result<i32> {
    let runtime = super::common::runtime()?;
    let result = runtime.block_on(async {
        match cmd {
            MigrateCommand::Plan(args) => plan_cmd(args, connect).await,
        }
    });
    runtime.shutdown_background();
    result
}
