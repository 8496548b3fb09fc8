//! SetupIntents: create (optionally confirming at once), retrieve, update, list, confirm, cancel.
//! The engine lives in [`crate::payments::setup`]; this module reads parameters.
//! <https://docs.stripe.com/api/setup_intents>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::payments::setup::{self, NewSetupIntent};
use crate::payments::{self, Status};
use crate::world::World;
use crate::Emulator;

/// The SetupIntent routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/setup_intents", post(op(create)).get(op(list)))
        .route("/v1/setup_intents/{id}", get(op(retrieve)).post(op(update)))
        .route("/v1/setup_intents/{id}/confirm", post(op(confirm)))
        .route("/v1/setup_intents/{id}/cancel", post(op(cancel)))
}

/// `POST /v1/setup_intents`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = match params.str("customer").filter(|id| !id.is_empty()) {
        Some(id) => Some(
            world.get("customer", id, "customer")?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        None => None,
    };
    let types = method_types(params)?;
    let confirming = super::payment_intents::confirming(params, &["return_url", "mandate_data"])?;
    let new = NewSetupIntent {
        customer,
        description: params.str("description").map(str::to_owned),
        metadata: params
            .get("metadata")
            .filter(|value| value.is_object())
            .cloned()
            .unwrap_or(json!({})),
        payment_method_types: types,
        allow_redirects: params.one_of(
            "automatic_payment_methods.allow_redirects",
            &["always", "never"],
        )?,
        usage: params
            .one_of("usage", &["off_session", "on_session"])?
            .unwrap_or_else(|| "off_session".to_owned()),
        payment_method: params
            .str("payment_method")
            .filter(|pm| !pm.is_empty())
            .map(str::to_owned),
    };
    let return_url = return_url(params)?;
    let intent = setup::create(world, new)?;
    if confirming {
        let id = intent["id"].as_str().unwrap_or_default();
        return setup::confirm(world, id, return_url.as_deref(), false);
    }
    Ok(intent)
}

/// `GET /v1/setup_intents/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("setup_intent", call.id(), "intent")
}

/// `POST /v1/setup_intents/{id}`: customer, description, metadata, payment method and types.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get("setup_intent", call.id(), "intent")?;
    let status = Status::of(&before);
    let mut intent = before.clone();
    if !matches!(
        status,
        Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
    ) && (params.get("payment_method").is_some() || params.get("customer").is_some())
    {
        return Err(ApiError::invalid_code(
            "setup_intent_unexpected_state",
            format!(
                "You cannot update this SetupIntent because it has a status of {}.",
                status.as_str()
            ),
            None,
        )
        .with("setup_intent", before));
    }
    if let Some(types) = method_types(params)? {
        intent["payment_method_types"] = json!(types);
        intent["allowed_payment_method_types"] = json!(types);
        intent["automatic_payment_methods"] = Value::Null;
    }
    if let Some(customer) = params.str("customer").filter(|id| !id.is_empty()) {
        intent["customer"] = world.get("customer", customer, "customer")?["id"].clone();
    }
    if let Some(description) = params.str("description") {
        intent["description"] = if description.is_empty() {
            Value::Null
        } else {
            json!(description)
        };
    }
    merge_metadata(&mut intent, params);
    if let Some(payment_method) = params.str("payment_method").filter(|pm| !pm.is_empty()) {
        payments::set_payment_method(world, &mut intent, payment_method, "payment_method")?;
    }
    world.put(intent.clone());
    Ok(intent)
}

/// `POST /v1/setup_intents/{id}/confirm`
pub fn confirm(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    if let Some(payment_method) = params.str("payment_method").filter(|pm| !pm.is_empty()) {
        let mut intent = world.get("setup_intent", call.id(), "intent")?;
        if matches!(
            Status::of(&intent),
            Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
        ) {
            payments::set_payment_method(world, &mut intent, payment_method, "payment_method")?;
            world.put(intent);
        }
    }
    setup::confirm(world, call.id(), return_url(params)?.as_deref(), false)
}

/// `POST /v1/setup_intents/{id}/cancel`
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let reason = call.params.one_of(
        "cancellation_reason",
        &["abandoned", "duplicate", "requested_by_customer"],
    )?;
    setup::cancel(world, call.id(), reason)
}

/// `GET /v1/setup_intents`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(
        world,
        params,
        "setup_intent",
        "/v1/setup_intents",
        |intent| {
            params.matches("customer", &intent["customer"])
                && params.matches("payment_method", &intent["payment_method"])
        },
    )
}

fn return_url(params: &Params) -> Result<Option<String>, ApiError> {
    let url = params.str("return_url").map(str::to_owned);
    if let Some(url) = &url {
        super::check_url(url, "return_url")?;
    }
    Ok(url)
}

/// `allowed_payment_method_types[]`, or None for automatic methods.
fn method_types(params: &Params) -> Result<Option<Vec<String>>, ApiError> {
    // Setting up a debit needs no currency; pass the one SEPA accepts.
    super::payment_intents::method_types(params, "eur")
}
