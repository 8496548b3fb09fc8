//! `POST /webhooks/stripe`: Stripe's events. Outside the cross-site check (Stripe is another
//! site); the signature over the raw body is what authenticates it.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use backend::{
    billing::webhooks::{self, Receipt, WebhookError},
    AppState,
};
use tokio::sync::Semaphore;

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

/// How long an event may wait for its turn before it is answered 503 (well inside Stripe's
/// delivery timeout). Waiting here holds no database connection.
const TURN_WAIT: Duration = Duration::from_secs(2);

/// Lets `WEBHOOK_MAX_CONCURRENT` events in at a time; the rest wait their turn in memory, and one
/// that has waited [`TURN_WAIT`] is answered 503 (Stripe sends it again later). Without it, a
/// burst of events took every pooled connection, pages failed, and events queued until Stripe's
/// delivery timed out.
pub async fn limit(
    State(permits): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    let Ok(Ok(_permit)) = tokio::time::timeout(TURN_WAIT, permits.acquire_owned()).await else {
        tracing::warn!("a Stripe event waited too long for its turn; answered 503 for a retry");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "busy: send this event again later",
        )
            .into_response();
    };
    next.run(request).await
}
