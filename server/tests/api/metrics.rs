//! `GET /metrics`: not routed without `METRICS_TOKEN`, refused without the token, and with it
//! the requests, Stripe calls and webhook events this replica counted, the inbox and the pool.

use crate::{
    billing::{app_for_with, checkout::start_checkout, eventually, price_id, seed, Stripe},
    helpers::spawn_app,
};

const TOKEN: &str = "metrics-token-of-at-least-32-characters";

/// `/metrics` with `token` as the bearer token (or none); the status and the body.
async fn scrape(app: &crate::helpers::TestApp, token: Option<&str>) -> (u16, String) {
    let mut request = app.client.get(app.url("/metrics"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of the sample `line` starts with, if the body has it.
fn sample(body: &str, line: &str) -> Option<f64> {
    body.lines()
        .find_map(|candidate| candidate.strip_prefix(line))
        .and_then(|rest| rest.trim().parse().ok())
}

#[tokio::test]
async fn without_a_token_configured_there_is_no_metrics_route() {
    let app = spawn_app().await;
    assert_eq!(scrape(&app, Some(TOKEN)).await.0, 404);
}

#[tokio::test]
async fn metrics_need_the_token_and_count_requests_stripe_calls_and_webhook_events() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("METRICS_TOKEN", TOKEN)]).await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;

    assert_eq!(scrape(&app, None).await.0, 401);
    assert_eq!(
        scrape(&app, Some("not-the-token-but-long-enough-to-count"))
            .await
            .0,
        401
    );

    // A page, a Checkout Session (a call to Stripe) and the events it caused.
    assert_eq!(app.get("/pricing").await.status(), 200);
    let browser = app.new_browser();
    crate::partners::sign_up_with(&app, &browser, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    start_checkout(&app, &browser, &pro).await;

    let (status, body) = scrape(&app, Some(TOKEN)).await;
    assert_eq!(status, 200);
    let pages = sample(
        &body,
        "tollgate_http_request_duration_seconds_count{route_class=\"page\",status=\"2xx\"}",
    );
    assert!(pages.is_some_and(|count| count >= 1.0), "{body}");
    let functions = sample(
        &body,
        "tollgate_http_request_duration_seconds_count{route_class=\"server_function\",status=\"3xx\"}",
    );
    assert!(
        functions.is_some_and(|count| count >= 2.0),
        "sign-up and checkout: {body}"
    );
    let posts = sample(
        &body,
        "tollgate_stripe_request_duration_seconds_count{method=\"POST\",outcome=\"answered\"}",
    );
    assert!(posts.is_some_and(|count| count >= 1.0), "{body}");
    assert!(
        body.contains("# TYPE tollgate_webhook_inbox_pending gauge"),
        "{body}"
    );
    assert!(
        sample(&body, "tollgate_db_pool_max_connections").is_some(),
        "{body}"
    );

    // The webhooks the seeding caused are applied by this replica's workers.
    assert!(
        eventually(10, || async {
            let body = scrape(&app, Some(TOKEN)).await.1;
            sample(&body, "tollgate_webhook_events_applied_total").is_some_and(|n| n >= 1.0)
                && sample(&body, "tollgate_webhook_inbox_pending") == Some(0.0)
        })
        .await,
        "{}",
        scrape(&app, Some(TOKEN)).await.1
    );
}
