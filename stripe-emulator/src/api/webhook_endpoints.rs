//! Webhook endpoints: create (the secret is returned only then; `connect=true` makes an endpoint
//! that receives the connected accounts' events instead of the platform's), retrieve, update,
//! delete, list.
//! <https://docs.stripe.com/api/webhook_endpoints>

use serde_json::{json, Value};

use super::{deleted, merge_metadata};
use crate::error::ApiError;
use crate::http::Call;
use crate::listing::page;
use crate::world::World;

/// `POST /v1/webhook_endpoints`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let url = params.required("url")?;
    check_url(url)?;
    let events = params.strings("enabled_events");
    if events.is_empty() {
        return Err(ApiError::missing("enabled_events"));
    }
    let secret = world.new_id("whsec");
    let connect = params.bool("connect")?.unwrap_or(false);
    let mut endpoint = insert(world, url, events, &secret, connect);
    endpoint["description"] = json!(params.str("description"));
    endpoint["api_version"] = json!(params.str("api_version"));
    merge_metadata(&mut endpoint, params);
    world.put(endpoint.clone());
    endpoint["secret"] = json!(secret);
    Ok(endpoint)
}

fn check_url(url: &str) -> Result<(), ApiError> {
    super::check_url(url, "url")
}

fn insert(world: &mut World, url: &str, events: Vec<String>, secret: &str, connect: bool) -> Value {
    let id = world.new_id("we");
    world.endpoint_secrets.insert(id.clone(), secret.to_owned());
    if connect {
        world.connect_endpoints.insert(id.clone());
    }
    world.insert(json!({
        "id": id,
        "object": "webhook_endpoint",
        "api_version": null,
        "application": null,
        "created": world.now(),
        "description": null,
        "enabled_events": events,
        "livemode": false,
        "metadata": {},
        "status": "enabled",
        "url": url,
    }))
}

/// Adds a start-up endpoint receiving every event (every connected account's event when
/// `connect`), unless one with this URL, secret and kind exists.
pub fn ensure(world: &mut World, url: &str, secret: &str, connect: bool) {
    let known = world.endpoints().any(|endpoint| {
        let id = endpoint["id"].as_str().unwrap_or_default();
        endpoint["url"] == url
            && world
                .endpoint_secrets
                .get(id)
                .is_some_and(|known| known == secret)
            && world.connect_endpoints.contains(id) == connect
    });
    if !known {
        insert(world, url, vec!["*".to_owned()], secret, connect);
    }
}

/// `GET /v1/webhook_endpoints/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("webhook_endpoint", call.id(), "id")
}

/// `POST /v1/webhook_endpoints/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let mut endpoint = world.get("webhook_endpoint", call.id(), "id")?;
    if let Some(url) = params.str("url") {
        check_url(url)?;
        endpoint["url"] = json!(url);
    }
    if params.get("enabled_events").is_some() {
        endpoint["enabled_events"] = json!(params.strings("enabled_events"));
    }
    if let Some(description) = params.str("description") {
        endpoint["description"] = json!(description);
    }
    if let Some(disabled) = params.bool("disabled")? {
        endpoint["status"] = json!(if disabled { "disabled" } else { "enabled" });
    }
    merge_metadata(&mut endpoint, params);
    world.put(endpoint.clone());
    Ok(endpoint)
}

/// `DELETE /v1/webhook_endpoints/{id}`
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("webhook_endpoint", call.id(), "id")?;
    world.remove(call.id());
    world.endpoint_secrets.remove(call.id());
    world.connect_endpoints.remove(call.id());
    Ok(deleted(call.id(), "webhook_endpoint"))
}

/// `GET /v1/webhook_endpoints`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let items = world.all("webhook_endpoint").cloned().collect();
    page(items, &call.params, "/v1/webhook_endpoints")
}
