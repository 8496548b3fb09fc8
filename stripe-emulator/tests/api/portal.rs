//! The hosted customer portal page: cancel at the period end by default or at once when the
//! settings say so, renew, a paused subscription resumed, and a new card retrying a past-due
//! invoice.

use stripe_emulator::{Config, Settings};

use crate::helpers::Emulator;

/// A portal session for `customer`; its page's URL.
async fn portal(emulator: &Emulator, customer: &str) -> String {
    let session = emulator
        .ok(
            "/v1/billing_portal/sessions",
            &[
                ("customer", customer),
                ("return_url", "https://example.com/account"),
            ],
        )
        .await;
    session["url"].as_str().unwrap().to_owned()
}

/// Submits one of the portal page's forms; the page it redirects to.
async fn act(emulator: &Emulator, url: &str, action: &str, form: &[(&str, &str)]) -> String {
    let (status, page) = emulator
        .submit_and_follow(&format!("{url}/{action}"), form)
        .await;
    assert_eq!(status, 200, "followed back to the portal");
    page
}

const GOOD_CARD: [(&str, &str); 3] = [
    ("card_number", "4242424242424242"),
    ("card_expiry", "12 / 34"),
    ("card_cvc", "123"),
];

#[tokio::test]
async fn by_default_the_portal_cancels_at_the_period_end_and_renews_on_request() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Hobby", 900).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    let url = portal(&emulator, &customer).await;
    assert!(emulator.page(&url).await.contains(">Cancel plan</button>"));

    let canceled = act(&emulator, &url, "cancel", &[("subscription", id)]).await;

    assert!(
        canceled.contains("canceled at the end of the period"),
        "{canceled}"
    );
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(
        (
            after["status"].as_str(),
            after["cancel_at_period_end"].as_bool()
        ),
        (Some("active"), Some(true))
    );
    act(&emulator, &url, "renew", &[("subscription", id)]).await;
    let renewed = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(renewed["cancel_at_period_end"], false);
}

#[tokio::test]
async fn with_the_immediate_cancel_mode_the_portal_cancels_at_once() {
    let emulator = Emulator::with(Config {
        tick: None,
        settings: Settings {
            portal_cancel_mode: "immediately".to_owned(),
            ..Settings::default()
        },
        ..Config::default()
    })
    .await;
    let price = emulator.monthly_price("Hobby", 900).await;
    let customer = emulator.customer_with("pm_card_visa").await;
    let subscription = emulator.subscribe(&customer, &price, &[]).await;
    let id = subscription["id"].as_str().unwrap();
    let url = portal(&emulator, &customer).await;
    assert!(emulator
        .page(&url)
        .await
        .contains(">Cancel plan now</button>"));

    let canceled = act(&emulator, &url, "cancel", &[("subscription", id)]).await;

    assert!(canceled.contains("Your plan was canceled."), "{canceled}");
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(after["status"], "canceled");
    assert_eq!(
        after["cancellation_details"]["reason"],
        "cancellation_requested"
    );
    assert!(emulator
        .event_types()
        .await
        .contains(&"customer.subscription.deleted".to_owned()));
}

#[tokio::test]
async fn a_paused_trial_is_resumed_from_the_portal_and_its_new_period_charged() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Pro", 2900).await;
    let customer = emulator
        .ok("/v1/customers", &[("email", "jenny@example.com")])
        .await;
    let customer = customer["id"].as_str().unwrap();
    let subscription = emulator
        .subscribe(
            customer,
            &price,
            &[
                ("trial_period_days", "14"),
                (
                    "trial_settings[end_behavior][missing_payment_method]",
                    "pause",
                ),
            ],
        )
        .await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(15).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "paused"
    );
    let url = portal(&emulator, customer).await;
    assert!(emulator
        .page(&url)
        .await
        .contains("Paused — add a card and resume"));

    act(&emulator, &url, "card", &GOOD_CARD).await;
    let still = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(
        still["status"], "paused",
        "a card alone does not resume it, as in Stripe"
    );
    act(&emulator, &url, "resume", &[("subscription", id)]).await;

    let resumed = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(resumed["status"], "active");
    let invoice = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            resumed["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (invoice["status"].as_str(), invoice["amount_paid"].as_i64()),
        (Some("paid"), Some(2900))
    );
}

#[tokio::test]
async fn a_new_card_in_the_portal_retries_the_past_due_invoice_at_once() {
    let emulator = Emulator::start().await;
    let price = emulator.monthly_price("Hobby", 900).await;
    let customer = emulator.customer_with("pm_card_chargeCustomerFail").await;
    let subscription = emulator
        .subscribe(&customer, &price, &[("trial_period_days", "7")])
        .await;
    let id = subscription["id"].as_str().unwrap();
    emulator.advance_days(8).await;
    assert_eq!(
        emulator.fetch(&format!("/v1/subscriptions/{id}")).await["status"],
        "past_due"
    );
    let url = portal(&emulator, &customer).await;

    let saved = act(&emulator, &url, "card", &GOOD_CARD).await;

    assert!(saved.contains("Your card was saved."), "{saved}");
    let after = emulator.fetch(&format!("/v1/subscriptions/{id}")).await;
    assert_eq!(after["status"], "active");
    let invoice = emulator
        .fetch(&format!(
            "/v1/invoices/{}",
            after["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(invoice["status"], "paid");
}
