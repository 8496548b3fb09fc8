//! A schedule's phases as Stripe shows them: read from `phases[]` (each phase's items, its end
//! from `end_date` or `duration`, else the next phase's `start_date`, else one billing interval of
//! its first price; the next phase starts where it ends), or made from a subscription's current
//! period (`from_subscription`).

use serde_json::{json, Value};

use crate::billing::{add_interval, ItemChange};
use crate::error::ApiError;
use crate::form::Params;
use crate::world::World;

/// The phases in `phases[]`, the first starting at `start`; `now` resolves `end_date=now`. A
/// phase without `automatic_tax` takes the schedule's `default_settings` (`defaults`).
pub fn parse(
    world: &World,
    params: &Params,
    (start, now): (i64, i64),
    defaults: &Value,
) -> Result<Vec<Value>, ApiError> {
    let entries = params.array("phases");
    if entries.is_empty() {
        return Err(ApiError::missing("phases"));
    }
    let mut phases = Vec::new();
    let mut phase_start = start;
    for index in 0..entries.len() {
        let next_start = params.int(&format!("phases.{}.start_date", index + 1))?;
        let mut phase = parse_one(world, params, index, (phase_start, next_start), now)?;
        if params
            .get(&format!("phases.{index}.automatic_tax"))
            .is_none()
        {
            phase["automatic_tax"] = defaults["automatic_tax"].clone();
        }
        phase_start = phase["end_date"].as_i64().unwrap_or(phase_start);
        phases.push(phase);
    }
    let currency = &phases[0]["currency"];
    if phases.iter().any(|phase| &phase["currency"] != currency) {
        return Err(ApiError::invalid(
            "All phases of a subscription schedule must use prices of one currency.",
            Some("phases"),
        ));
    }
    Ok(phases)
}

/// One phase, `phases[index]`, starting at `start` (and ending where the next phase's given
/// `start_date` says, if its own end is not given).
fn parse_one(
    world: &World,
    params: &Params,
    index: usize,
    (start, next_start): (i64, Option<i64>),
    now: i64,
) -> Result<Value, ApiError> {
    let at = |field: &str| format!("phases.{index}.{field}");
    let entries = params.array(&at("items"));
    if entries.is_empty() {
        return Err(ApiError::missing(&at("items")));
    }
    let mut items = Vec::new();
    let mut prices = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let param = format!("phases[{index}][items][{position}][price]");
        let id = entry["price"]
            .as_str()
            .or(entry["plan"].as_str())
            .ok_or_else(|| ApiError::missing(&format!("phases.{index}.items.{position}.price")))?;
        let price = world.get("price", id, &param)?;
        if price["type"] != "recurring" {
            return Err(ApiError::invalid(
                format!("The price specified ({id}) is not recurring. Subscription schedules need recurring prices."),
                Some(&param),
            ));
        }
        let quantity = crate::api::quantity(
            entry,
            &format!("phases[{index}][items][{position}][quantity]"),
            0,
        )?;
        let tax_rates = crate::tax::requested_rates(
            world,
            params,
            &format!("phases.{index}.items.{position}.tax_rates"),
        )?
        .unwrap_or_default();
        items.push(json!({
            "billing_thresholds": null, "discounts": [], "metadata": {}, "plan": id, "price": id,
            "quantity": quantity.unwrap_or(1), "tax_rates": tax_rates,
        }));
        prices.push(price);
    }
    let currency = prices[0]["currency"].clone();
    if prices.iter().any(|price| price["currency"] != currency) {
        return Err(ApiError::invalid(
            "All prices on a subscription must have the same currency.",
            Some(&format!("phases[{index}][items]")),
        ));
    }
    let end = phase_end(params, index, (start, next_start), now, &prices[0])?;
    let automatic = crate::tax::automatic_tax_param(params, &at("automatic_tax"))? == Some(true);
    Ok(json!({
        "add_invoice_items": [],
        "application_fee_percent": null,
        "automatic_tax": crate::tax::subscription_automatic_tax(automatic),
        "billing_cycle_anchor": null,
        "billing_thresholds": null,
        "collection_method": null,
        "currency": currency,
        "default_payment_method": null,
        "default_tax_rates": crate::tax::requested_rates(world, params, &at("default_tax_rates"))?.unwrap_or_default(),
        "description": params.str(&at("description")),
        "discounts": [],
        "end_date": end,
        "invoice_settings": null,
        "items": items,
        "metadata": params.get(&at("metadata")).filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "on_behalf_of": null,
        "proration_behavior": params.str(&at("proration_behavior")).unwrap_or("create_prorations"),
        "start_date": start,
        "transfer_data": null,
        "trial_end": null,
    }))
}

/// Where a phase ends: its `end_date`, its `duration` after its start, or one billing interval
/// of its first price.
fn phase_end(
    params: &Params,
    index: usize,
    (start, next_start): (i64, Option<i64>),
    now: i64,
    price: &Value,
) -> Result<i64, ApiError> {
    let end_param = format!("phases.{index}.end_date");
    let duration = params.get(&format!("phases.{index}.duration"));
    let end = match (params.str(&end_param), duration) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: duration, end_date.",
                Some(&format!("phases[{index}]")),
            ))
        }
        (Some("now"), None) => now,
        (Some(_), None) => params.int(&end_param)?.unwrap_or(start),
        (None, Some(duration)) => add_interval(
            start,
            duration["interval"].as_str().unwrap_or("month"),
            duration["interval_count"]
                .as_str()
                .and_then(|count| count.parse().ok())
                .unwrap_or(1),
        ),
        (None, None) => next_start.unwrap_or_else(|| {
            add_interval(
                start,
                price["recurring"]["interval"].as_str().unwrap_or("month"),
                price["recurring"]["interval_count"].as_i64().unwrap_or(1),
            )
        }),
    };
    if end <= start {
        return Err(ApiError::invalid(
            format!("The end_date of phase {index} must be after its start_date."),
            Some(&format!("phases[{index}][end_date]")),
        ));
    }
    Ok(end)
}

/// A subscription's items as a phase's items.
pub fn items_of(subscription: &Value) -> Value {
    let items: Vec<Value> = subscription["items"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|item| {
            json!({
                "billing_thresholds": null, "discounts": [], "metadata": {},
                "plan": item["price"]["id"], "price": item["price"]["id"],
                "quantity": item["quantity"], "tax_rates": item["tax_rates"],
            })
        })
        .collect();
    json!(items)
}

/// The one phase a schedule made from a subscription has: its items until its period ends.
pub fn from_subscription(subscription: &Value) -> Value {
    let items = items_of(subscription);
    let first = &subscription["items"]["data"][0];
    json!({
        "add_invoice_items": [],
        "application_fee_percent": null,
        "automatic_tax": subscription["automatic_tax"],
        "billing_cycle_anchor": null,
        "billing_thresholds": null,
        "collection_method": null,
        "currency": subscription["currency"],
        "default_payment_method": null,
        "default_tax_rates": subscription["default_tax_rates"],
        "description": null,
        "discounts": [],
        "end_date": first["current_period_end"],
        "invoice_settings": null,
        "items": items,
        "metadata": {},
        "on_behalf_of": null,
        "proration_behavior": "create_prorations",
        "start_date": first["current_period_start"],
        "transfer_data": null,
        "trial_end": null,
    })
}

/// The changes that turn a subscription's items into a phase's: the item at each position takes
/// the phase's price and quantity there, extra phase items are added, extra items removed.
pub fn item_changes(world: &World, subscription: &Value, phase: &Value) -> Vec<ItemChange> {
    let current = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let wanted = phase["items"].as_array().cloned().unwrap_or_default();
    let mut changes = Vec::new();
    for position in 0..current.len().max(wanted.len()) {
        let item = current.get(position);
        let Some(target) = wanted.get(position) else {
            changes.push(ItemChange {
                item: item.and_then(|item| item["id"].as_str().map(str::to_owned)),
                price: None,
                quantity: None,
                deleted: true,
                tax_rates: None,
            });
            continue;
        };
        let price = target["price"]
            .as_str()
            .and_then(|id| world.find("price", id))
            .cloned();
        let quantity = target["quantity"].as_i64().unwrap_or(1);
        let same = item.is_some_and(|item| {
            item["price"]["id"] == target["price"]
                && item["quantity"] == quantity
                && item["tax_rates"] == target["tax_rates"]
        });
        if !same {
            changes.push(ItemChange {
                item: item.and_then(|item| item["id"].as_str().map(str::to_owned)),
                price,
                quantity: Some(quantity),
                deleted: false,
                tax_rates: target["tax_rates"].as_array().cloned(),
            });
        }
    }
    changes
}
