//! A partner's connected Stripe account: connected through the app's own form (a custom
//! account, Stripe's terms accepted from the partner's address, the bank account from a token)
//! or through Stripe's hosted onboarding; kept up to date by Connect events, which arrive at
//! their own endpoint with their own secret.

use serde_json::{json, Value};

use crate::{
    billing::{app_for_with, deliver_at, eventually, now, post_webhook_at, seed, Stripe},
    helpers::{form_error, location, TestApp, CONNECT_WEBHOOK_SECRET},
};

/// An app whose partners connect with `onboarding` (`hosted` or `platform`), the catalog seeded,
/// every event delivered.
pub(crate) async fn partner_shop(onboarding: &str) -> (TestApp, Stripe) {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("PARTNER_ONBOARDING", onboarding)]).await;
    stripe.send_webhooks_to(&app);
    seed(&app, &stripe).await;
    (app, stripe)
}

/// The form a partner fills in to connect through the app (Stripe's paying test bank account).
pub(crate) const PARTNER_FORM: [(&str, &str); 6] = [
    ("first_name", "Ada"),
    ("last_name", "Lovelace"),
    ("dob", "1990-12-10"),
    ("routing_number", "110000000"),
    ("account_number", "000123456789"),
    ("accepted_terms", "yes"),
];

/// Signs `email` up in a browser of its own, makes it a partner and connects its account with
/// the app's own form; the browser and the `acct_…`.
pub(crate) async fn connected_partner(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let browser = app.new_browser();
    super::sign_up_with(app, &browser, email).await;
    app.post_form_with(&browser, "/api/become_partner", &[])
        .await;
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &PARTNER_FORM)
        .await;
    assert_eq!(
        location(&response),
        "/partners?notice=stripe-account-checked",
        "connecting redirects to the partner page: {:?}",
        form_error(&response)
    );
    let account: String = sqlx::query_scalar(
        "SELECT a.stripe_account_id FROM partner_accounts a JOIN users u ON u.id = a.partner_id \
         WHERE u.email = $1",
    )
    .bind(email)
    .fetch_one(&app.db)
    .await
    .unwrap();
    (browser, account)
}

#[tokio::test]
async fn a_partner_connects_a_custom_account_through_the_apps_own_form() {
    let (app, stripe) = partner_shop("platform").await;
    let (browser, account) = connected_partner(&app, "ada@example.com").await;

    let stored: (String, bool, String, Vec<String>) = sqlx::query_as(
        "SELECT onboarding, transfers_active, bank_last4, requirements_due FROM partner_accounts",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(
        stored,
        ("platform".to_owned(), true, "6789".to_owned(), Vec::new())
    );
    let in_stripe = stripe.get(&format!("/v1/accounts/{account}")).await;
    assert_eq!(in_stripe["type"], "custom");
    assert_eq!(in_stripe["business_type"], "individual");
    assert_eq!(in_stripe["individual"]["first_name"], "Ada");
    assert_eq!(
        in_stripe["tos_acceptance"]["ip"], "127.0.0.1",
        "the terms were accepted from the partner's address"
    );
    assert!(in_stripe["tos_acceptance"]["date"].as_i64().unwrap() > 0);
    assert_eq!(in_stripe["capabilities"]["transfers"], "active");
    let banks = stripe
        .get(&format!(
            "/v1/accounts/{account}/external_accounts?object=bank_account"
        ))
        .await;
    assert_eq!(banks["data"][0]["last4"], "6789");

    let page = super::partner_page(&app, &browser).await;
    assert!(
        page.contains("Ready: commissions are transferred to it."),
        "{page}"
    );
    assert!(page.contains("STRIPE TEST BANK ••••6789"), "{page}");
}

#[tokio::test]
async fn the_apps_own_form_refuses_what_stripe_or_the_form_would_and_keeps_nothing_half_done() {
    let (app, _stripe) = partner_shop("platform").await;
    let browser = app.new_browser();
    super::sign_up_with(&app, &browser, "ada@example.com").await;

    // Not a partner yet: not found.
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &PARTNER_FORM)
        .await;
    assert_eq!(form_error(&response), Some(json!("NotFound")));
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 0, "no account for someone who is not a partner");

    app.post_form_with(&browser, "/api/become_partner", &[])
        .await;
    let mut without_terms = PARTNER_FORM.to_vec();
    without_terms.retain(|(name, _)| *name != "accepted_terms");
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &without_terms)
        .await;
    let error = form_error(&response).expect("refused");
    assert!(error.to_string().contains("accepted_terms"), "{error}");

    let mut too_young = PARTNER_FORM.to_vec();
    too_young[2] = ("dob", "2020-01-01");
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &too_young)
        .await;
    let error = form_error(&response).expect("refused");
    assert!(error.to_string().contains("at least 18"), "{error}");
    let accounts: i64 = sqlx::query_scalar("SELECT count(*) FROM partner_accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(accounts, 0, "refused before Stripe was asked");

    // Stripe refuses the routing number: its words are shown; the account exists without a
    // bank, and the corrected form adds only the bank account.
    let mut bad_routing = PARTNER_FORM.to_vec();
    bad_routing[3] = ("routing_number", "12345");
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &bad_routing)
        .await;
    let error = form_error(&response).expect("refused");
    assert!(error.to_string().contains("Stripe refused"), "{error}");
    let response = app
        .post_form_with(&browser, "/api/connect_with_form", &PARTNER_FORM)
        .await;
    assert_eq!(
        location(&response),
        "/partners?notice=stripe-account-checked"
    );
    let (accounts, bank): (i64, Option<String>) =
        sqlx::query_as("SELECT count(*), max(bank_last4) FROM partner_accounts")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!((accounts, bank.as_deref()), (1, Some("6789")));
}

/// An `account.updated` from `account`, as Stripe would send it to the Connect endpoint.
fn account_event(account: &str) -> Value {
    json!({
        "id": format!("evt_connect_{}", uuid::Uuid::new_v4().simple()),
        "object": "event",
        "type": "account.updated",
        "account": account,
        "created": now(),
        "data": { "object": { "id": account, "object": "account" } },
    })
}

#[tokio::test]
async fn connect_events_are_taken_only_with_the_connect_endpoints_own_secret() {
    let (app, _stripe) = partner_shop("platform").await;
    let event = account_event("acct_unknown");
    let body = serde_json::to_vec(&event).unwrap();

    // Signed with the platform endpoint's secret: refused at the Connect endpoint.
    let (status, _) = deliver_at(app.url("/webhooks/stripe/connect"), event.clone()).await;
    assert_eq!(status, 400);
    // Signed with the Connect secret: refused at the platform endpoint, taken at its own.
    let signature = backend::stripe::signature::sign(&body, CONNECT_WEBHOOK_SECRET, now());
    let (status, _) = post_webhook_at(&app.url("/webhooks/stripe"), &body, Some(&signature)).await;
    assert_eq!(status, 400);
    let (status, answer) = post_webhook_at(
        &app.url("/webhooks/stripe/connect"),
        &body,
        Some(&signature),
    )
    .await;
    assert_eq!((status, answer.as_str()), (200, "received"));
}

#[tokio::test]
async fn the_connected_accounts_own_events_keep_the_partners_status_and_schedule() {
    let (app, stripe) = partner_shop("platform").await;
    let (browser, account) = connected_partner(&app, "ada@example.com").await;

    // The partner picks a weekly schedule: Stripe has it, and the page says so.
    let response = app
        .post_form_with(
            &browser,
            "/api/set_payout_schedule",
            &[("interval", "weekly")],
        )
        .await;
    assert_eq!(
        location(&response),
        "/partners?notice=payout-schedule-saved"
    );
    let in_stripe = stripe.get(&format!("/v1/accounts/{account}")).await;
    assert_eq!(
        in_stripe["settings"]["payouts"]["schedule"]["interval"],
        "weekly"
    );

    // Changed in Stripe (the Express dashboard, say): account.updated brings it here.
    stripe
        .ok(
            &format!("/v1/accounts/{account}"),
            &[("settings[payouts][schedule][interval]", "manual")],
        )
        .await;
    let interval = || async {
        sqlx::query_scalar::<_, String>("SELECT payout_interval FROM partner_accounts")
            .fetch_one(&app.db)
            .await
            .unwrap()
    };
    assert!(
        eventually(10, || async { interval().await == "manual" }).await,
        "account.updated from the connected account was applied"
    );

    // The partner disconnects the platform: no more transfers.
    let mut event = account_event(&account);
    event["type"] = json!("account.application.deauthorized");
    event["data"]["object"] = json!({ "id": "ca_test", "object": "application" });
    let body = serde_json::to_vec(&event).unwrap();
    let signature = backend::stripe::signature::sign(&body, CONNECT_WEBHOOK_SECRET, now());
    let (status, _) = post_webhook_at(
        &app.url("/webhooks/stripe/connect"),
        &body,
        Some(&signature),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        eventually(10, || async {
            sqlx::query_scalar::<_, bool>(
                "SELECT deauthorized_at IS NOT NULL AND NOT transfers_active FROM partner_accounts",
            )
            .fetch_one(&app.db)
            .await
            .unwrap()
        })
        .await,
        "the disconnection was recorded"
    );
    let page = super::partner_page(&app, &browser).await;
    assert!(page.contains("Disconnected"), "{page}");
}

#[tokio::test]
async fn a_partner_sees_only_their_own_account_and_payouts() {
    let (app, _stripe) = partner_shop("platform").await;
    let (ada, _) = connected_partner(&app, "ada@example.com").await;
    let (bob, _) = connected_partner(&app, "bob@example.com").await;
    // Each page names its own partner's link and nobody else's.
    let code = |email: &'static str| {
        let app = &app;
        async move { super::code_of(app, email).await }
    };
    let ada_page = app.get_with(&ada, "/partners").await.text().await.unwrap();
    let bob_page = app.get_with(&bob, "/partners").await.text().await.unwrap();
    assert!(ada_page.contains(&code("ada@example.com").await));
    assert!(!ada_page.contains(&code("bob@example.com").await));
    assert!(bob_page.contains(&code("bob@example.com").await));
    // Someone who is not a partner has no account to act on.
    let carol = app.new_browser();
    super::sign_up_with(&app, &carol, "carol@example.com").await;
    let response = app
        .post_form_with(
            &carol,
            "/api/set_payout_schedule",
            &[("interval", "manual")],
        )
        .await;
    assert_eq!(form_error(&response), Some(json!("NotFound")));
    let response = app
        .post_form_with(
            &carol,
            "/api/partner_pay_out",
            &[
                ("currency", "usd"),
                ("form_id", &uuid::Uuid::new_v4().to_string()),
            ],
        )
        .await;
    assert_eq!(form_error(&response), Some(json!("NotFound")));
}

#[tokio::test]
async fn a_partner_onboards_on_stripes_hosted_pages_and_comes_back_ready() {
    let (app, stripe) = partner_shop("hosted").await;
    let browser = app.new_browser();
    super::sign_up_with(&app, &browser, "ada@example.com").await;
    app.post_form_with(&browser, "/api/become_partner", &[])
        .await;

    // "Connect with Stripe": an account with controller properties, and its Account Link.
    let response = app
        .post_form_with(&browser, "/api/connect_stripe_account", &[])
        .await;
    let link = location(&response);
    assert!(
        link.starts_with(&format!("{}/connect/onboarding/", stripe.base_url())),
        "{link}: {:?}",
        form_error(&response)
    );
    let account: String = sqlx::query_scalar("SELECT stripe_account_id FROM partner_accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    let in_stripe = stripe.get(&format!("/v1/accounts/{account}")).await;
    assert_eq!(in_stripe["controller"]["requirement_collection"], "stripe");
    assert_eq!(
        in_stripe["controller"]["stripe_dashboard"]["type"],
        "express"
    );
    assert_eq!(in_stripe["capabilities"]["transfers"], "inactive");
    let page = super::partner_page(&app, &browser).await;
    assert!(page.contains("Stripe still needs"), "{page}");
    assert!(page.contains("Continue onboarding with Stripe"), "{page}");

    // The partner fills Stripe's form in; Stripe sends them back to the return URL.
    let stripe_browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let submitted = stripe_browser
        .post(&link)
        .form(&[
            ("first_name", "Ada"),
            ("last_name", "Lovelace"),
            ("email", "ada@example.com"),
            ("dob", "1990-12-10"),
            ("routing_number", "110000000"),
            ("account_number", "000123456789"),
            ("tos", "accepted"),
        ])
        .send()
        .await
        .unwrap();
    let back = submitted.headers()["location"].to_str().unwrap().to_owned();
    assert!(back.ends_with("/partners/onboarding/return"), "{back}");
    let returned = app.get_with(&browser, "/partners/onboarding/return").await;
    assert_eq!(
        location(&returned),
        "/partners?notice=stripe-account-checked"
    );
    let ready: bool = sqlx::query_scalar("SELECT transfers_active FROM partner_accounts")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(ready, "read again on the way back");
    let page = super::partner_page(&app, &browser).await;
    assert!(
        page.contains("Ready: commissions are transferred to it."),
        "{page}"
    );

    // A used link sends Stripe's visitor to the refresh URL, which makes a new one.
    let again = stripe_browser.get(&link).send().await.unwrap();
    let refresh = again.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        refresh.ends_with("/partners/onboarding/refresh"),
        "{refresh}"
    );
    let fresh = app.get_with(&browser, "/partners/onboarding/refresh").await;
    let fresh = location(&fresh);
    assert!(
        fresh.starts_with(&format!("{}/connect/onboarding/", stripe.base_url())) && fresh != link,
        "{fresh}"
    );
    // One account however often the partner clicks.
    let accounts = stripe.get("/v1/accounts").await;
    assert_eq!(accounts["data"].as_array().unwrap().len(), 1);
    // Nobody else reaches those pages.
    let stranger = app.new_browser();
    assert_eq!(
        app.get_with(&stranger, "/partners/onboarding/refresh")
            .await
            .status(),
        404
    );
}
