//! Referral links: a page opened with `?ref=CODE` (a partner's code) leaves a cookie that
//! remembers it for 60 days, which sign-up reads to record who referred the new account. Only
//! with `PARTNERS_ENABLED`; a malformed code is ignored. Set outside the page cache, so a cached
//! page never carries another visitor's cookie.

use axum::{
    extract::{Request, State},
    http::{header, HeaderValue, Method},
    middleware::Next,
    response::Response,
};
use backend::{
    partners::{ReferralCode, REFERRAL_COOKIE, REFERRAL_COOKIE_MAX_AGE},
    AppState,
};

/// Remembers the referral code of a `GET …?ref=CODE`.
pub async fn remember(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let code = (state.config.partners_enabled && request.method() == Method::GET)
        .then(|| {
            url::form_urlencoded::parse(request.uri().query()?.as_bytes())
                .find(|(key, _)| key == "ref")
                .and_then(|(_, code)| ReferralCode::parse(&code))
        })
        .flatten();
    let mut response = next.run(request).await;
    if let Some(code) = code {
        let secure = if state.config.base_url.scheme() == "https" {
            "; Secure"
        } else {
            ""
        };
        let cookie = format!(
            "{REFERRAL_COOKIE}={}; Max-Age={REFERRAL_COOKIE_MAX_AGE}; Path=/; HttpOnly; SameSite=Lax{secure}",
            code.as_str()
        );
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}
