//! Top-ups: money added to the balance from the platform's bank account. A top-up is `pending`
//! with a `topup` balance transaction pending until `expected_availability_date` (two days on,
//! like a charge's money), then `succeeded` with the money available (`topup.succeeded`,
//! `balance.available`); canceled while pending, a `topup_reversal` takes the pending money back
//! (`topup.canceled`). <https://docs.stripe.com/api/topups>

use serde_json::{json, Value};

use super::ledger::{self, Entry};
use crate::error::ApiError;
use crate::world::World;

/// What a new top-up is made of.
pub struct NewTopup {
    /// Minor units, at least 1.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// Free text.
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
    /// Shown on the bank statement.
    pub statement_descriptor: Option<String>,
    /// Groups it with transfers.
    pub transfer_group: Option<String>,
}

/// Creates a pending top-up and its pending `topup` transaction: `topup.created`.
pub fn create(world: &mut World, new: NewTopup) -> Value {
    let id = world.new_id("tu");
    let created = world.now();
    let transaction = ledger::record(
        world,
        Entry {
            kind: "topup",
            category: "topup",
            source: &id,
            amount: new.amount,
            currency: &new.currency,
            fees: Vec::new(),
            description: new.description.clone(),
            created,
            pending: true,
        },
    );
    let topup = world.insert(json!({
        "id": id,
        "object": "topup",
        "amount": new.amount,
        "balance_transaction": transaction["id"],
        "created": created,
        "currency": new.currency,
        "description": new.description,
        "expected_availability_date": transaction["available_on"],
        "failure_code": null,
        "failure_message": null,
        "initiated_by": null,
        "livemode": false,
        "metadata": if new.metadata.is_object() { new.metadata } else { json!({}) },
        "source": null,
        "statement_descriptor": new.statement_descriptor,
        "status": "pending",
        "transfer_group": new.transfer_group,
    }));
    world.emit("topup.created", &topup, None);
    topup
}

/// Cancels a pending top-up: `canceled`, a pending `topup_reversal` of its amount,
/// `topup.canceled`.
pub fn cancel(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("topup", id, "topup")?;
    if before["status"] != "pending" {
        return Err(ApiError::invalid(
            format!(
                "Top-up {id} cannot be canceled because it has a status of {}. Only pending top-ups can be canceled.",
                before["status"].as_str().unwrap_or_default()
            ),
            None,
        ));
    }
    let available_on = before["expected_availability_date"]
        .as_i64()
        .unwrap_or_default();
    let transaction = ledger::record(
        world,
        Entry {
            kind: "topup_reversal",
            category: "topup_reversal",
            source: id,
            amount: -before["amount"].as_i64().unwrap_or(0),
            currency: before["currency"].as_str().unwrap_or("usd"),
            fees: Vec::new(),
            description: Some("Top-up canceled".to_owned()),
            created: world.now(),
            pending: true,
        },
    );
    // The reversal becomes available with the money it takes back, so nothing ever was.
    let mut transaction = transaction;
    transaction["available_on"] = json!(available_on);
    world.put(transaction);
    let mut topup = before.clone();
    topup["status"] = json!("canceled");
    world.put(topup.clone());
    world.emit(
        "topup.canceled",
        &topup,
        Some(crate::world::previous_attributes(&before, &topup)),
    );
    Ok(topup)
}

/// Settles every pending top-up whose money is due: `succeeded`, `topup.succeeded` (the ledger
/// then makes the money available).
pub fn run_due(world: &mut World) {
    let now = world.now();
    let due: Vec<Value> = world
        .all("topup")
        .filter(|topup| {
            topup["status"] == "pending"
                && topup["expected_availability_date"]
                    .as_i64()
                    .is_some_and(|at| at <= now)
        })
        .cloned()
        .collect();
    for before in due {
        let mut topup = before.clone();
        topup["status"] = json!("succeeded");
        world.put(topup.clone());
        world.emit(
            "topup.succeeded",
            &topup,
            Some(crate::world::previous_attributes(&before, &topup)),
        );
    }
}
