//! Invoices as objects: building one (a preview, a draft, or finalized and open), the lines of
//! one-off invoice items, and the moves Stripe allows between states (finalize, pay out of band,
//! void, mark uncollectible), each emitting its event.

use serde_json::{json, Value};

use crate::error::ApiError;
use crate::listing::embedded;
use crate::world::World;

/// How far along a built invoice is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// A preview (`create_preview`, `invoice.upcoming`): an `upcoming_…` id, never stored.
    Preview,
    /// A draft that can still change.
    Draft,
    /// Finalized: numbered, with a hosted page, waiting for payment.
    Open,
}

/// Builds an invoice object (not stored) at a stage: a preview, a draft, or finalized and open.
pub fn build_invoice(
    world: &mut World,
    customer_id: &str,
    subscription: Option<&Value>,
    mut lines: Vec<Value>,
    reason: &str,
    period: (i64, i64),
    stage: Stage,
) -> Value {
    let now = world.now_for_customer(customer_id);
    let id = match stage {
        Stage::Preview => format!("upcoming_{}", world.new_id("in")),
        Stage::Draft | Stage::Open => world.new_id("in"),
    };
    for line in &mut lines {
        line["invoice"] = json!(id);
    }
    let customer = world
        .find("customer", customer_id)
        .cloned()
        .unwrap_or(Value::Null);
    let customer_tax_ids: Vec<Value> = world
        .all("tax_id")
        .filter(|tax_id| tax_id["customer"] == customer_id)
        .map(|tax_id| json!({ "type": tax_id["type"], "value": tax_id["value"] }))
        .collect();
    let currency = lines
        .first()
        .map(|line| line["currency"].clone())
        .or_else(|| subscription.map(|subscription| subscription["currency"].clone()))
        .unwrap_or(json!("usd"));
    let parent = match subscription {
        Some(subscription) => json!({
            "quote_details": null,
            "subscription_details": { "metadata": subscription["metadata"], "subscription": subscription["id"] },
            "type": "subscription_details",
        }),
        None => Value::Null,
    };
    let mut invoice = json!({
        "id": id,
        "object": "invoice",
        "account_country": "US",
        "account_name": "Tollgate emulator",
        "account_tax_ids": null,
        "amount_due": 0,
        "amount_overpaid": 0,
        "amount_paid": 0,
        "amount_remaining": 0,
        "amount_shipping": 0,
        "application": null,
        "attempt_count": 0,
        "attempted": false,
        "auto_advance": false,
        "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null },
        "automatically_finalizes_at": null,
        "billing_reason": reason,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "custom_fields": null,
        "customer": customer_id,
        "customer_account": null,
        "customer_address": customer["address"],
        "customer_email": customer["email"],
        "customer_name": customer["name"],
        "customer_phone": customer["phone"],
        "customer_shipping": null,
        "customer_tax_exempt": "none",
        "customer_tax_ids": customer_tax_ids,
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "description": null,
        "discounts": [],
        "due_date": null,
        "effective_at": null,
        "ending_balance": null,
        "footer": null,
        "from_invoice": null,
        "hosted_invoice_url": null,
        "invoice_pdf": null,
        "issuer": { "type": "self" },
        "last_finalization_error": null,
        "latest_revision": null,
        "lines": null,
        "livemode": false,
        "metadata": {},
        "next_payment_attempt": null,
        "number": null,
        "on_behalf_of": null,
        "parent": parent,
        "payment_settings": { "default_mandate": null, "payment_method_options": null, "payment_method_types": null },
        "period_end": period.1,
        "period_start": period.0,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "receipt_number": null,
        "rendering": null,
        "shipping_cost": null,
        "shipping_details": null,
        "starting_balance": 0,
        "statement_descriptor": null,
        "status": "draft",
        "status_transitions": {
            "finalized_at": null,
            "marked_uncollectible_at": null,
            "paid_at": null,
            "voided_at": null,
        },
        "subtotal": 0,
        "subtotal_excluding_tax": 0,
        "test_clock": customer["test_clock"],
        "total": 0,
        "total_discount_amounts": [],
        "total_excluding_tax": 0,
        "total_pretax_credit_amounts": [],
        "total_taxes": [],
        "webhooks_delivered_at": null,
    });
    set_lines(&mut invoice, lines);
    if let Some(subscription) = subscription {
        crate::discounts::apply_to_invoice(world, &mut invoice, subscription);
    }
    // Billing credits come off after discounts and before tax; a draft gets them when finalized.
    if stage != Stage::Draft {
        crate::metering::credits::apply_to_invoice(world, &mut invoice, stage == Stage::Open);
    }
    crate::tax::apply_to_invoice(world, &mut invoice, subscription);
    if stage == Stage::Open {
        invoice["auto_advance"] = json!(true);
        open(world, &mut invoice, now);
    }
    invoice
}

/// Replaces an invoice's lines and recomputes its totals from them.
pub fn set_lines(invoice: &mut Value, lines: Vec<Value>) {
    let total: i64 = lines
        .iter()
        .map(|line| line["amount"].as_i64().unwrap_or(0))
        .sum();
    let paid = invoice["amount_paid"].as_i64().unwrap_or(0);
    if let Some(currency) = lines.first().map(|line| line["currency"].clone()) {
        invoice["currency"] = currency;
    }
    for field in [
        "subtotal",
        "subtotal_excluding_tax",
        "total",
        "total_excluding_tax",
    ] {
        invoice[field] = json!(total);
    }
    invoice["amount_due"] = json!(total.max(0));
    invoice["amount_remaining"] = json!((total.max(0) - paid).max(0));
    let url = format!(
        "/v1/invoices/{}/lines",
        invoice["id"].as_str().unwrap_or_default()
    );
    invoice["lines"] = embedded(lines, url);
}

/// Gives a draft what finalizing gives it: the customer's next number, the hosted page and PDF,
/// the `open` status and a due date for invoices sent to the customer.
fn open(world: &mut World, invoice: &mut Value, now: i64) {
    let customer_id = invoice["customer"].as_str().unwrap_or_default();
    if let Some(customer) = world.find("customer", customer_id).cloned() {
        let sequence = customer["next_invoice_sequence"].as_i64().unwrap_or(1);
        let mut updated = customer.clone();
        updated["next_invoice_sequence"] = json!(sequence + 1);
        world.put(updated);
        invoice["number"] = json!(format!(
            "{}-{sequence:04}",
            customer["invoice_prefix"].as_str().unwrap_or("EMU")
        ));
    }
    let base = &world.base_url;
    let id = invoice["id"].as_str().unwrap_or_default().to_owned();
    invoice["hosted_invoice_url"] = json!(format!("{base}/invoices/{id}"));
    invoice["invoice_pdf"] = json!(format!("{base}/invoices/{id}/pdf"));
    invoice["effective_at"] = json!(now);
    invoice["ending_balance"] = json!(0);
    invoice["status"] = json!("open");
    invoice["status_transitions"]["finalized_at"] = json!(now);
    invoice["webhooks_delivered_at"] = json!(now);
}

/// `draft` → `open`, emitting `invoice.finalized`; an invoice with nothing to pay is paid at once.
pub fn finalize(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("invoice", id, "invoice")?;
    if before["status"] != "draft" {
        return Err(ApiError::state(
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
        ));
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    open(world, &mut invoice, now);
    world.put(invoice.clone());
    let previous = crate::world::previous_attributes(&before, &invoice);
    world.emit("invoice.finalized", &invoice, Some(previous));
    if invoice["amount_due"] == 0 {
        crate::billing::collect(world, id)?;
    }
    world.get("invoice", id, "invoice")
}

/// Marks an open or uncollectible invoice paid without charging anything (`paid_out_of_band`).
pub fn paid_out_of_band(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("invoice", id, "invoice")?;
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    invoice["status"] = json!("paid");
    invoice["amount_paid"] = before["amount_due"].clone();
    invoice["amount_remaining"] = json!(0);
    invoice["next_payment_attempt"] = Value::Null;
    invoice["status_transitions"]["paid_at"] = json!(now);
    Ok(world.update_and_emit("invoice.paid", &before, invoice))
}

/// Voids an open or uncollectible invoice, emitting `invoice.voided`.
pub fn void(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("invoice", id, "invoice")?;
    if !matches!(before["status"].as_str(), Some("open" | "uncollectible")) {
        return Err(ApiError::state(format!(
            "You can only void an open or uncollectible invoice; this one is {}.",
            before["status"].as_str().unwrap_or_default()
        )));
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    invoice["status"] = json!("void");
    invoice["amount_remaining"] = json!(0);
    invoice["next_payment_attempt"] = Value::Null;
    invoice["status_transitions"]["voided_at"] = json!(now);
    let invoice = world.update_and_emit("invoice.voided", &before, invoice);
    crate::metering::credits::give_back(world, &invoice);
    Ok(invoice)
}

/// Marks an open invoice uncollectible (it can still be paid), emitting
/// `invoice.marked_uncollectible`.
pub fn mark_uncollectible(world: &mut World, id: &str) -> Result<Value, ApiError> {
    let before = world.get("invoice", id, "invoice")?;
    if before["status"] != "open" {
        return Err(ApiError::state(format!(
            "You can only mark an open invoice as uncollectible; this one is {}.",
            before["status"].as_str().unwrap_or_default()
        )));
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    invoice["status"] = json!("uncollectible");
    invoice["next_payment_attempt"] = Value::Null;
    invoice["status_transitions"]["marked_uncollectible_at"] = json!(now);
    Ok(world.update_and_emit("invoice.marked_uncollectible", &before, invoice))
}

/// A payment attempt with a card that needs the customer to authenticate: the attempt counts,
/// `invoice.payment_failed` and `invoice.payment_action_required` are emitted, and the caller gets
/// Stripe's 402.
pub fn requires_action(world: &mut World, id: &str) -> ApiError {
    if let Some(before) = world.find("invoice", id).cloned() {
        let mut invoice = before.clone();
        invoice["attempt_count"] = json!(before["attempt_count"].as_i64().unwrap_or(0) + 1);
        invoice["attempted"] = json!(true);
        world.put(invoice.clone());
        let previous = crate::world::previous_attributes(&before, &invoice);
        world.emit("invoice.payment_failed", &invoice, Some(previous));
        world.emit("invoice.payment_action_required", &invoice, None);
    }
    ApiError::card(
        "invoice_payment_intent_requires_action",
        None,
        "This payment requires additional user action before it can be completed successfully.",
    )
}

/// The invoice line for a one-off invoice item.
pub fn item_line(world: &mut World, item: &Value) -> Value {
    let id = world.new_id("il");
    json!({
        "id": id,
        "object": "line_item",
        "amount": item["amount"],
        "currency": item["currency"],
        "description": item["description"],
        "discount_amounts": [],
        "discountable": item["discountable"],
        "discounts": [],
        "invoice": item["invoice"],
        "livemode": false,
        "metadata": item["metadata"],
        "parent": {
            "invoice_item_details": {
                "invoice_item": item["id"],
                "proration": false,
                "proration_details": { "credited_items": null },
                "subscription": null,
            },
            "subscription_item_details": null,
            "type": "invoice_item_details",
        },
        "period": item["period"],
        "pretax_credit_amounts": [],
        "pricing": item["pricing"],
        "quantity": item["quantity"],
        "quantity_decimal": item["quantity_decimal"],
        "subscription": null,
        "subtotal": item["amount"],
        "taxes": [],
    })
}

/// Rebuilds a draft's lines from the invoice items attached to it (after one was added, changed or
/// deleted), emitting `invoice.updated` when the invoice changed.
pub fn refresh_draft(world: &mut World, id: &str) {
    let Some(before) = world.find("invoice", id).cloned() else {
        return;
    };
    let items: Vec<Value> = world
        .all("invoiceitem")
        .filter(|item| item["invoice"] == id)
        .cloned()
        .collect();
    let existing: Vec<Value> = before["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    // Lines of the subscription (if any) stay; each item's line keeps its id.
    let mut lines: Vec<Value> = existing
        .iter()
        .filter(|line| line["parent"]["type"] != "invoice_item_details")
        .cloned()
        .collect();
    for item in items.iter().rev() {
        let mut line = item_line(world, item);
        if let Some(old) = existing
            .iter()
            .find(|old| old["parent"]["invoice_item_details"]["invoice_item"] == item["id"])
        {
            line["id"] = old["id"].clone();
        }
        lines.push(line);
    }
    let mut invoice = before.clone();
    set_lines(&mut invoice, lines);
    crate::tax::apply_to_invoice(world, &mut invoice, None);
    world.update_and_emit("invoice.updated", &before, invoice);
}
