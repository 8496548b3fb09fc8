//! User A against user B's billing, through the server functions themselves (not only the
//! pages that call them): previewing a plan change of B's subscription, confirming B's Checkout
//! Session, and the invoices A's account page and `billing` server function list.

use app::server_fns::billing::{Billing, ConfirmCheckout, PreviewPlanChange};
use leptos::server_fn::ServerFn;
use serde_json::json;

use super::{
    checkout::{shop, sign_up_with, start_checkout},
    eventually,
    payment::GOOD_CARD,
    price_id,
    subscriber::{confirm, count, paid, subscribe_as, subscribed},
    Stripe,
};
use crate::helpers::{form_error, TestApp};

/// The price of the emulator's subscription `id`.
async fn price_in_stripe(stripe: &Stripe, id: &str) -> String {
    stripe.get(&format!("/v1/subscriptions/{id}")).await["items"]["data"][0]["price"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// `(id, number, hosted_invoice_url)` of the user's stored invoices.
async fn invoices_of(app: &TestApp, email: &str) -> Vec<(String, String, String)> {
    sqlx::query_as::<_, (String, Option<String>, Option<String>)>(
        "SELECT i.id, i.number, i.hosted_invoice_url FROM invoices i \
         JOIN users u ON u.id = i.account_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_all(&app.db)
    .await
    .unwrap()
    .into_iter()
    .map(|(id, number, hosted)| {
        let finalized = "a paid invoice has a number and a page";
        (id, number.expect(finalized), hosted.expect(finalized))
    })
    .collect()
}

#[tokio::test]
async fn previewing_a_plan_change_of_another_users_subscription_is_not_found() {
    let (app, stripe, ada) = subscribed("tollgate_hobby_monthly").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let eve = app.new_browser();
    sign_up_with(&app, &eve, "eve@example.com").await;

    let form = [
        ("subscription_id", ada.subscription.as_str()),
        ("price_id", pro.as_str()),
    ];
    let as_form = app
        .post_form_with(&eve, PreviewPlanChange::PATH, &form)
        .await;
    let as_json = eve
        .post(app.url(PreviewPlanChange::PATH))
        .header("accept", "application/json")
        .header("origin", &app.base_url)
        .form(&form)
        .send()
        .await
        .unwrap();

    let not_found = json!({ "Form": "We could not find that subscription." });
    assert_eq!(form_error(&as_form), Some(not_found.clone()));
    assert!(!as_json.status().is_success());
    let body = as_json.text().await.unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).ok(),
        Some(not_found),
        "{body}"
    );
    assert_eq!(price_in_stripe(&stripe, &ada.subscription).await, hobby);
}

#[tokio::test]
async fn confirming_another_users_checkout_session_applies_nothing_even_for_a_customer() {
    let (app, _stripe, ada) = paid("tollgate_pro_monthly").await;
    let eve = app.new_browser();
    sign_up_with(&app, &eve, "eve@example.com").await;
    // Eve has a Stripe customer of her own (an abandoned checkout), so the check is against
    // whose customer paid, not merely whether she has one.
    start_checkout(&app, &eve, &price_id(&app, "tollgate_hobby_monthly").await).await;
    assert_eq!(count(&app, "billing_customers").await, 2);

    let response = app
        .post_form_with(
            &eve,
            ConfirmCheckout::PATH,
            &[("session_id", ada.session.as_str())],
        )
        .await;

    assert_eq!(
        form_error(&response),
        Some(json!({ "Form": "We could not find that checkout." }))
    );
    assert_eq!(count(&app, "subscriptions").await, 0);
    // The session was Ada's to confirm all along.
    confirm(&app, &app.client, &ada).await;
    assert_eq!(count(&app, "subscriptions").await, 1);
}

#[tokio::test]
async fn each_user_sees_only_their_own_invoices() {
    let (app, stripe) = shop(true).await;
    let bob = app.new_browser();
    for (client, email) in [(&app.client, "ada@example.com"), (&bob, "bob@example.com")] {
        subscribe_as(
            &app,
            &stripe,
            client,
            email,
            "tollgate_hobby_monthly",
            GOOD_CARD,
        )
        .await;
    }
    let db = &app.db;
    let stored = eventually(10, || async move {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(DISTINCT account_id) FROM invoices WHERE status = 'paid'",
        )
        .fetch_one(db)
        .await
        .unwrap()
            == 2
    })
    .await;
    assert!(stored, "the webhooks stored each user's paid invoice");

    for (client, mine, theirs) in [
        (&app.client, "ada@example.com", "bob@example.com"),
        (&bob, "bob@example.com", "ada@example.com"),
    ] {
        let page = app.account_page(client).await.unwrap();
        let overview = client
            .post(app.url(Billing::PATH))
            .header("accept", "application/json")
            .header("origin", &app.base_url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();

        for (_, number, _) in invoices_of(&app, mine).await {
            assert!(page.contains(&number), "{mine} sees {number}");
            assert!(overview.contains(&number), "{overview}");
        }
        for (id, number, hosted) in invoices_of(&app, theirs).await {
            for secret in [id, number, hosted] {
                assert!(!page.contains(&secret), "{mine}'s page shows {secret}");
                assert!(
                    !overview.contains(&secret),
                    "{mine}'s overview has {secret}"
                );
            }
        }
    }
}
