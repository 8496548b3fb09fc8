//! Payouts: create, retrieve, update (`metadata`), list (`status`, `arrival_date`, `created`,
//! `destination`), cancel; and the emulator-only control of the platform's bank account
//! (`/_emulator/bank_account`). The rules live in [`crate::money::payouts`].
//! <https://docs.stripe.com/api/payouts>

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use super::{list_objects, merge_metadata, Created};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::money::payouts::{self, NewPayout, FAILING_ACCOUNT, PAYING_ACCOUNT};
use crate::world::World;
use crate::Emulator;

/// The Payout routes and the bank account control.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/payouts", post(op(create)).get(op(list)))
        .route("/v1/payouts/{id}", get(op(retrieve)).post(op(update)))
        .route("/v1/payouts/{id}/cancel", post(op(cancel)))
        .route(
            "/_emulator/bank_account",
            get(show_bank_account).post(set_bank_account),
        )
}

/// `POST /v1/payouts`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let amount = params.positive_amount("amount")?;
    payouts::create(
        world,
        NewPayout {
            amount,
            currency: params.required("currency")?.to_ascii_lowercase(),
            description: params.str("description").map(str::to_owned),
            metadata: params
                .get("metadata")
                .filter(|value| value.is_object())
                .cloned()
                .unwrap_or(json!({})),
            method: params.str("method").unwrap_or("standard").to_owned(),
            statement_descriptor: params.str("statement_descriptor").map(str::to_owned),
            destination: params.str("destination").map(str::to_owned),
            automatic: false,
        },
    )
}

/// `GET /v1/payouts/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("payout", call.id(), "payout")
}

/// `POST /v1/payouts/{id}`: `metadata`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("payout", call.id(), "payout")?;
    let mut payout = before.clone();
    merge_metadata(&mut payout, &call.params);
    Ok(world.update_and_emit("payout.updated", &before, payout))
}

/// `POST /v1/payouts/{id}/cancel`
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    payouts::cancel(world, call.id())
}

/// `GET /v1/payouts` (`status`, `arrival_date`, `created`, `destination`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let arrival = Created::parse_field(params, "arrival_date")?;
    list_objects(world, params, "payout", "/v1/payouts", |payout| {
        params.matches("status", &payout["status"])
            && params.matches("destination", &payout["destination"])
            && arrival.matches(payout["arrival_date"].as_i64().unwrap_or_default())
    })
}

/// `GET /_emulator/bank_account`: the bank account payouts go to.
async fn show_bank_account(State(emulator): State<Emulator>) -> Json<Value> {
    Json(emulator.read(|world| world.payout_accounts.describe()))
}

/// `POST /_emulator/bank_account` with `account_number=000111111116` (Stripe's failing test
/// account: payouts fail at arrival with `no_account`) or `000123456789` (pays): a new bank
/// account (`ba_…`) replaces the current one for later payouts.
async fn set_bank_account(State(emulator): State<Emulator>, body: Bytes) -> Response {
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return error.into_response(),
    };
    let number = match params.required("account_number") {
        Ok(number) => number.to_owned(),
        Err(error) => return error.into_response(),
    };
    if ![PAYING_ACCOUNT, FAILING_ACCOUNT].contains(&number.as_str()) {
        return ApiError::invalid(
            format!("The emulator knows Stripe's test accounts {PAYING_ACCOUNT} (pays) and {FAILING_ACCOUNT} (fails with no_account)."),
            Some("account_number"),
        )
        .into_response();
    }
    Json(emulator.mutate(|world| {
        let id = world.new_id("ba");
        world.payout_accounts.switch(id, &number);
        world.payout_accounts.describe()
    }))
    .into_response()
}
