//! Subscriptions made and ended: creating one with its first invoice and payment, cancelling at
//! once, resuming a paused one, and activating one whose awaited invoice was paid.

use serde_json::{json, Value};

use super::collection::collect;
use super::invoices::{create_invoice, period_lines};
use super::periods::{period_end_after, roll_period};
use super::renewals::invoice_period;
use super::schedule::run_due_now;
use crate::error::ApiError;
use crate::listing::embedded;
use crate::world::World;

/// What a new subscription is made of.
pub struct NewSubscription {
    /// `cus_…`
    pub customer: String,
    /// Prices (full objects) with quantities and tax rates.
    pub items: Vec<NewItem>,
    /// When the trial ends, if there is one.
    pub trial_end: Option<i64>,
    /// The subscription's own default payment method.
    pub default_payment_method: Option<String>,
    /// The subscription's own default card source (`card_…`), used after its payment method.
    pub default_source: Option<String>,
    /// `allow_incomplete` (default), `default_incomplete`, `error_if_incomplete`.
    pub payment_behavior: String,
    /// `trial_settings[end_behavior][missing_payment_method]`: `create_invoice`, `pause`, `cancel`.
    pub missing_payment_method: String,
    /// Metadata.
    pub metadata: Value,
    /// `description`
    pub description: Option<String>,
    /// Coupons to redeem onto it (`discounts[]`), already checked.
    pub discounts: Vec<crate::discounts::Requested>,
    /// The Checkout Session it comes from, recorded on its discounts.
    pub checkout_session: Option<String>,
    /// The subscription schedule (`sub_sched_…`) that starts it and manages it, if any.
    pub schedule: Option<String>,
    /// `automatic_tax[enabled]`: tax from the customer's location.
    pub automatic_tax: bool,
    /// `default_tax_rates[]`, full tax rate objects.
    pub default_tax_rates: Vec<Value>,
}

/// One item of a new subscription.
pub struct NewItem {
    /// The price, a full object.
    pub price: Value,
    pub quantity: i64,
    /// `items[][tax_rates][]`, full tax rate objects.
    pub tax_rates: Vec<Value>,
}

pub(super) fn subscription_item(
    world: &mut World,
    subscription: &str,
    item: &NewItem,
    start: i64,
    end: i64,
) -> Value {
    let NewItem {
        price,
        quantity,
        tax_rates,
    } = item;
    let id = world.new_id("si");
    let mut item = json!({
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
        "tax_rates": tax_rates,
    });
    // A metered price's item has no quantity: its usage is what is billed.
    if crate::metering::is_metered(price) {
        item.as_object_mut().map(|item| item.remove("quantity"));
    }
    item
}

/// Creates a subscription, its first invoice and payment, and their events.
pub fn create_subscription(world: &mut World, new: NewSubscription) -> Result<Value, ApiError> {
    let customer = world.get("customer", &new.customer, "customer")?;
    let currency = shared_currency(&new.items)?;
    let now = world.now_for_customer(&new.customer);
    check_first_payment(world, &new, &customer)?;
    let mut subscription = subscription_object(world, &new, &customer, currency, now);
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    subscription["discounts"] = json!(crate::discounts::redeem(
        world,
        &new.discounts,
        &new.customer,
        &id,
        new.checkout_session.as_deref(),
    ));
    world.insert(subscription.clone());
    world.emit("customer.subscription.created", &subscription, None);
    let paid = invoice_first_period(world, &mut subscription, &new, now);
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

/// The currency every price of a new subscription shares; each must be recurring.
fn shared_currency(items: &[NewItem]) -> Result<Value, ApiError> {
    let Some(first) = items.first() else {
        return Err(ApiError::missing("items"));
    };
    let currency = first.price["currency"].clone();
    for NewItem { price, .. } in items {
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
    Ok(currency)
}

/// Refuses a subscription charged at once without a payment method (unless its first invoice is
/// left for the client to confirm), or whose card declines under `error_if_incomplete`.
fn check_first_payment(
    world: &World,
    new: &NewSubscription,
    customer: &Value,
) -> Result<(), ApiError> {
    let payment_method = new
        .default_payment_method
        .clone()
        .or_else(|| new.default_source.clone())
        .or_else(|| super::collection::customer_default(customer));
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
    Ok(())
}

/// The new subscription as Stripe shows it, with its items, before its first invoice: trialing
/// until `trial_end`, else incomplete until paid.
fn subscription_object(
    world: &mut World,
    new: &NewSubscription,
    customer: &Value,
    currency: Value,
    now: i64,
) -> Value {
    let id = world.new_id("sub");
    let first_recurring = new.items[0].price["recurring"].clone();
    let period_end = match new.trial_end {
        Some(trial_end) => trial_end,
        None => period_end_after(now, now, &first_recurring),
    };
    let items: Vec<Value> = new
        .items
        .iter()
        .map(|item| subscription_item(world, &id, item, now, period_end))
        .collect();
    json!({
        "id": id,
        "object": "subscription",
        "application": null,
        "application_fee_percent": null,
        "automatic_tax": crate::tax::subscription_automatic_tax(new.automatic_tax),
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
        "default_source": new.default_source,
        "default_tax_rates": new.default_tax_rates,
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
        "schedule": new.schedule,
        "start_date": now,
        "status": if new.trial_end.is_some() { "trialing" } else { "incomplete" },
        "test_clock": customer["test_clock"],
        "transfer_data": null,
        "trial_end": new.trial_end,
        "trial_settings": { "end_behavior": { "missing_payment_method": new.missing_payment_method } },
        "trial_start": new.trial_end.map(|_| now),
    })
}

/// Invoices a new subscription's first period (zero during a trial) and collects it, unless
/// `default_incomplete` leaves it open for the client to confirm; says whether it was paid.
fn invoice_first_period(
    world: &mut World,
    subscription: &mut Value,
    new: &NewSubscription,
    now: i64,
) -> bool {
    let period_end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(now);
    let lines = period_lines(
        world,
        subscription,
        now,
        period_end,
        new.trial_end.is_some(),
    );
    let invoice = create_invoice(
        world,
        &mut *subscription,
        lines,
        "subscription_create",
        (now, now),
    );
    subscription["latest_invoice"] = invoice["id"].clone();
    world.put(subscription.clone());
    let invoice_id = invoice["id"].as_str().unwrap_or_default();
    if new.payment_behavior == "default_incomplete" && new.trial_end.is_none() {
        false
    } else {
        collect(world, invoice_id).is_ok()
    }
}

fn period_end_anchor(trial_end: Option<i64>, now: i64) -> i64 {
    trial_end.unwrap_or(now)
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
    crate::schedules::subscription_ended(world, &after);
    Some(after)
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
