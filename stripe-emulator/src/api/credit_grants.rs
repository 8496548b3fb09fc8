//! Billing credit grants: create (`customer`, `amount[type]=monetary` with
//! `amount[monetary][value|currency]`, `applicability_config[scope][price_type]=metered` or
//! `[prices][]`, `category` paid or promotional, `effective_at`, `expires_at`, `name`, `priority`,
//! `metadata`), retrieve, list (`customer`), update (`expires_at`, `metadata`), expire and void.
//! Each moves the credit balance by a transaction (see [`crate::metering::credits`]).
//! <https://docs.stripe.com/api/billing/credit-grant>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::metering::credits::{record, remaining, Movement};
use crate::world::World;
use crate::Emulator;

/// The credit grant routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/billing/credit_grants", post(op(create)).get(op(list)))
        .route(
            "/v1/billing/credit_grants/{id}",
            get(op(retrieve)).post(op(update)),
        )
        .route("/v1/billing/credit_grants/{id}/expire", post(op(expire)))
        .route("/v1/billing/credit_grants/{id}/void", post(op(void)))
}

const KIND: &str = "billing.credit_grant";

/// `POST /v1/billing/credit_grants`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer_id = params.required("customer")?.to_owned();
    let customer = world.get("customer", &customer_id, "customer")?;
    let value = params
        .int("amount.monetary.value")?
        .ok_or_else(|| ApiError::missing("amount.monetary"))?;
    if value < 1 {
        return Err(ApiError::not_positive("amount[monetary][value]"));
    }
    let currency = params
        .required("amount.monetary.currency")?
        .to_ascii_lowercase();
    let scope = match (
        params.str("applicability_config.scope.price_type"),
        params.array("applicability_config.scope.prices"),
    ) {
        (Some(price_type), prices) if prices.is_empty() => json!({ "price_type": price_type }),
        (None, prices) if !prices.is_empty() => {
            let mut ids = Vec::new();
            for (index, entry) in prices.iter().enumerate() {
                let param = format!("applicability_config[scope][prices][{index}][id]");
                let id = entry["id"].as_str().unwrap_or_default();
                world.get("price", id, &param)?;
                ids.push(json!({ "id": id }));
            }
            json!({ "prices": ids })
        }
        _ => {
            return Err(ApiError::invalid(
                "Exactly one of `applicability_config[scope][price_type]` or \
                 `applicability_config[scope][prices]` must be provided.",
                Some("applicability_config[scope]"),
            ))
        }
    };
    let now = world.now_for_customer(&customer_id);
    let effective_at = params.int("effective_at")?;
    let expires_at = params.int("expires_at")?;
    if let Some(expires) = expires_at {
        if expires <= effective_at.unwrap_or(now) {
            return Err(ApiError::invalid(
                "`expires_at` must be after the credit grant becomes effective.",
                Some("expires_at"),
            ));
        }
    }
    let priority = params.int_in("priority", 0..=100)?.unwrap_or(50);
    let mut grant = json!({
        "id": world.new_id("credgr"),
        "object": KIND,
        "amount": { "monetary": { "currency": currency, "value": value }, "type": "monetary" },
        "applicability_config": { "scope": scope },
        "category": params.str("category").unwrap_or("paid"),
        "created": now,
        "customer": customer_id,
        "customer_account": null,
        "effective_at": effective_at.unwrap_or(now),
        "expires_at": expires_at,
        "livemode": false,
        "metadata": {},
        "name": params.str("name"),
        "priority": priority,
        "test_clock": customer["test_clock"],
        "updated": now,
        "voided_at": null,
    });
    merge_metadata(&mut grant, params);
    let grant = world.insert(grant);
    world.emit("billing.credit_grant.created", &grant, None);
    record(world, &grant, value, Movement::Granted);
    Ok(grant)
}

/// `GET /v1/billing/credit_grants/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get(KIND, call.id(), "id")
}

/// `GET /v1/billing/credit_grants`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let customer = call.params.str("customer").map(str::to_owned);
    list_objects(
        world,
        &call.params,
        KIND,
        "/v1/billing/credit_grants",
        |grant| {
            customer
                .as_deref()
                .is_none_or(|customer| grant["customer"] == customer)
        },
    )
}

/// `POST /v1/billing/credit_grants/{id}`: `expires_at` (empty: never) and `metadata`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get(KIND, call.id(), "id")?;
    let mut grant = before.clone();
    match params.str("expires_at") {
        Some("") => grant["expires_at"] = Value::Null,
        Some(_) => {
            let expires = params.int("expires_at")?.unwrap_or_default();
            if expires <= grant["effective_at"].as_i64().unwrap_or_default() {
                return Err(ApiError::invalid(
                    "`expires_at` must be after the credit grant becomes effective.",
                    Some("expires_at"),
                ));
            }
            grant["expires_at"] = json!(expires);
        }
        None => {}
    }
    merge_metadata(&mut grant, params);
    grant["updated"] = json!(world.now());
    Ok(world.update_and_emit("billing.credit_grant.updated", &before, grant))
}

/// `POST /v1/billing/credit_grants/{id}/expire`: expires now; what is left is debited.
pub fn expire(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    end(world, call.id(), "expires_at", Movement::Expired)
}

/// `POST /v1/billing/credit_grants/{id}/void`: voided now; what is left is debited.
pub fn void(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    end(world, call.id(), "voided_at", Movement::Voided)
}

/// Ends a grant by setting `field` to now, if it is still usable.
fn end(world: &mut World, id: &str, field: &str, movement: Movement) -> Result<Value, ApiError> {
    let before = world.get(KIND, id, "id")?;
    let customer = before["customer"].as_str().unwrap_or_default();
    let now = world.now_for_customer(customer);
    if !before["voided_at"].is_null() {
        return Err(ApiError::state(format!(
            "The credit grant {id} is already voided."
        )));
    }
    if before["expires_at"].as_i64().is_some_and(|at| at <= now) {
        return Err(ApiError::state(format!(
            "The credit grant {id} has already expired."
        )));
    }
    let left = remaining(world, &before);
    let mut grant = before.clone();
    grant[field] = json!(now);
    grant["updated"] = json!(now);
    let grant = world.update_and_emit("billing.credit_grant.updated", &before, grant);
    if left > 0 {
        record(world, &grant, left, movement);
    }
    Ok(grant)
}
