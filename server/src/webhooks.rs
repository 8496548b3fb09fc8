//! `POST /webhooks/stripe`: Stripe's events. Outside the cross-site check (Stripe is another
//! site); the signature over the raw body is what authenticates it. The event is only recorded
//! here; the workers apply it (`backend::billing::workers`).

use axum::{
    body::Bytes,
    extract::State,
    http::{header::RETRY_AFTER, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use backend::{
    billing::inbox::{self, InboxError},
    AppState,
};

/// Verifies and records one event. 400 for a bad signature or payload (nothing stored); 200 once
/// it is recorded (queued, a duplicate, or a type we do nothing with); 503 when the database did
/// not take it, so Stripe delivers it again. A body over [`crate::startup::WEBHOOK_BODY_LIMIT`]
/// is refused with 413 before this runs.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    match inbox::accept(&state, &body, signature).await {
        Ok(accepted) => (StatusCode::OK, accepted.answer()).into_response(),
        Err(error @ (InboxError::Signature(_) | InboxError::Malformed(_))) => {
            tracing::warn!(%error, "refused a webhook delivery");
            (StatusCode::BAD_REQUEST, error.to_string()).into_response()
        }
        Err(error @ InboxError::Database(_)) => {
            tracing::error!(error.cause_chain = ?error, "recording a Stripe event failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(RETRY_AFTER, "5")],
                "the event could not be recorded; it will be retried",
            )
                .into_response()
        }
    }
}
