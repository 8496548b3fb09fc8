//! Thin events (API v2's `v2.core.event`) about meter events Stripe could not use:
//! `v1.billing.meter.no_meter_found` (no active meter has the event's name) and
//! `v1.billing.meter.error_report_triggered` (a meter's event without a customer, for a customer
//! that does not exist, with a value that is not a number, or sent to an inactive meter). Stripe
//! gathers these into reports over a validation window and sends them to event destinations; the
//! emulator reports each refused meter event at once, as a report of one, and keeps them for
//! `GET /v2/core/events`.

use serde_json::{json, Value};

use crate::world::World;

/// Why a meter event did not count: the code Stripe's report uses, and a sentence.
pub struct Refusal {
    /// One of the report's error codes (`no_meter`, `meter_event_no_customer_defined`…).
    pub code: &'static str,
    /// The sample error's message.
    pub message: String,
}

/// Records the thin event reporting one refused meter event; `meter` is None when no meter has
/// the event's name.
pub fn report(world: &mut World, meter: Option<&Value>, identifier: &str, refusal: Refusal) {
    let now = rfc3339(world.now());
    let (kind, summary) = match meter {
        Some(_) => (
            "v1.billing.meter.error_report_triggered",
            "There is an issue with your meter events.",
        ),
        None => (
            "v1.billing.meter.no_meter_found",
            "There is no meter for the event name you sent.",
        ),
    };
    let mut event = json!({
        "id": world.new_id("evt_test"),
        "object": "v2.core.event",
        "created": now,
        "livemode": false,
        "type": kind,
        "data": {
            "developer_message_summary": summary,
            "reason": {
                "error_count": 1,
                "error_types": [{
                    "code": refusal.code,
                    "error_count": 1,
                    "sample_errors": [{
                        "error_message": refusal.message,
                        "request": { "identifier": identifier },
                    }],
                }],
            },
            "validation_end": now,
            "validation_start": now,
        },
    });
    if let Some(account) = &world.scope {
        event["context"] = json!(account);
    }
    if let Some(request) = &world.request {
        event["reason"] = json!({
            "type": "request",
            "request": { "id": request.id, "idempotency_key": request.idempotency_key },
        });
    }
    if let Some(meter) = meter {
        let id = meter["id"].as_str().unwrap_or_default();
        event["related_object"] = json!({
            "id": id,
            "type": "billing.meter",
            "url": format!("/v1/billing/meters/{id}"),
        });
    }
    world.metering.thin_events.push(event);
}

/// Unix seconds as API v2 writes times (`2026-12-04T11:00:00Z`).
pub fn rfc3339(seconds: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(seconds)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// An API v2 time (`2026-12-04T11:00:00Z`, with or without fractions or an offset) in Unix seconds.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(|at| at.unix_timestamp())
}
