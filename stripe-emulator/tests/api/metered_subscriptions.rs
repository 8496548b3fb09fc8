//! Metered prices on subscriptions: a meter required, no quantity (subscriptions and Checkout),
//! and invoices in arrears for exactly the recorded usage — at period end after a clock advance,
//! on a test clock, when the subscription ends — with the usage so far in a preview.

use crate::helpers::Emulator;
use crate::meters::{meter, now, report};

/// A metered monthly price of `unit_amount` cents per unit on a meter.
pub async fn metered_price(emulator: &Emulator, meter: &str, unit_amount: &str) -> String {
    let product = emulator.ok("/v1/products", &[("name", "API calls")]).await;
    let price = emulator
        .ok(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", unit_amount),
                ("recurring[interval]", "month"),
                ("recurring[usage_type]", "metered"),
                ("recurring[meter]", meter),
            ],
        )
        .await;
    price["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_metered_price_without_a_meter_is_refused() {
    let emulator = Emulator::start().await;
    let product = emulator.ok("/v1/products", &[("name", "API")]).await;
    let (status, body) = emulator
        .post(
            "/v1/prices",
            &[
                ("product", product["id"].as_str().unwrap()),
                ("currency", "usd"),
                ("unit_amount", "5"),
                ("recurring[interval]", "month"),
                ("recurring[usage_type]", "metered"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "recurring[meter]");
}

#[tokio::test]
async fn a_quantity_on_a_metered_item_is_refused() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "5").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let (status, body) = emulator
        .post(
            "/v1/subscriptions",
            &[
                ("customer", &customer),
                ("items[0][price]", &price),
                ("items[0][quantity]", "2"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "You cannot set the quantity for metered plans."
    );
    assert_eq!(body["error"]["param"], "items[0][quantity]");
    let (status, body) = emulator
        .post(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("success_url", "https://example.com/ok"),
                ("line_items[0][price]", &price),
                ("line_items[0][quantity]", "1"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["message"],
        "Quantity should not be specified where usage_type is `metered`. Remove quantity from `line_items[0]`"
    );
}

#[tokio::test]
async fn a_metered_subscription_is_invoiced_for_exactly_the_recorded_usage_at_period_end() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "5").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    assert_eq!(subscription["status"], "active");
    assert!(subscription["items"]["data"][0].get("quantity").is_none());
    let id = subscription["id"].as_str().unwrap();
    let start = subscription["items"]["data"][0]["current_period_start"]
        .as_i64()
        .unwrap();
    let end = subscription["items"]["data"][0]["current_period_end"]
        .as_i64()
        .unwrap();
    let at = now(&emulator);
    for (index, value) in ["40", "60", "23"].iter().enumerate() {
        report(
            &emulator,
            "api_call",
            &customer,
            value,
            at,
            &format!("u{index}"),
        )
        .await;
    }
    let preview = emulator
        .ok("/v1/invoices/create_preview", &[("subscription", id)])
        .await;
    assert_eq!(preview["amount_due"], 615, "the usage so far: 123 × 5¢");
    emulator.advance_days(20).await;
    report(&emulator, "api_call", &customer, "7", now(&emulator), "u3").await;
    emulator.advance_days(12).await;
    report(
        &emulator,
        "api_call",
        &customer,
        "1000",
        now(&emulator),
        "next-period",
    )
    .await;
    let renewal = emulator.renewal(id).await;
    let line = &renewal["lines"]["data"][0];
    assert_eq!(line["quantity"], 130);
    assert_eq!(line["amount"], 650);
    assert_eq!(line["period"]["start"], start);
    assert_eq!(line["period"]["end"], end);
    assert_eq!(renewal["amount_due"], 650);
    assert_eq!(renewal["status"], "paid");
}

#[tokio::test]
async fn a_test_clock_customers_usage_is_dated_and_billed_on_its_clock() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "count").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "25").await;
    let frozen: i64 = 1_800_000_000;
    let clock = emulator
        .ok(
            "/v1/test_helpers/test_clocks",
            &[("frozen_time", &frozen.to_string())],
        )
        .await;
    let clock = clock["id"].as_str().unwrap();
    let customer = emulator
        .ok(
            "/v1/customers",
            &[("test_clock", clock), ("payment_method", "pm_card_visa")],
        )
        .await;
    let customer = customer["id"].as_str().unwrap();
    let methods = emulator
        .fetch(&format!("/v1/customers/{customer}/payment_methods"))
        .await;
    let card = methods["data"][0]["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/customers/{customer}"),
            &[("invoice_settings[default_payment_method]", card)],
        )
        .await;
    let subscription = emulator.subscribe(customer, &price, &[]).await;
    for index in 0..4 {
        let (status, body) = report(
            &emulator,
            "api_call",
            customer,
            "1",
            frozen + 60,
            &format!("c{index}"),
        )
        .await;
        assert_eq!(status, 200, "dated by the test clock: {body}");
    }
    let next_month = (frozen + 32 * 86_400).to_string();
    emulator
        .ok(
            &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
            &[("frozen_time", &next_month)],
        )
        .await;
    let id = subscription["id"].as_str().unwrap();
    let renewal = emulator.renewal(id).await;
    assert_eq!(renewal["lines"]["data"][0]["quantity"], 4);
    assert_eq!(renewal["amount_due"], 100);
}

#[tokio::test]
async fn checkout_sells_a_metered_price_without_a_quantity() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "5").await;
    let session = emulator
        .ok(
            "/v1/checkout/sessions",
            &[
                ("mode", "subscription"),
                ("line_items[0][price]", &price),
                ("success_url", "https://example.com/ok"),
            ],
        )
        .await;
    assert_eq!(session["amount_total"], 0, "usage is billed at period end");
    let page = emulator.page(session["url"].as_str().unwrap()).await;
    assert!(page.contains("Billed by usage / month"), "{page}");
    let id = session["id"].as_str().unwrap();
    let items = emulator
        .fetch(&format!("/v1/checkout/sessions/{id}/line_items"))
        .await;
    assert!(items["data"][0]["quantity"].is_null());
    let paid = emulator
        .submit(
            session["url"].as_str().unwrap(),
            &[
                ("email", "pat@example.com"),
                ("card_number", "4242424242424242"),
                ("card_expiry", "12 / 34"),
                ("card_cvc", "123"),
            ],
        )
        .await;
    assert_eq!(paid.status, 303, "{}", paid.body);
    let session = emulator.fetch(&format!("/v1/checkout/sessions/{id}")).await;
    let subscription = session["subscription"].as_str().unwrap();
    let subscription = emulator
        .fetch(&format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(subscription["status"], "active");
    let item = &subscription["items"]["data"][0];
    assert_eq!(item["price"]["id"], price.as_str());
    assert!(item.get("quantity").is_none());
}

#[tokio::test]
async fn a_metered_subscription_ending_at_period_end_bills_its_last_periods_usage() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "5").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    emulator
        .ok(
            &format!("/v1/subscriptions/{id}"),
            &[("cancel_at_period_end", "true")],
        )
        .await;
    report(
        &emulator,
        "api_call",
        &customer,
        "20",
        now(&emulator),
        "last",
    )
    .await;
    emulator.advance_days(32).await;
    let ended = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(ended["status"], "canceled");
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=10"))
        .await;
    let last = &invoices["data"][0];
    assert_eq!(last["lines"]["data"][0]["quantity"], 20);
    assert_eq!(last["amount_paid"], 100);
    assert_eq!(ended["latest_invoice"], last["id"]);
}

#[tokio::test]
async fn canceling_at_once_with_invoice_now_bills_the_usage_so_far() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "count").await;
    let price = metered_price(&emulator, meter["id"].as_str().unwrap(), "30").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    for index in 0..3 {
        report(
            &emulator,
            "api_call",
            &customer,
            "1",
            now(&emulator),
            &format!("n{index}"),
        )
        .await;
    }
    let response = emulator
        .client
        .delete(emulator.url(&format!("/v1/subscriptions/{id}?invoice_now=true")))
        .bearer_auth(crate::helpers::KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=10"))
        .await;
    assert_eq!(invoices["data"][0]["amount_paid"], 90);
    assert_eq!(invoices["data"][0]["lines"]["data"][0]["quantity"], 3);
}
