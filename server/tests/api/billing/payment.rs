//! Paying on the emulator's hosted Checkout page: the success page applies the session at once
//! (no webhook needed) and only for its owner, a declined card stores nothing, a one-time
//! purchase is recorded, and the webhook alone stores the subscription.

use time::OffsetDateTime;

use super::{
    checkout::{session_id, shop, sign_up_with, start_checkout},
    eventually, price_id,
};
use crate::helpers::{form_error, location, without_markers, TestApp, BASE_URL};

/// Stripe's test card that always succeeds.
pub const GOOD_CARD: &str = "4242424242424242";
/// Stripe's test card that is always declined.
const DECLINED_CARD: &str = "4000000000000002";

/// The charge of the paid one-time purchase, once the webhooks have stored both.
pub async fn paid_purchase_charge(app: &TestApp) -> String {
    let charge = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT c.id FROM stripe_charges c JOIN purchases p \
             ON p.payment_intent_id = c.payment_intent_id WHERE p.status = 'paid'",
        )
        .fetch_optional(&app.db)
        .await
        .unwrap()
    };
    assert!(
        eventually(10, || async { charge().await.is_some() }).await,
        "the purchase and its charge are stored"
    );
    charge().await.unwrap()
}

/// Fills in and submits the hosted Checkout page at `checkout_url` with `card`.
pub async fn pay(checkout_url: &str, card: &str) -> reqwest::Response {
    pay_with(checkout_url, card, &[]).await
}

/// As [`pay`], with `more` fields (a promotion code, another address) replacing or adding to
/// the usual ones.
pub async fn pay_with(checkout_url: &str, card: &str, more: &[(&str, &str)]) -> reqwest::Response {
    let mut form = vec![
        ("email", "ada@example.com"),
        ("name", "Ada Lovelace"),
        ("card_number", card),
        ("card_expiry", "12 / 34"),
        ("card_cvc", "123"),
        // Tollgate's sessions collect the billing address, as Stripe then requires.
        ("address_line1", "1 Main Street"),
        ("address_city", "Springfield"),
        ("address_postal_code", "12345"),
        ("address_country", "US"),
    ];
    for (name, value) in more {
        form.retain(|(field, _)| field != name);
        form.push((name, value));
    }
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(checkout_url)
        .form(&form)
        .send()
        .await
        .expect("the hosted page answers")
}

/// Starts Checkout for `price` and pays it with a good card; the session's id.
pub async fn subscribe(app: &TestApp, client: &reqwest::Client, price: &str) -> String {
    let checkout_url = start_checkout(app, client, price).await;
    let response = pay(&checkout_url, GOOD_CARD).await;
    assert_eq!(response.status(), 303, "{}", response.text().await.unwrap());
    let id = session_id(&checkout_url);
    assert_eq!(
        location(&response),
        format!("{BASE_URL}/checkout/success?session_id={id}"),
        "back to our success page"
    );
    id
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn without_webhooks_the_success_page_applies_the_session_and_shows_the_fourteen_day_trial() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    let session = subscribe(&app, &app.client, &price).await;
    assert_eq!(count(&app, "subscriptions").await, 0, "no webhook endpoint");

    let page = app
        .page(&format!("/checkout/success?session_id={session}"))
        .await;

    assert!(page.contains("Welcome to Pro"), "{page}");
    assert!(page.contains("Your free trial has started."));
    let (id, status, trial_start, trial_end): (String, String, OffsetDateTime, OffsetDateTime) =
        sqlx::query_as("SELECT id, status, trial_start, trial_end FROM subscriptions")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(status, "trialing");
    assert_eq!((trial_end - trial_start).whole_days(), 14);
    let item_price: String =
        sqlx::query_scalar("SELECT price_id FROM subscription_items WHERE subscription_id = $1")
            .bind(&id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(item_price, price);
    let in_stripe = stripe.get(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(in_stripe["status"], "trialing");
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("<strong>Pro</strong>"), "{account}");
    assert!(account.contains("Free trial until"));
}

#[tokio::test]
async fn another_user_opening_the_success_url_does_not_see_or_apply_the_purchase() {
    let (app, _stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    let session = subscribe(&app, &app.client, &price).await;
    let eve = app.new_browser();
    sign_up_with(&app, &eve, "eve@example.com").await;

    let response = app
        .get_with(&eve, &format!("/checkout/success?session_id={session}"))
        .await;

    let page = without_markers(response.text().await.unwrap());
    assert!(!page.contains("Welcome to Pro"), "{page}");
    assert!(page.contains("We could not find that checkout."), "{page}");
    assert_eq!(count(&app, "subscriptions").await, 0);
}

#[tokio::test]
async fn a_declined_card_on_the_hosted_page_leaves_no_subscription() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;
    let checkout_url = start_checkout(&app, &app.client, &price).await;

    let response = pay(&checkout_url, DECLINED_CARD).await;

    assert_eq!(response.status(), 402);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("Your card was declined."));
    let session = session_id(&checkout_url);
    let page = app
        .page(&format!("/checkout/success?session_id={session}"))
        .await;
    assert!(page.contains("Payment processing"), "{page}");
    assert_eq!(count(&app, "subscriptions").await, 0);
    let customer: String = sqlx::query_scalar("SELECT stripe_customer_id FROM billing_customers")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let in_stripe = stripe
        .get(&format!("/v1/subscriptions?customer={customer}&status=all"))
        .await;
    assert_eq!(in_stripe["data"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn buying_lifetime_records_the_purchase_and_the_account_page_lists_it() {
    let (app, _stripe) = shop(false).await;
    let user = sign_up_with(&app, &app.client, "ada@example.com").await;
    let lifetime = price_id(&app, "tollgate_lifetime").await;
    let session = subscribe(&app, &app.client, &lifetime).await;

    let page = app
        .page(&format!("/checkout/success?session_id={session}"))
        .await;

    assert!(page.contains("Thank you for your purchase"), "{page}");
    assert!(page.contains("Lifetime is yours."));
    let row: (uuid::Uuid, String, String, i64, String) = sqlx::query_as(
        "SELECT account_id, price_id, product_id, amount, status FROM purchases \
         WHERE checkout_session_id = $1",
    )
    .bind(&session)
    .fetch_one(&app.db)
    .await
    .unwrap();
    let expected = (
        user,
        lifetime,
        "prod_tollgate_lifetime".into(),
        19900,
        "paid".into(),
    );
    assert_eq!(row, expected);
    assert_eq!(
        count(&app, "subscriptions").await,
        0,
        "a purchase, not a subscription"
    );
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("<strong>Lifetime</strong>"), "{account}");
    assert!(account.contains("$199"), "{account}");
    assert!(app
        .page("/pricing")
        .await
        .contains("Purchased — it is yours."));
}

#[tokio::test]
async fn the_portal_opens_for_a_customer_and_is_refused_to_a_user_who_never_started_a_checkout() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;

    let refused = app.post_form("/api/open_portal", &[]).await;

    assert_eq!(
        form_error(&refused),
        Some(
            serde_json::json!({ "Form": "You have not bought anything yet, so there is no billing account to manage." })
        )
    );
    let price = price_id(&app, "tollgate_pro_monthly").await;
    subscribe(&app, &app.client, &price).await;
    let response = app.post_form("/api/open_portal", &[]).await;
    assert_eq!(response.status(), 302);
    let portal = location(&response);
    assert!(
        portal.starts_with(&format!("{}/portal/bps_", stripe.base_url())),
        "{portal}"
    );
}

#[tokio::test]
async fn with_webhooks_the_subscription_is_stored_without_visiting_the_success_page() {
    let (app, _stripe) = shop(true).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    subscribe(&app, &app.client, &price).await;

    let app = &app;
    let stored = eventually(10, || async move {
        let (status, completed): (Option<String>, Option<bool>) = sqlx::query_as(
            "SELECT (SELECT status FROM subscriptions), \
                    (SELECT applied_at IS NOT NULL FROM stripe_events \
                     WHERE type = 'checkout.session.completed')",
        )
        .fetch_one(&app.db)
        .await
        .unwrap();
        status.as_deref() == Some("trialing") && completed == Some(true)
    })
    .await;
    assert!(
        stored,
        "the webhooks stored the subscription and applied the completed session"
    );
}
