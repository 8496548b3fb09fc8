//! `cargo xtask`: the project's two commands and their helpers.
//!
//! - `cargo xtask dev`: install what is missing, start Postgres, serve with live reload.
//! - `cargo xtask test`: the same preparation, then every check CI runs.
//! - `cargo xtask prepare`: refresh the committed sqlx offline data (`.sqlx/`).
//! - `cargo xtask screenshots [--check]`: refresh (or compare with) the committed screenshot
//!   baselines.
//! - `cargo xtask e2e SPEC…`: only the Playwright journeys whose files match.
//! - `cargo xtask contract`: check that Stripe (the emulator, or a test-mode account) behaves as
//!   Tollgate expects.
//! - `cargo xtask release`: the production build.
//! - `cargo xtask image [--save FILE] [--check]`: the production container image (podman).
//! - `cargo xtask bench`: the benchmarks, written to `BENCHMARKS.md`.
//! - `cargo xtask soak`: the reliability suite at full size and the fuzzers, written to
//!   `RELIABILITY.md`.
//!
//! Modules: [`tools`] (pinned tool installs), [`site`] (the site's layout and its browser half
//! built without cargo-leptos), [`watch`] and [`live_reload`] (the dev loop's edits and page
//! reloads), [`lint`] (clippy inside the real builds), [`sqlx_check`] (the `.sqlx/` check inside
//! the test build), [`contract`] (the Stripe contract run),
//! [`postgres`] (the project-local cluster), [`image`] (the container image and the checks of
//! `deploy/`), [`compress`] (precompressed assets), [`e2e`] (the
//! Playwright run), [`bench`] (the benchmarks), [`soak`] and [`fuzz`] (the reliability run),
//! [`provenance`] (date, machine and commit for reports), [`process`] (child processes),
//! [`step`] (progress output and process helpers).

mod bench;
mod compress;
mod contract;
mod deploy;
mod dev;
mod e2e;
mod fuzz;
mod image;
mod lint;
mod live_reload;
mod postgres;
mod process;
mod provenance;
mod release;
mod site;
mod soak;
mod sqlx_check;
mod step;
mod test;
mod tools;
mod watch;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Tollgate's development commands")]
struct Cli {
    #[command(subcommand)]
    command: Task,
}

#[derive(Debug, Subcommand)]
enum Task {
    /// Set up everything that is missing and serve the app with live reload on http://127.0.0.1:3000.
    Dev,
    /// Set up everything that is missing and run every check: fmt, clippy, tests, sqlx data, Playwright.
    Test,
    /// Check that Stripe behaves as Tollgate expects: the emulator, or real Stripe (test mode)
    /// when STRIPE_SECRET_KEY=sk_test_… is set.
    Contract,
    /// Regenerate `.sqlx/` (the offline query data) against the local database.
    Prepare,
    /// Take every page's screenshots again and write those that changed as the new baselines.
    Screenshots {
        /// Compare with the baselines instead (as `cargo xtask test` does), writing nothing.
        #[arg(long)]
        check: bool,
    },
    /// Build the server, then run only the Playwright journeys whose spec files match (`console`).
    E2e {
        /// Playwright file filters: `console`, `billing.spec.ts`.
        #[arg(required = true)]
        specs: Vec<String>,
    },
    /// Build for production: optimised server, size-optimised WASM, hashed and precompressed assets.
    Release,
    /// Build the production container image (FROM scratch, with podman): tollgate:latest and
    /// tollgate:<commit>.
    Image {
        /// Also write it to FILE as an OCI archive (`podman load -i FILE`, `skopeo copy`).
        #[arg(long, value_name = "FILE")]
        save: Option<PathBuf>,
        /// Then run it against the local PostgreSQL cluster and probe /readyz, /healthz, a page.
        #[arg(long)]
        check: bool,
    },
    /// Measure speed, size and memory against their ceilings; writes BENCHMARKS.md and .json.
    Bench,
    /// Try hard to break it: storms, outages, Stripe faults and fuzzing at full size; writes RELIABILITY.md.
    Soak,
    /// Stop the local PostgreSQL cluster, wait SECONDS, start it again (the soak's outage test).
    #[command(hide = true)]
    PgOutage { seconds: u64 },
}

fn main() {
    let cli = Cli::parse();
    let root = workspace_root();
    let result = match cli.command {
        Task::Dev => dev::run(&root),
        Task::Test => test::run(&root),
        Task::Prepare => test::prepare(&root),
        Task::Screenshots { check } => test::screenshots(&root, check),
        Task::E2e { specs } => test::journeys(&root, specs),
        Task::Contract => contract::run(&root),
        Task::Release => release::run(&root),
        Task::Image { save, check } => image::run(&root, image::Options { save, check }),
        Task::Bench => bench::run(&root),
        Task::Soak => soak::run(&root),
        Task::PgOutage { seconds } => postgres::Postgres::outage(&root, seconds),
    };
    if let Err(error) = result {
        eprintln!("\nerror: {error:#}");
        std::process::exit(1);
    }
}

/// The workspace root (the parent of this crate's directory).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives inside the workspace")
        .to_path_buf()
}
