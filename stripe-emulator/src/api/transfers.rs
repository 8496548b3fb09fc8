//! Transfers to connected accounts and their reversals: create, retrieve, update
//! (`description`, `metadata`: `transfer.updated`), list (`destination`, `transfer_group`,
//! `created`); reversals create, list, retrieve, update (`metadata`). The rules live in
//! [`crate::money::transfers`].
//! <https://docs.stripe.com/api/transfers>, <https://docs.stripe.com/api/transfer_reversals>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::listing::page;
use crate::money::transfers::{self, NewTransfer};
use crate::world::World;
use crate::Emulator;

/// The transfer and reversal routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/transfers", post(op(create)).get(op(list)))
        .route("/v1/transfers/{id}", get(op(retrieve)).post(op(update)))
        .route(
            "/v1/transfers/{id}/reversals",
            post(op(reverse)).get(op(reversals)),
        )
        .route(
            "/v1/transfers/{id}/reversals/{reversal}",
            get(op(reversal)).post(op(update_reversal)),
        )
}

fn metadata(call: &Call) -> Value {
    call.params
        .get("metadata")
        .filter(|value| value.is_object())
        .cloned()
        .unwrap_or(json!({}))
}

/// `POST /v1/transfers`: `amount`, `currency`, `destination`, `description`, `metadata`,
/// `source_transaction`, `transfer_group`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let amount = params.positive_amount("amount")?;
    let text = |name: &str| {
        params
            .str(name)
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    transfers::create(
        world,
        NewTransfer {
            amount,
            currency: params.required("currency")?.to_ascii_lowercase(),
            destination: params.required("destination")?.to_owned(),
            description: text("description"),
            metadata: metadata(call),
            source_transaction: text("source_transaction"),
            transfer_group: text("transfer_group"),
        },
    )
}

/// `GET /v1/transfers/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("transfer", call.id(), "id")
}

/// `POST /v1/transfers/{id}`: `description`, `metadata`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("transfer", call.id(), "id")?;
    let mut transfer = before.clone();
    if let Some(description) = call.params.str("description") {
        transfer["description"] = if description.is_empty() {
            Value::Null
        } else {
            json!(description)
        };
    }
    merge_metadata(&mut transfer, &call.params);
    Ok(world.update_and_emit("transfer.updated", &before, transfer))
}

/// `GET /v1/transfers` (`destination`, `transfer_group`, `created`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "transfer", "/v1/transfers", |transfer| {
        params.matches("destination", &transfer["destination"])
            && params.matches("transfer_group", &transfer["transfer_group"])
    })
}

/// `POST /v1/transfers/{id}/reversals`: `amount` (default: what is left), `metadata`.
pub fn reverse(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let amount = call.params.int("amount")?;
    transfers::reverse(world, call.id(), amount, metadata(call))
}

/// `GET /v1/transfers/{id}/reversals`
pub fn reversals(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("transfer", call.id(), "id")?;
    let items = transfers::reversals_of(world, call.id());
    page(
        items,
        &call.params,
        &format!("/v1/transfers/{}/reversals", call.id()),
    )
}

/// `GET /v1/transfers/{id}/reversals/{reversal}`
pub fn reversal(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    find_reversal(world, call)
}

/// `POST /v1/transfers/{id}/reversals/{reversal}`: `metadata`.
pub fn update_reversal(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let mut reversal = find_reversal(world, call)?;
    merge_metadata(&mut reversal, &call.params);
    Ok(transfers::reversal_updated(world, reversal))
}

fn find_reversal(world: &World, call: &Call) -> Result<Value, ApiError> {
    let id = call.path.get(1).map(String::as_str).unwrap_or_default();
    world
        .find("transfer_reversal", id)
        .filter(|reversal| reversal["transfer"] == call.id())
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("transfer reversal", id, "id"))
}
