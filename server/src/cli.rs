//! Command-line interface: `server serve` (the default) and `server migrate`.

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::startup::{shutdown_signal, Application};

/// Tollgate's server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the app (address from `LEPTOS_SITE_ADDR`).
    Serve {
        /// Do not apply migrations at start-up (when they run as a separate release step).
        #[arg(long)]
        skip_migrations: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
}

impl Command {
    /// Runs the subcommand to completion.
    pub async fn run(self, config: backend::Config) -> anyhow::Result<()> {
        match self {
            Command::Serve { skip_migrations } => {
                let leptos = leptos::prelude::get_configuration(None)
                    .context("reading the Leptos configuration")?
                    .leptos_options;
                let app = Application::build(config, leptos, !skip_migrations).await?;
                tracing::info!(address = %app.local_addr(), "listening");
                app.run_until(shutdown_signal()).await
            }
            Command::Migrate => {
                let pool = backend::db::pool(&config)?;
                backend::db::migrate(&pool)
                    .await
                    .context("applying migrations")?;
                tracing::info!("migrations applied");
                Ok(())
            }
        }
    }
}
