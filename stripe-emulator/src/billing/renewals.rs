//! Trial ends and renewals: the next period is invoiced and charged, and the subscription becomes
//! active or past due; a trial without a card cancels or pauses as its settings say.

use serde_json::{json, Value};

use super::collection::{collect, payment_method_for};
use super::invoices::{create_invoice, period_lines};
use super::periods::roll_period;
use super::retries::schedule_retry;
use super::subscriptions::cancel_now;
use crate::world::World;

pub(super) fn end_trial(world: &mut World, subscription: &Value, trial_end: i64) {
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    let has_card = payment_method_for(
        world,
        &json!({
            "parent": { "subscription_details": { "subscription": id } },
            "customer": subscription["customer"],
        }),
    )
    .is_some();
    if !has_card {
        match subscription["trial_settings"]["end_behavior"]["missing_payment_method"].as_str() {
            Some("cancel") => {
                cancel_now(world, &id, "cancellation_requested");
                return;
            }
            Some("pause") => {
                let mut after = subscription.clone();
                after["status"] = json!("paused");
                after["pause_collection"] = Value::Null;
                world.update_and_emit("customer.subscription.updated", subscription, after.clone());
                world.emit("customer.subscription.paused", &after, None);
                return;
            }
            _ => {}
        }
    }
    let rolled = roll_period(world, subscription, trial_end);
    let mut invoiced = rolled.clone();
    invoiced["status"] = json!("active");
    invoice_period(
        world,
        subscription,
        invoiced,
        trial_end,
        "subscription_cycle",
    );
}

pub(super) fn renew(world: &mut World, subscription: &Value, period_end: i64) {
    let rolled = roll_period(world, subscription, period_end);
    invoice_period(
        world,
        subscription,
        rolled,
        period_end,
        "subscription_cycle",
    );
}

/// Invoices the period that starts at `start`, charges it, and settles the subscription's status.
pub(super) fn invoice_period(
    world: &mut World,
    before: &Value,
    mut after: Value,
    start: i64,
    reason: &str,
) {
    let end = after["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(start);
    let mut lines = period_lines(world, &after, start, end, false);
    // Metered usage of the period just ended, billed in arrears (a trial's usage is free).
    if before["status"] != "trialing" {
        let used = (before_period_start(before), start);
        lines.extend(crate::metering::invoices::usage_lines(world, &after, used));
    }
    let invoice = create_invoice(
        world,
        &mut after,
        lines,
        reason,
        (before_period_start(before), start),
    );
    after["latest_invoice"] = invoice["id"].clone();
    world.put(after.clone());
    let id = after["id"].as_str().unwrap_or_default().to_owned();
    let paid = collect(world, invoice["id"].as_str().unwrap_or_default()).is_ok();
    if paid {
        world.dunning.entry(id.clone()).or_default().failed_attempts = 0;
        world.dunning.entry(id).or_default().next_attempt = None;
        if after["status"] != "trialing" {
            after["status"] = json!("active");
        }
    } else {
        after["status"] = json!("past_due");
        schedule_retry(world, &id, start, 1);
    }
    if after["status"] == "trialing" {
        after["status"] = json!("active");
    }
    world.update_and_emit("customer.subscription.updated", before, after);
}

fn before_period_start(subscription: &Value) -> i64 {
    subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or_default()
}
