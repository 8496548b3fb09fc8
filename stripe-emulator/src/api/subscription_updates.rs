//! `POST /v1/subscriptions/{id}`: price swaps and quantities with prorations (kept for the next
//! invoice, or billed at once for an interval change or `always_invoice`), cancellation at the
//! period end or at a time, the default payment method, the trial's end, metadata, and pending
//! updates (`payment_behavior=pending_if_incomplete`).
//! <https://docs.stripe.com/api/subscriptions/update>

use serde_json::{json, Value};

use super::{merge_metadata, pending_updates};
use crate::billing::{self, ItemChange};
use crate::discounts;
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::world::World;

/// `POST /v1/subscriptions/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let pending = pending_updates::requested(params);
    if pending {
        pending_updates::check_parameters(params)?;
    }
    let before = world.get("subscription", call.id(), "id")?;
    if matches!(
        before["status"].as_str(),
        Some("canceled" | "incomplete_expired")
    ) {
        return Err(ApiError::state(format!(
            "A canceled subscription can only update its cancellation_details and metadata. (id: {})",
            call.id()
        )));
    }
    if let Some(schedule) = before["schedule"].as_str() {
        if params.get("cancel_at_period_end").is_some() || params.get("cancel_at").is_some() {
            return Err(ApiError::invalid(
                format!("The subscription is managed by the subscription schedule `{schedule}`, and updating any cancelation behavior directly is not allowed. Please update the schedule instead."),
                None,
            ));
        }
    }
    let customer = before["customer"].as_str().unwrap_or_default().to_owned();
    let now = world.now_for_customer(&customer);
    let changes = item_changes(world, &before, params)?;
    let proration = params
        .one_of(
            "proration_behavior",
            &["create_prorations", "always_invoice", "none"],
        )?
        .unwrap_or_else(|| "create_prorations".to_owned());
    let at = super::proration_date(params, "proration_date", &before, now)?;
    let mut after = if changes.is_empty() {
        before.clone()
    } else {
        billing::apply_item_changes(world, &before, &changes)
    };
    if after["items"]["data"].as_array().is_none_or(Vec::is_empty) {
        return Err(ApiError::invalid(
            "A subscription needs at least one item; cancel it instead of deleting the last one.",
            Some("items"),
        ));
    }
    let interval_changed = after["items"]["data"][0]["price"]["recurring"]["interval"]
        != before["items"]["data"][0]["price"]["recurring"]["interval"];
    let mut invoice_now = None;
    if !changes.is_empty() && before["status"] != "trialing" {
        let lines = if proration == "none" {
            Vec::new()
        } else {
            billing::proration_lines(world, &before, &changes, at)
        };
        if interval_changed || proration == "always_invoice" {
            invoice_now = Some(lines);
        } else if !lines.is_empty() {
            billing::hold_prorations(world, &before, lines);
        }
    }
    set_cancellation(&mut after, params, now)?;
    if let Some(description) = params.str("description") {
        after["description"] = if description.is_empty() {
            Value::Null
        } else {
            json!(description)
        };
    }
    set_default_payment_method(world, &mut after, params, &customer)?;
    if let Some(id) = params.str("default_source") {
        after["default_source"] = if id.is_empty() {
            Value::Null
        } else {
            crate::sources::find(world, &customer, id, "default_source")?["id"].clone()
        };
    }
    if params.get("trial_end").is_some() && before["status"] == "trialing" {
        move_trial_end(&mut after, params, now)?;
    }
    merge_metadata(&mut after, params);
    set_taxes(world, &mut after, params, &customer)?;
    replace_discounts(world, &mut after, params, &customer)?;
    if pending && !before["pending_update"].is_null() {
        pending_updates::discard_waiting(world, &before)?;
        after["pending_update"] = Value::Null;
    }
    if let Some(lines) = invoice_now {
        let change = PlanChange {
            before: &before,
            lines,
            interval_changed,
            pending,
            now,
        };
        match change.invoice(world, after, params) {
            Billed::Paid(rolled) => after = rolled,
            Billed::Held(held) => {
                return Ok(world.update_and_emit("customer.subscription.updated", &before, held));
            }
        }
    }
    let card_changed = after["default_payment_method"] != before["default_payment_method"]
        || after["default_source"] != before["default_source"];
    let after = world.update_and_emit("customer.subscription.updated", &before, after);
    if !changes.is_empty() {
        crate::schedules::subscription_changed(world, &after);
    }
    if card_changed {
        billing::card_changed(world, &customer);
    }
    if params.str("trial_end") == Some("now") {
        // The trial ends at once: invoice and charge now, not on the next tick.
        billing::run_due_now(world, call.id());
    }
    if card_changed || params.str("trial_end") == Some("now") {
        return world.get("subscription", call.id(), "id");
    }
    Ok(after)
}

/// `automatic_tax[enabled]` (refused for prices without `tax_behavior` or a customer without a
/// location) and `default_tax_rates[]` (`""` clears them).
fn set_taxes(
    world: &World,
    after: &mut Value,
    params: &Params,
    customer: &str,
) -> Result<(), ApiError> {
    if let Some(enabled) = crate::tax::automatic_tax_param(params, "automatic_tax")? {
        if enabled {
            let prices: Vec<(&Value, String)> = after["items"]["data"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|item| (&item["price"], "automatic_tax[enabled]".to_owned()))
                .collect();
            crate::tax::check_prices(&prices)?;
            crate::tax::check_location(&world.get("customer", customer, "customer")?)?;
        }
        after["automatic_tax"] = crate::tax::subscription_automatic_tax(enabled);
    }
    if let Some(rates) = crate::tax::requested_rates(world, params, "default_tax_rates")? {
        after["default_tax_rates"] = json!(rates);
    }
    Ok(())
}

/// `discounts[]` replaces the subscription's discounts: `discounts[i][discount]` keeps one it
/// has, a coupon or promotion code redeems a new one, the others end (`discounts=` ends all).
fn replace_discounts(
    world: &mut World,
    after: &mut Value,
    params: &Params,
    customer: &str,
) -> Result<(), ApiError> {
    if params.get("discounts").is_none() {
        return Ok(());
    }
    let requested = discounts::requested(world, params, Some(customer))?;
    let mut kept = Vec::new();
    for (index, entry) in params.array("discounts").iter().enumerate() {
        if let Some(id) = entry["discount"].as_str() {
            if !after["discounts"]
                .as_array()
                .is_some_and(|known| known.iter().any(|known| known == id))
            {
                return Err(ApiError::missing_resource(
                    "discount",
                    id,
                    &format!("discounts[{index}][discount]"),
                ));
            }
            kept.push(id.to_owned());
        }
    }
    let current: Vec<String> = after["discounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect();
    for id in current.iter().filter(|id| !kept.contains(id)) {
        discounts::end(world, after, id);
    }
    let subscription = after["id"].as_str().unwrap_or_default().to_owned();
    let added = discounts::redeem(world, &requested, customer, &subscription, None);
    if let Some(list) = after["discounts"].as_array_mut() {
        list.extend(added);
    }
    Ok(())
}

/// The `items[]` of an update, as changes to the subscription's items (each named item must be
/// one of them).
fn item_changes(
    world: &World,
    before: &Value,
    params: &Params,
) -> Result<Vec<ItemChange>, ApiError> {
    let mut changes = Vec::new();
    for (index, entry) in params.array("items").iter().enumerate() {
        let price = match entry["price"].as_str() {
            Some(price) => Some(super::swap_price(
                world,
                before,
                price,
                &format!("items[{index}][price]"),
            )?),
            None => None,
        };
        let quantity = super::quantity(entry, &format!("items[{index}][quantity]"), 1)?;
        let item = entry["id"].as_str().map(str::to_owned);
        if let Some(item) = &item {
            let known = before["items"]["data"]
                .as_array()
                .is_some_and(|items| items.iter().any(|known| known["id"] == item.as_str()));
            if !known {
                return Err(ApiError::missing_resource(
                    "subscription item",
                    item,
                    &format!("items[{index}][id]"),
                ));
            }
        }
        let priced = price.clone().or_else(|| {
            item.as_deref().and_then(|id| {
                before["items"]["data"]
                    .as_array()?
                    .iter()
                    .find(|known| known["id"] == id)
                    .map(|known| known["price"].clone())
            })
        });
        if let Some(priced) = &priced {
            super::no_metered_quantity(priced, entry, &format!("items[{index}][quantity]"))?;
        }
        let deleted = entry["deleted"] == "true";
        let tax_rates =
            crate::tax::requested_rates(world, params, &format!("items.{index}.tax_rates"))?;
        changes.push(ItemChange {
            item,
            price,
            quantity,
            deleted,
            tax_rates,
        });
    }
    Ok(changes)
}

/// `cancel_at_period_end`, `cancel_at` and `cancellation_details[…]`.
fn set_cancellation(after: &mut Value, params: &Params, now: i64) -> Result<(), ApiError> {
    if let Some(cancel) = params.bool("cancel_at_period_end")? {
        after["cancel_at_period_end"] = json!(cancel);
        let period_end = after["items"]["data"][0]["current_period_end"].clone();
        after["cancel_at"] = if cancel { period_end } else { Value::Null };
        after["canceled_at"] = if cancel { json!(now) } else { Value::Null };
        if !cancel {
            after["cancellation_details"] =
                json!({ "comment": null, "feedback": null, "reason": null });
        } else {
            after["cancellation_details"]["reason"] = json!("cancellation_requested");
        }
    }
    if let Some(cancel_at) = params.str("cancel_at") {
        after["cancel_at"] = if cancel_at.is_empty() {
            Value::Null
        } else {
            json!(cancel_at
                .parse::<i64>()
                .map_err(|_| ApiError::invalid("Invalid integer", Some("cancel_at")))?)
        };
    }
    for field in ["comment", "feedback"] {
        if let Some(value) = params.str(&format!("cancellation_details.{field}")) {
            after["cancellation_details"][field] = json!(value);
        }
    }
    Ok(())
}

/// `default_payment_method`: empty clears it; otherwise it must belong to the customer.
fn set_default_payment_method(
    world: &mut World,
    after: &mut Value,
    params: &Params,
    customer: &str,
) -> Result<(), ApiError> {
    let Some(id) = params.str("default_payment_method") else {
        return Ok(());
    };
    if id.is_empty() {
        after["default_payment_method"] = Value::Null;
        return Ok(());
    }
    let payment_method = super::payment_methods::resolve(world, id, "default_payment_method")?;
    if payment_method["customer"] != customer {
        return Err(ApiError::invalid(
            "The payment method must be attached to the customer.",
            Some("default_payment_method"),
        ));
    }
    after["default_payment_method"] = payment_method["id"].clone();
    Ok(())
}

/// `trial_end` on a trialing subscription: `now` ends the trial at once; a timestamp moves its end.
fn move_trial_end(after: &mut Value, params: &Params, now: i64) -> Result<(), ApiError> {
    let trial_end = match params.str("trial_end") {
        Some("now") => now,
        _ => params
            .int_in(
                "trial_end",
                now + 1..=now + super::MAX_TRIAL_DAYS * billing::DAY,
            )?
            .unwrap_or(now),
    };
    after["trial_end"] = json!(trial_end);
    if let Some(items) = after["items"]["data"].as_array_mut() {
        for item in items {
            item["current_period_end"] = json!(trial_end);
        }
    }
    Ok(())
}

/// A plan change billed at once: an interval change, or `proration_behavior=always_invoice`.
struct PlanChange<'a> {
    /// The subscription before the update.
    before: &'a Value,
    /// The proration lines to bill.
    lines: Vec<Value>,
    /// The interval changed: a new period starts now and is billed too.
    interval_changed: bool,
    /// `payment_behavior=pending_if_incomplete`: an unpaid change waits instead of applying.
    pending: bool,
    /// The customer's time.
    now: i64,
}

/// What billing a plan change at once led to.
enum Billed {
    /// The subscription with the change (past due if its invoice was not paid).
    Paid(Value),
    /// The subscription unchanged, its update pending until the invoice is paid.
    Held(Value),
}

impl PlanChange<'_> {
    /// Invoices the change and collects the invoice. An interval change bills at once and starts
    /// a new period now; `always_invoice` bills the prorations at once and keeps the period.
    fn invoice(self, world: &mut World, mut after: Value, params: &Params) -> Billed {
        let now = self.now;
        if self.interval_changed {
            after["billing_cycle_anchor"] = json!(now);
        }
        world.put(after.clone());
        let mut rolled = after;
        let mut lines = self.lines;
        if self.interval_changed {
            start_period(&mut rolled, now);
            let end = rolled["items"]["data"][0]["current_period_end"]
                .as_i64()
                .unwrap_or(now);
            lines.extend(billing::period_lines(world, &rolled, now, end, false));
        }
        world.put(rolled.clone());
        let invoice =
            billing::create_invoice(world, &mut rolled, lines, "subscription_update", (now, now));
        rolled["latest_invoice"] = invoice["id"].clone();
        world.put(rolled.clone());
        if billing::collect(world, invoice["id"].as_str().unwrap_or_default()).is_err() {
            if self.pending {
                return Billed::Held(pending_updates::hold(
                    self.before,
                    &rolled,
                    &invoice,
                    params,
                    now,
                ));
            }
            rolled["status"] = json!("past_due");
        }
        Billed::Paid(rolled)
    }
}

/// Starts every item's period at `now`, one interval of its price long.
fn start_period(subscription: &mut Value, now: i64) {
    if let Some(items) = subscription["items"]["data"].as_array_mut() {
        for item in items {
            let end = billing::add_interval(
                now,
                item["price"]["recurring"]["interval"]
                    .as_str()
                    .unwrap_or("month"),
                item["price"]["recurring"]["interval_count"]
                    .as_i64()
                    .unwrap_or(1),
            );
            item["current_period_start"] = json!(now);
            item["current_period_end"] = json!(end);
        }
    }
}
