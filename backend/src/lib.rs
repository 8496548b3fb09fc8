//! Tollgate's server-only domain layer. Nothing here is ever compiled for the browser.
//!
//! - [`account_changes`]: which accounts changed, heard from Postgres on every replica.
//! - [`announcements`]: what replicas tell each other through Postgres, heard on one connection.
//! - [`config`]: the typed configuration, read once from the environment.
//! - [`db`]: the Postgres pool, the embedded migrations and health probes.
//! - [`state`]: [`AppState`], handed to every handler and server function.
//! - [`error`]: this layer's infrastructure error enum.
//! - [`auth`]: accounts — sign-up, sign-in, sessions, password reset, profile, deletion.
//! - [`go_live`]: `server stripe setup` (webhook endpoints, the customer portal) and
//!   `server doctor` (whether this deployment can take money).
//! - [`mail`]: outgoing mail (SMTP or the development outbox) and the messages we send.
//! - [`organizations`]: teams that subscribe together — members, roles, invitations, seats.
//! - [`partners`]: the partner program — referral codes, commissions, partners' connected
//!   Stripe accounts and the pay run that transfers to them.
//! - [`metrics`]: what this replica counts for `GET /metrics`.
//! - [`ratelimit`]: limits on the authentication endpoints (per client network, and failed
//!   password checks per account and network), on reset mails and on billing calls.
//! - [`stripe`]: the typed Stripe client and webhook signature verification.
//! - [`billing`]: the catalog, customers, Checkout and what Stripe tells us about them;
//!   entitlements.
//! - [`console`]: the operator console — the money after the sale, mirrored from Stripe, and
//!   the actions that move it, each in the audit log.
//! - [`reports`]: the demo product behind the paywall.
//! - [`usage`]: metered features counted against the plan's allowance, credits and hard limit.
//! - [`jobs`]: work one replica does at a time (the pay run, the nightly reconciliations).

pub mod account_changes;
pub mod announcements;
pub mod auth;
pub mod billing;
pub mod config;
pub mod console;
pub mod db;
pub mod error;
pub mod go_live;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod organizations;
pub mod partners;
pub mod ratelimit;
pub mod reports;
pub mod state;
pub mod stripe;
pub mod usage;

pub use config::Config;
pub use error::Error;
pub use state::AppState;
