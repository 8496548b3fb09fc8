//! Every event type Tollgate handles, applied through `POST /webhooks/stripe` against real
//! emulator objects: each test makes the change in the emulator, takes the event the emulator
//! emitted, delivers it, and checks the stored row is Stripe's latest state.
//!
//! - [`subscriptions`]: `customer.subscription.*` and `checkout.session.expired`.
//! - [`invoices`]: `invoice.finalized`, `paid`, `payment_failed`, `upcoming`.
//! - [`customers`]: `customer.updated`, `customer.deleted`, `payment_method.*`.
//! - [`checkout`]: `checkout.session.async_payment_succeeded` / `async_payment_failed`.

mod checkout;
mod customers;
mod invoices;
mod subscriptions;

use super::{deliver, recorded, subscriber::last_event, Stripe};
use crate::helpers::TestApp;

/// Delivers the latest `kind` event about `id`; it must be applied.
async fn apply_latest(app: &TestApp, stripe: &Stripe, kind: &str, id: &str) -> serde_json::Value {
    let event = last_event(stripe, kind, id).await;
    let (status, answer) = deliver(app, &event).await;
    let why = recorded(app, event["id"].as_str().unwrap()).await;
    assert_eq!(
        (status, answer.as_str()),
        (200, "applied"),
        "{kind}: {why:?}"
    );
    event
}
