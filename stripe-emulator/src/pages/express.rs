//! The Express dashboard a login link opens (`/connect/express/{token}`): the connected
//! account's balance and its payouts, newest first.
//! <https://docs.stripe.com/connect/express-dashboard>

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use super::{date, escape, money, page, problem};
use crate::Emulator;

/// `GET /connect/express/{token}`
pub async fn show(State(emulator): State<Emulator>, Path(token): Path<String>) -> Response {
    let found = emulator.read(|world| {
        let id = world.connect.logins.get(&token)?;
        world.connected_account(id).cloned()
    });
    let Some(account) = found else {
        return problem(
            StatusCode::NOT_FOUND,
            "Link not found",
            "This login link does not exist. Ask the platform for a new one.",
        );
    };
    let id = account["id"].as_str().unwrap_or_default().to_owned();
    // Read as the account: its own balance and payouts.
    let (balance, payouts) = emulator.mutate_quiet(|world| {
        world.as_account(Some(&id), |world| {
            let balance = crate::money::ledger::balance(world);
            let payouts: Vec<Value> = world.all("payout").cloned().collect();
            (balance, payouts)
        })
    });
    let funds = |kind: &str| -> String {
        balance[kind]
            .as_array()
            .into_iter()
            .flatten()
            .map(|funds| {
                money(
                    funds["amount"].as_i64().unwrap_or(0),
                    funds["currency"].as_str().unwrap_or("usd"),
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let rows: String = payouts
        .iter()
        .map(|payout| {
            format!(
                "<tr><td>{}</td><td>{}</td><td class=\"amount\">{}</td></tr>",
                date(payout["arrival_date"].as_i64().unwrap_or(0)),
                escape(payout["status"].as_str().unwrap_or_default()),
                money(
                    payout["amount"].as_i64().unwrap_or(0),
                    payout["currency"].as_str().unwrap_or("usd")
                ),
            )
        })
        .collect();
    let payouts = if rows.is_empty() {
        "<p class=\"muted\">No payouts yet.</p>".to_owned()
    } else {
        format!("<table><thead><tr><th>Arrival</th><th>Status</th><th class=\"amount\">Amount</th></tr></thead><tbody>{rows}</tbody></table>")
    };
    let name = account["business_profile"]["name"]
        .as_str()
        .or(account["email"].as_str())
        .unwrap_or(&id);
    page(
        StatusCode::OK,
        "Express dashboard",
        &format!(
            "<h1>{}</h1><section><h2>Balance</h2><p>Available: {}</p><p>Pending: {}</p></section><section><h2>Payouts</h2>{payouts}</section>",
            escape(name),
            funds("available"),
            funds("pending"),
        ),
    )
}
