//! Tax rates: create (`display_name`, `percentage` 0–100, `inclusive`, `country`, `state`,
//! `jurisdiction`, `description`, `tax_type`, `active`, `metadata`), retrieve, update (all but
//! the percentage and `inclusive`, which Stripe fixes at creation), list (`active`, `inclusive`,
//! `created`). Automatic tax's own rates (see [`crate::tax`]) are not listed.
//! <https://docs.stripe.com/api/tax_rates>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The tax rate routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/tax_rates", post(op(create)).get(op(list)))
        .route("/v1/tax_rates/{id}", get(op(retrieve)).post(op(update)))
}

/// Fields a tax rate's create and update both set from text parameters.
const TEXT_FIELDS: [&str; 6] = [
    "country",
    "description",
    "display_name",
    "jurisdiction",
    "state",
    "tax_type",
];

/// `POST /v1/tax_rates`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    params.required("display_name")?;
    let inclusive = params
        .bool("inclusive")?
        .ok_or_else(|| ApiError::missing("inclusive"))?;
    let percentage: f64 = params
        .required("percentage")?
        .parse()
        .map_err(|_| ApiError::invalid("Invalid decimal", Some("percentage")))?;
    if !(0.0..=100.0).contains(&percentage) {
        return Err(ApiError::invalid(
            "Percentage must be between 0 and 100.",
            Some("percentage"),
        ));
    }
    let id = world.new_id("txr");
    let mut rate = json!({
        "id": id,
        "object": "tax_rate",
        "active": params.bool("active")?.unwrap_or(true),
        "country": null,
        "created": world.now(),
        "description": null,
        "display_name": null,
        "effective_percentage": percentage,
        "flat_amount": null,
        "inclusive": inclusive,
        "jurisdiction": null,
        "jurisdiction_level": null,
        "livemode": false,
        "metadata": {},
        "percentage": percentage,
        "rate_type": "percentage",
        "state": null,
        "tax_type": null,
    });
    set_fields(&mut rate, params);
    let rate = world.insert(rate);
    world.emit("tax_rate.created", &rate, None);
    Ok(rate)
}

/// Text fields (an empty value unsets it) and metadata.
fn set_fields(rate: &mut Value, params: &Params) {
    for field in TEXT_FIELDS {
        if let Some(value) = params.str(field) {
            rate[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    merge_metadata(rate, params);
}

/// `GET /v1/tax_rates/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("tax_rate", call.id(), "tax_rate")
}

/// `POST /v1/tax_rates/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("tax_rate", call.id(), "tax_rate")?;
    let mut rate = before.clone();
    if let Some(active) = call.params.bool("active")? {
        rate["active"] = json!(active);
    }
    set_fields(&mut rate, &call.params);
    world.put(rate.clone());
    let previous = crate::world::previous_attributes(&before, &rate);
    world.emit("tax_rate.updated", &rate, Some(previous));
    Ok(rate)
}

/// `GET /v1/tax_rates`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let active = params.bool("active")?;
    let inclusive = params.bool("inclusive")?;
    let automatic: Vec<String> = world.automatic_tax_rates.values().cloned().collect();
    list_objects(world, params, "tax_rate", "/v1/tax_rates", |rate| {
        !automatic.iter().any(|id| rate["id"] == id.as_str())
            && active.is_none_or(|active| rate["active"] == active)
            && inclusive.is_none_or(|inclusive| rate["inclusive"] == inclusive)
    })
}
