//! `server partners pay`: the partner pay run, by hand — recover what refunds took back from
//! paid commissions, then transfer everything payable (what the daily run does). Prints what
//! it did; exits 1 when a transfer was refused or left unsettled, so a scheduler notices.

use anyhow::Context;
use backend::{partners::payrun, Config};
use clap::Subcommand;

/// The partner program's commands.
#[derive(Debug, Subcommand)]
pub enum PartnersCommand {
    /// Run the pay run now.
    Pay,
}

impl PartnersCommand {
    /// Runs the command to completion.
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        let Self::Pay = self;
        anyhow::ensure!(
            config.partners_enabled,
            "the partner program is off (PARTNERS_ENABLED=false): nothing to pay"
        );
        let state = crate::cli::migrated_state(config).await?;
        let report = payrun::run_now(&state, payrun::Trigger::Command)
            .await
            .context("running the pay run")?;
        print!("{}", report.summary());
        anyhow::ensure!(
            report.refused.is_empty() && report.unsettled.is_empty(),
            "some partners were not paid; the next run tries again"
        );
        Ok(())
    }
}
