//! `server seats reconcile`: the nightly seat reconciliation, by hand — every per-seat
//! subscription, as Stripe bills it, compared with its organization's members; each difference
//! fixed and recorded (the console lists them). Exits 1 when one could not be read or fixed.

use anyhow::Context;
use backend::{organizations::seats, Config};
use clap::Subcommand;

/// Seat commands.
#[derive(Debug, Subcommand)]
pub enum SeatsCommand {
    /// Compare every per-seat subscription with its members now, and fix what drifted.
    Reconcile,
}

impl SeatsCommand {
    /// Runs the command to completion.
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        let Self::Reconcile = self;
        let state = crate::cli::migrated_state(config).await?;
        let Some(report) = seats::run_locked(&state)
            .await
            .context("reconciling the seats")?
        else {
            anyhow::bail!("another replica is reconciling the seats right now");
        };
        println!(
            "{} per-seat subscriptions checked, {} had drifted and were fixed, {} could not be checked",
            report.checked, report.drifted, report.failed
        );
        anyhow::ensure!(
            report.failed == 0,
            "some seats could not be reconciled; see the log"
        );
        Ok(())
    }
}
