//! The API v2 side of usage-based billing, JSON in and out: meter event sessions
//! (`POST /v2/billing/meter_event_session`, a token valid 15 minutes), the high-throughput stream
//! they authenticate (`POST /v2/billing/meter_event_stream`, `{events: [...]}`, RFC 3339
//! timestamps, validated afterwards as Stripe does: a refused event becomes a thin event, not an
//! error), single meter events (`POST /v2/billing/meter_events`) and the thin events themselves
//! (`GET /v2/core/events`, `types`, `object_id`, `limit`; `GET /v2/core/events/{id}`).
//! <https://docs.stripe.com/api/v2/billing-meter>

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::metering::events::{meter_named, receive, Incoming, Refused};
use crate::metering::thin_events::{parse_rfc3339, report, rfc3339, Refusal};
use crate::world::World;
use crate::Emulator;

/// How long a meter event session's token is valid (Stripe: 15 minutes).
const SESSION_SECONDS: i64 = 15 * 60;

/// The v2 metering routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v2/billing/meter_event_session", post(session))
        .route("/v2/billing/meter_event_stream", post(stream))
        .route("/v2/billing/meter_events", post(single))
        .route("/v2/core/events", get(events))
        .route("/v2/core/events/{id}", get(event))
}

/// `POST /v2/billing/meter_event_session`
async fn session(State(emulator): State<Emulator>, headers: HeaderMap) -> Response {
    if let Err(error) = crate::http::api_key(&headers) {
        return error.into_response();
    }
    let session = emulator.mutate(|world| {
        let now = world.now();
        let token = world.new_id("meter_session");
        world
            .metering
            .sessions
            .insert(token.clone(), now + SESSION_SECONDS);
        json!({
            "id": world.new_id("mes"),
            "object": "v2.billing.meter_event_session",
            "authentication_token": token,
            "created": rfc3339(now),
            "expires_at": rfc3339(now + SESSION_SECONDS),
            "livemode": false,
        })
    });
    Json(session).into_response()
}

/// `POST /v2/billing/meter_event_stream`, authenticated by a session's token.
async fn stream(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    let token = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    let events = match json_body(&body).map(|body| body["events"].clone()) {
        Ok(Value::Array(events)) if !events.is_empty() && events.len() <= 100 => events,
        Ok(_) => {
            return ApiError::invalid("`events` must hold 1 to 100 meter events.", Some("events"))
                .into_response()
        }
        Err(error) => return error.into_response(),
    };
    emulator
        .mutate(|world| {
            let valid = world
                .metering
                .sessions
                .get(&token)
                .is_some_and(|expires| *expires > world.now());
            if !valid {
                return Err(ApiError::unauthorized(
                    "The meter event session token is invalid or has expired: create a new \
                     session with POST /v2/billing/meter_event_session.",
                ));
            }
            for event in &events {
                // The stream answers before it validates: what fails is reported afterwards.
                let _ = accept(world, event, true);
            }
            Ok(())
        })
        .map(|()| (StatusCode::ACCEPTED, Json(json!({}))).into_response())
        .unwrap_or_else(IntoResponse::into_response)
}

/// `POST /v2/billing/meter_events`: one event, its identifier and timestamp checked at once.
async fn single(State(emulator): State<Emulator>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(error) = crate::http::api_key(&headers) {
        return error.into_response();
    }
    let event = match json_body(&body) {
        Ok(event) => event,
        Err(error) => return error.into_response(),
    };
    match emulator.mutate(|world| accept(world, &event, false)) {
        Ok(created) => Json(created).into_response(),
        Err(error) => error.into_response(),
    }
}

/// Receives one v2 meter event; `deferred` reports a refusal as a thin event instead of
/// answering it (the stream).
fn accept(world: &mut World, event: &Value, deferred: bool) -> Result<Value, ApiError> {
    let event_name = event["event_name"]
        .as_str()
        .filter(|name| !name.is_empty())
        .ok_or_else(|| ApiError::missing("event_name"))?
        .to_owned();
    let payload: Map<String, Value> = event["payload"]
        .as_object()
        .cloned()
        .ok_or_else(|| ApiError::missing("payload"))?;
    let timestamp = match event["timestamp"].as_str() {
        Some(text) => Some(parse_rfc3339(text).ok_or_else(|| {
            ApiError::invalid(format!("Invalid timestamp: {text}"), Some("timestamp"))
        })?),
        None => None,
    };
    let identifier = event["identifier"].as_str().map(str::to_owned);
    let incoming = Incoming {
        event_name: event_name.clone(),
        payload,
        identifier: identifier.clone(),
        timestamp,
    };
    match receive(world, incoming) {
        Ok(recorded) => Ok(json!({
            "object": "v2.billing.meter_event",
            "created": rfc3339(recorded.created),
            "event_name": recorded.event_name,
            "identifier": recorded.identifier,
            "livemode": false,
            "payload": recorded.payload,
            "timestamp": rfc3339(recorded.timestamp),
        })),
        Err(refused) if deferred => {
            let code = match refused {
                Refused::TooOld => "timestamp_too_far_in_past",
                Refused::TooFarAhead => "timestamp_in_future",
                // A repeated identifier is dropped quietly: that is what de-duplication is for.
                Refused::Duplicate(_) => return Ok(Value::Null),
            };
            let meter = meter_named(world, &event_name);
            let message = refused.into_api_error().message;
            let refusal = Refusal { code, message };
            report(
                world,
                meter.as_ref(),
                identifier.as_deref().unwrap_or_default(),
                refusal,
            );
            Ok(Value::Null)
        }
        Err(refused) => Err(refused.into_api_error()),
    }
}

/// A JSON object body.
fn json_body(body: &[u8]) -> Result<Value, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) if value.is_object() => Ok(value),
        _ => Err(ApiError::invalid(
            "The request body must be a JSON object.",
            None,
        )),
    }
}

/// `GET /v2/core/events`: thin events, newest first (`types`, `object_id`, `limit` 1–100).
async fn events(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    if let Err(error) = crate::http::api_key(&headers) {
        return error.into_response();
    }
    let types: Vec<&str> = query
        .iter()
        .filter(|(key, _)| key == "types" || key == "types[]")
        .map(|(_, value)| value.as_str())
        .collect();
    let object = query
        .iter()
        .find(|(key, _)| key == "object_id")
        .map(|(_, value)| value);
    let limit = query
        .iter()
        .find(|(key, _)| key == "limit")
        .and_then(|(_, value)| value.parse::<usize>().ok())
        .unwrap_or(20)
        .clamp(1, 100);
    let data: Vec<Value> = emulator.read(|world| {
        world
            .metering
            .thin_events
            .iter()
            .rev()
            .filter(|event| types.is_empty() || types.iter().any(|kind| event["type"] == *kind))
            .filter(|event| object.is_none_or(|id| event["related_object"]["id"] == id.as_str()))
            .take(limit)
            .cloned()
            .collect()
    });
    Json(json!({ "data": data, "next_page_url": null, "previous_page_url": null })).into_response()
}

/// `GET /v2/core/events/{id}`
async fn event(
    State(emulator): State<Emulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(error) = crate::http::api_key(&headers) {
        return error.into_response();
    }
    let found = emulator.read(|world| {
        world
            .metering
            .thin_events
            .iter()
            .find(|event| event["id"] == id.as_str())
            .cloned()
    });
    match found {
        Some(event) => Json(event).into_response(),
        None => ApiError::missing_resource("event", &id, "id").into_response(),
    }
}
