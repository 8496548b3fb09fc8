//! What a plan opens: `GET /api/reports` (Pro's `api` feature) and `/dashboard` (every plan's
//! `reports`), decided from what Postgres holds on every request — through trials, cancellation
//! at period end, the period's end, and a failed renewal's grace period.

use app::server_fns::billing::CancelSubscription;
use leptos::server_fn::ServerFn;
use serde_json::Value;

use super::{
    app_for_with,
    checkout::{shop, sign_up_with},
    deliver, eventually,
    payment::GOOD_CARD,
    seed,
    subscriber::{
        advance_days, confirm, last_event, paid_with, stored_subscription, subscribe_as,
        subscribed, FAILING_CARD,
    },
    Stripe,
};
use crate::helpers::{location, without_markers, TestApp, BASE_URL};

/// `GET /api/reports` as `client`: the status and the JSON body.
pub async fn reports(app: &TestApp, client: &reqwest::Client) -> (u16, Value) {
    let response = app.get_with(client, "/api/reports").await;
    let status = response.status().as_u16();
    (status, response.json().await.expect("a JSON body"))
}

/// `GET /dashboard` as `client`: the status and the page.
pub async fn dashboard(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let response = app.get_with(client, "/dashboard").await;
    let status = response.status().as_u16();
    (status, without_markers(response.text().await.unwrap()))
}

/// Waits for the webhooks to store the subscription in `status`.
pub async fn stored_as(app: &TestApp, subscription: &str, status: &str) -> bool {
    eventually(10, || async move {
        stored_subscription(app, subscription)
            .await
            .is_some_and(|stored| stored.status == status)
    })
    .await
}

#[tokio::test]
async fn the_reports_api_answers_401_to_anonymous_callers_and_402_with_the_pricing_url_to_others() {
    let (app, _stripe) = shop(false).await;

    let (status, body) = reports(&app, &app.client).await;

    assert_eq!(status, 401);
    assert_eq!(body["error"], "Sign in to use this.");
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402);
    assert_eq!(body["pricing_url"], format!("{BASE_URL}/pricing"));
    assert!(body.get("reports").is_none(), "{body}");
}

#[tokio::test]
async fn a_signed_out_visitor_is_sent_from_the_dashboard_to_sign_in() {
    let (app, _stripe) = shop(false).await;

    let response = app.get("/dashboard").await;

    assert_eq!(response.status(), 302);
    assert_eq!(location(&response), "/signin?next=/dashboard");
}

#[tokio::test]
async fn without_a_plan_the_dashboard_answers_402_and_points_to_the_plans() {
    let (app, _stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;

    let (status, page) = dashboard(&app, &app.client).await;

    assert_eq!(status, 402);
    assert!(page.contains("The dashboard comes with a plan"), "{page}");
    assert!(page.contains(r#"href="/pricing""#));
    assert!(!page.contains("Usage report"));
}

#[tokio::test]
async fn a_hobby_subscriber_sees_the_dashboard_but_is_refused_the_api() {
    let (app, _stripe, _ada) = subscribed("tollgate_hobby_monthly").await;

    let (status, page) = dashboard(&app, &app.client).await;

    assert_eq!(status, 200);
    assert!(page.contains("Usage report"), "{page}");
    assert_eq!(page.matches("<tr><td>").count(), 6, "six months");
    assert!(page.contains("The reports API comes with Pro"));
    assert!(!page.contains("Your plan includes the API"));
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402, "{body}");
}

#[tokio::test]
async fn a_pro_trial_gets_six_report_rows_keeps_them_when_set_to_cancel_and_loses_them_at_its_end()
{
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;

    let (status, body) = reports(&app, &app.client).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body["reports"].as_array().unwrap().len(), 6);
    assert_eq!(
        body["features"],
        serde_json::json!(["api", "priority_support", "reports"])
    );
    let (_, page) = dashboard(&app, &app.client).await;
    assert!(page.contains("Your plan includes the API"), "{page}");
    let cancel = CancelSubscription::PATH;
    let response = app
        .post_form(cancel, &[("subscription_id", &ada.subscription)])
        .await;
    assert_eq!(response.status(), 302);
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert!(stored.cancel_at_period_end);
    let (status, _) = reports(&app, &app.client).await;
    assert_eq!(status, 200, "still the trial's until it ends");

    advance_days(&stripe, 15).await;
    let ended = last_event(&stripe, "customer.subscription.deleted", &ada.subscription).await;
    assert_eq!(deliver(&app, &ended).await.0, 200);

    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402, "the trial ended: {body}");
}

#[tokio::test]
async fn once_a_canceled_pro_plans_paid_period_is_over_the_api_and_dashboard_lock() {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", GOOD_CARD).await;
    confirm(&app, &app.client, &ada).await;
    advance_days(&stripe, 15).await;
    assert!(
        stored_as(&app, &ada.subscription, "active").await,
        "the trial ended and was paid"
    );
    let cancel = CancelSubscription::PATH;
    let response = app
        .post_form(cancel, &[("subscription_id", &ada.subscription)])
        .await;
    assert_eq!(response.status(), 302);
    assert_eq!(
        reports(&app, &app.client).await.0,
        200,
        "paid until the period ends"
    );

    advance_days(&stripe, 32).await;

    assert!(
        stored_as(&app, &ada.subscription, "canceled").await,
        "the webhook applied"
    );
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 402, "{body}");
    let (status, page) = dashboard(&app, &app.client).await;
    assert_eq!(status, 402);
    assert!(page.contains("The dashboard comes with a plan"), "{page}");
}

#[tokio::test]
async fn a_failed_renewal_keeps_access_for_the_grace_period_and_not_after() {
    // Two apps on one emulator: seven days of grace, and none.
    let stripe = Stripe::start().await;
    let lenient = app_for_with(&stripe, &[("BILLING_GRACE_PERIOD_DAYS", "7")]).await;
    let strict = app_for_with(&stripe, &[("BILLING_GRACE_PERIOD_DAYS", "0")]).await;
    let mut subscriptions = Vec::new();
    for (app, email) in [
        (&lenient, "ada@example.com"),
        (&strict, "grace@example.com"),
    ] {
        seed(app, &stripe).await;
        let user = subscribe_as(
            app,
            &stripe,
            &app.client,
            email,
            "tollgate_pro_monthly",
            FAILING_CARD,
        )
        .await;
        confirm(app, &app.client, &user).await;
        stripe.send_webhooks_to(app);
        subscriptions.push(user.subscription);
    }

    advance_days(&stripe, 15).await;

    for (app, subscription) in [(&lenient, &subscriptions[0]), (&strict, &subscriptions[1])] {
        assert!(
            stored_as(app, subscription, "past_due").await,
            "the renewal failed"
        );
    }
    assert_eq!(
        reports(&lenient, &lenient.client).await.0,
        200,
        "within 7 days"
    );
    assert_eq!(dashboard(&lenient, &lenient.client).await.0, 200);
    assert_eq!(
        reports(&strict, &strict.client).await.0,
        402,
        "no grace at all"
    );
    assert_eq!(dashboard(&strict, &strict.client).await.0, 402);
    sqlx::query("UPDATE subscriptions SET past_due_since = now() - interval '8 days'")
        .execute(&lenient.db)
        .await
        .unwrap();
    assert_eq!(
        reports(&lenient, &lenient.client).await.0,
        402,
        "8 days behind"
    );
}

#[tokio::test]
async fn with_the_subscriptions_table_gone_the_api_answers_500_without_database_details() {
    let (app, _stripe, _ada) = subscribed("tollgate_pro_monthly").await;
    sqlx::query("ALTER TABLE subscriptions RENAME TO subscriptions_gone")
        .execute(&app.db)
        .await
        .unwrap();

    let (status, body) = reports(&app, &app.client).await;

    assert_eq!(status, 500);
    assert_eq!(
        body["error"],
        "Something went wrong on our side. Please try again in a moment."
    );
    assert!(!body.to_string().contains("subscriptions"), "{body}");
}
