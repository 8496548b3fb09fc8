//! The hosted Checkout page: line items, trial and total, a card form that behaves like Stripe's
//! test cards (declines with their messages, a 3-D Secure step) or an IBAN for sessions taking
//! SEPA Direct Debit, a "Promotion code" field when the session allows codes (applied on
//! submit), the billing address and tax ID fields the session asks for (`checkout_details`), the
//! tax, then a redirect to `success_url`.

use std::collections::HashMap;

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::{card_fields, card_from_form, escape, money, page, per_interval, problem};
use crate::api::checkout as api;
use crate::cards::{Behaviour, Card};
use crate::payments::debits::BankAccount;
use crate::Emulator;

/// `GET /checkout/{id}`
pub async fn show(State(emulator): State<Emulator>, Path(id): Path<String>) -> Response {
    render(&emulator, &id, None)
}

fn render(emulator: &Emulator, id: &str, error: Option<&str>) -> Response {
    let found = emulator.mutate_if_eventful(|world| {
        api::expire_if_due(world, id);
        let session = world.find("checkout.session", id).cloned()?;
        let items = world.line_items.get(id).cloned().unwrap_or_default();
        let products: Vec<String> = items
            .iter()
            .map(|item| item["description"].as_str().unwrap_or_default().to_owned())
            .collect();
        let email = session["customer_details"]["email"]
            .as_str()
            .or(session["customer_email"].as_str())
            .map(str::to_owned);
        let code = session["discounts"][0]["promotion_code"]
            .as_str()
            .and_then(|code| world.find("promotion_code", code))
            .map(|code| code["code"].as_str().unwrap_or_default().to_owned());
        Some((session, items, products, email, code))
    });
    let Some((session, items, products, email, code)) = found else {
        return problem(
            StatusCode::NOT_FOUND,
            "Checkout session not found",
            "This link does not lead to a checkout session.",
        );
    };
    match session["status"].as_str() {
        Some("complete") => {
            return problem(
                StatusCode::GONE,
                "Already paid",
                "This checkout session is complete. There is nothing left to pay.",
            )
        }
        Some("expired") => {
            let back = back_link(&session);
            return super::page(StatusCode::GONE, "Session expired", &format!("<h1>This checkout session has expired</h1><p>Start again from the site you came from.</p>{back}"));
        }
        _ => {}
    }
    let currency = session["currency"].as_str().unwrap_or("usd");
    let trial_days = session["subscription_data"]["trial_period_days"]
        .as_i64()
        .filter(|days| *days > 0);
    let mut rows = String::new();
    for (item, product) in items.iter().zip(&products) {
        let quantity = item["quantity"].as_i64().unwrap_or(1);
        let amount = item["amount_total"].as_i64().unwrap_or(0);
        let each = if crate::metering::is_metered(&item["price"]) {
            format!("Billed by usage{}", per_interval(&item["price"]))
        } else {
            format!(
                "{}{}",
                money(item["price"]["unit_amount"].as_i64().unwrap_or(0), currency),
                per_interval(&item["price"])
            )
        };
        let quantity = if quantity > 1 {
            format!(" × {quantity}")
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr><td>{}{quantity}<div class=\"muted\">{}</div></td><td class=\"amount\">{}</td></tr>",
            escape(product),
            escape(&each),
            money(amount, currency)
        ));
    }
    let total = session["amount_total"].as_i64().unwrap_or(0);
    let tax = session["total_details"]["amount_tax"].as_i64().unwrap_or(0);
    if tax > 0 {
        rows.push_str(&format!(
            "<tr><td>Tax</td><td class=\"amount\">{}</td></tr>",
            money(tax, currency)
        ));
    } else if session["automatic_tax"]["status"] == "requires_location_inputs" {
        rows.push_str(
            "<tr><td>Tax</td><td class=\"amount muted\">Calculated from your address</td></tr>",
        );
    }
    let discount = session["total_details"]["amount_discount"]
        .as_i64()
        .unwrap_or(0);
    if discount > 0 {
        rows.push_str(&format!(
            "<tr><td>Discount</td><td class=\"amount\">−{}</td></tr>",
            money(discount, currency)
        ));
    }
    let trial = trial_days
        .map(|days| {
            format!(
                "<p class=\"notice\">{days}-day free trial. Then {} from {}.</p>",
                money(session["amount_subtotal"].as_i64().unwrap_or(0), currency),
                super::date(session["created"].as_i64().unwrap_or(0) + days * crate::billing::DAY)
            )
        })
        .unwrap_or_default();
    let card_optional = session["payment_method_collection"] == "if_required" && total == 0;
    let takes = |kind: &str| {
        session["payment_method_types"]
            .as_array()
            .is_some_and(|types| types.iter().any(|known| known == kind))
    };
    let card_section = if takes("sepa_debit") {
        let iban = "<label for=\"iban\">IBAN (SEPA Direct Debit)</label><input id=\"iban\" name=\"iban\" placeholder=\"AT61 1904 3002 3457 3201\"";
        if takes("card") {
            format!(
                "{}<p class=\"muted\">Or pay by bank debit:</p>{iban}>",
                card_fields(false)
            )
        } else {
            format!("{iban} required>")
        }
    } else if card_optional {
        format!("<p class=\"muted\">No card needed to start your trial. You can add one now or later.</p>{}", card_fields(false))
    } else {
        card_fields(true)
    };
    let email_field = match &email {
        Some(email) => format!("<label for=\"email\">Email</label><input id=\"email\" name=\"email\" value=\"{}\" readonly>", escape(email)),
        None => "<label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required>".to_owned(),
    };
    let promotion_field = if session["allow_promotion_codes"] == true {
        format!(
            "<label for=\"promotion_code\">Promotion code</label><input id=\"promotion_code\" name=\"promotion_code\" autocomplete=\"off\" value=\"{}\">",
            escape(code.as_deref().unwrap_or_default())
        )
    } else {
        String::new()
    };
    let details_fields = super::checkout_details::fields(&session);
    let action = match (session["mode"].as_str(), trial_days) {
        (Some("subscription"), Some(_)) => "Start trial",
        (Some("subscription"), None) => "Subscribe",
        _ => "Pay",
    };
    let error = error
        .map(|error| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(error)))
        .unwrap_or_default();
    let body = format!(
        r#"<h1>Checkout</h1>{error}
<table aria-label="Order summary">{rows}<tr><th>Total due today</th><th class="amount">{total}</th></tr></table>{trial}
<form method="post" action="/checkout/{id}">{email_field}{promotion_field}{details_fields}
<label for="name">Name on card</label><input id="name" name="name" autocomplete="cc-name">
{card_section}
<button type="submit">{action}</button></form>{back}"#,
        total = money(total, currency),
        id = escape(id),
        back = back_link(&session),
    );
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::PAYMENT_REQUIRED
    };
    page(status, "Checkout", &body)
}

fn back_link(session: &Value) -> String {
    session["cancel_url"]
        .as_str()
        .map(|url| {
            format!(
                "<p><a href=\"{}\">← Cancel and go back</a></p>",
                escape(url)
            )
        })
        .unwrap_or_default()
}

/// `POST /checkout/{id}`: pays, or asks for 3-D Secure, or shows the decline.
pub async fn pay(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if let Some(text) = form
        .get("promotion_code")
        .map(|text| text.trim())
        .filter(|text| !text.is_empty())
    {
        if let Err(message) = emulator.mutate(|world| api::apply_code(world, &id, text)) {
            return render(&emulator, &id, Some(message));
        }
    }
    let optional = emulator.read(|world| {
        world.find("checkout.session", &id).is_some_and(|session| {
            session["payment_method_collection"] == "if_required" && session["amount_total"] == 0
        })
    });
    let given = |field: &str| {
        form.get(field)
            .is_some_and(|value| !value.trim().is_empty())
    };
    if given("iban") && !given("card_number") {
        let iban = form.get("iban").map(String::as_str).unwrap_or_default();
        return match BankAccount::from_iban(iban) {
            Ok(account) => finish(&emulator, &id, Some(Paying::Debit(account)), &form),
            Err(error) => render(&emulator, &id, Some(&error.message)),
        };
    }
    let number_given = given("card_number");
    let card = if optional && !number_given {
        None
    } else {
        match card_from_form(&form) {
            Ok(card) => Some(card),
            Err(message) => return render(&emulator, &id, Some(&message)),
        }
    };
    if let Some(card) = card
        .as_ref()
        .filter(|card| card.behaviour == Behaviour::Requires3ds)
    {
        return challenge(&id, card, &form);
    }
    finish(&emulator, &id, card.map(Paying::Card), &form)
}

/// What the buyer entered.
enum Paying {
    Card(Card),
    Debit(BankAccount),
}

fn finish(
    emulator: &Emulator,
    id: &str,
    paying: Option<Paying>,
    form: &HashMap<String, String>,
) -> Response {
    let email = form
        .get("email")
        .map(String::as_str)
        .unwrap_or_default()
        .trim();
    let name = form
        .get("name")
        .map(String::as_str)
        .unwrap_or_default()
        .trim();
    let needs_email = emulator.read(|world| {
        world.find("checkout.session", id).is_some_and(|session| {
            session["customer"].is_null() && session["customer_email"].is_null()
        })
    });
    if needs_email && !email.contains('@') {
        return render(
            emulator,
            id,
            Some("Enter the email address to send the receipt to."),
        );
    }
    let details = match super::checkout_details::from_form(emulator, id, form) {
        Ok(details) => details,
        Err(message) => return render(emulator, id, Some(&message)),
    };
    let completed = emulator.mutate(|world| {
        let payment_method = paying.map(|paying| {
            let stored = match paying {
                Paying::Card(card) => crate::api::payment_methods::store(world, card),
                Paying::Debit(account) => crate::api::payment_methods::store_debit(world, account),
            };
            stored["id"].as_str().unwrap_or_default().to_owned()
        });
        let payer = api::Payer {
            payment_method,
            email,
            name,
            details,
        };
        api::complete(world, id, payer)
    });
    match completed {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => render(emulator, id, Some(&error.message)),
    }
}

/// The 3-D Secure step, as Stripe's test page shows it.
fn challenge(id: &str, card: &Card, form: &HashMap<String, String>) -> Response {
    let hidden: String = [
        "email",
        "name",
        "card_number",
        "card_expiry",
        "card_cvc",
        "address_line1",
        "address_city",
        "address_postal_code",
        "address_state",
        "address_country",
        "tax_id_type",
        "tax_id_value",
        "business_name",
    ]
    .iter()
    .map(|field| {
        format!(
            "<input type=\"hidden\" name=\"{field}\" value=\"{}\">",
            escape(form.get(*field).map(String::as_str).unwrap_or_default())
        )
    })
    .collect();
    let body = format!(
        r#"<h1>3D Secure 2 test page</h1>
<p>Your bank asks you to confirm this payment with the card ending in {last4}.</p>
<form method="post" action="/checkout/{id}/authenticate">{hidden}
<button type="submit" name="outcome" value="approve">Complete authentication</button>
<button type="submit" name="outcome" value="fail" class="secondary">Fail authentication</button></form>"#,
        last4 = escape(&card.last4),
        id = escape(id),
    );
    page(StatusCode::OK, "Authenticate", &body)
}

/// `POST /checkout/{id}/authenticate`: the 3-D Secure outcome.
pub async fn authenticate(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    if form.get("outcome").map(String::as_str) != Some("approve") {
        return render(&emulator, &id, Some("We are unable to authenticate your payment method. Please choose a different payment method and try again."));
    }
    match card_from_form(&form) {
        Ok(card) => finish(&emulator, &id, Some(Paying::Card(card)), &form),
        Err(message) => render(&emulator, &id, Some(&message)),
    }
}
