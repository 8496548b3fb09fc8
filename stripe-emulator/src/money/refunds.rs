//! Refunds of captured card charges: checked as Stripe checks them (what is left to refund, a
//! charge already refunded or charged back), succeeded at once, each with a `refund` balance
//! transaction, the charge's `amount_refunded`/`refunded` moved on, and Stripe's events.
//! <https://docs.stripe.com/api/refunds>

use serde_json::{json, Value};

use super::ledger::{self, Entry};
use crate::error::ApiError;
use crate::world::World;

/// What a new refund is made of.
pub struct NewRefund {
    /// `ch_…`, checked to exist.
    pub charge: String,
    /// Minor units; all that is left when None.
    pub amount: Option<i64>,
    /// `duplicate`, `fraudulent` or `requested_by_customer`.
    pub reason: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
}

/// The charge a PaymentIntent's refund goes to: its latest, successful charge.
pub fn charge_of_intent(world: &World, intent: &str) -> Result<String, ApiError> {
    let intent = world.get("payment_intent", intent, "payment_intent")?;
    intent["latest_charge"]
        .as_str()
        .filter(|charge| {
            world
                .find("charge", charge)
                .is_some_and(|charge| charge["status"] == "succeeded")
        })
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid_code(
                "charge_not_refundable",
                format!(
                    "This PaymentIntent ({}) does not have a successful charge to refund.",
                    intent["id"].as_str().unwrap_or_default()
                ),
                Some("payment_intent"),
            )
        })
}

/// Refunds a charge: the refund succeeds at once (cards), money leaves the balance, the charge
/// says how much is refunded; `refund.created` and `charge.refunded`.
pub fn create(world: &mut World, new: NewRefund) -> Result<Value, ApiError> {
    let before = world.get("charge", &new.charge, "charge")?;
    let id = before["id"].as_str().unwrap_or_default().to_owned();
    let currency = before["currency"].as_str().unwrap_or("usd").to_owned();
    if before["refunded"] == true {
        return Err(ApiError::invalid_code(
            "charge_already_refunded",
            format!("Charge {id} has already been refunded."),
            None,
        ));
    }
    if super::disputes::open_on(world, &id) {
        return Err(ApiError::invalid_code(
            "charge_disputed",
            format!("Charge {id} has been charged back; cannot issue a refund."),
            None,
        ));
    }
    if before["status"] != "succeeded" || before["captured"] != true {
        return Err(ApiError::invalid_code(
            "charge_not_refundable",
            format!("Charge {id} has not been captured and cannot be refunded."),
            None,
        ));
    }
    let captured = before["amount_captured"].as_i64().unwrap_or(0);
    let refunded = before["amount_refunded"].as_i64().unwrap_or(0);
    let left = captured - refunded;
    let amount = new.amount.unwrap_or(left);
    if amount < 1 {
        return Err(ApiError::not_positive("amount"));
    }
    if amount > left {
        let shown = |minor| crate::pages::money(minor, &currency);
        return Err(ApiError::invalid_code(
            "amount_too_large",
            format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                shown(amount),
                shown(left)
            ),
            Some("amount"),
        ));
    }
    let refund_id = world.new_id("re");
    let created = world.now();
    let transaction = ledger::record(
        world,
        Entry {
            kind: "refund",
            category: "refund",
            source: &refund_id,
            amount: -amount,
            currency: &currency,
            fees: Vec::new(),
            description: Some("REFUND FOR CHARGE".to_owned()),
            created,
            pending: false,
        },
    );
    let refund = world.insert(json!({
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": transaction["id"],
        "charge": id,
        "created": created,
        "currency": currency,
        "customer": before["customer"],
        "customer_account": null,
        "destination_details": {
            "card": { "reference_status": "pending", "reference_type": "acquirer_reference_number", "type": "refund" },
            "type": "card",
        },
        "metadata": if new.metadata.is_object() { new.metadata } else { json!({}) },
        "payment_intent": before["payment_intent"],
        "payment_method": before["payment_method"],
        "reason": new.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null,
    }));
    let mut charge = before.clone();
    charge["amount_refunded"] = json!(refunded + amount);
    charge["refunded"] = json!(refunded + amount == captured);
    world.emit("refund.created", &refund, None);
    world.update_and_emit("charge.refunded", &before, charge);
    Ok(refund)
}

/// A refund's `metadata` changed: `refund.updated` and `charge.refund.updated`.
pub fn updated(world: &mut World, before: &Value, after: Value) -> Value {
    let after = world.update_and_emit("refund.updated", before, after);
    let previous = crate::world::previous_attributes(before, &after);
    if previous.as_object().is_some_and(|map| !map.is_empty()) {
        world.emit("charge.refund.updated", &after, Some(previous));
    }
    after
}

/// Card refunds succeed at once, so none is left to cancel (only `requires_action` refunds can
/// be): Stripe's refusal.
pub fn cancel(world: &World, id: &str) -> Result<Value, ApiError> {
    let refund = world.get("refund", id, "refund")?;
    Err(ApiError::invalid_code(
        "refund_unexpected_state",
        format!(
            "This refund cannot be canceled because it has a status of {}. Only a refund with a status of requires_action may be canceled.",
            refund["status"].as_str().unwrap_or_default()
        ),
        None,
    ))
}
