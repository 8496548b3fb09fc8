//! `server stripe sync` and `server stripe seed [FILE]`: talk to the configured Stripe (or the
//! emulator) from the command line, printing each step.

use std::path::PathBuf;

use anyhow::Context;
use backend::{billing, AppState, Config};
use clap::Subcommand;

/// Stripe operations.
#[derive(Debug, Subcommand)]
pub enum StripeCommand {
    /// Make the database match Stripe: every product and price (removing what Stripe no longer
    /// has) and every customer's subscriptions.
    Sync,
    /// Create a catalog in Stripe from a JSON file (the demo catalog when no file is given).
    /// Safe to run again: existing products are updated, existing prices kept.
    Seed {
        /// A catalog file in the format of `backend/seed/catalog.json`.
        file: Option<PathBuf>,
    },
}

impl StripeCommand {
    /// Runs the command against the configured Stripe and database.
    pub async fn run(self, config: Config) -> anyhow::Result<()> {
        let pool = backend::db::pool(&config)?;
        backend::db::migrate(&pool)
            .await
            .context("applying database migrations")?;
        let target = config.stripe.api_base.to_string();
        let state = AppState::new(config, pool).context("building the application state")?;
        let progress = |line: &str| println!("  {line}");
        match self {
            StripeCommand::Sync => {
                println!("Syncing from Stripe at {target}");
                let report = billing::sync::run(&state, &progress)
                    .await
                    .context("syncing from Stripe")?;
                println!(
                    "Done: {} products, {} prices, {} subscriptions; {} removed.",
                    report.products, report.prices, report.subscriptions, report.removed
                );
            }
            StripeCommand::Seed { file } => {
                let text = match &file {
                    Some(path) => std::fs::read_to_string(path)
                        .with_context(|| format!("reading {}", path.display()))?,
                    None => billing::seed::DEMO_CATALOG.to_owned(),
                };
                let catalog = billing::seed::parse(&text)?;
                println!("Seeding the catalog into Stripe at {target}");
                billing::seed::run(&state.stripe, &catalog, &progress)
                    .await
                    .context("seeding the catalog")?;
                println!("Syncing it into the database");
                billing::sync::catalog_only(&state, &progress)
                    .await
                    .context("syncing the catalog")?;
                println!("Done.");
            }
        }
        Ok(())
    }
}

/// With `SEED_DEMO_CATALOG=true` (`cargo xtask dev`): seed the demo catalog and sync it in the
/// background at start-up, so a fresh machine shows a full pricing page.
pub async fn seed_demo_catalog(state: AppState) {
    let progress = |line: &str| tracing::info!("demo catalog: {line}");
    let result = async {
        let catalog = billing::seed::parse(billing::seed::DEMO_CATALOG)?;
        billing::seed::run(&state.stripe, &catalog, &progress).await?;
        billing::sync::catalog_only(&state, &progress).await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(error) = result {
        tracing::error!(error.cause_chain = ?error, "seeding the demo catalog failed; run `server stripe seed`");
    }
}
