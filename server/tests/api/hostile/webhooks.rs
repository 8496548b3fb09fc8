//! `POST /webhooks/stripe` with a correct signature over something that is not a usable event:
//! not JSON, or JSON of odd shapes. Each is answered with a 4xx, or recorded and acknowledged;
//! never a 500 (Stripe would retry it for days), never a crash.

use backend::stripe::signature::sign;
use serde_json::{json, Value};

use super::{still_serving, stored_events};
use crate::{
    billing::{deliver, event, now, post_webhook, recorded},
    helpers::{spawn_app, TestApp, WEBHOOK_SECRET},
};

/// POSTs `body` signed with the app's secret, as Stripe would.
async fn signed(app: &TestApp, body: &[u8]) -> (u16, String) {
    post_webhook(app, body, Some(&sign(body, WEBHOOK_SECRET, now()))).await
}

/// A fresh event id.
fn event_id() -> String {
    format!("evt_odd_{}", uuid::Uuid::new_v4().simple())
}

/// `depth` objects nested in each other: `{"a":{"a":…"bottom"…}}`.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("bottom"), |inner, _| json!({ "a": inner }))
}

#[tokio::test]
async fn a_correctly_signed_body_that_is_not_json_is_refused_with_400_and_nothing_is_recorded() {
    let app = spawn_app().await;
    let cut_short = br#"{"id": "evt_1", "type": "invoice.paid", "data": {"#;

    for body in [
        b"not json at all".as_slice(),
        b"",
        cut_short.as_slice(),
        &[0xff, 0xfe, 0x00, 0x7b],
        b"[]",
        b"null",
    ] {
        let (status, answer) = signed(&app, body).await;

        assert_eq!(status, 400, "{:?}: {answer}", String::from_utf8_lossy(body));
        assert_eq!(answer, "the payload is not a Stripe event");
    }
    assert_eq!(stored_events(&app).await, 0);
    assert!(still_serving(&app).await);
}

#[tokio::test]
async fn correctly_signed_json_of_odd_shapes_is_refused_or_recorded_never_a_500() {
    let app = spawn_app().await;
    // None of these names an object Tollgate would fetch from Stripe (there is no Stripe here).
    let cases = [
        (
            "no id",
            json!({ "type": "invoice.paid", "created": now(), "data": { "object": {} } }),
        ),
        (
            "id a number",
            json!({ "id": 42, "type": "invoice.paid", "created": now(), "data": { "object": {} } }),
        ),
        (
            "type missing",
            json!({ "id": event_id(), "created": now(), "data": { "object": {} } }),
        ),
        (
            "created a string",
            json!({ "id": event_id(), "type": "invoice.paid", "created": "yesterday",
                    "data": { "object": {} } }),
        ),
        (
            "data missing",
            json!({ "id": event_id(), "type": "invoice.paid", "created": now() }),
        ),
        (
            "data.object a string",
            json!({ "id": event_id(), "type": "customer.subscription.updated", "created": now(),
                    "data": { "object": "sub_1" } }),
        ),
        (
            "data.object a string, for a card event",
            json!({ "id": event_id(), "type": "payment_method.attached", "created": now(),
                    "data": { "object": "pm_1" } }),
        ),
        (
            "unknown type with no object",
            json!({ "id": event_id(), "type": "tollgate.never_heard_of", "created": now(),
                    "data": {} }),
        ),
        (
            "unknown type with a null object",
            json!({ "id": event_id(), "type": "tollgate.never_heard_of", "created": now(),
                    "data": { "object": null } }),
        ),
        (
            "a 100-deep object",
            json!({ "id": event_id(), "type": "customer.updated", "created": now(),
                    "data": { "object": nested(100) } }),
        ),
    ];

    let mut acknowledged = 0;
    for (case, event) in cases {
        let body = serde_json::to_vec(&event).unwrap();

        let (status, answer) = signed(&app, &body).await;

        match status {
            200 => {
                let id = event["id"].as_str().expect("only a string id is accepted");
                let outcome = crate::billing::outcome(&app, id).await;
                assert_eq!(outcome, "applied", "{case}");
                acknowledged += 1;
            }
            400..=499 => {
                if let Some(id) = event["id"].as_str() {
                    assert!(recorded(&app, id).await.is_none(), "{case}");
                }
            }
            _ => panic!("{case}: {status} {answer}"),
        }
    }
    assert_eq!(stored_events(&app).await, acknowledged);
    assert!(still_serving(&app).await);
}

#[tokio::test]
async fn a_correctly_signed_event_nested_ten_thousand_deep_is_refused_without_a_crash() {
    let app = spawn_app().await;
    let depth = 10_000;
    // Built as text: a `Value` this deep would overflow the test's own stack when dropped.
    let object = format!("{}\"bottom\"{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let body = format!(
        r#"{{"id":"{}","type":"customer.updated","created":{},"data":{{"object":{object}}}}}"#,
        event_id(),
        now()
    );

    let (status, answer) = signed(&app, body.as_bytes()).await;

    assert_eq!(status, 400, "{answer}");
    assert_eq!(stored_events(&app).await, 0);
    assert!(still_serving(&app).await);
    // And the endpoint still takes real events.
    let fine = event(
        "charge.dispute.created",
        json!({ "id": "du_1", "object": "dispute" }),
    );
    assert_eq!(deliver(&app, &fine).await.0, 200);
}
