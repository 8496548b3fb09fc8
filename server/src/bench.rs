//! The benchmark ceiling: `GET /bench/ceiling` answers the bytes of `BENCH_CEILING_FILE` (read
//! once at start-up) from a plain axum handler behind the router's outer layers (tracing,
//! compression, security headers, the origin check), so `cargo xtask bench` can put the pricing
//! page's throughput next to what this binary and this machine do with no rendering, no session
//! and no database. Routed only when the variable is set; never in production.

use axum::{
    body::Bytes,
    http::header,
    response::IntoResponse,
    routing::{get, MethodRouter},
};

/// The route serving `body` as HTML.
pub fn ceiling<S: Clone + Send + Sync + 'static>(body: Bytes) -> MethodRouter<S> {
    get(move || {
        let body = body.clone();
        async move { ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response() }
    })
}
