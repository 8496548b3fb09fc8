//! The older card sources, as accounts that predate PaymentMethods hold them: a `card_…` object
//! made from a card token (`tok_visa` and Stripe's other test tokens, or one from
//! `POST /v1/tokens`), attached to a customer (`customer.source.created`, the customer's
//! `default_source` when it had none), updated and deleted (the most recently added card becomes
//! the default). Each card can pay as a PaymentMethod of the same id ([`as_payment_method`]), as
//! in Stripe. <https://docs.stripe.com/api/cards>

use serde_json::{json, Value};

use crate::cards::Card;
use crate::error::ApiError;
use crate::world::World;

/// The brand as the Card object names it (`Visa`, `MasterCard`, `American Express`).
fn display_brand(brand: &str) -> &'static str {
    match brand {
        "visa" => "Visa",
        "mastercard" => "MasterCard",
        "amex" => "American Express",
        "discover" => "Discover",
        _ => "Unknown",
    }
}

/// A Card object (`card_…`) for a test card, not yet attached to anyone.
pub fn card_object(id: &str, card: &Card) -> Value {
    json!({
        "id": id,
        "object": "card",
        "address_city": null,
        "address_country": null,
        "address_line1": null,
        "address_line1_check": null,
        "address_line2": null,
        "address_state": null,
        "address_zip": null,
        "address_zip_check": null,
        "brand": display_brand(&card.brand),
        "country": "US",
        "customer": null,
        "cvc_check": "pass",
        "dynamic_last4": null,
        "exp_month": card.exp_month,
        "exp_year": card.exp_year,
        "fingerprint": card.fingerprint,
        "funding": "credit",
        "last4": card.last4,
        "metadata": {},
        "name": null,
        "regulated_status": "unregulated",
        "tokenization_method": null,
    })
}

/// The card behind a token given as `param`: one of Stripe's test tokens (`tok_visa`, reusable,
/// each use a new card) or a stored `tok_…`, which is used up by this. Returns the card's id,
/// its test behaviour and its Card object.
pub fn redeem_token(
    world: &mut World,
    token: &str,
    param: &str,
) -> Result<(String, Card, Value), ApiError> {
    if let Some(card) = Card::from_test_name(token).filter(|_| token.starts_with("tok_")) {
        let id = world.new_id("card");
        let object = card_object(&id, &card);
        return Ok((id, card, object));
    }
    let stored = crate::api::tokens::spend(world, token, None, param)?;
    let mut object = stored["card"].clone();
    let id = object["id"].as_str().unwrap_or_default().to_owned();
    let card = world
        .cards
        .get(token)
        .cloned()
        .ok_or_else(|| ApiError::emulator_bug(format!("token {token} has no test card")))?;
    if let Some(fields) = object.as_object_mut() {
        fields.remove("networks");
    }
    Ok((id, card, object))
}

/// Makes the card behind `token` a card of `customer` (checked as Stripe checks a card on
/// attach) and stores it; emits nothing and leaves the customer as it is.
pub fn add(
    world: &mut World,
    customer: &str,
    token: &str,
    metadata: Option<Value>,
) -> Result<Value, ApiError> {
    let (id, card, mut object) = redeem_token(world, token, "source")?;
    card.check_on_attach()?;
    object["customer"] = json!(customer);
    object["allow_redisplay"] = json!("unspecified");
    if let Some(metadata) = metadata.filter(Value::is_object) {
        object["metadata"] = metadata;
    }
    let created = world.now_for_customer(customer);
    world.cards.insert(id.clone(), card);
    world.card_created.insert(id, created);
    Ok(world.insert(object))
}

/// Adds the card behind `token` to a customer: `customer.source.created`, and the customer's
/// `default_source` when it had none (`customer.updated`).
pub fn attach(
    world: &mut World,
    customer: &str,
    token: &str,
    metadata: Option<Value>,
) -> Result<Value, ApiError> {
    let before = world.get("customer", customer, "customer")?;
    let object = add(world, customer, token, metadata)?;
    world.emit("customer.source.created", &object, None);
    if before["default_source"].is_null() {
        let mut after = before.clone();
        after["default_source"] = object["id"].clone();
        world.update_and_emit("customer.updated", &before, after);
    }
    Ok(object)
}

/// A customer's cards, most recently added first.
pub fn of_customer<'a>(world: &'a World, customer: &'a str) -> impl Iterator<Item = &'a Value> {
    world
        .all("card")
        .filter(move |card| card["customer"] == customer)
}

/// The card `id` of `customer`, or Stripe's 404.
pub fn find(world: &World, customer: &str, id: &str, param: &str) -> Result<Value, ApiError> {
    world
        .find("card", id)
        .filter(|card| card["customer"] == customer)
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("source", id, param))
}

/// Removes a card from its customer (`customer.source.deleted`); when it was the default, the
/// most recently added remaining card becomes the default, or none (`customer.updated`).
pub fn detach(world: &mut World, customer: &str, id: &str) -> Result<Value, ApiError> {
    let card = find(world, customer, id, "id")?;
    remove(world, &card);
    if let Some(before) = world.find("customer", customer).cloned() {
        if before["default_source"] == id {
            let next = of_customer(world, customer)
                .next()
                .map(|card| card["id"].clone())
                .unwrap_or(Value::Null);
            let mut after = before.clone();
            after["default_source"] = next;
            world.update_and_emit("customer.updated", &before, after);
        }
    }
    Ok(json!({ "id": id, "object": "card", "deleted": true }))
}

/// Removes a card (`customer.source.deleted`), leaving its customer as it is.
pub fn remove(world: &mut World, card: &Value) {
    world.remove(card["id"].as_str().unwrap_or_default());
    world.emit("customer.source.deleted", card, None);
}

/// A card source seen as the PaymentMethod of the same id, as Stripe shows one (retrieve, a
/// customer's list, paying a PaymentIntent with `payment_method=card_…`).
pub fn as_payment_method(world: &World, card: &Value) -> Value {
    let id = card["id"].as_str().unwrap_or_default();
    let brand = world
        .cards
        .get(id)
        .map(|known| known.brand.clone())
        .unwrap_or_else(|| "unknown".to_owned());
    json!({
        "id": id,
        "object": "payment_method",
        "allow_redisplay": card["allow_redisplay"].as_str().unwrap_or("unspecified"),
        "billing_details": {
            "address": {
                "city": card["address_city"], "country": card["address_country"],
                "line1": card["address_line1"], "line2": card["address_line2"],
                "postal_code": card["address_zip"], "state": card["address_state"],
            },
            "email": null,
            "name": card["name"],
            "phone": null,
            "tax_id": null,
        },
        "card": {
            "brand": brand,
            "checks": {
                "address_line1_check": card["address_line1_check"],
                "address_postal_code_check": card["address_zip_check"],
                "cvc_check": card["cvc_check"],
            },
            "country": card["country"],
            "display_brand": brand,
            "exp_month": card["exp_month"],
            "exp_year": card["exp_year"],
            "fingerprint": card["fingerprint"],
            "funding": card["funding"],
            "generated_from": null,
            "last4": card["last4"],
            "networks": { "available": [brand], "preferred": null },
            "regulated_status": card["regulated_status"],
            "three_d_secure_usage": { "supported": true },
            "wallet": null,
        },
        "created": world.card_created.get(id).copied().unwrap_or_else(|| world.now()),
        "customer": card["customer"],
        "customer_account": null,
        "livemode": false,
        "metadata": card["metadata"],
        "type": "card",
    })
}
