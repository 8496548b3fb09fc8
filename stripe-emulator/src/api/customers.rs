//! Customers: create (optionally on a test clock, with a payment method or a card `source`),
//! retrieve, update (`source` replaces the default card, `default_source` picks one), delete
//! (which cancels their subscriptions), list (`email`, `test_clock`).
//! <https://docs.stripe.com/api/customers>

use serde_json::{json, Value};

use super::{deleted, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::sources;
use crate::world::World;

/// `POST /v1/customers`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let test_clock = match params.str("test_clock") {
        Some(clock) => {
            Some(world.get("test_helpers.test_clock", clock, "test_clock")?["id"].clone())
        }
        None => None,
    };
    let mut customer = blank(world, test_clock.as_ref().and_then(Value::as_str));
    let id = customer["id"].as_str().unwrap_or_default().to_owned();
    apply(&mut customer, params)?;
    let tax_ids = tax_id_data(params)?;
    let card = match params.str("source") {
        Some(token) => Some(sources::add(world, &id, token, None)?),
        None => None,
    };
    if let Some(card) = &card {
        customer["default_source"] = card["id"].clone();
    }
    world.insert(customer.clone());
    world.emit("customer.created", &customer, None);
    if let Some(card) = &card {
        world.emit("customer.source.created", card, None);
    }
    for (index, (kind, value)) in tax_ids.iter().enumerate() {
        let param = format!("tax_id_data[{index}][value]");
        super::tax_ids::add(world, &id, kind, value, &param)?;
    }
    let attached = match params.str("payment_method") {
        Some(payment_method) => Some(attach_new(world, payment_method, &id)?),
        None => None,
    };
    if let Some(default) = params
        .str("invoice_settings.default_payment_method")
        .filter(|pm| !pm.is_empty())
    {
        let default = same_method(params, default, attached.as_deref());
        check_attached(world, default, &id)?;
        customer["invoice_settings"]["default_payment_method"] = json!(default);
        world.put(customer.clone());
    }
    world.get("customer", &id, "id")
}

fn apply(customer: &mut Value, params: &Params) -> Result<(), ApiError> {
    if let Some(email) = params.str("email") {
        if !email.is_empty() && !email.contains('@') {
            return Err(ApiError::invalid_code(
                "email_invalid",
                format!("Invalid email address: {email}"),
                Some("email"),
            ));
        }
        customer["email"] = if email.is_empty() {
            Value::Null
        } else {
            json!(email)
        };
    }
    for field in ["name", "description", "phone"] {
        if let Some(value) = params.str(field) {
            customer[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if params.get("address").is_some() {
        let mut address = json!({ "city": null, "country": null, "line1": null, "line2": null, "postal_code": null, "state": null });
        for field in ["city", "country", "line1", "line2", "postal_code", "state"] {
            if let Some(value) = params.str(&format!("address.{field}")) {
                address[field] = json!(value);
            }
        }
        customer["address"] = address;
    }
    if params.get("preferred_locales").is_some() {
        customer["preferred_locales"] = json!(params.strings("preferred_locales"));
    }
    merge_metadata(customer, params);
    Ok(())
}

/// `tax_id_data[i][type|value]`, each value checked before the customer is made.
fn tax_id_data(params: &Params) -> Result<Vec<(String, String)>, ApiError> {
    let mut found = Vec::new();
    for (index, entry) in params.array("tax_id_data").iter().enumerate() {
        let kind = entry["type"]
            .as_str()
            .ok_or_else(|| ApiError::missing(&format!("tax_id_data.{index}.type")))?;
        let value = entry["value"]
            .as_str()
            .ok_or_else(|| ApiError::missing(&format!("tax_id_data.{index}.value")))?;
        let param = format!("tax_id_data[{index}][value]");
        super::tax_ids::checked(kind, value, &param)?;
        found.push((kind.to_owned(), value.to_owned()));
    }
    Ok(found)
}

/// A new customer with nothing filled in, created at its test clock's time when it has one.
pub fn blank(world: &mut World, test_clock: Option<&str>) -> Value {
    let id = world.new_id("cus");
    let created = test_clock
        .and_then(|clock| world.find("test_helpers.test_clock", clock))
        .and_then(|clock| clock["frozen_time"].as_i64())
        .unwrap_or_else(|| world.now());
    let prefix = world.ids.chars(8).to_uppercase();
    json!({
        "id": id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": created,
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": null,
        "invoice_prefix": prefix,
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null,
        },
        "livemode": false,
        "metadata": {},
        "name": null,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": test_clock,
    })
}

/// Attaches `payment_method` (a `pm_card_…` test name makes a new one); returns the real id.
fn attach_new(world: &mut World, payment_method: &str, customer: &str) -> Result<String, ApiError> {
    let attached =
        super::payment_methods::attach_to(world, payment_method, customer, "payment_method")?;
    Ok(attached["id"].as_str().unwrap_or_default().to_owned())
}

/// `invoice_settings[default_payment_method]=pm_card_visa` next to `payment_method=pm_card_visa`
/// means the method just attached, as in Stripe (the Stripe CLI's fixtures rely on it).
fn same_method<'a>(params: &Params, default: &'a str, attached: Option<&'a str>) -> &'a str {
    match attached {
        Some(attached) if params.str("payment_method") == Some(default) => attached,
        _ => default,
    }
}

fn check_attached(world: &World, payment_method: &str, customer: &str) -> Result<(), ApiError> {
    let found = world.get(
        "payment_method",
        payment_method,
        "invoice_settings[default_payment_method]",
    )?;
    if found["customer"] != customer {
        return Err(ApiError::invalid(
            format!("The customer does not have a payment method with the ID {payment_method}. The payment method must be attached to the customer."),
            Some("invoice_settings[default_payment_method]"),
        ));
    }
    Ok(())
}

/// `GET /v1/customers/{id}`: a deleted customer answers `{id, deleted: true}` as in Stripe.
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    if world.deleted_customers.contains(call.id()) {
        return Ok(deleted(call.id(), "customer"));
    }
    world.get("customer", call.id(), "id")
}

/// `POST /v1/customers/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("customer", call.id(), "id")?;
    let mut customer = before.clone();
    apply(&mut customer, &call.params)?;
    let attached = match call.params.str("payment_method") {
        Some(payment_method) => Some(attach_new(world, payment_method, call.id())?),
        None => None,
    };
    if let Some(default) = call.params.str("invoice_settings.default_payment_method") {
        let default = same_method(&call.params, default, attached.as_deref());
        if !default.is_empty() {
            check_attached(world, default, call.id())?;
        }
        customer["invoice_settings"]["default_payment_method"] = if default.is_empty() {
            Value::Null
        } else {
            json!(default)
        };
    }
    if let Some(token) = call.params.str("source") {
        replace_default_source(world, &mut customer, token)?;
    }
    if let Some(card) = call.params.str("default_source") {
        customer["default_source"] =
            sources::find(world, call.id(), card, "default_source")?["id"].clone();
    }
    let default_changed = customer["invoice_settings"]["default_payment_method"]
        != before["invoice_settings"]["default_payment_method"]
        || customer["default_source"] != before["default_source"];
    let customer = world.update_and_emit("customer.updated", &before, customer);
    if default_changed {
        crate::billing::card_changed(world, call.id());
    }
    Ok(customer)
}

/// `source=tok_…` on an update: the new card becomes the default source and the old default is
/// deleted, as Stripe does.
fn replace_default_source(
    world: &mut World,
    customer: &mut Value,
    token: &str,
) -> Result<(), ApiError> {
    let id = customer["id"].as_str().unwrap_or_default().to_owned();
    let card = sources::add(world, &id, token, None)?;
    world.emit("customer.source.created", &card, None);
    if let Some(old) = customer["default_source"]
        .as_str()
        .and_then(|old| world.find("card", old))
        .cloned()
    {
        sources::remove(world, &old);
    }
    customer["default_source"] = card["id"].clone();
    Ok(())
}

/// `DELETE /v1/customers/{id}`: cancels the customer's subscriptions, then removes it.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let customer = world.get("customer", call.id(), "id")?;
    let subscriptions: Vec<String> = world
        .all("subscription")
        .filter(|subscription| {
            subscription["customer"] == call.id() && subscription["status"] != "canceled"
        })
        .filter_map(|subscription| subscription["id"].as_str().map(str::to_owned))
        .collect();
    for subscription in subscriptions {
        crate::billing::cancel_now(world, &subscription, "cancellation_requested");
    }
    world.remove(call.id());
    world.deleted_customers.insert(call.id().to_owned());
    world.emit("customer.deleted", &customer, None);
    Ok(deleted(call.id(), "customer"))
}

/// `GET /v1/customers`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "customer", "/v1/customers", |customer| {
        params.matches("email", &customer["email"])
            && params.matches("test_clock", &customer["test_clock"])
    })
}
