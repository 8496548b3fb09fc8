//! Dunning: failed renewal payments retried on the configured days, then the subscription is
//! canceled or left unpaid; a new default card retries at once.

use serde_json::json;

use super::collection::collect;
use super::subscriptions::cancel_now;
use super::DAY;
use crate::world::World;

/// A default payment method changed (customer's or subscription's): retry the open invoices of
/// the customer's past-due and unpaid subscriptions now.
pub fn card_changed(world: &mut World, customer: &str) {
    let due: Vec<String> = world
        .all("subscription")
        .filter(|subscription| subscription["customer"] == customer)
        .filter(|subscription| {
            subscription["status"] == "past_due" || subscription["status"] == "unpaid"
        })
        .filter_map(|subscription| subscription["id"].as_str().map(str::to_owned))
        .collect();
    for id in due {
        retry(world, &id);
    }
}

pub(super) fn schedule_retry(world: &mut World, id: &str, failed_at: i64, failed_attempts: u32) {
    let next = world
        .settings
        .retry_days
        .get(failed_attempts as usize - 1)
        .map(|days| failed_at + days * DAY);
    let dunning = world.dunning.entry(id.to_owned()).or_default();
    dunning.failed_attempts = failed_attempts;
    dunning.next_attempt = next;
    if let Some(invoice) = world
        .find("subscription", id)
        .and_then(|subscription| subscription["latest_invoice"].as_str())
        .and_then(|invoice| world.find("invoice", invoice))
        .cloned()
    {
        let mut updated = invoice;
        updated["next_payment_attempt"] = json!(next);
        world.put(updated);
    }
}

/// Retries the latest open invoice of a past-due subscription.
pub(super) fn retry(world: &mut World, id: &str) {
    let Some(before) = world.find("subscription", id).cloned() else {
        return;
    };
    let Some(invoice) = before["latest_invoice"].as_str().map(str::to_owned) else {
        return;
    };
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let paid = collect(world, &invoice).is_ok();
    let mut after = before.clone();
    if paid {
        world.dunning.remove(id);
        after["status"] = json!("active");
        world.update_and_emit("customer.subscription.updated", &before, after);
        return;
    }
    let failed = world
        .dunning
        .get(id)
        .map(|dunning| dunning.failed_attempts)
        .unwrap_or(1)
        + 1;
    if failed as usize > world.settings.retry_days.len() {
        world.dunning.remove(id);
        if world.settings.when_retries_exhausted == "unpaid" {
            after["status"] = json!("unpaid");
            world.update_and_emit("customer.subscription.updated", &before, after);
        } else {
            cancel_now(world, id, "payment_failed");
        }
        return;
    }
    schedule_retry(world, id, now, failed);
}
