//! A renewal whose card fails: mailed per attempt, paid at once with a new card from the portal,
//! or retried until Stripe cancels it or leaves it unpaid; and the grace period running out.

use stripe_emulator::Settings;

use super::{invoices_are, open_portal, replace_card, settled, ADA};
use crate::billing::{
    app_for,
    emails::{all_sent, queued},
    gating::{dashboard, reports},
    payment::GOOD_CARD,
    seed,
    subscriber::{advance_days, paid_with, stored_invoice, subscribe_as, FAILING_CARD},
    Stripe,
};
use crate::helpers::{link_in, TestApp};

/// Advances the emulator `days` at a time; after each step the renewal's next attempt has failed
/// and its "payment failed" mail (the `n`th, about attempt `n`) is sent before the clock moves
/// on, so each attempt is mailed on its own.
async fn attempts_fail(app: &TestApp, stripe: &Stripe, steps: &[(i64, usize)]) {
    for &(days, n) in steps {
        advance_days(stripe, days).await;
        all_sent(app, "payment_failed", n as i64).await;
        let mails: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT subject_id, mail_subject, body_text FROM billing_notifications \
             WHERE kind = 'payment_failed' ORDER BY created_at",
        )
        .fetch_all(&app.db)
        .await
        .unwrap();
        let (about, subject, text) = mails.last().unwrap();
        assert!(about.ends_with(&format!("#{n}")), "attempt {n}: {about}");
        assert_eq!(subject, "Payment failed for your Tollgate Pro plan");
        assert_eq!(link_in(text), "/account");
    }
}

#[tokio::test]
async fn a_failed_renewal_is_mailed_keeps_access_and_a_new_card_in_the_portal_pays_it_at_once() {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", FAILING_CARD).await;
    settled(&app, &stripe, &ada.subscription, "trialing").await;

    // The trial's end is the first renewal, and the card fails.
    advance_days(&stripe, 15).await;

    let behind = settled(&app, &stripe, &ada.subscription, "past_due").await;
    let (subject, text, _) = app.mail_to(ADA, 1).await;
    assert_eq!(subject, "Payment failed for your Tollgate Pro plan");
    assert!(text.contains("We could not charge $29"), "{text}");
    assert_eq!(link_in(&text), "/account");
    all_sent(&app, "payment_failed", 1).await;
    assert_eq!(
        reports(&app, &app.client).await.0,
        200,
        "within the grace period"
    );
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains("Payment failed — update your card"),
        "{account}"
    );

    let portal = open_portal(&app).await;
    replace_card(&portal, GOOD_CARD).await;

    let paid = settled(&app, &stripe, &ada.subscription, "active").await;
    assert_eq!(paid.card_last4.as_deref(), Some("4242"));
    assert_eq!(
        paid.latest_invoice_id, behind.latest_invoice_id,
        "the same invoice, retried"
    );
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 0),
            ("subscription_cycle", "paid", 2900),
        ],
    )
    .await;
    let invoice = stored_invoice(&app, paid.latest_invoice_id.as_deref().unwrap()).await;
    assert_eq!(invoice.unwrap().3, 2900, "amount paid");
    assert_eq!(reports(&app, &app.client).await.0, 200);
    assert_eq!(queued(&app, "payment_failed").await, (1, 0), "mailed once");
    assert_eq!(app.mail_count(ADA).await, 1);
}

#[tokio::test]
async fn a_renewal_failing_every_retry_is_mailed_each_time_closed_when_the_grace_period_ends_then_canceled(
) {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", FAILING_CARD).await;
    settled(&app, &stripe, &ada.subscription, "trialing").await;

    // The trial ends on day 14 and its invoice fails; retries follow 3, 8 and 15 days later.
    attempts_fail(&app, &stripe, &[(15, 1), (3, 2)]).await;

    settled(&app, &stripe, &ada.subscription, "past_due").await;
    assert_eq!(
        reports(&app, &app.client).await.0,
        200,
        "three days behind: within the seven-day grace period"
    );

    // Day 22, eight days behind (billing time follows the emulator's clock): Stripe is still
    // retrying, but the grace period is over.
    attempts_fail(&app, &stripe, &[(5, 3)]).await;
    settled(&app, &stripe, &ada.subscription, "past_due").await;
    assert_eq!(reports(&app, &app.client).await.0, 402);
    let (status, page) = dashboard(&app, &app.client).await;
    assert_eq!(status, 402);
    assert!(page.contains("Your payment failed"), "{page}");

    attempts_fail(&app, &stripe, &[(7, 4)]).await;

    let ended = settled(&app, &stripe, &ada.subscription, "canceled").await;
    assert_eq!(ended.cancellation_reason.as_deref(), Some("payment_failed"));
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(
        status, 402,
        "Stripe gave up, so the grace period is over: {body}"
    );
    assert_eq!(dashboard(&app, &app.client).await.0, 402);
    all_sent(&app, "canceled", 1).await;
    assert_eq!(
        app.mail_count(ADA).await,
        5,
        "four failed attempts and the end"
    );
    let invoice = stored_invoice(&app, ended.latest_invoice_id.as_deref().unwrap()).await;
    assert_eq!(invoice.unwrap().1, "open", "never paid");
}

#[tokio::test]
async fn when_stripe_leaves_it_unpaid_after_the_last_retry_access_ends_and_no_end_is_mailed() {
    let stripe = Stripe::start_with(Settings {
        when_retries_exhausted: "unpaid".to_owned(),
        ..Settings::default()
    })
    .await;
    let app = app_for(&stripe).await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        ADA,
        "tollgate_pro_monthly",
        FAILING_CARD,
    )
    .await;
    settled(&app, &stripe, &ada.subscription, "trialing").await;

    attempts_fail(&app, &stripe, &[(15, 1), (3, 2), (5, 3), (7, 4)]).await;

    settled(&app, &stripe, &ada.subscription, "unpaid").await;
    assert_eq!(reports(&app, &app.client).await.0, 402);
    assert_eq!(dashboard(&app, &app.client).await.0, 402);
    let account = app.account_page(&app.client).await.unwrap();
    assert!(
        account.contains("Unpaid — update your card to continue"),
        "{account}"
    );
    assert_eq!(queued(&app, "canceled").await, (0, 0), "it has not ended");
    assert_eq!(app.mail_count(ADA).await, 4);
}

#[tokio::test]
async fn past_due_beyond_the_grace_period_loses_access_and_a_new_card_in_the_portal_restores_it() {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", FAILING_CARD).await;
    settled(&app, &stripe, &ada.subscription, "trialing").await;
    advance_days(&stripe, 15).await;
    settled(&app, &stripe, &ada.subscription, "past_due").await;
    app.mail_to(ADA, 1).await;
    assert_eq!(
        reports(&app, &app.client).await.0,
        200,
        "within the grace period"
    );
    sqlx::query(
        "UPDATE subscriptions SET past_due_since = now() - interval '8 days' WHERE id = $1",
    )
    .bind(&ada.subscription)
    .execute(&app.db)
    .await
    .unwrap();
    assert_eq!(reports(&app, &app.client).await.0, 402, "8 days behind");
    assert_eq!(dashboard(&app, &app.client).await.0, 402);

    let portal = open_portal(&app).await;
    replace_card(&portal, GOOD_CARD).await;

    settled(&app, &stripe, &ada.subscription, "active").await;
    invoices_are(
        &app,
        &ada.subscription,
        &[
            ("subscription_create", "paid", 0),
            ("subscription_cycle", "paid", 2900),
        ],
    )
    .await;
    let (status, body) = reports(&app, &app.client).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(dashboard(&app, &app.client).await.0, 200);
}
