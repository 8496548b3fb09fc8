//! Billing meters: create (`display_name`, `event_name`, `default_aggregation[formula]` sum, count
//! or last, `customer_mapping`, `value_settings`, `event_time_window`), retrieve, update
//! (`display_name`, the only thing Stripe lets change), list (`status`), deactivate, reactivate,
//! and a customer's usage over time (`event_summaries`). An event name belongs to one active
//! meter at a time. <https://docs.stripe.com/api/billing/meter>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::list_objects;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The meter routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/billing/meters", post(op(create)).get(op(list)))
        .route(
            "/v1/billing/meters/{id}",
            get(op(retrieve)).post(op(update)),
        )
        .route("/v1/billing/meters/{id}/deactivate", post(op(deactivate)))
        .route("/v1/billing/meters/{id}/reactivate", post(op(reactivate)))
        .route(
            "/v1/billing/meters/{id}/event_summaries",
            get(op(event_summaries)),
        )
}

const KIND: &str = "billing.meter";

/// `POST /v1/billing/meters`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let display_name = params.required("display_name")?;
    let event_name = params.required("event_name")?;
    let formula = params.required("default_aggregation.formula")?;
    check_event_name_free(world, event_name, None)?;
    let customer_key = params
        .str("customer_mapping.event_payload_key")
        .unwrap_or("stripe_customer_id");
    let value_key = params
        .str("value_settings.event_payload_key")
        .unwrap_or("value");
    let now = world.now();
    let meter = json!({
        "id": world.new_id("mtr"),
        "object": KIND,
        "created": now,
        "customer_mapping": { "event_payload_key": customer_key, "type": "by_id" },
        "default_aggregation": { "formula": formula },
        "display_name": display_name,
        "event_name": event_name,
        "event_time_window": params.str("event_time_window"),
        "livemode": false,
        "status": "active",
        "status_transitions": { "deactivated_at": null },
        "updated": now,
        "value_settings": { "event_payload_key": value_key },
    });
    let meter = world.insert(meter);
    world.emit("billing.meter.created", &meter, None);
    Ok(meter)
}

/// Refuses an event name another active meter (other than `except`) already uses.
fn check_event_name_free(
    world: &World,
    event_name: &str,
    except: Option<&str>,
) -> Result<(), ApiError> {
    let taken = world.all(KIND).any(|meter| {
        meter["event_name"] == event_name
            && meter["status"] == "active"
            && except.is_none_or(|id| meter["id"] != id)
    });
    if taken {
        return Err(ApiError::invalid(
            format!(
                "An active meter with the event_name `{event_name}` already exists. Event names \
                 must be unique among your active meters."
            ),
            Some("event_name"),
        ));
    }
    Ok(())
}

/// `GET /v1/billing/meters/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get(KIND, call.id(), "id")
}

/// `POST /v1/billing/meters/{id}`: only `display_name` changes.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get(KIND, call.id(), "id")?;
    let mut meter = before.clone();
    if let Some(name) = call.params.str("display_name") {
        meter["display_name"] = json!(name);
        meter["updated"] = json!(world.now());
    }
    Ok(world.update_and_emit("billing.meter.updated", &before, meter))
}

/// `POST /v1/billing/meters/{id}/deactivate`: the meter stops counting events.
pub fn deactivate(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get(KIND, call.id(), "id")?;
    if before["status"] != "active" {
        return Err(ApiError::state(format!(
            "The meter {} is already inactive.",
            call.id()
        )));
    }
    let now = world.now();
    let mut meter = before;
    meter["status"] = json!("inactive");
    meter["status_transitions"]["deactivated_at"] = json!(now);
    meter["updated"] = json!(now);
    world.put(meter.clone());
    world.emit("billing.meter.deactivated", &meter, None);
    Ok(meter)
}

/// `POST /v1/billing/meters/{id}/reactivate`: counts events again, if its name is still free.
pub fn reactivate(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get(KIND, call.id(), "id")?;
    if before["status"] != "inactive" {
        return Err(ApiError::state(format!(
            "The meter {} is already active.",
            call.id()
        )));
    }
    check_event_name_free(
        world,
        before["event_name"].as_str().unwrap_or_default(),
        Some(call.id()),
    )?;
    let mut meter = before;
    meter["status"] = json!("active");
    meter["status_transitions"]["deactivated_at"] = Value::Null;
    meter["updated"] = json!(world.now());
    world.put(meter.clone());
    world.emit("billing.meter.reactivated", &meter, None);
    Ok(meter)
}

/// `GET /v1/billing/meters`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let status = call.params.str("status").map(str::to_owned);
    list_objects(world, &call.params, KIND, "/v1/billing/meters", |meter| {
        status
            .as_deref()
            .is_none_or(|status| meter["status"] == status)
    })
}

/// `GET /v1/billing/meters/{id}/event_summaries`: the customer's usage over
/// `[start_time, end_time)`, whole or per `value_grouping_window` (hour or day); times on minute
/// boundaries, and on the window's boundaries when grouped.
pub fn event_summaries(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let meter = world.get(KIND, call.id(), "id")?;
    let customer = params.required("customer")?;
    world.get("customer", customer, "customer")?;
    let start = params
        .int("start_time")?
        .ok_or_else(|| ApiError::missing("start_time"))?;
    let end = params
        .int("end_time")?
        .ok_or_else(|| ApiError::missing("end_time"))?;
    let grouping = match params.str("value_grouping_window") {
        Some("hour") => Some(3_600),
        Some("day") => Some(86_400),
        _ => None,
    };
    let step = grouping.unwrap_or(60);
    for (param, time) in [("start_time", start), ("end_time", end)] {
        if time % step != 0 {
            return Err(ApiError::invalid(
                format!(
                    "{param} must be aligned with {} boundaries.",
                    match step {
                        3_600 => "hour",
                        86_400 => "day",
                        _ => "minute",
                    }
                ),
                Some(param),
            ));
        }
    }
    if start >= end {
        return Err(ApiError::invalid(
            "start_time must be before end_time.",
            Some("start_time"),
        ));
    }
    let summaries =
        crate::metering::usage::summaries(world, &meter, customer, (start, end), grouping);
    let url = format!("/v1/billing/meters/{}/event_summaries", call.id());
    crate::listing::page(summaries, params, &url)
}
