//! Every event type Tollgate handles, applied through `POST /webhooks/stripe` against real
//! emulator objects: each test makes the change in the emulator, takes the event the emulator
//! emitted, delivers it, and checks the stored row is Stripe's latest state.

use serde_json::json;

use super::{
    checkout::{shop, sign_up_with, start_checkout},
    deliver,
    payment::GOOD_CARD,
    price_id, recorded,
    subscriber::{
        advance_days, confirm, count, expected_from, in_stripe, last_event, stored_invoice,
        stored_subscription, subscribe_as, FAILING_CARD,
    },
    Stripe,
};
use crate::helpers::TestApp;

/// Delivers the latest `kind` event about `id`; it must be applied.
async fn apply_latest(app: &TestApp, stripe: &Stripe, kind: &str, id: &str) -> serde_json::Value {
    let event = last_event(stripe, kind, id).await;
    let (status, answer) = deliver(app, &event).await;
    let why = recorded(app, event["id"].as_str().unwrap()).await;
    assert_eq!(
        (status, answer.as_str()),
        (200, "applied"),
        "{kind}: {why:?}"
    );
    event
}

/// A user's Stripe customer (made by starting Checkout, never paid) with Visa as its default
/// card, and a Hobby subscription created through the API that is charged to that default, as
/// stored from its `customer.subscription.created`. `(customer, subscription)`.
async fn charged_to_the_customers_default(app: &TestApp, stripe: &Stripe) -> (String, String) {
    let user = sign_up_with(app, &app.client, "ada@example.com").await;
    start_checkout(
        app,
        &app.client,
        &price_id(app, "tollgate_pro_monthly").await,
    )
    .await;
    let customer: String =
        sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers WHERE user_id = $1")
            .bind(user)
            .fetch_one(&app.db)
            .await
            .unwrap();
    stripe
        .ok(
            &format!("/v1/customers/{customer}"),
            &[
                ("payment_method", "pm_card_visa"),
                ("invoice_settings[default_payment_method]", "pm_card_visa"),
            ],
        )
        .await;
    let hobby = price_id(app, "tollgate_hobby_monthly").await;
    let subscription = stripe
        .ok(
            "/v1/subscriptions",
            &[("customer", &customer), ("items[0][price]", &hobby)],
        )
        .await;
    let id = subscription["id"].as_str().unwrap().to_owned();
    assert_eq!(subscription["status"], "active");
    apply_latest(app, stripe, "customer.subscription.created", &id).await;
    let stored = stored_subscription(app, &id).await.unwrap();
    assert_eq!(stored.card_last4.as_deref(), Some("4242"));
    (customer, id)
}

#[tokio::test]
async fn subscription_created_stores_stripes_latest_subscription_not_the_events_older_copy() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
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
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
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
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
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
    let customer: String =
        sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers WHERE user_id = $1")
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
    let add_card = [
        ("payment_method", "pm_card_visa"),
        ("invoice_settings[default_payment_method]", "pm_card_visa"),
    ];
    stripe
        .ok(&format!("/v1/customers/{customer}"), &add_card)
        .await;
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
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
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
async fn invoice_finalized_stores_the_invoice_as_stripe_has_it_now_with_number_and_pages() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    let event = last_event(&stripe, "invoice.finalized", &ada.subscription).await;
    assert_eq!(
        event["data"]["object"]["status"], "open",
        "finalized before it was paid"
    );

    let (status, answer) = deliver(&app, &event).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let id = event["data"]["object"]["id"].as_str().unwrap();
    let invoice = stripe.get(&format!("/v1/invoices/{id}")).await;
    let expected = (
        invoice["number"].as_str().map(str::to_owned),
        "paid".to_owned(),
        900,
        900,
        Some(format!("{}/invoices/{id}", stripe.base_url())),
        Some(ada.subscription.clone()),
    );
    assert_eq!(stored_invoice(&app, id).await, Some(expected));
    assert!(invoice["number"].as_str().unwrap().ends_with("-0001"));
}

#[tokio::test]
async fn invoice_paid_for_the_first_renewal_stores_it_and_brings_the_subscription_to_active() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    advance_days(&stripe, 15).await;

    let event = apply_latest(&app, &stripe, "invoice.paid", &ada.subscription).await;

    let id = event["data"]["object"]["id"].as_str().unwrap();
    let (_, status, total, paid, _, _) = stored_invoice(&app, id).await.unwrap();
    assert_eq!((status.as_str(), total, paid), ("paid", 2900, 2900));
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(
        stored.status, "active",
        "no subscription event was delivered"
    );
    assert_eq!(stored.latest_invoice_id.as_deref(), Some(id));
}

#[tokio::test]
async fn invoice_payment_failed_stores_the_open_invoice_and_the_subscription_past_due() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        FAILING_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    advance_days(&stripe, 15).await;

    let event = apply_latest(&app, &stripe, "invoice.payment_failed", &ada.subscription).await;

    let id = event["data"]["object"]["id"].as_str().unwrap();
    let (status, remaining, attempts): (String, i64, i32) = sqlx::query_as(
        "SELECT status, amount_remaining, attempt_count FROM invoices WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), remaining, attempts), ("open", 2900, 1));
    let (status, grace_started): (String, bool) = sqlx::query_as(
        "SELECT status, past_due_since IS NOT NULL FROM subscriptions WHERE id = $1",
    )
    .bind(&ada.subscription)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((status.as_str(), grace_started), ("past_due", true));
}

#[tokio::test]
async fn invoice_upcoming_has_no_id_and_brings_its_subscription_up_to_date() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    // A card change nobody told the app about.
    let attach = format!("/v1/payment_methods/pm_card_mastercard/attach");
    let card = stripe.ok(&attach, &[("customer", &ada.customer)]).await;
    let path = format!("/v1/subscriptions/{}", ada.subscription);
    stripe
        .ok(
            &path,
            &[("default_payment_method", card["id"].as_str().unwrap())],
        )
        .await;
    advance_days(&stripe, 25).await;
    let upcoming = last_event(&stripe, "invoice.upcoming", &ada.subscription).await;
    assert_eq!(upcoming["data"]["object"]["id"], json!(null));

    let (status, answer) = deliver(&app, &upcoming).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    let card = (stored.card_brand.as_deref(), stored.card_last4.as_deref());
    assert_eq!(card, (Some("mastercard"), Some("4444")));
    assert_eq!(
        count(&app, "invoices").await,
        0,
        "a preview is not an invoice"
    );
}

#[tokio::test]
async fn customer_updated_with_a_new_default_card_shows_it_on_the_subscription() {
    let (app, stripe) = shop(false).await;
    let (customer, subscription) = charged_to_the_customers_default(&app, &stripe).await;
    let new_default = [
        ("payment_method", "pm_card_mastercard"),
        (
            "invoice_settings[default_payment_method]",
            "pm_card_mastercard",
        ),
    ];
    stripe
        .ok(&format!("/v1/customers/{customer}"), &new_default)
        .await;

    apply_latest(&app, &stripe, "customer.updated", &customer).await;

    let stored = stored_subscription(&app, &subscription).await.unwrap();
    let card = (stored.card_brand.as_deref(), stored.card_last4.as_deref());
    assert_eq!(card, (Some("mastercard"), Some("4444")));
}

#[tokio::test]
async fn payment_method_attached_and_detached_refresh_the_card_of_the_customers_subscriptions() {
    let (app, stripe) = shop(false).await;
    let (customer, subscription) = charged_to_the_customers_default(&app, &stripe).await;
    let new_default = [
        ("payment_method", "pm_card_mastercard"),
        (
            "invoice_settings[default_payment_method]",
            "pm_card_mastercard",
        ),
    ];
    let updated = stripe
        .ok(&format!("/v1/customers/{customer}"), &new_default)
        .await;
    let mastercard = updated["invoice_settings"]["default_payment_method"]
        .as_str()
        .unwrap();

    apply_latest(&app, &stripe, "payment_method.attached", mastercard).await;

    let stored = stored_subscription(&app, &subscription).await.unwrap();
    assert_eq!(stored.card_last4.as_deref(), Some("4444"));
    stripe
        .ok(&format!("/v1/payment_methods/{mastercard}/detach"), &[])
        .await;
    let detached = last_event(&stripe, "payment_method.detached", mastercard).await;
    assert_eq!(detached["data"]["object"]["customer"], json!(null));
    assert_eq!(
        detached["data"]["previous_attributes"]["customer"],
        customer.as_str()
    );

    let (status, answer) = deliver(&app, &detached).await;

    assert_eq!((status, answer.as_str()), (200, "applied"));
    let stored = stored_subscription(&app, &subscription).await.unwrap();
    assert_eq!(
        (stored.card_brand, stored.card_last4),
        (None, None),
        "no card left"
    );
}

#[tokio::test]
async fn customer_deleted_forgets_the_customer_so_the_user_can_start_again() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_hobby_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    let (status, _) = stripe
        .delete(&format!("/v1/customers/{}", ada.customer))
        .await;
    assert_eq!(status, 200);

    apply_latest(&app, &stripe, "customer.deleted", &ada.customer).await;

    assert_eq!(count(&app, "billing_customers").await, 0);
    let stored = stored_subscription(&app, &ada.subscription).await.unwrap();
    assert_eq!(
        stored.status, "canceled",
        "deleting a customer cancels its subscriptions"
    );
    start_checkout(
        &app,
        &app.client,
        &price_id(&app, "tollgate_pro_monthly").await,
    )
    .await;
    let customer: String = sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_ne!(
        customer, ada.customer,
        "a new customer for the new checkout"
    );
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
    let session = super::checkout::session_id(&url);
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
