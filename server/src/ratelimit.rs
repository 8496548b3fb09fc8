//! Rate limiting, answering 429 with `Retry-After` (the limits live in `backend::ratelimit`): the
//! endpoints that check a password or a token, per client IP and per account; and the billing
//! endpoints that call Stripe, per signed-in user.
//!
//! The account is the email the form names (sign-in, sign-up, forgot-password), or the signed-in
//! user's (password change, email change, deletion: each checks the current password). A reset
//! carries no account, only a token, so it is limited per IP. This runs inside
//! `auth::resolve_user`, which has put the signed-in user into the request.
//!
//! The client IP is the TCP peer's, or, behind `TRUSTED_PROXY_HOPS` reverse proxies, the address
//! the outermost of them saw, read from `X-Forwarded-For` (see [`client_ip`]).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    body::{to_bytes, Body},
    extract::{ConnectInfo, Request, State},
    http::{header, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use backend::{
    auth::{EmailAddress, User},
    AppState,
};
use leptos::server_fn::ServerFn;

use app::server_fns::{billing, profile, recovery, session};

/// The server functions limited per IP and per the email their form names.
const BY_FORM_EMAIL: [&str; 3] = [
    <session::SignIn as ServerFn>::PATH,
    <session::SignUp as ServerFn>::PATH,
    <recovery::ForgotPassword as ServerFn>::PATH,
];

/// The server functions limited per IP and per signed-in account (they check its password).
const BY_SIGNED_IN_ACCOUNT: [&str; 3] = [
    <profile::ChangePassword as ServerFn>::PATH,
    <profile::ChangeEmail as ServerFn>::PATH,
    <profile::DeleteAccount as ServerFn>::PATH,
];

/// The server functions limited per IP only.
const BY_IP_ONLY: [&str; 1] = [<recovery::ResetPassword as ServerFn>::PATH];

/// The billing server functions that call Stripe, limited per signed-in user.
const BILLING_CALLS: [&str; 8] = [
    <billing::StartCheckout as ServerFn>::PATH,
    <billing::OpenPortal as ServerFn>::PATH,
    <billing::UpdateCard as ServerFn>::PATH,
    <billing::ConfirmCheckout as ServerFn>::PATH,
    <billing::CancelSubscription as ServerFn>::PATH,
    <billing::ResumeSubscription as ServerFn>::PATH,
    <billing::PreviewPlanChange as ServerFn>::PATH,
    <billing::ChangePlan as ServerFn>::PATH,
];

/// The billing pages that call Stripe when they are opened.
const BILLING_PAGES: [&str; 2] = ["/checkout/start", "/checkout/success"];

/// Forms are tiny; anything bigger is not one of ours.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub async fn limit_auth_attempts(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let by_form_email = BY_FORM_EMAIL.contains(&path);
    let by_signed_in_account = BY_SIGNED_IN_ACCOUNT.contains(&path);
    if request.method() != Method::POST
        || !(by_form_email || by_signed_in_account || BY_IP_ONLY.contains(&path))
    {
        return next.run(request).await;
    }
    let ip = client_ip(&request, state.config.trusted_proxy_hops);
    let signed_in_email = request
        .extensions()
        .get::<User>()
        .map(|user| user.email.as_str().to_owned());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // The account's key is its email as the backend stores it. A malformed email is refused by
    // the backend before any password work, so it counts against the IP only.
    let account = if by_form_email {
        url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "email")
            .and_then(|(_, email)| EmailAddress::parse(&email, "email").ok())
            .map(|email| email.as_str().to_owned())
    } else if by_signed_in_account {
        signed_in_email
    } else {
        None
    };

    if let Err(wait) = state.auth_rate_limits.check(ip, account.as_deref()) {
        tracing::warn!(%ip, "authentication rate limit reached");
        return too_many(wait);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The client's address. With no trusted proxy, the TCP peer. Behind `hops` proxies, each of
/// which appends the address it received from to `X-Forwarded-For`, the `hops`-th entry from the
/// right: entries further left were written by the client and prove nothing. A header shorter
/// than that (a misconfiguration) falls back to the peer.
pub fn client_ip(request: &Request, hops: usize) -> IpAddr {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |info| info.0.ip());
    if hops == 0 {
        return peer;
    }
    let forwarded: Vec<&str> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .collect();
    forwarded
        .len()
        .checked_sub(hops)
        .and_then(|index| forwarded[index].parse().ok())
        .unwrap_or(peer)
}

/// Limits a signed-in user's billing calls that reach Stripe. Signed-out requests pass: those
/// endpoints refuse them before calling Stripe.
pub async fn limit_billing_calls(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    // The account page asks Stripe for a proration preview when it shows a plan change.
    let previews = path == "/account"
        && request
            .uri()
            .query()
            .is_some_and(|query| query.contains("change="));
    let limited = (request.method() == Method::POST && BILLING_CALLS.contains(&path))
        || (request.method() == Method::GET && (BILLING_PAGES.contains(&path) || previews));
    if let (true, Some(user)) = (limited, request.extensions().get::<User>()) {
        if let Err(wait) = state.billing_rate_limit.check(user.id) {
            tracing::warn!(user.id = %user.id, "billing rate limit reached");
            return too_many(wait);
        }
    }
    next.run(request).await
}

/// 429 with `Retry-After` and a page a browser can show as is (form posts land here without
/// JavaScript).
fn too_many(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
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
    response
}
