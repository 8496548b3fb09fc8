//! A micro-cache for the pages every anonymous visitor gets alike — the home page and the
//! pricing page, which depend only on the catalog and the query string — so they are rendered
//! once per catalog change instead of once per request.
//!
//! Only `GET` requests without any cookie (so no session, no signed-in user) and without a query
//! string (notices and form errors travel there) are served from it, and only `200 text/html`
//! answers that set no cookie are kept. Each answer still gets its own
//! CSP nonce: the cached page keeps the places where its render's nonce was, and a fresh nonce is
//! written into them (and recorded for [`crate::security::page_policy`]'s header) per request.
//! An entry is tagged with the catalog's generation when its render started, so a catalog change
//! (on any replica: `billing::cache::listen`) makes it stale at once, and it is kept only if the
//! catalog did not change while it rendered.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};
use backend::billing::CatalogCache;

use crate::security::PageNonce;

/// The paths whose anonymous answer is the same for everyone.
const PAGES: &[&str] = &["/", "/pricing"];

/// Says whether an answer came from the cache (`hit`) or was rendered and kept (`miss`), as
/// caching proxies do.
const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

/// The largest page kept.
const MAX_BYTES: usize = 1 << 20;

/// The cached pages, and the catalog whose changes expire them.
#[derive(Clone, Debug)]
pub struct PageCache {
    pages: Arc<RwLock<HashMap<&'static str, Page>>>,
    catalog: Arc<CatalogCache>,
}

/// A rendered page: its headers and its body split where the nonce was.
#[derive(Debug)]
struct Page {
    generation: u64,
    headers: HeaderMap,
    pieces: Vec<Bytes>,
}

impl PageCache {
    /// An empty cache expiring with `catalog`.
    pub fn new(catalog: Arc<CatalogCache>) -> Self {
        Self {
            pages: Arc::default(),
            catalog,
        }
    }

    fn get(&self, key: &str, generation: u64, nonce: &str) -> Option<Response> {
        let pages = self.pages.read().unwrap_or_else(|p| p.into_inner());
        let page = pages
            .get(key)
            .filter(|page| page.generation == generation)?;
        let mut body = Vec::with_capacity(
            page.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * page.pieces.len(),
        );
        for (i, piece) in page.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = (StatusCode::OK, Body::from(body)).into_response();
        response.headers_mut().extend(page.headers.clone());
        response
            .headers_mut()
            .insert(X_CACHE, HeaderValue::from_static("hit"));
        Some(response)
    }

    /// Keeps `page` unless the catalog changed while it was rendered.
    fn put(&self, key: &'static str, page: Page) {
        let mut pages = self.pages.write().unwrap_or_else(|p| p.into_inner());
        if self.catalog.generation() == page.generation {
            pages.insert(key, page);
        }
    }
}

/// Serves anonymous `GET`s of [`PAGES`] from the cache, filling it on a miss. Runs inside
/// `page_policy` (whose nonce slot it fills) and outside the session layers (which a request
/// without cookies does not need).
pub async fn serve(State(cache): State<PageCache>, request: Request, next: Next) -> Response {
    let anonymous = !request.headers().contains_key(header::COOKIE);
    let page = PAGES
        .iter()
        .copied()
        .find(|page| *page == request.uri().path());
    let (Some(key), Some(slot), true, Method::GET, None) = (
        page,
        request.extensions().get::<PageNonce>().cloned(),
        anonymous,
        request.method().clone(),
        request.uri().query(),
    ) else {
        return next.run(request).await;
    };
    let generation = cache.catalog.generation();
    let nonce = leptos::nonce::Nonce::new().to_string();
    if let Some(response) = cache.get(key, generation, &nonce) {
        slot.set(nonce);
        return response;
    }

    let response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if response.status() != StatusCode::OK
        || !html
        || response.headers().contains_key(header::SET_COOKIE)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BYTES).await {
        Ok(bytes) => bytes,
        Err(error) => {
            tracing::error!(%error, "reading a rendered page for the page cache failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    if let Some(rendered_with) = slot.peek().filter(|nonce| !nonce.is_empty()) {
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::TRANSFER_ENCODING);
        let pieces = split(&bytes, rendered_with.as_bytes());
        cache.put(
            key,
            Page {
                generation,
                headers: parts.headers.clone(),
                pieces,
            },
        );
    }
    parts
        .headers
        .insert(X_CACHE, HeaderValue::from_static("miss"));
    Response::from_parts(parts, Body::from(bytes))
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
