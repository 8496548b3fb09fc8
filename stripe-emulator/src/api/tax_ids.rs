//! A customer's tax IDs: create (`type`, `value`; also `tax_id_data[]` on customer create and the
//! hosted Checkout page's tax ID field), list, retrieve, delete; `customer.tax_id.created`,
//! `.updated` (verification finished) and `.deleted`; `expand[]=tax_ids` on the customer.
//! Values are checked for the types below (Stripe answers `tax_id_invalid`); verification is
//! `pending` at creation, then `verified` — or `unverified` for a value ending in `111111111`, as
//! in Stripe's test mode — for the types Stripe verifies (EU, UK VAT, Australian ABN), and
//! `unavailable` for the others.
//! <https://docs.stripe.com/api/customer_tax_ids>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::deleted;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::listing::page;
use crate::world::World;
use crate::Emulator;

/// The tax ID routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/customers/{id}/tax_ids", post(op(create)).get(op(list)))
        .route(
            "/v1/customers/{id}/tax_ids/{tax_id}",
            get(op(retrieve)).delete(op(delete)),
        )
}

/// A type whose values are checked: the type, its country (empty: the value's first two
/// letters), and whether a value fits.
type Format = (&'static str, &'static str, fn(&str) -> bool);

/// The types whose values are checked.
const FORMATS: &[Format] = &[
    ("eu_vat", "", |value| {
        value.len() >= 4
            && value[..2].chars().all(|c| c.is_ascii_uppercase())
            && EU_PREFIXES.contains(&&value[..2])
            && value[2..].chars().all(|c| c.is_ascii_alphanumeric())
            && value.len() <= 15
    }),
    ("gb_vat", "GB", |value| {
        value.strip_prefix("GB").is_some_and(|digits| {
            matches!(digits.len(), 9 | 12) && digits.chars().all(|c| c.is_ascii_digit())
        })
    }),
    ("us_ein", "US", |value| {
        let bytes = value.as_bytes();
        bytes.len() == 10
            && bytes[2] == b'-'
            && value
                .chars()
                .enumerate()
                .all(|(i, c)| i == 2 || c.is_ascii_digit())
    }),
    ("au_abn", "AU", |value| {
        value.len() == 11 && value.chars().all(|c| c.is_ascii_digit())
    }),
];

/// The country codes EU VAT numbers start with (Greece writes `EL`).
const EU_PREFIXES: &[&str] = &[
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
];

/// A tax ID's value as Stripe stores it (upper case, no spaces) and its country, or Stripe's
/// `tax_id_invalid` for a value that does not fit its type.
pub fn checked(kind: &str, value: &str, param: &str) -> Result<(String, Value), ApiError> {
    let value = value.trim().to_uppercase().replace(' ', "");
    let Some((_, country, valid)) = FORMATS.iter().find(|(known, _, _)| *known == kind) else {
        return Ok((value, Value::Null));
    };
    if !valid(&value) {
        return Err(ApiError::invalid_code(
            "tax_id_invalid",
            format!("Invalid value for {kind}."),
            Some(param),
        ));
    }
    let country = match *country {
        "" if value.starts_with("EL") => json!("GR"),
        "" => json!(&value[..2]),
        country => json!(country),
    };
    Ok((value, country))
}

/// Makes a tax ID for a customer after checking its value; emits `customer.tax_id.created`, then
/// `customer.tax_id.updated` once verification is done.
pub fn add(
    world: &mut World,
    customer: &str,
    kind: &str,
    value: &str,
    param: &str,
) -> Result<Value, ApiError> {
    let (value, country) = checked(kind, value, param)?;
    let verifiable = matches!(kind, "eu_vat" | "gb_vat" | "au_abn");
    let id = world.new_id("txi");
    let tax_id = world.insert(json!({
        "id": id,
        "object": "tax_id",
        "country": country,
        "created": world.now_for_customer(customer),
        "customer": customer,
        "customer_account": null,
        "livemode": false,
        "owner": { "customer": customer, "customer_account": null, "type": "customer" },
        "type": kind,
        "value": value,
        "verification": {
            "status": if verifiable { "pending" } else { "unavailable" },
            "verified_address": null,
            "verified_name": null,
        },
    }));
    world.emit("customer.tax_id.created", &tax_id, None);
    if !verifiable {
        return Ok(tax_id);
    }
    let mut verified = tax_id.clone();
    let (status, name) = if value.ends_with("111111111") {
        ("unverified", Value::Null)
    } else {
        let name = world
            .find("customer", customer)
            .map(|customer| customer["name"].clone())
            .unwrap_or(Value::Null);
        ("verified", name)
    };
    verified["verification"]["status"] = json!(status);
    verified["verification"]["verified_name"] = name;
    Ok(world.update_and_emit("customer.tax_id.updated", &tax_id, verified))
}

/// `POST /v1/customers/{id}/tax_ids`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let kind = call.params.required("type")?.to_owned();
    let value = call.params.required("value")?.to_owned();
    add(world, call.id(), &kind, &value, "value")
}

/// The tax ID in the path, which must be the customer's.
fn find(world: &World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let id = call.path.get(1).map(String::as_str).unwrap_or_default();
    world
        .find("tax_id", id)
        .filter(|tax_id| tax_id["customer"] == call.id())
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("tax id", id, "id"))
}

/// `GET /v1/customers/{id}/tax_ids/{tax_id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    find(world, call)
}

/// `DELETE /v1/customers/{id}/tax_ids/{tax_id}`
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let tax_id = find(world, call)?;
    let id = tax_id["id"].as_str().unwrap_or_default().to_owned();
    world.remove(&id);
    world.emit("customer.tax_id.deleted", &tax_id, None);
    Ok(deleted(&id, "tax_id"))
}

/// `GET /v1/customers/{id}/tax_ids`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let tax_ids: Vec<Value> = world
        .all("tax_id")
        .filter(|tax_id| tax_id["customer"] == call.id())
        .cloned()
        .collect();
    page(
        tax_ids,
        &call.params,
        &format!("/v1/customers/{}/tax_ids", call.id()),
    )
}
