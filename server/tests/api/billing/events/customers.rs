//! `customer.updated`, `customer.deleted` and `payment_method.attached|detached`: the card
//! shown on the customer's subscriptions, and a deleted customer forgotten.

use serde_json::json;

use super::apply_latest;
use crate::billing::{
    checkout::{shop, sign_up_with, start_checkout},
    deliver, price_id,
    subscriber::{count, last_event, stored_subscription, subscribed},
    Stripe,
};
use crate::helpers::{TestApp, PASSWORD};

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
    let customer: String = sqlx::query_scalar(
        "SELECT stripe_customer_id FROM billing_customers WHERE account_id = $1",
    )
    .bind(user)
    .fetch_one(&app.db)
    .await
    .unwrap();
    stripe.save_card(&customer, "pm_card_visa").await;
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
async fn customer_updated_with_a_new_default_card_shows_it_on_the_subscription() {
    let (app, stripe) = shop(false).await;
    let (customer, subscription) = charged_to_the_customers_default(&app, &stripe).await;
    stripe.save_card(&customer, "pm_card_mastercard").await;

    apply_latest(&app, &stripe, "customer.updated", &customer).await;

    let stored = stored_subscription(&app, &subscription).await.unwrap();
    let card = (stored.card_brand.as_deref(), stored.card_last4.as_deref());
    assert_eq!(card, (Some("mastercard"), Some("4444")));
}

#[tokio::test]
async fn payment_method_attached_and_detached_refresh_the_card_of_the_customers_subscriptions() {
    let (app, stripe) = shop(false).await;
    let (customer, subscription) = charged_to_the_customers_default(&app, &stripe).await;
    let mastercard = stripe.save_card(&customer, "pm_card_mastercard").await;
    let mastercard = mastercard.as_str();

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
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
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
async fn after_an_account_is_deleted_stripes_events_about_its_customer_are_acknowledged() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let response = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;
    assert_eq!(response.status(), 302);

    // Deleting the account deleted the Stripe customer, which canceled the subscription.
    apply_latest(
        &app,
        &stripe,
        "customer.subscription.deleted",
        &ada.subscription,
    )
    .await;
    apply_latest(&app, &stripe, "customer.deleted", &ada.customer).await;

    assert_eq!(
        count(&app, "subscriptions").await,
        0,
        "nothing kept for a deleted user"
    );
    assert_eq!(count(&app, "billing_customers").await, 0);
    assert_eq!(
        count(&app, "billing_notifications").await,
        0,
        "nobody left to mail"
    );
}
