//! The state every handler and server function receives.

use std::sync::Arc;

use sqlx::PgPool;

use crate::{
    account_changes::AccountChanges,
    auth::password::HashingTurns,
    billing::{waiting::Turns, CatalogCache},
    mail,
    ratelimit::{AuthQuotas, AuthRateLimits, BillingRateLimit},
    stripe::StripeClient,
    Config, Error,
};

/// Shared application state, passed explicitly (never a global). A clone is one reference count:
/// every request clones it several times (each middleware, each server function), from every
/// core at once.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

/// What [`AppState`] shares (its fields are read through it).
#[derive(Debug)]
pub struct Shared {
    /// The Postgres connection pool.
    pub db: PgPool,
    /// The configuration read at start-up.
    pub config: Arc<Config>,
    /// Outgoing mail: SMTP, or the development outbox.
    pub mailer: Arc<dyn mail::Mailer>,
    /// Rate limits on the endpoints that check a password or a token, and on reset mails.
    pub auth_rate_limits: Arc<AuthRateLimits>,
    /// Turns for password hashing: a bounded number of argon2 runs at once.
    pub password_hashing: Arc<HashingTurns>,
    /// The per-user limit on billing calls that reach Stripe.
    pub billing_rate_limit: Arc<BillingRateLimit>,
    /// The Stripe API client (real Stripe or the emulator).
    pub stripe: StripeClient,
    /// What this replica counts for `GET /metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The catalog the pricing page renders, cached; see [`crate::billing::cache`].
    pub catalog: Arc<CatalogCache>,
    /// Per-user queues for work one user's requests must take in turns; see
    /// [`crate::billing::waiting`].
    pub turns: Arc<Turns>,
    /// One account's uses of a meter waiting to be counted together; see
    /// [`crate::usage::batch`].
    pub usage_queues: Arc<crate::usage::batch::Queues>,
    /// Which accounts changed since when, as this replica heard; see
    /// [`crate::account_changes`].
    pub account_changes: Arc<AccountChanges>,
    /// Woken whenever a Stripe event is recorded, on any replica: what the webhook workers wait
    /// on ([`crate::billing::workers`]).
    pub events_recorded: Arc<tokio::sync::Notify>,
}

impl AppState {
    /// Builds the state from the configuration and a pool.
    pub fn new(config: Config, db: PgPool) -> Result<Self, Error> {
        let mailer = mail::from_config(&config, &db)?;
        let auth_rate_limits = Arc::new(AuthRateLimits::new(AuthQuotas {
            per_network_per_minute: config.rate_limit_per_ip,
            failures_per_account_and_network_per_minute: config.rate_limit_per_account,
            failures_per_account_per_hour: config.rate_limit_account_failures_per_hour,
            reset_mails_per_address_and_network_per_hour: config.rate_limit_reset_mails_per_hour,
        }));
        let password_hashing = Arc::new(HashingTurns::new(config.password_hash_concurrency));
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let stripe = StripeClient::new(&config.stripe).counted_in(metrics.clone());
        Ok(Self(Arc::new(Shared {
            metrics,
            billing_rate_limit: Arc::new(BillingRateLimit::new(config.rate_limit_billing)),
            stripe,
            catalog: Arc::default(),
            turns: Arc::default(),
            usage_queues: Arc::default(),
            account_changes: Arc::default(),
            events_recorded: Arc::default(),
            db,
            config: Arc::new(config),
            mailer,
            auth_rate_limits,
            password_hashing,
        })))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}
