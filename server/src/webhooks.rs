//! `POST /webhooks/stripe` (the platform's events) and `POST /webhooks/stripe/connect` (events
//! of partners' connected accounts, signed with the Connect endpoint's own secret): Stripe's events. Outside the cross-site check (Stripe is another
//! site); the signature over the raw body is what authenticates it. The event is only recorded
//! here; the workers apply it (`backend::billing::workers`).

use axum::{
    body::Bytes,
    extract::State,
    http::{header::RETRY_AFTER, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use backend::{
    billing::inbox::{self, Endpoint, InboxError},
    AppState,
};

/// Verifies and records one event. 400 for a bad signature or payload (nothing stored); 200 once
/// it is recorded (queued, a duplicate, or a type we do nothing with); 503 when the database did
/// not take it, so Stripe delivers it again. A body over [`crate::startup::WEBHOOK_BODY_LIMIT`]
/// is refused with 413 before this runs.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    record(&state, Endpoint::Platform, &headers, &body).await
}

/// As [`receive`], for the Connect endpoint.
pub async fn receive_connect(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    record(&state, Endpoint::Connect, &headers, &body).await
}

async fn record(
    state: &AppState,
    endpoint: Endpoint,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let signature = headers
        .get("stripe-signature")
        .and_then(|value| value.to_str().ok());
    match inbox::accept(state, endpoint, body, signature).await {
        Ok(accepted) => (StatusCode::OK, accepted.answer()).into_response(),
        Err(error @ (InboxError::Signature(_) | InboxError::Malformed(_))) => {
            tracing::warn!(%error, ?endpoint, "refused a webhook delivery");
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
