//! Hostile input through the real router: oversized bodies, correctly signed webhooks of odd
//! shapes, form values that try injection, markup or broken encodings, return paths that point
//! off-site, form errors written into links; and what an https site tells browsers (HSTS, the
//! `__Host-` session cookie, a policy without the development WebSocket).

mod body_limits;
mod form_errors;
mod forms;
mod https;
mod networks;
mod return_path;
mod webhooks;

use crate::helpers::TestApp;

/// How many accounts exist.
pub async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// How many Stripe events are recorded.
pub async fn stored_events(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM stripe_events")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Whether the app still answers its liveness probe.
pub async fn still_serving(app: &TestApp) -> bool {
    app.get("/healthz").await.status() == 200
}
