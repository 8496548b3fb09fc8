//! API v2 of usage-based billing: a meter event session's token authenticates the stream, whose
//! events count once accepted, while events no meter can use become thin events
//! (`v1.billing.meter.no_meter_found`, `v1.billing.meter.error_report_triggered`) in
//! `GET /v2/core/events`.

use serde_json::{json, Value};

use crate::helpers::{Emulator, KEY};

/// POSTs a JSON body to a v2 path with a bearer token.
async fn post_json(emulator: &Emulator, path: &str, token: &str, body: Value) -> (u16, Value) {
    let response = emulator
        .client
        .post(emulator.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .expect("v2 request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// The types of the thin events, newest first.
async fn thin_event_types(emulator: &Emulator) -> Vec<String> {
    let events = emulator.fetch("/v2/core/events").await;
    events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["type"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn streamed_events_count_and_unusable_ones_become_thin_events() {
    let emulator = Emulator::start().await;
    let meter = emulator
        .ok(
            "/v1/billing/meters",
            &[
                ("display_name", "API calls"),
                ("event_name", "api_call"),
                ("default_aggregation[formula]", "sum"),
            ],
        )
        .await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let (status, session) =
        post_json(&emulator, "/v2/billing/meter_event_session", KEY, json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(session["object"], "v2.billing.meter_event_session");
    let token = session["authentication_token"].as_str().unwrap();
    let now = emulator.running.emulator.read(|world| world.now());
    let at = stripe_emulator::metering::thin_events::rfc3339(now);
    let events = json!({ "events": [
        { "event_name": "api_call", "identifier": "a", "timestamp": at,
          "payload": { "stripe_customer_id": customer, "value": "8" } },
        { "event_name": "api_call", "identifier": "b", "payload": { "value": "1" } },
        { "event_name": "nobody_meters_this", "payload": { "stripe_customer_id": customer, "value": "1" } },
    ]});
    let (status, _) = post_json(&emulator, "/v2/billing/meter_event_stream", token, events).await;
    assert_eq!(status, 202);
    let types = thin_event_types(&emulator).await;
    assert_eq!(
        types,
        [
            "v1.billing.meter.no_meter_found",
            "v1.billing.meter.error_report_triggered"
        ]
    );
    let id = meter["id"].as_str().unwrap();
    let (start, end) = (now - now % 60, now - now % 60 + 60);
    let summaries = emulator
        .fetch(&format!(
            "/v1/billing/meters/{id}/event_summaries?customer={customer}&start_time={start}&end_time={end}"
        ))
        .await;
    assert_eq!(summaries["data"][0]["aggregated_value"], 8);
}

#[tokio::test]
async fn the_stream_refuses_a_token_no_session_gave_or_an_expired_one() {
    let emulator = Emulator::start().await;
    let event = json!({ "events": [{ "event_name": "api_call", "payload": { "value": "1" } }] });
    let (status, _) = post_json(
        &emulator,
        "/v2/billing/meter_event_stream",
        "not_a_session",
        event.clone(),
    )
    .await;
    assert_eq!(status, 401);
    let (_, session) =
        post_json(&emulator, "/v2/billing/meter_event_session", KEY, json!({})).await;
    let token = session["authentication_token"].as_str().unwrap();
    emulator.running.emulator.advance(16 * 60);
    let (status, _) = post_json(&emulator, "/v2/billing/meter_event_stream", token, event).await;
    assert_eq!(status, 401, "a session lasts 15 minutes");
}
