//! Card and bank account tokens: `POST /v1/tokens` with `card[number]`, `card[exp_month]`,
//! `card[exp_year]` (and the card's name and address), or with `bank_account[country, currency,
//! routing_number, account_number, account_holder_name, account_holder_type]` (a `btok_…`);
//! retrieve. A token is used once: added to a customer as a source, made into a PaymentMethod
//! ([`crate::sources::redeem_token`]) or attached to a connected account as its bank account
//! ([`crate::connect::bank_accounts::from_param`]).
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
    if let Some(Value::Object(bank)) = params.get("bank_account") {
        return bank_token(world, bank);
    }
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
            format!("The emulator makes card and bank account tokens only, not {other} tokens."),
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

/// A bank account token (`btok_…`) whose `bank_account` has the `ba_…` id the external account
/// made from it will have; the account number stays with the emulator.
/// Marks the token `id` (of `kind`, `card` or `bank_account`, if given) used and returns it:
/// a token is spent once, and a second use is Stripe's `token_already_used`.
pub fn spend(
    world: &mut World,
    id: &str,
    kind: Option<&str>,
    param: &str,
) -> Result<Value, ApiError> {
    let mut stored = world
        .find("token", id)
        .filter(|stored| kind.is_none_or(|kind| stored["type"] == kind))
        .cloned()
        .ok_or_else(|| ApiError::missing_resource("token", id, param))?;
    if stored["used"] == true {
        return Err(ApiError::invalid_code(
            "token_already_used",
            format!("You cannot use a Stripe token more than once: {id}."),
            Some(param),
        ));
    }
    stored["used"] = serde_json::json!(true);
    world.put(stored.clone());
    Ok(stored)
}

fn bank_token(world: &mut World, bank: &serde_json::Map<String, Value>) -> Result<Value, ApiError> {
    if bank.get("country").is_none() {
        return Err(ApiError::missing("bank_account.country"));
    }
    let details = crate::connect::bank_accounts::Details::parse(bank, "bank_account", "US", "usd")?;
    let id = world.new_id("btok");
    let bank_id = world.new_id("ba");
    world
        .payout_accounts
        .numbers
        .insert(bank_id.clone(), details.account_number.clone());
    Ok(world.insert(json!({
        "id": id,
        "object": "token",
        "bank_account": details.object(&bank_id),
        "client_ip": null,
        "created": world.now(),
        "livemode": false,
        "type": "bank_account",
        "used": false,
    })))
}

/// `GET /v1/tokens/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    world.get("token", call.id(), "token")
}
