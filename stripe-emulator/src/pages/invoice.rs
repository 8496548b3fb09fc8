//! The hosted invoice page (`hosted_invoice_url`): the invoice's lines and status, and a card form
//! to pay an open invoice; plus a plain-text stand-in for `invoice_pdf`.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use super::{card_fields, card_from_form, date, escape, money, page, problem};
use crate::error::ApiError;
use crate::world::World;
use crate::Emulator;

/// `GET /invoices/{id}`
pub async fn show(State(emulator): State<Emulator>, Path(id): Path<String>) -> Response {
    render(&emulator, &id, None)
}

fn render(emulator: &Emulator, id: &str, error: Option<&str>) -> Response {
    let Some(invoice) = emulator.read(|world| world.find("invoice", id).cloned()) else {
        return problem(
            StatusCode::NOT_FOUND,
            "Invoice not found",
            "This link does not lead to an invoice.",
        );
    };
    let currency = invoice["currency"].as_str().unwrap_or("usd");
    let mut rows = String::new();
    for line in invoice["lines"]["data"].as_array().into_iter().flatten() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td class=\"amount\">{}</td></tr>",
            escape(line["description"].as_str().unwrap_or_default()),
            money(line["amount"].as_i64().unwrap_or_default(), currency)
        ));
    }
    let mut body = format!(
        "<h1>Invoice {}</h1><p class=\"muted\">{} · {}</p>",
        escape(invoice["number"].as_str().unwrap_or_default()),
        date(invoice["created"].as_i64().unwrap_or_default()),
        escape(invoice["status"].as_str().unwrap_or_default())
    );
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    body.push_str(&format!(
        "<table aria-label=\"Invoice lines\">{rows}<tr><th>Amount due</th><th class=\"amount\">{}</th></tr></table>",
        money(invoice["amount_remaining"].as_i64().unwrap_or_default(), currency)
    ));
    if invoice["status"] == "open" {
        body.push_str(&format!(
            "<form method=\"post\" action=\"/invoices/{}\">{}<button type=\"submit\">Pay invoice</button></form>",
            escape(id),
            card_fields(true)
        ));
    }
    body.push_str(&format!(
        "<p><a href=\"/invoices/{}/pdf\">Download invoice</a></p>",
        escape(id)
    ));
    page(
        if error.is_some() {
            StatusCode::PAYMENT_REQUIRED
        } else {
            StatusCode::OK
        },
        "Invoice",
        &body,
    )
}

/// `POST /invoices/{id}`: pays an open invoice with a new card, which becomes the default.
pub async fn pay(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let card = match card_from_form(&form) {
        Ok(card) => card,
        Err(message) => return render(&emulator, &id, Some(&message)),
    };
    match emulator.mutate(|world| pay_with(world, &id, card)) {
        Ok(()) => Redirect::to(&format!("/invoices/{id}")).into_response(),
        Err(error) => render(&emulator, &id, Some(&error.message)),
    }
}

fn pay_with(world: &mut World, id: &str, card: crate::cards::Card) -> Result<(), ApiError> {
    let invoice = world.get("invoice", id, "invoice")?;
    let customer = invoice["customer"].as_str().unwrap_or_default().to_owned();
    let pm = crate::api::payment_methods::make_default(world, &customer, card)?;
    // A past-due invoice was just retried; a first invoice (incomplete subscription) is paid here.
    if world.get("invoice", id, "invoice")?["status"] == "open" {
        crate::billing::collect_with(world, id, Some(&pm))?;
        if let Some(subscription) =
            invoice["parent"]["subscription_details"]["subscription"].as_str()
        {
            crate::billing::settle_paid(world, subscription, id);
        }
    }
    Ok(())
}

/// `GET /invoices/{id}/pdf`: a plain-text rendering (the emulator does not draw PDFs).
pub async fn pdf(State(emulator): State<Emulator>, Path(id): Path<String>) -> Response {
    let Some(invoice) = emulator.read(|world| world.find("invoice", &id).cloned()) else {
        return problem(
            StatusCode::NOT_FOUND,
            "Invoice not found",
            "This link does not lead to an invoice.",
        );
    };
    let currency = invoice["currency"].as_str().unwrap_or("usd");
    let mut text = format!(
        "Invoice {}\nDate: {}\nStatus: {}\n\n",
        invoice["number"].as_str().unwrap_or_default(),
        date(invoice["created"].as_i64().unwrap_or_default()),
        invoice["status"].as_str().unwrap_or_default()
    );
    for line in invoice["lines"]["data"].as_array().into_iter().flatten() {
        text.push_str(&format!(
            "{}  {}\n",
            line["description"].as_str().unwrap_or_default(),
            money(line["amount"].as_i64().unwrap_or_default(), currency)
        ));
    }
    text.push_str(&format!(
        "\nTotal: {}\n",
        money(invoice["total"].as_i64().unwrap_or_default(), currency)
    ));
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response()
}
