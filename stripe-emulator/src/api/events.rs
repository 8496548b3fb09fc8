//! Events: retrieve and list (`type` with `*` wildcards, `types[]`, `created`).
//! <https://docs.stripe.com/api/events>

use serde_json::Value;

use super::created_matches;
use crate::error::ApiError;
use crate::http::Call;
use crate::listing::page;
use crate::world::World;

/// `GET /v1/events/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    call.params.allow(&[])?;
    world.get("event", call.id(), "id")
}

/// `GET /v1/events`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    params.allow(&[
        "type",
        "types[]",
        "delivery_success",
        "limit",
        "starting_after",
        "ending_before",
        "created",
        "created.gt",
        "created.gte",
        "created.lt",
        "created.lte",
    ])?;
    let types = params.strings("types");
    let mut items = Vec::new();
    for event in world.all("event") {
        let kind = event["type"].as_str().unwrap_or_default();
        let keep = params
            .str("type")
            .is_none_or(|wanted| type_matches(wanted, kind))
            && (types.is_empty() || types.iter().any(|wanted| wanted == kind))
            && created_matches(params, event["created"].as_i64().unwrap_or_default())?;
        if keep {
            items.push(event.clone());
        }
    }
    page(items, params, "/v1/events")
}

/// `customer.subscription.*` matches every subscription event, as in Stripe.
fn type_matches(wanted: &str, kind: &str) -> bool {
    match wanted.strip_suffix('*') {
        Some(prefix) => kind.starts_with(prefix),
        None => wanted == kind,
    }
}
