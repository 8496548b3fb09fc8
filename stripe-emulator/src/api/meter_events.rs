//! Meter events: `POST /v1/billing/meter_events` (`event_name`, `payload`, `identifier`,
//! `timestamp`), refused as Stripe refuses them before answering (a repeated identifier, a
//! timestamp out of the window); and `POST /v1/billing/meter_event_adjustments` cancelling one by
//! its identifier. <https://docs.stripe.com/api/billing/meter-event>

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::http::{op, Call};
use crate::metering::events::{receive, Incoming};
use crate::metering::IDENTIFIER_WINDOW;
use crate::world::World;
use crate::Emulator;

/// The meter event routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/billing/meter_events", post(op(create)))
        .route("/v1/billing/meter_event_adjustments", post(op(adjust)))
}

/// `POST /v1/billing/meter_events`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let event_name = params.required("event_name")?.to_owned();
    let payload = params
        .get("payload")
        .and_then(Value::as_object)
        .cloned()
        .ok_or_else(|| ApiError::missing("payload"))?;
    let incoming = Incoming {
        event_name,
        payload,
        identifier: params
            .str("identifier")
            .filter(|id| !id.is_empty())
            .map(str::to_owned),
        timestamp: params.int("timestamp")?,
    };
    let recorded = receive(world, incoming).map_err(|refused| refused.into_api_error())?;
    Ok(json!({
        "object": "billing.meter_event",
        "created": recorded.created,
        "event_name": recorded.event_name,
        "identifier": recorded.identifier,
        "livemode": false,
        "payload": recorded.payload,
        "timestamp": recorded.timestamp,
    }))
}

/// `POST /v1/billing/meter_event_adjustments` (`type=cancel`, `cancel[identifier]`): the event
/// stops counting. Stripe cancels only events received in the last 24 hours; an identifier
/// matching none is accepted and stays `pending`, as Stripe processes adjustments later.
pub fn adjust(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let event_name = params.required("event_name")?.to_owned();
    let identifier = params.required("cancel.identifier")?.to_owned();
    let now = world.now();
    let scope = world.scope.clone();
    let found = world.metering.events.iter_mut().find(|event| {
        event.identifier == identifier
            && event.event_name == event_name
            && event.account == scope
            && event.created > now - IDENTIFIER_WINDOW
    });
    let status = match found {
        Some(event) => {
            event.canceled = true;
            "complete"
        }
        None => "pending",
    };
    Ok(json!({
        "object": "billing.meter_event_adjustment",
        "cancel": { "identifier": identifier },
        "event_name": event_name,
        "livemode": false,
        "status": status,
        "type": "cancel",
    }))
}
