//! Disputes: list (`charge`, `payment_intent`), retrieve, update (evidence, `metadata`, `submit`)
//! and close. Opening and deciding them is [`crate::money::disputes`].
//! <https://docs.stripe.com/api/disputes>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{Map, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::money::disputes::{self, Answer, FILE_EVIDENCE};
use crate::world::World;
use crate::Emulator;

/// The Dispute routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/disputes", get(op(list)))
        .route("/v1/disputes/{id}", get(op(retrieve)).post(op(update)))
        .route("/v1/disputes/{id}/close", post(op(close)))
}

/// `GET /v1/disputes/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("dispute", call.id(), "dispute")
}

/// `GET /v1/disputes` (`charge`, `payment_intent`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    list_objects(world, params, "dispute", "/v1/disputes", |dispute| {
        params.matches("charge", &dispute["charge"])
            && params.matches("payment_intent", &dispute["payment_intent"])
    })
}

/// `POST /v1/disputes/{id}`: evidence (file fields name a `dispute_evidence` File), `metadata`,
/// `submit` (default true).
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let dispute = world.get("dispute", call.id(), "dispute")?;
    let mut evidence = Map::new();
    if let Some(given) = params.get("evidence").and_then(Value::as_object) {
        for (field, value) in given {
            // Enhanced evidence and appeals are accepted (the description allows them) but not kept.
            let Some(text) = value.as_str() else { continue };
            if FILE_EVIDENCE.contains(&field.as_str()) && !text.is_empty() {
                evidence_file(world, text, &format!("evidence[{field}]"))?;
            }
            evidence.insert(field.clone(), value.clone());
        }
    }
    let metadata = params.metadata().map(|_| {
        let mut merged = dispute.clone();
        merge_metadata(&mut merged, params);
        merged["metadata"].take()
    });
    let submit = params.bool("submit")?.unwrap_or(true);
    disputes::answer(
        world,
        call.id(),
        Answer {
            evidence,
            metadata,
            submit,
        },
    )
}

/// A File given as evidence: it must exist and have been uploaded as `dispute_evidence`.
fn evidence_file(world: &World, id: &str, param: &str) -> Result<(), ApiError> {
    let file = world.get("file", id, param)?;
    if file["purpose"] != "dispute_evidence" {
        return Err(ApiError::invalid(
            format!(
                "The file {id} has a purpose of `{}`; dispute evidence must be a file with purpose `dispute_evidence`.",
                file["purpose"].as_str().unwrap_or_default()
            ),
            Some(param),
        ));
    }
    Ok(())
}

/// `POST /v1/disputes/{id}/close`
pub fn close(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    disputes::close(world, call.id())
}
