//! Rate limiting the authentication endpoints (sign-in, sign-up, forgot-password), per client IP
//! and per account, answering 429 with `Retry-After`. The limits live in `backend::ratelimit`.
//!
//! The client IP is the TCP peer's. Behind a reverse proxy that would be the proxy for everyone:
//! run the limits at the proxy too, or extend this to trust its `X-Forwarded-For`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    body::{to_bytes, Body},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use backend::AppState;
use leptos::server_fn::ServerFn;

use app::server_fns::{recovery::ForgotPassword, session};

/// The server functions that are limited.
const LIMITED: [&str; 3] = [
    <session::SignIn as ServerFn>::PATH,
    <session::SignUp as ServerFn>::PATH,
    <ForgotPassword as ServerFn>::PATH,
];

/// Forms are tiny; anything bigger is not one of ours.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn limit_auth_attempts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.method() != Method::POST || !LIMITED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // The account is the email the form names, normalised as the backend stores it.
    let account = url::form_urlencoded::parse(&bytes)
        .find(|(key, _)| key == "email")
        .map(|(_, email)| email.trim().to_lowercase());

    if let Err(wait) = state.auth_rate_limits.check(ip, account.as_deref()) {
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        tracing::warn!(%ip, retry_after = seconds, "authentication rate limit reached");
        // A form post lands here without JavaScript, so the browser shows this page as is.
        let mut response = (
            StatusCode::TOO_MANY_REQUESTS,
            Html(format!(
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <title>Too many attempts · Tollgate</title></head><body><main>\
                 <h1>Too many attempts</h1><p>Try again in {seconds} seconds.</p>\
                 <p><a href=\"/\">Back to the home page</a></p></main></body></html>"
            )),
        )
            .into_response();
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from_str(&seconds.to_string()).expect("digits are a valid header"),
        );
        return response;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}
