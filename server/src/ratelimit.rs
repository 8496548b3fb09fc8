//! Rate limiting, answering 429 with `Retry-After` (the limits live in `backend::ratelimit`): the
//! endpoints that check a password or a token, per client network and, for password checks, in
//! the failure ledger per account and network; and the billing endpoints that call Stripe, per
//! signed-in user.
//!
//! Every attempt counts against the client's network (an IPv4 address, or an IPv6 /64). A
//! password check is admitted into the failure ledger under its account — the email the sign-in
//! form names, or the signed-in user's (password change, email change, deletion) — and the
//! backend service forgives it when the password is right. Sign-up and forgot-password name an
//! email too, but never count against its account (the backend limits reset mails itself). This
//! runs inside `auth::resolve_user`, which has put the signed-in user into the request, and puts
//! the client's [`ClientNetwork`] into the request for the server functions to pass on; every
//! request gets its [`ClientAddress`].
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
    ratelimit::{ClientAddress, ClientNetwork},
    AppState,
};
use leptos::server_fn::ServerFn;

use app::server_fns::{billing, console, profile, recovery, session};

/// The server function that checks the password of the account its form's email names.
const SIGN_IN: &str = <session::SignIn as ServerFn>::PATH;

/// The server functions that check the signed-in account's current password.
const CURRENT_PASSWORD_CHECKS: [&str; 3] = [
    <profile::ChangePassword as ServerFn>::PATH,
    <profile::ChangeEmail as ServerFn>::PATH,
    <profile::DeleteAccount as ServerFn>::PATH,
];

/// The console's actions that move money: they check the signed-in admin's password when it was
/// last entered over 15 minutes ago, so a form carrying one counts as a password check on the
/// account (and against the network); one without counts nowhere.
const PASSWORD_CONFIRMATIONS: [&str; 4] = [
    <console::RefundCharge as ServerFn>::PATH,
    <console::PayOut as ServerFn>::PATH,
    <console::SubmitDispute as ServerFn>::PATH,
    <console::AcceptDispute as ServerFn>::PATH,
];

/// The other server functions limited per client network: they name an account without
/// checking its password, or carry only a token.
const BY_NETWORK_ONLY: [&str; 3] = [
    <session::SignUp as ServerFn>::PATH,
    <recovery::ForgotPassword as ServerFn>::PATH,
    <recovery::ResetPassword as ServerFn>::PATH,
];

/// The billing and console server functions that call Stripe, limited per signed-in user.
const BILLING_CALLS: [&str; 14] = [
    <billing::StartCheckout as ServerFn>::PATH,
    <billing::OpenPortal as ServerFn>::PATH,
    <billing::UpdateCard as ServerFn>::PATH,
    <billing::ConfirmCheckout as ServerFn>::PATH,
    <billing::CancelSubscription as ServerFn>::PATH,
    <billing::ResumeSubscription as ServerFn>::PATH,
    <billing::PreviewPlanChange as ServerFn>::PATH,
    <billing::ChangePlan as ServerFn>::PATH,
    <console::RefundCharge as ServerFn>::PATH,
    <console::PayOut as ServerFn>::PATH,
    <console::SaveDisputeEvidence as ServerFn>::PATH,
    <console::SubmitDispute as ServerFn>::PATH,
    <console::AcceptDispute as ServerFn>::PATH,
    <console::AdminCancelSubscription as ServerFn>::PATH,
];

/// The billing pages that call Stripe when they are opened.
const BILLING_PAGES: [&str; 2] = ["/checkout/start", "/checkout/success"];

/// Forms are tiny; anything bigger is not one of ours.
const MAX_FORM_BYTES: usize = 16 * 1024;

/// Limits the endpoints that check a password or a token; see the module docs.
pub async fn limit_auth_attempts(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let address = ClientAddress(client_ip(&request, state.config.trusted_proxy_hops));
    request.extensions_mut().insert(address);
    let path = request.uri().path();
    let sign_in = path == SIGN_IN;
    let current_password_check = CURRENT_PASSWORD_CHECKS.contains(&path);
    let confirmation = PASSWORD_CONFIRMATIONS.contains(&path);
    if request.method() != Method::POST
        || !(sign_in || current_password_check || confirmation || BY_NETWORK_ONLY.contains(&path))
    {
        return next.run(request).await;
    }
    let network = ClientNetwork::of(client_ip(&request, state.config.trusted_proxy_hops));
    if confirmation {
        return confirm_password(&state, request, next, network).await;
    }
    if let Err(wait) = state.auth_rate_limits.check(network) {
        tracing::warn!(%network, "authentication rate limit reached");
        return too_many(wait);
    }
    request.extensions_mut().insert(network);
    let signed_in_email = request
        .extensions()
        .get::<User>()
        .map(|user| user.email.clone());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_FORM_BYTES).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    // The account's key is its email as the backend stores it. A malformed email is refused by
    // the backend before any password work, so it counts against the network only.
    let account = if sign_in {
        url::form_urlencoded::parse(&bytes)
            .find(|(key, _)| key == "email")
            .and_then(|(_, email)| EmailAddress::parse(&email, "email").ok())
    } else if current_password_check {
        signed_in_email
    } else {
        None
    };
    if let Some(account) = account {
        if let Err(wait) = state.auth_rate_limits.failures.admit(&account, network) {
            tracing::warn!(%network, "failed password checks on one account limited");
            return too_many(wait);
        }
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A console action that moves money: the client's network goes into the request (for the
/// password check); a form that carries a password counts against the network and in the
/// failure ledger of the signed-in account, one without counts nowhere. Read up to the pages'
/// whole body limit: a dispute's evidence is long.
async fn confirm_password(
    state: &AppState,
    mut request: Request,
    next: Next,
    network: ClientNetwork,
) -> Response {
    request.extensions_mut().insert(network);
    let signed_in_email = request
        .extensions()
        .get::<User>()
        .map(|user| user.email.clone());
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, crate::startup::FORM_BODY_LIMIT).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    let carries_password = url::form_urlencoded::parse(&bytes)
        .any(|(key, value)| key == "password" && !value.is_empty());
    if let (true, Some(account)) = (carries_password, signed_in_email) {
        if let Err(wait) = state.auth_rate_limits.check(network) {
            tracing::warn!(%network, "authentication rate limit reached");
            return too_many(wait);
        }
        if let Err(wait) = state.auth_rate_limits.failures.admit(&account, network) {
            tracing::warn!(%network, "failed password checks on one account limited");
            return too_many(wait);
        }
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
