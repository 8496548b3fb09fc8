//! Subscription items: list (`subscription`), retrieve, and update (`quantity`, `price`,
//! `proration_behavior`, `proration_date`, `payment_behavior`), which changes the subscription
//! exactly as `POST /v1/subscriptions/{id}` with `items[0][id]` does (same prorations, same
//! `customer.subscription.updated`).
//! <https://docs.stripe.com/api/subscription_items>

use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};

use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::listing::page;
use crate::world::World;
use crate::Emulator;

/// The subscription item routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/subscription_items", get(op(list)))
        .route(
            "/v1/subscription_items/{id}",
            get(op(retrieve)).post(op(update)),
        )
}

/// `GET /v1/subscription_items?subscription=…`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let id = call.params.required("subscription")?;
    let subscription = world.get("subscription", id, "subscription")?;
    let items = subscription["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    page(items, &call.params, "/v1/subscription_items")
}

/// The subscription holding an item, and the item.
fn find(world: &World, id: &str) -> Result<(String, Value), ApiError> {
    world
        .all("subscription")
        .find_map(|subscription| {
            let item = subscription["items"]["data"]
                .as_array()?
                .iter()
                .find(|item| item["id"] == id)?;
            Some((subscription["id"].as_str()?.to_owned(), item.clone()))
        })
        .ok_or_else(|| ApiError::missing_resource("subscription item", id, "id"))
}

/// `GET /v1/subscription_items/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    find(world, call.id()).map(|(_, item)| item)
}

/// `POST /v1/subscription_items/{id}`: the subscription update `items[0][id]={id}` with this
/// item's `price` and `quantity`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let (subscription, _) = find(world, call.id())?;
    let mut item = Map::new();
    item.insert("id".to_owned(), json!(call.id()));
    for field in ["price", "quantity"] {
        if let Some(value) = call.params.get(field) {
            item.insert(field.to_owned(), value.clone());
        }
    }
    let mut params = Map::new();
    params.insert("items".to_owned(), json!([item]));
    for field in ["proration_behavior", "proration_date", "payment_behavior"] {
        if let Some(value) = call.params.get(field) {
            params.insert(field.to_owned(), value.clone());
        }
    }
    let update = Call {
        params: Params(params),
        path: vec![subscription],
        base_url: call.base_url.clone(),
        ..Call::default()
    };
    super::subscription_updates::update(world, &update)?;
    find(world, call.id()).map(|(_, item)| item)
}
