//! A small typed Stripe client: only the endpoints Tollgate uses, over `reqwest` + `serde`.
//!
//! It talks to real Stripe or to the project's emulator (`STRIPE_API_BASE`), pins the API version
//! its types were written for, retries what is safe to retry with the same `Idempotency-Key`, and
//! maps Stripe's error objects to [`StripeError`] (a card decline is the user's problem, not a 500).
//!
//! - [`config`]: the `STRIPE_*` configuration.
//! - [`client`]: the HTTP plumbing — authentication, retries with backoff, error decoding.
//! - [`endpoints`]: one typed method per Stripe call we make.
//! - [`emulator`]: the emulator's clock control (development only; real Stripe has none).
//! - [`test_clocks`]: Stripe's test clocks (test mode only).
//! - [`objects`]: the parts of Stripe's objects we read.
//! - [`payments`]: the money after the sale — charges, refunds, disputes, payouts, the balance
//!   and its transactions: their objects and calls.
//! - [`connect`]: Stripe Connect for the partner program — connected accounts, onboarding links,
//!   bank accounts, the payout schedule, transfers and their reversals.
//! - [`discounts`]: coupons and promotion codes (seeded from the catalog file).
//! - [`schedules`]: subscription schedules (plan changes at renewal).
//! - [`setup`]: what an operator sets up once — the account, webhook endpoints, the customer
//!   portal's configuration — and Stripe's clock.
//! - [`meters`]: Billing Meters — meters, meter events, their summaries.
//! - [`form`]: Stripe's bracketed form encoding.
//! - [`signature`]: webhook signature verification.
//! - [`error`]: the error type, [`StripeError`].

pub mod client;
pub mod config;
pub mod emulator;
pub mod endpoints;
pub mod error;
pub mod form;
pub mod meters;
pub mod objects;
#[macro_use]
pub mod payments;
// After `payments`, whose `stripe_status!` it uses.
pub mod connect;
pub mod discounts;
pub mod schedules;
pub mod setup;
pub mod signature;
pub mod test_clocks;

pub use client::{Answered, StripeClient, Upload};
pub use config::StripeConfig;
pub use error::StripeError;
pub use form::Form;

/// The Stripe API version our types describe, sent as `Stripe-Version` on every request.
pub const API_VERSION: &str = "2026-10-28.endive";
