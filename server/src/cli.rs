//! Command-line interface: `server serve` (also what a bare `server` does, as cargo-leptos runs
//! it), `server migrate`, `server admin grant|revoke EMAIL`, `server partners pay`,
//! `server seats reconcile`, `server usage reconcile`,
//! `server stripe sync|seed|replay|verify|contract|setup`, `server doctor` and
//! `server healthcheck`.

use anyhow::Context;
use clap::{Parser, Subcommand};

use leptos::prelude::{get_configuration, LeptosOptions};

use crate::{
    partners_cli::PartnersCommand,
    seats_cli::SeatsCommand,
    startup::{shutdown_signal, Application},
    stripe_cli::StripeCommand,
    usage_cli::UsageCommand,
};

/// Tollgate's server.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

impl Cli {
    /// The subcommand given, `serve` when none is.
    pub fn command(self) -> Command {
        self.command.unwrap_or(Command::Serve {
            skip_migrations: false,
        })
    }
}

/// What to do.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve the app (address from `LEPTOS_SITE_ADDR`). The default.
    Serve {
        /// Do not apply migrations at start-up (when they run as a separate release step).
        #[arg(long)]
        skip_migrations: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Make an account an admin (it opens the operator console at /admin), or a member again.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The partner program: run the pay run.
    Partners {
        #[command(subcommand)]
        command: PartnersCommand,
    },
    /// Organizations' seats: reconcile per-seat subscriptions with their members.
    Seats {
        #[command(subcommand)]
        command: SeatsCommand,
    },
    /// Metered usage: reconcile what was reported with Stripe's meter event summaries.
    Usage {
        #[command(subcommand)]
        command: UsageCommand,
    },
    /// Talk to Stripe: re-sync the database from it, or seed a catalog into it.
    Stripe {
        #[command(subcommand)]
        command: StripeCommand,
    },
    /// Tell whether this deployment can take money: configuration, database and migrations, the
    /// Stripe key, webhook endpoints, the customer portal, the catalog, mail and the clock. One
    /// ✓ or ✗ line each, with the fix; exits 1 on any ✗.
    Doctor,
    /// Exit 0 if this machine's server answers `GET /healthz` (port from `LEPTOS_SITE_ADDR`),
    /// else 1: the container image's HEALTHCHECK. Needs no other configuration.
    Healthcheck,
}

/// What a command needs before it runs.
pub enum Start {
    /// It ran already, needing less than the whole configuration (or loading it itself).
    Done(anyhow::Result<()>),
    /// It needs the whole configuration: load it and call [`Command::run`].
    WithConfig(Command),
}

impl Command {
    /// Runs the commands that need less than the whole configuration: `healthcheck` (the
    /// address), `stripe contract` (the key), `stripe setup` (the key, `BASE_URL` and what it
    /// sets up — not the webhook secrets it makes) and `doctor` (which reports a configuration
    /// that does not load as a failed check).
    pub async fn start(self) -> Start {
        match self {
            Command::Healthcheck => Start::Done(crate::doctor::healthcheck().await),
            Command::Doctor => {
                crate::telemetry::init_to_stderr();
                Start::Done(crate::doctor::run().await)
            }
            Command::Stripe {
                command: StripeCommand::Contract,
            } => Start::Done(
                async {
                    let stripe = backend::stripe::StripeConfig::calls_only_from_env()
                        .context("invalid configuration")?;
                    crate::telemetry::init_to_stderr();
                    crate::stripe_contract::run(&stripe).await
                }
                .await,
            ),
            Command::Stripe {
                command: StripeCommand::Setup { dry_run, write_env },
            } => Start::Done(
                async {
                    let settings =
                        backend::go_live::Settings::from_env().context("invalid configuration")?;
                    crate::telemetry::init_to_stderr();
                    crate::stripe_setup::run(settings, dry_run, write_env).await
                }
                .await,
            ),
            command => Start::WithConfig(command),
        }
    }

    /// Runs the subcommand to completion.
    pub async fn run(self, config: backend::Config) -> anyhow::Result<()> {
        match self {
            Command::Serve { skip_migrations } => {
                let leptos = leptos_options()?;
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
            Command::Admin { command } => command.run(config).await,
            Command::Partners { command } => command.run(config).await,
            Command::Seats { command } => command.run(config).await,
            Command::Usage { command } => command.run(config).await,
            Command::Stripe { command } => command.run(config).await,
            Command::Doctor | Command::Healthcheck => unreachable!("run by `start`"),
        }
    }
}

/// Who may open the operator console.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make the account with this email an admin (from its next request).
    Grant {
        /// The account's email address.
        email: String,
    },
    /// Make the account with this email a member again (from its next request).
    Revoke {
        /// The account's email address.
        email: String,
    },
}

impl AdminCommand {
    async fn run(self, config: backend::Config) -> anyhow::Result<()> {
        use backend::{
            auth::Role,
            console::admins::{set_role, RoleChange},
        };

        let (email, role, done) = match &self {
            Self::Grant { email } => (email, Role::Admin, "is an admin: it opens /admin"),
            Self::Revoke { email } => (email, Role::Member, "is a member: /admin is closed to it"),
        };
        let pool = backend::db::pool(&config)?;
        match set_role(&pool, email, role).await? {
            RoleChange::Set => {
                println!("{email} {done}");
                Ok(())
            }
            RoleChange::NoSuchAccount => {
                anyhow::bail!("there is no account with the address {email}: sign up first")
            }
        }
    }
}

/// Leptos's options from the `LEPTOS_*` environment (cargo-leptos sets it when it runs us).
///
/// Started directly (in production, or by `cargo xtask test`), the server learns whether asset
/// names are hashed from the `hash.txt` cargo-leptos writes beside the binary.
fn leptos_options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)
        .context("reading the Leptos configuration (LEPTOS_* variables)")?
        .leptos_options;
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        let exe = std::env::current_exe().context("locating the server binary")?;
        options.hash_files = exe.with_file_name(options.hash_file.as_ref()).exists();
    }
    Ok(options)
}

/// The application's state for a command that works on the database: the pool, with pending
/// migrations applied first.
pub async fn migrated_state(config: backend::Config) -> anyhow::Result<backend::AppState> {
    let pool = backend::db::pool(&config)?;
    backend::db::migrate(&pool)
        .await
        .context("applying database migrations")?;
    backend::AppState::new(config, pool).context("building the application state")
}
