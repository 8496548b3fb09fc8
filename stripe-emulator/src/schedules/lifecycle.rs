//! A schedule over time: started (its subscription made from the first phase), moved to each
//! next phase when the current one ends (the subscription takes the phase's items, prorated as
//! the phase says; at a period end the renewal bills the new items), `expiring` a week before its
//! end, then `completed` with its `end_behavior` applied (released: the subscription goes on
//! unmanaged; cancel: the subscription is canceled). A subscription that ends under an active
//! schedule aborts it.

use serde_json::{json, Value};

use super::phases::{item_changes, items_of};
use crate::billing::{self, NewItem, NewSubscription, DAY};
use crate::error::ApiError;
use crate::world::World;

/// How long before its end a schedule sends `subscription_schedule.expiring`.
const EXPIRING_NOTICE_DAYS: i64 = 7;

/// What falls due for a subscription's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// `subscription_schedule.expiring`, a week before the last phase ends.
    Expiring,
    /// The current phase ends.
    PhaseEnd,
}

/// The active schedule managing a subscription, if any.
fn managing(world: &World, subscription: &Value) -> Option<Value> {
    let id = subscription["schedule"].as_str()?;
    world
        .find("subscription_schedule", id)
        .filter(|schedule| schedule["status"] == "active")
        .cloned()
}

/// The next moment a subscription's schedule acts, and how.
pub fn next_due(world: &World, subscription: &Value) -> Option<(i64, Due)> {
    let schedule = managing(world, subscription)?;
    let phase_end = schedule["current_phase"]["end_date"].as_i64()?;
    let end = schedule["phases"]
        .as_array()?
        .last()?
        .get("end_date")?
        .as_i64()?;
    let id = subscription["id"].as_str()?;
    let noticed = world
        .dunning
        .get(id)
        .and_then(|dunning| dunning.schedule_notice_for)
        == Some(end);
    let notice_at = end - EXPIRING_NOTICE_DAYS * DAY;
    if !noticed && notice_at < phase_end {
        return Some((notice_at, Due::Expiring));
    }
    Some((phase_end, Due::PhaseEnd))
}

/// Applies what fell due (the clock reads `at`).
pub fn apply_due(world: &mut World, subscription: &str, due: Due, at: i64) {
    let Some(sub) = world.find("subscription", subscription).cloned() else {
        return;
    };
    let Some(schedule) = managing(world, &sub) else {
        return;
    };
    match due {
        Due::Expiring => {
            let end = schedule["phases"]
                .as_array()
                .and_then(|phases| phases.last())
                .and_then(|phase| phase["end_date"].as_i64());
            world
                .dunning
                .entry(subscription.to_owned())
                .or_default()
                .schedule_notice_for = end;
            world.emit("subscription_schedule.expiring", &schedule, None);
        }
        Due::PhaseEnd => next_phase(world, &schedule, &sub, at),
    }
}

/// The current phase ended at `at`: the next one starts, or the schedule completes.
fn next_phase(world: &mut World, schedule: &Value, subscription: &Value, at: i64) {
    let phases = schedule["phases"].as_array().cloned().unwrap_or_default();
    let next = phases.iter().find(|phase| {
        phase["start_date"]
            .as_i64()
            .is_some_and(|start| start >= at)
    });
    let Some(phase) = next else {
        complete(world, schedule, subscription, at);
        return;
    };
    apply_phase(world, subscription, phase, at, None);
    let mut after = schedule.clone();
    after["current_phase"] =
        json!({ "end_date": phase["end_date"], "start_date": phase["start_date"] });
    world.update_and_emit("subscription_schedule.updated", schedule, after);
}

/// The subscription takes a phase's items at `at`, prorated by `proration` (else the phase's
/// own `proration_behavior`): prorations wait for the next invoice, or are billed at once with
/// `always_invoice`. Emits `customer.subscription.updated` when anything changed.
pub fn apply_phase(
    world: &mut World,
    subscription: &Value,
    phase: &Value,
    at: i64,
    proration: Option<&str>,
) {
    let changes = item_changes(world, subscription, phase);
    let mut after = if changes.is_empty() {
        subscription.clone()
    } else {
        billing::apply_item_changes(world, subscription, &changes)
    };
    after["automatic_tax"] = phase["automatic_tax"].clone();
    if phase["default_tax_rates"]
        .as_array()
        .is_some_and(|rates| !rates.is_empty())
    {
        after["default_tax_rates"] = phase["default_tax_rates"].clone();
    }
    let behavior = proration
        .or(phase["proration_behavior"].as_str())
        .unwrap_or("create_prorations");
    let lines = if behavior == "none" || changes.is_empty() {
        Vec::new()
    } else {
        billing::proration_lines(world, subscription, &changes, at)
    };
    if behavior == "always_invoice" && !lines.is_empty() {
        world.put(after.clone());
        let invoice =
            billing::create_invoice(world, &mut after, lines, "subscription_update", (at, at));
        after["latest_invoice"] = invoice["id"].clone();
        world.put(after.clone());
        if billing::collect(world, invoice["id"].as_str().unwrap_or_default()).is_err() {
            after["status"] = json!("past_due");
        }
    } else if !lines.is_empty() {
        billing::hold_prorations(world, subscription, lines);
    }
    world.update_and_emit("customer.subscription.updated", subscription, after);
}

/// The last phase ended: `completed`, and the subscription released from the schedule (it goes
/// on as it is) or, with `end_behavior=cancel`, canceled.
fn complete(world: &mut World, schedule: &Value, subscription: &Value, at: i64) {
    let mut after = schedule.clone();
    after["status"] = json!("completed");
    after["completed_at"] = json!(at);
    after["current_phase"] = Value::Null;
    world.put(after.clone());
    let mut unmanaged = subscription.clone();
    unmanaged["schedule"] = Value::Null;
    world.update_and_emit("customer.subscription.updated", subscription, unmanaged);
    if schedule["end_behavior"] == "cancel" {
        let id = subscription["id"].as_str().unwrap_or_default();
        billing::cancel_now(world, id, "cancellation_requested");
    }
    let previous = crate::world::previous_attributes(schedule, &after);
    world.emit("subscription_schedule.completed", &after, Some(previous));
}

/// Starts a schedule whose start date came: its subscription is made from the first phase (the
/// customer's default payment method pays its first invoice; without one it is past due, as a
/// renewal that could not be charged), and the schedule is `active`.
pub fn start(world: &mut World, schedule_id: &str) -> Result<Value, ApiError> {
    let before = world.get("subscription_schedule", schedule_id, "schedule")?;
    let phase = before["phases"][0].clone();
    let customer = before["customer"].as_str().unwrap_or_default().to_owned();
    let mut items = Vec::new();
    for item in phase["items"].as_array().into_iter().flatten() {
        let price = world.get("price", item["price"].as_str().unwrap_or_default(), "price")?;
        items.push(NewItem {
            price,
            quantity: item["quantity"].as_i64().unwrap_or(1),
            tax_rates: item["tax_rates"].as_array().cloned().unwrap_or_default(),
        });
    }
    let subscription = billing::create_subscription(
        world,
        NewSubscription {
            customer,
            items,
            trial_end: None,
            default_payment_method: None,
            default_source: None,
            payment_behavior: "default_incomplete".to_owned(),
            missing_payment_method: "create_invoice".to_owned(),
            metadata: json!({}),
            description: phase["description"].as_str().map(str::to_owned),
            discounts: Vec::new(),
            checkout_session: None,
            schedule: Some(schedule_id.to_owned()),
            automatic_tax: phase["automatic_tax"]["enabled"] == true,
            default_tax_rates: phase["default_tax_rates"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        },
    )?;
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    let invoice = subscription["latest_invoice"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let paid = billing::collect(world, &invoice).is_ok();
    let started = world.get("subscription", &id, "subscription")?;
    if started["status"] == "incomplete" {
        let mut after = started.clone();
        after["status"] = json!(if paid { "active" } else { "past_due" });
        world.update_and_emit("customer.subscription.updated", &started, after);
    }
    let mut schedule = before.clone();
    schedule["status"] = json!("active");
    schedule["subscription"] = json!(id);
    schedule["current_phase"] =
        json!({ "end_date": phase["end_date"], "start_date": phase["start_date"] });
    world.put(schedule.clone());
    Ok(schedule)
}

/// Starts every `not_started` schedule on `clock` whose start date is at or before `now`, each
/// at its own start date (`set_time` moves the clock there first).
pub fn start_due(
    world: &mut World,
    clock: Option<&str>,
    now: i64,
    mut set_time: impl FnMut(&mut World, i64),
) {
    let due: Vec<(i64, String)> = world
        .all("subscription_schedule")
        .filter(|schedule| schedule["status"] == "not_started")
        .filter(|schedule| schedule["test_clock"].as_str() == clock)
        .filter_map(|schedule| {
            let start = schedule["phases"][0]["start_date"].as_i64()?;
            let id = schedule["id"].as_str()?.to_owned();
            (start <= now).then_some((start, id))
        })
        .collect();
    for (at, id) in due {
        set_time(world, at);
        let before = world.find("subscription_schedule", &id).cloned();
        if let (Some(before), Ok(after)) = (before, start(world, &id)) {
            let previous = crate::world::previous_attributes(&before, &after);
            world.emit("subscription_schedule.updated", &after, Some(previous));
        }
    }
}

/// A managed subscription's items were changed directly: the schedule's current phase takes
/// them (`subscription_schedule.updated`), so the next phase still starts from what it bills.
pub fn subscription_changed(world: &mut World, subscription: &Value) {
    let Some(schedule) = managing(world, subscription) else {
        return;
    };
    let start = &schedule["current_phase"]["start_date"];
    let mut after = schedule.clone();
    let Some(phase) = after["phases"].as_array_mut().and_then(|phases| {
        phases
            .iter_mut()
            .find(|phase| &phase["start_date"] == start)
    }) else {
        return;
    };
    phase["items"] = items_of(subscription);
    world.update_and_emit("subscription_schedule.updated", &schedule, after);
}

/// A subscription ended while an active schedule managed it: the schedule is canceled
/// (`subscription_schedule.aborted`).
pub fn subscription_ended(world: &mut World, subscription: &Value) {
    let Some(schedule) = managing(world, subscription) else {
        return;
    };
    let at = subscription["ended_at"]
        .as_i64()
        .unwrap_or_else(|| world.now());
    let mut after = schedule.clone();
    after["status"] = json!("canceled");
    after["canceled_at"] = json!(at);
    after["current_phase"] = Value::Null;
    world.put(after.clone());
    let previous = crate::world::previous_attributes(&schedule, &after);
    world.emit("subscription_schedule.aborted", &after, Some(previous));
}
