//! Customer portal configurations: create, retrieve, update, list (`active`, `is_default`). They
//! record what the portal offers (`features`, `business_profile`, `default_return_url`); a portal
//! session names one with `configuration`. The hosted portal page itself follows the emulator's
//! `--portal-cancel-mode`, not these features.
//! <https://docs.stripe.com/api/customer_portal/configurations>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{check_url, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

const KIND: &str = "billing_portal.configuration";

/// The portal configuration routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/v1/billing_portal/configurations",
            post(op(create)).get(op(list)),
        )
        .route(
            "/v1/billing_portal/configurations/{id}",
            get(op(retrieve)).post(op(update)),
        )
}

/// `POST /v1/billing_portal/configurations`: `features` is required.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    if params.get("features").is_none() {
        return Err(ApiError::missing("features"));
    }
    let now = world.now();
    let id = world.new_id("bpc");
    let mut configuration = json!({
        "id": id,
        "object": KIND,
        "active": true,
        "application": null,
        "business_profile": { "headline": null, "privacy_policy_url": null, "terms_of_service_url": null },
        "created": now,
        "default_return_url": null,
        "features": {
            "customer_update": { "allowed_updates": [], "enabled": false },
            "invoice_history": { "enabled": false },
            "payment_method_update": { "enabled": false, "payment_method_configuration": null },
            "subscription_cancel": {
                "cancellation_reason": { "enabled": false, "feedback_options": null, "options": [] },
                "enabled": false,
                "mode": "at_period_end",
                "proration_behavior": "none",
            },
            "subscription_pause": { "duration": { "interval_options": [], "type": "indefinite" }, "enabled": false },
            "subscription_update": {
                "billing_cycle_anchor": null,
                "default_allowed_updates": [],
                "enabled": false,
                "products": [],
                "proration_behavior": "none",
                "schedule_at_period_end": { "conditions": [] },
                "trial_update_behavior": "end_trial",
            },
        },
        "is_default": false,
        "livemode": false,
        "login_page": { "enabled": false, "url": null },
        "metadata": {},
        "name": null,
        "updated": now,
    });
    apply(world, &mut configuration, params)?;
    world.insert(configuration.clone());
    world.emit("billing_portal.configuration.created", &configuration, None);
    Ok(configuration)
}

/// `GET /v1/billing_portal/configurations/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get(KIND, call.id(), "configuration")
}

/// `POST /v1/billing_portal/configurations/{id}`: any field of create, and `active`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get(KIND, call.id(), "configuration")?;
    let mut configuration = before.clone();
    if let Some(active) = params.bool("active")? {
        configuration["active"] = json!(active);
    }
    apply(world, &mut configuration, params)?;
    configuration["updated"] = json!(world.now());
    Ok(world.update_and_emit(
        "billing_portal.configuration.updated",
        &before,
        configuration,
    ))
}

/// `GET /v1/billing_portal/configurations`: `active`, `is_default`.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let active = params.bool("active")?;
    let is_default = params.bool("is_default")?;
    list_objects(
        world,
        params,
        KIND,
        "/v1/billing_portal/configurations",
        |configuration| {
            active.is_none_or(|active| configuration["active"] == active)
                && is_default.is_none_or(|is_default| configuration["is_default"] == is_default)
        },
    )
}

/// The string choices of each enumerated feature setting.
const CHOICES: &[(&str, &[&str])] = &[
    (
        "subscription_cancel.mode",
        &["at_period_end", "immediately"],
    ),
    (
        "subscription_cancel.proration_behavior",
        &["always_invoice", "create_prorations", "none"],
    ),
    (
        "subscription_update.proration_behavior",
        &["always_invoice", "create_prorations", "none"],
    ),
    (
        "subscription_update.trial_update_behavior",
        &["continue_trial", "end_trial"],
    ),
    (
        "subscription_update.billing_cycle_anchor",
        &["now", "unchanged"],
    ),
    (
        "subscription_pause.duration.type",
        &["indefinite", "interval_options"],
    ),
];

/// The list settings of features and the values each may hold.
const LISTS: &[(&str, &[&str])] = &[
    (
        "customer_update.allowed_updates",
        &["address", "email", "name", "phone", "shipping", "tax_id"],
    ),
    (
        "subscription_cancel.cancellation_reason.options",
        &[
            "customer_service",
            "low_quality",
            "missing_features",
            "other",
            "switched_service",
            "too_complex",
            "too_expensive",
            "unused",
        ],
    ),
    (
        "subscription_update.default_allowed_updates",
        &["price", "promotion_code", "quantity"],
    ),
];

/// The boolean settings of features.
const SWITCHES: &[&str] = &[
    "customer_update.enabled",
    "invoice_history.enabled",
    "payment_method_update.enabled",
    "subscription_cancel.enabled",
    "subscription_cancel.cancellation_reason.enabled",
    "subscription_pause.enabled",
    "subscription_update.enabled",
];

/// Applies the parameters create and update share.
fn apply(world: &World, configuration: &mut Value, params: &Params) -> Result<(), ApiError> {
    for field in ["headline", "privacy_policy_url", "terms_of_service_url"] {
        let path = format!("business_profile.{field}");
        if let Some(value) = params.str(&path) {
            if field != "headline" && !value.is_empty() {
                check_url(value, &crate::form::bracketed(&path))?;
            }
            configuration["business_profile"][field] = text(value);
        }
    }
    if let Some(url) = params.str("default_return_url") {
        if !url.is_empty() {
            check_url(url, "default_return_url")?;
        }
        configuration["default_return_url"] = text(url);
    }
    if let Some(name) = params.str("name") {
        configuration["name"] = text(name);
    }
    if let Some(enabled) = params.bool("login_page.enabled")? {
        configuration["login_page"]["enabled"] = json!(enabled);
    }
    let features = &mut configuration["features"];
    for path in SWITCHES {
        if let Some(enabled) = params.bool(&format!("features.{path}"))? {
            *pointer(features, path) = json!(enabled);
        }
    }
    for (path, choices) in CHOICES {
        if let Some(choice) = params.one_of(&format!("features.{path}"), choices)? {
            *pointer(features, path) = json!(choice);
        }
    }
    for (path, choices) in LISTS {
        let full = format!("features.{path}");
        if params.get(&full).is_none() {
            continue;
        }
        let values = params.strings(&full);
        if let Some(bad) = values
            .iter()
            .find(|value| !choices.contains(&value.as_str()))
        {
            return Err(ApiError::invalid(
                format!(
                    "Invalid {}: must be one of {} (got {bad})",
                    crate::form::bracketed(&full),
                    choices.join(", ")
                ),
                Some(&crate::form::bracketed(&full)),
            ));
        }
        *pointer(features, path) = json!(values);
    }
    if let Some(id) = params.str("features.payment_method_update.payment_method_configuration") {
        features["payment_method_update"]["payment_method_configuration"] = text(id);
    }
    if params
        .get("features.subscription_update.products")
        .is_some()
    {
        features["subscription_update"]["products"] = json!(products(world, params)?);
    }
    if params
        .get("features.subscription_update.schedule_at_period_end.conditions")
        .is_some()
    {
        let conditions: Vec<Value> = params
            .array("features.subscription_update.schedule_at_period_end.conditions")
            .into_iter()
            .map(|condition| json!({ "type": condition["type"] }))
            .collect();
        features["subscription_update"]["schedule_at_period_end"]["conditions"] = json!(conditions);
    }
    merge_metadata(configuration, params);
    Ok(())
}

/// `features[subscription_update][products]`: each product with the prices customers may switch
/// among, all of which must exist and belong to it.
fn products(world: &World, params: &Params) -> Result<Vec<Value>, ApiError> {
    let path = "features.subscription_update.products";
    let mut products = Vec::new();
    for (index, entry) in params.array(path).into_iter().enumerate() {
        let param = format!("features[subscription_update][products][{index}]");
        let product_id = entry["product"]
            .as_str()
            .ok_or_else(|| ApiError::missing(&format!("{path}.{index}.product")))?;
        world.get("product", product_id, &format!("{param}[product]"))?;
        let prices: Vec<String> = match &entry["prices"] {
            Value::Array(items) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            Value::Object(map) => map
                .values()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => return Err(ApiError::missing(&format!("{path}.{index}.prices"))),
        };
        for price in &prices {
            let found = world.get("price", price, &format!("{param}[prices]"))?;
            if found["product"] != product_id {
                return Err(ApiError::invalid(
                    format!("The price {price} does not belong to the product {product_id}."),
                    Some(&format!("{param}[prices]")),
                ));
            }
        }
        let quantity = &entry["adjustable_quantity"];
        products.push(json!({
            "adjustable_quantity": {
                "enabled": quantity["enabled"] == "true",
                "maximum": quantity["maximum"].as_str().and_then(|max| max.parse::<i64>().ok()),
                "minimum": quantity["minimum"].as_str().and_then(|min| min.parse::<i64>().ok()).unwrap_or(1),
            },
            "prices": prices,
            "product": product_id,
        }));
    }
    Ok(products)
}

/// The setting at a dotted path under `features`.
fn pointer<'a>(features: &'a mut Value, path: &str) -> &'a mut Value {
    path.split('.').fold(features, |node, key| &mut node[key])
}

/// A string setting; an empty string unsets it.
fn text(value: &str) -> Value {
    if value.is_empty() {
        Value::Null
    } else {
        json!(value)
    }
}
