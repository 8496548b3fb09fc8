//! Coupons: create (`percent_off` or `amount_off` + `currency`, `duration` once, repeating with
//! `duration_in_months`, or forever, `max_redemptions`, `redeem_by`, `applies_to[products]`),
//! retrieve, update (`name`, `metadata`), list, delete. Redeeming one is in [`crate::discounts`].
//! <https://docs.stripe.com/api/coupons>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{deleted, list_objects, merge_metadata};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The Coupon routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/coupons", post(op(create)).get(op(list)))
        .route(
            "/v1/coupons/{id}",
            get(op(retrieve)).post(op(update)).delete(op(delete)),
        )
}

/// `POST /v1/coupons`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let (percent_off, amount_off, currency) = value_off(params)?;
    let duration = params
        .one_of("duration", &["forever", "once", "repeating"])?
        .unwrap_or_else(|| "once".to_owned());
    let months = params.int("duration_in_months")?;
    match (duration.as_str(), months) {
        ("repeating", None) => {
            return Err(ApiError::invalid(
                "You must specify `duration_in_months` when `duration` is `repeating`.",
                Some("duration_in_months"),
            ))
        }
        ("repeating", Some(months)) if !(1..=36).contains(&months) => {
            return Err(ApiError::invalid(
                "Invalid duration_in_months: must be between 1 and 36",
                Some("duration_in_months"),
            ))
        }
        (other, Some(_)) if other != "repeating" => {
            return Err(ApiError::invalid(
                "`duration_in_months` can only be set when `duration` is `repeating`.",
                Some("duration_in_months"),
            ))
        }
        _ => {}
    }
    let max_redemptions = params.int("max_redemptions")?;
    if max_redemptions.is_some_and(|max| max < 1) {
        return Err(ApiError::not_positive("max_redemptions"));
    }
    let now = world.now();
    let redeem_by = params.int("redeem_by")?;
    if redeem_by.is_some_and(|at| at <= now) {
        return Err(ApiError::invalid(
            "Invalid redeem_by: must be in the future",
            Some("redeem_by"),
        ));
    }
    let id = match params.str("id") {
        Some(id) if world.exists(id) => {
            return Err(ApiError::invalid_code(
                "resource_already_exists",
                "Coupon already exists.",
                Some("id"),
            ))
        }
        Some(id) => id.to_owned(),
        None => world.ids.chars(8).to_ascii_uppercase(),
    };
    let products = params.strings("applies_to.products");
    for (index, product) in products.iter().enumerate() {
        world.get(
            "product",
            product,
            &format!("applies_to[products][{index}]"),
        )?;
    }
    let mut coupon = json!({
        "id": id,
        "object": "coupon",
        "amount_off": amount_off,
        "created": now,
        "currency": currency,
        "duration": duration,
        "duration_in_months": months,
        "livemode": false,
        "max_redemptions": max_redemptions,
        "metadata": {},
        "name": params.str("name"),
        "percent_off": percent_off,
        "redeem_by": redeem_by,
        "times_redeemed": 0,
        "valid": true,
    });
    if params.get("applies_to").is_some() {
        coupon["applies_to"] = json!({ "products": products });
    }
    merge_metadata(&mut coupon, params);
    world.insert(coupon.clone());
    world.emit("coupon.created", &coupon, None);
    Ok(coupon)
}

/// `percent_off` (more than 0, at most 100) or `amount_off` with its `currency`, never both.
fn value_off(params: &Params) -> Result<(Value, Value, Value), ApiError> {
    let percent = params.str("percent_off").filter(|raw| !raw.is_empty());
    let amount = params.int("amount_off")?;
    match (percent, amount) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "You may only specify one of these parameters: amount_off, percent_off.",
            Some("amount_off"),
        )),
        (None, None) => Err(ApiError::invalid(
            "You must pass either `percent_off` or `amount_off`.",
            None,
        )),
        (Some(raw), None) => match raw.parse::<f64>() {
            Ok(percent) if percent > 0.0 && percent <= 100.0 => {
                Ok((json!(percent), Value::Null, Value::Null))
            }
            _ => Err(ApiError::invalid(
                "Invalid percent_off: must be greater than 0 and at most 100",
                Some("percent_off"),
            )),
        },
        (None, Some(amount)) => {
            if amount < 1 {
                return Err(ApiError::not_positive("amount_off"));
            }
            let currency = params.str("currency").filter(|raw| !raw.is_empty());
            let currency = currency.ok_or_else(|| {
                ApiError::invalid(
                    "You must pass `currency` when creating a coupon with `amount_off`.",
                    Some("currency"),
                )
            })?;
            Ok((
                Value::Null,
                json!(amount),
                json!(currency.to_ascii_lowercase()),
            ))
        }
    }
}

/// `GET /v1/coupons/{id}`: `valid` says whether it can still be redeemed.
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let coupon = world.get("coupon", call.id(), "id")?;
    Ok(crate::discounts::with_validity(world, coupon))
}

/// `POST /v1/coupons/{id}`: `name`, `metadata` (the amount and duration never change).
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("coupon", call.id(), "id")?;
    let mut coupon = before.clone();
    if let Some(name) = call.params.str("name") {
        coupon["name"] = if name.is_empty() {
            Value::Null
        } else {
            json!(name)
        };
    }
    merge_metadata(&mut coupon, &call.params);
    let coupon = world.update_and_emit("coupon.updated", &before, coupon);
    Ok(crate::discounts::with_validity(world, coupon))
}

/// `DELETE /v1/coupons/{id}`: discounts already made from it keep applying, as in Stripe.
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let coupon = world.get("coupon", call.id(), "id")?;
    world.remove(call.id());
    world.emit("coupon.deleted", &coupon, None);
    Ok(deleted(call.id(), "coupon"))
}

/// `GET /v1/coupons`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let mut page = list_objects(world, &call.params, "coupon", "/v1/coupons", |_| true)?;
    if let Some(data) = page["data"].as_array_mut() {
        for coupon in data {
            *coupon = crate::discounts::with_validity(world, coupon.take());
        }
    }
    Ok(page)
}
