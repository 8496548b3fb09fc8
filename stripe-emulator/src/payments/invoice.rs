//! The PaymentIntent and Charge behind an invoice paid by card, as Stripe makes them when it
//! collects an invoice: confirmed off session, so the money reaches the ledger (and a disputing
//! test card opens its dispute) like any other card payment.
//! <https://docs.stripe.com/billing/subscriptions/overview#payment-status>

use serde_json::{json, Value};

use super::{confirm, create, Confirmation, NewPaymentIntent};
use crate::world::World;

/// Pays `invoice` (already charged successfully to the card `payment_method`) with a
/// PaymentIntent and its Charge: `payment_intent.created`, `charge.succeeded`,
/// `payment_intent.succeeded`. Debits and unknown methods make none.
pub fn pay(world: &mut World, invoice: &Value, payment_method: &str) {
    if !world.cards.contains_key(payment_method) {
        return;
    }
    let description = match invoice["billing_reason"].as_str() {
        Some("subscription_create") => "Subscription creation",
        Some("subscription_cycle" | "subscription_update") => "Subscription update",
        _ => "Payment for Invoice",
    };
    let new = NewPaymentIntent {
        amount: invoice["amount_due"].as_i64().unwrap_or(0),
        currency: invoice["currency"].as_str().unwrap_or("usd").to_owned(),
        customer: invoice["customer"].as_str().map(str::to_owned),
        description: Some(description.to_owned()),
        metadata: json!({}),
        payment_method_types: Some(vec!["card".to_owned()]),
        capture_method: "automatic".to_owned(),
        confirmation_method: "automatic".to_owned(),
        payment_method: Some(payment_method.to_owned()),
        ..NewPaymentIntent::default()
    };
    let Ok(intent) = create(world, new) else {
        return;
    };
    let off_session = Confirmation {
        off_session: true,
        ..Confirmation::default()
    };
    // The card was already charged successfully, so confirming off session succeeds.
    let intent_id = intent["id"].as_str().unwrap_or_default().to_owned();
    let paid = confirm(world, &intent_id, &off_session)
        .is_ok_and(|intent| intent["status"] == "succeeded");
    record_payment(world, invoice, &intent_id, paid);
}

/// The `invoice_payment` linking the invoice to the PaymentIntent that paid it (what
/// `expand[]=payments` on the invoice shows since the basil API).
/// <https://docs.stripe.com/api/invoice-payment/object>
fn record_payment(world: &mut World, invoice: &Value, intent: &str, paid: bool) {
    let id = world.new_id("inpay");
    let now = world.now_for_customer(invoice["customer"].as_str().unwrap_or_default());
    let amount = invoice["amount_due"].as_i64().unwrap_or(0);
    world.insert(json!({
        "id": id,
        "object": "invoice_payment",
        "amount_paid": if paid { Some(amount) } else { None },
        "amount_requested": amount,
        "created": now,
        "currency": invoice["currency"],
        "invoice": invoice["id"],
        "is_default": true,
        "livemode": false,
        "payment": { "type": "payment_intent", "payment_intent": intent },
        "status": if paid { "paid" } else { "open" },
        "status_transitions": { "canceled_at": null, "paid_at": if paid { Some(now) } else { None } },
    }));
}
