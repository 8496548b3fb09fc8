//! Completing a Checkout Session, whether paid on the hosted page or through Checkout's
//! `payment_pages` confirmation: the customer, the payment method, then a subscription (with its
//! first invoice) or a PaymentIntent and its Charge, and the events; a delayed debit settles later.

use serde_json::{json, Value};

use super::checkout::public;
use crate::billing::{self, NewSubscription};
use crate::error::ApiError;
use crate::payments::{self, Confirmation, Instrument, NewPaymentIntent};
use crate::world::World;

/// Who pays a session, as the hosted page or Checkout's `payment_pages` confirmation tells.
pub struct Payer<'a> {
    /// The PaymentMethod paying (None: a free trial started without one).
    pub payment_method: Option<String>,
    /// The buyer's email.
    pub email: &'a str,
    /// The buyer's name (may be empty).
    pub name: &'a str,
    /// The billing address and tax ID typed on the hosted page.
    pub details: super::checkout_tax::BuyerDetails,
}

/// Completes a session: customer, payment method, subscription or PaymentIntent (+ Charge),
/// invoice, events. A declined card leaves the session open. Returns the URL to redirect to.
pub fn complete(world: &mut World, id: &str, payer: Payer) -> Result<String, ApiError> {
    let Payer {
        payment_method,
        email,
        name,
        details,
    } = payer;
    let before = world.get("checkout.session", id, "session")?;
    if before["status"] != "open" {
        return Err(ApiError::state("This Checkout Session is no longer open."));
    }
    if let Some(pm) = &payment_method {
        let kind = world
            .get("payment_method", pm, "payment_method")?
            .get("type")
            .cloned()
            .unwrap_or_default();
        let accepted = before["payment_method_types"]
            .as_array()
            .is_some_and(|types| types.contains(&kind));
        if !accepted {
            return Err(ApiError::invalid(
                format!(
                    "This Checkout Session does not accept {} payment methods.",
                    kind.as_str().unwrap_or("these")
                ),
                Some("payment_method"),
            ));
        }
    }
    let instrument = payment_method
        .as_deref()
        .and_then(|pm| payments::instrument(world, pm));
    if let Some(Instrument::Card(card)) = &instrument {
        card.check_on_attach()?;
        // A free trial charges nothing today: 0341 ("charges fail later") starts a trial fine.
        if before["amount_total"].as_i64().unwrap_or(0) > 0 {
            card.charge()?;
        }
    }
    // Payment mode makes a Customer only when asked (`customer_creation=always`), as in Stripe.
    let wants_customer =
        before["mode"] == "subscription" || before["customer_creation"] == "always";
    let (customer_id, created) = match before["customer"].as_str() {
        Some(customer) => (Some(customer.to_owned()), false),
        None if wants_customer => {
            let address = details.address.as_ref();
            (
                Some(new_customer(world, &before, email, name, address)),
                true,
            )
        }
        None => (None, false),
    };
    let tax_ids = match &customer_id {
        Some(customer) => {
            super::checkout_tax::save_details(world, &before, customer, created, &details)?
        }
        None => json!([]),
    };
    if let (Some(pm_id), Some(customer_id)) = (&payment_method, &customer_id) {
        super::payment_methods::attach_to(world, pm_id, customer_id, "payment_method")?;
    }
    let mut items = world.line_items.get(id).cloned().unwrap_or_default();
    let mut session = before.clone();
    let automatic_tax = before["automatic_tax"]["enabled"] == true;
    if automatic_tax {
        let place = match &customer_id {
            Some(customer) => crate::tax::location(&world.get("customer", customer, "customer")?),
            None => details
                .address
                .as_ref()
                .and_then(|address| crate::tax::location(&json!({ "address": address }))),
        };
        super::checkout_tax::apply(world, &mut session, &mut items, place);
        world.line_items.insert(id.to_owned(), items.clone());
    }
    if before["mode"] == "subscription" {
        let trial_days = before["subscription_data"]["trial_period_days"]
            .as_i64()
            .filter(|days| *days > 0);
        let customer_id = customer_id.clone().unwrap_or_default();
        let now = world.now_for_customer(&customer_id);
        let discounts = crate::discounts::from_session(world, &before, &customer_id)?;
        let subscription = billing::create_subscription(
            world,
            NewSubscription {
                customer: customer_id,
                items: items
                    .iter()
                    .map(|item| super::checkout_tax::subscription_item(item, automatic_tax))
                    .collect(),
                trial_end: trial_days.map(|days| now + days * billing::DAY),
                default_payment_method: payment_method.clone(),
                default_source: None,
                payment_behavior: "allow_incomplete".to_owned(),
                missing_payment_method: before["subscription_data"]["missing_payment_method"]
                    .as_str()
                    .unwrap_or("create_invoice")
                    .to_owned(),
                metadata: before["subscription_data"]["metadata"].clone(),
                description: None,
                discounts,
                checkout_session: Some(id.to_owned()),
                schedule: None,
                automatic_tax,
                default_tax_rates: Vec::new(),
            },
        )?;
        session["subscription"] = subscription["id"].clone();
        session["invoice"] = subscription["latest_invoice"].clone();
        session["payment_status"] = json!(if trial_days.is_some() {
            "no_payment_required"
        } else {
            "paid"
        });
    } else {
        let buyer = customer_id.as_deref().unwrap_or_default();
        let discounts = crate::discounts::from_session(world, &before, buyer)?;
        let intent = pay(world, &session, customer_id.clone(), payment_method)?;
        super::checkout_discounts::count_redemptions(world, &discounts);
        session["payment_intent"] = intent["id"].clone();
        session["payment_status"] = json!(if intent["status"] == "succeeded" {
            "paid"
        } else {
            "unpaid"
        });
    }
    let customer = match &customer_id {
        Some(customer_id) => world.get("customer", customer_id, "customer")?,
        None => {
            json!({ "address": null, "email": email, "name": if name.is_empty() { Value::Null } else { json!(name) }, "phone": null })
        }
    };
    session["customer"] = json!(customer_id);
    let address = if customer["address"].is_null() {
        details.address.clone().unwrap_or(Value::Null)
    } else {
        customer["address"].clone()
    };
    session["customer_details"] = json!({
        "address": address, "business_name": details.business_name, "email": customer["email"].as_str().unwrap_or(email),
        "individual_name": null, "name": customer["name"], "phone": customer["phone"], "tax_exempt": "none", "tax_ids": tax_ids,
    });
    session["status"] = json!("complete");
    session["url"] = Value::Null;
    world.put(session.clone());
    world.emit("checkout.session.completed", &public(session), None);
    let success = before["success_url"].as_str().unwrap_or_default();
    Ok(success.replace("{CHECKOUT_SESSION_ID}", id))
}

/// The PaymentIntent of a `payment` mode session, confirmed with the buyer's method: succeeded
/// for a card (already checked and authenticated on the page), processing for a debit.
fn pay(
    world: &mut World,
    session: &Value,
    customer: Option<String>,
    payment_method: Option<String>,
) -> Result<Value, ApiError> {
    let data = &session["payment_intent_data"];
    let text = |key: &str| data[key].as_str().map(str::to_owned);
    let types = session["payment_method_types"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|kind| kind.as_str().map(str::to_owned))
        .collect();
    let intent = payments::create(
        world,
        NewPaymentIntent {
            amount: session["amount_total"].as_i64().unwrap_or(0),
            currency: session["currency"].as_str().unwrap_or("usd").to_owned(),
            customer,
            description: text("description"),
            metadata: data["metadata"].clone(),
            payment_method_types: Some(types),
            allow_redirects: None,
            capture_method: text("capture_method").unwrap_or_else(|| "automatic".to_owned()),
            confirmation_method: "automatic".to_owned(),
            setup_future_usage: text("setup_future_usage"),
            shipping: data["shipping"].clone(),
            receipt_email: text("receipt_email"),
            statement_descriptor: text("statement_descriptor"),
            statement_descriptor_suffix: text("statement_descriptor_suffix"),
            payment_method,
        },
    )?;
    if intent["payment_method"].is_null() {
        return Ok(intent);
    }
    let id = intent["id"].as_str().unwrap_or_default().to_owned();
    payments::confirm(
        world,
        &id,
        &Confirmation {
            authenticated: true,
            ..Confirmation::default()
        },
    )
}

/// A delayed payment (a debit) of a completed session settled: `payment_status` becomes `paid`
/// and `checkout.session.async_payment_succeeded` follows, or `async_payment_failed`.
pub fn payment_settled(world: &mut World, payment_intent: &str, succeeded: bool) {
    let Some(before) = world
        .all("checkout.session")
        .find(|session| {
            session["payment_intent"] == payment_intent && session["status"] == "complete"
        })
        .cloned()
    else {
        return;
    };
    let mut session = before.clone();
    if succeeded {
        session["payment_status"] = json!("paid");
    }
    world.put(session.clone());
    let kind = if succeeded {
        "checkout.session.async_payment_succeeded"
    } else {
        "checkout.session.async_payment_failed"
    };
    world.emit(kind, &public(session), None);
}

/// The Customer a completed session makes for a buyer who had none.
fn new_customer(
    world: &mut World,
    session: &Value,
    email: &str,
    name: &str,
    address: Option<&Value>,
) -> String {
    let mut customer = super::customers::blank(world, None);
    if let Some(address) = address {
        customer["address"] = address.clone();
    }
    customer["currency"] = session["currency"].clone();
    customer["email"] = json!(email);
    if !name.is_empty() {
        customer["name"] = json!(name);
    }
    world.insert(customer.clone());
    world.emit("customer.created", &customer, None);
    customer["id"].as_str().unwrap_or_default().to_owned()
}
