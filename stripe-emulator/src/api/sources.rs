//! A customer's card sources: add one from a card token, list them (`object=card`), retrieve,
//! update (`name`, `exp_month`, `exp_year`, `address_*`, `metadata`), delete. The rules live in
//! [`crate::sources`]. <https://docs.stripe.com/api/cards>

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use super::merge_metadata;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::listing::page;
use crate::sources;
use crate::world::World;
use crate::Emulator;

/// The customer source routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/customers/{id}/sources", get(op(list)).post(op(create)))
        .route(
            "/v1/customers/{id}/sources/{source}",
            get(op(retrieve)).post(op(update)).delete(op(delete)),
        )
}

/// The `{source}` path parameter.
fn source(call: &Call) -> &str {
    call.path.get(1).map(String::as_str).unwrap_or_default()
}

/// `POST /v1/customers/{id}/sources`: `source=tok_…`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let token = call.params.required("source")?.to_owned();
    if !token.starts_with("tok_") {
        return Err(ApiError::invalid(
            format!("The emulator adds card tokens (tok_…) as sources, not {token}."),
            Some("source"),
        ));
    }
    let metadata = call.params.get("metadata").cloned();
    sources::attach(world, call.id(), &token, metadata)
}

/// `GET /v1/customers/{id}/sources` (`object=card`; a customer holds no other kind here).
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    let items = sources::of_customer(world, call.id())
        .filter(|card| call.params.matches("object", &card["object"]))
        .cloned()
        .collect();
    page(
        items,
        &call.params,
        &format!("/v1/customers/{}/sources", call.id()),
    )
}

/// `GET /v1/customers/{id}/sources/{source}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    sources::find(world, call.id(), source(call), "id")
}

/// `POST /v1/customers/{id}/sources/{source}`: `customer.source.updated`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    world.get("customer", call.id(), "customer")?;
    let before = sources::find(world, call.id(), source(call), "id")?;
    // Parameters for bank accounts and Sources, which a card does not have.
    for other in ["account_holder_name", "account_holder_type", "owner"] {
        if params.get(other).is_some() {
            return Err(ApiError::unknown_parameter(other));
        }
    }
    let mut card = before.clone();
    for field in [
        "name",
        "address_city",
        "address_country",
        "address_line1",
        "address_line2",
        "address_state",
        "address_zip",
    ] {
        if let Some(value) = params.str(field) {
            card[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if let Some(month) = params.int("exp_month")? {
        if !(1..=12).contains(&month) {
            return Err(expiry_error(
                "invalid_expiry_month",
                "Your card's expiration month is invalid.",
                "exp_month",
            ));
        }
        card["exp_month"] = json!(month);
    }
    if let Some(year) = params.int("exp_year")? {
        let this_year = time::OffsetDateTime::from_unix_timestamp(world.now())
            .map(|now| i64::from(now.year()))
            .unwrap_or(1970);
        if year < this_year {
            return Err(expiry_error(
                "invalid_expiry_year",
                "Your card's expiration year is invalid.",
                "exp_year",
            ));
        }
        card["exp_year"] = json!(year);
    }
    merge_metadata(&mut card, params);
    Ok(world.update_and_emit("customer.source.updated", &before, card))
}

/// Stripe's 402 for an impossible expiry, naming the parameter.
fn expiry_error(code: &'static str, message: &str, param: &str) -> ApiError {
    let mut error = ApiError::card(code, None, message);
    error.param = Some(param.to_owned());
    error
}

/// `DELETE /v1/customers/{id}/sources/{source}`
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("customer", call.id(), "customer")?;
    sources::detach(world, call.id(), source(call))
}
