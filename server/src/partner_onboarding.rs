//! Where Stripe's hosted onboarding sends a partner back: `GET /partners/onboarding/return`
//! (done, or left: the account's status is read again and shown on `/partners`) and
//! `GET /partners/onboarding/refresh` (the link expired or was used: a new one, straight on).
//! Signed-in partners only; not found with the program off.

use app::notice::Notice;
use axum::{
    extract::State,
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    Extension,
};
use backend::{auth::User, partners, AppState};

/// Reads the account's status from Stripe (its `account.updated` may not have arrived yet),
/// then shows it.
pub async fn returned(State(state): State<AppState>, user: Option<Extension<User>>) -> Response {
    let Some(Extension(user)) = signed_in_partner(&state, user) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if let Err(error) = partners::accounts::refresh(&state, user.id).await {
        // The webhook brings the same status shortly; the page shows what is stored.
        tracing::warn!(error.cause_chain = ?anyhow::Error::new(error), "reading the connected account after onboarding failed");
    }
    Redirect::to(&Notice::StripeAccountChecked.href()).into_response()
}

/// A fresh onboarding link, straight on.
pub async fn refresh(State(state): State<AppState>, user: Option<Extension<User>>) -> Response {
    let Some(Extension(user)) = signed_in_partner(&state, user) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match partners::accounts::hosted_onboarding_link(&state, user.id, user.email.as_str()).await {
        Ok(url) => (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        Err(partners::PartnerError::NotFound) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(error.cause_chain = ?anyhow::Error::new(error), "creating a new onboarding link failed");
            Redirect::to(&Notice::OnboardingUnavailable.href()).into_response()
        }
    }
}

fn signed_in_partner(state: &AppState, user: Option<Extension<User>>) -> Option<Extension<User>> {
    user.filter(|_| {
        state.config.partners_enabled
            && state.config.partner_onboarding == partners::accounts::Onboarding::Hosted
    })
}
