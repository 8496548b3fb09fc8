//! The development "Time travel" control on the account page: with `DEV_MODE=true` and the
//! emulator it moves the emulator's clock and returns once the webhooks have arrived, so the page
//! shows what fell due; without dev mode it is neither shown nor obeyed.

use app::server_fns::time_travel::AdvanceClock;
use leptos::server_fn::ServerFn;

use super::{
    app_for_with,
    checkout::sign_up_with,
    eventually,
    payment::GOOD_CARD,
    seed,
    subscriber::{subscribe_as, Subscriber},
    Stripe,
};
use crate::helpers::{form_error, location, TestApp, PRODUCTION};

/// The emulator's time, unix seconds.
async fn emulator_now(stripe: &Stripe) -> i64 {
    stripe.get("/_emulator/clock").await["now"]
        .as_i64()
        .unwrap()
}

/// Presses a time travel button.
async fn advance(app: &TestApp, days: &str) -> reqwest::Response {
    app.post_form_with(&app.client, AdvanceClock::PATH, &[("days", days)])
        .await
}

/// A dev-mode app whose emulator delivers webhooks to it, with Ada subscribed to Hobby.
async fn dev_app_with_a_subscriber() -> (TestApp, Stripe, Subscriber) {
    let stripe = Stripe::start().await;
    // Test apps run with `DEV_MODE=true`.
    let app = app_for_with(&stripe, &[]).await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    // The checkout's own webhooks first, so that only the clock's are left to wait for.
    let app_ref = &app;
    assert!(eventually(10, || async move { invoices(app_ref).await == 1 }).await);
    (app, stripe, ada)
}

/// How many invoices are stored.
async fn invoices(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM invoices WHERE status = 'paid'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn in_dev_mode_a_month_of_time_travel_renews_the_plan_before_the_page_comes_back() {
    let (app, stripe, _ada) = dev_app_with_a_subscriber().await;
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("Time travel"), "{account}");
    assert!(
        account.contains("The Stripe emulator's clock reads"),
        "{account}"
    );
    let before = emulator_now(&stripe).await;

    let moved = advance(&app, "31").await;

    assert_eq!(moved.status(), 302, "{:?}", form_error(&moved));
    assert_eq!(location(&moved), "/account?notice=clock-moved#time-travel");
    assert!(emulator_now(&stripe).await >= before + 31 * 86_400);
    // No waiting here: the control waited for the renewal's webhooks.
    assert_eq!(invoices(&app).await, 2, "the first invoice and the renewal");
    let account = app
        .get_with(&app.client, "/account?notice=clock-moved")
        .await
        .text()
        .await
        .unwrap();
    assert!(account.contains("what fell due has happened"), "{account}");
}

#[tokio::test]
async fn the_clock_moves_one_to_four_hundred_days_at_a_time() {
    let (app, stripe, _ada) = dev_app_with_a_subscriber().await;
    let before = emulator_now(&stripe).await;

    for days in ["0", "401"] {
        let refused = advance(&app, days).await;
        let error = form_error(&refused).expect("a form error");
        assert!(
            error
                .to_string()
                .contains("Move the clock 1 to 400 days at a time."),
            "{error}"
        );
    }

    assert!(emulator_now(&stripe).await < before + 86_400);
}

#[tokio::test]
async fn without_dev_mode_there_is_no_time_travel_and_the_clock_does_not_move() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, PRODUCTION).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let before = emulator_now(&stripe).await;

    let account = app.account_page(&app.client).await.unwrap();
    let refused = advance(&app, "31").await;

    assert!(!account.contains("Time travel"), "{account}");
    let error = form_error(&refused).expect("a form error");
    assert!(
        error.to_string().contains("only available in development"),
        "{error}"
    );
    assert!(emulator_now(&stripe).await < before + 86_400);
}

#[tokio::test]
async fn signed_out_visitors_cannot_move_the_clock() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[]).await;
    let before = emulator_now(&stripe).await;

    let refused = advance(&app, "31").await;

    assert!(form_error(&refused).is_some(), "refused");
    assert!(emulator_now(&stripe).await < before + 86_400);
}
