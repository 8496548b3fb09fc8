//! Payouts to the account's bank account (a connected account's default bank account in the
//! payout's currency): refused above the available balance, `pending` with a
//! `payout` balance transaction, then `paid` two days later — or `failed` (`no_account`, the money
//! back) when the bank account is Stripe's failing test account — or `canceled` while pending.
//! <https://docs.stripe.com/api/payouts>

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::ledger::{self, Entry};
use crate::billing::DAY;
use crate::error::ApiError;
use crate::world::World;

/// Stripe's test account number that pays.
pub const PAYING_ACCOUNT: &str = "000123456789";
/// Stripe's test account number whose payouts fail with `no_account`.
pub const FAILING_ACCOUNT: &str = "000111111116";
/// Stripe's US test routing number.
pub const ROUTING_NUMBER: &str = "110000000";
/// Days between a standard payout and its arrival.
const ARRIVAL_DAYS: i64 = 2;

/// The platform's bank accounts for payouts (emulator-only: Stripe keeps them on the account):
/// the current one, and the account number behind every one ever used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BankAccounts {
    /// `ba_…` payouts go to now.
    pub current: String,
    /// The account number of each `ba_…`.
    pub numbers: BTreeMap<String, String>,
}

impl Default for BankAccounts {
    fn default() -> Self {
        let current = "ba_1EmulatorDefaultBank0001".to_owned();
        Self {
            numbers: BTreeMap::from([(current.clone(), PAYING_ACCOUNT.to_owned())]),
            current,
        }
    }
}

impl BankAccounts {
    /// Replaces the current account with a new one (`ba_…`) with this account number.
    pub fn switch(&mut self, id: String, number: &str) {
        self.numbers.insert(id.clone(), number.to_owned());
        self.current = id;
    }

    /// What the emulator shows of the current account.
    pub fn describe(&self) -> Value {
        let number = self.numbers.get(&self.current).cloned().unwrap_or_default();
        json!({
            "id": self.current, "object": "bank_account", "routing_number": ROUTING_NUMBER,
            "account_number": number, "last4": number.get(number.len().saturating_sub(4)..),
            "country": "US", "currency": "usd",
        })
    }
}

/// What a new payout is made of.
pub struct NewPayout {
    /// Minor units, at least 1.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: String,
    /// Free text.
    pub description: Option<String>,
    /// A JSON object of strings.
    pub metadata: Value,
    /// `standard` or `instant` (arrives at once).
    pub method: String,
    /// Shown on the bank statement.
    pub statement_descriptor: Option<String>,
    /// `ba_…`; the current account when None (a connected account's default bank account in
    /// the currency).
    pub destination: Option<String>,
    /// Made by the account's payout schedule rather than asked for.
    pub automatic: bool,
}

/// Pays out from the available balance: `pending`, a `payout` balance transaction,
/// `payout.created`. Refused with `balance_insufficient` above the available balance.
pub fn create(world: &mut World, new: NewPayout) -> Result<Value, ApiError> {
    let destination = if world.scope.is_some() {
        let default = crate::connect::bank_accounts::default_for(world, &new.currency);
        match new.destination {
            Some(id)
                if world
                    .find("bank_account", &id)
                    .is_some_and(|bank| bank["currency"] == new.currency.as_str()) =>
            {
                id
            }
            Some(id) => {
                return Err(ApiError::missing_resource(
                    "external account",
                    &id,
                    "destination",
                ))
            }
            None => default.ok_or_else(|| {
                ApiError::invalid(
                    format!(
                        "Sorry, you don't have any external accounts in that currency ({}).",
                        new.currency
                    ),
                    Some("currency"),
                )
            })?,
        }
    } else {
        match new.destination {
            Some(id) if id != world.payout_accounts.current => {
                return Err(ApiError::missing_resource(
                    "external account",
                    &id,
                    "destination",
                ))
            }
            _ => world.payout_accounts.current.clone(),
        }
    };
    if new.amount > ledger::available(world, &new.currency) {
        return Err(ApiError::invalid_code(
            "balance_insufficient",
            "You have insufficient funds in your Stripe account for this transfer. Your card balance is too low.  You can use the /v1/balance endpoint to view your Stripe balance (for more details, see stripe.com/docs/api#balance).",
            None,
        ));
    }
    let id = world.new_id("po");
    let created = world.now();
    let transaction = ledger::record(
        world,
        Entry {
            kind: "payout",
            category: "payout",
            source: &id,
            amount: -new.amount,
            currency: &new.currency,
            fees: Vec::new(),
            description: Some(
                new.description
                    .clone()
                    .unwrap_or_else(|| "STRIPE PAYOUT".to_owned()),
            ),
            created,
            pending: false,
        },
    );
    let arrival = if new.method == "instant" {
        created
    } else {
        created + ARRIVAL_DAYS * DAY
    };
    let payout = world.insert(json!({
        "id": id,
        "object": "payout",
        "amount": new.amount,
        "application_fee": null,
        "application_fee_amount": null,
        "arrival_date": arrival,
        "automatic": new.automatic,
        "balance_transaction": transaction["id"],
        "created": created,
        "currency": new.currency,
        "description": new.description,
        "destination": destination,
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "livemode": false,
        "metadata": if new.metadata.is_object() { new.metadata } else { json!({}) },
        "method": new.method,
        "original_payout": null,
        "payout_method": null,
        "reconciliation_status": "not_applicable",
        "reversed_by": null,
        "source_type": "card",
        "statement_descriptor": new.statement_descriptor,
        "status": "pending",
        "trace_id": { "status": "pending", "value": null },
        "type": "bank_account",
    }));
    world.emit("payout.created", &payout, None);
    Ok(payout)
}

/// Gives a payout's money back to the balance (a failed or canceled payout): the transaction's id.
fn give_back(world: &mut World, payout: &Value, kind: &str, description: &str) -> Value {
    let now = world.now();
    let transaction = ledger::record(
        world,
        Entry {
            kind,
            category: "payout_reversal",
            source: payout["id"].as_str().unwrap_or_default(),
            amount: payout["amount"].as_i64().unwrap_or(0),
            currency: payout["currency"].as_str().unwrap_or("usd"),
            fees: Vec::new(),
            description: Some(description.to_owned()),
            created: now,
            pending: false,
        },
    );
    transaction["id"].clone()
}

/// Cancels a pending payout, its money back: `canceled`, `payout.canceled`, `payout.updated`.
pub fn cancel(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("payout", id, "payout")?;
    if before["status"] != "pending" {
        return Err(ApiError::invalid(
            format!(
                "Payout {id} cannot be canceled because it has a status of {}. Only pending payouts can be canceled.",
                before["status"].as_str().unwrap_or_default()
            ),
            None,
        ));
    }
    let mut payout = before.clone();
    payout["status"] = json!("canceled");
    payout["failure_balance_transaction"] =
        give_back(world, &before, "payout_cancel", "Payout canceled");
    world.put(payout.clone());
    let previous = crate::world::previous_attributes(&before, &payout);
    world.emit("payout.canceled", &payout, Some(previous.clone()));
    world.emit("payout.updated", &payout, Some(previous));
    Ok(payout)
}

/// Every pending payout whose arrival date has passed arrives: `paid` (`payout.paid`), or
/// `failed` with the money back when it went to the failing test account (`payout.failed`);
/// `payout.updated` either way.
pub fn run_due(world: &mut World) {
    let now = world.now();
    let due: Vec<Value> = world
        .all("payout")
        .filter(|payout| {
            payout["status"] == "pending"
                && payout["arrival_date"].as_i64().is_some_and(|at| at <= now)
        })
        .cloned()
        .collect();
    for before in due.into_iter().rev() {
        let fails = before["destination"]
            .as_str()
            .and_then(|account| world.payout_accounts.numbers.get(account))
            .is_some_and(|number| number == FAILING_ACCOUNT);
        let mut payout = before.clone();
        payout["trace_id"] =
            json!({ "status": "supported", "value": format!("EMULATOR{}", world.ids.chars(12)) });
        let kind = if fails {
            payout["status"] = json!("failed");
            payout["failure_code"] = json!("no_account");
            payout["failure_message"] = json!("The bank account details on file are probably incorrect. No bank account could be located with those details.");
            payout["failure_balance_transaction"] =
                give_back(world, &before, "payout_failure", "Payout failure");
            payout["trace_id"] = json!({ "status": "unsupported", "value": null });
            "payout.failed"
        } else {
            payout["status"] = json!("paid");
            "payout.paid"
        };
        world.put(payout.clone());
        let previous = crate::world::previous_attributes(&before, &payout);
        world.emit(kind, &payout, Some(previous.clone()));
        world.emit("payout.updated", &payout, Some(previous));
    }
}
