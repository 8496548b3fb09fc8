//! Request-level protections: the cross-site request check (CSRF), the pages' nonce-based
//! Content-Security-Policy, and the security headers every response carries (with
//! `Strict-Transport-Security` when the site is served over https).

use axum::{
    extract::{Request, State},
    http::{
        header::{self, HeaderValue},
        Method, StatusCode,
    },
    middleware::Next,
    response::{IntoResponse, Response},
};
use backend::AppState;
use leptos::prelude::use_context;
use std::sync::{Arc, Mutex};
use url::Url;

/// Refuses (403) any state-changing request whose `Origin` — or, when a browser sends none, whose
/// `Referer` — is not our configured `BASE_URL`. Together with `SameSite=Lax` session cookies this
/// stops other sites from submitting our forms (server functions included) as the user.
pub async fn verify_origin(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let expected = state.config.base_url.origin().ascii_serialization();
    let headers = request.headers();
    let claimed = match headers.get(header::ORIGIN) {
        Some(origin) => origin.to_str().ok().map(str::to_owned),
        None => headers
            .get(header::REFERER)
            .and_then(|referer| referer.to_str().ok())
            .and_then(|referer| Url::parse(referer).ok())
            .map(|referer| referer.origin().ascii_serialization()),
    };
    if claimed.as_deref() == Some(expected.as_str()) {
        return next.run(request).await;
    }
    tracing::warn!(
        origin = claimed.as_deref().unwrap_or("<none>"),
        "refused a cross-site request"
    );
    (
        StatusCode::FORBIDDEN,
        "This request did not come from this site, so it was refused.",
    )
        .into_response()
}

/// Where the page renderer leaves the nonce it put on this response's scripts. The middleware
/// puts an empty slot into the request; Leptos clones the request's parts into its context, and
/// the clones share the slot.
#[derive(Clone, Debug, Default)]
pub struct PageNonce(Arc<Mutex<Option<String>>>);

impl PageNonce {
    /// Sets the nonce of this response (a page served from the page cache).
    pub fn set(&self, nonce: String) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(nonce);
    }

    /// The nonce recorded so far, left in place for `page_policy`.
    pub fn peek(&self) -> Option<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records the nonce of the page being rendered. Called from the context every page render
    /// is given (`startup::router`), after leptos_axum has provided the nonce.
    pub fn record() {
        let (Some(nonce), Some(parts)) = (
            leptos::nonce::use_nonce(),
            use_context::<axum::http::request::Parts>(),
        ) else {
            return;
        };
        if let Some(PageNonce(slot)) = parts.extensions.get::<PageNonce>() {
            *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(nonce.to_string());
        }
    }
}

/// Gives every rendered page its `Content-Security-Policy`: scripts only from our origin and the
/// inline island loader carrying this response's nonce; `'wasm-unsafe-eval'` so the browser may
/// compile our WASM; forms may also go to the hosted Checkout and portal pages (Stripe's or the
/// emulator's). Under `cargo xtask dev` (`DEV_MODE=true` and `cargo leptos watch`) the
/// live-reload WebSocket is allowed too; never in production.
///
/// Set here, from the nonce the renderer recorded, rather than by the page itself: one place
/// decides the header, whatever the render mode.
pub async fn page_policy(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let slot = PageNonce::default();
    request.extensions_mut().insert(slot.clone());
    let mut response = next.run(request).await;
    let nonce = slot.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    let Some(nonce) = nonce else {
        return response;
    };
    let live_reload = if state.config.live_reload { " ws:" } else { "" };
    let hosted = state.config.stripe.hosted_pages_origins().join(" ");
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{live_reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self' {hosted}; frame-ancestors 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// How long browsers keep to https once told (two years, what the HSTS preload list asks for).
const STRICT_TRANSPORT: HeaderValue =
    HeaderValue::from_static("max-age=63072000; includeSubDomains");

/// What every response may not be framed by, sniffed as, or leak in `Referer`. Pages have their
/// `Content-Security-Policy` from [`page_policy`]; anything else (JSON, files, plain-text errors)
/// gets a policy that allows nothing to run. With an https `BASE_URL`, browsers are told to use
/// nothing but https for the site and its subdomains (`Strict-Transport-Security`).
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if state.config.served_over_https() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, STRICT_TRANSPORT);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
            ),
        );
    }
    response
}
