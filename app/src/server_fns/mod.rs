//! Server functions: thin adapters from a form post to a backend service. Each gets the state and
//! (where needed) the signed-in user and session, calls one service, and redirects.
//!
//! Every form on the site posts here as a plain HTML form (they work before and without WASM),
//! so each successful call ends with `leptos_axum::redirect` to the page to show next.
//!
//! - [`session`]: sign up, sign in, sign out (this device / everywhere).
//! - [`recovery`]: forgot password, reset password.
//! - [`profile`]: display name, email, password, account deletion.
//! - [`billing`]: pricing data, Checkout, the portal, the success page, the account's billing
//!   (cancel, resume, change plan) and its usage this period.
//! - [`dashboard`]: the product behind the paywall.
//! - [`organizations`]: organizations — the page, creating, switching whom one acts for,
//!   leaving, deleting; [`organization_members`]: invitations, roles, removing members.
//! - [`partners`]: the partner program's page and joining it; [`partner_account`]: the
//!   partner's connected Stripe account (connecting it, payout schedule, paying out).
//! - [`console`]: the operator console's pages and actions (admins only).
//! - [`time_travel`]: development only — moving the Stripe emulator's clock.

pub mod billing;
pub mod console;
pub mod dashboard;
pub mod organization_members;
pub mod organizations;
pub mod partner_account;
pub mod partners;
pub mod profile;
pub mod recovery;
pub mod session;
pub mod time_travel;

#[cfg(feature = "ssr")]
mod account_mapping;
#[cfg(feature = "ssr")]
mod billing_mapping;
#[cfg(feature = "ssr")]
mod console_mapping;
#[cfg(feature = "ssr")]
mod context;
#[cfg(feature = "ssr")]
mod partners_mapping;
#[cfg(feature = "ssr")]
pub(crate) mod usage_mapping;
