//! Account Links (`POST /v1/account_links`: a hosted onboarding form for a connected account,
//! good for five minutes and one visit) and login links (`POST /v1/accounts/{id}/login_links`:
//! the Express dashboard of an onboarded Express account). The pages are
//! [`crate::pages`]' `connect` ones.
//! <https://docs.stripe.com/api/account_links>, <https://docs.stripe.com/api/accounts/login_link>

use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};

use crate::connect::accounts::{self, Controller};
use crate::connect::OnboardingLink;
use crate::error::ApiError;
use crate::http::{op, Call};
use crate::world::World;
use crate::Emulator;

/// How long an Account Link works, in seconds.
const LINK_LIFETIME: i64 = 300;

/// The Account Link and login link routes.
pub fn routes() -> Router<Emulator> {
    Router::new()
        .route("/v1/account_links", post(op(create)))
        .route("/v1/accounts/{id}/login_links", post(op(login_link)))
}

/// `POST /v1/account_links`: `account`, `type` (`account_onboarding` or `account_update`),
/// `refresh_url`, `return_url`, `collect` → `{object: "account_link", created, expires_at, url}`.
pub fn create(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let params = &call.params;
    let account = accounts::get(world, &call.api_key, params.required("account")?)?;
    let mut urls = Vec::new();
    for param in ["refresh_url", "return_url"] {
        let url = params.required(param)?;
        super::check_url(url, param)?;
        urls.push(url.to_owned());
    }
    let [refresh_url, return_url] = <[String; 2]>::try_from(urls).expect("two URLs");
    let token = world.ids.chars(24);
    let created = world.now();
    world.connect.links.insert(
        token.clone(),
        OnboardingLink {
            account: account["id"].as_str().unwrap_or_default().to_owned(),
            refresh_url,
            return_url,
            expires_at: created + LINK_LIFETIME,
            used: false,
        },
    );
    Ok(json!({
        "object": "account_link",
        "created": created,
        "expires_at": created + LINK_LIFETIME,
        "url": format!("{}/connect/onboarding/{token}", call.base_url),
    }))
}

/// `POST /v1/accounts/{id}/login_links`: only for onboarded accounts with the Express dashboard.
pub fn login_link(world: &mut World, call: &Call) -> Result<Value, ApiError> {
    let account = accounts::get(world, &call.api_key, call.id())?;
    if Controller::of(&account).dashboard != "express" {
        return Err(ApiError::invalid(
            "You can only create login links for accounts that use the Express Dashboard and are connected to your platform.",
            None,
        ));
    }
    if account["details_submitted"] != true {
        return Err(ApiError::invalid(
            "Cannot create a login link for an account that has not completed onboarding.",
            None,
        ));
    }
    let token = world.ids.chars(24);
    world
        .connect
        .logins
        .insert(token.clone(), call.id().to_owned());
    Ok(json!({
        "object": "login_link",
        "created": world.now(),
        "url": format!("{}/connect/express/{token}", call.base_url),
    }))
}
