//! Billing credits: what is left of each credit grant, the credit balance transactions that move
//! it (`credits_granted`, `credits_applied`, `credits_application_invoice_voided`,
//! `credits_expired`, `credits_voided`), and credits
//! applied to a finalized invoice's metered lines before it is charged — after discounts, before
//! tax, as `pretax_credit_amounts` — grant by grant in Stripe's order: lowest `priority` first,
//! then the soonest to expire, promotional before paid, oldest first.
//! <https://docs.stripe.com/billing/subscriptions/usage-based/billing-credits>

use serde_json::{json, Value};

use crate::world::World;

/// A credit balance transaction's kind and what it refers to.
pub enum Movement<'a> {
    /// The grant's amount, credited once it is effective.
    Granted,
    /// Applied to an invoice line (invoice, line).
    Applied(&'a str, &'a str),
    /// Given back from an invoice that was voided (invoice, line).
    GivenBack(&'a str, &'a str),
    /// What was left when the grant expired.
    Expired,
    /// What was left when the grant was voided.
    Voided,
}

/// Records a credit balance transaction of `value` on a grant and emits
/// `billing.credit_balance_transaction.created`; returns its id.
pub fn record(world: &mut World, grant: &Value, value: i64, movement: Movement) -> String {
    let amount = json!({
        "monetary": { "currency": grant["amount"]["monetary"]["currency"], "value": value },
        "type": "monetary",
    });
    let (kind, credit, debit) = match movement {
        Movement::Granted => (
            "credit",
            json!({ "amount": amount, "credits_application_invoice_voided": null, "type": "credits_granted" }),
            Value::Null,
        ),
        Movement::GivenBack(invoice, line) => (
            "credit",
            json!({
                "amount": amount,
                "credits_application_invoice_voided": { "invoice": invoice, "invoice_line_item": line },
                "type": "credits_application_invoice_voided",
            }),
            Value::Null,
        ),
        Movement::Applied(invoice, line) => (
            "debit",
            Value::Null,
            json!({ "amount": amount, "credits_applied": { "invoice": invoice, "invoice_line_item": line }, "type": "credits_applied" }),
        ),
        Movement::Expired | Movement::Voided => (
            "debit",
            Value::Null,
            json!({
                "amount": amount,
                "credits_applied": null,
                "type": if matches!(movement, Movement::Expired) { "credits_expired" } else { "credits_voided" },
            }),
        ),
    };
    let now = world.now();
    let transaction = json!({
        "id": world.new_id("cbtxn"),
        "object": "billing.credit_balance_transaction",
        "created": now,
        "credit": credit,
        "credit_grant": grant["id"],
        "debit": debit,
        "effective_at": now,
        "livemode": false,
        "test_clock": grant["test_clock"],
        "type": kind,
    });
    let transaction = world.insert(transaction);
    world.emit(
        "billing.credit_balance_transaction.created",
        &transaction,
        None,
    );
    transaction["id"].as_str().unwrap_or_default().to_owned()
}

/// What is left of a grant: its credits less its debits.
pub fn remaining(world: &World, grant: &Value) -> i64 {
    world
        .all("billing.credit_balance_transaction")
        .filter(|transaction| transaction["credit_grant"] == grant["id"])
        .map(|transaction| {
            let credit = transaction["credit"]["amount"]["monetary"]["value"].as_i64();
            let debit = transaction["debit"]["amount"]["monetary"]["value"].as_i64();
            credit.unwrap_or(0) - debit.unwrap_or(0)
        })
        .sum()
}

/// Whether a grant can be used at `now`: effective, not expired, not voided.
pub fn usable(grant: &Value, now: i64) -> bool {
    grant["voided_at"].is_null()
        && grant["effective_at"].as_i64().is_none_or(|at| at <= now)
        && grant["expires_at"].as_i64().is_none_or(|at| at > now)
}

/// Whether a grant's applicability covers a price.
pub fn applies_to(grant: &Value, price: &Value) -> bool {
    let scope = &grant["applicability_config"]["scope"];
    match scope["prices"].as_array() {
        Some(prices) => prices.iter().any(|entry| entry["id"] == price["id"]),
        None => scope["price_type"] == "metered" && crate::metering::is_metered(price),
    }
}

/// A customer's usable grants in a currency, in the order Stripe applies them.
pub fn usable_grants(world: &World, customer: &str, currency: &Value) -> Vec<Value> {
    let now = world.now_for_customer(customer);
    let mut grants: Vec<Value> = world
        .all("billing.credit_grant")
        .filter(|grant| {
            grant["customer"] == customer
                && grant["amount"]["monetary"]["currency"] == *currency
                && usable(grant, now)
        })
        .cloned()
        .collect();
    grants.sort_by_key(|grant| {
        (
            grant["priority"].as_i64().unwrap_or(50),
            grant["expires_at"].as_i64().unwrap_or(i64::MAX),
            grant["category"] != "promotional",
            grant["created"].as_i64().unwrap_or_default(),
        )
    });
    grants
}

/// Applies a customer's credits to an invoice's eligible lines, after discounts and before tax;
/// `record_debits` (a finalized invoice) writes the `credits_applied` transactions, a preview only
/// shows the amounts.
pub fn apply_to_invoice(world: &mut World, invoice: &mut Value, record_debits: bool) {
    let customer = invoice["customer"].as_str().unwrap_or_default().to_owned();
    let grants = usable_grants(world, &customer, &invoice["currency"]);
    if grants.is_empty() {
        return;
    }
    let mut left: Vec<i64> = grants.iter().map(|grant| remaining(world, grant)).collect();
    let invoice_id = invoice["id"].as_str().unwrap_or_default().to_owned();
    let mut lines = invoice["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut totals: Vec<Value> = Vec::new();
    for line in &mut lines {
        let Some(price) = world
            .find(
                "price",
                line["pricing"]["price_details"]["price"]
                    .as_str()
                    .unwrap_or_default(),
            )
            .cloned()
        else {
            continue;
        };
        let discounted: i64 = line["discount_amounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| entry["amount"].as_i64().unwrap_or(0))
            .sum();
        let mut due = line["amount"].as_i64().unwrap_or(0) - discounted;
        for (grant, left) in grants.iter().zip(left.iter_mut()) {
            if due <= 0 || *left <= 0 || !applies_to(grant, &price) {
                continue;
            }
            let used = due.min(*left);
            due -= used;
            *left -= used;
            let transaction = record_debits.then(|| {
                let line_id = line["id"].as_str().unwrap_or_default().to_owned();
                record(world, grant, used, Movement::Applied(&invoice_id, &line_id))
            });
            let entry = json!({
                "amount": used,
                "credit_balance_transaction": transaction,
                "type": "credit_balance_transaction",
            });
            line["pretax_credit_amounts"]
                .as_array_mut()
                .expect("lines carry pretax_credit_amounts")
                .push(entry.clone());
            totals.push(entry);
        }
    }
    let credited: i64 = totals
        .iter()
        .map(|entry| entry["amount"].as_i64().unwrap_or(0))
        .sum();
    if credited == 0 {
        return;
    }
    let total = invoice["total"].as_i64().unwrap_or(0) - credited;
    let paid = invoice["amount_paid"].as_i64().unwrap_or(0);
    invoice["total"] = json!(total);
    invoice["total_excluding_tax"] = json!(total);
    invoice["amount_due"] = json!(total.max(0));
    invoice["amount_remaining"] = json!((total.max(0) - paid).max(0));
    invoice["total_pretax_credit_amounts"] = json!(totals);
    invoice["lines"]["data"] = json!(lines);
}

/// Gives back the credits a voided invoice had applied, to the grants they came from.
pub fn give_back(world: &mut World, invoice: &Value) {
    let invoice_id = invoice["id"].as_str().unwrap_or_default();
    let lines = invoice["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for line in &lines {
        let line_id = line["id"].as_str().unwrap_or_default();
        for entry in line["pretax_credit_amounts"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(grant) = entry["credit_balance_transaction"]
                .as_str()
                .and_then(|id| world.find("billing.credit_balance_transaction", id))
                .and_then(|transaction| transaction["credit_grant"].as_str())
                .and_then(|grant| world.find("billing.credit_grant", grant))
                .cloned()
            else {
                continue;
            };
            let amount = entry["amount"].as_i64().unwrap_or(0);
            record(
                world,
                &grant,
                amount,
                Movement::GivenBack(invoice_id, line_id),
            );
        }
    }
}

/// Debits what is left of each grant whose `expires_at` has passed (`credits_expired`), once.
pub fn expire_due(world: &mut World) {
    let due: Vec<Value> = world
        .all("billing.credit_grant")
        .filter(|grant| {
            let now = world.now_for_customer(grant["customer"].as_str().unwrap_or_default());
            grant["voided_at"].is_null() && grant["expires_at"].as_i64().is_some_and(|at| at <= now)
        })
        .cloned()
        .collect();
    for grant in due {
        let left = remaining(world, &grant);
        if left > 0 {
            record(world, &grant, left, Movement::Expired);
        }
    }
}
