//! Customers in the console: found by email or Stripe id, one customer's subscriptions,
//! invoices, payments, cards and timeline, and a subscription canceled at period end, then now.

use super::{grant, ADMIN};
use crate::{
    billing::{eventually, subscriber::paid_with},
    helpers::{location, PASSWORD},
};

#[tokio::test]
async fn an_admin_finds_a_customer_sees_everything_about_them_and_cancels_their_subscription() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", "4242424242424242").await;
    let admin = app.new_browser();
    app.post_form_with(
        &admin,
        "/api/sign_up",
        &[
            ("email", ADMIN),
            ("password", PASSWORD),
            ("display_name", ""),
        ],
    )
    .await;
    grant(&app, ADMIN).await;
    let stored = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT count(*) FROM subscriptions WHERE status = 'active') \
                  + (SELECT count(*) FROM stripe_charges WHERE status = 'succeeded')",
        )
        .fetch_one(&app.db)
        .await
        .unwrap()
            == 2
    };
    assert!(
        eventually(10, stored).await,
        "the webhooks stored the subscription and its payment"
    );

    for search in ["ada@", ada.customer.as_str(), ada.subscription.as_str()] {
        let found = app
            .get_with(&admin, &format!("/admin/customers?q={search}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            found.contains("ada@example.com") && found.contains("1 live subscription"),
            "{search}: {found}"
        );
    }
    let none = app
        .get_with(&admin, "/admin/customers?q=nobody")
        .await
        .text()
        .await
        .unwrap();
    assert!(none.contains("No customers."));

    let path = format!("/admin/customers/{}", ada.customer);
    let page = app.get_with(&admin, &path).await.text().await.unwrap();
    for shown in [
        "Hobby",
        "active",
        "Renews",
        "visa •••• 4242",
        "paid",
        "invoice.paid",
        "Cancel now",
        "Cancel at period end",
    ] {
        assert!(page.contains(shown), "{shown}: {page}");
    }

    // A card saved the older way, as a source, shows too.
    stripe
        .ok(
            &format!("/v1/customers/{}/sources", ada.customer),
            &[("source", "tok_mastercard")],
        )
        .await;
    let page = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(page.contains("mastercard •••• 4444"), "{page}");

    let form_id = uuid::Uuid::new_v4().to_string();
    let cancel = |when: &'static str| {
        let form_id = form_id.clone();
        let admin = admin.clone();
        let subscription = ada.subscription.clone();
        let app = &app;
        async move {
            app.post_form_with(
                &admin,
                "/api/admin_cancel_subscription",
                &[
                    ("subscription", subscription.as_str()),
                    ("when", when),
                    ("form_id", &form_id),
                ],
            )
            .await
        }
    };
    let at_end = cancel("period_end").await;
    assert_eq!(
        location(&at_end),
        format!("{path}?notice=subscription-canceled")
    );
    let in_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(in_stripe["cancel_at_period_end"], true);
    let page = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(
        page.contains("ends") && !page.contains("Cancel at period end"),
        "{page}"
    );

    let now = cancel("now").await;
    assert_eq!(
        location(&now),
        format!("{path}?notice=subscription-canceled")
    );
    let in_stripe = stripe
        .get(&format!("/v1/subscriptions/{}", ada.subscription))
        .await;
    assert_eq!(in_stripe["status"], "canceled");
    let page = app.get_with(&admin, &path).await.text().await.unwrap();
    assert!(
        page.contains("canceled") && !page.contains("Cancel now"),
        "{page}"
    );

    let log: Vec<(String, String, Option<String>)> =
        sqlx::query_as("SELECT action, outcome, detail FROM admin_actions ORDER BY id")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(
        log,
        [
            (
                "subscription_canceled".to_owned(),
                "succeeded".to_owned(),
                Some("at period end".to_owned())
            ),
            (
                "subscription_canceled".to_owned(),
                "succeeded".to_owned(),
                Some("now".to_owned())
            ),
        ]
    );
}
