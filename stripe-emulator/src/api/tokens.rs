//! Card tokens: `POST /v1/tokens` with `card[number]`, `card[exp_month]`, `card[exp_year]` (and
//! the card's name and address), retrieve. A token is used once: added to a customer as a source
//! or made into a PaymentMethod ([`crate::sources::redeem_token`]).
//! <https://docs.stripe.com/api/tokens>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use crate::cards::Card;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// The token routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/tokens", post(op(create)))
        .route("/v1/tokens/{id}", get(op(retrieve)))
}

/// `POST /v1/tokens`: a card token.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    if let Some(other) = [
        "bank_account",
        "pii",
        "account",
        "person",
        "cvc_update",
        "customer",
    ]
    .into_iter()
    .find(|kind| params.get(kind).is_some())
    {
        return Err(ApiError::invalid(
            format!("The emulator makes card tokens only, not {other} tokens."),
            Some(other),
        ));
    }
    if params.get("card").is_some_and(Value::is_string) {
        return Err(ApiError::invalid(
            "The emulator makes card tokens from card details (card[number], card[exp_month], card[exp_year]).",
            Some("card"),
        ));
    }
    let card = Card::from_number(
        params.required("card.number")?,
        params
            .int("card.exp_month")?
            .ok_or_else(|| ApiError::missing("card.exp_month"))?,
        params
            .int("card.exp_year")?
            .ok_or_else(|| ApiError::missing("card.exp_year"))?,
    )?;
    let id = world.new_id("tok");
    let card_id = world.new_id("card");
    let mut object = crate::sources::card_object(&card_id, &card);
    for field in [
        "name",
        "address_city",
        "address_country",
        "address_line1",
        "address_line2",
        "address_state",
        "address_zip",
    ] {
        if let Some(value) = params.str(&format!("card.{field}")) {
            object[field] = json!(value);
        }
    }
    object["networks"] = json!({ "preferred": params.str("card.networks.preferred") });
    world.cards.insert(id.clone(), card);
    Ok(world.insert(json!({
        "id": id,
        "object": "token",
        "card": object,
        "client_ip": null,
        "created": world.now(),
        "livemode": false,
        "type": "card",
        "used": false,
    })))
}

/// `GET /v1/tokens/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("token", call.id(), "token")
}
