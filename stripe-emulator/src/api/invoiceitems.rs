//! Invoice items: one-off charges (or credits) waiting for a customer's next invoice, or added to
//! a draft invoice. Create, retrieve, update, delete (while pending or on a draft), list.
//! <https://docs.stripe.com/api/invoiceitems>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{deleted, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::invoicing::refresh_draft;
use crate::world::World;
use crate::Emulator;

const KIND: &str = "invoiceitem";

/// The invoice item routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/invoiceitems", post(op(create)).get(op(list)))
        .route(
            "/v1/invoiceitems/{id}",
            get(op(retrieve)).post(op(update)).delete(op(delete)),
        )
}

/// `POST /v1/invoiceitems`: `customer`, and `amount` + `currency`, or `pricing[price]` (with
/// `quantity`), or `unit_amount_decimal` + `currency` (with `quantity`); optional `invoice` (a
/// draft of the same customer), `description`, `period`, `discountable`, `metadata`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = world.get("customer", params.required("customer")?, "customer")?;
    let customer_id = customer["id"].as_str().unwrap_or_default().to_owned();
    let invoice = match params.str("invoice") {
        Some(id) => Some(editable_invoice(world, id, &customer_id)?),
        None => None,
    };
    let quantity = params
        .int_in("quantity", 1..=super::MAX_QUANTITY)?
        .unwrap_or(1);
    let (amount, currency, pricing) = pricing(world, params, quantity)?;
    let now = world.now_for_customer(&customer_id);
    let start = params.int("period.start")?.unwrap_or(now);
    let end = params.int("period.end")?.unwrap_or(start);
    if end < start {
        return Err(ApiError::invalid(
            "The period end must not be before its start.",
            Some("period[end]"),
        ));
    }
    let id = world.new_id("ii");
    let mut item = json!({
        "id": id,
        "object": KIND,
        "amount": amount,
        "currency": currency,
        "customer": customer_id,
        "customer_account": null,
        "date": now,
        "description": params.str("description").filter(|text| !text.is_empty()),
        "discountable": params.bool("discountable")?.unwrap_or(amount >= 0),
        "discounts": [],
        "invoice": invoice.as_ref().map(|invoice| invoice["id"].clone()),
        "livemode": false,
        "metadata": {},
        "net_amount": amount,
        "parent": null,
        "period": { "end": end, "start": start },
        "pricing": pricing,
        "proration": false,
        "quantity": quantity,
        "quantity_decimal": quantity.to_string(),
        "tax_rates": crate::tax::requested_rates(world, params, "tax_rates")?.unwrap_or_default(),
        "test_clock": customer["test_clock"],
    });
    merge_metadata(&mut item, params);
    world.insert(item.clone());
    world.emit("invoiceitem.created", &item, None);
    if let Some(invoice) = invoice {
        refresh_draft(world, invoice["id"].as_str().unwrap_or_default());
    }
    Ok(item)
}

/// The amount, currency and `pricing` of an item from `amount`, `pricing[price]` or
/// `unit_amount_decimal`.
fn pricing(
    world: &World,
    params: &Params,
    quantity: i64,
) -> Result<(i64, String, Value), ApiError> {
    let limit = super::MAX_AMOUNT;
    if let Some(price_id) = params.str("pricing.price") {
        let price = world.get("price", price_id, "pricing[price]")?;
        let unit = price["unit_amount"].as_i64().unwrap_or(0);
        let pricing = json!({
            "price_details": { "price": price["id"], "product": price["product"] },
            "type": "price_details",
            "unit_amount_decimal": price["unit_amount_decimal"],
        });
        let currency = price["currency"].as_str().unwrap_or("usd").to_owned();
        return Ok((unit * quantity, currency, pricing));
    }
    let unit = match (params.int("amount")?, params.str("unit_amount_decimal")) {
        (Some(amount), _) => {
            if !(-limit..=limit).contains(&amount) {
                return Err(ApiError::invalid(
                    format!("Invalid amount: must be between -{limit} and {limit}"),
                    Some("amount"),
                ));
            }
            return Ok((amount, currency(params)?, unit_pricing(amount, quantity)));
        }
        (None, Some(decimal)) => decimal
            .parse::<f64>()
            .map_err(|_| ApiError::invalid("Invalid decimal", Some("unit_amount_decimal")))?,
        (None, None) => return Err(ApiError::missing("amount")),
    };
    let amount = (unit * quantity as f64).round() as i64;
    if !(-limit..=limit).contains(&amount) {
        return Err(ApiError::invalid(
            format!("Invalid amount: must be between -{limit} and {limit}"),
            Some("unit_amount_decimal"),
        ));
    }
    let pricing = json!({ "type": "price_details", "unit_amount_decimal": params.str("unit_amount_decimal") });
    Ok((amount, currency(params)?, pricing))
}

/// The `pricing` of an item given as a total `amount`: its unit amount is the amount per unit.
fn unit_pricing(amount: i64, quantity: i64) -> Value {
    json!({ "type": "price_details", "unit_amount_decimal": (amount / quantity.max(1)).to_string() })
}

fn currency(params: &Params) -> Result<String, ApiError> {
    let currency = params.required("currency")?.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return Err(ApiError::invalid(
            format!("Invalid currency: {currency}"),
            Some("currency"),
        ));
    }
    Ok(currency)
}

/// A draft invoice of `customer` that items may be added to.
fn editable_invoice(world: &World, id: &str, customer: &str) -> Result<Value, ApiError> {
    let invoice = world.get("invoice", id, "invoice")?;
    if invoice["customer"] != customer {
        return Err(ApiError::invalid(
            format!("The invoice {id} does not belong to the customer {customer}."),
            Some("invoice"),
        ));
    }
    if invoice["status"] != "draft" {
        return Err(ApiError::invalid(
            format!("You can only add invoice items to draft invoices; {id} is finalized."),
            Some("invoice"),
        ));
    }
    Ok(invoice)
}

/// An item that may still change: pending, or on a draft invoice.
fn changeable(world: &World, id: &str) -> Result<Value, ApiError> {
    let item = world.get(KIND, id, "id")?;
    let on_finalized = item["invoice"]
        .as_str()
        .and_then(|invoice| world.find("invoice", invoice))
        .is_some_and(|invoice| invoice["status"] != "draft");
    if on_finalized {
        return Err(ApiError::state(format!(
            "The invoice item {id} is on a finalized invoice and can no longer be changed."
        )));
    }
    Ok(item)
}

/// `GET /v1/invoiceitems/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get(KIND, call.id(), "id")
}

/// `POST /v1/invoiceitems/{id}`: `amount`, `quantity`, `unit_amount_decimal`, `pricing[price]`,
/// `description`, `period`, `discountable`, `metadata` — while pending or on a draft.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = changeable(world, call.id())?;
    let mut item = before.clone();
    let repriced = ["amount", "quantity", "unit_amount_decimal", "pricing"]
        .iter()
        .any(|field| params.get(field).is_some());
    if repriced {
        let quantity = params
            .int_in("quantity", 1..=super::MAX_QUANTITY)?
            .or_else(|| before["quantity"].as_i64())
            .unwrap_or(1);
        let mut priced = params.clone();
        if priced.get("amount").is_none()
            && priced.get("unit_amount_decimal").is_none()
            && priced.get("pricing").is_none()
        {
            match before["pricing"]["price_details"]["price"].as_str() {
                Some(price) => priced
                    .0
                    .insert("pricing".to_owned(), json!({ "price": price })),
                None => priced.0.insert(
                    "unit_amount_decimal".to_owned(),
                    before["pricing"]["unit_amount_decimal"].clone(),
                ),
            };
        }
        priced
            .0
            .entry("currency")
            .or_insert_with(|| before["currency"].clone());
        let (amount, currency, pricing) = pricing(world, &priced, quantity)?;
        item["amount"] = json!(amount);
        item["net_amount"] = json!(amount);
        item["currency"] = json!(currency);
        item["pricing"] = pricing;
        item["quantity"] = json!(quantity);
        item["quantity_decimal"] = json!(quantity.to_string());
    }
    if let Some(description) = params.str("description") {
        item["description"] = if description.is_empty() {
            Value::Null
        } else {
            json!(description)
        };
    }
    if let Some(discountable) = params.bool("discountable")? {
        item["discountable"] = json!(discountable);
    }
    if let Some(start) = params.int("period.start")? {
        item["period"]["start"] = json!(start);
    }
    if let Some(end) = params.int("period.end")? {
        item["period"]["end"] = json!(end);
    }
    merge_metadata(&mut item, params);
    // Stripe has no `invoiceitem.updated` event (any more); the draft's `invoice.updated` tells.
    world.put(item.clone());
    if let Some(invoice) = item["invoice"].as_str() {
        refresh_draft(world, invoice);
    }
    Ok(item)
}

/// `DELETE /v1/invoiceitems/{id}`: only while pending or on a draft invoice.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let item = changeable(world, call.id())?;
    world.remove(call.id());
    crate::billing::release_proration(world, &item);
    world.emit("invoiceitem.deleted", &item, None);
    if let Some(invoice) = item["invoice"].as_str() {
        refresh_draft(world, invoice);
    }
    Ok(deleted(call.id(), KIND))
}

/// `GET /v1/invoiceitems`: `customer`, `invoice`, `pending`.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let pending = params.bool("pending")?;
    list_objects(world, params, KIND, "/v1/invoiceitems", |item| {
        params.matches("customer", &item["customer"])
            && params.matches("invoice", &item["invoice"])
            && pending.is_none_or(|pending| item["invoice"].is_null() == pending)
    })
}
