//! SetupIntents: saving a payment method for later. Confirmation checks the test card as Stripe
//! does on setup — declined (402, `setup_intent.setup_failed`), 3-D Secure (`requires_action`), or
//! `succeeded` with the method attached to the customer.
//! <https://docs.stripe.com/api/setup_intents>

use serde_json::{json, Value};

use super::{created_for, instrument, Accepted, Instrument, Status};
use crate::cards::Behaviour;
use crate::error::ApiError;
use crate::world::World;

/// What a new SetupIntent is made of.
#[derive(Debug, Default)]
pub struct NewSetupIntent {
    /// `cus_…`
    pub customer: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
    /// Explicit `allowed_payment_method_types`; None lets the account's methods apply.
    pub payment_method_types: Option<Vec<String>>,
    /// `automatic_payment_methods[allow_redirects]` (`always` unless told).
    pub allow_redirects: Option<String>,
    /// `off_session` (default) or `on_session`.
    pub usage: String,
    /// The PaymentMethod to set up (`pm_…` or a `pm_card_…` test name).
    pub payment_method: Option<String>,
}

/// Stores a new SetupIntent (`requires_payment_method`, or `requires_confirmation` with a payment
/// method, which must suit it) and emits `setup_intent.created`.
pub fn create(world: &mut World, new: NewSetupIntent) -> Result<Value, ApiError> {
    let id = world.new_id("seti");
    let secret = format!("{id}_secret_{}", world.ids.chars(25));
    let created = created_for(world, new.customer.as_deref());
    let Accepted {
        allowed,
        types,
        automatic,
    } = Accepted::new(new.payment_method_types, new.allow_redirects.as_deref());
    let mut options = serde_json::Map::new();
    for kind in &types {
        let option = match kind.as_str() {
            "card" => {
                json!({ "mandate_options": null, "network": null, "request_three_d_secure": "automatic" })
            }
            _ => json!({}),
        };
        options.insert(kind.clone(), option);
    }
    let intent = json!({
        "id": id,
        "object": "setup_intent",
        "allowed_payment_method_types": allowed,
        "application": null,
        "automatic_payment_methods": automatic,
        "cancellation_reason": null,
        "client_secret": secret,
        "created": created,
        "customer": new.customer,
        "customer_account": null,
        "description": new.description,
        "excluded_payment_method_types": null,
        "flow_directions": null,
        "last_setup_error": null,
        "latest_attempt": null,
        "livemode": false,
        "mandate": null,
        "metadata": if new.metadata.is_object() { new.metadata } else { json!({}) },
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_configuration_details": null,
        "payment_method_options": options,
        "payment_method_types": types,
        "single_use_mandate": null,
        "status": Status::RequiresPaymentMethod.as_str(),
        "usage": new.usage,
    });
    let mut intent = intent;
    if let Some(payment_method) = &new.payment_method {
        super::set_payment_method(world, &mut intent, payment_method, "payment_method")?;
    }
    world.insert(intent.clone());
    world.emit("setup_intent.created", &intent, None);
    Ok(intent)
}

/// A 400 `setup_intent_unexpected_state` carrying the SetupIntent.
fn unexpected(message: impl Into<String>, intent: &Value) -> ApiError {
    ApiError::invalid_code("setup_intent_unexpected_state", message, None)
        .with("setup_intent", intent.clone())
}

/// Confirms a SetupIntent with its payment method. `authenticated`: the 3-D Secure step is done.
pub fn confirm(
    world: &mut World,
    id: &str,
    return_url: Option<&str>,
    authenticated: bool,
) -> Result<Value, ApiError> {
    let before = world.get("setup_intent", id, "intent")?;
    let status = Status::of(&before);
    if status == Status::Succeeded {
        return Err(unexpected(
            "You cannot confirm this SetupIntent because it has already succeeded.",
            &before,
        ));
    }
    if !matches!(
        status,
        Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
    ) {
        return Err(unexpected(
            format!(
                "You cannot confirm this SetupIntent because it has a status of {}. Only a SetupIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.",
                status.as_str()
            ),
            &before,
        ));
    }
    let Some(pm_id) = before["payment_method"].as_str().map(str::to_owned) else {
        return Err(unexpected(
            "You cannot confirm this SetupIntent because it's missing a payment method. Update the SetupIntent with a payment method and then confirm it again.",
            &before,
        ));
    };
    let payment_method = crate::api::payment_methods::get(world, &pm_id, "payment_method")?;
    let mut intent = before.clone();
    intent["next_action"] = Value::Null;
    intent["last_setup_error"] = Value::Null;
    if let Some(Instrument::Card(card)) = instrument(world, &pm_id) {
        if card.behaviour == Behaviour::Requires3ds && !authenticated {
            intent["status"] = json!(Status::RequiresAction.as_str());
            intent["next_action"] = super::authentication_step(world, id, return_url);
            world.put(intent.clone());
            world.emit("setup_intent.requires_action", &intent, None);
            return Ok(intent);
        }
        if let Err(error) = card.check_on_attach() {
            let doc_url = error.body()["error"]["doc_url"].clone();
            intent["status"] = json!(Status::RequiresPaymentMethod.as_str());
            intent["payment_method"] = Value::Null;
            intent["last_setup_error"] = json!({
                "code": error.code,
                "decline_code": error.decline_code,
                "doc_url": doc_url,
                "message": error.message,
                "payment_method": payment_method,
                "type": "card_error",
            });
            world.put(intent.clone());
            world.emit("setup_intent.setup_failed", &intent, None);
            return Err(error
                .with("setup_intent", intent)
                .with("payment_method", payment_method));
        }
    }
    if let Some(customer) = intent["customer"].as_str() {
        crate::api::payment_methods::attach_to(world, &pm_id, customer, "payment_method")?;
    }
    intent["status"] = json!(Status::Succeeded.as_str());
    world.put(intent.clone());
    world.emit("setup_intent.succeeded", &intent, None);
    Ok(intent)
}

/// The customer failed the 3-D Secure step: back to `requires_payment_method`.
pub fn authentication_failed(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("setup_intent", id, "intent")?;
    if Status::of(&before) != Status::RequiresAction {
        return Err(unexpected(
            "This SetupIntent does not need authentication.",
            &before,
        ));
    }
    super::authentication_failed(
        world,
        before,
        super::FailedAuthentication {
            error_field: "last_setup_error",
            code: "setup_intent_authentication_failure",
            message: "The latest attempt to set up the payment method has failed because authentication failed.",
            event: "setup_intent.setup_failed",
        },
    )
}

/// Cancels a SetupIntent not yet set up: `setup_intent.canceled`.
pub fn cancel(world: &mut World, id: &str, reason: Option<String>) -> Result<Value, ApiError> {
    let before = world.get("setup_intent", id, "intent")?;
    let status = Status::of(&before);
    if !matches!(
        status,
        Status::RequiresPaymentMethod | Status::RequiresConfirmation | Status::RequiresAction
    ) {
        return Err(unexpected(
            format!(
                "You cannot cancel this SetupIntent because it has a status of {}. Only a SetupIntent with one of the following statuses may be canceled: requires_payment_method, requires_confirmation, requires_action.",
                status.as_str()
            ),
            &before,
        ));
    }
    let mut intent = before.clone();
    intent["status"] = json!(Status::Canceled.as_str());
    intent["cancellation_reason"] = json!(reason);
    intent["next_action"] = Value::Null;
    world.put(intent.clone());
    world.emit("setup_intent.canceled", &intent, None);
    Ok(intent)
}
