//! Connected accounts: create (`type` or `controller[…]`), retrieve, update, list, delete, the
//! caller's own account (`GET /v1/account`), and capabilities. The model lives in
//! [`crate::connect`].
//! <https://docs.stripe.com/api/accounts>, <https://docs.stripe.com/api/capabilities>

use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};

use super::list_objects;
use crate::connect::accounts::{self, currency_of_country, Controller};
use crate::connect::{bank_accounts, profile};
use crate::error::ApiError;
use crate::form::Params;
use crate::http::{op, Call};
use crate::listing::page;
use crate::world::World;
use crate::Emulator;

/// Capabilities the emulator knows by name (any other is known once requested).
const CAPABILITIES: [&str; 2] = ["card_payments", "transfers"];

/// The account and capability routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/account", get(op(current)))
        .route("/v1/accounts", post(op(create)).get(op(list)))
        .route(
            "/v1/accounts/{id}",
            get(op(retrieve)).post(op(update)).delete(op(delete)),
        )
        .route("/v1/accounts/{id}/capabilities", get(op(capabilities)))
        .route(
            "/v1/accounts/{id}/capabilities/{capability}",
            get(op(capability)).post(op(update_capability)),
        )
}

/// `POST /v1/accounts`: `type` or `controller[…]` (neither: a Standard account), `country`,
/// `email`, `business_type`, `business_profile`, `individual`, `capabilities`, `tos_acceptance`
/// (platform-collected accounts only), `settings[payouts]`, `external_account`, `metadata`,
/// `default_currency`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let controller = match (params.str("type"), params.get("controller")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "You cannot specify both `type` and `controller`. Use `controller` alone to configure the account.",
                Some("controller"),
            ))
        }
        (Some(kind), None) => Controller::of_type(kind),
        (None, Some(_)) => Controller::from_params(params)?,
        (None, None) => Controller::of_type("standard"),
    };
    let country = params.str("country").unwrap_or("US").to_ascii_uppercase();
    if country.len() != 2 || !country.bytes().all(|byte| byte.is_ascii_alphabetic()) {
        return Err(ApiError::invalid(
            format!("Country '{country}' is unknown. Try using a 2-character alphanumeric country code instead, such as 'US', 'EG', or 'GB'. A full list of country codes is available at https://stripe.com/docs/api#country_codes"),
            Some("country"),
        ));
    }
    let id = world.new_id("acct");
    let now = world.now();
    let mut account = accounts::blank(
        &id,
        &controller,
        &country,
        currency_of_country(&country),
        now,
    );
    profile::apply(&mut account, params, now)?;
    let currency = account["default_currency"]
        .as_str()
        .unwrap_or("usd")
        .to_owned();
    let bank = match params.get("external_account") {
        Some(given) => Some(bank_accounts::from_param(
            world,
            given,
            "external_account",
            &country,
            &currency,
        )?),
        None => None,
    };
    world.as_account(None, |world| world.insert(account.clone()));
    if controller.dashboard == "full" && params.get("capabilities").is_none() {
        let requested = world.connect.capabilities.entry(id.clone()).or_default();
        for name in CAPABILITIES {
            requested.insert(name.to_owned(), now);
        }
    }
    accounts::request_capabilities(world, &id, params, "capabilities")?;
    if let Some((details, bank_id)) = bank {
        world.as_account(Some(&id), |world| {
            bank_accounts::attach(world, &details, bank_id, true, json!({}))
        });
    }
    let account = accounts::save(world, None, account);
    crate::money::schedule::plan(world, &account);
    Ok(account)
}

/// `GET /v1/accounts/{id}`
pub fn retrieve(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    accounts::get(world, &call.api_key, call.id())
}

/// `GET /v1/account`: the connected account acted as, or the platform's own.
pub fn current(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    match world.scope.clone() {
        Some(id) => accounts::get(world, &call.api_key, &id),
        None => Ok(accounts::platform(world)),
    }
}

/// `POST /v1/accounts/{id}`: the create parameters Stripe lets a platform change
/// (`tos_acceptance` only where the platform collects requirements); an `external_account`
/// becomes the default for its currency and replaces the old default. Emits `account.updated`
/// and `capability.updated` for what changed.
pub fn update(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let id = call.id();
    let before = accounts::get(world, &call.api_key, id)?;
    let mut account = before.clone();
    profile::apply(&mut account, params, world.now())?;
    if let Some(given) = params.get("external_account") {
        let country = account["country"].as_str().unwrap_or("US").to_owned();
        let currency = account["default_currency"]
            .as_str()
            .unwrap_or("usd")
            .to_owned();
        let (details, bank_id) =
            bank_accounts::from_param(world, given, "external_account", &country, &currency)?;
        world.as_account(Some(id), |world| {
            let old = bank_accounts::default_for(world, &details.currency);
            bank_accounts::attach(world, &details, bank_id, true, json!({}));
            if let Some(old) = old {
                world.remove(&old);
            }
        });
    }
    accounts::request_capabilities(world, id, params, "capabilities")?;
    let account = accounts::save(world, Some(&before), account);
    crate::money::schedule::plan(world, &account);
    Ok(account)
}

/// `GET /v1/accounts` (`created`)
pub fn list(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    list_objects(world, &call.params, "account", "/v1/accounts", |_| true)
}

/// `DELETE /v1/accounts/{id}`
pub fn delete(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    accounts::delete(world, &call.api_key, call.id())
}

/// `GET /v1/accounts/{id}/capabilities`: the requested capabilities, newest first.
pub fn capabilities(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let account = accounts::get(world, &call.api_key, call.id())?;
    let mut requested: Vec<(i64, String)> = world
        .connect
        .capabilities
        .get(call.id())
        .into_iter()
        .flatten()
        .map(|(name, at)| (*at, name.clone()))
        .collect();
    requested.sort_by(|a, b| b.cmp(a));
    let items = requested
        .into_iter()
        .map(|(_, name)| accounts::capability(world, &account, &name))
        .collect();
    page(
        items,
        &call.params,
        &format!("/v1/accounts/{}/capabilities", call.id()),
    )
}

/// `GET /v1/accounts/{id}/capabilities/{capability}`
pub fn capability(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let account = accounts::get(world, &call.api_key, call.id())?;
    let name = known_capability(world, call)?;
    Ok(accounts::capability(world, &account, &name))
}

/// `POST /v1/accounts/{id}/capabilities/{capability}` (`requested`)
pub fn update_capability(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let before = accounts::get(world, &call.api_key, call.id())?;
    let name = known_capability(world, call)?;
    let mut asked = Params::default();
    if let Some(requested) = call.params.get("requested") {
        asked.0.insert(
            "capabilities".to_owned(),
            json!({ &name: { "requested": requested } }),
        );
    }
    accounts::request_capabilities(world, call.id(), &asked, "capabilities")?;
    let account = accounts::save(world, Some(&before), before.clone());
    Ok(accounts::capability(world, &account, &name))
}

fn known_capability(world: &World, call: &Call) -> Result<String, ApiError> {
    let name = call.path.get(1).cloned().unwrap_or_default();
    let requested = world
        .connect
        .capabilities
        .get(call.id())
        .is_some_and(|requested| requested.contains_key(&name));
    if requested || CAPABILITIES.contains(&name.as_str()) {
        Ok(name)
    } else {
        Err(ApiError::missing_resource(
            "capability",
            &name,
            "capability",
        ))
    }
}
