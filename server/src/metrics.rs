//! `GET /metrics` (Prometheus text format), routed only when `METRICS_TOKEN` is set and answered
//! only to a scraper that sends it as a bearer token; and the middleware that counts every
//! request by route class, status class and latency. What is counted is in
//! [`backend::metrics`].

use std::time::Instant;

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use backend::{
    metrics::{self, RouteClass},
    AppState,
};
use secrecy::ExposeSecret;

/// Counts the request once it is answered (the time to the response's head).
pub async fn count(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let class = RouteClass::of(request.uri().path());
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .http_request(class, response.status().as_u16(), started.elapsed());
    response
}

/// The figures, for a scraper with the token; 401 for anyone else.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !same(given.as_bytes(), token.expose_secret().as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Bearer")],
            "a bearer token is needed",
        )
            .into_response();
    }
    let inbox = match metrics::inbox(&state.db).await {
        Ok(inbox) => inbox,
        Err(error) => {
            // The database's figures are part of the answer; without them, say so to the scraper.
            tracing::warn!(%error, "reading the webhook inbox's figures for /metrics failed");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                "the database did not answer",
            )
                .into_response();
        }
    };
    let pool = metrics::Pool {
        size: state.db.size(),
        idle: u32::try_from(state.db.num_idle()).unwrap_or(u32::MAX),
        max: state.config.database_max_connections,
    };
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        metrics::render(&state.metrics, &inbox, &pool),
    )
        .into_response()
}

/// Whether two byte strings are equal, in time that depends only on their lengths.
fn same(given: &[u8], expected: &[u8]) -> bool {
    given.len() == expected.len()
        && given
            .iter()
            .zip(expected)
            .fold(0u8, |difference, (a, b)| difference | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_match_only_byte_for_byte() {
        assert!(super::same(b"secret", b"secret"));
        assert!(!super::same(b"secreT", b"secret"));
        assert!(!super::same(b"secret!", b"secret"));
        assert!(!super::same(b"", b"secret"));
    }
}
