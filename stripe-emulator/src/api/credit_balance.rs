//! A customer's billing credit balance: `GET /v1/billing/credit_balance_summary` (`customer`,
//! `filter[type]=applicability_scope` with `filter[applicability_scope][price_type]=metered` or
//! `[prices][]`, or `filter[type]=credit_grant` with `filter[credit_grant]`), and the credit
//! balance transactions (list by `customer` and `credit_grant`, retrieve).
//! <https://docs.stripe.com/api/billing/credit-balance-summary>

use std::collections::BTreeMap;

use axum::routing::get;
use axum::Router;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{op, Call};
use crate::metering::credits::{remaining, usable};
use crate::world::World;
use crate::Emulator;

/// The credit balance routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/billing/credit_balance_summary", get(op(summary)))
        .route(
            "/v1/billing/credit_balance_transactions",
            get(op(transactions)),
        )
        .route(
            "/v1/billing/credit_balance_transactions/{id}",
            get(op(transaction)),
        )
}

/// `GET /v1/billing/credit_balance_summary`: the usable balance per currency of the grants the
/// filter selects (every debit is written at finalization, so the ledger and available balances
/// agree).
pub fn summary(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = params.required("customer")?.to_owned();
    world.get("customer", &customer, "customer")?;
    let now = world.now_for_customer(&customer);
    let grant_id = match params.required("filter.type")? {
        "credit_grant" => Some(params.required("filter.credit_grant")?.to_owned()),
        _ => None,
    };
    let prices: Vec<String> = params
        .array("filter.applicability_scope.prices")
        .iter()
        .filter_map(|entry| entry["id"].as_str().map(str::to_owned))
        .collect();
    let mut balances: BTreeMap<String, i64> = BTreeMap::new();
    for grant in world.all("billing.credit_grant") {
        let scope = &grant["applicability_config"]["scope"];
        let selected = match &grant_id {
            Some(id) => grant["id"] == id.as_str(),
            None if prices.is_empty() => scope["price_type"] == "metered",
            None => scope["prices"].as_array().is_some_and(|own| {
                own.iter()
                    .any(|price| prices.iter().any(|id| price["id"] == id.as_str()))
            }),
        };
        if grant["customer"] != customer.as_str() || !selected || !usable(grant, now) {
            continue;
        }
        let currency = grant["amount"]["monetary"]["currency"]
            .as_str()
            .unwrap_or("usd")
            .to_owned();
        *balances.entry(currency).or_default() += remaining(world, grant);
    }
    let balances: Vec<Value> = balances
        .into_iter()
        .map(|(currency, value)| {
            let amount =
                json!({ "monetary": { "currency": currency, "value": value }, "type": "monetary" });
            json!({ "available_balance": amount, "ledger_balance": amount })
        })
        .collect();
    Ok(json!({
        "object": "billing.credit_balance_summary",
        "balances": balances,
        "customer": customer,
        "customer_account": null,
        "livemode": false,
    }))
}

/// `GET /v1/billing/credit_balance_transactions`: a customer's, or one grant's.
pub fn transactions(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let customer = params.required("customer")?.to_owned();
    let grant = params.str("credit_grant").map(str::to_owned);
    let grants: Vec<Value> = world
        .all("billing.credit_grant")
        .filter(|each| each["customer"] == customer.as_str())
        .map(|each| each["id"].clone())
        .collect();
    super::list_objects(
        world,
        params,
        "billing.credit_balance_transaction",
        "/v1/billing/credit_balance_transactions",
        |transaction| {
            grants.contains(&transaction["credit_grant"])
                && grant
                    .as_deref()
                    .is_none_or(|grant| transaction["credit_grant"] == grant)
        },
    )
}

/// `GET /v1/billing/credit_balance_transactions/{id}`
pub fn transaction(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("billing.credit_balance_transaction", call.id(), "id")
}
