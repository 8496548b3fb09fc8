//! Pending updates: a subscription update sent with `payment_behavior=pending_if_incomplete`
//! that invoices at once takes effect only once that invoice is paid.
//! <https://docs.stripe.com/billing/subscriptions/pending-updates>
//!
//! - Paid at once: the update applies as any other (`customer.subscription.updated`).
//! - Not paid: the subscription keeps its items and status; its `latest_invoice` is the new open
//!   invoice and the change waits in `pending_update` (`customer.subscription.updated`).
//! - That invoice paid later (`POST /v1/invoices/{id}/pay`, the hosted invoice page): the change
//!   applies and `pending_update` clears (`customer.subscription.pending_update_applied`).
//! - Not paid by `expires_at` (23 hours, or the end of the period or trial if sooner): the change
//!   is discarded (`customer.subscription.pending_update_expired`) and the invoice voided.
//! - A new pending update replaces a waiting one: its invoice is voided first.

use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::world::World;

/// The parameters Stripe takes together with `pending_if_incomplete` (its pending updates
/// reference; `metadata` since 2026-05-27.dahlia, held in `pending_update.metadata`).
const SUPPORTED: &[&str] = &[
    "add_invoice_items",
    "billing_cycle_anchor",
    "expand",
    "items",
    "metadata",
    "payment_behavior",
    "proration_behavior",
    "proration_date",
    "trial_end",
    "trial_from_plan",
];

/// What each entry of `items` may carry in a pending update (its price and quantity).
const SUPPORTED_ITEM_FIELDS: &[&str] = &["id", "price", "quantity"];

/// How long a pending update waits for its invoice at most.
const LIFETIME_SECONDS: i64 = 23 * 3600;

/// Whether an update asks for a pending update.
pub fn requested(params: &Params) -> bool {
    params.str("payment_behavior") == Some("pending_if_incomplete")
}

/// Refuses a parameter that pending updates do not support, as Stripe does.
pub fn check_parameters(params: &Params) -> Result<(), ApiError> {
    let unsupported = params
        .0
        .keys()
        .find(|key| !SUPPORTED.contains(&key.as_str()))
        .cloned()
        .or_else(|| {
            params
                .array("items")
                .iter()
                .enumerate()
                .find_map(|(index, item)| {
                    item.as_object()?
                        .keys()
                        .find(|key| !SUPPORTED_ITEM_FIELDS.contains(&key.as_str()))
                        .map(|key| format!("items[{index}][{key}]"))
                })
        });
    match unsupported {
        Some(param) => Err(ApiError::invalid(
            format!(
                "You cannot pass `{param}` with `payment_behavior=pending_if_incomplete`: pending \
                 updates support only {}. See \
                 https://docs.stripe.com/billing/subscriptions/pending-updates-reference#supported-attributes.",
                SUPPORTED.join(", ")
            ),
            Some(&param),
        )),
        None => Ok(()),
    }
}

/// A new pending update replaces the one waiting: the old change's open invoice is voided (the
/// caller drops the change itself).
pub fn discard_waiting(world: &mut World, subscription: &Value) -> Result<(), ApiError> {
    void_if_open(world, &subscription["latest_invoice"])
}

/// The invoice of an update was not paid: `before` stays as it was, pointing at the open
/// `invoice`, with `changed` (the subscription as the update would make it) waiting in
/// `pending_update`. Returns the subscription to store.
pub fn hold(before: &Value, changed: &Value, invoice: &Value, params: &Params, now: i64) -> Value {
    let period_end = before["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(i64::MAX);
    let trial_end = before["trial_end"].as_i64().unwrap_or(i64::MAX);
    let expires_at = (now + LIFETIME_SECONDS).min(period_end).min(trial_end);
    let anchor_changed = changed["billing_cycle_anchor"] != before["billing_cycle_anchor"];
    let mut held = before.clone();
    held["latest_invoice"] = invoice["id"].clone();
    held["pending_update"] = json!({
        "billing_cycle_anchor": if anchor_changed { changed["billing_cycle_anchor"].clone() } else { Value::Null },
        "cancel_at_period_end": null,
        "discount": null,
        "discounts": null,
        "expires_at": expires_at,
        "metadata": params.metadata().map(Value::Object),
        "subscription_items": changed["items"]["data"].clone(),
        "trial_end": null,
        "trial_from_plan": null,
    });
    held
}

/// `invoice_id` was paid: if it is the invoice a pending update of the subscription waits for,
/// the update applies (`customer.subscription.pending_update_applied`). Returns whether it did.
pub fn apply_if_paid(world: &mut World, subscription_id: &str, invoice_id: &str) -> bool {
    let Some(before) = world.find("subscription", subscription_id).cloned() else {
        return false;
    };
    let update = &before["pending_update"];
    if update.is_null() || before["latest_invoice"] != invoice_id {
        return false;
    }
    let mut after = before.clone();
    after["items"]["data"] = update["subscription_items"].clone();
    for field in ["billing_cycle_anchor", "trial_end"] {
        if !update[field].is_null() {
            after[field] = update[field].clone();
        }
    }
    if let Some(metadata) = update["metadata"].as_object() {
        let mut params = Map::new();
        params.insert("metadata".to_owned(), Value::Object(metadata.clone()));
        super::merge_metadata(&mut after, &Params(params));
    }
    after["pending_update"] = Value::Null;
    world.update_and_emit(
        "customer.subscription.pending_update_applied",
        &before,
        after,
    );
    true
}

/// When the subscription's pending update expires, if it has one.
pub fn expires_at(subscription: &Value) -> Option<i64> {
    subscription["pending_update"]["expires_at"].as_i64()
}

/// The pending update was not paid in time: discarded
/// (`customer.subscription.pending_update_expired`), its invoice voided.
pub fn expire(world: &mut World, subscription_id: &str) {
    let Some(before) = world.find("subscription", subscription_id).cloned() else {
        return;
    };
    if before["pending_update"].is_null() {
        return;
    }
    let mut after = before.clone();
    after["pending_update"] = Value::Null;
    world.update_and_emit(
        "customer.subscription.pending_update_expired",
        &before,
        after,
    );
    // Only an open invoice is voided, so this cannot fail.
    let _ = void_if_open(world, &before["latest_invoice"]);
}

fn void_if_open(world: &mut World, invoice: &Value) -> Result<(), ApiError> {
    let open = invoice
        .as_str()
        .filter(|id| {
            world
                .find("invoice", id)
                .is_some_and(|found| found["status"] == "open")
        })
        .map(str::to_owned);
    if let Some(id) = open {
        crate::invoicing::void(world, &id)?;
    }
    Ok(())
}
