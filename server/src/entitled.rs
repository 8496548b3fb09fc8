//! [`Entitled`]: the axum extractor that gates a route on a feature of the plan of whom the
//! signed-in user acts for (themselves, or their current organization).
//! `401` for anonymous callers, `402` with a link to the pricing page for users whose plans do not
//! include it. Entitlements are read from Postgres on every request (see
//! `backend::billing::entitlements`), so a webhook applied on any replica counts at once.

use std::marker::PhantomData;

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use backend::{
    auth::User,
    billing::{
        entitlements::{self, features, Entitlements},
        payer::Payer,
    },
    AppState,
};
use serde_json::json;

/// A feature a route may require.
pub trait Feature: Send + Sync {
    /// The name products grant it by (`metadata.features`).
    const NAME: &'static str;
    /// What the user is told it is.
    const DESCRIPTION: &'static str;
}

/// The reports API (Pro).
pub struct Api;

impl Feature for Api {
    const NAME: &'static str = features::API;
    const DESCRIPTION: &'static str = "the reports API";
}

/// The signed-in user, who holds feature `F`, and everything else they hold.
pub struct Entitled<F: Feature> {
    /// Who is calling.
    pub user: User,
    /// All their features.
    pub entitlements: Entitlements,
    feature: PhantomData<F>,
}

/// Why the gate stayed shut.
#[derive(Debug)]
pub enum Refused {
    /// Not signed in: 401.
    Anonymous,
    /// Signed in without the feature: 402, with the pricing page's address.
    NotEntitled {
        /// What the feature is, in words.
        description: &'static str,
        /// `…/pricing`.
        pricing: String,
    },
    /// The database failed: 500, logged.
    Unavailable(anyhow::Error),
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Refused::Anonymous => (
                StatusCode::UNAUTHORIZED,
                json!({ "error": "Sign in to use this." }),
            ),
            Refused::NotEntitled {
                description,
                pricing,
            } => (
                StatusCode::PAYMENT_REQUIRED,
                json!({
                    "error": format!("Your plan does not include {description}. Choose a plan that does at {pricing}."),
                    "pricing_url": pricing,
                }),
            ),
            Refused::Unavailable(error) => {
                tracing::error!(error.cause_chain = ?error, "reading entitlements failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "error": "Something went wrong on our side. Please try again in a moment." }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}

/// The absolute address of one of the app's pages (`/pricing`, where a refusal sends the
/// caller).
pub fn page_url(state: &AppState, path: &str) -> String {
    state
        .config
        .base_url
        .join(path)
        .map(String::from)
        .unwrap_or_else(|_| path.to_owned())
}

impl<S, F> FromRequestParts<S> for Entitled<F>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    F: Feature,
{
    type Rejection = Refused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let payer = parts
            .extensions
            .get::<Payer>()
            .cloned()
            .ok_or(Refused::Anonymous)?;
        let user = payer.actor.clone();
        let state = AppState::from_ref(state);
        // What the account acted for holds: the organization's plan for its members.
        let entitlements = entitlements::current(&state, payer.account_id())
            .await
            .map_err(|error| Refused::Unavailable(error.into()))?;
        if !entitlements.has(F::NAME) {
            return Err(Refused::NotEntitled {
                description: F::DESCRIPTION,
                pricing: page_url(&state, "/pricing"),
            });
        }
        Ok(Self {
            user,
            entitlements,
            feature: PhantomData,
        })
    }
}
