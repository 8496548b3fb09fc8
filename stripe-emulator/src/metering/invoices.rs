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

/// The last invoice of a subscription with metered items that ends at `at` (at its period end,
/// its `cancel_at`, or at once with `invoice_now=true`): the usage of the period it ends in,
/// charged as it ends, as Stripe bills it.
pub fn invoice_final_usage(world: &mut World, subscription: &Value, at: i64) {
    let metered = subscription["items"]["data"]
        .as_array()
        .is_some_and(|items| items.iter().any(|item| is_metered(&item["price"])));
    if !metered {
        return;
    }
    let start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or(at);
    // Usage reported in the very second it ends still counts: there is no next period for it.
    let mut lines = usage_lines(world, subscription, (start, at + 1));
    for line in &mut lines {
        line["period"]["end"] = json!(at);
    }
    let mut after = subscription.clone();
    let invoice =
        crate::billing::create_invoice(world, &mut after, lines, "subscription_cycle", (start, at));
    after["latest_invoice"] = invoice["id"].clone();
    world.put(after);
    // A failed charge leaves the invoice open, as Stripe leaves a canceled subscription's.
    let _ = crate::billing::collect(world, invoice["id"].as_str().unwrap_or_default());
}
