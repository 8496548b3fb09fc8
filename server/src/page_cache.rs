//! A micro-cache for rendered pages, so a page is rendered once per change to what it shows
//! instead of once per request.
//!
//! **Anonymous pages.** The home page and the pricing page depend only on the catalog and the
//! query string. `GET` requests without any cookie (so no session, no signed-in user) and without
//! a query string (notices and form errors travel there) are served from here; an entry is tagged
//! with the catalog's generation when its render started, so a catalog change (on any replica:
//! `backend::announcements`) makes it stale at once, and it is kept only if the catalog did not
//! change while it rendered.
//!
//! **Signed-in pages** (`/account`, `/dashboard`; with `SIGNED_IN_PAGE_CACHE_SECONDS` > 0). A
//! page is kept for the exact `Cookie` header it was rendered for (so for one session), and
//! served again only while: no change to the account has been heard since before its render
//! (`backend::account_changes`: every write to the account's rows announces it, from any
//! replica), the catalog is the same, the session is within its absolute timeout, and for at most
//! the configured seconds (what bounds a date relative to now). A hit skips the session layers:
//! it is what they would have answered, since ending the session (sign-out, sign-out
//! everywhere, deletion) writes the session's or the account's row. Any other request by a
//! signed-in user marks the account changed on this replica once it is answered, so what the
//! user just did on this replica is never answered from before it.
//!
//! Only `200 text/html` answers that set no cookie are kept. Each answer still gets its own
//! CSP nonce: the cached page keeps the places where its render's nonce was, and a fresh nonce is
//! written into them (and recorded for [`crate::security::page_policy`]'s header) per request.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use backend::{
    account_changes::{AccountChanges, Mark},
    billing::CatalogCache,
    AppState,
};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{auth::SignedInAs, security::PageNonce};

/// The paths whose anonymous answer is the same for everyone.
const PAGES: &[&str] = &["/", "/pricing"];

/// The paths whose signed-in answer is kept per session.
const SIGNED_IN_PAGES: &[&str] = &["/account", "/dashboard"];

/// The most bytes of signed-in pages kept at once; past it, pages are rendered without being kept
/// until entries expire.
const SIGNED_IN_BYTES: usize = 32 << 20;

/// Says whether an answer came from the cache (`hit`) or was rendered and kept (`miss`), as
/// caching proxies do.
const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// The largest page kept.
const MAX_BYTES: usize = 1 << 20;

/// The cached pages, and what expires them.
#[derive(Clone, Debug)]
pub struct PageCache {
    pages: Arc<RwLock<HashMap<&'static str, Page>>>,
    signed_in: Arc<RwLock<SignedInPages>>,
    catalog: Arc<CatalogCache>,
    changes: Arc<AccountChanges>,
    /// How long a signed-in page may be served again (`None`: it is not kept).
    keep_signed_in: Option<Duration>,
}

/// A rendered page: its headers and its body split where the nonce was.
#[derive(Debug)]
struct Page {
    generation: u64,
    headers: HeaderMap,
    pieces: Vec<Bytes>,
}

impl Page {
    /// The page as an answer, with `nonce` where its render's was.
    fn answer(&self, nonce: &str) -> Response {
        let mut body = Vec::with_capacity(self.len() + nonce.len() * self.pieces.len());
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = (StatusCode::OK, Body::from(body)).into_response();
        response.headers_mut().extend(self.headers.clone());
        response
            .headers_mut()
            .insert(X_CACHE, HeaderValue::from_static("hit"));
        response
    }

    fn len(&self) -> usize {
        self.pieces.iter().map(Bytes::len).sum()
    }
}

/// The signed-in pages kept, by path and `Cookie` header.
#[derive(Debug, Default)]
struct SignedInPages {
    pages: HashMap<(&'static str, String), SignedInPage>,
    bytes: usize,
}

/// A page rendered for one session.
#[derive(Debug)]
struct SignedInPage {
    page: Page,
    account: Uuid,
    /// Taken before the render: a change to the account heard since makes the page stale.
    mark: Mark,
    /// Served until then at the latest.
    until: Instant,
}

impl PageCache {
    /// An empty cache expiring with the catalog and the account changes of `state`.
    pub fn new(state: &AppState) -> Self {
        Self {
            pages: Arc::default(),
            signed_in: Arc::default(),
            catalog: state.catalog.clone(),
            changes: state.account_changes.clone(),
            keep_signed_in: state.config.signed_in_page_cache,
        }
    }

    fn get(&self, key: &str, generation: u64, nonce: &str) -> Option<Response> {
        let pages = self.pages.read().unwrap_or_else(|p| p.into_inner());
        let page = pages
            .get(key)
            .filter(|page| page.generation == generation)?;
        Some(page.answer(nonce))
    }

    /// Keeps `page` unless the catalog changed while it was rendered.
    fn put(&self, key: &'static str, page: Page) {
        let mut pages = self.pages.write().unwrap_or_else(|p| p.into_inner());
        if self.catalog.generation() == page.generation {
            pages.insert(key, page);
        }
    }

    /// The page kept for `key`, if it is still what a render would give.
    fn get_signed_in(&self, key: &(&'static str, String), nonce: &str) -> Option<Response> {
        let pages = self.signed_in.read().unwrap_or_else(|p| p.into_inner());
        let kept = pages.pages.get(key)?;
        self.is_fresh(kept).then(|| kept.page.answer(nonce))
    }

    /// Whether `kept` is still what a render would give.
    fn is_fresh(&self, kept: &SignedInPage) -> bool {
        kept.until > Instant::now()
            && kept.page.generation == self.catalog.generation()
            && self.changes.unchanged_since(kept.account, kept.mark)
    }

    /// Keeps `kept` for `key` unless it is stale already or the budget is spent (after dropping
    /// the stale entries).
    fn put_signed_in(&self, key: (&'static str, String), kept: SignedInPage) {
        let mut pages = self.signed_in.write().unwrap_or_else(|p| p.into_inner());
        if !self.is_fresh(&kept) {
            return;
        }
        if let Some(old) = pages.pages.remove(&key) {
            pages.bytes -= old.page.len();
        }
        if pages.bytes + kept.page.len() > SIGNED_IN_BYTES {
            pages.pages.retain(|_, kept| self.is_fresh(kept));
            pages.bytes = pages.pages.values().map(|kept| kept.page.len()).sum();
            if pages.bytes + kept.page.len() > SIGNED_IN_BYTES {
                return;
            }
        }
        pages.bytes += kept.page.len();
        pages.pages.insert(key, kept);
    }
}

/// Serves `GET`s of [`PAGES`] (anonymous) and [`SIGNED_IN_PAGES`] (signed in) from the cache,
/// filling it on a miss, and marks the account changed after any other request by a signed-in
/// user. Runs inside `page_policy` (whose nonce slot it fills) and outside the session layers
/// (which a hit does not need).
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let slot = request.extensions().get::<PageNonce>().cloned();
    let plain_get = request.method() == Method::GET && request.uri().query().is_none();
    let path = request.uri().path();
    let cookie = request.headers().get(header::COOKIE);
    match (slot, plain_get, cookie) {
        (Some(slot), true, None) => {
            if let Some(key) = PAGES.iter().copied().find(|page| *page == path) {
                return anonymous(&cache, key, slot, request, next).await;
            }
        }
        (Some(slot), true, Some(cookie)) => {
            let page = SIGNED_IN_PAGES.iter().copied().find(|page| *page == path);
            if let (Some(page), Some(keep), Ok(cookie)) =
                (page, cache.keep_signed_in, cookie.to_str())
            {
                let key = (page, cookie.to_owned());
                return signed_in(&cache, key, keep, slot, request, next).await;
            }
        }
        _ => {}
    }
    let response = next.run(request).await;
    if let Some(signed_in) = response.extensions().get::<SignedInAs>() {
        cache.changes.changed(signed_in.account);
    }
    response
}

/// An anonymous `GET` of `key`.
async fn anonymous(
    cache: &PageCache,
    key: &'static str,
    slot: PageNonce,
    request: Request,
    next: Next,
) -> Response {
    let generation = cache.catalog.generation();
    let nonce = leptos::nonce::Nonce::new().to_string();
    if let Some(response) = cache.get(key, generation, &nonce) {
        slot.set(nonce);
        return response;
    }
    let response = next.run(request).await;
    match Rendered::read(response, &slot).await {
        Rendered::Page(parts, bytes, pieces) => {
            cache.put(
                key,
                Page {
                    generation,
                    headers: parts.headers.clone(),
                    pieces,
                },
            );
            Rendered::missed(parts, bytes)
        }
        Rendered::Other(response) => response,
    }
}

/// A signed-in `GET` of `key.0` with the `Cookie` header `key.1`.
async fn signed_in(
    cache: &PageCache,
    key: (&'static str, String),
    keep: Duration,
    slot: PageNonce,
    request: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    if let Some(response) = cache.get_signed_in(&key, &nonce) {
        slot.set(nonce);
        return response;
    }
    // Both taken before the render reads anything.
    let (mark, generation) = (cache.changes.mark(), cache.catalog.generation());
    let response = next.run(request).await;
    let (Some(mark), Some(&signed_in)) = (mark, response.extensions().get::<SignedInAs>()) else {
        return response;
    };
    match Rendered::read(response, &slot).await {
        Rendered::Page(parts, bytes, pieces) => {
            let session_left = (signed_in.until - OffsetDateTime::now_utc())
                .try_into()
                .unwrap_or(Duration::ZERO);
            cache.put_signed_in(
                key,
                SignedInPage {
                    page: Page {
                        generation,
                        headers: parts.headers.clone(),
                        pieces,
                    },
                    account: signed_in.account,
                    mark,
                    until: Instant::now() + keep.min(session_left),
                },
            );
            Rendered::missed(parts, bytes)
        }
        Rendered::Other(response) => response,
    }
}

/// An answer as the cache sees it.
enum Rendered {
    /// A page that may be kept: `200 text/html`, no cookie set, rendered with a nonce; its
    /// parts, body, and body cut where the nonce was.
    Page(axum::http::response::Parts, Bytes, Vec<Bytes>),
    /// Anything else, answered as it is.
    Other(Response),
}

impl Rendered {
    async fn read(response: Response, slot: &PageNonce) -> Self {
        let html = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        if response.status() != StatusCode::OK
            || !html
            || response.headers().contains_key(header::SET_COOKIE)
        {
            return Self::Other(response);
        }
        let (mut parts, body) = response.into_parts();
        let bytes = match axum::body::to_bytes(body, MAX_BYTES).await {
            Ok(bytes) => bytes,
            Err(error) => {
                tracing::error!(%error, "reading a rendered page for the page cache failed");
                return Self::Other(StatusCode::INTERNAL_SERVER_ERROR.into_response());
            }
        };
        match slot.peek().filter(|nonce| !nonce.is_empty()) {
            Some(rendered_with) => {
                parts.headers.remove(header::CONTENT_LENGTH);
                parts.headers.remove(header::TRANSFER_ENCODING);
                let pieces = split(&bytes, rendered_with.as_bytes());
                Self::Page(parts, bytes, pieces)
            }
            None => Self::Other(Response::from_parts(parts, Body::from(bytes))),
        }
    }

    /// The answer to the request that rendered a page (marked `X-Cache: miss`).
    fn missed(mut parts: axum::http::response::Parts, bytes: Bytes) -> Response {
        parts
            .headers
            .insert(X_CACHE, HeaderValue::from_static("miss"));
        Response::from_parts(parts, Body::from(bytes))
    }
}

/// `bytes` cut at every occurrence of `needle`.
fn split(bytes: &Bytes, needle: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at + needle.len() <= bytes.len() {
        if &bytes[at..at + needle.len()] == needle {
            pieces.push(bytes.slice(start..at));
            at += needle.len();
            start = at;
        } else {
            at += 1;
        }
    }
    pieces.push(bytes.slice(start..));
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_where_its_nonce_was() {
        let page =
            Bytes::from_static(b"<script nonce=\"N1\">x</script><p>N</p><link nonce=\"N1\">");
        let pieces = split(&page, b"N1");
        assert_eq!(
            pieces,
            [
                Bytes::from_static(b"<script nonce=\""),
                Bytes::from_static(b"\">x</script><p>N</p><link nonce=\""),
                Bytes::from_static(b"\">"),
            ]
        );
        assert_eq!(split(&page, b"absent"), vec![page]);
    }
}
