//! Subscription billing: creating subscriptions and their invoices, charging test cards, plan
//! changes with prorations, and everything that happens over time (trial ends, renewals, failed
//! payments and retries, cancellation at period end), each emitting the events Stripe emits.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::invoicing::{build_invoice, Stage};
use crate::listing::embedded;
use crate::world::World;

/// Seconds in a day.
pub const DAY: i64 = 86_400;

/// How many days before a renewal `invoice.upcoming` is sent (Stripe's default is 7).
const UPCOMING_NOTICE_DAYS: i64 = 7;

/// What a new subscription is made of.
pub struct NewSubscription {
    /// `cus_…`
    pub customer: String,
    /// Prices (full objects) with quantities.
    pub items: Vec<(Value, i64)>,
    /// When the trial ends, if there is one.
    pub trial_end: Option<i64>,
    /// The subscription's own default payment method.
    pub default_payment_method: Option<String>,
    /// `allow_incomplete` (default), `default_incomplete`, `error_if_incomplete`.
    pub payment_behavior: String,
    /// `trial_settings[end_behavior][missing_payment_method]`: `create_invoice`, `pause`, `cancel`.
    pub missing_payment_method: String,
    /// Metadata.
    pub metadata: Value,
    /// `description`
    pub description: Option<String>,
}

/// Adds `count` calendar intervals to a unix time, keeping the day of month where it exists.
pub fn add_interval(start: i64, interval: &str, count: i64) -> i64 {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp(start) else {
        return start;
    };
    match interval {
        "day" => start.saturating_add(count.saturating_mul(DAY)),
        "week" => start.saturating_add(count.saturating_mul(7 * DAY)),
        "month" | "year" => {
            let months = if interval == "year" {
                count.saturating_mul(12)
            } else {
                count
            };
            let total = (i64::from(at.year()) * 12 + i64::from(at.month() as u8) - 1)
                .saturating_add(months);
            let Ok(year) = i32::try_from(total / 12) else {
                return start;
            };
            let month = (total % 12 + 1) as u8;
            let Ok(month) = time::Month::try_from(month) else {
                return start;
            };
            let date = (1..=at.day())
                .rev()
                .find_map(|day| time::Date::from_calendar_date(year, month, day).ok());
            date.map(|date| date.with_time(at.time()).assume_utc().unix_timestamp())
                .unwrap_or(start)
        }
        _ => start,
    }
}

/// The end of the billing period that contains `start`, counted from `anchor`.
fn period_end_after(anchor: i64, start: i64, recurring: &Value) -> i64 {
    let interval = recurring["interval"].as_str().unwrap_or("month");
    let count = recurring["interval_count"].as_i64().unwrap_or(1).max(1);
    // Start just below the answer (the longest possible interval underestimates the number of
    // periods since the anchor), then step: a few steps, however long the subscription has run.
    let longest = match interval {
        "day" => DAY,
        "week" => 7 * DAY,
        "month" => 31 * DAY,
        _ => 366 * DAY,
    } * count;
    let mut periods = ((start - anchor) / longest).max(1);
    loop {
        let end = add_interval(anchor, interval, count * periods);
        if end > start {
            return end;
        }
        if end <= anchor || periods > 1_000_000 {
            // Past the calendar's range: no further period end.
            return i64::MAX;
        }
        periods += 1;
    }
}

fn subscription_item(
    world: &mut World,
    subscription: &str,
    price: &Value,
    quantity: i64,
    start: i64,
    end: i64,
) -> Value {
    let id = world.new_id("si");
    json!({
        "id": id,
        "object": "subscription_item",
        "billing_thresholds": null,
        "created": start,
        "current_trial": null,
        "current_period_end": end,
        "current_period_start": start,
        "discounts": [],
        "metadata": {},
        "plan": crate::api::plans::view(price),
        "price": price,
        "quantity": quantity,
        "subscription": subscription,
        "tax_rates": [],
    })
}

/// Creates a subscription, its first invoice and payment, and their events.
pub fn create_subscription(world: &mut World, new: NewSubscription) -> Result<Value, ApiError> {
    let customer = world.get("customer", &new.customer, "customer")?;
    let Some((first_price, _)) = new.items.first() else {
        return Err(ApiError::missing("items"));
    };
    let currency = first_price["currency"].clone();
    for (price, _) in &new.items {
        if price["type"] != "recurring" {
            return Err(ApiError::invalid(
                format!("The price specified ({}) is not recurring. Subscriptions need recurring prices.", price["id"].as_str().unwrap_or_default()),
                Some("items"),
            ));
        }
        if price["currency"] != currency {
            return Err(ApiError::invalid(
                "All prices on a subscription must have the same currency.",
                Some("items"),
            ));
        }
    }
    let now = world.now_for_customer(&new.customer);
    let payment_method = new.default_payment_method.clone().or_else(|| {
        customer["invoice_settings"]["default_payment_method"]
            .as_str()
            .map(str::to_owned)
    });
    let charge_now = new.trial_end.is_none();
    if charge_now && payment_method.is_none() && new.payment_behavior != "default_incomplete" {
        return Err(ApiError::invalid(
            "This customer has no attached payment source or default payment method. Please consider adding a default payment method.",
            None,
        ));
    }
    if let (true, Some(payment_method), "error_if_incomplete") =
        (charge_now, &payment_method, new.payment_behavior.as_str())
    {
        if let Some(card) = world.cards.get(payment_method) {
            card.charge()?;
        }
    }
    let id = world.new_id("sub");
    let first_recurring = first_price["recurring"].clone();
    let period_end = match new.trial_end {
        Some(trial_end) => trial_end,
        None => period_end_after(now, now, &first_recurring),
    };
    let items: Vec<Value> = new
        .items
        .iter()
        .map(|(price, quantity)| subscription_item(world, &id, price, *quantity, now, period_end))
        .collect();
    let mut subscription = json!({
        "id": id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
        "billing_cycle_anchor": period_end_anchor(new.trial_end, now),
        "billing_cycle_anchor_config": null,
        "billing_mode": { "flexible": null, "type": "classic" },
        "billing_schedules": [],
        "billing_thresholds": null,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "cancellation_details": { "comment": null, "feedback": null, "reason": null },
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "customer": new.customer,
        "customer_account": null,
        "days_until_due": null,
        "default_payment_method": new.default_payment_method,
        "default_source": null,
        "default_tax_rates": [],
        "description": new.description,
        "discounts": [],
        "ended_at": null,
        "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
        "items": embedded(items, format!("/v1/subscription_items?subscription={id}")),
        "latest_invoice": null,
        "livemode": false,
        "managed_payments": null,
        "metadata": new.metadata,
        "next_pending_invoice_item_invoice": null,
        "on_behalf_of": null,
        "pause_collection": null,
        "payment_settings": {
            "payment_method_options": null,
            "payment_method_types": null,
            "save_default_payment_method": "off",
        },
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": now,
        "status": if new.trial_end.is_some() { "trialing" } else { "incomplete" },
        "test_clock": customer["test_clock"],
        "transfer_data": null,
        "trial_end": new.trial_end,
        "trial_settings": { "end_behavior": { "missing_payment_method": new.missing_payment_method } },
        "trial_start": new.trial_end.map(|_| now),
    });
    world.insert(subscription.clone());
    world.emit("customer.subscription.created", &subscription, None);
    let lines = period_lines(
        world,
        &subscription,
        now,
        period_end,
        new.trial_end.is_some(),
    );
    let invoice = create_invoice(
        world,
        &subscription,
        lines,
        "subscription_create",
        (now, now),
    );
    subscription["latest_invoice"] = invoice["id"].clone();
    world.put(subscription.clone());
    let invoice_id = invoice["id"].as_str().unwrap_or_default().to_owned();
    // `default_incomplete` leaves the first invoice open for the client to confirm.
    let paid = if new.payment_behavior == "default_incomplete" && new.trial_end.is_none() {
        false
    } else {
        collect(world, &invoice_id).is_ok()
    };
    let before = world.get("subscription", &id, "id")?;
    let mut after = before.clone();
    if new.trial_end.is_none() {
        after["status"] = json!(if paid { "active" } else { "incomplete" });
    }
    world.update_and_emit("customer.subscription.updated", &before, after.clone());
    if new.trial_end.is_some() {
        run_due_now(world, &id);
    }
    Ok(after)
}

fn period_end_anchor(trial_end: Option<i64>, now: i64) -> i64 {
    trial_end.unwrap_or(now)
}

/// Invoice lines for one period of every item (zero amounts during a trial).
pub fn period_lines(
    world: &mut World,
    subscription: &Value,
    start: i64,
    end: i64,
    trial: bool,
) -> Vec<Value> {
    let items = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .map(|item| {
            let price = &item["price"];
            let quantity = item["quantity"].as_i64().unwrap_or(1);
            let amount = if trial {
                0
            } else {
                price["unit_amount"].as_i64().unwrap_or(0) * quantity
            };
            let product_name = world
                .find("product", price["product"].as_str().unwrap_or_default())
                .and_then(|product| product["name"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "Subscription".to_owned());
            let description = if trial {
                format!("Trial period for {product_name}")
            } else {
                format!("{quantity} × {product_name}")
            };
            line(
                world,
                subscription,
                item,
                amount,
                quantity,
                &description,
                (start, end),
                false,
            )
        })
        .collect()
}

/// One invoice line item for a subscription item.
#[allow(clippy::too_many_arguments)]
fn line(
    world: &mut World,
    subscription: &Value,
    item: &Value,
    amount: i64,
    quantity: i64,
    description: &str,
    period: (i64, i64),
    proration: bool,
) -> Value {
    let id = world.new_id("il");
    json!({
        "id": id,
        "object": "line_item",
        "amount": amount,
        "currency": item["price"]["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice": null,
        "livemode": false,
        "metadata": {},
        "parent": {
            "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": null,
                "proration": proration,
                "proration_details": { "credited_items": null },
                "subscription": subscription["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": { "end": period.1, "start": period.0 },
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": { "price": item["price"]["id"], "product": item["price"]["product"] },
            "type": "price_details",
            "unit_amount_decimal": item["price"]["unit_amount_decimal"],
        },
        "quantity": quantity,
        "quantity_decimal": quantity.to_string(),
        "subscription": subscription["id"],
        "subtotal": amount,
        "taxes": [],
    })
}

/// Creates and finalizes an invoice for a subscription (plus any pending proration lines).
pub fn create_invoice(
    world: &mut World,
    subscription: &Value,
    mut lines: Vec<Value>,
    reason: &str,
    period: (i64, i64),
) -> Value {
    let sub_id = subscription["id"].as_str().unwrap_or_default().to_owned();
    if reason == "subscription_cycle" {
        lines.extend(world.pending_lines.remove(&sub_id).unwrap_or_default());
    }
    let customer_id = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let invoice = build_invoice(
        world,
        &customer_id,
        Some(subscription),
        lines,
        reason,
        period,
        Stage::Open,
    );
    world.insert(invoice.clone());
    let mut draft = invoice.clone();
    draft["status"] = json!("draft");
    world.emit("invoice.created", &draft, None);
    world.emit("invoice.finalized", &invoice, None);
    invoice
}

/// The payment method an invoice is charged to: the subscription's, else the customer's default.
pub fn payment_method_for(world: &World, invoice: &Value) -> Option<String> {
    let subscription = invoice["parent"]["subscription_details"]["subscription"]
        .as_str()
        .and_then(|id| world.find("subscription", id));
    subscription
        .and_then(|subscription| subscription["default_payment_method"].as_str())
        .or_else(|| {
            world
                .find("customer", invoice["customer"].as_str().unwrap_or_default())
                .and_then(|customer| {
                    customer["invoice_settings"]["default_payment_method"].as_str()
                })
        })
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
    let outcome = match chosen {
        Some(payment_method) => match world.cards.get(&payment_method) {
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

/// Cancels a subscription at once, emitting `customer.subscription.deleted`.
pub fn cancel_now(world: &mut World, subscription_id: &str, reason: &str) -> Option<Value> {
    let before = world.find("subscription", subscription_id)?.clone();
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut after = before.clone();
    after["status"] = json!("canceled");
    after["canceled_at"] = json!(before["canceled_at"].as_i64().unwrap_or(now));
    after["ended_at"] = json!(now);
    after["cancellation_details"]["reason"] = json!(reason);
    world.put(after.clone());
    world.pending_lines.remove(subscription_id);
    world.dunning.remove(subscription_id);
    let previous = crate::world::previous_attributes(&before, &after);
    world.emit("customer.subscription.deleted", &after, Some(previous));
    Some(after)
}

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

/// What falls due for a subscription at some moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Due {
    /// `customer.subscription.trial_will_end`, three days before the trial ends.
    TrialNotice,
    /// The trial ends: invoice and charge, or the missing-card behaviour.
    TrialEnd,
    /// `invoice.upcoming`, a week before a renewal.
    UpcomingNotice,
    /// `cancel_at` is reached.
    CancelAt,
    /// A failed payment is retried.
    Retry,
    /// The period ends: renew, or cancel at period end.
    PeriodEnd,
    /// An incomplete subscription's first invoice was not paid within 23 hours.
    IncompleteExpiry,
    /// A pending update's invoice was not paid by its `expires_at`.
    PendingUpdateExpiry,
}

/// Runs every time-based transition due by `now` for subscriptions on `clock` (None: the
/// emulator-wide clock, i.e. customers without a test clock), earliest first, each at its own
/// time: the clock is set to the due moment while it is applied, so events, invoices and
/// `ended_at` carry that moment. The clock ends at `now`.
pub fn run_due(world: &mut World, clock: Option<&str>, now: i64) {
    let ids: Vec<String> = world
        .all("subscription")
        .filter(|subscription| subscription["test_clock"].as_str() == clock)
        .filter(|subscription| {
            !matches!(
                subscription["status"].as_str(),
                Some("canceled" | "incomplete_expired")
            )
        })
        .filter_map(|subscription| subscription["id"].as_str().map(str::to_owned))
        .collect();
    // The emulator-wide clock is wall time plus an offset: restore the offset itself, so the
    // wall clock ticking while we work cannot shift it.
    let saved_offset = world.clock_offset;
    // Each step moves one subscription forward; the bound guards against a stuck state.
    for _ in 0..1_000_000 {
        let next = ids
            .iter()
            .filter_map(|id| next_due(world, id).map(|(at, due)| (at, id, due)))
            .filter(|(at, _, _)| *at <= now)
            .min_by_key(|(at, _, _)| *at);
        let Some((at, id, due)) = next.map(|(at, id, due)| (at, id.clone(), due)) else {
            break;
        };
        set_time(world, clock, at);
        apply_due(world, &id, due, at);
    }
    match clock {
        None => world.clock_offset = saved_offset,
        Some(_) => set_time(world, clock, now),
    }
}

/// Sets the emulator-wide clock, or a test clock, to `at`.
fn set_time(world: &mut World, clock: Option<&str>, at: i64) {
    match clock {
        None => world.clock_offset = at - crate::world::wall_clock(),
        Some(clock) => {
            if let Some(mut found) = world.find("test_helpers.test_clock", clock).cloned() {
                found["frozen_time"] = json!(at);
                world.put(found);
            }
        }
    }
}

/// Runs what is due now for one subscription (after `trial_end=now`, a new card, a resume).
pub fn run_due_now(world: &mut World, id: &str) {
    let Some(customer) = world
        .find("subscription", id)
        .and_then(|sub| sub["customer"].as_str())
        .map(str::to_owned)
    else {
        return;
    };
    let now = world.now_for_customer(&customer);
    for _ in 0..10_000 {
        match next_due(world, id) {
            Some((at, due)) if at <= now => apply_due(world, id, due, at),
            _ => break,
        }
    }
}

/// The next moment something happens to a subscription, and what.
fn next_due(world: &World, id: &str) -> Option<(i64, Due)> {
    let subscription = world.find("subscription", id)?;
    let status = subscription["status"].as_str()?;
    let period_start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or_default();
    let period_end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(i64::MAX);
    let dunning = world.dunning.get(id).cloned().unwrap_or_default();
    let mut candidates: Vec<(i64, Due)> = Vec::new();
    match status {
        "trialing" => {
            let trial_end = subscription["trial_end"].as_i64().unwrap_or(period_end);
            // A trial shorter than three days gets its notice as soon as it starts.
            let notice_at = (trial_end - 3 * DAY).max(period_start);
            if dunning.trial_notice_for != Some(trial_end) {
                candidates.push((notice_at, Due::TrialNotice));
            }
            candidates.push((trial_end, Due::TrialEnd));
        }
        "active" | "past_due" | "unpaid" => {
            let renews =
                subscription["cancel_at_period_end"] != true && subscription["cancel_at"].is_null();
            let notice_at = period_end.saturating_sub(UPCOMING_NOTICE_DAYS * DAY);
            if renews
                && status == "active"
                && dunning.upcoming_notice_for != Some(period_end)
                && notice_at > period_start
            {
                candidates.push((notice_at, Due::UpcomingNotice));
            }
            if let Some(cancel_at) = subscription["cancel_at"]
                .as_i64()
                .filter(|at| *at < period_end)
            {
                candidates.push((cancel_at, Due::CancelAt));
            }
            if let Some(attempt) = dunning.next_attempt.filter(|at| *at < period_end) {
                candidates.push((attempt, Due::Retry));
            }
            candidates.push((period_end, Due::PeriodEnd));
        }
        "incomplete" => {
            let created = subscription["created"].as_i64().unwrap_or_default();
            candidates.push((created + 23 * 3600, Due::IncompleteExpiry));
        }
        _ => {}
    }
    // First among equals: a pending update expires before the period it was bounded by ends.
    if let Some(at) = crate::api::pending_updates::expires_at(subscription) {
        candidates.insert(0, (at, Due::PendingUpdateExpiry));
    }
    candidates.into_iter().min_by_key(|(at, _)| *at)
}

/// Applies one due transition at `at` (the clock already reads `at`).
fn apply_due(world: &mut World, id: &str, due: Due, at: i64) {
    let Some(subscription) = world.find("subscription", id).cloned() else {
        return;
    };
    match due {
        Due::TrialNotice => {
            let trial_end = subscription["trial_end"].as_i64();
            world
                .dunning
                .entry(id.to_owned())
                .or_default()
                .trial_notice_for = trial_end;
            world.emit("customer.subscription.trial_will_end", &subscription, None);
        }
        Due::TrialEnd => end_trial(world, &subscription, at),
        Due::UpcomingNotice => {
            let period_end = subscription["items"]["data"][0]["current_period_end"]
                .as_i64()
                .unwrap_or(at);
            world
                .dunning
                .entry(id.to_owned())
                .or_default()
                .upcoming_notice_for = Some(period_end);
            let upcoming = upcoming_invoice(world, &subscription, period_end);
            world.emit("invoice.upcoming", &upcoming, None);
        }
        Due::CancelAt => {
            cancel_now(world, id, "cancellation_requested");
        }
        Due::Retry => retry(world, id),
        Due::PeriodEnd => {
            if subscription["cancel_at_period_end"] == true
                || subscription["cancel_at"].as_i64() == Some(at)
            {
                cancel_now(world, id, "cancellation_requested");
            } else if subscription["status"] == "unpaid" {
                roll_period(world, &subscription, at);
            } else {
                renew(world, &subscription, at);
            }
        }
        Due::PendingUpdateExpiry => crate::api::pending_updates::expire(world, id),
        Due::IncompleteExpiry => {
            // Stripe voids the unpaid first invoice when the subscription expires.
            if let Some(invoice) = subscription["latest_invoice"]
                .as_str()
                .filter(|id| {
                    world
                        .find("invoice", id)
                        .is_some_and(|found| found["status"] == "open")
                })
                .map(str::to_owned)
            {
                // Only an open invoice is voided, so this cannot fail.
                let _ = crate::invoicing::void(world, &invoice);
            }
            let mut after = subscription.clone();
            after["status"] = json!("incomplete_expired");
            after["ended_at"] = json!(at);
            world.update_and_emit("customer.subscription.updated", &subscription, after);
        }
    }
}

/// Moves every item to the period starting at `start`.
fn roll_period(world: &mut World, subscription: &Value, start: i64) -> Value {
    let mut after = subscription.clone();
    let anchor = subscription["billing_cycle_anchor"]
        .as_i64()
        .unwrap_or(start);
    if let Some(items) = after["items"]["data"].as_array_mut() {
        for item in items {
            let end = period_end_after(anchor, start, &item["price"]["recurring"]);
            item["current_period_start"] = json!(start);
            item["current_period_end"] = json!(end);
        }
    }
    world.put(after.clone());
    after
}

fn end_trial(world: &mut World, subscription: &Value, trial_end: i64) {
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

fn renew(world: &mut World, subscription: &Value, period_end: i64) {
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
fn invoice_period(world: &mut World, before: &Value, mut after: Value, start: i64, reason: &str) {
    let end = after["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(start);
    let lines = period_lines(world, &after, start, end, false);
    let invoice = create_invoice(
        world,
        &after,
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

fn schedule_retry(world: &mut World, id: &str, failed_at: i64, failed_attempts: u32) {
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
fn retry(world: &mut World, id: &str) {
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

/// Resumes a paused subscription: a new period starts now and is invoiced at once.
pub fn resume(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("subscription", id, "subscription")?;
    if before["status"] != "paused" {
        return Err(ApiError::state(
            "Only a paused subscription can be resumed.",
        ));
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut rolled = before.clone();
    rolled["billing_cycle_anchor"] = json!(now);
    let rolled = roll_period(world, &rolled, now);
    let mut active = rolled;
    active["status"] = json!("active");
    invoice_period(world, &before, active, now, "subscription_cycle");
    let after = world.get("subscription", id, "subscription")?;
    world.emit("customer.subscription.resumed", &after, None);
    Ok(after)
}

/// A requested change of one subscription item.
pub struct ItemChange {
    /// The item being changed (`si_…`), or None to add an item.
    pub item: Option<String>,
    /// The new price, if it changes.
    pub price: Option<Value>,
    /// The new quantity, if it changes.
    pub quantity: Option<i64>,
    /// `items[][deleted]=true`: the item is removed.
    pub deleted: bool,
}

/// Proration lines for item changes at `at`: a credit for the unused time on each replaced or
/// removed item, and a charge for the remaining time on each new price, quantity or added item.
pub fn proration_lines(
    world: &mut World,
    subscription: &Value,
    changes: &[ItemChange],
    at: i64,
) -> Vec<Value> {
    let items = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(first) = items.first() else {
        return Vec::new();
    };
    let start = first["current_period_start"].as_i64().unwrap_or(at);
    let end = first["current_period_end"].as_i64().unwrap_or(at);
    if end <= at || end <= start {
        return Vec::new();
    }
    let share = (end - at) as f64 / (end - start) as f64;
    let date = time::OffsetDateTime::from_unix_timestamp(at)
        .map(|at| at.date().to_string())
        .unwrap_or_default();
    let amount =
        |price: &Value, quantity: i64| price["unit_amount"].as_i64().unwrap_or(0) * quantity;
    let mut lines = Vec::new();
    for change in changes {
        let old = change
            .item
            .as_deref()
            .and_then(|id| items.iter().find(|item| item["id"] == id))
            .cloned();
        let old_quantity = old
            .as_ref()
            .map(|item| item["quantity"].as_i64().unwrap_or(1));
        let new = match (&old, change.deleted) {
            (_, true) => None,
            (Some(item), false) => Some((
                change
                    .price
                    .clone()
                    .unwrap_or_else(|| item["price"].clone()),
                change.quantity.or(old_quantity).unwrap_or(1),
            )),
            (None, false) => change
                .price
                .clone()
                .map(|price| (price, change.quantity.unwrap_or(1))),
        };
        let unchanged = match (&old, &new) {
            (Some(item), Some((price, quantity))) => {
                item["price"]["id"] == price["id"] && old_quantity == Some(*quantity)
            }
            _ => false,
        };
        if unchanged {
            continue;
        }
        if let Some(item) = &old {
            let quantity = old_quantity.unwrap_or(1);
            let credit = -((amount(&item["price"], quantity) as f64 * share).round() as i64);
            let description = format!(
                "Unused time on {} after {date}",
                describe(world, &item["price"])
            );
            lines.push(line(
                world,
                subscription,
                item,
                credit,
                quantity,
                &description,
                (at, end),
                true,
            ));
        }
        if let Some((price, quantity)) = new {
            let mut item = old.clone().unwrap_or_else(|| json!({ "id": null }));
            item["price"] = price.clone();
            let debit = (amount(&price, quantity) as f64 * share).round() as i64;
            let description = format!("Remaining time on {} after {date}", describe(world, &price));
            lines.push(line(
                world,
                subscription,
                &item,
                debit,
                quantity,
                &description,
                (at, end),
                true,
            ));
        }
    }
    lines
}

fn describe(world: &World, price: &Value) -> String {
    world
        .find("product", price["product"].as_str().unwrap_or_default())
        .and_then(|product| product["name"].as_str())
        .unwrap_or("the plan")
        .to_owned()
}

/// Applies item changes to a subscription value (not stored), returning it.
pub fn apply_item_changes(
    world: &mut World,
    subscription: &Value,
    changes: &[ItemChange],
) -> Value {
    let mut after = subscription.clone();
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    let period = (
        subscription["items"]["data"][0]["current_period_start"]
            .as_i64()
            .unwrap_or_default(),
        subscription["items"]["data"][0]["current_period_end"]
            .as_i64()
            .unwrap_or_default(),
    );
    let mut items = after["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for change in changes {
        if change.deleted {
            items.retain(|item| item["id"].as_str() != change.item.as_deref());
            continue;
        }
        match items
            .iter_mut()
            .find(|item| item["id"].as_str() == change.item.as_deref())
        {
            Some(item) => {
                if let Some(price) = &change.price {
                    item["price"] = price.clone();
                    item["plan"] = crate::api::plans::view(price);
                }
                if let Some(quantity) = change.quantity {
                    item["quantity"] = json!(quantity);
                }
            }
            None => {
                if let Some(price) = &change.price {
                    let item = subscription_item(
                        world,
                        &id,
                        price,
                        change.quantity.unwrap_or(1),
                        period.0,
                        period.1,
                    );
                    items.push(item);
                }
            }
        }
    }
    after["items"] = embedded(items, format!("/v1/subscription_items?subscription={id}"));
    after
}

/// The latest invoice of an incomplete, past-due or unpaid subscription was paid: it is active.
/// The invoice a pending update waits for was paid: the update applies.
pub fn settle_paid(world: &mut World, subscription_id: &str, invoice_id: &str) {
    if crate::api::pending_updates::apply_if_paid(world, subscription_id, invoice_id) {
        return;
    }
    let Some(before) = world.find("subscription", subscription_id).cloned() else {
        return;
    };
    let waiting = matches!(
        before["status"].as_str(),
        Some("incomplete" | "past_due" | "unpaid")
    );
    if !waiting || before["latest_invoice"] != invoice_id {
        return;
    }
    world.dunning.remove(subscription_id);
    let mut after = before.clone();
    after["status"] = json!("active");
    world.update_and_emit("customer.subscription.updated", &before, after);
}

/// The draft of a subscription's next renewal invoice, as `invoice.upcoming` carries it (no id).
fn upcoming_invoice(world: &mut World, subscription: &Value, period_end: i64) -> Value {
    let interval = subscription["items"]["data"][0]["price"]["recurring"]["interval"]
        .as_str()
        .unwrap_or("month");
    let count = subscription["items"]["data"][0]["price"]["recurring"]["interval_count"]
        .as_i64()
        .unwrap_or(1);
    let next_end = add_interval(period_end, interval, count);
    let mut lines = period_lines(world, subscription, period_end, next_end, false);
    let id = subscription["id"].as_str().unwrap_or_default();
    lines.extend(world.pending_lines.get(id).cloned().unwrap_or_default());
    let customer = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut invoice = build_invoice(
        world,
        &customer,
        Some(subscription),
        lines,
        "upcoming",
        (period_end, period_end),
        Stage::Preview,
    );
    invoice["id"] = Value::Null;
    invoice["next_payment_attempt"] = json!(period_end);
    invoice
}
