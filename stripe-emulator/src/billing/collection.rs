//! Charging invoices: which payment method pays one, and paying it off session, with
//! `invoice.paid` / `invoice.payment_succeeded` or `invoice.payment_failed`.

use serde_json::{json, Value};

use super::DAY;
use crate::error::ApiError;
use crate::world::World;

/// The payment method an invoice is charged to: the subscription's default payment method or
/// card source, else the customer's default payment method, else the customer's default card
/// source.
pub fn payment_method_for(world: &World, invoice: &Value) -> Option<String> {
    let subscription = invoice["parent"]["subscription_details"]["subscription"]
        .as_str()
        .and_then(|id| world.find("subscription", id));
    subscription
        .and_then(|subscription| {
            subscription["default_payment_method"]
                .as_str()
                .or_else(|| subscription["default_source"].as_str())
        })
        .map(str::to_owned)
        .or_else(|| {
            world
                .find("customer", invoice["customer"].as_str().unwrap_or_default())
                .and_then(customer_default)
        })
}

/// A customer's default for paying invoices: `invoice_settings.default_payment_method`, else
/// the older `default_source`.
pub fn customer_default(customer: &Value) -> Option<String> {
    customer["invoice_settings"]["default_payment_method"]
        .as_str()
        .or_else(|| customer["default_source"].as_str())
        .map(str::to_owned)
}

/// Attempts to pay an open invoice off session; emits `invoice.paid` + `invoice.payment_succeeded`
/// or `invoice.payment_failed`. Automatic collection leaves an uncollectible invoice alone.
pub fn collect(world: &mut World, invoice_id: &str) -> Result<(), ApiError> {
    if world
        .find("invoice", invoice_id)
        .is_some_and(|invoice| invoice["status"] == "uncollectible")
    {
        return Ok(());
    }
    collect_with(world, invoice_id, None)
}

/// Like [`collect`], charging `payment_method` instead of the default one when given; an explicit
/// payment also pays an uncollectible invoice.
pub fn collect_with(
    world: &mut World,
    invoice_id: &str,
    payment_method: Option<&str>,
) -> Result<(), ApiError> {
    let before = world.get("invoice", invoice_id, "invoice")?;
    if !matches!(before["status"].as_str(), Some("open" | "uncollectible")) {
        return Ok(());
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    if before["amount_due"].as_i64().unwrap_or(0) == 0 {
        mark_paid(world, &before, invoice, now);
        return Ok(());
    }
    let chosen = payment_method
        .map(str::to_owned)
        .or_else(|| payment_method_for(world, &before));
    let outcome = match &chosen {
        Some(payment_method) => match world.cards.get(payment_method) {
            Some(card) => card.charge(),
            None => Ok(()),
        },
        None => Err(ApiError::invalid(
            "The customer has no default payment method.",
            None,
        )),
    };
    invoice["attempt_count"] = json!(before["attempt_count"].as_i64().unwrap_or(0) + 1);
    invoice["attempted"] = json!(true);
    match outcome {
        Ok(()) => {
            if let Some(payment_method) = &chosen {
                crate::payments::invoice::pay(world, &before, payment_method);
            }
            mark_paid(world, &before, invoice, now);
            Ok(())
        }
        Err(error) => {
            // The event already says when the next attempt runs, as Stripe's does.
            let attempts = invoice["attempt_count"].as_i64().unwrap_or(1);
            let next = (!before["parent"].is_null())
                .then(|| {
                    world
                        .settings
                        .retry_days
                        .get(attempts as usize - 1)
                        .map(|days| now + days * DAY)
                })
                .flatten();
            invoice["next_payment_attempt"] = json!(next);
            world.put(invoice.clone());
            world.emit("invoice.payment_failed", &invoice, Some(json!({ "attempt_count": before["attempt_count"], "attempted": before["attempted"] })));
            Err(error)
        }
    }
}

fn mark_paid(world: &mut World, before: &Value, mut invoice: Value, now: i64) {
    let amount = invoice["amount_due"].clone();
    invoice["status"] = json!("paid");
    invoice["amount_paid"] = amount;
    invoice["amount_remaining"] = json!(0);
    invoice["next_payment_attempt"] = Value::Null;
    invoice["status_transitions"]["paid_at"] = json!(now);
    world.put(invoice.clone());
    let previous = crate::world::previous_attributes(before, &invoice);
    world.emit("invoice.paid", &invoice, Some(previous.clone()));
    world.emit("invoice.payment_succeeded", &invoice, Some(previous));
}
