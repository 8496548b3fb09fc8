//! Products: create, retrieve, update, list (`active`), delete.
//! <https://docs.stripe.com/api/products>

use serde_json::{json, Value};

use super::{deleted, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::world::World;

/// `POST /v1/products`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let name = params.required("name")?;
    let id = match params.str("id") {
        Some(id) if world.exists(id) => {
            return Err(ApiError::invalid_code(
                "resource_already_exists",
                format!("Product already exists: {id}"),
                Some("id"),
            ))
        }
        Some(id) => id.to_owned(),
        None => world.new_id("prod"),
    };
    let now = world.now();
    let mut product = json!({
        "id": id,
        "object": "product",
        "active": params.bool("active")?.unwrap_or(true),
        "created": now,
        "default_price": null,
        "description": null,
        "images": [],
        "livemode": false,
        "marketing_features": [],
        "metadata": {},
        "name": name,
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": null,
        "tax_code": null,
        "tax_details": null,
        "type": "service",
        "unit_label": null,
        "updated": now,
        "url": null,
    });
    apply(&mut product, params)?;
    world.insert(product.clone());
    world.emit("product.created", &product, None);
    if params.get("default_price_data").is_some() {
        let price = super::prices::build(world, params, "default_price_data", &id)?;
        product["default_price"] = price["id"].clone();
        world.put(product.clone());
    }
    Ok(product)
}

fn apply(product: &mut Value, params: &Params) -> Result<(), ApiError> {
    if let Some(name) = params.str("name") {
        if name.is_empty() {
            return Err(ApiError::invalid(
                "You must provide a non-empty name.",
                Some("name"),
            ));
        }
        product["name"] = json!(name);
    }
    if let Some(active) = params.bool("active")? {
        product["active"] = json!(active);
    }
    for field in [
        "description",
        "statement_descriptor",
        "tax_code",
        "unit_label",
        "url",
    ] {
        if let Some(value) = params.str(field) {
            product[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    if let Some(shippable) = params.bool("shippable")? {
        product["shippable"] = json!(shippable);
    }
    if params.get("images").is_some() {
        product["images"] = json!(params.strings("images"));
    }
    if params.get("marketing_features").is_some() {
        let features: Vec<Value> = params
            .array("marketing_features")
            .into_iter()
            .map(|feature| json!({ "name": feature["name"] }))
            .collect();
        product["marketing_features"] = json!(features);
    }
    merge_metadata(product, params);
    Ok(())
}

/// `GET /v1/products/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("product", call.id(), "id")
}

/// `POST /v1/products/{id}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("product", call.id(), "id")?;
    let mut product = before.clone();
    apply(&mut product, &call.params)?;
    if let Some(price) = call.params.str("default_price") {
        if !price.is_empty() {
            let found = world.get("price", price, "default_price")?;
            if found["product"] != product["id"] {
                return Err(ApiError::invalid(
                    format!("The price {price} does not belong to this product."),
                    Some("default_price"),
                ));
            }
        }
        product["default_price"] = if price.is_empty() {
            Value::Null
        } else {
            json!(price)
        };
    }
    product["updated"] = json!(world.now());
    Ok(world.update_and_emit("product.updated", &before, product))
}

/// `DELETE /v1/products/{id}`: only products without prices, as in Stripe.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let product = world.get("product", call.id(), "id")?;
    if world
        .all("price")
        .any(|price| price["product"] == product["id"])
    {
        return Err(ApiError::state(
            "This product cannot be deleted because it has one or more user-created prices.",
        ));
    }
    world.remove(call.id());
    world.emit("product.deleted", &product, None);
    Ok(deleted(call.id(), "product"))
}

/// `GET /v1/products`: active products unless `active=false` asks for the archived ones.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    // Without `active`, Stripe lists only active products.
    let active = params.bool("active")?.unwrap_or(true);
    let ids = params.strings("ids");
    list_objects(world, params, "product", "/v1/products", |product| {
        product["active"] == active
            && (ids.is_empty() || ids.iter().any(|id| product["id"] == id.as_str()))
    })
}
