//! A subscription's invoices: the lines for one period of every item, the invoice created and
//! finalized for a period, and the preview `invoice.upcoming` carries.

use serde_json::{json, Value};

use super::periods::add_interval;
use crate::discounts;
use crate::invoicing::{build_invoice, Stage};
use crate::world::World;

/// Invoice lines for one period of every licensed item (zero amounts during a trial); metered
/// items are billed in arrears by [`crate::metering::invoices::usage_lines`].
pub fn period_lines(
    world: &mut World,
    subscription: &Value,
    start: i64,
    end: i64,
    trial: bool,
) -> Vec<Value> {
    let items = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    items
        .iter()
        .filter(|item| !crate::metering::is_metered(&item["price"]))
        .map(|item| {
            let price = &item["price"];
            let quantity = item["quantity"].as_i64().unwrap_or(1);
            let amount = if trial {
                0
            } else {
                price["unit_amount"].as_i64().unwrap_or(0) * quantity
            };
            let product_name = world
                .find("product", price["product"].as_str().unwrap_or_default())
                .and_then(|product| product["name"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "Subscription".to_owned());
            let description = if trial {
                format!("Trial period for {product_name}")
            } else {
                format!("{quantity} × {product_name}")
            };
            line(
                world,
                subscription,
                item,
                amount,
                quantity,
                &description,
                (start, end),
                false,
            )
        })
        .collect()
}

/// One invoice line item for a subscription item.
#[allow(clippy::too_many_arguments)]
pub fn line(
    world: &mut World,
    subscription: &Value,
    item: &Value,
    amount: i64,
    quantity: i64,
    description: &str,
    period: (i64, i64),
    proration: bool,
) -> Value {
    let id = world.new_id("il");
    json!({
        "id": id,
        "object": "line_item",
        "amount": amount,
        "currency": item["price"]["currency"],
        "description": description,
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice": null,
        "livemode": false,
        "metadata": {},
        "parent": {
            "invoice_item_details": null,
            "subscription_item_details": {
                "invoice_item": null,
                "proration": proration,
                "proration_details": { "credited_items": null },
                "subscription": subscription["id"],
                "subscription_item": item["id"],
            },
            "type": "subscription_item_details",
        },
        "period": { "end": period.1, "start": period.0 },
        "pretax_credit_amounts": [],
        "pricing": {
            "price_details": { "price": item["price"]["id"], "product": item["price"]["product"] },
            "type": "price_details",
            "unit_amount_decimal": item["price"]["unit_amount_decimal"],
        },
        "quantity": quantity,
        "quantity_decimal": quantity.to_string(),
        "subscription": subscription["id"],
        "subtotal": amount,
        "taxes": [],
    })
}

/// Creates and finalizes an invoice for a subscription (plus any pending proration lines), less
/// its discounts: repeating ones whose months are over end first, `once` ones it used end after.
pub fn create_invoice(
    world: &mut World,
    subscription: &mut Value,
    mut lines: Vec<Value>,
    reason: &str,
    period: (i64, i64),
) -> Value {
    let sub_id = subscription["id"].as_str().unwrap_or_default().to_owned();
    if reason == "subscription_cycle" {
        lines.extend(world.pending_lines.remove(&sub_id).unwrap_or_default());
    }
    let customer_id = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    discounts::end_expired(world, subscription, period.1);
    let invoice = build_invoice(
        world,
        &customer_id,
        Some(subscription),
        lines,
        reason,
        period,
        Stage::Open,
    );
    discounts::end_used_once(world, subscription, &invoice);
    super::pending_items::mark_invoiced(world, &invoice);
    world.insert(invoice.clone());
    let mut draft = invoice.clone();
    draft["status"] = json!("draft");
    world.emit("invoice.created", &draft, None);
    world.emit("invoice.finalized", &invoice, None);
    invoice
}

/// The draft of a subscription's next renewal invoice, as `invoice.upcoming` carries it (no id).
pub(super) fn upcoming_invoice(world: &mut World, subscription: &Value, period_end: i64) -> Value {
    let interval = subscription["items"]["data"][0]["price"]["recurring"]["interval"]
        .as_str()
        .unwrap_or("month");
    let count = subscription["items"]["data"][0]["price"]["recurring"]["interval_count"]
        .as_i64()
        .unwrap_or(1);
    let next_end = add_interval(period_end, interval, count);
    let mut lines = period_lines(world, subscription, period_end, next_end, false);
    let period_start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap_or(period_end);
    lines.extend(crate::metering::invoices::usage_lines(
        world,
        subscription,
        (period_start, period_end),
    ));
    let id = subscription["id"].as_str().unwrap_or_default();
    lines.extend(world.pending_lines.get(id).cloned().unwrap_or_default());
    let customer = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let mut invoice = build_invoice(
        world,
        &customer,
        Some(subscription),
        lines,
        "upcoming",
        (period_end, period_end),
        Stage::Preview,
    );
    invoice["id"] = Value::Null;
    invoice["next_payment_attempt"] = json!(period_end);
    invoice
}
