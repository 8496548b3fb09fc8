//! Money taken back takes back what it bought: the Lifetime purchase stops granting its features
//! once its payment is refunded in full or lost to a dispute, not after a partial refund — and
//! the account page says which.

use super::{grant, ADMIN};
use crate::{
    billing::{
        checkout::{shop, sign_up_with, start_checkout},
        eventually,
        payment::{paid_purchase_charge, pay},
        price_id, Stripe,
    },
    helpers::{location, TestApp, PASSWORD},
};

/// Ada buys Lifetime with `card`, the webhooks store it; the admin's browser and the charge.
async fn lifetime_bought(card: &str) -> (TestApp, Stripe, reqwest::Client, String) {
    let (app, stripe) = shop(true).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let lifetime = price_id(&app, "tollgate_lifetime").await;
    let url = start_checkout(&app, &app.client, &lifetime).await;
    assert_eq!(pay(&url, card).await.status(), 303);
    let charge = paid_purchase_charge(&app).await;
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
    (app, stripe, admin, charge)
}

async fn dashboard_status(app: &TestApp) -> u16 {
    app.get("/dashboard").await.status().as_u16()
}

async fn refund(app: &TestApp, admin: &reqwest::Client, charge: &str, amount: &str) {
    let response = app
        .post_form_with(
            admin,
            "/api/refund_charge",
            &[
                ("charge", charge),
                ("amount", amount),
                ("reason", "requested_by_customer"),
                ("form_id", &uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(
        location(&response),
        format!("/admin/payments/{charge}?notice=refunded")
    );
}

#[tokio::test]
async fn a_lifetime_purchase_refunded_in_part_stays_and_refunded_in_full_stops_granting() {
    let (app, _stripe, admin, charge) = lifetime_bought("4242424242424242").await;
    assert_eq!(
        dashboard_status(&app).await,
        200,
        "Lifetime opens the dashboard"
    );

    refund(&app, &admin, &charge, "10").await;
    assert_eq!(
        dashboard_status(&app).await,
        200,
        "a partial refund takes nothing back"
    );
    let account = app.page("/account").await;
    assert!(
        account.contains("$10 refunded — it stays yours"),
        "{account}"
    );

    refund(&app, &admin, &charge, "").await;
    assert_eq!(
        dashboard_status(&app).await,
        402,
        "refunded in full, it grants nothing"
    );
    let account = app.page("/account").await;
    assert!(
        account.contains("refunded in full — its features are no longer included"),
        "{account}"
    );
}

#[tokio::test]
async fn a_lifetime_purchase_lost_to_a_dispute_stops_granting() {
    let (app, _stripe, admin, charge) = lifetime_bought("4000000000000259").await;
    let dispute = || async {
        sqlx::query_scalar::<_, String>("SELECT id FROM stripe_disputes WHERE charge_id = $1")
            .bind(&charge)
            .fetch_optional(&app.db)
            .await
            .unwrap()
    };
    assert!(eventually(10, || async { dispute().await.is_some() }).await);
    assert_eq!(
        dashboard_status(&app).await,
        200,
        "an open dispute takes nothing back yet"
    );
    let dispute = dispute().await.unwrap();
    let accepted = app
        .post_form_with(
            &admin,
            "/api/accept_dispute",
            &[
                ("dispute", dispute.as_str()),
                ("form_id", &uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(
        location(&accepted),
        format!("/admin/disputes/{dispute}?notice=dispute-accepted")
    );
    assert_eq!(dashboard_status(&app).await, 402, "lost, it grants nothing");
    let account = app.page("/account").await;
    assert!(account.contains("disputed and reversed"), "{account}");
}
