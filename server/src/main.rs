//! The `server` binary: reads configuration, sets up telemetry and runs a subcommand.

use anyhow::Context;
use clap::Parser;

use backend::stripe::StripeConfig;
use server::{cli::Cli, telemetry};

/// mimalloc instead of glibc's malloc: see `server/Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = Cli::parse().command();
    if command.calls_stripe_only() {
        // Needs neither a database nor a webhook secret: only what calling Stripe takes.
        let stripe = StripeConfig::calls_only_from_env().context("invalid configuration")?;
        telemetry::init_to_stderr();
        return server::stripe_contract::run(&stripe).await;
    }
    let config = backend::Config::from_env().context("invalid configuration")?;
    telemetry::init(config.log_format);
    command.run(config).await
}
