//! Discounts on Checkout Sessions: `discounts[0][coupon|promotion_code]` at creation, a
//! promotion code the buyer types on the hosted page (`allow_promotion_codes=true`), and the
//! session's `amount_total` and `total_details.amount_discount` less them.
//! <https://docs.stripe.com/payments/checkout/discounts>

use serde_json::{json, Value};

use crate::discounts::{self, Requested};
use crate::error::ApiError;
use crate::form::Params;
use crate::world::World;

/// What the buyer sees for a code that cannot be used, whatever the reason (Checkout does not
/// say whether a code exists).
pub const INVALID_CODE: &str = "This code is invalid.";

/// The checked `discounts[]` of a new session (refused together with `allow_promotion_codes`).
pub fn requested(
    world: &World,
    params: &Params,
    customer: Option<&str>,
) -> Result<Vec<Requested>, ApiError> {
    if params.get("discounts").is_some() && params.bool("allow_promotion_codes")? == Some(true) {
        return Err(ApiError::invalid(
            "You may only specify one of these parameters: allow_promotion_codes, discounts.",
            Some("discounts"),
        ));
    }
    discounts::requested(world, params, customer)
}

/// A session's `discounts` entries for what was requested.
pub fn entries(requested: &[Requested]) -> Value {
    json!(requested
        .iter()
        .map(|each| match &each.promotion_code {
            Some(code) => json!({ "coupon": null, "promotion_code": code["id"] }),
            None => json!({ "coupon": each.coupon["id"], "promotion_code": null }),
        })
        .collect::<Vec<_>>())
}

/// What the requested discounts take off a session's line items (nothing during a trial).
pub fn amount_off(requested: &[Requested], items: &[Value], currency: &Value) -> i64 {
    let mut left = items
        .iter()
        .map(|item| item["amount_total"].as_i64().unwrap_or(0))
        .sum::<i64>();
    let mut total = 0;
    for Requested { coupon, .. } in requested {
        let base: i64 = items
            .iter()
            .filter(|item| {
                coupon["applies_to"]["products"]
                    .as_array()
                    .is_none_or(|products| products.contains(&item["price"]["product"]))
            })
            .map(|item| item["amount_total"].as_i64().unwrap_or(0))
            .sum::<i64>()
            .min(left);
        let amount = discounts::discount_amount(coupon, base, currency);
        left -= amount;
        total += amount;
    }
    total
}

/// Applies a code typed on the hosted page to an open session: the active promotion code with
/// that text, usable by this buyer and meeting its restrictions; else [`INVALID_CODE`].
pub fn apply_code(world: &mut World, id: &str, text: &str) -> Result<(), &'static str> {
    let session = world
        .find("checkout.session", id)
        .filter(|session| session["allow_promotion_codes"] == true)
        .cloned()
        .ok_or(INVALID_CODE)?;
    let code = world
        .all("promotion_code")
        .find(|code| {
            code["active"] == true
                && code["code"]
                    .as_str()
                    .is_some_and(|known| known.eq_ignore_ascii_case(text.trim()))
        })
        .cloned()
        .ok_or(INVALID_CODE)?;
    let customer = session["customer"].as_str();
    let requested = discounts::through_promotion_code(
        world,
        code["id"].as_str().unwrap_or_default(),
        customer,
        "promotion_code",
    )
    .map_err(|_| INVALID_CODE)?;
    let subtotal = session["amount_subtotal"].as_i64().unwrap_or(0);
    let restrictions = &code["restrictions"];
    if let Some(minimum) = restrictions["minimum_amount"].as_i64() {
        if restrictions["minimum_amount_currency"] == session["currency"] && subtotal < minimum {
            return Err(INVALID_CODE);
        }
    }
    if restrictions["first_time_transaction"] == true
        && customer.is_some_and(|customer| has_paid_before(world, customer))
    {
        return Err(INVALID_CODE);
    }
    let items = world.line_items.get(id).cloned().unwrap_or_default();
    let requested = [requested];
    let mut after = session.clone();
    after["discounts"] = entries(&requested);
    set_totals(&mut after, &requested, &items);
    world.put(after);
    Ok(())
}

/// Whether a customer already paid something (a promotion code for first-time transactions
/// refuses them).
fn has_paid_before(world: &World, customer: &str) -> bool {
    world
        .all("charge")
        .any(|charge| charge["customer"] == customer && charge["paid"] == true)
}

/// Sets a session's `amount_total` and `total_details.amount_discount` from its subtotal less
/// the discounts (a trial still charges nothing today).
pub fn set_totals(session: &mut Value, requested: &[Requested], items: &[Value]) {
    let trial = session["subscription_data"]["trial_period_days"]
        .as_i64()
        .is_some_and(|days| days > 0);
    let subtotal = session["amount_subtotal"].as_i64().unwrap_or(0);
    let off = if trial {
        0
    } else {
        amount_off(requested, items, &session["currency"])
    };
    session["amount_total"] = json!(if trial { 0 } else { subtotal - off });
    session["total_details"]["amount_discount"] = json!(off);
}

/// Counts the redemptions of a paid `payment`-mode session's discounts (a subscription's are
/// counted when its discounts are made).
pub fn count_redemptions(world: &mut World, requested: &[Requested]) {
    for Requested {
        coupon,
        promotion_code,
    } in requested
    {
        discounts::count_redemption(world, "coupon", coupon["id"].as_str().unwrap_or_default());
        if let Some(code) = promotion_code {
            let id = code["id"].as_str().unwrap_or_default();
            discounts::count_redemption(world, "promotion_code", id);
        }
    }
}
