//! PaymentIntents as Stripe moves them: `requires_payment_method` → `requires_confirmation` →
//! `requires_action` / `processing` / `requires_capture` / `succeeded`, or `canceled`, driven by the
//! test payment method behind each (cards from [`crate::cards`], SEPA debits from [`debits`]), with
//! the Charge each confirmation makes and the events Stripe emits on the way.
//! <https://docs.stripe.com/payments/paymentintents/lifecycle>

pub mod charge;
mod confirm;
pub mod debits;
pub mod invoice;
pub mod setup;

pub use confirm::{authenticated, confirm, Confirmation};

use serde_json::{json, Value};

use crate::cards::Card;
use crate::error::ApiError;
use crate::world::World;
use debits::BankAccount;

/// Where a PaymentIntent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// No usable payment method yet (or the last one failed).
    RequiresPaymentMethod,
    /// A payment method is set; waiting for `confirm`.
    RequiresConfirmation,
    /// The customer must authenticate (3-D Secure).
    RequiresAction,
    /// A debit waits for the bank.
    Processing,
    /// Authorized; waiting for `capture` (`capture_method=manual`).
    RequiresCapture,
    /// Canceled; final.
    Canceled,
    /// Paid; final.
    Succeeded,
}

impl Status {
    /// The API's word for the status.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::RequiresPaymentMethod => "requires_payment_method",
            Status::RequiresConfirmation => "requires_confirmation",
            Status::RequiresAction => "requires_action",
            Status::Processing => "processing",
            Status::RequiresCapture => "requires_capture",
            Status::Canceled => "canceled",
            Status::Succeeded => "succeeded",
        }
    }

    /// The status of a stored PaymentIntent or SetupIntent.
    pub fn of(intent: &Value) -> Self {
        match intent["status"].as_str() {
            Some("requires_confirmation") => Status::RequiresConfirmation,
            Some("requires_action") => Status::RequiresAction,
            Some("processing") => Status::Processing,
            Some("requires_capture") => Status::RequiresCapture,
            Some("canceled") => Status::Canceled,
            Some("succeeded") => Status::Succeeded,
            _ => Status::RequiresPaymentMethod,
        }
    }
}

/// What pays: a test card or a bank account.
pub enum Instrument {
    /// A card PaymentMethod.
    Card(Card),
    /// A `sepa_debit` PaymentMethod.
    Debit(BankAccount),
}

/// The instrument behind a PaymentMethod, if the emulator made it.
pub fn instrument(world: &World, payment_method: &str) -> Option<Instrument> {
    if let Some(card) = world.cards.get(payment_method) {
        return Some(Instrument::Card(card.clone()));
    }
    world
        .bank_accounts
        .get(payment_method)
        .map(|account| Instrument::Debit(account.clone()))
}

/// The payment method types the emulator can take money with.
pub const METHOD_TYPES: &[&str] = &["card", "sepa_debit"];

/// What a new PaymentIntent is made of.
#[derive(Debug, Default)]
pub struct NewPaymentIntent {
    /// Minor units.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// `cus_…`
    pub customer: Option<String>,
    /// Free text.
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
    /// Explicit `allowed_payment_method_types`; None lets the account's methods apply
    /// (`automatic_payment_methods`).
    pub payment_method_types: Option<Vec<String>>,
    /// `automatic_payment_methods[allow_redirects]` (`always` unless told).
    pub allow_redirects: Option<String>,
    /// `automatic`, `automatic_async` or `manual`.
    pub capture_method: String,
    /// `automatic` or `manual`.
    pub confirmation_method: String,
    /// `on_session` or `off_session`: save the method to the customer once paid.
    pub setup_future_usage: Option<String>,
    /// Stripe's shipping shape, or null.
    pub shipping: Value,
    /// Where the receipt goes.
    pub receipt_email: Option<String>,
    /// Shown on the statement.
    pub statement_descriptor: Option<String>,
    /// Appended to the account's statement descriptor.
    pub statement_descriptor_suffix: Option<String>,
    /// The PaymentMethod to pay with (`pm_…` or a `pm_card_…` test name).
    pub payment_method: Option<String>,
}

/// The payment method types an intent accepts: the ones asked for (`allowed_payment_method_types`),
/// or card under the account's automatic payment methods.
pub(crate) struct Accepted {
    /// `allowed_payment_method_types`: what was asked for, or null.
    pub allowed: Value,
    /// `payment_method_types`.
    pub types: Vec<String>,
    /// `automatic_payment_methods`: null when types were asked for.
    pub automatic: Value,
}

impl Accepted {
    pub(crate) fn new(asked: Option<Vec<String>>, allow_redirects: Option<&str>) -> Self {
        let allowed = json!(asked);
        match asked {
            Some(types) => Self {
                allowed,
                types,
                automatic: Value::Null,
            },
            None => Self {
                allowed,
                types: vec!["card".to_owned()],
                automatic: json!({ "allow_redirects": allow_redirects.unwrap_or("always"), "enabled": true }),
            },
        }
    }
}

/// When an intent for `customer` is made: on its test clock's time, if it has one.
pub(crate) fn created_for(world: &World, customer: Option<&str>) -> i64 {
    match customer {
        Some(customer) => world.now_for_customer(customer),
        None => world.now(),
    }
}

/// The `next_action` of an intent waiting for its 3-D Secure step: the emulator's test page,
/// reached by redirect when a `return_url` was given, else through Stripe.js.
pub(crate) fn authentication_step(world: &World, id: &str, return_url: Option<&str>) -> Value {
    let url = format!("{}/authenticate/{id}", world.base_url);
    match return_url {
        Some(return_url) => json!({
            "redirect_to_url": { "return_url": return_url, "url": url },
            "type": "redirect_to_url",
        }),
        None => json!({
            "type": "use_stripe_sdk",
            "use_stripe_sdk": { "type": "three_d_secure_redirect", "stripe_js": url },
        }),
    }
}

/// How an intent reports a failed 3-D Secure step.
pub(crate) struct FailedAuthentication {
    /// `last_payment_error` or `last_setup_error`.
    pub error_field: &'static str,
    /// Stripe's error code for it.
    pub code: &'static str,
    /// Stripe's message for it.
    pub message: &'static str,
    /// The event emitted.
    pub event: &'static str,
}

/// The customer failed the 3-D Secure step: the intent wants another payment method, and says why.
pub(crate) fn authentication_failed(
    world: &mut World,
    intent: Value,
    failure: FailedAuthentication,
) -> Result<Value, ApiError> {
    let payment_method = world.get(
        "payment_method",
        intent["payment_method"].as_str().unwrap_or_default(),
        "payment_method",
    )?;
    let mut failed = intent;
    failed["status"] = json!(Status::RequiresPaymentMethod.as_str());
    failed["payment_method"] = Value::Null;
    failed["next_action"] = Value::Null;
    failed[failure.error_field] = json!({
        "code": failure.code,
        "doc_url": format!("https://stripe.com/docs/error-codes/{}", failure.code.replace('_', "-")),
        "message": failure.message,
        "payment_method": payment_method,
        "type": "invalid_request_error",
    });
    world.put(failed.clone());
    world.emit(failure.event, &failed, None);
    Ok(failed)
}

/// Stores a new PaymentIntent (`requires_payment_method`, or `requires_confirmation` with a
/// payment method, which must suit it) and emits `payment_intent.created`.
pub fn create(world: &mut World, new: NewPaymentIntent) -> Result<Value, ApiError> {
    let id = world.new_id("pi");
    let secret = format!("{id}_secret_{}", world.ids.chars(25));
    let created = created_for(world, new.customer.as_deref());
    let Accepted {
        allowed,
        types,
        automatic,
    } = Accepted::new(new.payment_method_types, new.allow_redirects.as_deref());
    let intent = json!({
        "id": id,
        "object": "payment_intent",
        "allowed_payment_method_types": allowed,
        "amount": new.amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": automatic,
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": new.capture_method,
        "client_secret": secret,
        "confirmation_method": new.confirmation_method,
        "created": created,
        "currency": new.currency,
        "customer": new.customer,
        "customer_account": null,
        "description": new.description,
        "excluded_payment_method_types": null,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "managed_payments": null,
        "metadata": if new.metadata.is_object() { new.metadata } else { json!({}) },
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": null,
        "payment_method_configuration_details": null,
        "payment_method_options": method_options(&types),
        "payment_method_types": types,
        "payment_record": null,
        "processing": null,
        "receipt_email": new.receipt_email,
        "review": null,
        "setup_future_usage": new.setup_future_usage,
        "shipping": new.shipping,
        "source": null,
        "statement_descriptor": new.statement_descriptor,
        "statement_descriptor_suffix": new.statement_descriptor_suffix,
        "status": Status::RequiresPaymentMethod.as_str(),
        "transfer_data": null,
        "transfer_group": null,
    });
    let mut intent = intent;
    if let Some(payment_method) = &new.payment_method {
        set_payment_method(world, &mut intent, payment_method, "payment_method")?;
    }
    world.insert(intent.clone());
    world.emit("payment_intent.created", &intent, None);
    Ok(intent)
}

/// Stripe's refusal to confirm with automatic payment methods that may redirect and no
/// `return_url` to come back to.
pub fn return_url_required() -> ApiError {
    ApiError::invalid(
        "A `return_url` must be specified because this Payment Intent is configured to automatically accept the payment methods enabled in the Dashboard, some of which may require a full page redirect to succeed. If you do not want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and `automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents.",
        None,
    )
}

/// `payment_method_options` for the allowed types, with Stripe's defaults.
pub fn method_options(types: &[String]) -> Value {
    let mut options = serde_json::Map::new();
    for kind in types {
        let option = match kind.as_str() {
            "card" => json!({
                "installments": null, "mandate_options": null, "network": null,
                "request_three_d_secure": "automatic",
            }),
            _ => json!({}),
        };
        options.insert(kind.clone(), option);
    }
    Value::Object(options)
}

/// Sets the payment method of an intent (PaymentIntent or SetupIntent) not yet confirmed: it must
/// be of an allowed type and belong to the intent's customer, if attached to one. `pm_card_…`
/// test names make a new PaymentMethod.
pub fn set_payment_method(
    world: &mut World,
    intent: &mut Value,
    id: &str,
    param: &str,
) -> Result<(), ApiError> {
    let payment_method = crate::api::payment_methods::resolve(world, id, param)?;
    let kind = payment_method["type"].as_str().unwrap_or("card");
    let types: Vec<&str> = intent["payment_method_types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let automatic = intent["automatic_payment_methods"]["enabled"] == true;
    if !automatic && !types.contains(&kind) {
        let noun = if intent["object"] == "setup_intent" {
            "SetupIntent"
        } else {
            "PaymentIntent"
        };
        return Err(ApiError::invalid(
            format!(
                "The PaymentMethod provided ({kind}) is not allowed for this {noun}. Please attach a PaymentMethod of one of the following types: {}. Alternatively update the allowed payment_method_types for this {noun} to include \"{kind}\".",
                types.join(", ")
            ),
            Some(param),
        ));
    }
    match (payment_method["customer"].as_str(), intent["customer"].as_str()) {
        (Some(owner), Some(customer)) if owner != customer => {
            return Err(ApiError::invalid(
                format!("The provided PaymentMethod ({}) is attached to another Customer than {customer}.", payment_method["id"].as_str().unwrap_or_default()),
                Some(param),
            ))
        }
        (Some(_), None) => {
            return Err(ApiError::invalid(
                "The provided PaymentMethod is attached to a Customer. To use it, also pass that Customer's ID in `customer`.",
                Some(param),
            ))
        }
        _ => {}
    }
    if automatic && kind != "card" {
        let mut types: Vec<String> = types.iter().map(|kind| (*kind).to_owned()).collect();
        if !types.iter().any(|known| known == kind) {
            types.push(kind.to_owned());
            intent["payment_method_options"] = method_options(&types);
            intent["payment_method_types"] = json!(types);
        }
    }
    intent["payment_method"] = payment_method["id"].clone();
    let last_error = if intent["object"] == "setup_intent" {
        "last_setup_error"
    } else {
        "last_payment_error"
    };
    intent[last_error] = Value::Null;
    if matches!(
        Status::of(intent),
        Status::RequiresPaymentMethod | Status::RequiresAction
    ) {
        intent["status"] = json!(Status::RequiresConfirmation.as_str());
        intent["next_action"] = Value::Null;
    }
    Ok(())
}

/// A 400 `payment_intent_unexpected_state` carrying the PaymentIntent, as Stripe answers.
pub(crate) fn unexpected(message: impl Into<String>, intent: &Value) -> ApiError {
    ApiError::invalid_code("payment_intent_unexpected_state", message, None)
        .with("payment_intent", intent.clone())
}

/// Captures an authorized PaymentIntent (`amount_to_capture`, default all): `succeeded`.
pub fn capture(world: &mut World, id: &str, amount: Option<i64>) -> Result<Value, ApiError> {
    let before = world.get("payment_intent", id, "intent")?;
    let status = Status::of(&before);
    if status != Status::RequiresCapture {
        return Err(unexpected(
            format!(
                "This PaymentIntent could not be captured because it has a status of {}. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.",
                status.as_str()
            ),
            &before,
        ));
    }
    let capturable = before["amount_capturable"].as_i64().unwrap_or(0);
    let amount = amount.unwrap_or(capturable);
    if amount > capturable {
        return Err(ApiError::invalid_code(
            "amount_too_large",
            format!("The amount to capture ({amount}) is greater than the amount capturable ({capturable})."),
            Some("amount_to_capture"),
        ));
    }
    if let Some(charge) = before["latest_charge"].as_str() {
        charge::capture(world, charge, amount);
    }
    let mut intent = before.clone();
    intent["status"] = json!(Status::Succeeded.as_str());
    intent["amount_capturable"] = json!(0);
    intent["amount_received"] = json!(amount);
    world.put(intent.clone());
    world.emit("payment_intent.succeeded", &intent, None);
    if let Some(charge) = before["latest_charge"].as_str() {
        crate::money::captured(world, charge);
    }
    Ok(intent)
}

/// The statuses `cancel` accepts.
const CANCELABLE: &[Status] = &[
    Status::RequiresPaymentMethod,
    Status::RequiresCapture,
    Status::RequiresConfirmation,
    Status::RequiresAction,
    Status::Processing,
];

/// Cancels a PaymentIntent (an authorization is released): `payment_intent.canceled`.
pub fn cancel(world: &mut World, id: &str, reason: Option<String>) -> Result<Value, ApiError> {
    let before = world.get("payment_intent", id, "intent")?;
    let status = Status::of(&before);
    if !CANCELABLE.contains(&status) {
        return Err(unexpected(
            format!(
                "You cannot cancel this PaymentIntent because it has a status of {}. Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, requires_capture, requires_confirmation, requires_action, processing.",
                status.as_str()
            ),
            &before,
        ));
    }
    if let (Status::RequiresCapture, Some(charge)) = (status, before["latest_charge"].as_str()) {
        charge::release(world, charge);
    }
    world.settlements.remove(id);
    let mut intent = before.clone();
    intent["status"] = json!(Status::Canceled.as_str());
    intent["canceled_at"] = json!(world.now());
    intent["cancellation_reason"] = json!(reason);
    intent["amount_capturable"] = json!(0);
    intent["next_action"] = Value::Null;
    world.put(intent.clone());
    world.emit("payment_intent.canceled", &intent, None);
    Ok(intent)
}

/// Settles every debit whose outcome is due (run as the clock moves).
pub fn run_due(world: &mut World) {
    let now = world.now();
    let due: Vec<(String, bool)> = world
        .settlements
        .iter()
        .filter(|(_, settlement)| settlement.due <= now)
        .map(|(id, settlement)| (id.clone(), settlement.succeeds))
        .collect();
    for (id, succeeds) in due {
        world.settlements.remove(&id);
        settle(world, &id, succeeds);
    }
}

/// A processing PaymentIntent learns its debit's outcome.
fn settle(world: &mut World, id: &str, succeeds: bool) {
    let Some(before) = world.find("payment_intent", id).cloned() else {
        return;
    };
    if Status::of(&before) != Status::Processing {
        return;
    }
    let charge = before["latest_charge"]
        .as_str()
        .and_then(|charge| charge::settle(world, charge, succeeds));
    let mut intent = before.clone();
    if succeeds {
        intent["status"] = json!(Status::Succeeded.as_str());
        intent["amount_received"] = intent["amount"].clone();
        world.put(intent.clone());
        world.emit("payment_intent.succeeded", &intent, None);
    } else {
        let payment_method = before["payment_method"]
            .as_str()
            .and_then(|pm| world.find("payment_method", pm))
            .cloned()
            .unwrap_or(Value::Null);
        intent["status"] = json!(Status::RequiresPaymentMethod.as_str());
        intent["payment_method"] = Value::Null;
        intent["last_payment_error"] = json!({
            "charge": charge.as_ref().map(|charge| charge["id"].clone()),
            "code": "payment_intent_payment_attempt_failed",
            "doc_url": "https://stripe.com/docs/error-codes/payment-intent-payment-attempt-failed",
            "message": "The customer's account has insufficient funds to cover this payment.",
            "payment_method": payment_method,
            "type": "card_error",
        });
        world.put(intent.clone());
        world.emit("payment_intent.payment_failed", &intent, None);
    }
    crate::api::checkout::payment_settled(world, id, succeeds);
}
