//! Disputes as Stripe's test mode makes and decides them: a charge paid with the card
//! 4000 0000 0000 0259 is disputed as fraudulent right after it succeeds (the amount and a 15.00
//! dispute fee withdrawn); evidence whose `uncategorized_text` is `winning_evidence` wins (the
//! amount reinstated; the fee is kept, as Stripe's US pricing does), `losing_evidence` loses,
//! anything else waits `under_review`; closing accepts the loss. The card 4000 0000 0000 1976
//! opens an inquiry instead (`warning_needs_response`, nothing withdrawn, still refundable),
//! which evidence or closing ends as `warning_closed`.
//! <https://docs.stripe.com/testing#disputes>

use serde_json::{json, Map, Value};

use super::ledger::{self, Entry};
use crate::billing::DAY;
use crate::cards::Behaviour;
use crate::error::ApiError;
use crate::world::World;

/// Stripe's dispute fee in minor units (15.00).
pub const DISPUTE_FEE: i64 = 1500;
/// Days the merchant has to answer a dispute in test mode.
pub const RESPONSE_DAYS: i64 = 7;
/// Evidence fields that name a File (`file_…` with purpose `dispute_evidence`).
pub const FILE_EVIDENCE: &[&str] = &[
    "cancellation_policy",
    "customer_communication",
    "customer_signature",
    "duplicate_charge_documentation",
    "receipt",
    "refund_policy",
    "service_documentation",
    "shipping_documentation",
    "uncategorized_file",
];
/// Evidence fields that hold text.
const TEXT_EVIDENCE: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_tracking_number",
    "uncategorized_text",
];
/// The statuses in which evidence can still be given.
const ANSWERABLE: &[&str] = &["needs_response", "warning_needs_response"];

/// Whether a charge has a chargeback that is not won (Stripe refuses to refund it; an inquiry
/// leaves the charge refundable).
pub fn open_on(world: &World, charge: &str) -> bool {
    world.all("dispute").any(|dispute| {
        dispute["charge"] == charge
            && dispute["is_charge_refundable"] == false
            && dispute["status"] != "won"
    })
}

/// Whether a dispute is an inquiry (its statuses start with `warning_`).
fn inquiry(dispute: &Value) -> bool {
    dispute["payment_method_details"]["card"]["case_type"] == "inquiry"
}

/// Opens a dispute on a just-captured charge whose test card disputes every payment: a
/// chargeback (0259: `charge.dispute.created`, then `charge.dispute.funds_withdrawn`) or an
/// inquiry (1976: `charge.dispute.created` only).
pub fn open_if_disputed(world: &mut World, charge_id: &str) {
    let Some(before) = world.find("charge", charge_id).cloned() else {
        return;
    };
    let behaviour = before["payment_method"]
        .as_str()
        .and_then(|method| world.cards.get(method))
        .map(|card| card.behaviour);
    let chargeback = match behaviour {
        Some(Behaviour::Disputed) => true,
        Some(Behaviour::Inquiry) => false,
        _ => return,
    };
    if before["disputed"] == true {
        return;
    }
    let id = world.new_id("du");
    let created = world.now();
    let amount = before["amount_captured"].as_i64().unwrap_or(0);
    let currency = before["currency"].as_str().unwrap_or("usd").to_owned();
    let evidence: Map<String, Value> = FILE_EVIDENCE
        .iter()
        .chain(TEXT_EVIDENCE)
        .map(|field| ((*field).to_owned(), Value::Null))
        .chain([("enhanced_evidence".to_owned(), json!({}))])
        .collect();
    let card = &before["payment_method_details"]["card"];
    let mut dispute = json!({
        "id": id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge_id,
        "created": created,
        "currency": currency,
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": created + RESPONSE_DAYS * DAY, "enhanced_eligibility": {},
            "has_evidence": false, "past_due": false, "submission_count": 0,
        },
        "intended_submission_method": null,
        "is_charge_refundable": !chargeback,
        "livemode": false,
        "metadata": {},
        "payment_intent": before["payment_intent"],
        "payment_method_details": {
            "card": {
                "brand": card["brand"],
                "case_type": if chargeback { "chargeback" } else { "inquiry" },
                "network_reason_code": if chargeback { "10.4" } else { "10" },
            },
            "type": "card",
        },
        "reason": if chargeback { "fraudulent" } else { "general" },
        "status": if chargeback { "needs_response" } else { "warning_needs_response" },
    });
    world.insert(dispute.clone());
    let mut charge = before.clone();
    charge["disputed"] = json!(true);
    world.put(charge);
    world.emit("charge.dispute.created", &dispute, None);
    if !chargeback {
        return;
    }
    let withdrawal = ledger::record(
        world,
        Entry {
            kind: "adjustment",
            category: "dispute",
            source: &id,
            amount: -amount,
            currency: &currency,
            fees: vec![(DISPUTE_FEE, "Dispute fee")],
            description: Some(format!("Chargeback withdrawal for {charge_id}")),
            created,
            pending: false,
        },
    );
    dispute["balance_transactions"] = json!([withdrawal]);
    world.put(dispute.clone());
    world.emit("charge.dispute.funds_withdrawn", &dispute, None);
}

/// What an update of a dispute asks for.
pub struct Answer {
    /// `evidence[…]` as given (strings; file fields already checked).
    pub evidence: Map<String, Value>,
    /// `metadata[…]` merged by the caller into this object, or None.
    pub metadata: Option<Value>,
    /// Whether the evidence is submitted now (`submit`, default true).
    pub submit: bool,
}

/// A dispute past the point of giving evidence: Stripe's refusal.
fn closed(dispute: &Value) -> ApiError {
    ApiError::invalid(
        format!(
            "This dispute is already {}; you can only update evidence on a dispute that needs a response.",
            dispute["status"].as_str().unwrap_or_default().replace('_', " ")
        ),
        None,
    )
}

/// Records evidence (and submits what there is unless told not to): `charge.dispute.updated`,
/// then, when the test evidence decides it, `charge.dispute.closed` (and
/// `charge.dispute.funds_reinstated` if won).
pub fn answer(world: &mut World, id: &str, answer: Answer) -> Result<Value, ApiError> {
    let before = world.get("dispute", id, "dispute")?;
    if !ANSWERABLE.contains(&before["status"].as_str().unwrap_or_default()) {
        return Err(closed(&before));
    }
    let mut dispute = before.clone();
    for (field, value) in answer.evidence {
        dispute["evidence"][field.as_str()] = match value.as_str() {
            Some("") => Value::Null,
            _ => value,
        };
    }
    if let Some(metadata) = answer.metadata {
        dispute["metadata"] = metadata;
    }
    let has_evidence = dispute["evidence"].as_object().is_some_and(|evidence| {
        evidence
            .iter()
            .any(|(key, value)| key != "enhanced_evidence" && !value.is_null())
    });
    dispute["evidence_details"]["has_evidence"] = json!(has_evidence);
    let mut outcome = None;
    if answer.submit && has_evidence {
        let count = before["evidence_details"]["submission_count"]
            .as_i64()
            .unwrap_or(0);
        dispute["evidence_details"]["submission_count"] = json!(count + 1);
        let status = match (
            inquiry(&before),
            dispute["evidence"]["uncategorized_text"].as_str(),
        ) {
            (true, Some("winning_evidence")) => "warning_closed",
            (true, _) => "warning_under_review",
            (false, Some("winning_evidence")) => "won",
            (false, Some("losing_evidence")) => "lost",
            (false, _) => "under_review",
        };
        dispute["status"] = json!(status);
        outcome = matches!(status, "won" | "lost" | "warning_closed").then_some(status);
    }
    let mut dispute = world.update_and_emit("charge.dispute.updated", &before, dispute);
    if let Some(status) = outcome {
        world.emit("charge.dispute.closed", &dispute, None);
        if status == "won" {
            dispute = reinstate(world, dispute);
        }
    }
    Ok(dispute)
}

/// Gives the disputed amount back: an `adjustment` of `dispute_reversal`,
/// `charge.dispute.funds_reinstated`.
fn reinstate(world: &mut World, mut dispute: Value) -> Value {
    let amount = dispute["amount"].as_i64().unwrap_or(0);
    let currency = dispute["currency"].as_str().unwrap_or("usd").to_owned();
    let id = dispute["id"].as_str().unwrap_or_default().to_owned();
    let charge = dispute["charge"].as_str().unwrap_or_default().to_owned();
    let now = world.now();
    let reinstatement = ledger::record(
        world,
        Entry {
            kind: "adjustment",
            category: "dispute_reversal",
            source: &id,
            amount,
            currency: &currency,
            fees: Vec::new(),
            description: Some(format!("Chargeback reversal for {charge}")),
            created: now,
            pending: false,
        },
    );
    if let Some(transactions) = dispute["balance_transactions"].as_array_mut() {
        transactions.push(reinstatement);
    }
    world.put(dispute.clone());
    world.emit("charge.dispute.funds_reinstated", &dispute, None);
    dispute
}

/// Accepts the loss of a dispute that still needs a response: `lost` (an inquiry:
/// `warning_closed`), `charge.dispute.closed`.
pub fn close(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("dispute", id, "dispute")?;
    if !ANSWERABLE.contains(&before["status"].as_str().unwrap_or_default()) {
        return Err(closed(&before));
    }
    let mut dispute = before.clone();
    dispute["status"] = json!(if inquiry(&before) {
        "warning_closed"
    } else {
        "lost"
    });
    world.put(dispute.clone());
    world.emit(
        "charge.dispute.closed",
        &dispute,
        Some(crate::world::previous_attributes(&before, &dispute)),
    );
    Ok(dispute)
}
