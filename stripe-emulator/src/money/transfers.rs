//! Transfers from the platform's balance to a connected account's, and their reversals.
//! A transfer takes the amount from the platform's available balance (`transfer`, or pending with
//! its `source_transaction`'s money) and puts it on the destination as a payment (`py_…`, a
//! Charge on the connected account, with a `payment` balance transaction); a reversal moves
//! money back (`transfer_refund` on the platform, a `payment_refund` on the account, whose
//! balance may go negative).
//! <https://docs.stripe.com/api/transfers>, <https://docs.stripe.com/api/transfer_reversals>

use serde_json::{json, Value};

use super::ledger::{self, Entry};
use crate::connect::accounts::Controller;
use crate::error::ApiError;
use crate::world::World;

/// What a new transfer is made of.
pub struct NewTransfer {
    /// Minor units, at least 1.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// `acct_…` of a connected account.
    pub destination: String,
    /// Free text.
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
    /// `ch_…` whose money the transfer is paid from.
    pub source_transaction: Option<String>,
    /// Groups the transfer with the payments it settles.
    pub transfer_group: Option<String>,
}

/// Stripe's refusal of a transfer above the available balance.
fn insufficient() -> ApiError {
    ApiError::invalid_code(
        "balance_insufficient",
        "You have insufficient funds in your Stripe account. One likely reason you have insufficient funds is that your funds are automatically being paid out; try enabling manual payouts by going to https://dashboard.stripe.com/account/payouts.",
        None,
    )
}

/// Makes a transfer: refused to an account that is not connected, to one without an active
/// `transfers` capability (accounts with the full Stripe dashboard take transfers once
/// created), and above the available balance. Emits `transfer.created`.
pub fn create(world: &mut World, new: NewTransfer) -> Result<Value, ApiError> {
    let destination = world
        .connected_account(&new.destination)
        .cloned()
        .ok_or_else(|| {
            ApiError::missing_resource("destination", &new.destination, "destination")
        })?;
    let full_dashboard = Controller::of(&destination).dashboard == "full";
    if !full_dashboard && destination["capabilities"]["transfers"] != "active" {
        return Err(ApiError::invalid_code(
            "insufficient_capabilities_for_transfer",
            "Your destination account needs to have at least one of the following capabilities enabled: transfers, crypto_transfers, legacy_payments",
            Some("destination"),
        ));
    }
    // Money from a charge follows it: pending until the charge's money is available.
    let pending_until = match &new.source_transaction {
        Some(charge) => source_available_on(world, charge, &new)?,
        None => {
            if new.amount > ledger::available(world, &new.currency) {
                return Err(insufficient());
            }
            None
        }
    };
    let id = world.new_id("tr");
    let now = world.now();
    let transaction = record(
        world,
        entry("transfer", "transfer", &id, -new.amount, &new.currency, now),
        pending_until,
    );
    let payment_id = world.new_id("py");
    let payment = world.as_account(Some(&new.destination), |world| {
        let transaction = record(
            world,
            entry(
                "payment",
                "charge",
                &payment_id,
                new.amount,
                &new.currency,
                now,
            ),
            pending_until,
        );
        world.insert(payment(&payment_id, &id, &new, &transaction, now))
    });
    let transfer = world.insert(json!({
        "id": id,
        "object": "transfer",
        "amount": new.amount,
        "amount_reversed": 0,
        "balance_transaction": transaction["id"],
        "created": now,
        "currency": new.currency,
        "description": new.description,
        "destination": new.destination,
        "destination_payment": payment["id"],
        "livemode": false,
        "metadata": if new.metadata.is_object() { new.metadata.clone() } else { json!({}) },
        "reversals": reversals_list(&id, Vec::new()),
        "reversed": false,
        "source_transaction": new.source_transaction,
        "source_type": "card",
        "transfer_group": new.transfer_group,
    }));
    world.emit("transfer.created", &transfer, None);
    Ok(transfer)
}

/// When the money of a `source_transaction` charge becomes available (None: it is), checking
/// that the charge can fund the transfer.
fn source_available_on(
    world: &World,
    charge: &str,
    new: &NewTransfer,
) -> Result<Option<i64>, ApiError> {
    let found = world
        .find("charge", charge)
        .filter(|charge| charge["status"] == "succeeded")
        .ok_or_else(|| ApiError::missing_resource("charge", charge, "source_transaction"))?;
    if found["currency"] != new.currency.as_str() {
        return Err(ApiError::invalid(
            format!(
                "The currency of source_transaction's balance transaction ({}) must be the same as the transfer currency ({}).",
                found["currency"].as_str().unwrap_or_default(),
                new.currency
            ),
            Some("currency"),
        ));
    }
    if new.amount > found["amount_captured"].as_i64().unwrap_or(0) {
        return Err(insufficient());
    }
    Ok(found["balance_transaction"]
        .as_str()
        .and_then(|transaction| world.find("balance_transaction", transaction))
        .filter(|transaction| transaction["status"] == "pending")
        .and_then(|transaction| transaction["available_on"].as_i64()))
}

/// A movement of money available at once, without fees.
fn entry<'a>(
    kind: &'a str,
    category: &'a str,
    source: &'a str,
    amount: i64,
    currency: &'a str,
    created: i64,
) -> Entry<'a> {
    Entry {
        kind,
        category,
        source,
        amount,
        currency,
        fees: Vec::new(),
        description: None,
        created,
        pending: false,
    }
}

/// Records an entry, pending until `pending_until` when given.
fn record(world: &mut World, entry: Entry, pending_until: Option<i64>) -> Value {
    let mut transaction = ledger::record(world, entry);
    if let Some(at) = pending_until {
        transaction["status"] = json!("pending");
        transaction["available_on"] = json!(at);
        world.put(transaction.clone());
    }
    transaction
}

/// The payment (`py_…`) a transfer makes on its destination: a Charge paid by the platform's
/// Stripe account.
fn payment(id: &str, transfer: &str, new: &NewTransfer, transaction: &Value, now: i64) -> Value {
    json!({
        "id": id,
        "object": "charge",
        "amount": new.amount,
        "amount_captured": new.amount,
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": transaction["id"],
        "billing_details": {
            "address": {
                "city": null, "country": null, "line1": null, "line2": null,
                "postal_code": null, "state": null,
            },
            "email": null, "name": null, "phone": null, "tax_id": null,
        },
        "calculated_statement_descriptor": null,
        "captured": true,
        "created": now,
        "currency": new.currency,
        "customer": null,
        "description": null,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "fraud_details": {},
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "outcome": null,
        "paid": true,
        "payment_intent": null,
        "payment_method": null,
        "payment_method_details": { "stripe_account": {}, "type": "stripe_account" },
        "receipt_email": null,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": false,
        "review": null,
        "shipping": null,
        "source": null,
        "source_transfer": transfer,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": new.transfer_group,
    })
}

/// A transfer's `reversals` list (newest first, the first ten).
fn reversals_list(transfer: &str, reversals: Vec<Value>) -> Value {
    json!({
        "object": "list",
        "has_more": reversals.len() > 10,
        "total_count": reversals.len(),
        "data": reversals.into_iter().take(10).collect::<Vec<_>>(),
        "url": format!("/v1/transfers/{transfer}/reversals"),
    })
}

/// Every reversal of a transfer, newest first.
pub fn reversals_of(world: &World, transfer: &str) -> Vec<Value> {
    world
        .all("transfer_reversal")
        .filter(|reversal| reversal["transfer"] == transfer)
        .cloned()
        .collect()
}

/// Reverses `amount` (default: what is left) of a transfer: the money back on the platform, a
/// refund of the payment on the destination. Emits `transfer.reversed` and `transfer.updated`.
pub fn reverse(
    world: &mut World,
    id: &str,
    amount: Option<i64>,
    metadata: Value,
) -> Result<Value, ApiError> {
    let before = world.get("transfer", id, "id")?;
    let total = before["amount"].as_i64().unwrap_or(0);
    let reversed = before["amount_reversed"].as_i64().unwrap_or(0);
    let left = total - reversed;
    let currency = before["currency"].as_str().unwrap_or("usd").to_owned();
    let amount = amount.unwrap_or(left);
    if amount < 1 {
        return Err(ApiError::not_positive("amount"));
    }
    if amount > left {
        let shown = |minor| crate::pages::money(minor, &currency);
        return Err(ApiError::invalid(
            format!(
                "Transfer reversal amount ({}) is greater than unreversed amount on transfer ({})",
                shown(amount),
                shown(left)
            ),
            Some("amount"),
        ));
    }
    let reversal_id = world.new_id("trr");
    let now = world.now();
    let transaction = ledger::record(
        world,
        entry(
            "transfer_refund",
            "transfer_reversal",
            &reversal_id,
            amount,
            &currency,
            now,
        ),
    );
    let destination = before["destination"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let payment = before["destination_payment"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let refund_id = world.new_id("pyr");
    world.as_account(Some(&destination), |world| {
        let transaction = ledger::record(
            world,
            entry(
                "payment_refund",
                "refund",
                &refund_id,
                -amount,
                &currency,
                now,
            ),
        );
        world.insert(json!({
            "id": refund_id,
            "object": "refund",
            "amount": amount,
            "balance_transaction": transaction["id"],
            "charge": payment,
            "created": now,
            "currency": currency,
            "customer": null,
            "customer_account": null,
            "destination_details": null,
            "metadata": {},
            "payment_intent": null,
            "payment_method": null,
            "reason": null,
            "receipt_number": null,
            "source_transfer_reversal": reversal_id,
            "status": "succeeded",
            "transfer_reversal": null,
        }));
        if let Some(mut charge) = world.find("charge", &payment).cloned() {
            let refunded = charge["amount_refunded"].as_i64().unwrap_or(0) + amount;
            charge["amount_refunded"] = json!(refunded);
            charge["refunded"] = json!(refunded >= charge["amount"].as_i64().unwrap_or(0));
            world.put(charge);
        }
    });
    let reversal = world.insert(json!({
        "id": reversal_id,
        "object": "transfer_reversal",
        "amount": amount,
        "balance_transaction": transaction["id"],
        "created": now,
        "currency": currency,
        "destination_payment_refund": refund_id,
        "metadata": if metadata.is_object() { metadata } else { json!({}) },
        "source_refund": null,
        "transfer": id,
    }));
    let mut transfer = before.clone();
    transfer["amount_reversed"] = json!(reversed + amount);
    transfer["reversed"] = json!(reversed + amount == total);
    transfer["reversals"] = reversals_list(id, reversals_of(world, id));
    world.put(transfer.clone());
    let previous = crate::world::previous_attributes(&before, &transfer);
    world.emit("transfer.reversed", &transfer, Some(previous.clone()));
    world.emit("transfer.updated", &transfer, Some(previous));
    Ok(reversal)
}

/// A reversal's `metadata` changed: stored, and its transfer's list shows it.
pub fn reversal_updated(world: &mut World, reversal: Value) -> Value {
    world.put(reversal.clone());
    let transfer = reversal["transfer"].as_str().unwrap_or_default().to_owned();
    if let Some(mut stored) = world.find("transfer", &transfer).cloned() {
        stored["reversals"] = reversals_list(&transfer, reversals_of(world, &transfer));
        world.put(stored);
    }
    reversal
}
