//! Usage-based billing: meters and their refusals, meter events (identifiers de-duplicated,
//! timestamps held to Stripe's window), summaries by formula, metered prices and the quantity
//! they refuse, and a metered subscription invoiced for exactly the recorded usage at period end.

use serde_json::Value;

use crate::helpers::Emulator;

/// A meter with the given formula on `event_name`.
pub async fn meter(emulator: &Emulator, event_name: &str, formula: &str) -> Value {
    emulator
        .ok(
            "/v1/billing/meters",
            &[
                ("display_name", "API calls"),
                ("event_name", event_name),
                ("default_aggregation[formula]", formula),
            ],
        )
        .await
}

/// The emulator's clock now.
pub fn now(emulator: &Emulator) -> i64 {
    emulator.running.emulator.read(|world| world.now())
}

/// Reports `value` for `customer` at `timestamp` with an identifier.
pub async fn report(
    emulator: &Emulator,
    event_name: &str,
    customer: &str,
    value: &str,
    timestamp: i64,
    identifier: &str,
) -> (u16, Value) {
    emulator
        .post(
            "/v1/billing/meter_events",
            &[
                ("event_name", event_name),
                ("payload[stripe_customer_id]", customer),
                ("payload[value]", value),
                ("timestamp", &timestamp.to_string()),
                ("identifier", identifier),
            ],
        )
        .await
}

/// A metered monthly price of `unit_amount` cents per unit on a meter.
async fn metered_price(emulator: &Emulator, meter: &str, unit_amount: &str) -> String {
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

/// The whole-minute window that holds `[from, to)`.
fn minutes(from: i64, to: i64) -> (String, String) {
    (
        (from - from % 60).to_string(),
        (to - to % 60 + 60).to_string(),
    )
}

#[tokio::test]
async fn a_second_active_meter_with_the_same_event_name_is_refused() {
    let emulator = Emulator::start().await;
    let first = meter(&emulator, "api_call", "sum").await;
    assert_eq!(first["status"], "active");
    assert_eq!(
        first["customer_mapping"]["event_payload_key"],
        "stripe_customer_id"
    );
    assert_eq!(first["value_settings"]["event_payload_key"], "value");
    let (status, body) = emulator
        .post(
            "/v1/billing/meters",
            &[
                ("display_name", "Again"),
                ("event_name", "api_call"),
                ("default_aggregation[formula]", "sum"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "event_name");
    let id = first["id"].as_str().unwrap();
    let inactive = emulator
        .ok(&format!("/v1/billing/meters/{id}/deactivate"), &[])
        .await;
    assert_eq!(inactive["status"], "inactive");
    assert!(inactive["status_transitions"]["deactivated_at"].is_i64());
    meter(&emulator, "api_call", "count").await;
    let (status, _) = emulator
        .post(&format!("/v1/billing/meters/{id}/reactivate"), &[])
        .await;
    assert_eq!(status, 400, "its name now belongs to another active meter");
    let active = emulator.fetch("/v1/billing/meters?status=active").await;
    assert_eq!(active["data"].as_array().unwrap().len(), 1);
    let types = emulator.event_types().await;
    assert!(types.contains(&"billing.meter.created".to_owned()));
    assert!(types.contains(&"billing.meter.deactivated".to_owned()));
}

#[tokio::test]
async fn an_unknown_formula_is_refused_with_the_allowed_values() {
    let emulator = Emulator::start().await;
    let (status, body) = emulator
        .post(
            "/v1/billing/meters",
            &[
                ("display_name", "API calls"),
                ("event_name", "api_call"),
                ("default_aggregation[formula]", "max"),
            ],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "default_aggregation[formula]");
}

#[tokio::test]
async fn only_the_display_name_of_a_meter_changes() {
    let emulator = Emulator::start().await;
    let id = meter(&emulator, "api_call", "sum").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let renamed = emulator
        .ok(
            &format!("/v1/billing/meters/{id}"),
            &[("display_name", "Requests")],
        )
        .await;
    assert_eq!(renamed["display_name"], "Requests");
    let (status, body) = emulator
        .post(
            &format!("/v1/billing/meters/{id}"),
            &[("event_name", "other")],
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "parameter_unknown");
}

#[tokio::test]
async fn a_repeated_identifier_is_refused_and_counted_once() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let at = now(&emulator);
    let (status, event) = report(&emulator, "api_call", &customer, "5", at, "req-1").await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["object"], "billing.meter_event");
    assert_eq!(event["identifier"], "req-1");
    let (status, body) = report(&emulator, "api_call", &customer, "5", at, "req-1").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["param"], "identifier");
    let (start, end) = minutes(at, at);
    let id = meter["id"].as_str().unwrap();
    let summaries = emulator
        .fetch(&format!(
            "/v1/billing/meters/{id}/event_summaries?customer={customer}&start_time={start}&end_time={end}"
        ))
        .await;
    assert_eq!(summaries["data"][0]["aggregated_value"], 5);
}

#[tokio::test]
async fn timestamps_older_than_35_days_or_over_5_minutes_ahead_are_refused() {
    let emulator = Emulator::start().await;
    meter(&emulator, "api_call", "sum").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let at = now(&emulator);
    for (timestamp, identifier) in [(at - 36 * 86_400, "old"), (at + 10 * 60, "ahead")] {
        let (status, body) =
            report(&emulator, "api_call", &customer, "1", timestamp, identifier).await;
        assert_eq!(status, 400, "{identifier}: {body}");
        assert_eq!(body["error"]["param"], "timestamp");
    }
    let (status, _) = report(
        &emulator,
        "api_call",
        &customer,
        "1",
        at - 34 * 86_400,
        "ok",
    )
    .await;
    assert_eq!(status, 200, "34 days back is within the window");
    emulator.advance_days(40).await;
    let (status, _) = report(&emulator, "api_call", &customer, "1", at, "late").await;
    assert_eq!(status, 400, "the window follows the emulator's clock");
}

#[tokio::test]
async fn summaries_aggregate_by_the_meters_formula() {
    let emulator = Emulator::start().await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let other = emulator.customer_with("pm_card_visa").await;
    let at = now(&emulator);
    let mut expected = Vec::new();
    for (formula, value) in [("sum", 10), ("count", 3), ("last", 4)] {
        let name = format!("calls_{formula}");
        let meter = meter(&emulator, &name, formula).await;
        for (offset, value) in [(0, "2"), (1, "4"), (2, "4")] {
            let identifier = format!("{formula}-{offset}");
            report(
                &emulator,
                &name,
                &customer,
                value,
                at - 120 + offset,
                &identifier,
            )
            .await;
        }
        report(
            &emulator,
            &name,
            &other,
            "100",
            at - 120,
            &format!("{formula}-other"),
        )
        .await;
        expected.push((meter["id"].as_str().unwrap().to_owned(), value));
    }
    let (start, end) = minutes(at - 120, at);
    for (meter, value) in expected {
        let summaries = emulator
            .fetch(&format!(
                "/v1/billing/meters/{meter}/event_summaries?customer={customer}&start_time={start}&end_time={end}"
            ))
            .await;
        assert_eq!(summaries["data"][0]["aggregated_value"], value, "{meter}");
        assert_eq!(
            summaries["data"][0]["object"],
            "billing.meter_event_summary"
        );
    }
}

#[tokio::test]
async fn a_canceled_meter_event_stops_counting() {
    let emulator = Emulator::start().await;
    let meter = meter(&emulator, "api_call", "sum").await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let at = now(&emulator);
    report(&emulator, "api_call", &customer, "3", at, "keep").await;
    report(&emulator, "api_call", &customer, "7", at, "mistake").await;
    let adjustment = emulator
        .ok(
            "/v1/billing/meter_event_adjustments",
            &[
                ("event_name", "api_call"),
                ("type", "cancel"),
                ("cancel[identifier]", "mistake"),
            ],
        )
        .await;
    assert_eq!(adjustment["status"], "complete");
    let (start, end) = minutes(at, at);
    let id = meter["id"].as_str().unwrap();
    let summaries = emulator
        .fetch(&format!(
            "/v1/billing/meters/{id}/event_summaries?customer={customer}&start_time={start}&end_time={end}"
        ))
        .await;
    assert_eq!(summaries["data"][0]["aggregated_value"], 3);
}

#[tokio::test]
async fn summaries_off_minute_boundaries_are_refused() {
    let emulator = Emulator::start().await;
    let id = meter(&emulator, "api_call", "sum").await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let customer = emulator.customer_with("pm_card_visa").await;
    let (status, body) = emulator
        .get(&format!(
            "/v1/billing/meters/{id}/event_summaries?customer={customer}&start_time=61&end_time=3600"
        ))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["param"], "start_time");
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
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=10"))
        .await;
    let renewal = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|invoice| invoice["billing_reason"] == "subscription_cycle")
        .expect("a renewal invoice")
        .clone();
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
    let invoices = emulator
        .fetch(&format!("/v1/invoices?subscription={id}&limit=10"))
        .await;
    let renewal = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|invoice| invoice["billing_reason"] == "subscription_cycle")
        .expect("a renewal invoice on the clock's time")
        .clone();
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
