//! Logging: `tracing` filtered by `RUST_LOG`, pretty or JSON (`LOG_FORMAT=json`), and one span per
//! HTTP request carrying the method, the matched route and the status.

use axum::{extract::MatchedPath, http::Request};
use backend::config::LogFormat;
use tower_http::{
    classify::{ServerErrorsAsFailures, SharedClassifier},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Default filter when `RUST_LOG` is unset.
const DEFAULT_FILTER: &str = "info,server=info,backend=info,tower_http=info,sqlx=warn";

/// Installs the global subscriber. Call once, from `main`.
pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let registry = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Json => registry
            .with(fmt::layer().json().flatten_event(true))
            .init(),
        LogFormat::Pretty => registry.with(fmt::layer()).init(),
    }
}

/// For a command whose standard output is its report (`server stripe contract`): warnings (a
/// retried Stripe call) and errors only, to standard error, unless `RUST_LOG` says otherwise.
pub fn init_to_stderr() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn"));
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .init();
}

/// A span per request, named after the route that matched (not the raw path, which may hold ids).
pub fn http_trace_layer() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    impl Fn(&Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    TraceLayer::new_for_http()
        .make_span_with(|request: &Request<axum::body::Body>| {
            let route = request
                .extensions()
                .get::<MatchedPath>()
                .map_or("<unmatched>", MatchedPath::as_str);
            tracing::info_span!(
                "http",
                method = %request.method(),
                route,
                path = %request.uri().path(),
            )
        })
        .on_response(DefaultOnResponse::new().level(Level::INFO))
}
