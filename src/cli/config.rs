//! `backstop config example`: the config file's documentation, as a file to start from.

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print a config file that lists every key, each with a comment, at its default
    /// (`backstop config example > ~/.config/backstop/config.yaml` starts yours).
    Example,
}

pub fn run(cmd: ConfigCommand) -> anyhow::Result<i32> {
    match cmd {
        ConfigCommand::Example => {
            // Our own text, embedded in the binary: nothing from outside to clean.
            super::print_raw(crate::config::EXAMPLE.trim_end())?;
            Ok(0)
        }
    }
}
