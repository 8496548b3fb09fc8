//! Cancellation: at the period's end from the app (and taken back before it), and at once in
//! Stripe, with the access each leaves.

use app::server_fns::billing::{CancelSubscription, ResumeSubscription};
use leptos::server_fn::ServerFn;
use time::Duration;

use super::{act, invoices_are, settled, ADA};
use crate::billing::{
    emails::{all_sent, queued},
    gating::dashboard,
    payment::GOOD_CARD,
    subscriber::{advance_days, paid_with},
};

#[tokio::test]
async fn a_plan_canceled_in_the_app_stays_until_its_period_ends_then_ends_with_one_mail() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    let paid = settled(&app, &stripe, &ada.subscription, "active").await;

    let next = act(&app, CancelSubscription::PATH, &ada, &[]).await;

    assert_eq!(next, "/account?notice=plan-canceled");
    let canceling = settled(&app, &stripe, &ada.subscription, "active").await;
    assert!(canceling.cancel_at_period_end);
    assert_eq!(
        dashboard(&app, &app.client).await.0,
        200,
        "paid until the end"
    );

    advance_days(&stripe, 31).await;

    let ended = settled(&app, &stripe, &ada.subscription, "canceled").await;
    assert_eq!(ended.ended_at, Some(paid.current_period_end));
    assert_eq!(
        ended.cancellation_reason.as_deref(),
        Some("cancellation_requested")
    );
    invoices_are(
        &app,
        &ada.subscription,
        &[("subscription_create", "paid", 900)],
    )
    .await;
    let (status, page) = dashboard(&app, &app.client).await;
    assert_eq!(status, 402, "{page}");
    all_sent(&app, "canceled", 1).await;
    let (subject, text, _) = app.mail_to(ADA, 1).await;
    assert_eq!(subject, "Your Tollgate Hobby subscription has ended");
    assert!(
        !text.contains("You keep its features"),
        "nothing left: {text}"
    );
    assert_eq!(app.mail_count(ADA).await, 1);
}

#[tokio::test]
async fn a_plan_resumed_before_its_end_renews_with_a_paid_invoice_and_nothing_is_mailed() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    let paid = settled(&app, &stripe, &ada.subscription, "active").await;
    act(&app, CancelSubscription::PATH, &ada, &[]).await;

    let next = act(&app, ResumeSubscription::PATH, &ada, &[]).await;

    assert_eq!(next, "/account?notice=plan-resumed");
    let resumed = settled(&app, &stripe, &ada.subscription, "active").await;
    assert!(!resumed.cancel_at_period_end);

    advance_days(&stripe, 31).await;

    let renewed = settled(&app, &stripe, &ada.subscription, "active").await;
    assert!(renewed.current_period_end >= paid.current_period_end + Duration::days(28));
    assert_eq!(renewed.ended_at, None);
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 900),
            ("subscription_cycle", "paid", 900),
        ],
    )
    .await;
    assert_eq!(dashboard(&app, &app.client).await.0, 200);
    assert_eq!(queued(&app, "canceled").await, (0, 0));
    assert_eq!(app.mail_count(ADA).await, 0);
}

#[tokio::test]
async fn a_paid_plan_canceled_at_once_in_stripe_keeps_access_until_the_paid_period_ends() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    invoices_are(
        &app,
        &ada.subscription,
        &[("subscription_create", "paid", 900)],
    )
    .await;
    let path = format!("/v1/subscriptions/{}", ada.subscription);

    let (status, _) = stripe.delete(&path).await;

    assert_eq!(status, 200);
    let ended = settled(&app, &stripe, &ada.subscription, "canceled").await;
    assert_eq!(
        ended.cancellation_reason.as_deref(),
        Some("cancellation_requested")
    );
    assert!(ended.ended_at.unwrap() < ended.current_period_end);
    let (status, page) = dashboard(&app, &app.client).await;
    assert_eq!(status, 200, "the month was paid for: {page}");
    all_sent(&app, "canceled", 1).await;

    // Billing time follows the emulator's clock: the paid month is over for the app too.
    advance_days(&stripe, 31).await;

    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={}", ada.subscription))
        .await;
    assert_eq!(
        invoices["data"].as_array().unwrap().len(),
        1,
        "nothing renewed"
    );
    let (status, page) = dashboard(&app, &app.client).await;
    assert_eq!(status, 402, "the paid month is over: {page}");
    assert_eq!(queued(&app, "canceled").await, (1, 0), "mailed once");
}
