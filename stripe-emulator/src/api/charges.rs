//! Charges, as confirmed PaymentIntents make them: retrieve and list (`customer`,
//! `payment_intent`). <https://docs.stripe.com/api/charges>

use axum::routing::get;
use axum::Router;
use serde_json::Value;

use super::list_objects;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The Charge routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/charges", get(op(list)))
        .route("/v1/charges/{id}", get(op(retrieve)))
}

/// `GET /v1/charges/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("charge", call.id(), "id")
}

/// `GET /v1/charges`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "charge", "/v1/charges", |charge| {
        params.matches("customer", &charge["customer"])
            && params.matches("payment_intent", &charge["payment_intent"])
            && params.matches("transfer_group", &charge["transfer_group"])
    })
}
