//! Serving the compiled bundle (`/pkg`): WASM, JS and CSS with hashed names, so they are cached
//! for a year, and sent brotli- or gzip-compressed from the `.br`/`.gz` files that
//! `cargo xtask` writes next to them after each build.

use axum::http::{header, HeaderValue, Response};
use leptos::prelude::LeptosOptions;
use tower::Layer;
use tower_http::{
    services::ServeDir,
    set_header::{SetResponseHeader, SetResponseHeaderLayer},
};

/// One year: the file names change whenever their content does.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Decides the `Cache-Control` of a `/pkg` response: long-lived for files found, none for errors.
type CacheControl =
    fn(&Response<tower_http::services::fs::ServeFileSystemResponseBody>) -> Option<HeaderValue>;

/// The service behind `/pkg`.
pub fn pkg_service(options: &LeptosOptions) -> SetResponseHeader<ServeDir, CacheControl> {
    let dir = std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let cache_control: CacheControl = |response| {
        response
            .status()
            .is_success()
            .then(|| HeaderValue::from_static(IMMUTABLE))
    };
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, cache_control).layer(files)
}
