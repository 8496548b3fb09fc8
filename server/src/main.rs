//! The `server` binary: reads configuration, sets up telemetry and runs a subcommand.

use anyhow::Context;
use clap::Parser;

use server::{
    cli::{Cli, Start},
    telemetry,
};

/// mimalloc instead of glibc's malloc: see `server/Cargo.toml`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = match Cli::parse().command().start().await {
        Start::Done(result) => return result,
        Start::WithConfig(command) => command,
    };
    let config = backend::Config::from_env().context("invalid configuration")?;
    telemetry::init(config.log_format);
    command.run(config).await
}
