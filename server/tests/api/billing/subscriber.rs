//! What the Billing II tests start from: a signed-up user who paid on the emulator's hosted
//! Checkout page (so the subscription, its invoices and card are real emulator objects), the
//! events the emulator emitted about it, its clock, and the stored rows to compare.

use serde_json::Value;
use time::OffsetDateTime;

use super::{
    checkout::{session_id, shop, sign_up_with, start_checkout},
    eventually,
    payment::{pay, GOOD_CARD},
    price_id, Stripe,
};
use crate::helpers::{location, TestApp};

/// Stripe's test card that attaches fine and fails every later charge (failed renewals).
pub const FAILING_CARD: &str = "4000000000000341";

/// A user with a subscription in the emulator.
pub struct Subscriber {
    /// `cus_…`.
    pub customer: String,
    /// `sub_…`.
    pub subscription: String,
    /// `cs_…`: the Checkout Session it was paid on.
    pub session: String,
}

/// Signs `email` up in `client` and subscribes to the price `lookup_key` on the hosted page with
/// `card`. Nothing is stored yet unless the emulator delivers webhooks: see [`confirm`].
pub async fn subscribe_as(
    app: &TestApp,
    stripe: &Stripe,
    client: &reqwest::Client,
    email: &str,
    lookup_key: &str,
    card: &str,
) -> Subscriber {
    sign_up_with(app, client, email).await;
    let price = price_id(app, lookup_key).await;
    let checkout_url = start_checkout(app, client, &price).await;
    let paid = pay(&checkout_url, card).await;
    assert_eq!(paid.status(), 303, "{}", paid.text().await.unwrap());
    assert!(location(&paid).contains("/checkout/success"));
    let session = session_id(&checkout_url);
    let in_stripe = stripe
        .get(&format!("/v1/checkout/sessions/{session}"))
        .await;
    Subscriber {
        customer: in_stripe["customer"].as_str().unwrap().to_owned(),
        subscription: in_stripe["subscription"]
            .as_str()
            .expect("a subscription-mode session")
            .to_owned(),
        session,
    }
}

/// As [`subscribe_as`], then waits (up to 10 s) until the webhooks alone have stored the
/// subscription.
pub async fn subscribe_by_webhooks(
    app: &TestApp,
    stripe: &Stripe,
    client: &reqwest::Client,
    email: &str,
    lookup_key: &str,
    card: &str,
) -> Subscriber {
    let subscriber = subscribe_as(app, stripe, client, email, lookup_key, card).await;
    let stored = eventually(10, || async {
        stored_subscription(app, &subscriber.subscription)
            .await
            .is_some()
    })
    .await;
    assert!(stored, "the webhooks stored {email}'s subscription");
    subscriber
}

/// Opens the success page as the subscriber (`client`), which stores the subscription.
pub async fn confirm(app: &TestApp, client: &reqwest::Client, subscriber: &Subscriber) {
    let page = app
        .get_with(
            client,
            &format!("/checkout/success?session_id={}", subscriber.session),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Welcome to"), "{page}");
}

/// Moves the emulator's clock forward through its HTTP control, running renewals, trial ends
/// and retries that fall due.
pub async fn advance_days(stripe: &Stripe, days: i64) {
    stripe
        .ok("/_emulator/clock/advance", &[("days", &days.to_string())])
        .await;
}

/// Whether an event is about `id`: its object is `id`, or an invoice of subscription `id`.
fn is_about(event: &Value, id: &str) -> bool {
    let object = &event["data"]["object"];
    object["id"] == id
        || object["parent"]["subscription_details"]["subscription"] == id
        || object["subscription"] == id
        || object["customer"] == id
}

/// Every event of type `kind` the emulator emitted about `id`, oldest first.
pub async fn events_of(stripe: &Stripe, kind: &str, id: &str) -> Vec<Value> {
    stripe
        .events(&[kind])
        .await
        .into_iter()
        .filter(|event| event["type"] == kind && is_about(event, id))
        .collect()
}

/// The latest event of type `kind` about `id`; there must be one.
pub async fn last_event(stripe: &Stripe, kind: &str, id: &str) -> Value {
    events_of(stripe, kind, id)
        .await
        .pop()
        .unwrap_or_else(|| panic!("the emulator emitted no {kind} about {id}"))
}

/// A subscription row as stored, in the fields the tests compare.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredSubscription {
    pub status: String,
    pub cancel_at_period_end: bool,
    pub cancel_at: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub trial_end: Option<OffsetDateTime>,
    pub latest_invoice_id: Option<String>,
    pub card_brand: Option<String>,
    pub card_last4: Option<String>,
    pub card_exp_month: Option<i32>,
    pub card_exp_year: Option<i32>,
    pub cancellation_reason: Option<String>,
    pub price_id: String,
    pub current_period_end: OffsetDateTime,
}

/// The stored subscription `id` with its (one) item, if it is stored.
pub async fn stored_subscription(app: &TestApp, id: &str) -> Option<StoredSubscription> {
    sqlx::query_as(
        "SELECT s.status, s.cancel_at_period_end, s.cancel_at, s.ended_at, s.trial_end, \
                s.latest_invoice_id, s.card_brand, s.card_last4, s.card_exp_month, \
                s.card_exp_year, s.cancellation_reason, i.price_id, i.current_period_end \
         FROM subscriptions s JOIN subscription_items i ON i.subscription_id = s.id \
         WHERE s.id = $1",
    )
    .bind(id)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

/// What the stored row should be for the emulator's subscription object `in_stripe` (with its
/// own default payment method's card, as Checkout sets it).
pub fn expected_from(in_stripe: &Value, card: Option<&Value>) -> StoredSubscription {
    let at = |value: &Value| {
        value
            .as_i64()
            .map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
    };
    let item = &in_stripe["items"]["data"][0];
    let text = |value: &Value| value.as_str().map(str::to_owned);
    StoredSubscription {
        status: in_stripe["status"].as_str().unwrap().to_owned(),
        cancel_at_period_end: in_stripe["cancel_at_period_end"].as_bool().unwrap(),
        cancel_at: at(&in_stripe["cancel_at"]),
        ended_at: at(&in_stripe["ended_at"]),
        trial_end: at(&in_stripe["trial_end"]),
        latest_invoice_id: text(&in_stripe["latest_invoice"]),
        card_brand: card.and_then(|card| text(&card["brand"])),
        card_last4: card.and_then(|card| text(&card["last4"])),
        card_exp_month: card.and_then(|card| card["exp_month"].as_i64().map(|m| m as i32)),
        card_exp_year: card.and_then(|card| card["exp_year"].as_i64().map(|y| y as i32)),
        cancellation_reason: text(&in_stripe["cancellation_details"]["reason"]),
        price_id: item["price"]["id"].as_str().unwrap().to_owned(),
        current_period_end: at(&item["current_period_end"]).unwrap(),
    }
}

/// The emulator's subscription `id` now, and the card of its own default payment method.
pub async fn in_stripe(stripe: &Stripe, id: &str) -> (Value, Option<Value>) {
    let subscription = stripe.get(&format!("/v1/subscriptions/{id}")).await;
    let card = match subscription["default_payment_method"].as_str() {
        Some(method) => {
            Some(stripe.get(&format!("/v1/payment_methods/{method}")).await["card"].clone())
        }
        None => None,
    };
    (subscription, card)
}

/// An invoice row as stored: `(number, status, total, amount_paid, hosted_invoice_url,
/// subscription_id)`.
pub type StoredInvoice = (
    Option<String>,
    String,
    i64,
    i64,
    Option<String>,
    Option<String>,
);

/// The stored invoice `id`, if it is stored.
pub async fn stored_invoice(app: &TestApp, id: &str) -> Option<StoredInvoice> {
    sqlx::query_as(
        "SELECT number, status, total, amount_paid, hosted_invoice_url, subscription_id \
         FROM invoices WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&app.db)
    .await
    .unwrap()
}

/// `SELECT count(*) FROM {table}`.
pub async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(&app.db)
        .await
        .unwrap()
}

/// An app and emulator (no webhooks) where Ada has paid for `lookup_key` on the hosted page;
/// nothing is stored yet.
pub async fn paid(lookup_key: &str) -> (TestApp, Stripe, Subscriber) {
    paid_with(false, lookup_key, GOOD_CARD).await
}

/// As [`paid`]; with `webhooks` the emulator delivers its events to the app, and `card` pays.
pub async fn paid_with(
    webhooks: bool,
    lookup_key: &str,
    card: &str,
) -> (TestApp, Stripe, Subscriber) {
    let (app, stripe) = shop(webhooks).await;
    let ada = subscribe_as(
        &app,
        &stripe,
        &app.client,
        "ada@example.com",
        lookup_key,
        card,
    )
    .await;
    (app, stripe, ada)
}

/// As [`paid`], and the success page seen, so the subscription is stored.
pub async fn subscribed(lookup_key: &str) -> (TestApp, Stripe, Subscriber) {
    let (app, stripe, ada) = paid(lookup_key).await;
    confirm(&app, &app.client, &ada).await;
    (app, stripe, ada)
}
