//! Prices: create (one-time and recurring, with `trial_period_days`; metered on a meter, per unit
//! or tiered), retrieve, update, list
//! (`active`, `product`, `type`, `currency`, `lookup_keys[]`, `recurring[interval]`).
//! <https://docs.stripe.com/api/prices>

use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::Call;
use crate::world::World;

/// `POST /v1/prices`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let product = match (params.str("product"), params.str("product_data.name")) {
        (Some(product), _) => world.get("product", product, "product")?["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        (None, Some(name)) => {
            let id = world.new_id("prod");
            let now = world.now();
            let mut product = json!({
                "id": id, "object": "product", "active": true, "created": now, "default_price": null,
                "description": null, "images": [], "livemode": false, "marketing_features": [],
                "metadata": params.get("product_data.metadata").cloned().unwrap_or(json!({})),
                "name": name, "package_dimensions": null, "shippable": null, "statement_descriptor": null,
                "tax_code": null, "tax_details": null, "type": "service", "unit_label": null, "updated": now, "url": null,
            });
            if let Some(active) = params.bool("product_data.active")? {
                product["active"] = json!(active);
            }
            world.insert(product.clone());
            world.emit("product.created", &product, None);
            id
        }
        (None, None) => return Err(ApiError::missing("product")),
    };
    let mut price = build(world, params, "", &product)?;
    if let Some(active) = params.bool("active")? {
        price["active"] = json!(active);
        world.put(price.clone());
    }
    Ok(price)
}

/// Creates a price from parameters under `prefix` (`""` or `default_price_data`) for a product.
pub fn build(
    world: &mut World,
    params: &Params,
    prefix: &str,
    product: &str,
) -> Result<Value, ApiError> {
    build_with_id(world, params, prefix, product, None)
}

/// Like [`build`], with the id the caller chose (a legacy plan keeps the id it was created with).
pub fn build_with_id(
    world: &mut World,
    params: &Params,
    prefix: &str,
    product: &str,
    id: Option<String>,
) -> Result<Value, ApiError> {
    let key = |name: &str| {
        if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}.{name}")
        }
    };
    let currency = params.required(&key("currency"))?.to_ascii_lowercase();
    if currency.len() != 3 || !currency.bytes().all(|byte| byte.is_ascii_lowercase()) {
        return Err(ApiError::invalid(
            format!("Invalid currency: {currency}"),
            Some(&key("currency")),
        ));
    }
    let tiered = params.str(&key("billing_scheme")) == Some("tiered");
    let tiers = if tiered {
        if params.get(&key("unit_amount")).is_some()
            || params.get(&key("unit_amount_decimal")).is_some()
        {
            return Err(ApiError::invalid(
                "A tiered price takes its amounts from `tiers`, not `unit_amount`.",
                Some(&crate::form::bracketed(&key("unit_amount"))),
            ));
        }
        params.required(&key("tiers_mode"))?;
        Some(crate::metering::pricing::parse_tiers(
            params,
            &key("tiers"),
        )?)
    } else {
        None
    };
    let unit_amount = match (
        params.int(&key("unit_amount"))?,
        params.str(&key("unit_amount_decimal")),
    ) {
        _ if tiered => 0,
        (Some(amount), _) => amount,
        (None, Some(decimal)) => decimal
            .parse::<f64>()
            .map(|amount| amount.round() as i64)
            .map_err(|_| ApiError::invalid("Invalid decimal", Some(&key("unit_amount_decimal"))))?,
        (None, None) => return Err(ApiError::missing(&key("unit_amount"))),
    };
    if !(0..=super::MAX_AMOUNT).contains(&unit_amount) {
        return Err(ApiError::invalid(
            format!(
                "Invalid unit_amount: must be between 0 and {}",
                super::MAX_AMOUNT
            ),
            Some(&crate::form::bracketed(&key("unit_amount"))),
        ));
    }
    let recurring = match params.one_of(
        &key("recurring.interval"),
        &["day", "week", "month", "year"],
    )? {
        Some(interval) => {
            let interval_count = params.int(&key("recurring.interval_count"))?.unwrap_or(1);
            if !(1..=365).contains(&interval_count) {
                return Err(ApiError::invalid(
                    "Invalid interval_count",
                    Some(&crate::form::bracketed(&key("recurring.interval_count"))),
                ));
            }
            let usage_type = params
                .one_of(&key("recurring.usage_type"), &["licensed", "metered"])?
                .unwrap_or_else(|| "licensed".to_owned());
            let meter = meter(world, params, &key("recurring.meter"), &usage_type)?;
            json!({
                "interval": interval,
                "interval_count": interval_count,
                "meter": meter,
                "trial_period_days": params.int_in(&key("recurring.trial_period_days"), 1..=super::MAX_TRIAL_DAYS)?,
                "usage_type": usage_type,
            })
        }
        None => Value::Null,
    };
    if tiered && recurring["usage_type"] != "metered" {
        return Err(ApiError::invalid(
            "The emulator bills tiered prices only for metered usage: pass \
             `recurring[usage_type]=metered` with a `recurring[meter]`.",
            Some(&crate::form::bracketed(&key("billing_scheme"))),
        ));
    }
    let lookup_key = params
        .str(&key("lookup_key"))
        .filter(|key| !key.is_empty())
        .map(str::to_owned);
    if let Some(lookup_key) = &lookup_key {
        transfer_lookup_key(
            world,
            lookup_key,
            params.bool(&key("transfer_lookup_key"))?.unwrap_or(false),
        )?;
    }
    let id = id.unwrap_or_else(|| world.new_id("price"));
    let mut price = json!({
        "id": id,
        "object": "price",
        "active": true,
        "billing_scheme": "per_unit",
        "created": world.now(),
        "currency": currency,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": lookup_key,
        "metadata": params.get(&key("metadata")).filter(|value| value.is_object()).cloned().unwrap_or(json!({})),
        "nickname": params.str(&key("nickname")),
        "product": product,
        "recurring": recurring,
        "tax_behavior": params.str(&key("tax_behavior")).unwrap_or("unspecified"),
        "tiers_mode": null,
        "transform_quantity": null,
        "type": if recurring.is_null() { "one_time" } else { "recurring" },
        "unit_amount": unit_amount,
        "unit_amount_decimal": unit_amount.to_string(),
    });
    if let Some(tiers) = tiers {
        price["billing_scheme"] = json!("tiered");
        price["tiers_mode"] = json!(params.str(&key("tiers_mode")));
        price["unit_amount"] = Value::Null;
        price["unit_amount_decimal"] = Value::Null;
        world.price_tiers.insert(id.clone(), tiers);
    }
    world.insert(price.clone());
    world.emit("price.created", &price, None);
    Ok(price)
}

/// The meter of a recurring price: a metered price must name one (Stripe removed metered prices
/// without a meter at 2025-03-31.basil), and only a metered price may.
fn meter(
    world: &World,
    params: &Params,
    path: &str,
    usage_type: &str,
) -> Result<Option<String>, ApiError> {
    let param = crate::form::bracketed(path);
    match (params.str(path).filter(|id| !id.is_empty()), usage_type) {
        (None, "metered") => Err(ApiError::invalid(
            "A metered price must be backed by a meter: pass its id in `recurring[meter]`.",
            Some(&param),
        )),
        (None, _) => Ok(None),
        (Some(_), "licensed") => Err(ApiError::invalid(
            "`recurring[meter]` can only be set on a price with `recurring[usage_type]=metered`.",
            Some(&param),
        )),
        (Some(id), _) => Ok(Some(
            world.get("billing.meter", id, &param)?["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )),
    }
}

/// A lookup key belongs to one price; moving it needs `transfer_lookup_key=true`.
fn transfer_lookup_key(
    world: &mut World,
    lookup_key: &str,
    transfer: bool,
) -> Result<(), ApiError> {
    let holder = world
        .all("price")
        .find(|price| price["lookup_key"] == lookup_key)
        .cloned();
    let Some(holder) = holder else { return Ok(()) };
    if !transfer {
        return Err(ApiError::invalid(
            format!(
                "A price (`{}`) already uses that lookup key. Pass `transfer_lookup_key=true` to move it.",
                holder["id"].as_str().unwrap_or_default()
            ),
            Some("lookup_key"),
        ));
    }
    let mut moved = holder.clone();
    moved["lookup_key"] = Value::Null;
    world.update_and_emit("price.updated", &holder, moved);
    Ok(())
}

/// `GET /v1/prices/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("price", call.id(), "price")
}

/// `POST /v1/prices/{id}`: `active`, `nickname`, `metadata`, `lookup_key`, `tax_behavior`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = world.get("price", call.id(), "price")?;
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
    if let Some(tax_behavior) =
        params.one_of("tax_behavior", &["inclusive", "exclusive", "unspecified"])?
    {
        price["tax_behavior"] = json!(tax_behavior);
    }
    if let Some(lookup_key) = params.str("lookup_key") {
        if !lookup_key.is_empty() && price["lookup_key"] != lookup_key {
            transfer_lookup_key(
                world,
                lookup_key,
                params.bool("transfer_lookup_key")?.unwrap_or(false),
            )?;
        }
        price["lookup_key"] = if lookup_key.is_empty() {
            Value::Null
        } else {
            json!(lookup_key)
        };
    }
    merge_metadata(&mut price, params);
    Ok(world.update_and_emit("price.updated", &before, price))
}

/// `GET /v1/prices`: active prices unless `active=false` asks for the archived ones.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    // Without `active`, Stripe lists only active prices.
    let active = params.bool("active")?.unwrap_or(true);
    let kind = params.one_of("type", &["one_time", "recurring"])?;
    let lookup_keys = params.strings("lookup_keys");
    list_objects(world, params, "price", "/v1/prices", |price| {
        price["active"] == active
            && kind.as_deref().is_none_or(|kind| price["type"] == kind)
            && params.matches("product", &price["product"])
            && params.matches("currency", &price["currency"])
            && params.matches("recurring.interval", &price["recurring"]["interval"])
            && (lookup_keys.is_empty()
                || lookup_keys
                    .iter()
                    .any(|key| price["lookup_key"] == key.as_str()))
    })
}
