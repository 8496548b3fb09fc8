//! The Balance and its balance transactions: `GET /v1/balance`, `GET /v1/balance_transactions`
//! (`type`, `source`, `payout`, `currency`, `created`) and one by id. The ledger behind them is
//! [`crate::money::ledger`]. <https://docs.stripe.com/api/balance>

use axum::routing::get;
use axum::Router;
use serde_json::Value;

use super::list_objects;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::money::ledger;
use crate::world::World;
use crate::Emulator;

/// The Balance routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/balance", get(op(balance)))
        .route("/v1/balance_transactions", get(op(list)))
        .route("/v1/balance_transactions/{id}", get(op(retrieve)))
}

/// `GET /v1/balance`
pub fn balance(world: &mut World, _call: &Call) -> Result<Value, ApiError> {
    Ok(ledger::balance(world))
}

/// `GET /v1/balance_transactions/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("balance_transaction", call.id(), "id")
}

/// `GET /v1/balance_transactions`; `payout` keeps the transactions a payout made (its own and
/// its failure's or cancellation's).
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(
        world,
        params,
        "balance_transaction",
        "/v1/balance_transactions",
        |transaction| {
            params.matches("type", &transaction["type"])
                && params.matches("source", &transaction["source"])
                && params.matches("payout", &transaction["source"])
                && params.matches("currency", &transaction["currency"])
        },
    )
}
