//! Taxes on invoice lines and the invoice's totals: each line's `taxes` (exclusive tax added on
//! top of the line's amount after discounts, inclusive tax carved out of it), the invoice's
//! `total_taxes`, `total`, `total_excluding_tax` and amount due, and its `automatic_tax`.

use serde_json::{json, Value};

use super::table::{automatic_rate, location};
use crate::world::World;

/// One tax to levy on an amount: the rate (None where nothing is collected), its percentage,
/// whether the amount already includes it, and why it applies.
#[derive(Debug, Clone)]
pub struct Levy {
    pub rate: Option<String>,
    pub percentage: f64,
    pub inclusive: bool,
    pub reason: &'static str,
}

impl Levy {
    /// A tax rate object (`tax_rates`, `default_tax_rates`) as a levy.
    fn of_rate(rate: &Value) -> Self {
        Self {
            rate: rate["id"].as_str().map(str::to_owned),
            percentage: rate["percentage"].as_f64().unwrap_or(0.0),
            inclusive: rate["inclusive"] == true,
            reason: "standard_rated",
        }
    }
}

/// Each levy's tax on `base` (in minor units): exclusive ones a share of it on top, inclusive
/// ones the part of it that is tax.
pub fn tax_amounts(base: i64, levies: &[Levy]) -> Vec<i64> {
    let included: f64 = levies
        .iter()
        .filter(|levy| levy.inclusive)
        .map(|levy| levy.percentage)
        .sum();
    levies
        .iter()
        .map(|levy| {
            let amount = if levy.inclusive {
                base as f64 * levy.percentage / (100.0 + included)
            } else {
                base as f64 * levy.percentage / 100.0
            };
            amount.round() as i64
        })
        .collect()
}

/// The `taxes` entries of one amount taxed by `levies`.
fn entries(base: i64, levies: &[Levy]) -> Vec<Value> {
    let amounts = tax_amounts(base, levies);
    let included: i64 = levies
        .iter()
        .zip(&amounts)
        .filter(|(levy, _)| levy.inclusive)
        .map(|(_, amount)| amount)
        .sum();
    levies
        .iter()
        .zip(amounts)
        .map(|(levy, amount)| {
            json!({
                "amount": amount,
                "tax_behavior": if levy.inclusive { "inclusive" } else { "exclusive" },
                "tax_rate_details": levy.rate.as_ref().map(|rate| json!({ "tax_rate": rate })),
                "taxability_reason": levy.reason,
                "taxable_amount": base - included,
                "type": "tax_rate_details",
            })
        })
        .collect()
}

/// Taxes an invoice built for `subscription` (or one made by hand, by its own `automatic_tax` and
/// `default_tax_rates`): its lines' `taxes`, its `total_taxes` and totals, and its
/// `automatic_tax`. Automatic tax needs the customer's location; without one the invoice is left
/// untaxed with Stripe's `requires_location_inputs`.
pub fn apply_to_invoice(world: &mut World, invoice: &mut Value, subscription: Option<&Value>) {
    let automatic = match subscription {
        Some(sub) => sub["automatic_tax"]["enabled"] == true,
        None => {
            invoice["automatic_tax"]["enabled"] == true
                || invoice["automatic_tax"]["disabled_reason"]
                    == "finalization_requires_location_inputs"
        }
    };
    let customer = world
        .find("customer", invoice["customer"].as_str().unwrap_or_default())
        .cloned()
        .unwrap_or(Value::Null);
    let place = location(&customer);
    if automatic {
        invoice["automatic_tax"] = match &place {
            Some(_) => json!({
                "disabled_reason": null, "enabled": true, "liability": { "type": "self" },
                "provider": "stripe", "status": "complete",
            }),
            None => json!({
                "disabled_reason": "finalization_requires_location_inputs", "enabled": false,
                "liability": { "type": "self" }, "provider": "stripe",
                "status": "requires_location_inputs",
            }),
        };
    }
    if let Some(sub) = subscription {
        invoice["default_tax_rates"] = sub["default_tax_rates"].clone();
    }
    let defaults: Vec<Value> = invoice["default_tax_rates"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let automatic_rate = match (&place, automatic) {
        (Some(place), true) => Some(automatic_rate(world, place)),
        _ => None,
    };
    let mut lines = invoice["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut totals: Vec<Value> = Vec::new();
    for line in &mut lines {
        let levies = match &automatic_rate {
            Some(rate) => vec![automatic_levy(world, line, rate.as_ref())],
            None => {
                let own = item_rates(world, subscription, line);
                let rates = if own.is_empty() { &defaults } else { &own };
                rates.iter().map(Levy::of_rate).collect()
            }
        };
        let reductions = |field: &str| -> i64 {
            line[field]
                .as_array()
                .into_iter()
                .flatten()
                .map(|entry| entry["amount"].as_i64().unwrap_or(0))
                .sum()
        };
        // Discounts and billing credits both come off before tax.
        let base = line["amount"].as_i64().unwrap_or(0)
            - reductions("discount_amounts")
            - reductions("pretax_credit_amounts");
        let taxes = entries(base, &levies);
        for tax in &taxes {
            add_to_totals(&mut totals, tax);
        }
        line["taxes"] = json!(taxes);
    }
    let sum = |inclusive: bool| -> i64 {
        totals
            .iter()
            .filter(|tax| (tax["tax_behavior"] == "inclusive") == inclusive)
            .map(|tax| tax["amount"].as_i64().unwrap_or(0))
            .sum()
    };
    let (exclusive, inclusive) = (sum(false), sum(true));
    let before_tax = invoice["total"].as_i64().unwrap_or(0);
    let subtotal = invoice["subtotal"].as_i64().unwrap_or(0);
    let total = before_tax + exclusive;
    let paid = invoice["amount_paid"].as_i64().unwrap_or(0);
    invoice["total"] = json!(total);
    invoice["total_excluding_tax"] = json!(before_tax - inclusive);
    invoice["subtotal_excluding_tax"] = json!(subtotal - inclusive);
    invoice["amount_due"] = json!(total.max(0));
    invoice["amount_remaining"] = json!((total.max(0) - paid).max(0));
    invoice["total_taxes"] = json!(totals);
    invoice["lines"]["data"] = json!(lines);
}

/// Automatic tax on one line: the location's rate (or nothing collected), inclusive when the
/// line's price says so.
fn automatic_levy(world: &World, line: &Value, rate: Option<&Value>) -> Levy {
    let inclusive = line["pricing"]["price_details"]["price"]
        .as_str()
        .and_then(|price| world.find("price", price))
        .is_some_and(|price| price["tax_behavior"] == "inclusive");
    match rate {
        Some(rate) => Levy {
            inclusive,
            ..Levy::of_rate(rate)
        },
        None => Levy {
            rate: None,
            percentage: 0.0,
            inclusive,
            reason: "not_collecting",
        },
    }
}

/// The `tax_rates` of the subscription item or invoice item a line bills, if any.
fn item_rates(world: &World, subscription: Option<&Value>, line: &Value) -> Vec<Value> {
    if let Some(id) = line["parent"]["invoice_item_details"]["invoice_item"].as_str() {
        return world
            .find("invoiceitem", id)
            .and_then(|item| item["tax_rates"].as_array().cloned())
            .unwrap_or_default();
    }
    let item = &line["parent"]["subscription_item_details"]["subscription_item"];
    subscription
        .and_then(|sub| sub["items"]["data"].as_array())
        .and_then(|items| items.iter().find(|known| &known["id"] == item))
        .and_then(|known| known["tax_rates"].as_array().cloned())
        .unwrap_or_default()
}

/// Adds a line's tax to the invoice's `total_taxes`, one entry per rate and behaviour.
fn add_to_totals(totals: &mut Vec<Value>, tax: &Value) {
    let same = totals.iter_mut().find(|known| {
        known["tax_rate_details"] == tax["tax_rate_details"]
            && known["tax_behavior"] == tax["tax_behavior"]
            && known["taxability_reason"] == tax["taxability_reason"]
    });
    match same {
        Some(known) => {
            for field in ["amount", "taxable_amount"] {
                known[field] =
                    json!(known[field].as_i64().unwrap_or(0) + tax[field].as_i64().unwrap_or(0));
            }
        }
        None => totals.push(tax.clone()),
    }
}
