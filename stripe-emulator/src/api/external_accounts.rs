//! A connected account's external accounts (bank accounts for its payouts): create from a
//! `btok_…` token or an `external_account[object]=bank_account` hash (`default_for_currency`,
//! `metadata`), list (`object`), retrieve, update (`default_for_currency`, `metadata`,
//! `account_holder_name`, `account_holder_type`), delete. Each change emits
//! `account.external_account.*` and, when the account's requirements move, `account.updated`.
//! The rules live in [`crate::connect::bank_accounts`].
//! <https://docs.stripe.com/api/external_accounts>

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::connect::{accounts, bank_accounts};
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::listing::page;
use crate::world::World;
use crate::Emulator;

/// The external account routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route(
            "/v1/accounts/{id}/external_accounts",
            post(op(create)).get(op(list)),
        )
        .route(
            "/v1/accounts/{id}/external_accounts/{external_account}",
            post(op(update)).get(op(retrieve)).delete(op(delete)),
        )
}

/// `POST /v1/accounts/{id}/external_accounts`
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let before = accounts::get(world, &call.api_key, call.id())?;
    let given = params
        .get("external_account")
        .ok_or_else(|| ApiError::missing("external_account"))?;
    let country = before["country"].as_str().unwrap_or("US");
    let currency = before["default_currency"].as_str().unwrap_or("usd");
    let (details, id) =
        bank_accounts::from_param(world, given, "external_account", country, currency)?;
    let default = params.bool("default_for_currency")?.unwrap_or(false);
    let metadata = params.get("metadata").cloned().unwrap_or(json!({}));
    let bank = world.as_account(Some(call.id()), |world| {
        bank_accounts::attach(world, &details, id, default, metadata)
    });
    accounts::save(world, Some(&before), before.clone());
    Ok(bank)
}

/// `GET /v1/accounts/{id}/external_accounts` (`object=bank_account|card`): the emulator's
/// external accounts are all bank accounts.
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    accounts::get(world, &call.api_key, call.id())?;
    let cards = call.params.str("object") == Some("card");
    let items = world.as_account(Some(call.id()), |world| {
        world
            .all("bank_account")
            .filter(|_| !cards)
            .cloned()
            .collect()
    });
    page(
        items,
        &call.params,
        &format!("/v1/accounts/{}/external_accounts", call.id()),
    )
}

/// `GET /v1/accounts/{id}/external_accounts/{external_account}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    accounts::get(world, &call.api_key, call.id())?;
    find(world, call)
}

/// `POST /v1/accounts/{id}/external_accounts/{external_account}`
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let account = accounts::get(world, &call.api_key, call.id())?;
    let before = find(world, call)?;
    let mut bank = before.clone();
    for field in ["account_holder_name", "account_holder_type"] {
        if let Some(value) = params.str(field) {
            bank[field] = if value.is_empty() {
                Value::Null
            } else {
                json!(value)
            };
        }
    }
    super::merge_metadata(&mut bank, params);
    let bank = world.as_account(Some(call.id()), |world| {
        if params.bool("default_for_currency")? == Some(true) {
            bank_accounts::make_default(world, &mut bank);
        }
        Ok::<_, ApiError>(world.update_and_emit("account.external_account.updated", &before, bank))
    })?;
    accounts::save(world, Some(&account), account.clone());
    Ok(bank)
}

/// `DELETE /v1/accounts/{id}/external_accounts/{external_account}`
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let account = accounts::get(world, &call.api_key, call.id())?;
    let bank = find(world, call)?;
    let default_currency = account["default_currency"].as_str().unwrap_or("usd");
    let deleted = world.as_account(Some(call.id()), |world| {
        bank_accounts::detach(world, &bank, default_currency)
    })?;
    accounts::save(world, Some(&account), account.clone());
    Ok(deleted)
}

/// The bank account named in the path, among the account's.
fn find(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let id = call.path.get(1).cloned().unwrap_or_default();
    world.as_account(Some(call.id()), |world| {
        world.get("bank_account", &id, "id")
    })
}
