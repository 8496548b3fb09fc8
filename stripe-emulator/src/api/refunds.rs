//! Refunds: `POST/GET /v1/refunds`, retrieve, update (`metadata`), cancel, and the older
//! `/v1/charges/{id}/refunds` routes. The rules live in [`crate::money::refunds`].
//! <https://docs.stripe.com/api/refunds>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{internal_op, op, Call};
use crate::money::refunds::{self, NewRefund};
use crate::world::World;
use crate::Emulator;

/// The Refund routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/refunds", post(op(create)).get(op(list)))
        .route("/v1/refunds/{id}", get(op(retrieve)).post(op(update)))
        .route("/v1/refunds/{id}/cancel", post(op(cancel)))
        // Left out of the SDK's description, still served by Stripe for older integrations.
        .route(
            "/v1/charges/{id}/refunds",
            post(internal_op(create_for_charge)).get(internal_op(list_for_charge)),
        )
        .route(
            "/v1/charges/{id}/refunds/{refund}",
            get(internal_op(retrieve_for_charge)),
        )
}

/// The refund parameters other than the charge.
fn new_refund(params: &Params, charge: String) -> Result<NewRefund, ApiError> {
    Ok(NewRefund {
        charge,
        amount: params.int("amount")?,
        reason: params.one_of(
            "reason",
            &["duplicate", "fraudulent", "requested_by_customer"],
        )?,
        metadata: params
            .get("metadata")
            .filter(|value| value.is_object())
            .cloned()
            .unwrap_or(json!({})),
    })
}

/// `POST /v1/refunds` (`charge` or `payment_intent`)
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let charge = match (params.str("charge"), params.str("payment_intent")) {
        (Some(charge), _) if !charge.is_empty() => {
            let charge = world.get("charge", charge, "charge")?;
            if let Some(intent) = params.str("payment_intent").filter(|id| !id.is_empty()) {
                if charge["payment_intent"] != intent {
                    return Err(ApiError::invalid(
                        format!(
                            "The charge {} does not belong to the PaymentIntent {intent}.",
                            charge["id"].as_str().unwrap_or_default()
                        ),
                        Some("charge"),
                    ));
                }
            }
            charge["id"].as_str().unwrap_or_default().to_owned()
        }
        (_, Some(intent)) if !intent.is_empty() => refunds::charge_of_intent(world, intent)?,
        _ => {
            return Err(ApiError::invalid_code(
                "parameter_missing",
                "One of the following params should be provided for this request: payment_intent or charge.",
                None,
            ))
        }
    };
    refunds::create(world, new_refund(params, charge)?)
}

/// `GET /v1/refunds/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("refund", call.id(), "id")
}

/// `POST /v1/refunds/{id}`: `metadata`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("refund", call.id(), "id")?;
    let mut refund = before.clone();
    merge_metadata(&mut refund, &call.params);
    Ok(refunds::updated(world, &before, refund))
}

/// `POST /v1/refunds/{id}/cancel`
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    refunds::cancel(world, call.id())
}

/// `GET /v1/refunds` (`charge`, `payment_intent`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "refund", "/v1/refunds", |refund| {
        params.matches("charge", &refund["charge"])
            && params.matches("payment_intent", &refund["payment_intent"])
    })
}

/// `POST /v1/charges/{id}/refunds`
pub fn create_for_charge(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    call.params.only(&[
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
    ])?;
    let charge = world.get("charge", call.id(), "charge")?;
    let charge = charge["id"].as_str().unwrap_or_default().to_owned();
    refunds::create(world, new_refund(&call.params, charge)?)
}

/// `GET /v1/charges/{id}/refunds`
pub fn list_for_charge(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    call.params
        .only(&["limit", "starting_after", "ending_before"])?;
    let charge = world.get("charge", call.id(), "charge")?;
    let url = format!("/v1/charges/{}/refunds", call.id());
    list_objects(world, &call.params, "refund", &url, |refund| {
        refund["charge"] == charge["id"]
    })
}

/// `GET /v1/charges/{id}/refunds/{refund}`
pub fn retrieve_for_charge(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    call.params.only(&[])?;
    let refund_id = call.path.get(1).map(String::as_str).unwrap_or_default();
    world
        .find("refund", refund_id)
        .filter(|refund| refund["charge"] == call.id())
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("refund", refund_id, "id"))
}
