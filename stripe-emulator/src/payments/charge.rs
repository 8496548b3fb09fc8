//! The Charge a PaymentIntent's confirmation makes: its shape, its outcome (authorized, declined,
//! pending for a debit), and the later changes (capture, release, settlement).
//! <https://docs.stripe.com/api/charges/object>

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::world::World;

/// How a charge came out when it was made.
pub enum Outcome<'a> {
    /// Authorized; `captured` unless the PaymentIntent captures manually.
    Authorized {
        /// Whether the money was taken at once.
        captured: bool,
    },
    /// A debit waiting for the bank.
    Pending,
    /// Declined with this card error.
    Declined(&'a ApiError),
}

/// Stores and returns a new charge for a PaymentIntent paid with `payment_method`.
pub fn create(world: &mut World, intent: &Value, payment_method: &Value, result: Outcome) -> Value {
    let id = world.new_id("ch");
    let amount = intent["amount"].as_i64().unwrap_or(0);
    let (status, captured, failure, outcome) = match result {
        Outcome::Authorized { captured } => (
            "succeeded",
            captured,
            None,
            json!({
                "advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": "approved_by_network", "reason": null, "risk_level": "normal",
                "seller_message": "Payment complete.", "type": "authorized",
            }),
        ),
        Outcome::Pending => ("pending", true, None, Value::Null),
        Outcome::Declined(error) => (
            "failed",
            false,
            Some(error),
            json!({
                "advice_code": null, "network_advice_code": null, "network_decline_code": null,
                "network_status": "declined_by_network", "reason": error.decline_code.or(error.code),
                "risk_level": "normal",
                "seller_message": "The bank did not return any further details with this decline.",
                "type": "issuer_declined",
            }),
        ),
    };
    let details = method_details(payment_method, amount, status);
    let created = match intent["customer"].as_str() {
        Some(customer) => world.now_for_customer(customer),
        None => world.now(),
    };
    let mut charge = json!({
        "id": id,
        "object": "charge",
        "amount": amount,
        "amount_captured": if captured && status == "succeeded" { amount } else { 0 },
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": null,
        "billing_details": payment_method["billing_details"],
        "calculated_statement_descriptor": null,
        "captured": captured && status == "succeeded",
        "created": created,
        "currency": intent["currency"],
        "customer": intent["customer"],
        "description": intent["description"],
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": failure.and_then(|error| error.code),
        "failure_message": failure.map(|error| error.message.clone()),
        "fraud_details": {},
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": outcome,
        "paid": status == "succeeded",
        "payment_intent": intent["id"],
        "payment_method": payment_method["id"],
        "payment_method_details": details,
        "receipt_email": intent["receipt_email"],
        "receipt_number": null,
        "receipt_url": null,
        "refunded": false,
        "review": null,
        "shipping": intent["shipping"],
        "source": null,
        "source_transfer": null,
        "statement_descriptor": intent["statement_descriptor"],
        "statement_descriptor_suffix": intent["statement_descriptor_suffix"],
        "status": status,
        "transfer_data": null,
        "transfer_group": null,
    });
    if charge["captured"] == true {
        crate::money::ledger::record_charge(world, &mut charge);
    }
    world.insert(charge)
}

/// `payment_method_details` for a card or a SEPA debit.
fn method_details(payment_method: &Value, amount: i64, status: &str) -> Value {
    match payment_method["type"].as_str() {
        Some("sepa_debit") => {
            let account = &payment_method["sepa_debit"];
            json!({
                "sepa_debit": {
                    "bank_code": account["bank_code"], "branch_code": account["branch_code"],
                    "country": account["country"], "fingerprint": account["fingerprint"],
                    "last4": account["last4"], "mandate": null,
                },
                "type": "sepa_debit",
            })
        }
        _ => {
            let card = &payment_method["card"];
            json!({
                "card": {
                    "amount_authorized": if status == "succeeded" { json!(amount) } else { Value::Null },
                    "authorization_code": null,
                    "brand": card["brand"],
                    "checks": card["checks"],
                    "country": card["country"],
                    "electronic_commerce_indicator": null,
                    "exp_month": card["exp_month"],
                    "exp_year": card["exp_year"],
                    "fingerprint": card["fingerprint"],
                    "funding": card["funding"],
                    "installments": null,
                    "last4": card["last4"],
                    "mandate": null,
                    "network": card["brand"],
                    "network_transaction_id": null,
                    "regulated_status": card["regulated_status"],
                    "three_d_secure": null,
                    "transaction_link_id": null,
                    "wallet": null,
                },
                "type": "card",
            })
        }
    }
}

/// Captures `amount` of an authorized charge (the rest is released); emits `charge.captured`.
pub fn capture(world: &mut World, id: &str, amount: i64) {
    let Some(before) = world.find("charge", id).cloned() else {
        return;
    };
    let mut charge = before.clone();
    charge["captured"] = json!(true);
    charge["amount_captured"] = json!(amount);
    charge["amount_refunded"] = json!(before["amount"].as_i64().unwrap_or(0) - amount);
    crate::money::ledger::record_charge(world, &mut charge);
    world.put(charge.clone());
    world.emit(
        "charge.captured",
        &charge,
        Some(crate::world::previous_attributes(&before, &charge)),
    );
}

/// Releases an uncaptured authorization (its PaymentIntent was canceled): `charge.refunded`.
pub fn release(world: &mut World, id: &str) {
    let Some(before) = world.find("charge", id).cloned() else {
        return;
    };
    if before["captured"] == true || before["status"] != "succeeded" {
        return;
    }
    let mut charge = before.clone();
    charge["refunded"] = json!(true);
    charge["amount_refunded"] = before["amount"].clone();
    world.update_and_emit("charge.refunded", &before, charge);
}

/// A pending debit's outcome: `succeeded` (captured, paid) or `failed` with the bank's reason.
pub fn settle(world: &mut World, id: &str, succeeds: bool) -> Option<Value> {
    let mut charge = world.find("charge", id).cloned()?;
    if succeeds {
        charge["status"] = json!("succeeded");
        charge["paid"] = json!(true);
        charge["amount_captured"] = charge["amount"].clone();
        charge["outcome"] = json!({
            "advice_code": null, "network_advice_code": null, "network_decline_code": null,
            "network_status": "approved_by_network", "reason": null, "risk_level": "not_assessed",
            "seller_message": "Payment complete.", "type": "authorized",
        });
        crate::money::ledger::record_charge(world, &mut charge);
    } else {
        charge["status"] = json!("failed");
        charge["captured"] = json!(false);
        charge["failure_code"] = json!("insufficient_funds");
        charge["failure_message"] =
            json!("The customer's account has insufficient funds to cover this payment.");
        charge["outcome"] = json!({
            "advice_code": null, "network_advice_code": null, "network_decline_code": null,
            "network_status": "declined_by_network", "reason": "insufficient_funds",
            "risk_level": "not_assessed",
            "seller_message": "The customer's account has insufficient funds to cover this payment.",
            "type": "issuer_declined",
        });
    }
    world.put(charge.clone());
    let kind = if succeeds {
        "charge.succeeded"
    } else {
        "charge.failed"
    };
    world.emit(kind, &charge, None);
    Some(charge)
}
