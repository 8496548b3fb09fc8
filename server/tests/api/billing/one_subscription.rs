//! One subscription per user, and none left behind: repeated clicks share one Checkout page (a
//! new one once it expired; none once paid), a completed subscription checkout expires the user's
//! other open ones, two plans paid at once are flagged, one free trial per user, and deleting the
//! account deletes the Stripe customer (which cancels the subscription).

use super::{
    checkout::{session_id, shop, sign_up_with, start_checkout},
    deliver,
    payment::{pay, GOOD_CARD},
    price_id,
    subscriber::{last_event, subscribed},
};
use crate::helpers::{form_error, PASSWORD};

#[tokio::test]
async fn clicking_subscribe_twice_opens_the_same_checkout_page() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;

    let first = start_checkout(&app, &app.client, &monthly).await;
    let second = start_checkout(&app, &app.client, &monthly).await;

    assert_eq!(first, second, "one page to pay, not two");
    let sessions = stripe.get("/v1/checkout/sessions").await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn clicking_subscribe_again_after_the_page_expired_opens_a_new_one() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;
    let first = start_checkout(&app, &app.client, &monthly).await;
    stripe
        .ok(
            &format!("/v1/checkout/sessions/{}/expire", session_id(&first)),
            &[],
        )
        .await;

    let second = start_checkout(&app, &app.client, &monthly).await;
    let third = start_checkout(&app, &app.client, &monthly).await;

    assert_ne!(
        session_id(&second),
        session_id(&first),
        "a page that can take a payment"
    );
    assert_eq!(second, third, "and again one page for every click");
    let paid = pay(&second, GOOD_CARD).await;
    assert_eq!(paid.status(), 303);
}

#[tokio::test]
async fn clicking_subscribe_again_after_paying_in_another_tab_stores_that_plan_and_sells_no_second()
{
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let monthly = price_id(&app, "tollgate_pro_monthly").await;
    let first = start_checkout(&app, &app.client, &monthly).await;
    // Paid, but neither the success page nor a webhook has stored it yet.
    assert_eq!(pay(&first, GOOD_CARD).await.status(), 303);

    let again = app
        .post_form("/api/start_checkout", &[("price", &monthly)])
        .await;

    assert_eq!(
        form_error(&again),
        Some(serde_json::json!({
            "Form": "You already have a subscription. Change or cancel it from your account page."
        }))
    );
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stored, 1, "the paid plan, stored now");
    let sessions = stripe.get("/v1/checkout/sessions").await;
    assert_eq!(
        sessions["data"].as_array().unwrap().len(),
        1,
        "no second page to pay"
    );
}

#[tokio::test]
async fn completing_one_subscription_checkout_expires_the_users_other_open_ones() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    // Two tabs, two plans, nothing held yet: both may start.
    let pro_page = start_checkout(&app, &app.client, &pro).await;
    let hobby_page = start_checkout(&app, &app.client, &hobby).await;

    let paid = pay(&pro_page, GOOD_CARD).await;
    assert_eq!(paid.status(), 303);
    let success = app
        .page(&format!(
            "/checkout/success?session_id={}",
            session_id(&pro_page)
        ))
        .await;
    assert!(success.contains("Welcome to Pro"), "{success}");

    let other = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}",
            session_id(&hobby_page)
        ))
        .await;
    assert_eq!(
        other["status"], "expired",
        "the second tab cannot subscribe too"
    );
    let late = pay(&hobby_page, GOOD_CARD).await;
    assert_ne!(late.status(), 303, "an expired page takes no payment");
}

#[tokio::test]
async fn two_plans_paid_in_two_tabs_at_once_are_both_shown_with_a_warning() {
    let (app, _stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = start_checkout(
        &app,
        &app.client,
        &price_id(&app, "tollgate_pro_monthly").await,
    )
    .await;
    let hobby = start_checkout(
        &app,
        &app.client,
        &price_id(&app, "tollgate_hobby_monthly").await,
    )
    .await;
    // Both paid before either success page could expire the other.
    assert_eq!(pay(&pro, GOOD_CARD).await.status(), 303);
    assert_eq!(pay(&hobby, GOOD_CARD).await.status(), 303);
    for page in [&pro, &hobby] {
        app.page(&format!(
            "/checkout/success?session_id={}",
            session_id(page)
        ))
        .await;
    }

    let account = app.account_page(&app.client).await.unwrap();

    assert!(account.contains("Pro"), "{account}");
    assert!(account.contains("Hobby"), "{account}");
    assert!(
        account.contains("You have more than one subscription that renews"),
        "{account}"
    );
    assert_eq!(
        account.matches("Cancel plan").count(),
        2,
        "either can be canceled"
    );
}

#[tokio::test]
async fn a_user_who_had_a_trial_subscribes_again_without_one() {
    let (app, stripe, ada) = subscribed("tollgate_pro_monthly").await;
    let (status, _) = stripe
        .delete(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(status, 200, "canceled during the trial");
    let ended = last_event(&stripe, "customer.subscription.deleted", &ada.subscription).await;
    assert_eq!(deliver(&app, &ended).await.0, 200);

    let pricing = app.page("/pricing").await;
    assert!(pricing.contains("Subscribe to Pro"), "{pricing}");
    assert!(!pricing.contains("Start free trial of Pro"));
    let page = start_checkout(
        &app,
        &app.client,
        &price_id(&app, "tollgate_pro_monthly").await,
    )
    .await;
    assert_eq!(pay(&page, GOOD_CARD).await.status(), 303);
    let success = app
        .page(&format!(
            "/checkout/success?session_id={}",
            session_id(&page)
        ))
        .await;

    assert!(
        success.contains("Your subscription is active."),
        "{success}"
    );
}

#[tokio::test]
async fn deleting_an_account_deletes_its_stripe_customer_and_so_its_subscription() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let page = start_checkout(&app, &app.client, &pro).await;
    assert_eq!(pay(&page, GOOD_CARD).await.status(), 303);
    let success = app
        .page(&format!(
            "/checkout/success?session_id={}",
            session_id(&page)
        ))
        .await;
    assert!(success.contains("Welcome to Pro"));
    let (customer, subscription): (String, String) =
        sqlx::query_as("SELECT stripe_customer_id, id FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();

    let response = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;

    assert_eq!(response.status(), 302);
    let gone = stripe.get(&format!("/v1/customers/{customer}")).await;
    assert_eq!(gone["deleted"], true, "{gone}");
    let subscription = stripe
        .get(&format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(subscription["status"], "canceled");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test]
async fn with_stripe_down_an_account_with_a_customer_is_not_deleted() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    start_checkout(&app, &app.client, &pro).await;
    drop(stripe);

    let response = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;

    assert_eq!(response.status(), 302, "back to the form with an error");
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(users, 1, "nobody keeps paying for a deleted account");
}
