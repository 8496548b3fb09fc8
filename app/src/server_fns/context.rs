//! What server functions take from the request: the state, the session, the signed-in user, the
//! client's network.
//! Authorization happens here, inside each server function, not only in page guards.

use backend::{
    auth::{AuthError, User},
    billing::Step,
    AppState,
};
use leptos::prelude::*;
use tower_sessions::Session;

use crate::errors::FormError;

/// The application state provided to every server function by the router.
pub fn state() -> Result<AppState, FormError> {
    use_context::<AppState>().ok_or_else(|| {
        AuthError::Unexpected(anyhow::anyhow!("AppState was not provided as context")).into()
    })
}

/// This request's session (the session layer puts it in the request's extensions).
pub fn session() -> Result<Session, FormError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Session>().cloned())
        .ok_or_else(|| {
            AuthError::Unexpected(anyhow::anyhow!("the session layer is missing")).into()
        })
}

/// The client's network (put into the request by the server's rate limiter), which password
/// checks and reset requests are limited by.
pub fn client_network() -> Result<backend::ratelimit::ClientNetwork, FormError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get().copied())
        .ok_or_else(|| AuthError::Unexpected(anyhow::anyhow!("the rate limiter is missing")).into())
}

/// The client's network, when the server's rate limiter put it into the request (the requests
/// that may check a password); `None` otherwise, which is no error.
pub fn client_network_if_seen() -> Option<backend::ratelimit::ClientNetwork> {
    use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get().copied())
}

/// The client's own address, as the server worked it out (every request carries it).
pub fn client_address() -> Option<std::net::IpAddr> {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<backend::ratelimit::ClientAddress>()
                .copied()
        })
        .map(|address| address.0)
}

/// The signed-in user (resolved by the server's session middleware), or an error.
pub fn signed_in_user() -> Result<User, FormError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<User>().cloned())
        .ok_or_else(|| AuthError::NotSignedIn.into())
}

/// Whom the signed-in user acts for (resolved by the server's session middleware with the
/// user): themselves, or their current organization.
pub fn payer() -> Result<backend::billing::payer::Payer, FormError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<backend::billing::payer::Payer>()
                .cloned()
        })
        .ok_or_else(|| AuthError::NotSignedIn.into())
}

/// The organizations the signed-in user belongs to (resolved with the session), by name.
pub fn memberships() -> Vec<backend::organizations::Acting> {
    use_context::<http::request::Parts>()
        .and_then(|parts| {
            parts
                .extensions
                .get::<Vec<backend::organizations::Acting>>()
                .cloned()
        })
        .unwrap_or_default()
}

/// Where `payer` stands now: the features they hold and the plans they hold (the one entitlement
/// check pages and server functions use; the axum routes use the server's `Entitled` extractor,
/// over the same statement).
pub async fn standing(
    state: &AppState,
    payer: &backend::billing::payer::Payer,
) -> Result<backend::billing::overview::Standing, FormError> {
    let now = backend::billing::clock::now(state).await;
    let grace = state.config.billing_grace_period;
    backend::billing::overview::standing(&state.db, payer.account_id(), now, grace)
        .await
        .step("reading what the user holds")
        .map_err(Into::into)
}

/// The partner's code this browser remembers from a referral link (the server sets the cookie
/// when a page is opened with `?ref=CODE`), if it is one.
pub fn referral() -> Option<backend::partners::ReferralCode> {
    let parts = use_context::<http::request::Parts>()?;
    parts
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == backend::partners::REFERRAL_COOKIE)
        .and_then(|(_, code)| backend::partners::ReferralCode::parse(code))
}
