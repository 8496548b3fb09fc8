//! Billing credits: grants and their refusals, the balance summary and transactions, and credits
//! taken off a metered renewal invoice before it is charged.

use serde_json::Value;

use crate::helpers::Emulator;
use crate::metered_subscriptions::metered_price;
use crate::meters::meter;

/// Grants `value` cents of metered-usage credit to a customer, with any other parameters.
async fn grant(emulator: &Emulator, customer: &str, value: &str, extra: &[(&str, &str)]) -> Value {
    let mut form = vec![
        ("customer", customer),
        ("amount[type]", "monetary"),
        ("amount[monetary][value]", value),
        ("amount[monetary][currency]", "usd"),
        ("applicability_config[scope][price_type]", "metered"),
        ("category", "promotional"),
        ("name", "Launch credit"),
    ];
    form.extend_from_slice(extra);
    emulator.ok("/v1/billing/credit_grants", &form).await
}

/// The customer's metered credit balance in cents.
async fn balance(emulator: &Emulator, customer: &str) -> i64 {
    let summary = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_summary?customer={customer}&filter[type]=applicability_scope&filter[applicability_scope][price_type]=metered"
        ))
        .await;
    summary["balances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            entry["available_balance"]["monetary"]["value"]
                .as_i64()
                .unwrap()
        })
        .sum()
}

/// A customer on a 5¢-a-call metered price; returns (customer, subscription).
async fn metered_customer(emulator: &Emulator) -> (String, Value) {
    let meter = meter(emulator, "api_call", "sum").await;
    let price = metered_price(emulator, meter["id"].as_str().unwrap(), "5").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    (customer, subscription)
}

#[tokio::test]
async fn a_grant_credits_the_balance_and_records_its_transaction() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let created = grant(&emulator, &customer, "500", &[]).await;
    assert_eq!(created["object"], "billing.credit_grant");
    assert_eq!(created["amount"]["monetary"]["value"], 500);
    assert_eq!(created["category"], "promotional");
    assert_eq!(balance(&emulator, &customer).await, 500);
    let transactions = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_transactions?customer={customer}"
        ))
        .await;
    assert_eq!(transactions["data"][0]["type"], "credit");
    assert_eq!(transactions["data"][0]["credit"]["type"], "credits_granted");
    let types = emulator.event_types().await;
    assert!(types.contains(&"billing.credit_grant.created".to_owned()));
    assert!(types.contains(&"billing.credit_balance_transaction.created".to_owned()));
}

#[tokio::test]
async fn a_grant_without_an_amount_or_expiring_before_it_starts_is_refused() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let (status, body) = emulator
        .post(
            "/v1/billing/credit_grants",
            &[
                ("customer", &customer),
                ("amount[type]", "monetary"),
                ("applicability_config[scope][price_type]", "metered"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "parameter_missing");
    let (status, body) = emulator
        .post(
            "/v1/billing/credit_grants",
            &[
                ("customer", &customer),
                ("amount[type]", "monetary"),
                ("amount[monetary][value]", "500"),
                ("amount[monetary][currency]", "usd"),
                ("applicability_config[scope][price_type]", "metered"),
                ("expires_at", "1000"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "expires_at");
}

#[tokio::test]
async fn an_expired_or_voided_grant_leaves_the_balance_and_cannot_end_twice() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let first = grant(&emulator, &customer, "500", &[]).await;
    let second = grant(&emulator, &customer, "300", &[]).await;
    assert_eq!(balance(&emulator, &customer).await, 800);
    let first = first["id"].as_str().unwrap();
    let expired = emulator
        .ok(&format!("/v1/billing/credit_grants/{first}/expire"), &[])
        .await;
    assert!(expired["expires_at"].is_i64());
    let second = second["id"].as_str().unwrap();
    let voided = emulator
        .ok(&format!("/v1/billing/credit_grants/{second}/void"), &[])
        .await;
    assert!(voided["voided_at"].is_i64());
    assert_eq!(balance(&emulator, &customer).await, 0);
    let (status, _) = emulator
        .post(&format!("/v1/billing/credit_grants/{second}/void"), &[])
        .await;
    assert_eq!(status, 400);
    let debits = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_transactions?customer={customer}&credit_grant={first}"
        ))
        .await;
    assert_eq!(debits["data"][0]["debit"]["type"], "credits_expired");
    assert_eq!(
        debits["data"][0]["debit"]["amount"]["monetary"]["value"],
        500
    );
}

#[tokio::test]
async fn credits_come_off_metered_usage_before_the_renewal_is_charged() {
    let emulator = Emulator::start().await;
    let (customer, subscription) = metered_customer(&emulator).await;
    let grant = grant(&emulator, &customer, "500", &[]).await;
    let now = emulator
        .running
        .emulator
        .read(|world| world.now())
        .to_string();
    emulator
        .ok(
            "/v1/billing/meter_events",
            &[
                ("event_name", "api_call"),
                ("payload[stripe_customer_id]", &customer),
                ("payload[value]", "130"),
                ("timestamp", &now),
                ("identifier", "usage-1"),
            ],
        )
        .await;
    let id = subscription["id"].as_str().unwrap();
    let preview = emulator
        .ok("/v1/invoices/create_preview", &[("subscription", id)])
        .await;
    assert_eq!(preview["subtotal"], 650);
    assert_eq!(preview["amount_due"], 150, "the preview shows the credit");
    assert_eq!(
        balance(&emulator, &customer).await,
        500,
        "a preview spends nothing"
    );
    emulator.advance_days(32).await;
    let renewal = emulator.renewal(id).await;
    assert_eq!(renewal["subtotal"], 650);
    assert_eq!(renewal["total"], 150);
    assert_eq!(renewal["amount_due"], 150);
    assert_eq!(
        renewal["amount_paid"], 150,
        "only what the credit did not cover is charged"
    );
    let credit = &renewal["total_pretax_credit_amounts"][0];
    assert_eq!(credit["amount"], 500);
    assert_eq!(credit["type"], "credit_balance_transaction");
    assert_eq!(balance(&emulator, &customer).await, 0);
    let grant_id = grant["id"].as_str().unwrap();
    let applied = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_transactions?customer={customer}&credit_grant={grant_id}"
        ))
        .await;
    let debit = &applied["data"][0]["debit"];
    assert_eq!(debit["type"], "credits_applied");
    assert_eq!(debit["credits_applied"]["invoice"], renewal["id"]);
    assert_eq!(
        credit["credit_balance_transaction"],
        applied["data"][0]["id"]
    );
}

#[tokio::test]
async fn voiding_an_invoice_gives_its_credits_back() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "5").await;
    let customer = emulator.customer_with("pm_card_chargeCustomerFail").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    grant(&emulator, &customer, "300", &[]).await;
    let now = crate::meters::now(&emulator);
    crate::meters::report(&emulator, "api_call", &customer, "100", now, "u1").await;
    emulator.advance_days(32).await;
    let renewal = emulator.renewal(subscription["id"].as_str().unwrap()).await;
    assert_eq!(renewal["status"], "open", "the card fails");
    assert_eq!(renewal["amount_due"], 200);
    assert_eq!(balance(&emulator, &customer).await, 0);
    let id = renewal["id"].as_str().unwrap();
    let voided = emulator.ok(&format!("/v1/invoices/{id}/void"), &[]).await;
    assert_eq!(voided["status"], "void");
    assert_eq!(balance(&emulator, &customer).await, 300);
    let transactions = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_transactions?customer={customer}"
        ))
        .await;
    let back = &transactions["data"][0]["credit"];
    assert_eq!(back["type"], "credits_application_invoice_voided");
    assert_eq!(back["credits_application_invoice_voided"]["invoice"], id);
}

#[tokio::test]
async fn a_grant_past_its_expiry_stops_counting_and_its_rest_is_debited() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let in_a_week = (crate::meters::now(&emulator) + 7 * 86_400).to_string();
    let created = grant(&emulator, &customer, "400", &[("expires_at", &in_a_week)]).await;
    assert_eq!(balance(&emulator, &customer).await, 400);
    emulator.advance_days(8).await;
    assert_eq!(balance(&emulator, &customer).await, 0);
    let id = created["id"].as_str().unwrap();
    let transactions = emulator
        .fetch(&format!(
            "/v1/billing/credit_balance_transactions?customer={customer}&credit_grant={id}"
        ))
        .await;
    assert_eq!(transactions["data"][0]["debit"]["type"], "credits_expired");
    assert_eq!(
        transactions["data"].as_array().unwrap().len(),
        2,
        "granted, then expired once"
    );
}
