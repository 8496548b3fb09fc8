//! Checkout's internal `payment_pages` endpoints, which Stripe.js (and `stripe trigger
//! checkout.session.*`) use to pay a session without the hosted page: `GET
//! /v1/payment_pages/{session}` shows what is due, `POST …/confirm` pays it with a PaymentMethod.
//! They are not part of the public API, so their parameters are checked here by hand. Completion
//! is the hosted page's ([`super::checkout::complete`]): the session ends the same way.

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::checkout::{self, Payer};
use crate::error::ApiError;
use crate::http::{internal_op, Call};
use crate::world::World;
use crate::Emulator;

/// The `payment_pages` routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/payment_pages/{id}", get(internal_op(retrieve)))
        .route("/v1/payment_pages/{id}/confirm", post(internal_op(confirm)))
}

/// `GET /v1/payment_pages/{session}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    call.params.only(&["eid"])?;
    checkout::expire_if_due(world, call.id());
    view(world, call.id())
}

/// `POST /v1/payment_pages/{session}/confirm` with `payment_method` (and the `expected_amount`
/// the page showed, which must still be due).
pub fn confirm(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    params.only(&[
        "payment_method",
        "expected_amount",
        "expected_payment_method_type",
        "email",
        "eid",
    ])?;
    checkout::expire_if_due(world, call.id());
    let session = checkout::retrieve_stored(world, call.id())?;
    let payment_method = super::payment_methods::resolve(
        world,
        params.required("payment_method")?,
        "payment_method",
    )?;
    let due = session["amount_total"].as_i64().unwrap_or(0);
    if let Some(expected) = params.int("expected_amount")? {
        if expected != due {
            return Err(ApiError::invalid(
                format!("The expected amount ({expected}) does not match the amount due on this Checkout Session ({due})."),
                Some("expected_amount"),
            ));
        }
    }
    let kind = payment_method["type"].as_str().unwrap_or("card");
    if let Some(expected) = params.str("expected_payment_method_type") {
        if expected != kind {
            return Err(ApiError::invalid(
                format!("The PaymentMethod is of type {kind}, not {expected}."),
                Some("expected_payment_method_type"),
            ));
        }
    }
    let customer_email = session["customer"]
        .as_str()
        .and_then(|customer| world.find("customer", customer))
        .and_then(|customer| customer["email"].as_str())
        .map(str::to_owned);
    let email = params
        .str("email")
        .map(str::to_owned)
        .or_else(|| session["customer_email"].as_str().map(str::to_owned))
        .or(customer_email)
        .or_else(|| {
            payment_method["billing_details"]["email"]
                .as_str()
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if email.is_empty() && session["customer"].is_null() {
        return Err(ApiError::missing("email"));
    }
    let name = payment_method["billing_details"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let payer = Payer {
        payment_method: payment_method["id"].as_str().map(str::to_owned),
        email: &email,
        name: &name,
        details: Default::default(),
    };
    checkout::complete(world, call.id(), payer)?;
    view(world, call.id())
}

/// What the page shows: the session's state and the amount due.
fn view(world: &World, id: &str) -> Result<Value, ApiError> {
    let session = checkout::retrieve_stored(world, id)?;
    Ok(json!({
        "id": session["id"],
        "object": "payment_page",
        "amount_total": session["amount_total"],
        "currency": session["currency"],
        "customer": session["customer"],
        "customer_email": session["customer_email"],
        "livemode": false,
        "mode": session["mode"],
        "payment_intent": session["payment_intent"],
        "payment_method_types": session["payment_method_types"],
        "payment_status": session["payment_status"],
        "status": session["status"],
        "subscription": session["subscription"],
        "success_url": session["success_url"],
        "url": session["url"],
    }))
}
