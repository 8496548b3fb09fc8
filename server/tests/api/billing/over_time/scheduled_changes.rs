//! Plan changes at renewal: a downgrade is scheduled (a subscription schedule), shown with an
//! undo, and happens when the clock passes the period's end; undone, the plan renews as it is;
//! an upgrade is never scheduled.

use super::{act, settled};
use crate::billing::{
    eventually,
    payment::GOOD_CARD,
    price_id,
    subscriber::{advance_days, paid_with, stored_subscription, Subscriber},
    Stripe,
};
use crate::helpers::{form_error, TestApp};

/// The account page as the subscriber sees it.
async fn account(app: &TestApp) -> String {
    app.account_page(&app.client).await.expect("signed in")
}

/// Ada on Pro monthly ($29, in its 14-day trial), stored by the webhooks.
async fn pro_subscriber() -> (TestApp, Stripe, Subscriber) {
    let (app, stripe, ada) = paid_with(true, "tollgate_pro_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "trialing").await;
    (app, stripe, ada)
}

#[tokio::test]
async fn a_downgrade_waits_for_the_renewal_and_happens_there() {
    let (app, stripe, ada) = pro_subscriber().await;
    let subscription = ada.subscription.clone();
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;

    let preview = app
        .page(&format!("/account?change={subscription}&to={hobby}"))
        .await;
    assert!(preview.contains("at renewal"), "{preview}");
    assert!(preview.contains("Nothing is charged now"), "{preview}");

    let to = act(
        &app,
        "/api/schedule_plan_change",
        &ada,
        &[("price_id", &hobby)],
    )
    .await;
    assert_eq!(to, "/account?notice=change-scheduled");
    let page = account(&app).await;
    assert!(page.contains("Changes to Hobby on"), "{page}");
    assert!(page.contains("Undo scheduled change"), "{page}");
    let in_stripe = stripe
        .get(&format!("/v1/subscriptions/{subscription}"))
        .await;
    assert!(in_stripe["schedule"].is_string(), "{in_stripe}");
    assert_eq!(
        stored_subscription(&app, &subscription)
            .await
            .unwrap()
            .price_id,
        pro,
        "still Pro"
    );

    // The trial ends in 14 days: the renewal is on Hobby.
    advance_days(&stripe, 15).await;
    let moved = eventually(10, || async {
        stored_subscription(&app, &subscription)
            .await
            .is_some_and(|stored| stored.price_id == hobby)
    })
    .await;
    assert!(moved, "the webhooks stored the change");
    let invoice = stripe
        .get(&format!("/v1/invoices?subscription={subscription}&limit=1"))
        .await;
    assert_eq!(invoice["data"][0]["total"], 900, "{invoice}");
    let page = account(&app).await;
    assert!(!page.contains("Changes to Hobby"), "{page}");
}

#[tokio::test]
async fn an_undone_downgrade_leaves_the_plan_to_renew_as_it_is() {
    let (app, stripe, ada) = pro_subscriber().await;
    let subscription = ada.subscription.clone();
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    act(
        &app,
        "/api/schedule_plan_change",
        &ada,
        &[("price_id", &hobby)],
    )
    .await;
    let to = act(&app, "/api/undo_scheduled_change", &ada, &[]).await;
    assert_eq!(to, "/account?notice=scheduled-change-undone");
    assert!(!account(&app).await.contains("Changes to Hobby"));

    advance_days(&stripe, 15).await;
    let renewed = eventually(10, || async {
        stored_subscription(&app, &subscription)
            .await
            .is_some_and(|stored| stored.status == "active")
    })
    .await;
    assert!(renewed);
    assert_eq!(
        stored_subscription(&app, &subscription)
            .await
            .unwrap()
            .price_id,
        pro
    );
}

#[tokio::test]
async fn an_upgrade_is_never_scheduled() {
    let (app, stripe, ada) = paid_with(true, "tollgate_hobby_monthly", GOOD_CARD).await;
    settled(&app, &stripe, &ada.subscription, "active").await;
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let preview = app
        .page(&format!("/account?change={}&to={pro}", ada.subscription))
        .await;
    assert!(
        preview.contains("Confirm change") && !preview.contains("at renewal"),
        "{preview}"
    );
    let response = app
        .post_form(
            "/api/schedule_plan_change",
            &[
                ("subscription_id", ada.subscription.as_str()),
                ("price_id", &pro),
            ],
        )
        .await;
    let error = form_error(&response).expect("refused");
    assert!(
        error.to_string().contains("upgrade takes effect at once"),
        "{error}"
    );
    assert!(stripe
        .get(&format!("/v1/subscriptions/{}", ada.subscription))
        .await["schedule"]
        .is_null());
}
