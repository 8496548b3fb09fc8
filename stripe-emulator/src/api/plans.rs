//! Plans, the legacy face of recurring prices: create (with an inline `product`), retrieve,
//! update, delete, list. A plan *is* a price: creating one makes a recurring price with the plan's
//! id, and every recurring price can be read as a plan. Each change emits both `plan.*` and
//! `price.*`, as Stripe does.
//! <https://docs.stripe.com/api/plans>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::{deleted, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::world::{previous_attributes, World};
use crate::Emulator;

/// The plan routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/plans", post(op(create)).get(op(list)))
        .route(
            "/v1/plans/{id}",
            get(op(retrieve)).post(op(update)).delete(op(delete)),
        )
}

/// The `plan` view of a recurring price (also embedded in subscription items).
pub fn view(price: &Value) -> Value {
    let recurring = &price["recurring"];
    json!({
        "id": price["id"], "object": "plan", "active": price["active"], "amount": price["unit_amount"],
        "amount_decimal": price["unit_amount_decimal"], "billing_scheme": price["billing_scheme"],
        "created": price["created"], "currency": price["currency"], "interval": recurring["interval"],
        "interval_count": recurring["interval_count"], "livemode": false, "metadata": price["metadata"],
        "meter": recurring["meter"], "nickname": price["nickname"], "product": price["product"],
        "tiers_mode": price["tiers_mode"], "transform_usage": null,
        "trial_period_days": recurring["trial_period_days"], "usage_type": recurring["usage_type"],
    })
}

/// The recurring price behind a plan id, or Stripe's 404 for a plan.
fn find(world: &World, id: &str) -> Result<Value, ApiError> {
    world
        .find("price", id)
        .filter(|price| price["type"] == "recurring")
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("plan", id, "plan"))
}

/// `POST /v1/plans`: `currency`, `interval`, `amount` (or `amount_decimal`), `product` (an id or
/// `product[name]`…), optional `id`, `interval_count`, `nickname`, `trial_period_days`,
/// `usage_type`, `active`, `metadata`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    params.required("currency")?;
    params.required("interval")?;
    params.one_of("interval", &["day", "week", "month", "year"])?;
    if params.str("amount").is_none() && params.str("amount_decimal").is_none() {
        return Err(ApiError::missing("amount"));
    }
    let id = match params.str("id").filter(|id| !id.is_empty()) {
        Some(id) if world.exists(id) => {
            return Err(ApiError::invalid_code(
                "resource_already_exists",
                "Plan already exists.",
                Some("id"),
            ))
        }
        Some(id) => Some(id.to_owned()),
        None => None,
    };
    let product = match params.get("product") {
        Some(Value::String(product)) => world.get("product", product, "product")?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Some(Value::Object(inline)) => {
            if inline.get("name").and_then(Value::as_str).is_none() {
                return Err(ApiError::missing("product.name"));
            }
            let inline = Call {
                params: Params(inline.clone()),
                path: Vec::new(),
                base_url: call.base_url.clone(),
                ..Call::default()
            };
            super::products::create(world, &inline)?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
        _ => return Err(ApiError::missing("product")),
    };
    let price = super::prices::build_with_id(world, &as_price(params), "", &product, id)?;
    let plan = view(&price);
    world.emit("plan.created", &plan, None);
    Ok(plan)
}

/// The `POST /v1/prices` parameters that make the same price as these plan parameters.
fn as_price(params: &Params) -> Params {
    let mut recurring = Map::new();
    for (plan_key, price_key) in [
        ("interval", "interval"),
        ("interval_count", "interval_count"),
        ("trial_period_days", "trial_period_days"),
        ("usage_type", "usage_type"),
    ] {
        if let Some(value) = params.get(plan_key) {
            recurring.insert(price_key.to_owned(), value.clone());
        }
    }
    let mut price = Map::new();
    price.insert("recurring".to_owned(), Value::Object(recurring));
    for (plan_key, price_key) in [
        ("currency", "currency"),
        ("amount", "unit_amount"),
        ("amount_decimal", "unit_amount_decimal"),
        ("nickname", "nickname"),
        ("metadata", "metadata"),
    ] {
        if let Some(value) = params.get(plan_key) {
            price.insert(price_key.to_owned(), value.clone());
        }
    }
    Params(price)
}

/// `GET /v1/plans/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    Ok(view(&find(world, call.id())?))
}

/// `POST /v1/plans/{id}`: `active`, `nickname`, `metadata`, `product`, `trial_period_days`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = find(world, call.id())?;
    let mut price = before.clone();
    if let Some(active) = params.bool("active")? {
        price["active"] = json!(active);
    }
    if let Some(nickname) = params.str("nickname") {
        price["nickname"] = if nickname.is_empty() {
            Value::Null
        } else {
            json!(nickname)
        };
    }
    if let Some(product) = params.str("product") {
        price["product"] = world.get("product", product, "product")?["id"].clone();
    }
    if params.str("trial_period_days").is_some() {
        price["recurring"]["trial_period_days"] =
            json!(params.int_in("trial_period_days", 0..=super::MAX_TRIAL_DAYS)?);
    }
    merge_metadata(&mut price, params);
    let previous = previous_attributes(&view(&before), &view(&price));
    if previous
        .as_object()
        .is_some_and(|changed| !changed.is_empty())
    {
        world.emit("plan.updated", &view(&price), Some(previous));
    }
    let price = world.update_and_emit("price.updated", &before, price);
    Ok(view(&price))
}

/// `DELETE /v1/plans/{id}`: the plan and its price are gone; subscriptions keep their copies.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let price = find(world, call.id())?;
    world.remove(call.id());
    world.emit("plan.deleted", &view(&price), None);
    world.emit("price.deleted", &price, None);
    Ok(deleted(call.id(), "plan"))
}

/// `GET /v1/plans`: `active`, `product`.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let active = params.bool("active")?;
    let mut prices = list_objects(world, params, "price", "/v1/plans", |price| {
        price["type"] == "recurring"
            && active.is_none_or(|active| price["active"] == active)
            && params.matches("product", &price["product"])
    })?;
    if let Some(data) = prices["data"].as_array_mut() {
        for price in data {
            *price = view(price);
        }
    }
    Ok(prices)
}
