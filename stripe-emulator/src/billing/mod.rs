//! Subscription billing, each step emitting the events Stripe emits:
//! - `subscriptions`: creating a subscription with its first invoice and payment, cancelling,
//!   resuming, activating once an awaited invoice is paid;
//! - `invoices`: a period's invoice lines, the invoice for a period, the upcoming-invoice preview;
//! - `collection`: charging an invoice to the right payment method;
//! - `proration`: plan changes and the proration lines they cause;
//! - `pending_items`: prorations waiting for the next invoice, as pending invoice items;
//! - `schedule`: what falls due over time, run earliest first;
//! - `renewals`: trial ends and period renewals;
//! - `retries`: failed payments retried, then the subscription canceled or left unpaid;
//! - `periods`: calendar intervals and billing periods.

mod collection;
mod invoices;
mod pending_items;
mod periods;
mod proration;
mod renewals;
mod retries;
mod schedule;
mod subscriptions;

pub use collection::{collect, collect_with, payment_method_for};
pub use invoices::{create_invoice, line, period_lines};
pub use pending_items::{hold_prorations, release_proration};
pub use periods::add_interval;
pub use proration::{apply_item_changes, proration_lines, ItemChange};
pub use retries::card_changed;
pub use schedule::{run_due, run_due_now};
pub use subscriptions::{
    cancel_now, create_subscription, resume, settle_paid, NewItem, NewSubscription,
};

/// Seconds in a day.
pub const DAY: i64 = 86_400;
