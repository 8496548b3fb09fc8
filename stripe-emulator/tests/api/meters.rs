//! Usage-based billing's meters and their refusals, meter events (identifiers de-duplicated,
//! timestamps held to Stripe's window, adjustments) and summaries by formula.

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
