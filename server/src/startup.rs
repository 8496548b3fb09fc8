//! Builds the application: state, router and listener. `main` and the tests share this.

use std::{future::Future, net::SocketAddr, sync::LazyLock};

use anyhow::Context;
use app::{shell, App};
use axum::{
    extract::{DefaultBodyLimit, FromRef},
    middleware,
    routing::{get, post},
    Router,
};
use backend::{auth::session_store::SessionStore, billing::workers::Workers, AppState, Config};
use leptos::prelude::LeptosOptions;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

use crate::{
    assets, auth, balance_export, bench, checkout, dev, evidence, form_body, form_errors, health,
    metrics,
    page_cache::{self, PageCache},
    partner_onboarding, ratelimit, referrals, reports, security, stripe_cli, telemetry, webhooks,
};

/// The largest request body pages, forms and server functions accept. Every form is a few short
/// fields; a bigger body is answered 413 before it is read (server functions buffer the whole
/// body, and axum's default limit does not apply to them).
pub const FORM_BODY_LIMIT: usize = 64 * 1024;

/// The largest Stripe event accepted. Events are at most a few hundred KB (an invoice with many
/// lines); 1 MiB leaves room for that without buffering whatever a stranger cares to send
/// before the signature is checked.
pub const WEBHOOK_BODY_LIMIT: usize = 1024 * 1024;

/// Everything the router's handlers can extract: the app's state plus Leptos's options.
#[derive(Clone, Debug, FromRef)]
pub struct ServerState {
    pub app: AppState,
    pub leptos: LeptosOptions,
}

/// A bound, not yet running server.
pub struct Application {
    state: AppState,
    listener: TcpListener,
    router: Router,
    workers: Workers,
}

impl Application {
    /// Connects to the database (optionally migrating it), builds the router and binds
    /// `leptos.site_addr` (port 0 picks a free port; see [`Application::local_addr`]).
    pub async fn build(
        config: Config,
        leptos: LeptosOptions,
        migrate: bool,
    ) -> anyhow::Result<Self> {
        let db = backend::db::pool(&config)?;
        if migrate {
            backend::db::migrate(&db)
                .await
                .context("applying database migrations")?;
        }
        if config.dev_mode {
            tracing::warn!(
                "DEV_MODE is on: /dev/mailbox shows every mail; never use it in production"
            );
        }
        let app = AppState::new(config, db).context("building the application state")?;
        tokio::spawn(auth::housekeeping(
            SessionStore::new(app.db.clone()),
            app.clone(),
        ));
        tokio::spawn(backend::announcements::listen(&app));
        tokio::spawn(backend::billing::notifications::deliver_forever(
            app.clone(),
        ));
        let workers = Workers::start(&app, app.config.webhook_workers);
        if app.config.partners_enabled && app.config.partner_pay_run_daily {
            tokio::spawn(backend::partners::payrun::daily(app.clone()));
        }
        tokio::spawn(backend::organizations::seats::sync_forever(app.clone()));
        tokio::spawn(backend::usage::reporter::report_forever(app.clone()));
        if app.config.seat_reconcile_nightly {
            tokio::spawn(backend::organizations::seats::reconcile_nightly(
                app.clone(),
            ));
        }
        if app.config.usage_reconcile_nightly {
            tokio::spawn(backend::usage::reconcile::reconcile_nightly(app.clone()));
        }
        if app.config.stripe.seed_demo_catalog {
            tokio::spawn(stripe_cli::seed_demo_catalog(app.clone()));
        }
        let ceiling = match &app.config.bench_ceiling_file {
            Some(path) => Some(
                std::fs::read(path)
                    .with_context(|| format!("reading BENCH_CEILING_FILE {}", path.display()))?,
            ),
            None => None,
        };
        let shared = app.clone();
        let state = ServerState { app, leptos };
        let listener = TcpListener::bind(state.leptos.site_addr)
            .await
            .with_context(|| format!("binding {}", state.leptos.site_addr))?;
        let router = router(state, ceiling.map(Into::into));
        Ok(Self {
            state: shared,
            listener,
            router,
            workers,
        })
    }

    /// The state requests are served with (shared: its pool, caches and counters are the
    /// running app's).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Serves requests until `shutdown` completes, then lets in-flight requests finish and the
    /// webhook workers finish the events in hand.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // The peer address feeds the per-IP rate limits.
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP");
        self.workers.stop().await;
        served
    }
}

/// The whole HTTP surface: health checks, compiled assets, pages and server functions; with
/// `ceiling`, the benchmark's `/bench/ceiling` behind the same outer layers.
pub fn router(state: ServerState, ceiling: Option<axum::body::Bytes>) -> Router {
    let routes = routes();
    let app_state = state.app.clone();
    let leptos = state.leptos.clone();
    let provide_state = move || {
        leptos::context::provide_context(app_state.clone());
        security::PageNonce::record();
    };
    let store = SessionStore::new(state.app.db.clone());

    // Everything that may look at the session: pages, server functions, the not-found page.
    let mut pages = Router::new()
        .route("/account/confirm-email", post(auth::confirm_email))
        .route("/account/verify-email", get(auth::verify_email))
        .route("/checkout/start", get(checkout::start))
        .route("/api/reports", get(reports::list))
        .route(
            "/admin/disputes/{id}/evidence-file",
            post(evidence::upload)
                .fallback(evidence::not_found)
                .layer(DefaultBodyLimit::max(evidence::EVIDENCE_BODY_LIMIT)),
        )
        .route("/admin/balance/export", get(balance_export::export))
        .route(
            "/partners/onboarding/return",
            get(partner_onboarding::returned),
        )
        .route(
            "/partners/onboarding/refresh",
            get(partner_onboarding::refresh),
        )
        .leptos_routes_with_context(&state, routes, provide_state.clone(), move || {
            shell(leptos.clone())
        })
        // Files from public/ (favicon, …), else the app's not-found page with a 404.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            ServerState,
            _,
        >(provide_state, shell));
    if state.app.config.dev_mode {
        pages = pages.route("/dev/mailbox", get(dev::mailbox));
    }
    let pages = pages
        // Inside `resolve_user`: some limits are per signed-in account.
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            ratelimit::limit_auth_attempts,
        ))
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            ratelimit::limit_billing_calls,
        ))
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            auth::resolve_user,
        ))
        .layer(auth::session_layer(store, &state.app.config))
        .layer(middleware::from_fn_with_state(
            PageCache::new(&state.app),
            page_cache::serve,
        ))
        // Outside the page cache: a cached page never carries a referral cookie.
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            referrals::remember,
        ))
        // Outside the page cache: a page is never looked up for a URL error that is not shown.
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            form_errors::only_our_own,
        ))
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            security::page_policy,
        ))
        .layer(middleware::from_fn(form_body::require_utf8))
        // Outermost: an oversized body is refused before it is read, or a session looked up.
        .layer(middleware::from_fn(evidence::limit_body));

    let mut outer = Router::new();
    if let Some(body) = ceiling {
        outer = outer.route("/bench/ceiling", bench::ceiling(body));
    }
    if state.app.config.metrics_token.is_some() {
        outer = outer.route("/metrics", get(metrics::scrape));
    }
    outer
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .nest_service(
            &format!("/{}", state.leptos.site_pkg_dir),
            assets::pkg_service(&state.leptos),
        )
        .merge(pages)
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            security::verify_origin,
        ))
        // After the cross-site check, which it must not get: Stripe posts from its own servers.
        .route(
            "/webhooks/stripe",
            post(webhooks::receive).layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT)),
        )
        .route(
            "/webhooks/stripe/connect",
            post(webhooks::receive_connect).layer(DefaultBodyLimit::max(WEBHOOK_BODY_LIMIT)),
        )
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            security::security_headers,
        ))
        // Pages and JSON are compressed on the fly; `/pkg` files arrive already compressed
        // (`Content-Encoding` set), which this layer leaves alone.
        .layer(CompressionLayer::new())
        .layer(middleware::from_fn_with_state(
            state.app.clone(),
            metrics::count,
        ))
        .layer(telemetry::http_trace_layer())
        .with_state(state)
}

/// The app's routes, generated once per process.
///
/// Generating them raises Leptos's process-wide "suppress resource loads" flag, and a `Resource`
/// first polled meanwhile, on any thread, never loads (leptos-rs/leptos#4773): its page hangs.
/// `main` builds one router before serving, but a process that builds another while serving
/// (the integration tests build one per test) would hang page renders at random.
pub fn routes() -> Vec<AxumRouteListing> {
    static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));
    ROUTES.clone()
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c()
            .await
            .expect("installing the Ctrl-C handler");
    };
    #[cfg(unix)]
    let terminate = async {
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler")
            .recv()
            .await;
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
