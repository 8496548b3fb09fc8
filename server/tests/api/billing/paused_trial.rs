//! A free trial started without a card: Checkout asks for none (unless configured to), Stripe
//! pauses the plan when the trial ends, the app says so and mails once, and a card added in the
//! portal resumes it — charged, active, open again. All through real emulator events.

use app::server_fns::billing::{CancelSubscription, UpdateCard};
use leptos::server_fn::ServerFn;
use serde_json::Value;

use super::{
    app_for_with,
    checkout::{session_id, shop, sign_up_confirmed, sign_up_with, start_checkout},
    eventually,
    payment::GOOD_CARD,
    price_id, seed,
    subscriber::{advance_days, events_of, stored_subscription},
    Stripe,
};
use crate::helpers::{location, without_markers, TestApp};

/// Submits the hosted Checkout page with the card fields left empty.
pub async fn start_trial_without_card(checkout_url: &str) -> reqwest::Response {
    no_redirects()
        .post(checkout_url)
        .form(&[
            ("email", "ada@example.com"),
            ("name", "Ada Lovelace"),
            ("card_number", ""),
            ("card_expiry", ""),
            ("card_cvc", ""),
            ("address_line1", "1 Main Street"),
            ("address_postal_code", "12345"),
            ("address_country", "US"),
        ])
        .send()
        .await
        .expect("the hosted page answers")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// `(status, page)` of `path` as the app's signed-in client.
async fn page(app: &TestApp, path: &str) -> (u16, String) {
    let response = app.get_with(&app.client, path).await;
    let status = response.status().as_u16();
    (status, without_markers(response.text().await.unwrap()))
}

/// Waits until the webhooks have stored `subscription` in `status`.
async fn stored_as(app: &TestApp, subscription: &str, status: &str) -> bool {
    eventually(10, || async move {
        stored_subscription(app, subscription)
            .await
            .is_some_and(|stored| stored.status == status)
    })
    .await
}

/// The mails of `kind` queued: `(count, text of the first)`.
async fn mails(app: &TestApp, kind: &str) -> (i64, Option<String>) {
    sqlx::query_as("SELECT count(*), min(body_text) FROM billing_notifications WHERE kind = $1")
        .bind(kind)
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// Ada, her address confirmed, starts a Pro trial on the hosted page without a card; the
/// subscription's id.
async fn trial_without_card(app: &TestApp, stripe: &Stripe) -> String {
    sign_up_confirmed(app, &app.client, "ada@example.com").await;
    let price = price_id(app, "tollgate_pro_monthly").await;
    let checkout_url = start_checkout(app, &app.client, &price).await;
    let session = session_id(&checkout_url);
    let started = start_trial_without_card(&checkout_url).await;
    assert_eq!(started.status(), 303, "{}", started.text().await.unwrap());
    let session: Value = stripe
        .get(&format!("/v1/checkout/sessions/{session}"))
        .await;
    assert_eq!(session["payment_method_collection"], "if_required");
    session["subscription"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_trial_without_a_card_pauses_at_its_end_and_a_card_added_in_the_portal_resumes_it() {
    let (app, stripe) = shop(true).await;
    let subscription = trial_without_card(&app, &stripe).await;
    assert!(stored_as(&app, &subscription, "trialing").await);
    let stored = stored_subscription(&app, &subscription).await.unwrap();
    assert_eq!(stored.card_last4, None);
    let in_stripe = stripe
        .get(&format!("/v1/subscriptions/{subscription}"))
        .await;
    assert_eq!(
        in_stripe["trial_settings"]["end_behavior"]["missing_payment_method"],
        "pause"
    );
    let (_, account) = page(&app, "/account").await;
    assert!(
        account.contains("add a card to continue after it"),
        "{account}"
    );
    assert!(account.contains(">Add a card</button>"), "{account}");
    assert_eq!(page(&app, "/dashboard").await.0, 200, "the trial opens it");

    // Three days before the end: the reminder says a card keeps it.
    advance_days(&stripe, 11).await;
    assert!(eventually(10, || async { mails(&app, "trial_ending").await.0 == 1 }).await);
    let reminder = mails(&app, "trial_ending").await.1.unwrap();
    assert!(reminder.contains("add a card before then"), "{reminder}");

    // The trial ends without a card: paused, locked, mailed once.
    advance_days(&stripe, 4).await;
    assert!(stored_as(&app, &subscription, "paused").await);
    assert!(eventually(10, || async { mails(&app, "trial_paused").await.0 == 1 }).await);
    let paused_mail = mails(&app, "trial_paused").await.1.unwrap();
    assert!(paused_mail.contains("your plan is paused"), "{paused_mail}");
    assert!(
        paused_mail.contains("http://tollgate.test/account"),
        "{paused_mail}"
    );
    let (status, dashboard) = page(&app, "/dashboard").await;
    assert_eq!(status, 402);
    assert!(dashboard.contains("Your trial has ended"), "{dashboard}");
    let (_, account) = page(&app, "/account").await;
    assert!(
        account.contains("Paused — add a card to continue"),
        "{account}"
    );

    // "Add a card" opens the portal; the card saved there resumes the plan.
    let opened = app.post_form_with(&app.client, UpdateCard::PATH, &[]).await;
    assert_eq!(opened.status(), 302);
    let portal = location(&opened);
    assert!(
        portal.starts_with(&format!("{}/portal/", stripe.base_url())),
        "{portal}"
    );
    let saved = no_redirects()
        .post(format!("{portal}/card"))
        .form(&[
            ("name", "Ada Lovelace"),
            ("card_number", GOOD_CARD),
            ("card_expiry", "12 / 34"),
            ("card_cvc", "123"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    assert_eq!(
        location(&saved),
        "http://tollgate.test/account#billing",
        "the card form returns by itself"
    );

    assert!(stored_as(&app, &subscription, "active").await);
    let stored = stored_subscription(&app, &subscription).await.unwrap();
    assert_eq!(stored.card_last4.as_deref(), Some("4242"));
    let latest = stored
        .latest_invoice_id
        .expect("the resumed period's invoice");
    let db = &app.db;
    let latest_paid = eventually(10, || {
        let latest = latest.clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT status FROM invoices WHERE id = $1")
                .bind(&latest)
                .fetch_optional(db)
                .await
                .unwrap()
                .as_deref()
                == Some("paid")
        }
    })
    .await;
    assert!(latest_paid, "the new period is charged");
    assert_eq!(page(&app, "/dashboard").await.0, 200);
    let (_, account) = page(&app, "/account").await;
    assert!(account.contains("Renews on"), "{account}");
    assert!(!account.contains(">Add a card</button>"), "{account}");
    // Two events told us about the card (attached, customer updated): resumed once.
    let resumed = events_of(&stripe, "customer.subscription.resumed", &subscription).await;
    assert_eq!(resumed.len(), 1);
    assert_eq!(mails(&app, "trial_paused").await.0, 1);
}

#[tokio::test]
async fn checkout_asks_for_a_card_to_start_a_trial_only_when_configured_to() {
    let stripe = Stripe::start().await;
    let app = app_for_with(&stripe, &[("BILLING_TRIAL_REQUIRES_CARD", "true")]).await;
    seed(&app, &stripe).await;
    sign_up_with(&app, &app.client, "ada@example.com").await;
    let price = price_id(&app, "tollgate_pro_monthly").await;

    let checkout_url = start_checkout(&app, &app.client, &price).await;

    let session = stripe
        .get(&format!(
            "/v1/checkout/sessions/{}",
            session_id(&checkout_url)
        ))
        .await;
    assert_eq!(session["payment_method_collection"], "always");
    let refused = start_trial_without_card(&checkout_url).await;
    assert_eq!(refused.status(), 402, "the card is required");
}

#[tokio::test]
async fn a_paused_plan_can_be_canceled_at_once_from_the_account_page_without_a_charge() {
    let (app, stripe) = shop(true).await;
    let subscription = trial_without_card(&app, &stripe).await;
    advance_days(&stripe, 15).await;
    assert!(stored_as(&app, &subscription, "paused").await);

    let (_, confirmation) = page(&app, &format!("/account?cancel={subscription}")).await;
    assert!(
        confirmation.contains("It ends now, and nothing is charged."),
        "{confirmation}"
    );
    let canceled = app
        .post_form_with(
            &app.client,
            CancelSubscription::PATH,
            &[("subscription_id", subscription.as_str())],
        )
        .await;

    assert_eq!(location(&canceled), "/account?notice=plan-ended");
    let stored = stored_subscription(&app, &subscription).await.unwrap();
    assert_eq!(stored.status, "canceled");
    let invoices = stripe
        .get(&format!("/v1/invoices?subscription={subscription}"))
        .await;
    let charged: i64 = invoices["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invoice| invoice["amount_paid"].as_i64().unwrap())
        .sum();
    assert_eq!(charged, 0);
    let (_, account) = page(&app, "/account?notice=plan-ended").await;
    assert!(
        account.contains("Your plan has ended. Nothing was charged."),
        "{account}"
    );
    assert!(account.contains("You are on the free plan."), "{account}");
}
