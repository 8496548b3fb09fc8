//! Prorations waiting for a subscription's next invoice, as Stripe keeps them: each proration
//! line is a pending invoice item (`ii_…`, `proration: true`, its `parent` the subscription and
//! item; `invoiceitem.created`), listed by `GET /v1/invoiceitems?pending=true`, and the line it
//! becomes names it (`parent.subscription_item_details.invoice_item`). The next invoice of the
//! subscription takes them; an item deleted, or taken by an invoice made by hand, is no longer
//! waiting.

use serde_json::{json, Value};

use crate::world::World;

/// Keeps proration `lines` of `subscription` for its next invoice, each as a pending invoice item.
pub fn hold_prorations(world: &mut World, subscription: &Value, lines: Vec<Value>) {
    let id = subscription["id"].as_str().unwrap_or_default().to_owned();
    for mut line in lines {
        let item = invoice_item(world, subscription, &line);
        line["parent"]["subscription_item_details"]["invoice_item"] = item["id"].clone();
        world
            .pending_lines
            .entry(id.clone())
            .or_default()
            .push(line);
        world.insert(item.clone());
        world.emit("invoiceitem.created", &item, None);
    }
}

/// The pending invoice item a proration line stands for.
fn invoice_item(world: &mut World, subscription: &Value, line: &Value) -> Value {
    let id = world.new_id("ii");
    let customer = subscription["customer"].as_str().unwrap_or_default();
    let now = world.now_for_customer(customer);
    let details = &line["parent"]["subscription_item_details"];
    json!({
        "id": id,
        "object": "invoiceitem",
        "amount": line["amount"],
        "currency": line["currency"],
        "customer": customer,
        "customer_account": null,
        "date": now,
        "description": line["description"],
        "discountable": line["discountable"],
        "discounts": [],
        "invoice": null,
        "livemode": false,
        "metadata": {},
        "net_amount": line["amount"],
        "parent": {
            "subscription_details": {
                "subscription": details["subscription"],
                "subscription_item": details["subscription_item"],
            },
            "type": "subscription_details",
        },
        "period": line["period"],
        "pricing": line["pricing"],
        "proration": true,
        "quantity": line["quantity"],
        "quantity_decimal": line["quantity_decimal"],
        "tax_rates": [],
        "test_clock": subscription["test_clock"],
    })
}

/// Records on each proration item the invoice its line went on.
pub fn mark_invoiced(world: &mut World, invoice: &Value) {
    for line in invoice["lines"]["data"].as_array().into_iter().flatten() {
        let item = &line["parent"]["subscription_item_details"]["invoice_item"];
        if let Some(mut found) = item
            .as_str()
            .and_then(|id| world.find("invoiceitem", id))
            .cloned()
        {
            found["invoice"] = invoice["id"].clone();
            world.put(found);
        }
    }
}

/// A pending proration item was deleted or went on an invoice made by hand: its line no longer
/// waits for the subscription's next invoice.
pub fn release_proration(world: &mut World, item: &Value) {
    let Some(subscription) = item["parent"]["subscription_details"]["subscription"].as_str() else {
        return;
    };
    if let Some(lines) = world.pending_lines.get_mut(subscription) {
        lines.retain(|line| {
            line["parent"]["subscription_item_details"]["invoice_item"] != item["id"]
        });
    }
}
