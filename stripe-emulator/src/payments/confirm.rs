//! Confirming a PaymentIntent: the payment method decides — succeeded (or `requires_capture`),
//! declined (402, back to `requires_payment_method`), `requires_action` for 3-D Secure, or
//! `processing` for a debit — with the Charge it makes and the events Stripe emits.
//! <https://docs.stripe.com/api/payment_intents/confirm>

use serde_json::{json, Value};

use super::debits::{BankAccount, Settlement};
use super::{charge, instrument, unexpected, Instrument, Status};
use crate::cards::Behaviour;
use crate::error::ApiError;
use crate::world::World;

/// How a confirmation is made.
#[derive(Debug, Default)]
pub struct Confirmation {
    /// The customer is not present (`off_session=true`): no authentication can be asked for.
    pub off_session: bool,
    /// Where the customer comes back after authenticating.
    pub return_url: Option<String>,
    /// A mandate came with the request (`mandate_data` or `mandate`), as debits require.
    pub mandate: bool,
    /// The customer already authenticated (the hosted Checkout page's 3-D Secure step).
    pub authenticated: bool,
}

/// The statuses `confirm` accepts.
const CONFIRMABLE: &[Status] = &[
    Status::RequiresConfirmation,
    Status::RequiresPaymentMethod,
    Status::RequiresAction,
];

/// Confirms a PaymentIntent with its payment method: succeeded (or `requires_capture`), declined
/// (402, back to `requires_payment_method` with `last_payment_error`), `requires_action` for a
/// card that wants 3-D Secure, or `processing` for a debit.
pub fn confirm(world: &mut World, id: &str, how: &Confirmation) -> Result<Value, ApiError> {
    let before = world.get("payment_intent", id, "intent")?;
    let status = Status::of(&before);
    if status == Status::Succeeded {
        return Err(unexpected(
            "You cannot confirm this PaymentIntent because it has already succeeded after being previously confirmed.",
            &before,
        ));
    }
    if !CONFIRMABLE.contains(&status) {
        return Err(unexpected(
            format!(
                "You cannot confirm this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be confirmed: requires_confirmation, requires_payment_method, requires_action.",
                status.as_str()
            ),
            &before,
        ));
    }
    let Some(pm_id) = before["payment_method"].as_str().map(str::to_owned) else {
        return Err(unexpected(
            "You cannot confirm this PaymentIntent because it's missing a payment method. You can either update the PaymentIntent with a payment method and then confirm it again, or confirm it again directly with a payment method.",
            &before,
        ));
    };
    if before["automatic_payment_methods"]["allow_redirects"] == "always"
        && how.return_url.is_none()
        && !how.authenticated
    {
        return Err(super::return_url_required());
    }
    let payment_method = crate::api::payment_methods::get(world, &pm_id, "payment_method")?;
    let mut intent = before.clone();
    intent["next_action"] = Value::Null;
    intent["last_payment_error"] = Value::Null;
    match instrument(world, &pm_id) {
        Some(Instrument::Debit(account)) => {
            if !how.mandate && !how.authenticated {
                return Err(ApiError::missing("mandate_data"));
            }
            Ok(processing(world, intent, &payment_method, &account))
        }
        Some(Instrument::Card(card))
            if card.behaviour == Behaviour::Requires3ds
                && !how.off_session
                && !how.authenticated =>
        {
            Ok(requires_action(world, intent, how.return_url.as_deref()))
        }
        Some(Instrument::Card(card)) => match card.charge() {
            Ok(()) => authorized(world, intent, &payment_method),
            Err(error) => Err(declined(world, intent, &payment_method, error)),
        },
        None => authorized(world, intent, &payment_method),
    }
}

fn authorized(
    world: &mut World,
    mut intent: Value,
    payment_method: &Value,
) -> Result<Value, ApiError> {
    let manual = intent["capture_method"] == "manual";
    let charge = charge::create(
        world,
        &intent,
        payment_method,
        charge::Outcome::Authorized { captured: !manual },
    );
    world.emit("charge.succeeded", &charge, None);
    intent["latest_charge"] = charge["id"].clone();
    let amount = intent["amount"].clone();
    if manual {
        intent["status"] = json!(Status::RequiresCapture.as_str());
        intent["amount_capturable"] = amount;
        world.put(intent.clone());
        world.emit(
            "payment_intent.amount_capturable_updated",
            &intent,
            Some(json!({ "amount_capturable": 0 })),
        );
    } else {
        intent["status"] = json!(Status::Succeeded.as_str());
        intent["amount_received"] = amount;
        world.put(intent.clone());
        world.emit("payment_intent.succeeded", &intent, None);
        crate::money::captured(world, charge["id"].as_str().unwrap_or_default());
    }
    save_for_future(world, &intent)?;
    world.get(
        "payment_intent",
        intent["id"].as_str().unwrap_or_default(),
        "intent",
    )
}

fn declined(
    world: &mut World,
    mut intent: Value,
    payment_method: &Value,
    error: ApiError,
) -> ApiError {
    let charge = charge::create(
        world,
        &intent,
        payment_method,
        charge::Outcome::Declined(&error),
    );
    world.emit("charge.failed", &charge, None);
    let doc_url = error.body()["error"]["doc_url"].clone();
    intent["status"] = json!(Status::RequiresPaymentMethod.as_str());
    intent["payment_method"] = Value::Null;
    intent["latest_charge"] = charge["id"].clone();
    intent["last_payment_error"] = json!({
        "charge": charge["id"],
        "code": error.code,
        "decline_code": error.decline_code,
        "doc_url": doc_url,
        "message": error.message,
        "payment_method": payment_method,
        "type": "card_error",
    });
    world.put(intent.clone());
    world.emit("payment_intent.payment_failed", &intent, None);
    error
        .with("charge", charge["id"].clone())
        .with("payment_intent", intent)
        .with("payment_method", payment_method.clone())
}

fn requires_action(world: &mut World, mut intent: Value, return_url: Option<&str>) -> Value {
    let id = intent["id"].as_str().unwrap_or_default().to_owned();
    intent["status"] = json!(Status::RequiresAction.as_str());
    intent["next_action"] = super::authentication_step(world, &id, return_url);
    world.put(intent.clone());
    world.emit("payment_intent.requires_action", &intent, None);
    intent
}

fn processing(
    world: &mut World,
    mut intent: Value,
    payment_method: &Value,
    account: &BankAccount,
) -> Value {
    let charge = charge::create(world, &intent, payment_method, charge::Outcome::Pending);
    world.emit("charge.pending", &charge, None);
    intent["status"] = json!(Status::Processing.as_str());
    intent["latest_charge"] = charge["id"].clone();
    world.put(intent.clone());
    world.emit("payment_intent.processing", &intent, None);
    let id = intent["id"].as_str().unwrap_or_default().to_owned();
    let due = world.now() + account.outcome.after_seconds;
    world.settlements.insert(
        id,
        Settlement {
            due,
            succeeds: account.outcome.succeeds,
        },
    );
    // A debit mandate is accepted at confirmation: the method is saved for later as asked.
    let _ = save_for_future(world, &intent);
    intent
}

/// Attaches the intent's payment method to its customer when `setup_future_usage` asks for it.
fn save_for_future(world: &mut World, intent: &Value) -> Result<(), ApiError> {
    let (Some(customer), Some(payment_method)) = (
        intent["customer"].as_str(),
        intent["payment_method"].as_str(),
    ) else {
        return Ok(());
    };
    if intent["setup_future_usage"].is_null() {
        return Ok(());
    }
    crate::api::payment_methods::attach_to(world, payment_method, customer, "payment_method")
        .map(|_| ())
}

/// The customer finished (or failed) the 3-D Secure step of a `requires_action` PaymentIntent.
pub fn authenticated(world: &mut World, id: &str, approved: bool) -> Result<Value, ApiError> {
    let intent = world.get("payment_intent", id, "intent")?;
    if Status::of(&intent) != Status::RequiresAction {
        return Err(unexpected(
            "This PaymentIntent does not need authentication.",
            &intent,
        ));
    }
    if approved {
        return confirm(
            world,
            id,
            &Confirmation {
                authenticated: true,
                ..Confirmation::default()
            },
        );
    }
    super::authentication_failed(
        world,
        intent,
        super::FailedAuthentication {
            error_field: "last_payment_error",
            code: "payment_intent_authentication_failure",
            message: "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
            event: "payment_intent.payment_failed",
        },
    )
}
