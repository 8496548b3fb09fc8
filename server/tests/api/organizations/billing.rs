//! An organization's billing: Checkout for as many seats as it has members, its plan's features
//! for every member, billing for owners only, seats that follow the members (one update per
//! minute of changes, and the nightly reconciliation fixing a drift), and deletion cancelling the
//! subscription first.

use super::{accept, act, create, invite, person};
use crate::{
    billing::{
        checkout::{session_id, shop, start_checkout},
        gating::dashboard,
        payment::{pay, GOOD_CARD},
        price_id, Stripe,
    },
    helpers::{location, TestApp},
};

/// Ada's Acme with Bob as a member, subscribed to Pro (per seat) by Ada; the subscription's id.
async fn acme_on_pro(
    app: &TestApp,
    stripe: &Stripe,
) -> (reqwest::Client, reqwest::Client, uuid::Uuid, String) {
    let ada = person(app, "ada@example.com").await;
    let acme = create(app, &ada, "Acme").await;
    let token = invite(app, &ada, "bob@example.com", "member", 1).await;
    let bob = person(app, "bob@example.com").await;
    assert_eq!(accept(app, &bob, &token).await, None);

    let pro = price_id(app, "tollgate_pro_monthly").await;
    let checkout = start_checkout(app, &ada, &pro).await;
    let lines = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}/line_items",
            session_id(&checkout)
        ))
        .await;
    assert_eq!(lines["data"][0]["quantity"], 2, "a seat per member");
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    let success = app
        .get_with(
            &ada,
            &format!("/checkout/success?session_id={}", session_id(&checkout)),
        )
        .await;
    assert_eq!(success.status(), 200);
    let subscription: String =
        sqlx::query_scalar("SELECT id FROM subscriptions WHERE account_id = $1")
            .bind(acme)
            .fetch_one(&app.db)
            .await
            .expect("the organization holds the subscription");
    (ada, bob, acme, subscription)
}

async fn quantity(stripe: &Stripe, subscription: &str) -> i64 {
    stripe
        .get(&format!("/v1/subscriptions/{subscription}"))
        .await["items"]["data"][0]["quantity"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn an_organizations_plan_is_its_members_and_only_owners_manage_it() {
    let (app, stripe) = shop(false).await;
    let (ada, bob, acme, _) = acme_on_pro(&app, &stripe).await;
    let customer: String = sqlx::query_scalar(
        "SELECT stripe_customer_id FROM billing_customers WHERE account_id = $1",
    )
    .bind(acme)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        stripe.get(&format!("/v1/customers/{customer}")).await["name"],
        "Acme",
        "invoices name the company"
    );

    // Bob, acting for Acme, has Pro's features; acting for himself, he does not.
    let (status, page) = dashboard(&app, &bob).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Usage report"), "{page}");
    assert_eq!(
        act(&app, &bob, "switch_account", &[("account", "personal")]).await,
        None
    );
    assert_eq!(
        dashboard(&app, &bob).await.0,
        402,
        "his own account has no plan"
    );
    assert_eq!(
        act(
            &app,
            &bob,
            "switch_account",
            &[("account", &acme.to_string())]
        )
        .await,
        None
    );

    // A member neither opens the portal nor starts a checkout for the organization.
    let refused = act(&app, &bob, "open_portal", &[]).await;
    assert!(refused.unwrap()["Form"]
        .as_str()
        .unwrap()
        .contains("owners"));
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let refused = act(&app, &bob, "start_checkout", &[("price", &hobby)]).await;
    assert!(refused.unwrap()["Form"]
        .as_str()
        .unwrap()
        .contains("owners"));
    // Ada, its owner, does.
    let portal = app.post_form_with(&ada, "/api/open_portal", &[]).await;
    assert!(
        location(&portal).starts_with(stripe.base_url()),
        "{}",
        location(&portal)
    );
}

#[tokio::test]
async fn seats_follow_the_members_in_one_update_a_minute_and_the_nightly_check_fixes_a_drift() {
    let (app, stripe) = shop(false).await;
    let (ada, _bob, acme, subscription) = acme_on_pro(&app, &stripe).await;
    let state = app.state();
    // Bob's joining before the plan existed was counted at Checkout.
    backend::organizations::seats::sync_due(
        &state,
        time::OffsetDateTime::now_utc() + time::Duration::minutes(2),
    )
    .await
    .unwrap();
    assert_eq!(quantity(&stripe, &subscription).await, 2);

    let updates_before = stripe
        .events(&["customer.subscription.updated"])
        .await
        .len();
    for (email, n) in [("cleo@example.com", 1), ("dan@example.com", 1)] {
        let token = invite(&app, &ada, email, "member", n).await;
        let browser = person(&app, email).await;
        assert_eq!(accept(&app, &browser, &token).await, None);
    }
    let waiting: i64 =
        sqlx::query_scalar("SELECT count(*) FROM seat_syncs WHERE organization_id = $1")
            .bind(acme)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(waiting, 1, "two joins in a minute wait as one");
    let now = time::OffsetDateTime::now_utc();
    assert_eq!(
        backend::organizations::seats::sync_due(&state, now)
            .await
            .unwrap(),
        0,
        "not due yet"
    );
    assert_eq!(
        backend::organizations::seats::sync_due(&state, now + time::Duration::seconds(61))
            .await
            .unwrap(),
        1
    );
    assert_eq!(quantity(&stripe, &subscription).await, 4);
    let updates = stripe
        .events(&["customer.subscription.updated"])
        .await
        .len()
        - updates_before;
    assert_eq!(updates, 1, "one subscription update for both");
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={subscription}"))
        .await;
    assert_eq!(
        invoices["data"].as_array().unwrap().len(),
        1,
        "no invoice per change"
    );

    // Someone sets 7 seats in Stripe's dashboard; the nightly check puts it back to 4.
    stripe
        .ok(
            &format!("/v1/subscriptions/{subscription}"),
            &[
                (
                    "items[0][id]",
                    stripe
                        .get(&format!("/v1/subscriptions/{subscription}"))
                        .await["items"]["data"][0]["id"]
                        .as_str()
                        .unwrap(),
                ),
                ("items[0][quantity]", "7"),
            ],
        )
        .await;
    let report = backend::organizations::seats::reconcile(&state)
        .await
        .unwrap();
    assert_eq!((report.checked, report.drifted, report.failed), (1, 1, 0));
    assert_eq!(quantity(&stripe, &subscription).await, 4);
    let (billed, members, fixed): (i32, i32, bool) = sqlx::query_as(
        "SELECT seats_billed, members, fixed_at IS NOT NULL FROM seat_drifts WHERE organization_id = $1",
    )
    .bind(acme)
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!((billed, members, fixed), (7, 4, true));
    let stored: i32 =
        sqlx::query_scalar("SELECT quantity FROM subscription_items WHERE subscription_id = $1")
            .bind(&subscription)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(stored, 4);
    // The console reports it.
    let admin = person(&app, "root@example.com").await;
    crate::console::grant(&app, "root@example.com").await;
    let console =
        crate::helpers::without_markers(app.get_with(&admin, "/admin").await.text().await.unwrap());
    assert!(
        console.contains("Acme: 7 seats billed for 4 members, found"),
        "{console}"
    );
    // A second night finds nothing to fix.
    let report = backend::organizations::seats::reconcile(&state)
        .await
        .unwrap();
    assert_eq!(report.drifted, 0);
}

#[tokio::test]
async fn deleting_an_organization_cancels_its_subscription_first() {
    let (app, stripe) = shop(false).await;
    let (ada, bob, acme, subscription) = acme_on_pro(&app, &stripe).await;
    let refused = act(&app, &bob, "delete_organization", &[("name", "Acme")]).await;
    assert!(refused.unwrap()["Form"]
        .as_str()
        .unwrap()
        .contains("owners"));
    let refused = act(&app, &ada, "delete_organization", &[("name", "Acme Inc")]).await;
    assert!(refused.is_some(), "the name must be repeated");

    assert_eq!(
        act(&app, &ada, "delete_organization", &[("name", "Acme")]).await,
        None
    );
    let status = stripe
        .get(&format!("/v1/subscriptions/{subscription}"))
        .await["status"]
        .clone();
    assert_eq!(status, "canceled");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM organizations WHERE id = $1")
        .bind(acme)
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    // Bob's session falls back to his own account, which has no plan.
    assert_eq!(dashboard(&app, &bob).await.0, 402);
}

#[tokio::test]
async fn a_plan_that_caps_seats_refuses_an_invitation_past_the_cap() {
    let (app, _stripe) = shop(false).await;
    let ada = person(&app, "ada@example.com").await;
    create(&app, &ada, "Acme").await;
    let hobby = price_id(&app, "tollgate_hobby_monthly").await;
    let checkout = start_checkout(&app, &ada, &hobby).await;
    assert_eq!(pay(&checkout, GOOD_CARD).await.status(), 303);
    app.get_with(
        &ada,
        &format!("/checkout/success?session_id={}", session_id(&checkout)),
    )
    .await;

    // Hobby is for teams of up to 3: Ada and two invitations fill it.
    invite(&app, &ada, "bob@example.com", "member", 1).await;
    invite(&app, &ada, "cleo@example.com", "member", 1).await;
    let refused = act(
        &app,
        &ada,
        "invite_member",
        &[("email", "dan@example.com"), ("role", "member")],
    )
    .await;
    let message = refused.unwrap()["Form"].as_str().unwrap().to_owned();
    assert!(
        message.contains("includes 3 seats") && message.contains("Upgrade"),
        "{message}"
    );
    assert_eq!(app.mail_count("dan@example.com").await, 0);
}
