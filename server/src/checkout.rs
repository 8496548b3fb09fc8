//! `GET /checkout/start?price=…`: straight on to Stripe Checkout. This is where sign-up and
//! sign-in continue to when a signed-out visitor chose a plan; the pricing page's own buttons
//! post to a server function that does the same.

use app::notice::Notice;
use axum::{
    extract::{Query, State},
    http::{header, HeaderMap},
    response::{IntoResponse, Redirect, Response},
};
use backend::{
    billing::{checkout, payer::Payer, BillingError},
    AppState,
};
use serde::Deserialize;

/// The chosen price.
#[derive(Debug, Deserialize)]
pub struct Start {
    price: String,
}

/// Sends a signed-in user to a new Checkout Session for the price; anyone else to sign up first
/// (coming back here afterwards). A link followed from another site only leads to the pricing
/// page: a third party should not be able to walk someone into a checkout.
pub async fn start(
    State(state): State<AppState>,
    payer: Option<axum::Extension<Payer>>,
    headers: HeaderMap,
    Query(Start { price }): Query<Start>,
) -> Response {
    let here = format!("/checkout/start?price={}", encode(&price));
    let Some(axum::Extension(payer)) = payer else {
        return Redirect::to(&format!("/signup?next={}", encode(&here))).into_response();
    };
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes() == b"cross-site")
    {
        return Redirect::to("/pricing").into_response();
    }
    match checkout::start(&state, &payer, &price).await {
        Ok(url) => (axum::http::StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        Err(BillingError::AlreadySubscribed) => {
            Redirect::to(&Notice::AlreadySubscribed.href()).into_response()
        }
        Err(BillingError::PriceUnavailable) => {
            Redirect::to(&Notice::Unavailable.href()).into_response()
        }
        Err(BillingError::NotOwner) => Redirect::to(&Notice::OwnersOnly.href()).into_response(),
        Err(error) => {
            tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "starting a Checkout Session failed");
            Redirect::to(&Notice::CheckoutFailed.href()).into_response()
        }
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
