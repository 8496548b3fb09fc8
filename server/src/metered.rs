//! [`Metered`]: the axum extractor for a metered feature — the plan must include the feature
//! (as [`Entitled`] checks), and each call is counted against the period's hard limit before the
//! handler runs (`backend::usage::meter`: check, reserve and record in one statement, so
//! concurrent calls never pass the limit; past the allowance, credit pack units are drawn before
//! overage). A refused call gets `402` with what is left, when the period starts again and,
//! when credit packs are on sale, where to buy them. A call let in is counted even if the
//! handler then fails.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{request::Parts, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use backend::{
    billing::payer::Payer,
    usage::{self, Metered as Outcome, Standing},
    AppState,
};
use serde_json::{json, Value};

use crate::entitled::{page_url, Entitled, Feature, Refused};

/// A feature counted per use.
pub trait MeteredFeature: Feature {
    /// The meter its uses count on (product metadata `metered`).
    const METER: &'static str;
    /// One unit, in words (`report`).
    const UNIT: &'static str;
}

/// The demo API's reports: the API feature, each call counting one report generated.
pub struct Reports;

impl Feature for Reports {
    const NAME: &'static str = <crate::entitled::Api as Feature>::NAME;
    const DESCRIPTION: &'static str = <crate::entitled::Api as Feature>::DESCRIPTION;
}

impl MeteredFeature for Reports {
    const METER: &'static str = "reports_generated";
    const UNIT: &'static str = "report";
}

/// An entitled call that was counted (or is not metered on the caller's plan).
pub struct Metered<F: MeteredFeature> {
    pub entitled: Entitled<F>,
    /// The period's standing after this call; `None` when the plan does not meter it.
    pub usage: Option<Standing>,
}

/// Why a metered call was refused.
pub enum MeterRefused {
    /// Not signed in or not entitled (as [`Entitled`] answers).
    Entitlement(Refused),
    /// The period's hard limit is reached: 402 with the standing.
    LimitReached {
        unit: &'static str,
        standing: Standing,
        pricing: String,
        /// The account page, when credit packs for the meter are on sale there.
        credits: Option<String>,
    },
}

impl IntoResponse for MeterRefused {
    fn into_response(self) -> Response {
        match self {
            MeterRefused::Entitlement(refused) => refused.into_response(),
            MeterRefused::LimitReached {
                unit,
                standing,
                pricing,
                credits,
            } => {
                let resets = backend::billing::money::format_date(standing.resets_at);
                let limit = standing.limit.unwrap_or(standing.used);
                let mut error = format!(
                    "You have used all {limit} {unit}s of this period; it starts again on {resets}. A larger plan lifts the limit: {pricing}"
                );
                if let Some(credits) = &credits {
                    error.push_str(&format!(". Credits let you go on now: {credits}"));
                }
                (
                    StatusCode::PAYMENT_REQUIRED,
                    Json(json!({
                        "error": error,
                        "usage": usage_json(&standing),
                        "pricing_url": pricing,
                        "credits_url": credits,
                    })),
                )
                    .into_response()
            }
        }
    }
}

/// The standing as the API reports it.
pub fn usage_json(standing: &Standing) -> Value {
    json!({
        "used": standing.used,
        "included": standing.included,
        "limit": standing.limit,
        "remaining": standing.remaining(),
        "credits": standing.credits,
        "resets_at": standing.resets_at.unix_timestamp(),
    })
}

impl<S, F> FromRequestParts<S> for Metered<F>
where
    S: Send + Sync,
    AppState: FromRef<S>,
    F: MeteredFeature,
{
    type Rejection = MeterRefused;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let entitled = Entitled::<F>::from_request_parts(parts, state)
            .await
            .map_err(MeterRefused::Entitlement)?;
        let account = parts
            .extensions
            .get::<Payer>()
            .map(Payer::account_id)
            .ok_or(MeterRefused::Entitlement(Refused::Anonymous))?;
        let state = AppState::from_ref(state);
        let now = backend::billing::clock::now(&state).await;
        match usage::meter(&state, account, F::METER, 1, now).await {
            Ok(Outcome::Unmetered) => Ok(Self {
                entitled,
                usage: None,
            }),
            Ok(Outcome::Counted(standing)) => Ok(Self {
                entitled,
                usage: Some(standing),
            }),
            Ok(Outcome::LimitReached(standing)) => {
                // Refusals are rare: whether credits are on sale is read only for them.
                let on_sale = usage::packs(&state.db, F::METER).await.map_err(|error| {
                    MeterRefused::Entitlement(Refused::Unavailable(error.into()))
                })?;
                Err(MeterRefused::LimitReached {
                    unit: F::UNIT,
                    standing,
                    pricing: page_url(&state, "/pricing"),
                    // Credit packs are sold in the account page's billing section.
                    credits: (!on_sale.is_empty()).then(|| page_url(&state, "/account#billing")),
                })
            }
            Err(error) => Err(MeterRefused::Entitlement(Refused::Unavailable(
                error.into(),
            ))),
        }
    }
}
