//! Subscriptions: create, retrieve, list (`customer`, `status`, `price`), cancel, resume.
//! Updates are in [`super::subscription_updates`], items in [`super::subscription_items`].
//! <https://docs.stripe.com/api/subscriptions>

use serde_json::{json, Value};

pub use super::subscription_updates::update;
use super::{list_objects, pending_updates};
use crate::billing::{self, NewItem, NewSubscription};
use crate::error::ApiError;
use crate::http::Call;
use crate::world::World;

/// `POST /v1/subscriptions`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = params.required("customer")?.to_owned();
    world.get("customer", &customer, "customer")?;
    if pending_updates::requested(params) {
        return Err(ApiError::invalid(
            "`payment_behavior=pending_if_incomplete` is only used with updates and cannot be \
             passed when creating a subscription.",
            Some("payment_behavior"),
        ));
    }
    let entries = params.array("items");
    if entries.is_empty() {
        return Err(ApiError::missing("items"));
    }
    let discounts = crate::discounts::requested(world, params, Some(&customer))?;
    let mut items = Vec::new();
    for (index, entry) in entries.iter().enumerate() {
        let price = entry["price"]
            .as_str()
            .ok_or_else(|| ApiError::missing(&format!("items.{index}.price")))?;
        let price = world.get("price", price, &format!("items[{index}][price]"))?;
        let quantity = super::quantity(entry, &format!("items[{index}][quantity]"), 1)?;
        super::no_metered_quantity(&price, entry, &format!("items[{index}][quantity]"))?;
        let tax_rates =
            crate::tax::requested_rates(world, params, &format!("items.{index}.tax_rates"))?;
        items.push(NewItem {
            price,
            quantity: quantity.unwrap_or(1),
            tax_rates: tax_rates.unwrap_or_default(),
        });
    }
    let automatic_tax = crate::tax::automatic_tax_param(params, "automatic_tax")? == Some(true);
    if automatic_tax {
        let priced: Vec<(&Value, String)> = items
            .iter()
            .enumerate()
            .map(|(index, item)| (&item.price, format!("items[{index}][price]")))
            .collect();
        crate::tax::check_prices(&priced)?;
        crate::tax::check_location(&world.get("customer", &customer, "customer")?)?;
    }
    let default_tax_rates =
        crate::tax::requested_rates(world, params, "default_tax_rates")?.unwrap_or_default();
    let now = world.now_for_customer(&customer);
    let latest_trial_end = now + super::MAX_TRIAL_DAYS * billing::DAY;
    let trial_end = match (
        params.int_in("trial_period_days", 0..=super::MAX_TRIAL_DAYS)?,
        params.str("trial_end"),
    ) {
        (_, Some("now")) => None,
        (_, Some(_)) => Some(
            params
                .int_in("trial_end", now + 1..=latest_trial_end)?
                .unwrap_or(now),
        ),
        (Some(days), None) if days > 0 => Some(now + days * billing::DAY),
        _ => None,
    };
    let default_payment_method = match params.str("default_payment_method") {
        Some(id) => {
            let payment_method =
                super::payment_methods::resolve(world, id, "default_payment_method")?;
            if payment_method["customer"] != customer.as_str() {
                return Err(ApiError::invalid(
                    format!("The customer does not have a payment method with the ID {id}. The payment method must be attached to the customer."),
                    Some("default_payment_method"),
                ));
            }
            payment_method["id"].as_str().map(str::to_owned)
        }
        None => None,
    };
    let default_source = match params.str("default_source") {
        Some(id) => crate::sources::find(world, &customer, id, "default_source")?["id"]
            .as_str()
            .map(str::to_owned),
        None => None,
    };
    let subscription = billing::create_subscription(
        world,
        NewSubscription {
            customer,
            items,
            trial_end,
            default_payment_method,
            default_source,
            payment_behavior: params
                .one_of(
                    "payment_behavior",
                    &[
                        "allow_incomplete",
                        "default_incomplete",
                        "error_if_incomplete",
                        "pending_if_incomplete",
                    ],
                )?
                .unwrap_or_else(|| "allow_incomplete".to_owned()),
            missing_payment_method: params
                .one_of(
                    "trial_settings.end_behavior.missing_payment_method",
                    &["cancel", "create_invoice", "pause"],
                )?
                .unwrap_or_else(|| "create_invoice".to_owned()),
            metadata: params
                .get("metadata")
                .filter(|value| value.is_object())
                .cloned()
                .unwrap_or(json!({})),
            description: params.str("description").map(str::to_owned),
            discounts,
            checkout_session: None,
            schedule: None,
            automatic_tax,
            default_tax_rates,
        },
    )?;
    if params.bool("cancel_at_period_end")? == Some(true) {
        let mut after = subscription.clone();
        after["cancel_at_period_end"] = json!(true);
        return Ok(world.update_and_emit("customer.subscription.updated", &subscription, after));
    }
    Ok(subscription)
}

/// `GET /v1/subscriptions/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("subscription", call.id(), "id")
}

/// `DELETE /v1/subscriptions/{id}`: cancels at once.
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("subscription", call.id(), "id")?;
    if before["status"] == "canceled" {
        return Err(ApiError::state(format!(
            "This subscription has already been canceled (id: {}).",
            call.id()
        )));
    }
    let mut details = before.clone();
    for field in ["comment", "feedback"] {
        if let Some(value) = call.params.str(&format!("cancellation_details.{field}")) {
            details["cancellation_details"][field] = json!(value);
        }
    }
    world.put(details.clone());
    // `invoice_now=true` bills the metered usage of the period so far before the end.
    if call.params.bool("invoice_now")? == Some(true) {
        let now = world.now_for_customer(details["customer"].as_str().unwrap_or_default());
        crate::metering::invoices::invoice_final_usage(world, &details, now);
    }
    billing::cancel_now(world, call.id(), "cancellation_requested")
        .ok_or_else(|| ApiError::missing_resource("subscription", call.id(), "id"))
}

/// `POST /v1/subscriptions/{id}/resume`: resumes a paused subscription with a new period
/// starting now (`billing_cycle_anchor[type]=now`, the default).
pub fn resume(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    if call.params.str("billing_cycle_anchor.type") == Some("unchanged") {
        return Err(ApiError::invalid(
            "The emulator resumes subscriptions with billing_cycle_anchor[type]=now only; \
             `unchanged` (prorations up to the old anchor) is not emulated.",
            Some("billing_cycle_anchor[type]"),
        ));
    }
    billing::resume(world, call.id())
}

/// `GET /v1/subscriptions`: by default every status except `canceled`, as in Stripe.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let statuses = [
        "active",
        "all",
        "canceled",
        "ended",
        "incomplete",
        "incomplete_expired",
        "past_due",
        "paused",
        "trialing",
        "unpaid",
    ];
    let status = params.one_of("status", &statuses)?;
    list_objects(
        world,
        params,
        "subscription",
        "/v1/subscriptions",
        |subscription| {
            let state = subscription["status"].as_str().unwrap_or_default();
            let ended = state == "canceled" || state == "incomplete_expired";
            let status_ok = match status.as_deref() {
                None => !ended,
                Some("all") => true,
                Some("ended") => ended,
                Some(wanted) => state == wanted,
            };
            let price_ok = params.str("price").is_none_or(|price| {
                subscription["items"]["data"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|item| item["price"]["id"] == price))
            });
            status_ok
                && price_ok
                && params.matches("customer", &subscription["customer"])
                && params.matches("test_clock", &subscription["test_clock"])
        },
    )
}
