//! List responses (`{object: "list", data, has_more, url}`, newest first, cursor pagination) and
//! `expand[]` (dotted paths up to four levels, `data.` for lists).

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::world::World;

/// Pages `items` (newest first) by `limit`, `starting_after` and `ending_before`.
pub fn page(items: Vec<Value>, params: &Params, url: &str) -> Result<Value, ApiError> {
    let limit = params.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "Invalid limit: must be an integer between 1 and 100",
            Some("limit"),
        ));
    }
    let limit = limit as usize;
    let position = |cursor: &str, param: &str| {
        items
            .iter()
            .position(|item| item["id"] == cursor)
            .ok_or_else(|| ApiError::missing_resource("object", cursor, param))
    };
    let (data, has_more) = match (params.str("starting_after"), params.str("ending_before")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You may only specify one of these parameters: ending_before, starting_after.",
                None,
            ))
        }
        (Some(after), None) => {
            let start = position(after, "starting_after")? + 1;
            let end = (start + limit).min(items.len());
            (items[start..end].to_vec(), end < items.len())
        }
        (None, Some(before)) => {
            let end = position(before, "ending_before")?;
            let start = end.saturating_sub(limit);
            (items[start..end].to_vec(), start > 0)
        }
        (None, None) => {
            let end = limit.min(items.len());
            (items[..end].to_vec(), end < items.len())
        }
    };
    Ok(json!({ "object": "list", "data": data, "has_more": has_more, "url": url }))
}

/// A complete embedded list (subscription items, invoice lines).
pub fn embedded(data: Vec<Value>, url: String) -> Value {
    let total = data.len();
    json!({ "object": "list", "data": data, "has_more": false, "total_count": total, "url": url })
}

/// Applies every `expand[]` path to a response.
pub fn expand(world: &World, value: &mut Value, paths: &[String]) -> Result<(), ApiError> {
    for path in paths {
        let parts: Vec<&str> = path.split('.').collect();
        let depth = parts.iter().filter(|part| **part != "data").count();
        if depth > 4 {
            return Err(ApiError::invalid(
                format!("You cannot expand more than 4 levels of a property. Property: {path}"),
                Some("expand"),
            ));
        }
        expand_path(world, value, &parts, path)?;
    }
    Ok(())
}

fn expand_path(
    world: &World,
    value: &mut Value,
    parts: &[&str],
    full: &str,
) -> Result<(), ApiError> {
    let Some((field, rest)) = parts.split_first() else {
        return Ok(());
    };
    if let Value::Array(items) = value {
        for item in items {
            expand_path(world, item, parts, full)?;
        }
        return Ok(());
    }
    let Value::Object(map) = value else {
        return Ok(());
    };
    if !map.contains_key(*field) {
        match includable(world, map, field) {
            Some(included) => {
                map.insert((*field).to_owned(), included);
            }
            None => {
                return Err(ApiError::invalid(
                    format!("This property cannot be expanded ({full})."),
                    Some("expand"),
                ))
            }
        }
    }
    let child = map.get_mut(*field).expect("present or inserted");
    // A list of ids (a subscription's `discounts`) expands each.
    if let Value::Array(ids) = child {
        for id in ids.iter_mut() {
            if let Some(object) = id.as_str().and_then(|known| lookup(world, known)) {
                *id = object;
            }
        }
    }
    if let Some(id) = child.as_str() {
        match lookup(world, id) {
            Some(object) => *child = object,
            None => {
                return Err(ApiError::invalid(
                    format!("This property cannot be expanded ({full})."),
                    Some("expand"),
                ))
            }
        }
    }
    expand_path(world, child, rest, full)
}

/// The object an id refers to, as the API would return it.
fn lookup(world: &World, id: &str) -> Option<Value> {
    let kinds = [
        "product",
        "price",
        "customer",
        "payment_method",
        "subscription",
        "invoice",
        "checkout.session",
        "test_helpers.test_clock",
        "subscription_item",
        "event",
        "payment_intent",
        "charge",
        "setup_intent",
        "balance_transaction",
        "refund",
        "dispute",
        "payout",
        "file",
        "card",
        "token",
        "topup",
        "coupon",
        "promotion_code",
        "discount",
        "subscription_schedule",
        "tax_rate",
    ];
    kinds.iter().find_map(|kind| world.find(kind, id).cloned())
}

/// Fields Stripe leaves out unless expanded (a Checkout Session's `line_items`).
fn includable(
    world: &World,
    object: &serde_json::Map<String, Value>,
    field: &str,
) -> Option<Value> {
    match (object.get("object")?.as_str()?, field) {
        ("checkout.session", "line_items") => {
            let id = object.get("id")?.as_str()?;
            let items = world.line_items.get(id).cloned().unwrap_or_default();
            Some(json!({
                "object": "list",
                "data": items,
                "has_more": false,
                "url": format!("/v1/checkout/sessions/{id}/line_items"),
            }))
        }
        ("invoice", "payments") => {
            let id = object.get("id")?.as_str()?;
            let payments: Vec<Value> = world
                .all("invoice_payment")
                .filter(|payment| payment["invoice"] == id)
                .cloned()
                .collect();
            Some(crate::listing::embedded(
                payments,
                format!("/v1/invoice_payments?invoice={id}"),
            ))
        }
        ("price", "tiers") => {
            let id = object.get("id")?.as_str()?;
            Some(json!(world.price_tiers.get(id)?))
        }
        ("charge", "refunds") => {
            let id = object.get("id")?.as_str()?;
            let refunds: Vec<Value> = world
                .all("refund")
                .filter(|refund| refund["charge"] == id)
                .cloned()
                .collect();
            Some(crate::listing::embedded(
                refunds,
                format!("/v1/charges/{id}/refunds"),
            ))
        }
        ("customer", "sources") => {
            let id = object.get("id")?.as_str()?;
            let cards: Vec<Value> = crate::sources::of_customer(world, id).cloned().collect();
            Some(crate::listing::embedded(
                cards,
                format!("/v1/customers/{id}/sources"),
            ))
        }
        ("customer", "tax_ids") => {
            let id = object.get("id")?.as_str()?;
            let tax_ids: Vec<Value> = world
                .all("tax_id")
                .filter(|tax_id| tax_id["customer"] == id)
                .cloned()
                .collect();
            Some(crate::listing::embedded(
                tax_ids,
                format!("/v1/customers/{id}/tax_ids"),
            ))
        }
        ("customer", "subscriptions") => {
            let id = object.get("id")?.as_str()?;
            let subscriptions: Vec<Value> = world
                .all("subscription")
                .filter(|subscription| {
                    subscription["customer"] == id && subscription["status"] != "canceled"
                })
                .cloned()
                .collect();
            Some(json!({
                "object": "list",
                "data": subscriptions,
                "has_more": false,
                "total_count": subscriptions.len(),
                "url": format!("/v1/customers/{id}/subscriptions"),
            }))
        }
        _ => None,
    }
}
