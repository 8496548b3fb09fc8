//! The account's ledger: one balance transaction (`txn_…`) per movement of money — a captured
//! charge (less Stripe's fee), a refund, a dispute's withdrawal or reinstatement, a payout and its
//! failure or cancellation — and the Balance they add up to. A charge's money is `pending` for two
//! days, then `available` (`balance.available`).
//! <https://docs.stripe.com/api/balance_transactions/object>

use serde_json::{json, Value};

use crate::billing::DAY;
use crate::cards::Behaviour;
use crate::world::World;

/// Days a charge's money stays pending before it can be paid out (Stripe's US card schedule).
pub const AVAILABLE_AFTER_DAYS: i64 = 2;

/// One entry to record.
pub struct Entry<'a> {
    /// `charge`, `refund`, `adjustment`, `payout`, `payout_failure`, `payout_cancel`.
    pub kind: &'a str,
    /// `reporting_category`: `charge`, `refund`, `dispute`, `dispute_reversal`, `payout`, `payout_reversal`.
    pub category: &'a str,
    /// The object that moved the money (`ch_…`, `re_…`, `du_…`, `po_…`).
    pub source: &'a str,
    /// Minor units; negative when money leaves the balance.
    pub amount: i64,
    /// Lowercase ISO code.
    pub currency: &'a str,
    /// Stripe's fees on the movement, each with its description.
    pub fees: Vec<(i64, &'static str)>,
    /// Shown in the Dashboard.
    pub description: Option<String>,
    /// When the money moved.
    pub created: i64,
    /// Whether the money is pending until `created` + two days (a charge) or available at once.
    pub pending: bool,
}

/// Stripe's standard card fee: 2.9 % + 30¢, rounded half up, in minor units.
pub fn processing_fee(amount: i64) -> i64 {
    (amount * 29 + 500) / 1000 + 30
}

/// Stores a balance transaction for `entry` and returns it.
pub fn record(world: &mut World, entry: Entry) -> Value {
    let id = world.new_id("txn");
    let fee: i64 = entry.fees.iter().map(|(amount, _)| amount).sum();
    let fee_details: Vec<Value> = entry
        .fees
        .iter()
        .map(|(amount, description)| {
            json!({
                "amount": amount, "application": null, "currency": entry.currency,
                "description": description, "type": "stripe_fee",
            })
        })
        .collect();
    let available_on = if entry.pending {
        entry.created + AVAILABLE_AFTER_DAYS * DAY
    } else {
        entry.created
    };
    world.insert(json!({
        "id": id,
        "object": "balance_transaction",
        "amount": entry.amount,
        "available_on": available_on,
        "balance_type": "payments",
        "created": entry.created,
        "currency": entry.currency,
        "description": entry.description,
        "exchange_rate": null,
        "fee": fee,
        "fee_details": fee_details,
        "net": entry.amount - fee,
        "reporting_category": entry.category,
        "source": entry.source,
        "status": if entry.pending { "pending" } else { "available" },
        "type": entry.kind,
    }))
}

/// Records the money a charge captured (`amount_captured`, less the processing fee) and sets the
/// charge's `balance_transaction`; the caller stores the charge. The money is pending for two
/// days, unless the test card bypasses the pending balance (0077).
pub fn record_charge(world: &mut World, charge: &mut Value) {
    let amount = charge["amount_captured"].as_i64().unwrap_or(0);
    let bypasses = charge["payment_method"]
        .as_str()
        .and_then(|method| world.cards.get(method))
        .is_some_and(|card| card.behaviour == Behaviour::BypassPending);
    let transaction = record(
        world,
        Entry {
            kind: "charge",
            category: "charge",
            source: charge["id"].as_str().unwrap_or_default(),
            amount,
            currency: charge["currency"].as_str().unwrap_or("usd"),
            fees: vec![(processing_fee(amount), "Stripe processing fees")],
            description: charge["description"].as_str().map(str::to_owned),
            created: charge["created"].as_i64().unwrap_or_else(|| world.now()),
            pending: !bypasses,
        },
    );
    charge["balance_transaction"] = transaction["id"].clone();
}

/// The account's balance: per currency, the net of available and of pending transactions.
pub fn balance(world: &World) -> Value {
    let mut available = std::collections::BTreeMap::<String, i64>::new();
    let mut pending = std::collections::BTreeMap::<String, i64>::new();
    available.insert("usd".to_owned(), 0);
    pending.insert("usd".to_owned(), 0);
    for transaction in world.all("balance_transaction") {
        let currency = transaction["currency"].as_str().unwrap_or("usd").to_owned();
        let net = transaction["net"].as_i64().unwrap_or(0);
        let sums = if transaction["status"] == "available" {
            &mut available
        } else {
            &mut pending
        };
        *sums.entry(currency.clone()).or_default() += net;
        let other = if transaction["status"] == "available" {
            &mut pending
        } else {
            &mut available
        };
        other.entry(currency).or_default();
    }
    let funds = |sums: std::collections::BTreeMap<String, i64>| -> Vec<Value> {
        sums.into_iter()
            .map(|(currency, amount)| {
                json!({ "amount": amount, "currency": currency, "source_types": { "card": amount } })
            })
            .collect()
    };
    json!({
        "object": "balance",
        "available": funds(available),
        "livemode": false,
        "pending": funds(pending),
    })
}

/// The available balance in one currency.
pub fn available(world: &World, currency: &str) -> i64 {
    world
        .all("balance_transaction")
        .filter(|transaction| {
            transaction["status"] == "available" && transaction["currency"] == currency
        })
        .map(|transaction| transaction["net"].as_i64().unwrap_or(0))
        .sum()
}

/// Makes every pending transaction whose `available_on` has passed available; emits one
/// `balance.available` when any did.
pub fn run_due(world: &mut World) {
    let now = world.now();
    let due: Vec<Value> = world
        .all("balance_transaction")
        .filter(|transaction| {
            transaction["status"] == "pending"
                && transaction["available_on"]
                    .as_i64()
                    .is_some_and(|at| at <= now)
        })
        .cloned()
        .collect();
    if due.is_empty() {
        return;
    }
    for mut transaction in due {
        transaction["status"] = json!("available");
        world.put(transaction);
    }
    let balance = balance(world);
    world.emit("balance.available", &balance, None);
}
