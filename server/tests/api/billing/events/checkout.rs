//! `checkout.session.async_payment_succeeded` / `async_payment_failed`: a bank debit that settles
//! (or fails) days after the Checkout Session completed. The emulator has no such payment
//! methods, so the events are made from a real completed session; the handler re-fetches it. (A
//! session Stripe reports unpaid after `async_payment_failed` is recorded as failed: unit-tested
//! in `backend::billing::checkout`.)

use crate::billing::{
    checkout::{session_id, shop, sign_up_with, start_checkout},
    deliver, event,
    payment::{pay, GOOD_CARD},
    price_id,
    subscriber::{count, last_event},
};

/// A Lifetime purchase paid on the hosted page, its webhooks not delivered: the session's id.
async fn bought_lifetime(app: &crate::helpers::TestApp) -> String {
    sign_up_with(app, &app.client, "ada@example.com").await;
    let lifetime = price_id(app, "tollgate_lifetime").await;
    let url = start_checkout(app, &app.client, &lifetime).await;
    assert_eq!(pay(&url, GOOD_CARD).await.status(), 303);
    let session = session_id(&url);
    assert_eq!(count(app, "purchases").await, 0, "nothing delivered yet");
    session
}

async fn purchase_status(app: &crate::helpers::TestApp, session: &str) -> Option<String> {
    sqlx::query_scalar("SELECT status FROM purchases WHERE checkout_session_id = $1")
        .bind(session)
        .fetch_optional(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn async_payment_succeeded_records_the_purchase_as_paid() {
    let (app, stripe) = shop(false).await;
    let session = bought_lifetime(&app).await;
    let completed = last_event(&stripe, "checkout.session.completed", &session).await;
    let settled = event(
        "checkout.session.async_payment_succeeded",
        completed["data"]["object"].clone(),
    );

    let (status, answer) = deliver(&app, &settled).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    assert_eq!(
        purchase_status(&app, &session).await.as_deref(),
        Some("paid")
    );
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("Lifetime"), "{account}");
    assert!(!account.contains("payment failed"));
}

#[tokio::test]
async fn async_payment_failed_is_checked_against_stripe_which_here_says_paid() {
    // The handler believes Stripe's re-fetched session, not the event: this session is paid
    // (the emulator settles at once), so a stray or forged-but-signed failure changes nothing.
    let (app, stripe) = shop(false).await;
    let session = bought_lifetime(&app).await;
    let completed = last_event(&stripe, "checkout.session.completed", &session).await;
    let failed = event(
        "checkout.session.async_payment_failed",
        completed["data"]["object"].clone(),
    );

    let (status, answer) = deliver(&app, &failed).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    assert_eq!(
        purchase_status(&app, &session).await.as_deref(),
        Some("paid")
    );
    assert_eq!(
        app.get("/dashboard").await.status(),
        200,
        "Lifetime grants reports"
    );
}
