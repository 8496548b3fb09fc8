//! Top-ups: create, retrieve, update (`description`, `metadata`), list (`status`, `amount`,
//! `created`), cancel. The rules live in [`crate::money::topups`].
//! <https://docs.stripe.com/api/topups>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata, Created};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::money::topups::{self, NewTopup};
use crate::world::World;
use crate::Emulator;

/// The Top-up routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/topups", post(op(create)).get(op(list)))
        .route("/v1/topups/{id}", get(op(retrieve)).post(op(update)))
        .route("/v1/topups/{id}/cancel", post(op(cancel)))
}

/// `POST /v1/topups`: from the platform's bank account (a `source` or `payment_method` to pay
/// from is not emulated).
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let amount = params.positive_amount("amount")?;
    let currency = params.required("currency")?.to_ascii_lowercase();
    for (param, kind) in [("source", "source"), ("payment_method", "PaymentMethod")] {
        if let Some(id) = params.str(param) {
            return Err(ApiError::missing_resource(kind, id, param));
        }
    }
    Ok(topups::create(
        world,
        NewTopup {
            amount,
            currency,
            description: params.str("description").map(str::to_owned),
            metadata: params
                .get("metadata")
                .filter(|value| value.is_object())
                .cloned()
                .unwrap_or(json!({})),
            statement_descriptor: params.str("statement_descriptor").map(str::to_owned),
            transfer_group: params.str("transfer_group").map(str::to_owned),
        },
    ))
}

/// `GET /v1/topups/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("topup", call.id(), "topup")
}

/// `POST /v1/topups/{id}`: `description`, `metadata` (Stripe has no `topup.updated` event).
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let mut topup = world.get("topup", call.id(), "topup")?;
    if let Some(description) = call.params.str("description") {
        topup["description"] = json!(description);
    }
    merge_metadata(&mut topup, &call.params);
    world.put(topup.clone());
    Ok(topup)
}

/// `GET /v1/topups`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let amount = Created::parse_field(params, "amount")?;
    list_objects(world, params, "topup", "/v1/topups", |topup| {
        params.matches("status", &topup["status"])
            && amount.matches(topup["amount"].as_i64().unwrap_or_default())
    })
}

/// `POST /v1/topups/{id}/cancel`
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    topups::cancel(world, call.id())
}
