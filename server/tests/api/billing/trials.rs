//! One free trial per person: the trial ledger outlives a deleted account and remembers only
//! keyed digests, a card that had a trial on another account starts the next plan paid, and a
//! trial without a card needs a confirmed address.

use app::server_fns::billing::UpdateCard;
use backend::{auth::EmailAddress, billing::trials::address_had_trial};
use leptos::server_fn::ServerFn;
use serde_json::Value;

use super::{
    checkout::{session_id, shop, sign_up_confirmed, sign_up_with, start_checkout},
    eventually,
    paused_trial::start_trial_without_card,
    payment::{pay, GOOD_CARD},
    price_id,
    subscriber::{confirm, in_stripe, stored_subscription, subscribe_as, subscribe_by_webhooks},
    Stripe,
};
use crate::helpers::{location, TestApp, PASSWORD};

/// The emulator's copy of the Checkout Session behind a hosted page.
async fn session_of(stripe: &Stripe, checkout_url: &str) -> Value {
    let id = session_id(checkout_url);
    stripe.get(&format!("/v1/checkout/sessions/{id}")).await
}

/// Starts Checkout for Pro monthly (a 14-day trial) as `client`; Stripe's copy of the session.
async fn pro_checkout(app: &TestApp, stripe: &Stripe, client: &reqwest::Client) -> Value {
    let pro = price_id(app, "tollgate_pro_monthly").await;
    let checkout_url = start_checkout(app, client, &pro).await;
    session_of(stripe, &checkout_url).await
}

/// What the hosted Checkout page of `session` offers: a trial (and whether without a card).
async fn offered(session: &Value) -> Offered {
    let url = session["url"].as_str().expect("an open session has a URL");
    let page = reqwest::get(url).await.unwrap().text().await.unwrap();
    if !page.contains("Start trial") {
        Offered::NoTrial
    } else if page.contains("No card needed to start your trial.") {
        Offered::TrialWithoutCard
    } else {
        Offered::TrialWithCard
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Offered {
    NoTrial,
    TrialWithCard,
    TrialWithoutCard,
}

/// What the trial ledger holds: `(kind, digest, subscription_id)`.
async fn ledger(app: &TestApp) -> Vec<(String, Vec<u8>, String)> {
    sqlx::query_as("SELECT kind, digest, subscription_id FROM trial_ledger ORDER BY kind")
        .fetch_all(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn deleting_the_account_and_signing_up_again_with_the_same_address_earns_no_second_trial() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    let deleted = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;
    assert_eq!(deleted.status(), 302);
    assert_eq!(super::subscriber::count(&app, "users").await, 0);

    let again = app.new_browser();
    sign_up_with(&app, &again, "ada@example.com").await;
    let followed = app.confirm_address_with(&again, "ada@example.com", 2).await;
    assert_eq!(location(&followed), "/account?notice=email-confirmed");
    let session = pro_checkout(&app, &stripe, &again).await;

    assert_eq!(offered(&session).await, Offered::NoTrial, "{session}");
    let pricing = app.get_with(&again, "/pricing").await.text().await.unwrap();
    assert!(pricing.contains("Subscribe to Pro"), "{pricing}");
    assert!(!pricing.contains("Start free trial of Pro"));
}

#[tokio::test]
async fn a_trial_the_ledger_missed_is_remembered_when_the_account_is_deleted() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    // As for a trial stored before the ledger existed.
    sqlx::query("DELETE FROM trial_ledger")
        .execute(&app.db)
        .await
        .unwrap();

    let deleted = app
        .post_form("/api/delete_account", &[("password", PASSWORD)])
        .await;

    assert_eq!(deleted.status(), 302);
    let kinds: Vec<String> = ledger(&app)
        .await
        .into_iter()
        .map(|(kind, _, _)| kind)
        .collect();
    assert_eq!(kinds, ["email"]);
    let again = app.new_browser();
    sign_up_with(&app, &again, "ada@example.com").await;
    app.confirm_address_with(&again, "ada@example.com", 2).await;
    let session = pro_checkout(&app, &stripe, &again).await;
    assert_eq!(offered(&session).await, Offered::NoTrial);
}

#[tokio::test]
async fn the_trial_ledger_keeps_keyed_digests_and_never_the_address() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;

    let rows = ledger(&app).await;
    let kinds: Vec<&str> = rows.iter().map(|(kind, _, _)| kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["card", "email"],
        "the address and the card it paid with"
    );
    for (_, digest, subscription) in &rows {
        assert_eq!(digest.len(), 32, "an HMAC-SHA256");
        assert!(!String::from_utf8_lossy(digest).contains("ada"));
        assert_eq!(subscription, &ada.subscription);
    }
    let (_, card) = in_stripe(&stripe, &ada.subscription).await;
    let fingerprint = card.unwrap()["fingerprint"].as_str().unwrap().to_owned();
    assert!(rows
        .iter()
        .all(|(_, digest, _)| !String::from_utf8_lossy(digest).contains(&fingerprint)));
    let dump: String = sqlx::query_scalar("SELECT string_agg(t::text, ' ') FROM trial_ledger t")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert!(!dump.contains("ada"), "{dump}");
    assert!(!dump.contains(&fingerprint), "{dump}");

    // Only the key finds the address again (with its tag, its case: the same mailbox).
    let tagged = EmailAddress::parse("ADA+again@example.com", "email").unwrap();
    let key = app.state().config.trial_ledger_key.clone();
    let other_key = "another-key-another-key-another-key".to_owned().into();
    assert!(address_had_trial(&app.db, &key, &tagged).await.unwrap());
    assert!(!address_had_trial(&app.db, &other_key, &tagged)
        .await
        .unwrap());
}

#[tokio::test]
async fn an_unconfirmed_address_gets_a_trial_only_with_a_card_and_a_confirmed_one_without() {
    let (app, stripe) = shop(false).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let account = app.account_page(&app.client).await.unwrap();
    assert!(account.contains("not confirmed yet"), "{account}");

    let unconfirmed = pro_checkout(&app, &stripe, &app.client).await;
    assert_eq!(offered(&unconfirmed).await, Offered::TrialWithCard);
    assert_eq!(
        unconfirmed["payment_method_collection"], "always",
        "a made-up address must give a card"
    );

    let followed = app
        .confirm_address_with(&app.client, "ada@example.com", 1)
        .await;
    assert_eq!(location(&followed), "/account?notice=email-confirmed");
    let account = app.account_page(&app.client).await.unwrap();
    assert!(!account.contains("not confirmed yet"), "{account}");
    let confirmed = pro_checkout(&app, &stripe, &app.client).await;

    assert_eq!(offered(&confirmed).await, Offered::TrialWithoutCard);
    assert_eq!(confirmed["payment_method_collection"], "if_required");
}

#[tokio::test]
async fn a_card_that_had_a_trial_on_another_account_starts_the_new_plan_paid() {
    let (app, stripe) = shop(false).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    confirm(&app, &app.client, &ada).await;
    let bob_browser = app.new_browser();
    let bob = subscribe_as(
        &app,
        &stripe,
        &bob_browser,
        "bob@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    let (bobs_trial, _) = in_stripe(&stripe, &bob.subscription).await;
    assert_eq!(
        bobs_trial["status"], "trialing",
        "nothing told the address apart"
    );

    confirm(&app, &bob_browser, &bob).await;

    let (subscription, _) = in_stripe(&stripe, &bob.subscription).await;
    assert_eq!(subscription["status"], "active", "{subscription}");
    let invoice = stripe
        .get(&format!(
            "/v1/invoices/{}",
            subscription["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert!(invoice["amount_paid"].as_i64().unwrap() > 0, "{invoice}");
    let stored = stored_subscription(&app, &bob.subscription).await.unwrap();
    assert_eq!(stored.status, "active");
    let (ada_now, _) = in_stripe(&stripe, &ada.subscription).await;
    assert_eq!(ada_now["status"], "trialing", "the first trial runs on");

    // Seen again (a reload, a webhook): nothing more happens.
    confirm(&app, &bob_browser, &bob).await;
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={}", bob.subscription))
        .await;
    let paid: Vec<&Value> = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|invoice| invoice["amount_paid"].as_i64().unwrap_or(0) > 0)
        .collect();
    assert_eq!(paid.len(), 1, "{invoices}");
}

#[tokio::test]
async fn by_webhooks_alone_a_card_that_had_a_trial_elsewhere_ends_the_new_trial_at_once() {
    let (app, stripe) = shop(true).await;
    let bob_browser = app.new_browser();
    let mut subscriptions = Vec::new();
    for (client, email) in [
        (&app.client, "ada@example.com"),
        (&bob_browser, "bob@example.com"),
    ] {
        let user = subscribe_by_webhooks(
            &app,
            &stripe,
            client,
            email,
            "tollgate_pro_monthly",
            GOOD_CARD,
        )
        .await;
        subscriptions.push(user.subscription);
    }

    let bob = &subscriptions[1];
    let paid = eventually(10, || async {
        stored_subscription(&app, bob)
            .await
            .is_some_and(|stored| stored.status == "active")
    })
    .await;
    assert!(paid, "{:?}", stored_subscription(&app, bob).await);
    let (ada, _) = in_stripe(&stripe, &subscriptions[0]).await;
    assert_eq!(ada["status"], "trialing");
    let (bob, _) = in_stripe(&stripe, bob).await;
    assert_eq!(bob["status"], "active");
}

#[tokio::test]
async fn two_accounts_of_one_mailbox_that_raced_through_checkout_get_one_trial() {
    let (app, _stripe) = shop(false).await;
    let second_browser = app.new_browser();
    let pro = price_id(&app, "tollgate_pro_monthly").await;
    let mut pages = Vec::new();
    for (client, email) in [
        (&app.client, "ada+one@example.com"),
        (&second_browser, "ada+two@example.com"),
    ] {
        sign_up_with(&app, client, email).await;
        pages.push(start_checkout(&app, client, &pro).await);
    }
    // Both offered a trial before either started one; each pays with a card of its own.
    for (page, card) in pages.iter().zip([GOOD_CARD, "5555555555554444"]) {
        assert_eq!(pay(page, card).await.status(), 303);
    }
    for (client, page) in [(&app.client, &pages[0]), (&second_browser, &pages[1])] {
        let path = format!("/checkout/success?session_id={}", session_id(page));
        app.get_with(client, &path).await;
    }

    let statuses: Vec<String> = sqlx::query_scalar(
        "SELECT s.status FROM subscriptions s JOIN users u ON u.id = s.account_id ORDER BY u.email",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(statuses, ["trialing", "active"]);
}

#[tokio::test]
async fn a_card_added_during_a_trial_that_had_a_trial_on_another_account_ends_it() {
    let (app, stripe) = shop(true).await;
    subscribe_by_webhooks(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        "tollgate_pro_monthly",
        GOOD_CARD,
    )
    .await;
    let bob = app.new_browser();
    sign_up_confirmed(&app, &bob, "bob@example.com").await;
    let checkout_url =
        start_checkout(&app, &bob, &price_id(&app, "tollgate_pro_monthly").await).await;
    assert_eq!(start_trial_without_card(&checkout_url).await.status(), 303);
    let subscription = session_of(&stripe, &checkout_url).await["subscription"]
        .as_str()
        .unwrap()
        .to_owned();
    let trialing = eventually(10, || async {
        stored_subscription(&app, &subscription)
            .await
            .is_some_and(|stored| stored.status == "trialing")
    })
    .await;
    assert!(trialing, "a trial without a card, from a confirmed address");

    // "Add a card" on the account page: the portal's card form, with Ada's card.
    let opened = app.post_form_with(&bob, UpdateCard::PATH, &[]).await;
    let portal = location(&opened);
    let saved = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{portal}/card"))
        .form(&[
            ("name", "Bob"),
            ("card_number", GOOD_CARD),
            ("card_expiry", "12 / 34"),
            ("card_cvc", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);

    let paid = eventually(10, || async {
        stored_subscription(&app, &subscription)
            .await
            .is_some_and(|stored| stored.status == "active")
    })
    .await;
    assert!(paid, "{:?}", stored_subscription(&app, &subscription).await);
    let (in_stripe, _) = in_stripe(&stripe, &subscription).await;
    assert_eq!(in_stripe["status"], "active");
}
