//! One-off invoices moved by hand: create a draft (with the customer's pending invoice items when
//! `pending_invoice_items_behavior=include`), update, delete a draft, finalize, void, mark
//! uncollectible, send. Stripe's state rules apply: only drafts change freely or can be deleted,
//! only finalized invoices are voided.
//! <https://docs.stripe.com/api/invoices>

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use super::{deleted, merge_metadata};
use crate::billing::DAY;
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::invoicing::{self, build_invoice, Stage};
use crate::world::World;
use crate::Emulator;

/// The routes of invoices created and moved by hand (reads and `pay` live in `invoices`).
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/invoices", post(op(create)))
        .route("/v1/invoices/{id}", post(op(update)).delete(op(delete)))
        .route("/v1/invoices/{id}/finalize", post(op(finalize)))
        .route("/v1/invoices/{id}/void", post(op(void)))
        .route(
            "/v1/invoices/{id}/mark_uncollectible",
            post(op(mark_uncollectible)),
        )
        .route("/v1/invoices/{id}/send", post(op(send)))
}

/// Stripe's default for `days_until_due` when an invoice is sent without one.
const DEFAULT_DAYS_UNTIL_DUE: i64 = 30;

/// `POST /v1/invoices`: a draft for `customer`; `pending_invoice_items_behavior=include` moves the
/// customer's pending invoice items onto it (the default, `exclude`, leaves them pending).
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = world.get("customer", params.required("customer")?, "customer")?;
    let customer_id = customer["id"].as_str().unwrap_or_default().to_owned();
    let include = params
        .one_of("pending_invoice_items_behavior", &["include", "exclude"])?
        .is_some_and(|behaviour| behaviour == "include");
    let currency = params.str("currency").map(str::to_ascii_lowercase);
    let now = world.now_for_customer(&customer_id);
    let mut invoice = build_invoice(
        world,
        &customer_id,
        None,
        Vec::new(),
        "manual",
        (now, now),
        Stage::Draft,
    );
    if let Some(currency) = &currency {
        invoice["currency"] = json!(currency);
    }
    apply(world, &mut invoice, params, now)?;
    let id = invoice["id"].as_str().unwrap_or_default().to_owned();
    let mut lines = Vec::new();
    if include {
        let pending: Vec<Value> = world
            .all("invoiceitem")
            .filter(|item| item["customer"] == customer_id.as_str() && item["invoice"].is_null())
            .filter(|item| {
                currency
                    .as_deref()
                    .is_none_or(|currency| item["currency"] == currency)
            })
            .cloned()
            .collect();
        for mut item in pending.into_iter().rev() {
            item["invoice"] = json!(id);
            world.put(item.clone());
            crate::billing::release_proration(world, &item);
            lines.push(invoicing::item_line(world, &item));
        }
    }
    invoicing::set_lines(&mut invoice, lines);
    crate::tax::apply_to_invoice(world, &mut invoice, None);
    world.insert(invoice.clone());
    world.emit("invoice.created", &invoice, None);
    Ok(invoice)
}

/// Applies the editable fields of a draft: `auto_advance`, `collection_method`, `days_until_due`,
/// `due_date`, `description`, `footer`, `statement_descriptor`, `default_payment_method`,
/// `automatic_tax[enabled]`, `default_tax_rates`, `metadata`.
fn apply(world: &World, invoice: &mut Value, params: &Params, now: i64) -> Result<(), ApiError> {
    if let Some(enabled) = crate::tax::automatic_tax_param(params, "automatic_tax")? {
        invoice["automatic_tax"]["enabled"] = json!(enabled);
        invoice["automatic_tax"]["disabled_reason"] = Value::Null;
    }
    if let Some(rates) = crate::tax::requested_rates(world, params, "default_tax_rates")? {
        invoice["default_tax_rates"] = json!(rates);
    }
    if let Some(auto_advance) = params.bool("auto_advance")? {
        invoice["auto_advance"] = json!(auto_advance);
    }
    if let Some(method) = params.one_of(
        "collection_method",
        &["charge_automatically", "send_invoice"],
    )? {
        invoice["collection_method"] = json!(method);
    }
    let sent = invoice["collection_method"] == "send_invoice";
    let days = params.int_in("days_until_due", 0..=3650)?;
    let due_date = params.int("due_date")?;
    if !sent && (days.is_some() || due_date.is_some()) {
        let param = if days.is_some() {
            "days_until_due"
        } else {
            "due_date"
        };
        return Err(ApiError::invalid(
            format!(
                "You can only set `{param}` on invoices with `collection_method=send_invoice`."
            ),
            Some(param),
        ));
    }
    if sent {
        invoice["due_date"] = match (due_date, days) {
            (Some(due_date), _) => json!(due_date),
            (None, Some(days)) => json!(now + days * DAY),
            (None, None) if invoice["due_date"].is_null() => {
                json!(now + DEFAULT_DAYS_UNTIL_DUE * DAY)
            }
            (None, None) => invoice["due_date"].clone(),
        };
    } else {
        invoice["due_date"] = Value::Null;
    }
    for field in ["description", "footer", "statement_descriptor"] {
        if let Some(value) = params.str(field) {
            invoice[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if let Some(payment_method) = params.str("default_payment_method") {
        invoice["default_payment_method"] = if payment_method.is_empty() {
            Value::Null
        } else {
            let found = world.get("payment_method", payment_method, "default_payment_method")?;
            if found["customer"] != invoice["customer"] {
                return Err(ApiError::invalid(
                    "The PaymentMethod must belong to the customer associated with the invoice.",
                    Some("default_payment_method"),
                ));
            }
            found["id"].clone()
        };
    }
    merge_metadata(invoice, params);
    Ok(())
}

/// What a finalized invoice still lets you change.
const FINALIZED_EDITABLE: &[&str] = &["metadata", "auto_advance", "expand"];

/// `POST /v1/invoices/{id}`: any editable field of a draft; of a finalized invoice only
/// `metadata` and `auto_advance`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get("invoice", call.id(), "invoice")?;
    if before["status"] != "draft" {
        if let Some(field) = params
            .0
            .keys()
            .find(|field| !FINALIZED_EDITABLE.contains(&field.as_str()))
        {
            return Err(ApiError::invalid(
                "Finalized invoices can't be updated in this way.",
                Some(field),
            ));
        }
    }
    let now = world.now_for_customer(before["customer"].as_str().unwrap_or_default());
    let mut invoice = before.clone();
    apply(world, &mut invoice, params, now)?;
    if invoice["status"] == "draft" {
        let lines = invoice["lines"]["data"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        invoicing::set_lines(&mut invoice, lines);
        crate::tax::apply_to_invoice(world, &mut invoice, None);
    }
    Ok(world.update_and_emit("invoice.updated", &before, invoice))
}

/// `DELETE /v1/invoices/{id}`: drafts of one-off invoices only; their invoice items become pending
/// again.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let invoice = world.get("invoice", call.id(), "invoice")?;
    if invoice["status"] != "draft" || !invoice["parent"].is_null() {
        return Err(ApiError::state(
            "You can only delete draft one-off invoices; void a finalized or subscription invoice instead.",
        ));
    }
    let items: Vec<Value> = world
        .all("invoiceitem")
        .filter(|item| item["invoice"] == call.id())
        .cloned()
        .collect();
    for mut item in items {
        item["invoice"] = Value::Null;
        world.put(item);
    }
    world.remove(call.id());
    world.emit("invoice.deleted", &invoice, None);
    Ok(deleted(call.id(), "invoice"))
}

/// `POST /v1/invoices/{id}/finalize` (`auto_advance`)
pub fn finalize(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let auto_advance = call.params.bool("auto_advance")?;
    let before = world.get("invoice", call.id(), "invoice")?;
    if let (Some(auto_advance), "draft") =
        (auto_advance, before["status"].as_str().unwrap_or_default())
    {
        let mut invoice = before;
        invoice["auto_advance"] = json!(auto_advance);
        world.put(invoice);
    }
    invoicing::finalize(world, call.id())
}

/// `POST /v1/invoices/{id}/void`
pub fn void(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    invoicing::void(world, call.id())
}

/// `POST /v1/invoices/{id}/mark_uncollectible`
pub fn mark_uncollectible(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    invoicing::mark_uncollectible(world, call.id())
}

/// `POST /v1/invoices/{id}/send`: finalizes a draft first, then emits `invoice.sent` (in test mode
/// Stripe sends no email either). Only invoices collected by `send_invoice` are sent.
pub fn send(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let invoice = world.get("invoice", call.id(), "invoice")?;
    if invoice["collection_method"] != "send_invoice" {
        return Err(ApiError::state(
            "You can only manually send an invoice if its collection method is 'send_invoice'.",
        ));
    }
    let invoice = match invoice["status"].as_str() {
        Some("draft") => invoicing::finalize(world, call.id())?,
        Some("void") => return Err(ApiError::state("You can't send a voided invoice.")),
        _ => invoice,
    };
    world.emit("invoice.sent", &invoice, None);
    Ok(invoice)
}
