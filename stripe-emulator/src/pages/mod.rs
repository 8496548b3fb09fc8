//! The hosted pages a browser visits: Checkout (`/checkout/{id}`), the customer portal
//! (`/portal/{id}`), invoices (`/invoices/{id}`), 3-D Secure (`/authenticate/{id}`), Connect
//! onboarding (`/connect/onboarding/{token}`) and the Express dashboard
//! (`/connect/express/{token}`). Plain server-rendered HTML forms, no scripts.

mod authenticate;
mod checkout;
mod checkout_details;
mod express;
mod invoice;
mod onboarding;
mod portal;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::Value;

use crate::Emulator;

/// Routes of the hosted pages.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/checkout/{id}", get(checkout::show).post(checkout::pay))
        .route("/checkout/{id}/authenticate", post(checkout::authenticate))
        .route(
            "/authenticate/{id}",
            get(authenticate::show).post(authenticate::finish),
        )
        .route("/portal/{id}", get(portal::show))
        .route("/portal/{id}/{action}", post(portal::act))
        .route("/invoices/{id}", get(invoice::show).post(invoice::pay))
        .route("/invoices/{id}/pdf", get(invoice::pdf))
        .route(
            "/connect/onboarding/{token}",
            get(onboarding::show).post(onboarding::submit),
        )
        .route("/connect/express/{token}", get(express::show))
}

/// Escapes text for HTML bodies and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];

/// An amount in minor units as people read it (`$20.00`, `¥2,000`, `20.00 CHF`).
pub fn money(amount: i64, currency: &str) -> String {
    let currency = currency.to_ascii_lowercase();
    let negative = amount < 0;
    let amount = amount.unsigned_abs();
    let number = if ZERO_DECIMAL.contains(&currency.as_str()) {
        group(amount)
    } else {
        format!("{}.{:02}", group(amount / 100), amount % 100)
    };
    let shown = match currency.as_str() {
        "usd" => format!("${number}"),
        "eur" => format!("€{number}"),
        "gbp" => format!("£{number}"),
        "jpy" => format!("¥{number}"),
        other => format!("{number} {}", other.to_ascii_uppercase()),
    };
    if negative {
        format!("−{shown}")
    } else {
        shown
    }
}

fn group(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `/ month`, `/ 3 months`, or nothing for one-time prices.
pub fn per_interval(price: &Value) -> String {
    let recurring = &price["recurring"];
    match (
        recurring["interval"].as_str(),
        recurring["interval_count"].as_i64().unwrap_or(1),
    ) {
        (Some(interval), 1) => format!(" / {interval}"),
        (Some(interval), count) => format!(" / {count} {interval}s"),
        _ => String::new(),
    }
}

/// A unix time as a date (`2026-11-25`).
pub fn date(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .map(|at| at.date().to_string())
        .unwrap_or_default()
}

/// A full page around `body`.
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Stripe emulator</title>
<style>
body{{font-family:system-ui,sans-serif;background:#f6f8fa;color:#1a1f36;margin:0}}
main{{max-width:34rem;margin:2rem auto;background:#fff;border-radius:12px;padding:2rem;box-shadow:0 2px 12px rgba(0,0,0,.08)}}
h1{{font-size:1.4rem;margin-top:0}} h2{{font-size:1.1rem}} .muted{{color:#697386}} .banner{{font-size:.8rem;color:#4f566b;text-align:center;margin-top:1rem}}
label{{display:block;margin:.75rem 0 .25rem;font-weight:600}} input,select{{width:100%;box-sizing:border-box;padding:.6rem;border:1px solid #c9d0d9;border-radius:6px;font-size:1rem}}
button{{margin-top:1rem;width:100%;padding:.75rem;border:0;border-radius:6px;background:#635bff;color:#fff;font-size:1rem;cursor:pointer}}
button.secondary{{background:#fff;color:#635bff;border:1px solid #635bff}} .error{{background:#fde8e8;color:#9b1c1c;padding:.75rem;border-radius:6px}}
.notice{{background:#e8f5ee;color:#0d6b3b;padding:.75rem;border-radius:6px}} table{{width:100%;border-collapse:collapse}} td,th{{padding:.4rem 0;text-align:left}} .amount{{text-align:right}}
.row{{display:flex;gap:.75rem}} .row>div{{flex:1}} section{{border-top:1px solid #e3e8ee;margin-top:1.5rem;padding-top:1rem}}
</style></head>
<body><main>{body}</main><footer><p class="banner">Stripe emulator — test mode. No real money moves.</p></footer></body></html>"#,
        title = escape(title),
    );
    (status, Html(html)).into_response()
}

/// A page saying something cannot be shown.
pub fn problem(status: StatusCode, title: &str, message: &str) -> Response {
    page(
        status,
        title,
        &format!("<h1>{}</h1><p>{}</p>", escape(title), escape(message)),
    )
}

/// Reads a card from the page's form fields (`card_number`, `card_expiry` as `MM / YY`, `card_cvc`).
pub fn card_from_form(
    form: &std::collections::HashMap<String, String>,
) -> Result<crate::cards::Card, String> {
    let number = form
        .get("card_number")
        .map(String::as_str)
        .unwrap_or_default();
    let expiry = form
        .get("card_expiry")
        .map(String::as_str)
        .unwrap_or_default();
    let digits: Vec<&str> = expiry
        .split(|c: char| !c.is_ascii_digit())
        .filter(|part| !part.is_empty())
        .collect();
    let (month, year) = match digits.as_slice() {
        [month, year] => (
            month.parse::<i64>().unwrap_or(0),
            year.parse::<i64>().unwrap_or(0),
        ),
        [both] if both.len() == 4 => (
            both[..2].parse().unwrap_or(0),
            both[2..].parse().unwrap_or(0),
        ),
        _ => return Err("Your card's expiration date is incomplete.".to_owned()),
    };
    let year = if year < 100 { 2000 + year } else { year };
    let cvc = form.get("card_cvc").map(String::as_str).unwrap_or_default();
    if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err("Your card's security code is incomplete.".to_owned());
    }
    crate::cards::Card::from_number(number, month, year).map_err(|error| error.message)
}

/// The card fields shared by the Checkout, portal and invoice pages.
pub fn card_fields(required: bool) -> String {
    let required = if required { " required" } else { "" };
    format!(
        r#"<label for="card_number">Card number</label>
<input id="card_number" name="card_number" inputmode="numeric" autocomplete="cc-number" placeholder="4242 4242 4242 4242"{required}>
<div class="row"><div><label for="card_expiry">Expiry (MM / YY)</label>
<input id="card_expiry" name="card_expiry" autocomplete="cc-exp" placeholder="12 / 34"{required}></div>
<div><label for="card_cvc">CVC</label><input id="card_cvc" name="card_cvc" inputmode="numeric" autocomplete="cc-csc" placeholder="123"{required}></div></div>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_respect_zero_decimal_currencies() {
        assert_eq!(money(2000, "usd"), "$20.00");
        assert_eq!(money(2000, "jpy"), "¥2,000");
        assert_eq!(money(123_456_789, "eur"), "€1,234,567.89");
        assert_eq!(money(-500, "chf"), "−5.00 CHF");
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b a=\"x\">&'"),
            "&lt;b a=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
