//! Metered usage on invoices: each metered item of a subscription is billed in arrears, one line
//! per item whose `quantity` is the customer's usage of the price's meter over the period just
//! ended (by the meter's formula) and whose `period` is that period, priced per unit or by tiers
//! ([`super::pricing`]).

use serde_json::{json, Value};

use super::is_metered;
use super::usage::aggregate;
use crate::world::World;

/// The usage lines of a subscription's metered items over `[from, to)`.
pub fn usage_lines(world: &mut World, subscription: &Value, (from, to): (i64, i64)) -> Vec<Value> {
    let customer = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let items: Vec<Value> = subscription["items"]["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| is_metered(&item["price"]))
        .cloned()
        .collect();
    let mut lines = Vec::new();
    for item in items {
        let price = &item["price"];
        let meter_id = price["recurring"]["meter"].as_str().unwrap_or_default();
        let Some(meter) = world.find("billing.meter", meter_id).cloned() else {
            continue;
        };
        let usage = aggregate(world, &meter, &customer, from, to).max(0.0);
        let amount = super::pricing::amount(world, price, usage);
        let quantity = usage.round() as i64;
        let product = world
            .find("product", price["product"].as_str().unwrap_or_default())
            .and_then(|product| product["name"].as_str().map(str::to_owned))
            .unwrap_or_else(|| "Usage".to_owned());
        let description = format!("{quantity} × {product}");
        let mut line = crate::billing::line(
            world,
            subscription,
            &item,
            amount,
            quantity,
            &description,
            (from, to),
            false,
        );
        line["quantity_decimal"] = json!(super::usage::number(usage).to_string());
        lines.push(line);
    }
    lines
}
