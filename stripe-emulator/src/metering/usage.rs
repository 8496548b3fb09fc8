//! A customer's usage of a meter over a window, aggregated by the meter's formula (`sum` of the
//! values, `count` of the events, or the `last` value by timestamp), and the meter event
//! summaries of `GET /v1/billing/meters/{id}/event_summaries`.

use serde_json::{json, Value};

use super::Recorded;
use crate::world::World;

/// The meter's aggregate of one customer's events timestamped in `[from, to)`; events that were
/// refused by the meter when received, or canceled since, do not count.
pub fn aggregate(world: &World, meter: &Value, customer: &str, from: i64, to: i64) -> f64 {
    let value_key = meter["value_settings"]["event_payload_key"]
        .as_str()
        .unwrap_or("value");
    let events: Vec<&Recorded> = world
        .metering
        .events
        .iter()
        .filter(|event| {
            !event.canceled
                && event.account == world.scope
                && meter["id"] == event.meter.as_deref().unwrap_or_default()
                && event.customer == customer
                && (from..to).contains(&event.timestamp)
        })
        .collect();
    let value = |event: &Recorded| -> f64 {
        event
            .payload
            .get(value_key)
            .and_then(Value::as_str)
            .and_then(|raw| raw.parse().ok())
            .unwrap_or(0.0)
    };
    match meter["default_aggregation"]["formula"].as_str() {
        Some("count") => events.len() as f64,
        Some("last") => events
            .iter()
            .max_by_key(|event| (event.timestamp, event.created))
            .map(|event| value(event))
            .unwrap_or(0.0),
        _ => events.iter().map(|event| value(event)).sum(),
    }
}

/// The summaries of a customer's usage over `[start, end)`: one for the whole window, or one per
/// hour or day (`value_grouping_window`), newest first.
pub fn summaries(
    world: &World,
    meter: &Value,
    customer: &str,
    (start, end): (i64, i64),
    grouping: Option<i64>,
) -> Vec<Value> {
    let step = grouping.unwrap_or(end - start).max(1);
    let mut windows = Vec::new();
    let mut from = start;
    while from < end {
        windows.push((from, (from + step).min(end)));
        from += step;
    }
    windows
        .into_iter()
        .rev()
        .map(|(from, to)| {
            json!({
                "id": summary_id(meter, customer, from, to),
                "object": "billing.meter_event_summary",
                "aggregated_value": number(aggregate(world, meter, customer, from, to)),
                "end_time": to,
                "livemode": false,
                "meter": meter["id"],
                "start_time": from,
            })
        })
        .collect()
}

/// A stable id for a summary, so that pages can follow one another.
fn summary_id(meter: &Value, customer: &str, from: i64, to: i64) -> String {
    use sha2::Digest;
    let key = format!("{}|{customer}|{from}|{to}", meter["id"]);
    let digest = hex::encode(sha2::Sha256::digest(key.as_bytes()));
    format!("mtrusg_{}", &digest[..24])
}

/// A whole aggregate as a JSON integer, a fractional one as a float (values may be decimals).
pub fn number(value: f64) -> Value {
    if value.fract() == 0.0 && value.abs() < 9e15 {
        json!(value as i64)
    } else {
        json!(value)
    }
}
