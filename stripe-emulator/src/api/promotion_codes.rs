//! Promotion codes: create (the coupon as `promotion[type]=coupon` + `promotion[coupon]` at this
//! API version, `code` or a generated one, `active`, `max_redemptions`, `expires_at`, `customer`,
//! `restrictions[…]`, `metadata`), retrieve, update (`active`, `metadata`), list (`code`,
//! `active`, `coupon`, `customer`). Redeeming one is in [`crate::discounts`].
//! <https://docs.stripe.com/api/promotion_codes>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::{list_objects, merge_metadata};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The Promotion code routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/promotion_codes", post(op(create)).get(op(list)))
        .route(
            "/v1/promotion_codes/{id}",
            get(op(retrieve)).post(op(update)),
        )
}

/// `POST /v1/promotion_codes`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let coupon = params
        .str("promotion.coupon")
        .ok_or_else(|| ApiError::missing("promotion.coupon"))?;
    let coupon = world.get("coupon", coupon, "promotion[coupon]")?;
    let code = match params.str("code") {
        Some(code) => {
            let valid = (3..=500).contains(&code.len())
                && code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_".contains(c));
            if !valid {
                return Err(ApiError::invalid(
                    "Invalid code: it must be 3 to 500 characters long and may contain only \
                     letters, digits, dashes and underscores.",
                    Some("code"),
                ));
            }
            code.to_owned()
        }
        None => world.ids.chars(8).to_ascii_uppercase(),
    };
    let active = params.bool("active")?.unwrap_or(true);
    if active && active_code_exists(world, &code) {
        return Err(ApiError::invalid(
            format!("An active promotion code with `code: {code}` already exists."),
            Some("code"),
        ));
    }
    let customer = match params.str("customer") {
        Some(id) => Some(world.get("customer", id, "customer")?["id"].clone()),
        None => None,
    };
    let max_redemptions = params.int("max_redemptions")?;
    if max_redemptions.is_some_and(|max| max < 1) {
        return Err(ApiError::not_positive("max_redemptions"));
    }
    let now = world.now();
    let expires_at = params.int("expires_at")?;
    if expires_at.is_some_and(|at| at <= now) {
        return Err(ApiError::invalid(
            "Invalid expires_at: must be in the future",
            Some("expires_at"),
        ));
    }
    if let (Some(at), Some(redeem_by)) = (expires_at, coupon["redeem_by"].as_i64()) {
        if at > redeem_by {
            return Err(ApiError::invalid(
                "The promotion code's `expires_at` may not be later than the coupon's `redeem_by`.",
                Some("expires_at"),
            ));
        }
    }
    let minimum_amount = params.int("restrictions.minimum_amount")?;
    let minimum_currency = params.str("restrictions.minimum_amount_currency");
    if minimum_amount.is_some() != minimum_currency.is_some() {
        return Err(ApiError::invalid(
            "`restrictions[minimum_amount]` and `restrictions[minimum_amount_currency]` must be \
             given together.",
            Some("restrictions[minimum_amount_currency]"),
        ));
    }
    let mut promotion_code = json!({
        "id": world.new_id("promo"),
        "object": "promotion_code",
        "active": active,
        "code": code,
        "created": now,
        "customer": customer,
        "customer_account": null,
        "expires_at": expires_at,
        "livemode": false,
        "max_redemptions": max_redemptions,
        "metadata": {},
        "promotion": { "coupon": coupon["id"], "type": "coupon" },
        "restrictions": {
            "first_time_transaction": params.bool("restrictions.first_time_transaction")?.unwrap_or(false),
            "minimum_amount": minimum_amount,
            "minimum_amount_currency": minimum_currency.map(str::to_ascii_lowercase),
        },
        "times_redeemed": 0,
    });
    merge_metadata(&mut promotion_code, params);
    world.insert(promotion_code.clone());
    world.emit("promotion_code.created", &promotion_code, None);
    Ok(promotion_code)
}

/// Whether an active promotion code already has this code (codes are unique among active ones,
/// case-insensitively).
fn active_code_exists(world: &World, code: &str) -> bool {
    world.all("promotion_code").any(|known| {
        known["active"] == true
            && known["code"]
                .as_str()
                .is_some_and(|known| known.eq_ignore_ascii_case(code))
    })
}

/// `GET /v1/promotion_codes/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("promotion_code", call.id(), "id")
}

/// `POST /v1/promotion_codes/{id}`: `active` (a code made inactive can be made active again
/// only while no other active code has its text), `metadata`.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = world.get("promotion_code", call.id(), "id")?;
    let mut promotion_code = before.clone();
    if let Some(active) = call.params.bool("active")? {
        let code = before["code"].as_str().unwrap_or_default();
        if active && before["active"] == false && active_code_exists(world, code) {
            return Err(ApiError::invalid(
                format!("An active promotion code with `code: {code}` already exists."),
                Some("active"),
            ));
        }
        promotion_code["active"] = json!(active);
    }
    merge_metadata(&mut promotion_code, &call.params);
    Ok(world.update_and_emit("promotion_code.updated", &before, promotion_code))
}

/// `GET /v1/promotion_codes`
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let active = params.bool("active")?;
    list_objects(
        world,
        params,
        "promotion_code",
        "/v1/promotion_codes",
        |code| {
            active.is_none_or(|active| code["active"] == active)
                && params.str("code").is_none_or(|wanted| {
                    code["code"]
                        .as_str()
                        .is_some_and(|known| known.eq_ignore_ascii_case(wanted))
                })
                && params
                    .str("coupon")
                    .is_none_or(|coupon| code["promotion"]["coupon"] == coupon)
                && params.matches("customer", &code["customer"])
        },
    )
}
