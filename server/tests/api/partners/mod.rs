//! The partner program: joining it, a referral link remembered in a cookie for 60 days, the
//! account signed up through it recorded as the partner's (never the partner's own), and the
//! program off.
//!
//! - [`accounts`]: connecting a Stripe account both ways, and the Connect endpoint.
//! - [`pay_runs`]: the pay run, commissions taken back by refunds and lost disputes.

mod accounts;
mod pay_runs;

use crate::helpers::{spawn_app, spawn_app_with, without_markers, TestApp, PASSWORD};

/// The partner code of `email`'s account.
pub(crate) async fn code_of(app: &TestApp, email: &str) -> String {
    sqlx::query_scalar(
        "SELECT p.code FROM partners p JOIN users u ON u.id = p.user_id WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

/// Who referred `email`'s account, by address.
async fn referrer_of(app: &TestApp, email: &str) -> Option<String> {
    sqlx::query_scalar(
        "SELECT r.email FROM users u LEFT JOIN users r ON r.id = u.referred_by WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap()
}

pub(crate) async fn sign_up_with(app: &TestApp, browser: &reqwest::Client, email: &str) {
    let response = app
        .post_form_with(
            browser,
            "/api/sign_up",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("display_name", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 302);
}

/// Bob opens `partner`'s referral link, signs up and subscribes to Hobby ($9 a month) on
/// Checkout with `card`.
pub(crate) async fn referral_subscribes(app: &TestApp, partner: &str, card: &str) {
    use crate::billing::{checkout::start_checkout, payment::pay, price_id};

    let code = code_of(app, partner).await;
    let bob = app.new_browser();
    app.get_with(&bob, &format!("/?ref={code}")).await;
    sign_up_with(app, &bob, "bob@example.com").await;
    let hobby = price_id(app, "tollgate_hobby_monthly").await;
    let url = start_checkout(app, &bob, &hobby).await;
    assert_eq!(pay(&url, card).await.status(), 303);
}

/// `/partners` as `browser` sees it, without hydration markers.
pub(crate) async fn partner_page(app: &TestApp, browser: &reqwest::Client) -> String {
    without_markers(
        app.get_with(browser, "/partners")
            .await
            .text()
            .await
            .unwrap(),
    )
}

#[tokio::test]
async fn an_account_signed_up_through_a_partners_link_is_theirs() {
    let app = spawn_app().await;
    app.sign_up("ada@example.com").await;
    let page = app.page("/partners").await;
    assert!(page.contains("Become a partner"), "{page}");
    assert!(
        page.contains("href=\"/partners\""),
        "Partners in the header: {page}"
    );
    for _ in 0..2 {
        let joined = app.post_form("/api/become_partner", &[]).await;
        assert_eq!(crate::helpers::location(&joined), "/partners");
    }
    let code = code_of(&app, "ada@example.com").await;
    let page = app.page("/partners").await;
    assert!(page.contains(&format!("?ref={code}")), "the link: {page}");

    let friend = app.new_browser();
    let landing = app.get_with(&friend, &format!("/?ref={code}")).await;
    let cookie = landing.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert_eq!(
        cookie,
        format!("tollgate_ref={code}; Max-Age=5184000; Path=/; HttpOnly; SameSite=Lax")
    );
    sign_up_with(&app, &friend, "bob@example.com").await;
    assert_eq!(
        referrer_of(&app, "bob@example.com").await.as_deref(),
        Some("ada@example.com")
    );
    let page = without_markers(app.page("/partners").await);
    assert!(
        page.contains("<dt>Signed up through it</dt><dd>1</dd>"),
        "{page}"
    );
    assert!(
        page.contains("<dt>Of them, subscribed</dt><dd>0</dd>"),
        "{page}"
    );
}

#[tokio::test]
async fn a_malformed_or_unknown_code_refers_nobody_and_no_account_refers_itself() {
    let app = spawn_app().await;
    let stranger = app.new_browser();
    let landing = app.get_with(&stranger, "/?ref=NOT-A-CODE").await;
    assert!(landing.headers().get("set-cookie").is_none());
    app.get_with(&stranger, "/?ref=zzzz2222").await;
    sign_up_with(&app, &stranger, "carol@example.com").await;
    assert_eq!(referrer_of(&app, "carol@example.com").await, None);

    app.sign_up("ada@example.com").await;
    app.post_form("/api/become_partner", &[]).await;
    let code = code_of(&app, "ada@example.com").await;
    let ada: uuid::Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'ada@example.com'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let code = backend::partners::ReferralCode::parse(&code).unwrap();
    let recorded = backend::partners::record_referral(&app.db, ada, &code)
        .await
        .unwrap();
    assert!(!recorded, "never its own referrer");
    assert_eq!(referrer_of(&app, "ada@example.com").await, None);
}

#[tokio::test]
async fn with_the_program_off_the_page_is_not_found_and_links_are_ignored() {
    let app = spawn_app_with(&[("PARTNERS_ENABLED", "false")]).await;
    app.sign_up("ada@example.com").await;
    assert_eq!(app.get("/partners").await.status(), 404);
    assert!(!app.page("/account").await.contains("href=\"/partners\""));
    let joined = app.post_form("/api/become_partner", &[]).await;
    let error = crate::helpers::form_error(&joined).expect("refused");
    assert_eq!(error, serde_json::json!("NotFound"));
    let landing = app.get_with(&app.new_browser(), "/?ref=abcd2345").await;
    assert!(landing.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn each_paid_invoice_of_a_referral_earns_the_partner_a_fifth_once_payable_after_the_hold() {
    use crate::billing::{checkout::shop, deliver, eventually, payment::GOOD_CARD};

    let (app, stripe) = shop(true).await;
    app.sign_up("ada@example.com").await;
    app.post_form("/api/become_partner", &[]).await;
    referral_subscribes(&app, "ada@example.com", GOOD_CARD).await;

    let commissions = || async {
        sqlx::query_as::<_, (String, i64, i64)>(
            "SELECT invoice_id, invoice_amount_paid, amount FROM partner_commissions ORDER BY created_at",
        )
        .fetch_all(&app.db)
        .await
        .unwrap()
    };
    assert!(
        eventually(10, || async { commissions().await.len() == 1 }).await,
        "invoice.paid recorded the commission"
    );
    let first = commissions().await;
    assert_eq!((first[0].1, first[0].2), (900, 180), "20 % of $9");
    let page = without_markers(app.page("/partners").await);
    assert!(
        page.contains("<dt>Held (the refund window)</dt><dd>$1.80</dd>"),
        "{page}"
    );
    assert!(page.contains("<dt>Payable</dt><dd>$0</dd>"), "{page}");

    // The same event again, and every invoice event replayed: still one commission.
    let paid: Vec<serde_json::Value> = stripe.events(&["invoice.paid"]).await;
    for event in &paid {
        assert_eq!(deliver(&app, event).await.0, 200);
    }
    assert_eq!(commissions().await.len(), 1);

    // A month on, the renewal earns another; the first is past its 30-day hold.
    stripe
        .ok("/_emulator/clock/advance", &[("days", "31")])
        .await;
    assert!(
        eventually(10, || async { commissions().await.len() == 2 }).await,
        "the renewal's invoice earned a second commission"
    );
    let page = without_markers(app.page("/partners").await);
    assert!(
        page.contains("<dt>Held (the refund window)</dt><dd>$1.80</dd>"),
        "{page}"
    );
    assert!(page.contains("<dt>Payable</dt><dd>$1.80</dd>"), "{page}");
}

#[tokio::test]
async fn a_paid_invoice_arriving_before_its_subscription_still_earns_the_commission() {
    use crate::billing::{checkout::shop, deliver, payment::GOOD_CARD};

    // No webhooks on their own: the events are delivered by hand, in the order chosen.
    let (app, stripe) = shop(false).await;
    app.sign_up("ada@example.com").await;
    app.post_form("/api/become_partner", &[]).await;
    referral_subscribes(&app, "ada@example.com", GOOD_CARD).await;
    let subscriptions: i64 = sqlx::query_scalar("SELECT count(*) FROM subscriptions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(subscriptions, 0, "nothing delivered yet");

    let paid = stripe.events(&["invoice.paid"]).await;
    assert_eq!(deliver(&app, &paid[0]).await.1, "applied");
    let amount: i64 = sqlx::query_scalar("SELECT amount FROM partner_commissions")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(amount, 180);
}
