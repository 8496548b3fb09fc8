//! Form errors in the URL, shown only to the browser whose form post produced them.
//!
//! Without JavaScript, a failed form post is redirected back to its page with the error in the
//! query (`?__path=…&__err=…`, Leptos's form redirects) and the page shows it as an alert. Any
//! link could carry such a query and put a stranger's words in that alert. So the redirect also
//! sets a short-lived cookie holding the error, a page is rendered with an error from its URL
//! only when the browser sends that cookie back, and the page clears it: the error shows once.
//! Any other URL error is dropped by redirecting to the same page without it.

use axum::{
    extract::{Request, State},
    http::{header, HeaderMap, HeaderValue, Method},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};
use backend::AppState;
use tower_sessions::cookie::{Cookie, SameSite};
use url::{form_urlencoded, Url};

/// The query parameter naming the server function that failed.
const PATH: &str = "__path";
/// The query parameter holding the error (base64 of its JSON).
const ERROR: &str = "__err";

/// The cookie holding the error a redirect carries, over plain http.
const COOKIE: &str = "tollgate_form_error";
/// The same over https: `__Host-` makes it `Secure`, `Path=/` and unplantable by subdomains.
const HOST_COOKIE: &str = "__Host-tollgate_form_error";

/// How long the cookie waits for the browser to follow the redirect.
const LIFETIME: time::Duration = time::Duration::minutes(1);

/// On a form post's redirect back with an error: keeps one error in the URL and sets the cookie.
/// On a page request whose URL holds an error: renders it only if the cookie matches (and clears
/// the cookie), else redirects to the page without it.
pub async fn only_our_own(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let cookie = FlashCookie::for_site(&state);
    match *request.method() {
        Method::POST => {
            let mut response = next.run(request).await;
            cookie.remember(&mut response);
            response
        }
        Method::GET | Method::HEAD => {
            let Some(pairs) = url_error(&request) else {
                return next.run(request).await;
            };
            if cookie.holds(request.headers(), &pairs) {
                let mut response = next.run(request).await;
                cookie.clear(&mut response);
                return response;
            }
            tracing::info!("dropped a form error from a URL this browser was not redirected to");
            Redirect::to(&without_error(request.uri().path(), &pairs)).into_response()
        }
        _ => next.run(request).await,
    }
}

/// The query's pairs, when it carries a form error (or half of one).
fn url_error(request: &Request) -> Option<Vec<(String, String)>> {
    let query = request.uri().query()?;
    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    pairs
        .iter()
        .any(|(key, _)| is_error_key(key))
        .then_some(pairs)
}

fn is_error_key(key: &str) -> bool {
    key == PATH || key == ERROR
}

/// `path` with the query's other pairs: the same page, without the error. Leading slashes are
/// collapsed so the result cannot name another host (`//evil.example`).
fn without_error(path: &str, pairs: &[(String, String)]) -> String {
    let mut target = format!("/{}", path.trim_start_matches(['/', '\\']));
    let kept: Vec<_> = pairs.iter().filter(|(key, _)| !is_error_key(key)).collect();
    if !kept.is_empty() {
        target.push('?');
        target.push_str(
            &form_urlencoded::Serializer::new(String::new())
                .extend_pairs(kept)
                .finish(),
        );
    }
    target
}

/// The cookie's name and attributes for this site.
struct FlashCookie {
    name: &'static str,
    secure: bool,
}

impl FlashCookie {
    fn for_site(state: &AppState) -> Self {
        let secure = state.config.served_over_https();
        Self {
            name: if secure { HOST_COOKIE } else { COOKIE },
            secure,
        }
    }

    /// If `response` redirects back with a form error: leaves only the newest error in its
    /// `Location` (a page posted from after an earlier failure carries that one too) and sets
    /// the cookie to it.
    fn remember(&self, response: &mut Response) {
        if !response.status().is_redirection() {
            return;
        }
        let Some(mut location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| Url::parse(value).ok())
        else {
            return;
        };
        let pairs: Vec<(String, String)> = location.query_pairs().into_owned().collect();
        let newest = |name: &str| {
            pairs
                .iter()
                .rev()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let (Some(path), Some(error)) = (newest(PATH), newest(ERROR)) else {
            return;
        };
        location
            .query_pairs_mut()
            .clear()
            .extend_pairs(pairs.iter().filter(|(key, _)| !is_error_key(key)))
            .append_pair(PATH, path)
            .append_pair(ERROR, error);
        let (Ok(location), Ok(cookie)) = (
            HeaderValue::from_str(location.as_str()),
            HeaderValue::from_str(&self.build(error, LIFETIME)),
        ) else {
            return;
        };
        let headers = response.headers_mut();
        headers.insert(header::LOCATION, location);
        headers.append(header::SET_COOKIE, cookie);
    }

    /// Whether the request's cookie holds the URL's one error.
    fn holds(&self, headers: &HeaderMap, pairs: &[(String, String)]) -> bool {
        let mut errors = pairs.iter().filter(|(key, _)| key == ERROR);
        let (Some((_, error)), None) = (errors.next(), errors.next()) else {
            return false;
        };
        headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(Cookie::split_parse)
            .filter_map(Result::ok)
            .any(|cookie| cookie.name() == self.name && cookie.value() == error)
    }

    /// Expires the cookie: the error has been shown.
    fn clear(&self, response: &mut Response) {
        if let Ok(cookie) = HeaderValue::from_str(&self.build("", time::Duration::ZERO)) {
            response.headers_mut().append(header::SET_COOKIE, cookie);
        }
    }

    fn build(&self, value: &str, max_age: time::Duration) -> String {
        Cookie::build((self.name, value))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .max_age(max_age)
            .build()
            .to_string()
    }
}
