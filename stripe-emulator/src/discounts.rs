//! Discounts: coupons and promotion codes checked for redemption, redeemed into `discount`
//! objects (`di_…`) on a subscription, the amounts those take off each invoice, and their end
//! (`once` after the first invoice they reduce, `repeating` after `duration_in_months`,
//! `forever` never). Each redemption counts on its coupon and promotion code.
//! <https://docs.stripe.com/billing/subscriptions/coupons>

use serde_json::{json, Value};

use crate::billing::add_interval;
use crate::error::ApiError;
use crate::form::Params;
use crate::world::World;

/// A coupon asked for (by itself or through a promotion code), checked redeemable.
#[derive(Debug, Clone)]
pub struct Requested {
    /// The coupon object.
    pub coupon: Value,
    /// The promotion code object it came through, if any.
    pub promotion_code: Option<Value>,
}

/// A coupon with `valid` as of now: false once `redeem_by` passed or `max_redemptions` reached.
pub fn with_validity(world: &World, mut coupon: Value) -> Value {
    coupon["valid"] = json!(coupon_valid(world, &coupon));
    coupon
}

fn coupon_valid(world: &World, coupon: &Value) -> bool {
    let expired = coupon["redeem_by"]
        .as_i64()
        .is_some_and(|at| at <= world.now());
    let exhausted = coupon["max_redemptions"]
        .as_i64()
        .is_some_and(|max| coupon["times_redeemed"].as_i64().unwrap_or(0) >= max);
    !expired && !exhausted
}

/// Why a promotion code cannot be used now (inactive, expired, used up, its coupon no longer
/// valid, another customer's), in the words shown to a buyer; None if it can.
pub fn promotion_code_refusal(
    world: &World,
    code: &Value,
    customer: Option<&str>,
) -> Option<String> {
    let name = code["code"].as_str().unwrap_or_default();
    if code["active"] != true {
        return Some(format!("This promotion code is not active: {name}."));
    }
    if code["expires_at"]
        .as_i64()
        .is_some_and(|at| at <= world.now())
    {
        return Some(format!("This promotion code has expired: {name}."));
    }
    if code["max_redemptions"]
        .as_i64()
        .is_some_and(|max| code["times_redeemed"].as_i64().unwrap_or(0) >= max)
    {
        return Some(format!(
            "This promotion code has reached its maximum number of redemptions: {name}."
        ));
    }
    if let Some(owner) = code["customer"].as_str() {
        if customer != Some(owner) {
            return Some(format!(
                "This promotion code cannot be redeemed by this customer: {name}."
            ));
        }
    }
    let coupon = code["promotion"]["coupon"].as_str().unwrap_or_default();
    match world.find("coupon", coupon) {
        Some(coupon) if coupon_valid(world, coupon) => None,
        _ => Some(format!(
            "This promotion code's coupon is no longer valid: {name}."
        )),
    }
}

/// The coupon a promotion code gives, or the refusal as Stripe's 400 on `param`.
pub fn through_promotion_code(
    world: &World,
    id: &str,
    customer: Option<&str>,
    param: &str,
) -> Result<Requested, ApiError> {
    let code = world.get("promotion_code", id, param)?;
    if let Some(refusal) = promotion_code_refusal(world, &code, customer) {
        return Err(ApiError::invalid(refusal, Some(param)));
    }
    let coupon = world.get(
        "coupon",
        code["promotion"]["coupon"].as_str().unwrap_or_default(),
        param,
    )?;
    Ok(Requested {
        coupon,
        promotion_code: Some(code),
    })
}

/// A coupon by id, refused with `coupon_expired` once it cannot be redeemed.
pub fn coupon(world: &World, id: &str, param: &str) -> Result<Requested, ApiError> {
    let coupon = world.get("coupon", id, param)?;
    if !coupon_valid(world, &coupon) {
        return Err(ApiError::invalid_code(
            "coupon_expired",
            format!("Coupon expired: {id}"),
            Some(param),
        ));
    }
    Ok(Requested {
        coupon,
        promotion_code: None,
    })
}

/// The `discounts[i][coupon|promotion_code]` of a request, each checked; at most one each.
pub fn requested(
    world: &World,
    params: &Params,
    customer: Option<&str>,
) -> Result<Vec<Requested>, ApiError> {
    let mut found = Vec::new();
    for (index, entry) in params.array("discounts").iter().enumerate() {
        let requested = match (entry["coupon"].as_str(), entry["promotion_code"].as_str()) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid(
                    "You may only specify one of these parameters: coupon, promotion_code.",
                    Some(&format!("discounts[{index}]")),
                ))
            }
            (Some(id), None) => coupon(world, id, &format!("discounts[{index}][coupon]"))?,
            (None, Some(id)) => through_promotion_code(
                world,
                id,
                customer,
                &format!("discounts[{index}][promotion_code]"),
            )?,
            (None, None) => continue,
        };
        found.push(requested);
    }
    if found.len() > 1 {
        let mut ids: Vec<&Value> = found.iter().map(|each| &each.coupon["id"]).collect();
        ids.dedup();
        if ids.len() < found.len() {
            return Err(ApiError::invalid(
                "The same coupon cannot be applied more than once.",
                Some("discounts"),
            ));
        }
    }
    Ok(found)
}

/// Redeems coupons for a customer's subscription: a `discount` object each (stored, with
/// `customer.discount.created`), one more redemption on each coupon and promotion code.
/// Returns the discount ids.
pub fn redeem(
    world: &mut World,
    requested: &[Requested],
    customer: &str,
    subscription: &str,
    checkout_session: Option<&str>,
) -> Vec<Value> {
    let start = world.now_for_customer(customer);
    let mut ids = Vec::new();
    for Requested {
        coupon,
        promotion_code,
    } in requested
    {
        let end = match coupon["duration"].as_str() {
            Some("repeating") => Some(add_interval(
                start,
                "month",
                coupon["duration_in_months"].as_i64().unwrap_or(1),
            )),
            _ => None,
        };
        let id = world.new_id("di");
        let discount = json!({
            "id": id,
            "object": "discount",
            "checkout_session": checkout_session,
            "customer": customer,
            "customer_account": null,
            "end": end,
            "invoice": null,
            "invoice_item": null,
            "promotion_code": promotion_code.as_ref().map(|code| code["id"].clone()),
            "source": { "coupon": coupon["id"], "type": "coupon" },
            "start": start,
            "subscription": subscription,
            "subscription_item": null,
        });
        world.discount_terms.insert(id.clone(), coupon.clone());
        world.insert(discount.clone());
        world.emit("customer.discount.created", &discount, None);
        count_redemption(world, "coupon", coupon["id"].as_str().unwrap_or_default());
        if let Some(code) = promotion_code {
            count_redemption(
                world,
                "promotion_code",
                code["id"].as_str().unwrap_or_default(),
            );
        }
        ids.push(json!(id));
    }
    ids
}

/// One more redemption of a coupon or promotion code.
pub fn count_redemption(world: &mut World, kind: &str, id: &str) {
    if let Some(mut object) = world.find(kind, id).cloned() {
        object["times_redeemed"] = json!(object["times_redeemed"].as_i64().unwrap_or(0) + 1);
        world.put(object);
    }
}

/// Ends a subscription's discount: gone from its `discounts`, `customer.discount.deleted`.
pub fn end(world: &mut World, subscription: &mut Value, id: &str) {
    if let Some(list) = subscription["discounts"].as_array_mut() {
        list.retain(|known| known != id);
    }
    if let Some(discount) = world.remove(id) {
        world.emit("customer.discount.deleted", &discount, None);
    }
}

/// Ends the repeating discounts whose months are over at `at`, before an invoice is made then.
pub fn end_expired(world: &mut World, subscription: &mut Value, at: i64) {
    for id in discount_ids(subscription) {
        let ended = world
            .find("discount", &id)
            .and_then(|discount| discount["end"].as_i64())
            .is_some_and(|end| end <= at);
        if ended {
            end(world, subscription, &id);
        }
    }
}

/// Ends the `once` discounts an invoice used (reduced it by more than zero).
pub fn end_used_once(world: &mut World, subscription: &mut Value, invoice: &Value) {
    let used = invoice["total_discount_amounts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for entry in used {
        let id = entry["discount"].as_str().unwrap_or_default();
        let once = world
            .discount_terms
            .get(id)
            .is_some_and(|coupon| coupon["duration"] == "once");
        if once && entry["amount"].as_i64().unwrap_or(0) > 0 {
            end(world, subscription, id);
        }
    }
}

fn discount_ids(subscription: &Value) -> Vec<String> {
    subscription["discounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|id| id.as_str().map(str::to_owned))
        .collect()
}

/// Applies a subscription's discounts to an invoice whose lines and totals are set: each line's
/// `discount_amounts`, the invoice's `discounts` and `total_discount_amounts`, and `total`,
/// `amount_due` and `amount_remaining` less the discounts.
pub fn apply_to_invoice(world: &World, invoice: &mut Value, subscription: &Value) {
    let ids = discount_ids(subscription);
    if ids.is_empty() {
        return;
    }
    let currency = invoice["currency"].clone();
    let mut lines = invoice["lines"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut totals = Vec::new();
    for id in &ids {
        let Some(coupon) = world.discount_terms.get(id) else {
            continue;
        };
        let eligible: Vec<usize> = (0..lines.len())
            .filter(|index| applies_to_line(coupon, &lines[*index]))
            .collect();
        let remaining = |line: &Value| {
            line["amount"].as_i64().unwrap_or(0)
                - line["discount_amounts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|entry| entry["amount"].as_i64().unwrap_or(0))
                    .sum::<i64>()
        };
        let base: i64 = eligible
            .iter()
            .map(|index| remaining(&lines[*index]).max(0))
            .sum();
        let amount = discount_amount(coupon, base, &currency);
        let mut left = amount;
        for (position, index) in eligible.iter().enumerate() {
            let line = &mut lines[*index];
            let share = if position + 1 == eligible.len() || base == 0 {
                left
            } else {
                amount * remaining(line).max(0) / base
            };
            left -= share;
            line["discount_amounts"]
                .as_array_mut()
                .expect("lines carry discount_amounts")
                .push(json!({ "amount": share, "discount": id }));
            line["discounts"]
                .as_array_mut()
                .expect("lines carry discounts")
                .push(json!(id));
        }
        totals.push(json!({ "amount": amount, "discount": id }));
    }
    let discounted: i64 = totals
        .iter()
        .map(|entry| entry["amount"].as_i64().unwrap_or(0))
        .sum();
    let subtotal = invoice["subtotal"].as_i64().unwrap_or(0);
    let total = subtotal - discounted;
    let paid = invoice["amount_paid"].as_i64().unwrap_or(0);
    invoice["discounts"] = json!(ids);
    invoice["total_discount_amounts"] = json!(totals);
    invoice["total"] = json!(total);
    invoice["total_excluding_tax"] = json!(total);
    invoice["amount_due"] = json!(total.max(0));
    invoice["amount_remaining"] = json!((total.max(0) - paid).max(0));
    invoice["lines"]["data"] = json!(lines);
}

/// Whether a coupon reduces a line: discountable, positive, and one of `applies_to[products]`.
fn applies_to_line(coupon: &Value, line: &Value) -> bool {
    let product = &line["pricing"]["price_details"]["product"];
    line["discountable"] == true
        && line["amount"].as_i64().unwrap_or(0) > 0
        && coupon["applies_to"]["products"]
            .as_array()
            .is_none_or(|products| products.contains(product))
}

/// What a coupon takes off `base`: a rounded percentage, or its amount (in its currency) at most.
pub fn discount_amount(coupon: &Value, base: i64, currency: &Value) -> i64 {
    if let Some(percent) = coupon["percent_off"].as_f64() {
        return ((base as f64) * percent / 100.0).round() as i64;
    }
    if coupon["currency"] != *currency {
        return 0;
    }
    coupon["amount_off"].as_i64().unwrap_or(0).min(base)
}

/// A Checkout Session's `discounts` checked again at completion, for its buyer.
pub fn from_session(
    world: &World,
    session: &Value,
    customer: &str,
) -> Result<Vec<Requested>, ApiError> {
    let mut found = Vec::new();
    for entry in session["discounts"].as_array().into_iter().flatten() {
        if let Some(id) = entry["promotion_code"].as_str() {
            found.push(through_promotion_code(
                world,
                id,
                Some(customer),
                "promotion_code",
            )?);
        } else if let Some(id) = entry["coupon"].as_str() {
            found.push(coupon(world, id, "coupon")?);
        }
    }
    Ok(found)
}
