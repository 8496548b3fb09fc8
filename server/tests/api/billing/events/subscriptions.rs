//! `customer.subscription.*` and `checkout.session.expired`.

use serde_json::json;

use super::apply_latest;
use crate::billing::{
    checkout::{session_id, shop, sign_up_with, start_checkout},
    deliver, price_id, recorded,
    subscriber::{
        advance_days, count, expected_from, in_stripe, last_event, paid, stored_subscription,
        subscribed,
    },
};

#[tokio::test]
async fn subscription_created_stores_stripes_latest_subscription_not_the_events_older_copy() {
    let (app, stripe, ada) = paid("tollgate_pro_monthly").await;
    let event = last_event(&stripe, "customer.subscription.created", &ada.subscription).await;
    assert_eq!(
        event["data"]["object"]["latest_invoice"],
        json!(null),
        "emitted before its invoice"
    );

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let stored = stored_subscription(&app, &ada.subscription)
        .await
        .expect("stored");
    let (now, card) = in_stripe(&stripe, &ada.subscription).await;
    assert_eq!(stored, expected_from(&now, card.as_ref()));
    assert_eq!(stored.status, "trialing");
    assert!(
        stored.latest_invoice_id.is_some(),
        "re-fetched: the invoice is there now"
    );
    let card = (stored.card_brand.as_deref(), stored.card_last4.as_deref());
    assert_eq!(card, (Some("visa"), Some("4242")));
    assert_eq!(
        (stored.card_exp_month, stored.card_exp_year),
        (Some(12), Some(2034))
    );
    assert_eq!(
        stored.price_id,
        price_id(&app, "tollgate_pro_monthly").await
    );
}

#[tokio::test]
async fn subscription_updated_stores_a_cancellation_at_the_period_end() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe.ok(&path, &[("cancel_at_period_end", "true")]).await;

    apply_latest(
        &app,
        &stripe,
        "customer.subscription.updated",
        &ada.subscription,
    )
    .await;

    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    let (now, card) = in_stripe(&stripe, &ada.subscription).await;
    assert_eq!(stored, expected_from(&now, card.as_ref()));
    assert_eq!(
        (stored.status.as_str(), stored.cancel_at_period_end),
        ("active", true)
    );
    assert_eq!(stored.cancel_at, Some(stored.current_period_end));
}

#[tokio::test]
async fn subscription_deleted_stores_the_cancellation_with_its_reason() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let (status, _) = stripe
        .delete(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(status, 200);

    apply_latest(
        &app,
        &stripe,
        "customer.subscription.deleted",
        &ada.subscription,
    )
    .await;

    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    let (now, card) = in_stripe(&stripe, &ada.subscription).await;
    assert_eq!(stored, expected_from(&now, card.as_ref()));
    assert_eq!(stored.status, "canceled");
    assert!(stored.ended_at.is_some());
    assert_eq!(
        stored.cancellation_reason.as_deref(),
        Some("cancellation_requested")
    );
}

#[tokio::test]
async fn a_trial_without_a_card_is_stored_paused_then_active_from_the_paused_and_resumed_events() {
    let (app, stripe) = shop(false).await;
    let user = sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    start_checkout(&app, &app.client, &pro).await;
    let customer: String = sqlx::query_scalar(
        "SELECT stripe_customer_id FROM billing_customers WHERE account_id = $1",
    )
    .bind(user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let form = [
        ("customer", customer.as_str()),
        ("items[0][price]", pro.as_str()),
        ("trial_period_days", "1"),
        (
            "trial_settings[end_behavior][missing_payment_method]",
            "pause",
        ),
    ];
    let id = stripe.ok("/v1/subscriptions", &form).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    apply_latest(&app, &stripe, "customer.subscription.created", &id).await;
    advance_days(&stripe, 2).await;

    apply_latest(&app, &stripe, "customer.subscription.paused", &id).await;

    let stored = stored_subscription(&app, &id).await.unwrap();
    assert_eq!(
        (stored.status.as_str(), stored.card_last4),
        ("paused", None)
    );
    stripe.save_card(&customer, "pm_card_visa").await;
    stripe
        .ok(&format!("/v1/subscriptions/{id}/resume"), &[])
        .await;

    apply_latest(&app, &stripe, "customer.subscription.resumed", &id).await;

    let stored = stored_subscription(&app, &id).await.unwrap();
    assert_eq!(stored.status, "active");
    assert_eq!(
        stored.card_last4.as_deref(),
        Some("4242"),
        "the customer's default card"
    );
}

#[tokio::test]
async fn trial_will_end_refreshes_the_subscription_and_records_the_notice_once() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    advance_days(&stripe, 12).await;

    apply_latest(
        &app,
        &stripe,
        "customer.subscription.trial_will_end",
        &ada.subscription,
    )
    .await;

    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(stored.status, "trialing");
    let notices: Vec<(String, String)> =
        sqlx::query_as("SELECT kind, subject_id FROM billing_notifications")
            .fetch_all(&app.db)
            .await
            .unwrap();
    let subject = format!(
        "{}#{}",
        ada.subscription,
        stored.trial_end.unwrap().unix_timestamp()
    );
    assert_eq!(notices, [("trial_ending".to_owned(), subject)]);
}

#[tokio::test]
async fn checkout_session_expired_is_applied_and_stores_nothing() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let url = start_checkout(
        &app,
        &app.client,
        &price_id(&app, "tollgate_pro_monthly").await,
    )
    .await;
    let session = session_id(&url);
    stripe
        .ok(&format!("/v1/checkout/sessions/{session}/expire"), &[])
        .await;
    let expired = last_event(&stripe, "checkout.session.expired", &session).await;

    let (status, answer) = deliver(&app, &expired).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let id = expired["id"].as_str().unwrap();
    assert_eq!(recorded(&app, id).await, Some((1, true, None)));
    assert_eq!(count(&app, "subscriptions").await, 0);
    assert_eq!(count(&app, "purchases").await, 0);
    assert!(app
        .page("/pricing")
        .await
        .contains("Start free trial of Pro"));
}
