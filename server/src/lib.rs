//! The axum server around the Leptos app.
//!
//! - [`cli`]: the subcommands (`serve`, `migrate`, `admin …`, `stripe …`).
//! - [`startup`]: builds the router and binds it; tests call it with port 0.
//! - [`telemetry`]: logging and request spans.
//! - [`health`]: `/healthz` and `/readyz`.
//! - [`metrics`]: `/metrics` (with `METRICS_TOKEN`) and the request counting behind it.
//! - [`assets`]: the compiled WASM/JS/CSS, precompressed and cached for a year.
//! - [`auth`]: the session layer, the signed-in-user middleware, email confirmation, clean-up.
//! - [`security`]: the cross-site request check and the security headers.
//! - [`page_cache`]: the home and pricing pages rendered once per catalog change for anonymous visitors.
//! - [`ratelimit`]: 429s on the authentication endpoints.
//! - [`form_body`]: 400 for a form body that is not UTF-8.
//! - [`form_errors`]: a form error in a page's URL is shown only to the browser whose post
//!   produced it.
//! - [`dev`]: `/dev/mailbox` (only with `DEV_MODE=true`).
//! - [`bench`]: `/bench/ceiling` (only with `BENCH_CEILING_FILE`, for `cargo xtask bench`).
//! - [`webhooks`]: `POST /webhooks/stripe` and `POST /webhooks/stripe/connect`.
//! - [`checkout`]: `GET /checkout/start`, the continuation from sign-up to Stripe Checkout.
//! - [`entitled`]: the extractor that gates a route on a plan's feature; [`metered`]: the one
//!   that also counts each call against the plan's usage limit.
//! - [`referrals`]: a `?ref=CODE` link remembered in a cookie for sign-up.
//! - [`partner_onboarding`]: where Stripe's hosted onboarding sends a partner back.
//! - [`partners_cli`]: `server partners pay`, and the daily pay run in the background.
//! - [`seats_cli`]: `server seats reconcile`, the nightly seat reconciliation by hand.
//! - [`usage_cli`]: `server usage reconcile`, the nightly usage reconciliation by hand.
//! - [`reports`]: `GET /api/reports`, the gated JSON API.
//! - [`balance_export`]: `GET /admin/balance/export`, balance transactions as CSV.
//! - [`evidence`]: `POST /admin/disputes/{id}/evidence-file`, a dispute's evidence document
//!   (the one multipart body, with its own size limit).
//! - [`stripe_cli`]: `server stripe sync|seed|replay`.
//! - [`stripe_contract`]: `server stripe contract`, the check that a Stripe account behaves as
//!   Tollgate expects.
//! - [`stripe_setup`]: `server stripe setup`, the webhook endpoints and the customer portal.
//! - [`doctor`]: `server doctor`, whether this deployment can take money, and `server
//!   healthcheck`, the container's probe.

pub mod assets;
pub mod auth;
pub mod balance_export;
pub mod bench;
pub mod checkout;
pub mod cli;
pub mod dev;
pub mod doctor;
pub mod entitled;
pub mod evidence;
pub mod form_body;
pub mod form_errors;
pub mod health;
pub mod metered;
pub mod metrics;
pub mod page_cache;
pub mod partner_onboarding;
pub mod partners_cli;
pub mod ratelimit;
pub mod referrals;
pub mod reports;
pub mod seats_cli;
pub mod security;
pub mod startup;
pub mod stripe_cli;
pub mod stripe_contract;
pub mod stripe_setup;
pub mod telemetry;
pub mod usage_cli;
pub mod webhooks;
