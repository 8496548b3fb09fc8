//! `POST /webhooks/stripe`: Stripe's events. Outside the cross-site check (Stripe is another
//! site); the signature over the raw body is what authenticates it.

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use backend::{
    billing::webhooks::{self, Receipt, WebhookError},
    AppState,
};

/// Verifies, records and applies one event. 400 for a bad signature or payload (nothing stored);
/// 200 for applied, duplicate and unknown events; 500 when applying failed, so Stripe retries.
/// A body over [`crate::startup::WEBHOOK_BODY_LIMIT`] is refused with 413 before this runs.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    match webhooks::receive(&state, &body, signature).await {
        Ok(receipt) => {
            let answer = match receipt {
                Receipt::Applied => "applied",
                Receipt::Duplicate => "duplicate: already applied",
                Receipt::Ignored => "received: nothing to do for this event type",
            };
            (StatusCode::OK, answer).into_response()
        }
        Err(error @ (WebhookError::Signature(_) | WebhookError::Malformed(_))) => {
            tracing::warn!(%error, "refused a webhook delivery");
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        }
        Err(error @ WebhookError::Apply { .. }) => {
            tracing::error!(error.cause_chain = ?error, "applying a Stripe event failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "the event could not be applied; it will be retried",
            )
                .into_response()
        }
    }
}
