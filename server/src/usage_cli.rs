//! `server usage reconcile`: the nightly usage reconciliation, by hand — each account's usage
//! reported in the last 30 days compared with Stripe's meter event summaries; each difference
//! recorded (the console lists them) and printed. Exits 1 when one is found.

use anyhow::Context;
use backend::{usage::reconcile, Config};
use clap::Subcommand;

/// Usage commands.
#[derive(Debug, Subcommand)]
pub enum UsageCommand {
    /// Compare our reported usage with Stripe's meter event summaries now.
    Reconcile,
}

impl UsageCommand {
    /// Runs the command to completion.
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        let Self::Reconcile = self;
        let state = crate::cli::migrated_state(config).await?;
        let Some(found) = reconcile::run_locked(&state)
            .await
            .context("reconciling the usage")?
        else {
            anyhow::bail!("another replica is reconciling the usage right now");
        };
        for difference in &found {
            println!(
                "{} {}: {} here, {} in Stripe",
                difference.account_id, difference.meter, difference.ours, difference.stripes
            );
        }
        anyhow::ensure!(
            found.is_empty(),
            "{} usage difference(s) with Stripe, recorded for the console",
            found.len()
        );
        println!("usage matches Stripe's meter event summaries");
        Ok(())
    }
}
