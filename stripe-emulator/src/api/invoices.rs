//! Invoices: retrieve, list (`customer`, `subscription`, `status`), lines, pay, and the proration
//! preview `POST /v1/invoices/create_preview`. Invoices made and moved by hand are in
//! `invoice_workflow`.
//! <https://docs.stripe.com/api/invoices>

use serde_json::Value;

use super::list_objects;
use crate::billing::{self, ItemChange};
use crate::cards::Behaviour;
use crate::error::ApiError;
use crate::http::Call;
use crate::invoicing;
use crate::listing::page;
use crate::world::World;

/// `GET /v1/invoices/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("invoice", call.id(), "invoice")
}

/// `GET /v1/invoices/{id}/lines`
pub fn lines(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let invoice = world.get("invoice", call.id(), "invoice")?;
    let lines = invoice["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    page(
        lines,
        &call.params,
        &format!("/v1/invoices/{}/lines", call.id()),
    )
}

/// `POST /v1/invoices/{id}/pay`: finalizes a draft first, then charges `payment_method` (one of
/// the customer's) or the default one now, or with `paid_out_of_band=true` records a payment made
/// elsewhere. A paid first or past-due invoice makes its subscription active. A card that needs
/// the customer to authenticate (3-D Secure, never set up for off-session use) is refused with
/// `invoice_payment_intent_requires_action`.
pub fn pay(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let invoice = world.get("invoice", call.id(), "invoice")?;
    match invoice["status"].as_str() {
        Some("draft" | "open" | "uncollectible") => {}
        Some("paid") => return Err(ApiError::state("Invoice is already paid")),
        _ => return Err(ApiError::state("You can only pay an open invoice.")),
    }
    let customer = invoice["customer"].as_str().unwrap_or_default().to_owned();
    let payment_method = match call.params.str("payment_method") {
        Some(id) => {
            let found = super::payment_methods::resolve(world, id, "payment_method")?;
            if found["customer"] != customer.as_str() {
                return Err(ApiError::invalid(
                    "The PaymentMethod must belong to the customer associated with the invoice.",
                    Some("payment_method"),
                ));
            }
            found["id"].as_str().map(str::to_owned)
        }
        None => None,
    };
    let out_of_band = call.params.bool("paid_out_of_band")?.unwrap_or(false);
    if invoice["status"] == "draft" {
        invoicing::finalize(world, call.id())?;
    }
    if world.get("invoice", call.id(), "invoice")?["status"] == "paid" {
        // Finalizing an invoice with nothing due already paid it.
        return world.get("invoice", call.id(), "invoice");
    }
    if out_of_band {
        invoicing::paid_out_of_band(world, call.id())?;
    } else {
        let chosen = payment_method
            .clone()
            .or_else(|| billing::payment_method_for(world, &invoice));
        let needs_authentication = chosen
            .and_then(|id| world.cards.get(&id))
            .is_some_and(|card| card.behaviour == Behaviour::Requires3ds);
        if needs_authentication {
            return Err(invoicing::requires_action(world, call.id()));
        }
        billing::collect_with(world, call.id(), payment_method.as_deref())?;
    }
    if let Some(subscription) = invoice["parent"]["subscription_details"]["subscription"].as_str() {
        billing::settle_paid(world, subscription, call.id());
    }
    world.get("invoice", call.id(), "invoice")
}

/// `GET /v1/invoices`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "invoice", "/v1/invoices", |invoice| {
        params.matches("customer", &invoice["customer"])
            && params.matches(
                "subscription",
                &invoice["parent"]["subscription_details"]["subscription"],
            )
            && params.matches("status", &invoice["status"])
    })
}

/// `POST /v1/invoices/create_preview`: the next invoice of a subscription, including the
/// prorations a proposed change (`subscription_details[items]`) would create. Nothing is stored.
pub fn create_preview(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let id = params.required("subscription")?;
    let subscription = world.get("subscription", id, "subscription")?;
    let customer = subscription["customer"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if params
        .str("customer")
        .is_some_and(|given| given != customer)
    {
        return Err(ApiError::invalid(
            "The subscription does not belong to this customer.",
            Some("customer"),
        ));
    }
    let now = world.now_for_customer(&customer);
    let at = super::proration_date(
        params,
        "subscription_details.proration_date",
        &subscription,
        now,
    )?;
    let mut changes = Vec::new();
    for (index, entry) in params
        .array("subscription_details.items")
        .iter()
        .enumerate()
    {
        let price = match entry["price"].as_str() {
            Some(price) => Some(super::swap_price(
                world,
                &subscription,
                price,
                &format!("subscription_details[items][{index}][price]"),
            )?),
            None => None,
        };
        let param = format!("subscription_details[items][{index}][quantity]");
        let quantity = super::quantity(entry, &param, 1)?;
        let rates = format!("subscription_details.items.{index}.tax_rates");
        changes.push(ItemChange {
            item: entry["id"].as_str().map(str::to_owned),
            price,
            quantity,
            deleted: entry["deleted"] == "true",
            tax_rates: crate::tax::requested_rates(world, params, &rates)?,
        });
    }
    let behaviour = params
        .str("subscription_details.proration_behavior")
        .unwrap_or("create_prorations");
    let mut lines = world.pending_lines.get(id).cloned().unwrap_or_default();
    if behaviour != "none" && subscription["status"] != "trialing" {
        lines.extend(billing::proration_lines(world, &subscription, &changes, at));
    }
    let mut changed = billing::apply_item_changes(world, &subscription, &changes);
    if let Some(enabled) = crate::tax::automatic_tax_param(params, "automatic_tax")? {
        changed["automatic_tax"] = crate::tax::subscription_automatic_tax(enabled);
    }
    let start = changed["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap_or(now);
    let end = changed["items"]["data"][0]["price"]["recurring"]["interval"]
        .as_str()
        .map(|interval| {
            billing::add_interval(
                start,
                interval,
                changed["items"]["data"][0]["price"]["recurring"]["interval_count"]
                    .as_i64()
                    .unwrap_or(1),
            )
        })
        .unwrap_or(start);
    if behaviour != "always_invoice" {
        lines.extend(billing::period_lines(world, &changed, start, end, false));
        // The metered usage so far of the period the preview's invoice closes.
        let period_start = subscription["items"]["data"][0]["current_period_start"]
            .as_i64()
            .unwrap_or(start);
        lines.extend(crate::metering::invoices::usage_lines(
            world,
            &changed,
            (period_start, start),
        ));
    }
    Ok(invoicing::build_invoice(
        world,
        &customer,
        Some(&changed),
        lines,
        "upcoming",
        (now, start),
        invoicing::Stage::Preview,
    ))
}
