//! The hosted customer portal: the customer's subscriptions with switch plan (prorated), cancel (at
//! period end, or at once if the settings say so), renew, resume; the card on file and a form to
//! replace it; invoices; a way back.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::Value;

use super::{card_fields, card_from_form, date, escape, money, page, per_interval, problem};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::world::World;
use crate::Emulator;

/// `GET /portal/{id}`
pub async fn show(
    State(emulator): State<Emulator>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let html = emulator.read(|world| {
        render(
            world,
            &id,
            query.get("done").map(String::as_str),
            query.get("error").map(String::as_str),
        )
    });
    match html {
        Some(body) => page(StatusCode::OK, "Billing", &body),
        None => problem(
            StatusCode::NOT_FOUND,
            "Portal session not found",
            "This link does not lead to a billing portal session.",
        ),
    }
}

fn render(world: &World, id: &str, done: Option<&str>, error: Option<&str>) -> Option<String> {
    let session = world.find("billing_portal.session", id)?;
    let customer_id = session["customer"].as_str()?;
    let customer = world.find("customer", customer_id)?;
    let mut body = String::from("<h1>Billing</h1>");
    if let Some(name) = customer["email"].as_str() {
        body.push_str(&format!("<p class=\"muted\">{}</p>", escape(name)));
    }
    if let Some(done) = done {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(done)
        ));
    }
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>",
            escape(error)
        ));
    }
    body.push_str("<section><h2>Current plan</h2>");
    let subscriptions: Vec<&Value> = world
        .all("subscription")
        .filter(|subscription| {
            subscription["customer"] == customer_id
                && subscription["status"] != "canceled"
                && subscription["status"] != "incomplete_expired"
        })
        .collect();
    if subscriptions.is_empty() {
        body.push_str("<p>No active subscription.</p>");
    }
    let prices: Vec<&Value> = world
        .all("price")
        .filter(|price| price["active"] == true && price["type"] == "recurring")
        .collect();
    for subscription in subscriptions {
        body.push_str(&subscription_section(world, id, subscription, &prices));
    }
    body.push_str("</section><section><h2>Payment method</h2>");
    match world
        .find("customer", customer_id)
        .and_then(|customer| customer["invoice_settings"]["default_payment_method"].as_str())
        .or_else(|| {
            world
                .all("subscription")
                .filter(|sub| sub["customer"] == customer_id)
                .find_map(|sub| sub["default_payment_method"].as_str())
        })
        .and_then(|pm| world.find("payment_method", pm))
        .or_else(|| {
            world
                .all("payment_method")
                .find(|pm| pm["customer"] == customer_id)
        }) {
        Some(pm) => body.push_str(&format!(
            "<p>{} •••• {}, expires {:02}/{}</p>",
            escape(&capitalize(pm["card"]["brand"].as_str().unwrap_or("card"))),
            escape(pm["card"]["last4"].as_str().unwrap_or_default()),
            pm["card"]["exp_month"].as_i64().unwrap_or_default(),
            pm["card"]["exp_year"].as_i64().unwrap_or_default()
        )),
        None => body.push_str("<p>No card on file.</p>"),
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/portal/{id}/card\" aria-label=\"Replace card\">{}<button type=\"submit\">Save card</button></form>",
        card_fields(true),
        id = escape(id)
    ));
    body.push_str("</section><section><h2>Invoices</h2><table aria-label=\"Invoices\">");
    for invoice in world
        .all("invoice")
        .filter(|invoice| invoice["customer"] == customer_id)
        .take(24)
    {
        let link = invoice["hosted_invoice_url"].as_str().unwrap_or_default();
        body.push_str(&format!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
            escape(link),
            escape(invoice["number"].as_str().unwrap_or("Invoice")),
            date(invoice["created"].as_i64().unwrap_or_default()),
            escape(invoice["status"].as_str().unwrap_or_default()),
            money(invoice["total"].as_i64().unwrap_or_default(), invoice["currency"].as_str().unwrap_or("usd"))
        ));
    }
    body.push_str("</table></section>");
    if let Some(url) = session["return_url"].as_str() {
        body.push_str(&format!(
            "<p><a href=\"{}\">← Return to the site</a></p>",
            escape(url)
        ));
    }
    Some(body)
}

fn subscription_section(
    world: &World,
    session: &str,
    subscription: &Value,
    prices: &[&Value],
) -> String {
    let item = &subscription["items"]["data"][0];
    let price = &item["price"];
    let product = world
        .find("product", price["product"].as_str().unwrap_or_default())
        .and_then(|product| product["name"].as_str())
        .unwrap_or("Plan");
    let currency = price["currency"].as_str().unwrap_or("usd");
    let id = subscription["id"].as_str().unwrap_or_default();
    let status = subscription["status"].as_str().unwrap_or_default();
    let period_end = item["current_period_end"].as_i64().unwrap_or_default();
    let state = match status {
        "trialing" => format!(
            "Trial ends {}",
            date(subscription["trial_end"].as_i64().unwrap_or(period_end))
        ),
        "past_due" => "Payment failed — update your card".to_owned(),
        "paused" => "Paused — add a card and resume".to_owned(),
        _ if subscription["cancel_at_period_end"] == true => {
            format!("Cancels {}", date(period_end))
        }
        _ => format!("Renews {}", date(period_end)),
    };
    let mut html = format!(
        "<div><h3>{}</h3><p>{}{} · {}</p>",
        escape(product),
        money(price["unit_amount"].as_i64().unwrap_or_default(), currency),
        escape(&per_interval(price)),
        escape(&state)
    );
    let form = |action: &str, label: &str, extra: &str| {
        let class = if action == "cancel" {
            " class=\"secondary\""
        } else {
            ""
        };
        format!(
            "<form method=\"post\" action=\"/portal/{session}/{action}\"><input type=\"hidden\" name=\"subscription\" value=\"{id}\">{extra}<button type=\"submit\"{class}>{label}</button></form>",
            session = escape(session),
            id = escape(id),
        )
    };
    if status == "paused" {
        html.push_str(&form("resume", "Resume subscription", ""));
    } else if subscription["cancel_at_period_end"] == true {
        html.push_str(&form("renew", "Renew plan", ""));
    } else {
        let options: String = prices
            .iter()
            .filter(|candidate| {
                candidate["id"] != price["id"] && candidate["currency"] == price["currency"]
            })
            .map(|candidate| {
                let name = world
                    .find("product", candidate["product"].as_str().unwrap_or_default())
                    .and_then(|product| product["name"].as_str())
                    .unwrap_or("Plan");
                format!(
                    "<option value=\"{}\">{} — {}{}</option>",
                    escape(candidate["id"].as_str().unwrap_or_default()),
                    escape(name),
                    money(
                        candidate["unit_amount"].as_i64().unwrap_or_default(),
                        currency
                    ),
                    escape(&per_interval(candidate))
                )
            })
            .collect();
        if !options.is_empty() {
            html.push_str(&form(
                "switch",
                "Update plan",
                &format!("<label for=\"price-{id}\">New plan</label><select id=\"price-{id}\" name=\"price\">{options}</select>", id = escape(id)),
            ));
        }
        let label = if world.settings.portal_cancel_mode == "immediately" {
            "Cancel plan now"
        } else {
            "Cancel plan"
        };
        html.push_str(&form("cancel", label, ""));
    }
    html.push_str("</div>");
    html
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// `POST /portal/{id}/{action}`: `switch`, `cancel`, `renew`, `resume` or `card`.
pub async fn act(
    State(emulator): State<Emulator>,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let result = emulator.mutate(|world| perform(world, &id, &action, &form));
    let (key, message) = match result {
        Ok(message) => {
            // A `payment_method_update` flow that redirects when done goes straight back.
            if let Some(url) = after_completion_redirect(&emulator, &id, &action) {
                return Redirect::to(&url).into_response();
            }
            ("done", message)
        }
        Err(error) => ("error", error.message),
    };
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(key, &message)
        .finish();
    Redirect::to(&format!("/portal/{id}?{query}")).into_response()
}

/// Where the session's flow sends the customer once `action` is done, if it redirects: the
/// card form of a `payment_method_update` flow with `after_completion.type = redirect`.
fn after_completion_redirect(emulator: &Emulator, session: &str, action: &str) -> Option<String> {
    emulator.read(|world| {
        let flow = &world.find("billing_portal.session", session)?["flow"];
        let redirects = action == "card"
            && flow["type"] == "payment_method_update"
            && flow["after_completion"]["type"] == "redirect";
        redirects
            .then(|| flow["after_completion"]["redirect"]["return_url"].as_str())
            .flatten()
            .map(str::to_owned)
    })
}

fn perform(
    world: &mut World,
    session: &str,
    action: &str,
    form: &HashMap<String, String>,
) -> Result<String, ApiError> {
    let portal = world.get("billing_portal.session", session, "session")?;
    let customer = portal["customer"].as_str().unwrap_or_default().to_owned();
    let subscription = form.get("subscription").cloned().unwrap_or_default();
    if action != "card" {
        let owned = world
            .find("subscription", &subscription)
            .is_some_and(|found| found["customer"] == customer.as_str());
        if !owned {
            return Err(ApiError::missing_resource(
                "subscription",
                &subscription,
                "subscription",
            ));
        }
    }
    let base_url = world.base_url.clone();
    let make = |raw: String, path: &str| Call {
        params: Params::parse(raw.as_bytes()).unwrap_or_default(),
        path: vec![path.to_owned()],
        base_url: base_url.clone(),
        ..Call::default()
    };
    match action {
        "switch" => {
            let price = form.get("price").cloned().unwrap_or_default();
            let item = world.get("subscription", &subscription, "subscription")?["items"]["data"]
                [0]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let raw = url::form_urlencoded::Serializer::new(String::new())
                .append_pair("items[0][id]", &item)
                .append_pair("items[0][price]", &price)
                .append_pair("proration_behavior", "create_prorations")
                .finish();
            let call = make(raw, &subscription);
            crate::api::subscriptions::update(world, &call)?;
            Ok("Your plan was updated.".to_owned())
        }
        "cancel" if world.settings.portal_cancel_mode == "immediately" => {
            crate::api::subscriptions::cancel(world, &make(String::new(), &subscription))?;
            Ok("Your plan was canceled.".to_owned())
        }
        "cancel" | "renew" => {
            let cancel = action == "cancel";
            let call = make(format!("cancel_at_period_end={cancel}"), &subscription);
            crate::api::subscriptions::update(world, &call)?;
            Ok(if cancel {
                "Your plan will be canceled at the end of the period."
            } else {
                "Your plan will renew."
            }
            .to_owned())
        }
        "resume" => {
            crate::billing::resume(world, &subscription)?;
            Ok("Your subscription was resumed.".to_owned())
        }
        "card" => {
            let card = card_from_form(form).map_err(|message| ApiError::invalid(message, None))?;
            crate::api::payment_methods::make_default(world, &customer, card)?;
            Ok("Your card was saved.".to_owned())
        }
        _ => Err(ApiError::invalid(
            format!("Unknown portal action {action}"),
            None,
        )),
    }
}
