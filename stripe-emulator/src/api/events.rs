//! Events: retrieve and list (`type` with `*` wildcards, `types[]`, `created`).
//! <https://docs.stripe.com/api/events>

use serde_json::Value;

use super::list_objects;
use crate::error::ApiError;
use crate::http::Call;
use crate::world::World;

/// `GET /v1/events/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("event", call.id(), "id")
}

/// `GET /v1/events`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let types = params.strings("types");
    list_objects(world, params, "event", "/v1/events", |event| {
        let kind = event["type"].as_str().unwrap_or_default();
        params
            .str("type")
            .is_none_or(|wanted| type_matches(wanted, kind))
            && (types.is_empty() || types.iter().any(|wanted| wanted == kind))
    })
}

/// `customer.subscription.*` matches every subscription event, as in Stripe.
fn type_matches(wanted: &str, kind: &str) -> bool {
    match wanted.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => wanted == kind,
    }
}
