//! PaymentIntents: create (optionally confirming at once), retrieve, update, list, confirm,
//! capture, cancel. The state machine lives in [`crate::payments`]; this module reads parameters.
//! <https://docs.stripe.com/api/payment_intents>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::payments::{self, Confirmation, NewPaymentIntent, Status};
use crate::world::World;
use crate::Emulator;

/// The PaymentIntent routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/payment_intents", post(op(create)).get(op(list)))
        .route(
            "/v1/payment_intents/{id}",
            get(op(retrieve)).post(op(update)),
        )
        .route("/v1/payment_intents/{id}/confirm", post(op(confirm)))
        .route("/v1/payment_intents/{id}/capture", post(op(capture)))
        .route("/v1/payment_intents/{id}/cancel", post(op(cancel)))
}

/// `POST /v1/payment_intents`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let currency = currency(params)?;
    let amount = amount(params, "amount", &currency)?.ok_or_else(|| ApiError::missing("amount"))?;
    let types = method_types(params, &currency)?;
    let customer = match params.str("customer").filter(|id| !id.is_empty()) {
        Some(id) => Some(
            world.get("customer", id, "customer")?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        ),
        None => None,
    };
    let confirming = confirming(
        params,
        &["off_session", "return_url", "mandate_data", "mandate"],
    )?;
    let new = NewPaymentIntent {
        amount,
        currency,
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
        capture_method: params
            .one_of(
                "capture_method",
                &["automatic", "automatic_async", "manual"],
            )?
            .unwrap_or_else(|| "automatic_async".to_owned()),
        confirmation_method: params
            .one_of("confirmation_method", &["automatic", "manual"])?
            .unwrap_or_else(|| "automatic".to_owned()),
        setup_future_usage: params.one_of("setup_future_usage", &["on_session", "off_session"])?,
        shipping: shipping(params, "shipping")?,
        receipt_email: params
            .str("receipt_email")
            .filter(|email| !email.is_empty())
            .map(str::to_owned),
        statement_descriptor: params.str("statement_descriptor").map(str::to_owned),
        statement_descriptor_suffix: params.str("statement_descriptor_suffix").map(str::to_owned),
        payment_method: params
            .str("payment_method")
            .filter(|pm| !pm.is_empty())
            .map(str::to_owned),
    };
    if new.setup_future_usage.is_some() && params.bool("off_session")? == Some(true) {
        return Err(ApiError::invalid(
            "You cannot use `setup_future_usage` and `off_session` together.",
            Some("setup_future_usage"),
        ));
    }
    let how = confirmation(params)?;
    let redirects =
        new.payment_method_types.is_none() && new.allow_redirects.as_deref() != Some("never");
    if confirming && redirects && how.return_url.is_none() {
        return Err(payments::return_url_required());
    }
    let intent = payments::create(world, new)?;
    if confirming {
        return payments::confirm(world, intent["id"].as_str().unwrap_or_default(), &how);
    }
    Ok(intent)
}

/// `GET /v1/payment_intents/{id}` (`client_secret` is accepted, as for publishable keys).
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("payment_intent", call.id(), "intent")
}

/// `POST /v1/payment_intents/{id}`: amount, currency, customer, payment method and details while
/// unconfirmed; description, metadata, receipt email and shipping at any time.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get("payment_intent", call.id(), "intent")?;
    let status = Status::of(&before);
    let open = matches!(
        status,
        Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
    );
    let mut intent = before.clone();
    for field in [
        "amount",
        "currency",
        "payment_method",
        "allowed_payment_method_types",
        "customer",
        "capture_method",
    ] {
        if params.get(field).is_some() && !open {
            return Err(ApiError::invalid_code(
                "payment_intent_unexpected_state",
                format!(
                    "This PaymentIntent's {field} could not be updated because it has a status of {}. You may only update the {field} of a PaymentIntent with one of the following statuses: requires_payment_method, requires_confirmation, requires_action.",
                    status.as_str()
                ),
                Some(field),
            ).with("payment_intent", before));
        }
    }
    if params.get("currency").is_some() {
        intent["currency"] = json!(currency(params)?);
    }
    let currency = intent["currency"].as_str().unwrap_or("usd").to_owned();
    if let Some(amount) = amount(params, "amount", &currency)? {
        intent["amount"] = json!(amount);
    }
    if let Some(types) = method_types(params, &currency)? {
        intent["payment_method_options"] = payments::method_options(&types);
        intent["payment_method_types"] = json!(types);
        intent["allowed_payment_method_types"] = json!(types);
        intent["automatic_payment_methods"] = Value::Null;
    }
    if let Some(customer) = params.str("customer") {
        intent["customer"] = match customer {
            "" => Value::Null,
            id => world.get("customer", id, "customer")?["id"].clone(),
        };
    }
    for field in [
        "description",
        "receipt_email",
        "statement_descriptor",
        "statement_descriptor_suffix",
    ] {
        if let Some(value) = params.str(field) {
            intent[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if let Some(method) = params.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )? {
        intent["capture_method"] = json!(method);
    }
    if let Some(usage) = params.str("setup_future_usage") {
        intent["setup_future_usage"] = match usage {
            "" => Value::Null,
            _ => json!(params.one_of("setup_future_usage", &["on_session", "off_session"])?),
        };
    }
    if params.get("shipping").is_some() {
        intent["shipping"] = shipping(params, "shipping")?;
    }
    merge_metadata(&mut intent, params);
    if let Some(payment_method) = params.str("payment_method").filter(|pm| !pm.is_empty()) {
        payments::set_payment_method(world, &mut intent, payment_method, "payment_method")?;
    }
    world.put(intent.clone());
    Ok(intent)
}

/// `POST /v1/payment_intents/{id}/confirm`
pub fn confirm(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let mut intent = world.get("payment_intent", call.id(), "intent")?;
    if let Some(payment_method) = params.str("payment_method").filter(|pm| !pm.is_empty()) {
        if !matches!(
            Status::of(&intent),
            Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
        ) {
            return payments::confirm(world, call.id(), &confirmation(params)?);
        }
        payments::set_payment_method(world, &mut intent, payment_method, "payment_method")?;
    }
    if let Some(email) = params.str("receipt_email") {
        intent["receipt_email"] = if email.is_empty() {
            Value::Null
        } else {
            json!(email)
        };
    }
    if params.get("shipping").is_some() {
        intent["shipping"] = shipping(params, "shipping")?;
    }
    if let Some(usage) = params.one_of("setup_future_usage", &["on_session", "off_session"])? {
        intent["setup_future_usage"] = json!(usage);
    }
    if let Some(method) = params.one_of(
        "capture_method",
        &["automatic", "automatic_async", "manual"],
    )? {
        intent["capture_method"] = json!(method);
    }
    world.put(intent);
    payments::confirm(world, call.id(), &confirmation(params)?)
}

/// `POST /v1/payment_intents/{id}/capture`
pub fn capture(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let amount = params.int_in("amount_to_capture", 1..=super::MAX_AMOUNT)?;
    let captured = payments::capture(world, call.id(), amount)?;
    if params.metadata().is_some() {
        let mut intent = captured;
        merge_metadata(&mut intent, params);
        world.put(intent.clone());
        return Ok(intent);
    }
    Ok(captured)
}

/// `POST /v1/payment_intents/{id}/cancel`
pub fn cancel(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let reason = call.params.one_of(
        "cancellation_reason",
        &[
            "duplicate",
            "fraudulent",
            "requested_by_customer",
            "abandoned",
        ],
    )?;
    payments::cancel(world, call.id(), reason)
}

/// `GET /v1/payment_intents`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(
        world,
        params,
        "payment_intent",
        "/v1/payment_intents",
        |intent| params.matches("customer", &intent["customer"]),
    )
}

/// How a confirmation was asked for: `off_session`, `return_url`, a mandate.
fn confirmation(params: &Params) -> Result<Confirmation, ApiError> {
    let off_session = match params.str("off_session") {
        None | Some("false") => false,
        Some("true" | "one_off" | "recurring") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                format!(
                    "Invalid off_session: must be a boolean, one_off or recurring (got {other})"
                ),
                Some("off_session"),
            ))
        }
    };
    let return_url = params.str("return_url").map(str::to_owned);
    if let Some(url) = &return_url {
        super::check_url(url, "return_url")?;
    }
    Ok(Confirmation {
        off_session,
        return_url,
        mandate: params.get("mandate_data").is_some() || params.str("mandate").is_some(),
        authenticated: false,
    })
}

/// A three-letter lowercase `currency`.
fn currency(params: &Params) -> Result<String, ApiError> {
    let raw = params.required("currency")?.to_ascii_lowercase();
    if raw.len() != 3 || !raw.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return Err(ApiError::invalid(
            format!("Invalid currency: {raw}. Stripe currently supports these currencies: usd, eur, gbp, …"),
            Some("currency"),
        ));
    }
    Ok(raw)
}

/// An amount in minor units, at least Stripe's minimum charge for the currency.
fn amount(params: &Params, path: &str, currency: &str) -> Result<Option<i64>, ApiError> {
    let Some(amount) = params.int(path)? else {
        return Ok(None);
    };
    let (minimum, shown) = match currency {
        "usd" => (50, "$0.50 usd"),
        "eur" => (50, "€0.50 eur"),
        "gbp" => (30, "£0.30 gbp"),
        _ => (1, ""),
    };
    if amount < minimum {
        let message = if shown.is_empty() {
            "Amount must be at least 1.".to_owned()
        } else {
            format!("Amount must be at least {shown}")
        };
        return Err(ApiError::invalid_code(
            "amount_too_small",
            message,
            Some(path),
        ));
    }
    if amount > super::MAX_AMOUNT {
        return Err(ApiError::invalid_code(
            "amount_too_large",
            format!("Amount must be no more than {}", super::MAX_AMOUNT),
            Some(path),
        ));
    }
    Ok(Some(amount))
}

/// Whether a create asks to confirm at once (`confirm=true`); the parameters in `only_then` are
/// refused otherwise, as Stripe refuses them.
pub(super) fn confirming(params: &Params, only_then: &[&str]) -> Result<bool, ApiError> {
    let confirming = params.bool("confirm")?.unwrap_or(false);
    if !confirming {
        if let Some(name) = only_then.iter().find(|name| params.get(name).is_some()) {
            return Err(ApiError::invalid(
                format!("You can only pass `{name}` when `confirm` is true."),
                Some(name),
            ));
        }
    }
    Ok(confirming)
}

/// `allowed_payment_method_types[]` (checked against the currency), or None for automatic
/// methods. At this API version intents take that list; `payment_method_types` is only the
/// answer's field naming the types the intent accepts.
pub(super) fn method_types(
    params: &Params,
    currency: &str,
) -> Result<Option<Vec<String>>, ApiError> {
    let types = params.strings("allowed_payment_method_types");
    if types.is_empty() {
        return Ok(None);
    }
    if params.bool("automatic_payment_methods.enabled")? == Some(true) {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: automatic_payment_methods, allowed_payment_method_types.",
            Some("allowed_payment_method_types"),
        ));
    }
    for (index, kind) in types.iter().enumerate() {
        if !payments::METHOD_TYPES.contains(&kind.as_str()) {
            return Err(ApiError::invalid(
                format!(
                    "The emulator supports allowed_payment_method_types card and sepa_debit, not {kind}."
                ),
                Some(&format!("allowed_payment_method_types[{index}]")),
            ));
        }
        if kind == "sepa_debit" && currency != "eur" {
            return Err(ApiError::invalid(
                format!("The currency provided ({currency}) is invalid. Payments with sepa_debit support the following currencies: eur."),
                Some("currency"),
            ));
        }
    }
    Ok(Some(types))
}

/// `shipping[…]` in Stripe's shape (`name` and `address[line1]` required), or null when absent.
pub fn shipping(params: &Params, path: &str) -> Result<Value, ApiError> {
    let Some(given) = params.get(path) else {
        return Ok(Value::Null);
    };
    if given.as_str() == Some("") {
        return Ok(Value::Null);
    }
    let name = params.required(&format!("{path}.name"))?;
    params.required(&format!("{path}.address.line1"))?;
    let field = |key: &str| given[key].as_str().map(str::to_owned);
    let address = &given["address"];
    let part = |key: &str| address[key].as_str().map(str::to_owned);
    Ok(json!({
        "address": {
            "city": part("city"), "country": part("country"), "line1": part("line1"),
            "line2": part("line2"), "postal_code": part("postal_code"), "state": part("state"),
        },
        "carrier": field("carrier"),
        "name": name,
        "phone": field("phone"),
        "tracking_number": field("tracking_number"),
    }))
}
