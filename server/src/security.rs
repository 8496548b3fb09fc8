//! Request-level protections: the cross-site request check (CSRF) and the security headers every
//! response carries.

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

/// What every response may not be framed by, sniffed as, or leak in `Referer`. Pages set their
/// own `Content-Security-Policy` with the per-request script nonce (`app::shell`); anything else
/// (JSON, files, plain-text errors) gets a policy that allows nothing to run.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
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
